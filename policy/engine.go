package policy

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// Resolver returns the policy of a workload.
type Resolver func(recommender.WorkloadRef) (Policy, error)

// Engine holds the incremental state of every workload it has seen and
// turns it into recommendations. It does no I/O and reads no clock: every
// time comes from the samples or the caller. It is not safe for concurrent use.
type Engine struct {
	resolve   Resolver
	workloads map[recommender.WorkloadRef]*workloadState
}

// NewEngine returns an engine that asks resolve for each new workload's policy.
func NewEngine(resolve Resolver) *Engine {
	return &Engine{resolve: resolve, workloads: map[recommender.WorkloadRef]*workloadState{}}
}

// Observe folds a snapshot into the state: every sample of every series, in
// time order per container, each pod mapped to its workload by workloadOf.
// A workload whose policy cannot be resolved is skipped and reported.
func (e *Engine) Observe(snap *recommender.Snapshot, workloadOf func(recommender.ContainerRef) recommender.WorkloadRef) error {
	byRef := map[recommender.ContainerRef]map[recommender.Signal][]recommender.Sample{}
	for sig, series := range snap.Series {
		for _, s := range series {
			m := byRef[s.Ref]
			if m == nil {
				m = map[recommender.Signal][]recommender.Sample{}
				byRef[s.Ref] = m
			}
			m[sig] = s.Samples
		}
	}
	refs := make([]recommender.ContainerRef, 0, len(byRef))
	for ref := range byRef {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, recommender.ContainerRef.Compare)

	instants := map[recommender.WorkloadRef]map[int64]*workloadInstant{}
	var errs []error
	for _, ref := range refs {
		wref := workloadOf(ref)
		w, err := e.state(wref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c := w.containers[ref.Container]
		if c == nil {
			if c, err = newContainerState(w.policy); err != nil {
				errs = append(errs, err)
				continue
			}
			w.containers[ref.Container] = c
		}
		wi := instants[wref]
		if wi == nil {
			wi = map[int64]*workloadInstant{}
			instants[wref] = wi
		}
		for _, s := range alignByTime(byRef[ref]) {
			c.observe(w.policy, s)
			add := wi[s.at.UnixMilli()]
			if add == nil {
				add = &workloadInstant{pods: map[string]bool{}}
				wi[s.at.UnixMilli()] = add
			}
			add.pods[ref.Pod] = true
			if v, ok := s.get(recommender.RequestRate); ok {
				add.rate += v
				add.haveRate = true
				add.ratePods++
			}
			if v, ok := s.get(recommender.CPU); ok {
				add.cpu += v
				add.haveCPU = true
				add.cpuPods++
			}
		}
	}
	for wref, byTime := range instants {
		times := make([]int64, 0, len(byTime))
		for t := range byTime {
			times = append(times, t)
		}
		slices.Sort(times)
		for _, t := range times {
			e.workloads[wref].observe(time.UnixMilli(t).UTC(), byTime[t])
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("observing %d workloads: %w", len(errs), errors.Join(errs...))
	}
	return nil
}

func (e *Engine) state(w recommender.WorkloadRef) (*workloadState, error) {
	if s, ok := e.workloads[w]; ok {
		return s, nil
	}
	p, err := e.resolve(w)
	if err != nil {
		return nil, err
	}
	stabilizer, err := NewReplicaStabilizer(p.behavior())
	if err != nil {
		return nil, fmt.Errorf("workload %s, policy %s: %w", w, p.Name, err)
	}
	s := &workloadState{
		policy: p, containers: map[string]*containerState{},
		totalRate:  NewEWMA(p.Horizontal.RateWindow.D()),
		reg:        regression{halfLife: p.History.HalfLife.D()},
		stabilizer: stabilizer,
	}
	e.workloads[w] = s
	return s, nil
}

// behavior turns the horizontal settings into HPA-style scaling behavior.
func (p Policy) behavior() Behavior {
	b := DefaultBehavior()
	h := p.Horizontal
	b.ScaleDown = ScalingRules{
		StabilizationWindow: h.ScaleDownStabilization.D(),
		Select:              SelectMax,
		Policies:            []ScalingPolicy{{Type: PercentPolicy, Value: int32(h.ScaleDownMaxPercent), Period: h.ScaleDownPeriod.D()}},
	}
	return b
}

// alignByTime merges a container's series into one sample per instant.
func alignByTime(series map[recommender.Signal][]recommender.Sample) []*sample {
	byTime := map[int64]*sample{}
	for sig, samples := range series {
		for _, s := range samples {
			t := s.At.UnixMilli()
			one := byTime[t]
			if one == nil {
				one = &sample{at: time.UnixMilli(t).UTC()}
				byTime[t] = one
			}
			one.set(sig, s.Value)
		}
	}
	out := make([]*sample, 0, len(byTime))
	for _, one := range byTime {
		out = append(out, one)
	}
	slices.SortFunc(out, func(a, b *sample) int { return a.at.Compare(b.at) })
	return out
}

// Workloads lists the workloads the engine holds state for, sorted.
func (e *Engine) Workloads() []recommender.WorkloadRef {
	out := make([]recommender.WorkloadRef, 0, len(e.workloads))
	for w := range e.workloads {
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b recommender.WorkloadRef) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Recommend evaluates every workload's policy on its state at now.
func (e *Engine) Recommend(now time.Time, current func(recommender.WorkloadRef) recommender.Current) []recommender.Recommendation {
	var out []recommender.Recommendation
	for _, w := range e.Workloads() {
		var cur recommender.Current
		if current != nil {
			cur = current(w)
		}
		out = append(out, e.workloads[w].recommend(w, now, cur))
	}
	return out
}
