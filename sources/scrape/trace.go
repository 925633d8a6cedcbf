package scrape

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// TraceOptions configures reading a trace.
type TraceOptions struct {
	// Labels that identify a sample's container (default namespace, pod, container).
	NamespaceLabel, PodLabel, ContainerLabel string
	// MaxSeries and MaxSamples bound the memory a trace may take
	// (defaults 200,000 series and 50,000,000 samples).
	MaxSeries  int
	MaxSamples int
	RateRange  time.Duration // default 1m
	Lookback   time.Duration // default 5m
	Metrics    map[recommender.Signal][]string
}

func (o *TraceOptions) applyDefaults() {
	o.NamespaceLabel = cmp.Or(o.NamespaceLabel, "namespace")
	o.PodLabel = cmp.Or(o.PodLabel, "pod")
	o.ContainerLabel = cmp.Or(o.ContainerLabel, "container")
	o.MaxSeries = cmp.Or(o.MaxSeries, 200_000)
	o.MaxSamples = cmp.Or(o.MaxSamples, 50_000_000)
	o.RateRange = cmp.Or(o.RateRange, time.Minute)
	o.Lookback = cmp.Or(o.Lookback, 5*time.Minute)
}

// Trace is a recorded trace held in memory; it is a Source over its own time span.
type Trace struct {
	store      *Store
	eval       *evaluator
	start, end time.Time
}

var _ recommender.Source = (*Trace)(nil)

// OpenTrace reads a trace file.
func OpenTrace(path string, o TraceOptions) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening trace: %w", err)
	}
	defer func() { _ = f.Close() }()
	return ReadTrace(f, path, o)
}

// ReadTrace reads a trace: OpenMetrics text with a timestamp on every
// sample, the container in labels, and # EOF at the end; the format that
// `promtool tsdb create-blocks-from openmetrics` backfills. Errors name the
// source and line; a bad trace yields no Trace at all.
func ReadTrace(r io.Reader, source string, o TraceOptions) (*Trace, error) {
	o.applyDefaults()
	store := NewStore(0, o.MaxSeries)
	var start, end int64
	spanSet := false
	n := 0
	err := parseOpenMetrics(r, source, func(_ int, s omSample) error {
		if !s.hasTimestamp {
			return errors.New(s.name + ": sample has no timestamp; every sample of a trace needs one")
		}
		ref := recommender.ContainerRef{
			Namespace: s.labels.get(o.NamespaceLabel),
			Pod:       s.labels.get(o.PodLabel),
			Container: s.labels.get(o.ContainerLabel),
		}
		if ref.Pod == "" {
			return fmt.Errorf("%s: sample has no %s label", s.name, o.PodLabel)
		}
		if n++; n > o.MaxSamples {
			return fmt.Errorf("trace holds more than %d samples", o.MaxSamples)
		}
		s.labels = s.labels.without(o.NamespaceLabel, o.PodLabel, o.ContainerLabel)
		switch err := store.append(ref, &s, s.timestampMs); {
		case errors.Is(err, errNonFinite):
			return nil // a NaN in a trace is a gap, as in Prometheus
		case errors.Is(err, errOutOfOrder):
			return fmt.Errorf("%s%s at %s: %w", s.name, s.labels, time.UnixMilli(s.timestampMs).UTC().Format(time.RFC3339), err)
		case err != nil:
			return err
		}
		if !spanSet {
			start, end, spanSet = s.timestampMs, s.timestampMs, true
		}
		start, end = min(start, s.timestampMs), max(end, s.timestampMs)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if store.numSeries == 0 {
		return nil, fmt.Errorf("%s: trace holds no sample", source)
	}
	eval, err := newEvaluator(store, "trace "+source, o.Metrics, o.RateRange, o.Lookback)
	if err != nil {
		return nil, err
	}
	return &Trace{store: store, eval: eval, start: time.UnixMilli(start).UTC(), end: time.UnixMilli(end).UTC()}, nil
}

// Span returns the first and last timestamp in the trace.
func (t *Trace) Span() (start, end time.Time) { return t.start, t.end }

// Fetch derives signals from the trace.
func (t *Trace) Fetch(ctx context.Context, q recommender.Query) (*recommender.Snapshot, error) {
	return t.eval.Fetch(ctx, q)
}

// WriteTrace writes everything a store holds as an OpenMetrics trace, with
// each container in namespace, pod and container labels. Families are
// written whole, series by series, oldest sample first, as OpenMetrics and
// promtool require.
func WriteTrace(w io.Writer, s *Store) error {
	return writeTrace(w, s, func(string) bool { return true })
}

// WriteSignalTrace writes only the metrics pacer's signals are derived from,
// which makes a trace a fraction of the size of everything scraped.
func WriteSignalTrace(w io.Writer, s *Store) error {
	keep := map[string]bool{}
	for _, d := range defaultDerivations {
		for _, m := range append(slices.Clone(d.metrics), d.denominator) {
			keep[m] = true
		}
	}
	return writeTrace(w, s, func(name string) bool { return keep[name] })
}

func writeTrace(w io.Writer, s *Store, keep func(metric string) bool) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	type member struct {
		ref recommender.ContainerRef
		rs  *rawSeries
	}
	// A family is a name and a type: client_golang exposes
	// go_memstats_alloc_bytes both as a gauge and as a counter family.
	type familyKey struct {
		name string
		typ  metricType
	}
	families := map[familyKey][]member{}
	for ref, c := range s.containers {
		for metric, byLabels := range c.metrics {
			if !keep(metric) {
				continue
			}
			for _, rs := range byLabels {
				name, typ := openMetricsFamily(rs)
				k := familyKey{name, typ}
				families[k] = append(families[k], member{ref, rs})
			}
		}
	}
	keys := make([]familyKey, 0, len(families))
	for k := range families {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b familyKey) int {
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.typ, b.typ))
	})
	bw := bufio.NewWriter(w)
	for _, family := range keys {
		members := families[family]
		slices.SortFunc(members, func(a, b member) int {
			return cmp.Or(a.ref.Compare(b.ref), cmp.Compare(a.rs.name, b.rs.name), cmp.Compare(a.rs.labels.key(), b.rs.labels.key()))
		})
		fmt.Fprintf(bw, "# TYPE %s %s\n", family.name, family.typ)
		for _, m := range members {
			ls := append(labels{{"namespace", m.ref.Namespace}, {"pod", m.ref.Pod}, {"container", m.ref.Container}}, m.rs.labels...)
			ls.sort()
			prefix := m.rs.name + ls.String() + " "
			for _, p := range m.rs.points {
				bw.WriteString(prefix)
				bw.WriteString(formatFloat(p.v))
				bw.WriteByte(' ')
				bw.WriteString(strconv.FormatFloat(float64(p.t)/1000, 'f', -1, 64))
				bw.WriteByte('\n')
			}
		}
	}
	bw.WriteString("# EOF\n")
	return bw.Flush()
}

// openMetricsFamily names the family a series belongs to in OpenMetrics. The
// text format names a counter by its full name (foo_total); OpenMetrics
// names the family foo and requires the _total suffix on the sample.
func openMetricsFamily(rs *rawSeries) (string, metricType) {
	switch rs.typ {
	case typeCounter:
		if base, ok := cutSuffix(rs.name, "_total"); ok {
			return base, typeCounter
		}
		return rs.name, typeUnknown
	case typeSummary, typeHistogram:
		if belongsTo(rs.name, rs.family, rs.typ) {
			return rs.family, rs.typ
		}
	case typeGauge:
		return rs.name, typeGauge
	}
	return rs.name, typeUnknown
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}
