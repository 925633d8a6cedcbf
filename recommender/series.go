package recommender

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// ContainerRef identifies one container of one pod.
type ContainerRef struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
}

func (r ContainerRef) String() string {
	return r.Namespace + "/" + r.Pod + "/" + r.Container
}

// Compare orders refs by namespace, pod, then container.
func (r ContainerRef) Compare(o ContainerRef) int {
	return cmp.Or(
		cmp.Compare(r.Namespace, o.Namespace),
		cmp.Compare(r.Pod, o.Pod),
		cmp.Compare(r.Container, o.Container),
	)
}

// Sample is one value of a signal at one instant, in the signal's unit.
type Sample struct {
	At    time.Time `json:"at"`
	Value float64   `json:"value"`
}

// Series is the samples of one signal for one container, oldest first.
type Series struct {
	Ref     ContainerRef `json:"ref"`
	Samples []Sample     `json:"samples"`
}

// Latest returns the newest sample, and false when the series is empty.
func (s Series) Latest() (Sample, bool) {
	if len(s.Samples) == 0 {
		return Sample{}, false
	}
	return s.Samples[len(s.Samples)-1], true
}

// Window is the time span a query covers. A zero Range asks for one instant,
// End; otherwise samples are evaluated every Step from End-Range to End.
type Window struct {
	End   time.Time     `json:"end"`
	Range time.Duration `json:"range"`
	Step  time.Duration `json:"step"`
}

// Instant reports whether the window is a single instant.
func (w Window) Instant() bool { return w.Range == 0 }

// Start returns the first instant the window covers.
func (w Window) Start() time.Time { return w.End.Add(-w.Range) }

// Validate checks that a window can be evaluated.
func (w Window) Validate() error {
	switch {
	case w.End.IsZero():
		return fmt.Errorf("window end is not set")
	case w.Range < 0:
		return fmt.Errorf("window range %s is negative", w.Range)
	case w.Range > 0 && w.Step <= 0:
		return fmt.Errorf("window range %s needs a positive step, got %s", w.Range, w.Step)
	case w.Range > 0 && w.Range/w.Step > maxPointsPerSeries:
		return fmt.Errorf("window range %s at step %s has more than %d points per series",
			w.Range, w.Step, maxPointsPerSeries)
	}
	return nil
}

// maxPointsPerSeries matches Prometheus' limit of 11,000 points per series
// in a range query, so a window valid for one source is valid for all.
const maxPointsPerSeries = 11000

// Selector narrows a query to some containers. Empty fields match everything.
type Selector struct {
	Namespaces []string `json:"namespaces,omitempty"`
	Pods       []string `json:"pods,omitempty"`
}

// Validate refuses an empty name: in PromQL, label="" selects the series
// that lack the label, not a namespace or pod called "".
func (s Selector) Validate() error {
	for _, list := range []struct {
		what  string
		names []string
	}{{"namespace", s.Namespaces}, {"pod", s.Pods}} {
		if i := slices.Index(list.names, ""); i >= 0 {
			return fmt.Errorf("selector: %s %d of %d is empty", list.what, i+1, len(list.names))
		}
	}
	return nil
}

// Matches reports whether the selector selects the container.
func (s Selector) Matches(r ContainerRef) bool {
	return (len(s.Namespaces) == 0 || slices.Contains(s.Namespaces, r.Namespace)) &&
		(len(s.Pods) == 0 || slices.Contains(s.Pods, r.Pod))
}

// Query asks a source for every signal over one window.
type Query struct {
	Window   Window
	Selector Selector
}

// Snapshot is what a source returned for one query: per signal, a series per
// container, and per signal that could not be read, why.
type Snapshot struct {
	Window Window
	Series map[Signal][]Series
	// Problems holds, for each signal without usable data, an error that says
	// why: a *NoDataError when the source answered but had nothing, or the
	// source's own error type when asking failed.
	Problems map[Signal]error
}

// NewSnapshot returns an empty snapshot for the window.
func NewSnapshot(w Window) *Snapshot {
	return &Snapshot{Window: w, Series: map[Signal][]Series{}, Problems: map[Signal]error{}}
}

// Containers returns every container that has at least one series, sorted.
func (s *Snapshot) Containers() []ContainerRef {
	seen := map[ContainerRef]bool{}
	for _, series := range s.Series {
		for _, one := range series {
			seen[one.Ref] = true
		}
	}
	refs := make([]ContainerRef, 0, len(seen))
	for r := range seen {
		refs = append(refs, r)
	}
	slices.SortFunc(refs, ContainerRef.Compare)
	return refs
}

// seriesCount is how many series the snapshot holds over all signals.
func (s *Snapshot) seriesCount() int {
	n := 0
	for _, series := range s.Series {
		n += len(series)
	}
	return n
}

// Lookup returns the series of one signal for one container.
func (s *Snapshot) Lookup(sig Signal, ref ContainerRef) (Series, bool) {
	for _, one := range s.Series[sig] {
		if one.Ref == ref {
			return one, true
		}
	}
	return Series{}, false
}

// Merge appends a later snapshot's samples to s, series by series: the two
// cover consecutive windows, part after s. A signal's problem is kept only
// while the signal has no series.
func (s *Snapshot) Merge(part *Snapshot) {
	for sig, series := range part.Series {
		index := make(map[ContainerRef]int, len(s.Series[sig]))
		for i, one := range s.Series[sig] {
			index[one.Ref] = i
		}
		for _, one := range series {
			if i, ok := index[one.Ref]; ok {
				s.Series[sig][i].Samples = append(s.Series[sig][i].Samples, one.Samples...)
				continue
			}
			index[one.Ref] = len(s.Series[sig])
			s.Series[sig] = append(s.Series[sig], Series{Ref: one.Ref, Samples: slices.Clone(one.Samples)})
		}
		if len(s.Series[sig]) > 0 {
			delete(s.Problems, sig)
		}
	}
	for sig, err := range part.Problems {
		if _, ok := s.Problems[sig]; !ok && len(s.Series[sig]) == 0 {
			s.Problems[sig] = err
		}
	}
}
