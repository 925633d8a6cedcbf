package sim

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// Trace is a trace read onto a grid of Steps instants, Step apart from
// Start: every workload, its containers and, for each container, every pod's
// recorded signals, one value an instant.
type Trace struct {
	Name      string
	Start     time.Time
	Step      time.Duration
	Steps     int
	Workloads []*Workload
}

// At returns the time of step i.
func (t *Trace) At(i int) time.Time { return t.Start.Add(time.Duration(i) * t.Step) }

// Duration is the time the trace's steps cover.
func (t *Trace) Duration() time.Duration { return time.Duration(t.Steps) * t.Step }

// Workload is one workload of a trace.
type Workload struct {
	Ref recommender.WorkloadRef
	// Containers are sorted by name.
	Containers []*Container
}

// Container is one container name of a workload, over all its pods.
type Container struct {
	Name string
	// Pods are sorted by name.
	Pods []*PodSeries
}

// PodSeries is one pod's container: per signal, one value a step, NaN
// where the trace has none.
type PodSeries struct {
	Pod    string
	values [numSignals][]float64
	// cpuDemandCores and peakWorkingSetBytes are what a synthetic trace's
	// truth knows and its samples cannot show: the CPU wanted before the
	// recording's limit capped it, and the top of the GC sawtooth between
	// samples. nil when there is no truth; NaN where it has no value.
	cpuDemandCores, peakWorkingSetBytes []float64
}

// NewPodSeries returns a pod with no values over steps steps.
func NewPodSeries(pod string, steps int) *PodSeries {
	p := &PodSeries{Pod: pod}
	for i := range p.values {
		p.values[i] = nanSlice(steps)
	}
	return p
}

// Set records a signal's value at step i.
func (p *PodSeries) Set(sig recommender.Signal, i int, v float64) {
	if k, ok := signalIndex[sig]; ok && i >= 0 && i < len(p.values[k]) {
		p.values[k][i] = v
	}
}

// Value returns a signal's value at step i, NaN when there is none.
func (p *PodSeries) Value(sig recommender.Signal, i int) float64 {
	return p.values[signalIndex[sig]][i]
}

// valuesAt returns every signal's value at step i.
func (p *PodSeries) valuesAt(i int) [numSignals]float64 {
	var out [numSignals]float64
	for k := range out {
		out[k] = p.values[k][i]
	}
	return out
}

// cpuDemand is the CPU the pod wanted at step i: the truth's, else the recorded usage.
func (p *PodSeries) cpuDemand(i int) float64 {
	if p.cpuDemandCores != nil && !math.IsNaN(p.cpuDemandCores[i]) {
		return p.cpuDemandCores[i]
	}
	return p.Value(recommender.CPU, i)
}

// Present reports whether the pod ran at step i: it has a CPU or memory value.
func (p *PodSeries) Present(i int) bool {
	return !math.IsNaN(p.Value(recommender.CPU, i)) || !math.IsNaN(p.Value(recommender.Memory, i))
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// maxStepsPerFetch keeps each query under every source's point limit.
const maxStepsPerFetch = 10_000

// A trace is read onto a dense grid, one value per signal, pod and step,
// whatever the trace holds: two samples years apart would otherwise ask for
// billions of steps and end the process out of memory. maxSteps (two years
// at a minute, 115 days at a second) and maxGridValues (1.6 GB of float64)
// are far past any real trace, so only a hostile or mistaken one meets them.
const (
	maxSteps      = 1_000_000
	maxGridValues = 200_000_000
)

// Load reads a source (a recorded or generated trace) from start to end at
// step resolution, grouping pods into workloads with workloadOf.
func Load(ctx context.Context, src recommender.Source, name string, start, end time.Time, step time.Duration,
	workloadOf func(recommender.ContainerRef) recommender.WorkloadRef) (*Trace, error) {
	if step <= 0 {
		return nil, fmt.Errorf("trace %s: step %s must be positive", name, step)
	}
	if end.Before(start) {
		return nil, fmt.Errorf("trace %s: end %s is before start %s", name, end, start)
	}
	if steps := end.Sub(start) / step; steps >= maxSteps {
		return nil, fmt.Errorf("trace %s: %s to %s at a step of %s is more than %d steps; use a longer step or a shorter span",
			name, start.Format(time.RFC3339), end.Format(time.RFC3339), step, maxSteps)
	}
	t := &Trace{Name: name, Start: start, Step: step, Steps: int(end.Sub(start)/step) + 1}
	pods := map[recommender.ContainerRef]*PodSeries{}
	for from := 0; from < t.Steps; from += maxStepsPerFetch {
		to := min(from+maxStepsPerFetch, t.Steps) - 1
		snap, err := src.Fetch(ctx, recommender.Query{Window: recommender.Window{
			End: t.At(to), Range: time.Duration(to-from) * step, Step: step}})
		if err != nil {
			return nil, fmt.Errorf("reading trace %s: %w", name, err)
		}
		if err := checkGrid(name, pods, snap, t.Steps); err != nil {
			return nil, err
		}
		for sig, series := range snap.Series {
			for _, s := range series {
				p := pods[s.Ref]
				if p == nil {
					p = NewPodSeries(s.Ref.Pod, t.Steps)
					pods[s.Ref] = p
				}
				for _, sample := range s.Samples {
					if d := sample.At.Sub(start); d%step == 0 {
						p.Set(sig, int(d/step), sample.Value)
					}
				}
			}
		}
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("trace %s: no container has any signal", name)
	}
	t.Workloads = group(pods, workloadOf)
	return t, nil
}

// checkGrid refuses a snapshot whose new containers would take the grid
// past maxGridValues, before any of them is allocated.
func checkGrid(name string, pods map[recommender.ContainerRef]*PodSeries, snap *recommender.Snapshot, steps int) error {
	fresh := map[recommender.ContainerRef]bool{}
	for _, series := range snap.Series {
		for _, s := range series {
			if pods[s.Ref] == nil {
				fresh[s.Ref] = true
			}
		}
	}
	if n := len(pods) + len(fresh); n*steps*numSignals > maxGridValues {
		return fmt.Errorf("trace %s: %d containers over %d steps is more than %d values; use a longer step or a shorter span",
			name, n, steps, maxGridValues)
	}
	return nil
}

// group sorts pods into workloads and containers.
func group(pods map[recommender.ContainerRef]*PodSeries, workloadOf func(recommender.ContainerRef) recommender.WorkloadRef) []*Workload {
	byWorkload := map[recommender.WorkloadRef]map[string][]*PodSeries{}
	for ref, p := range pods {
		w := workloadOf(ref)
		if byWorkload[w] == nil {
			byWorkload[w] = map[string][]*PodSeries{}
		}
		byWorkload[w][ref.Container] = append(byWorkload[w][ref.Container], p)
	}
	var out []*Workload
	for ref, containers := range byWorkload {
		w := &Workload{Ref: ref}
		for name, ps := range containers {
			slices.SortFunc(ps, func(a, b *PodSeries) int { return strings.Compare(a.Pod, b.Pod) })
			w.Containers = append(w.Containers, &Container{Name: name, Pods: ps})
		}
		slices.SortFunc(w.Containers, func(a, b *Container) int { return strings.Compare(a.Name, b.Name) })
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b *Workload) int { return strings.Compare(a.Ref.String(), b.Ref.String()) })
	return out
}

// podsAt counts the distinct pods of a workload present at step i.
func (w *Workload) podsAt(i int) int {
	seen := map[string]bool{}
	for _, c := range w.Containers {
		for _, p := range c.Pods {
			if p.Present(i) {
				seen[p.Pod] = true
			}
		}
	}
	return len(seen)
}

// PodTruth is what the model behind a synthetic trace knew of one pod's
// container, one value a step from Start (NaN for none).
type PodTruth struct {
	Ref   recommender.ContainerRef
	Start time.Time
	Step  time.Duration
	// CPUDemandCores is the CPU the pod wanted, before the recording's CPU
	// limit capped it.
	CPUDemandCores []float64
	// PeakWorkingSetBytes is the top of the GC's sawtooth under the recorded
	// settings, which the sampled working set may miss.
	PeakWorkingSetBytes []float64
}

// SetTruth attaches a synthetic trace's truth to its pods: the simulation
// then takes CPU demand from it and OOM-kills at the peak working set. It
// fails when the truth names a pod the trace does not hold.
func (t *Trace) SetTruth(truths []PodTruth) error {
	pods := map[recommender.ContainerRef]*PodSeries{}
	for _, w := range t.Workloads {
		for _, c := range w.Containers {
			for _, p := range c.Pods {
				pods[recommender.ContainerRef{Namespace: w.Ref.Namespace, Pod: p.Pod, Container: c.Name}] = p
			}
		}
	}
	for _, tr := range truths {
		p := pods[tr.Ref]
		if p == nil {
			return fmt.Errorf("trace %s: the truth names %s, which the trace does not hold", t.Name, tr.Ref)
		}
		if tr.Step <= 0 {
			return fmt.Errorf("trace %s: the truth of %s has step %s", t.Name, tr.Ref, tr.Step)
		}
		p.cpuDemandCores, p.peakWorkingSetBytes = nanSlice(t.Steps), nanSlice(t.Steps)
		for i := range t.Steps {
			d := t.At(i).Sub(tr.Start)
			if d < 0 || d%tr.Step != 0 {
				continue
			}
			k := int(d / tr.Step)
			if k < len(tr.CPUDemandCores) {
				p.cpuDemandCores[i] = tr.CPUDemandCores[k]
			}
			if k < len(tr.PeakWorkingSetBytes) {
				p.peakWorkingSetBytes[i] = tr.PeakWorkingSetBytes[k]
			}
		}
	}
	return nil
}
