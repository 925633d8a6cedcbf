package policy

import (
	"cmp"
	"errors"
	"fmt"
	"math"
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
	// unresolved holds, for each workload seen whose policy could not be
	// resolved (none selects it, or its annotations are wrong), why, and
	// unresolvedSeen the end of the newest snapshot it was in (ms).
	unresolved     map[recommender.WorkloadRef]error
	unresolvedSeen map[recommender.WorkloadRef]int64
}

// NewEngine returns an engine that asks resolve for each new workload's policy.
func NewEngine(resolve Resolver) *Engine {
	return &Engine{resolve: resolve, workloads: map[recommender.WorkloadRef]*workloadState{},
		unresolved: map[recommender.WorkloadRef]error{}, unresolvedSeen: map[recommender.WorkloadRef]int64{}}
}

// Observe folds a snapshot into the state. Samples are grouped by workload
// (each pod mapped by workloadOf) and container name, and folded in time
// order, all pods of an instant together; samples at or before the newest
// instant an earlier Observe folded in are skipped, so overlapping windows
// count nothing twice. A workload whose policy cannot be resolved holds no
// state; Recommend lists it with the reason.
func (e *Engine) Observe(snap *recommender.Snapshot, workloadOf func(recommender.ContainerRef) recommender.WorkloadRef) error {
	byRef := map[recommender.ContainerRef]map[recommender.Signal][]recommender.Sample{}
	for sig, series := range snap.Series {
		for _, s := range series {
			m := byRef[s.Ref]
			if m == nil {
				m = map[recommender.Signal][]recommender.Sample{}
				byRef[s.Ref] = m
			}
			m[sig] = append(m[sig], s.Samples...)
		}
	}
	pending := map[recommender.WorkloadRef]*workloadBatch{}
	var errs []error
	for ref, series := range byRef {
		wref := workloadOf(ref)
		w, ok := e.state(wref)
		if !ok {
			e.unresolvedSeen[wref] = max(e.unresolvedSeen[wref], snap.Window.End.UnixMilli())
			continue
		}
		b := pending[wref]
		if b == nil {
			b = &workloadBatch{state: w, instants: map[int64]*batchInstant{}}
			pending[wref] = b
		}
		for _, s := range alignByTime(series) {
			ms := s.at.UnixMilli()
			if ms <= w.processed {
				continue
			}
			b.add(ms, ref, s)
		}
	}
	for _, b := range pending {
		if err := b.fold(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("observing %d workloads: %w", len(errs), errors.Join(errs...))
	}
	return nil
}

// workloadBatch collects one workload's new samples by instant before they
// are folded in, so that every container sees its pods together.
type workloadBatch struct {
	state    *workloadState
	instants map[int64]*batchInstant
}

type batchInstant struct {
	containers map[string][]*sample
	pods       map[string]*podInstant
}

func (b *workloadBatch) add(ms int64, ref recommender.ContainerRef, s *sample) {
	in := b.instants[ms]
	if in == nil {
		in = &batchInstant{containers: map[string][]*sample{}, pods: map[string]*podInstant{}}
		b.instants[ms] = in
	}
	in.containers[ref.Container] = append(in.containers[ref.Container], s)
	pod := in.pods[ref.Pod]
	if pod == nil {
		pod = &podInstant{}
		in.pods[ref.Pod] = pod
	}
	if v, ok := s.get(recommender.RequestRate); ok {
		pod.rate += v
		pod.haveRate = true
	}
	if v, ok := s.get(recommender.CPU); ok {
		pod.cpu += v
		pod.haveCPU = true
	}
}

// fold feeds the batch into the workload's state in time order.
func (b *workloadBatch) fold() error {
	w := b.state
	times := make([]int64, 0, len(b.instants))
	for ms := range b.instants {
		times = append(times, ms)
	}
	slices.Sort(times)
	for _, ms := range times {
		at := time.UnixMilli(ms).UTC()
		in := b.instants[ms]
		for name, pods := range in.containers {
			c := w.containers[name]
			if c == nil {
				var err error
				if c, err = newContainerState(w.policy); err != nil {
					return err
				}
				w.containers[name] = c
			}
			c.observe(w.policy, at, pods)
		}
		w.observe(at, in.pods)
		w.processed = ms
	}
	return nil
}

// Forget drops every workload, resolved or not, that has had no sample
// since before: a Deployment deleted, a preview environment gone, a pod
// template hash that will not come back. Without it the state and the
// list of recommendations grow with every workload a cluster ever ran. It
// returns how many it dropped.
func (e *Engine) Forget(before time.Time) int {
	cut, n := before.UnixMilli(), 0
	for ref, w := range e.workloads {
		if w.processed < cut {
			delete(e.workloads, ref)
			n++
		}
	}
	for ref := range e.unresolved {
		if e.unresolvedSeen[ref] < cut {
			delete(e.unresolved, ref)
			delete(e.unresolvedSeen, ref)
			n++
		}
	}
	return n
}

// state returns a workload's state, resolving its policy the first time;
// false when no policy applies (recorded in e.unresolved).
func (e *Engine) state(w recommender.WorkloadRef) (*workloadState, bool) {
	if s, ok := e.workloads[w]; ok {
		return s, true
	}
	if _, failed := e.unresolved[w]; failed {
		return nil, false
	}
	p, err := e.resolve(w)
	if err == nil {
		var s *workloadState
		if s, err = newWorkloadState(p); err == nil {
			e.workloads[w] = s
			return s, true
		}
	}
	e.unresolved[w] = err
	return nil, false
}

func newWorkloadState(p Policy) (*workloadState, error) {
	stabilizer, err := NewReplicaStabilizer(p.behavior())
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", p.Name, err)
	}
	return &workloadState{
		policy: p, containers: map[string]*containerState{},
		reg:        regression{halfLife: p.History.HalfLife.D()},
		stabilizer: stabilizer,
	}, nil
}

// Reresolve replaces the resolver (a policy file or annotations changed)
// and resolves every known workload again. A workload whose new policy
// keeps the settings its state was built with (the half-life, the rate
// window, the goroutine rule's threshold and the scaling behavior) keeps its
// history; any other starts afresh, and one that no policy selects any more
// drops its state.
func (e *Engine) Reresolve(resolve Resolver) {
	e.resolve = resolve
	clear(e.unresolved)
	clear(e.unresolvedSeen) // its keys are unresolved's
	for ref, old := range e.workloads {
		p, err := resolve(ref)
		if err != nil {
			delete(e.workloads, ref)
			e.unresolved[ref] = err
			e.unresolvedSeen[ref] = max(e.unresolvedSeen[ref], old.processed)
			continue
		}
		if p.stateShape() == old.policy.stateShape() {
			old.policy = p
			continue
		}
		s, err := newWorkloadState(p)
		if err != nil {
			delete(e.workloads, ref)
			e.unresolved[ref] = err
			e.unresolvedSeen[ref] = max(e.unresolvedSeen[ref], old.processed)
			continue
		}
		e.workloads[ref] = s
	}
}

// stateShape is what of a policy the incremental state depends on.
func (p Policy) stateShape() string {
	b := p.behavior()
	return fmt.Sprint(p.History.HalfLife, p.Horizontal.RateWindow, p.Rules.GoroutinePressure.Above,
		p.Rules.GoroutinePressure.For, b.ScaleDown.StabilizationWindow, b.ScaleDown.Policies)
}

// behavior turns the horizontal settings into HPA-style scaling behavior.
func (p Policy) behavior() Behavior {
	b := DefaultBehavior()
	h := p.Horizontal
	b.ScaleDown = ScalingRules{
		StabilizationWindow: h.ScaleDownStabilization.D(),
		Select:              SelectMax,
		Policies:            []ScalingPolicy{{Type: PercentPolicy, Value: int32(math.Round(h.ScaleDownMaxPercent)), Period: h.ScaleDownPeriod.D()}},
	}
	return b
}

// alignByTime merges a container's series into one sample per instant.
// NaN and infinite values are no value.
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

// Workloads lists the workloads the engine has seen, sorted, with or without a policy.
func (e *Engine) Workloads() []recommender.WorkloadRef {
	out := make([]recommender.WorkloadRef, 0, len(e.workloads)+len(e.unresolved))
	for w := range e.workloads {
		out = append(out, w)
	}
	for w := range e.unresolved {
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b recommender.WorkloadRef) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Recommend evaluates every workload's policy on its state at now. A
// workload without a policy is listed with the reason.
func (e *Engine) Recommend(now time.Time, current func(recommender.WorkloadRef) recommender.Current) []recommender.Recommendation {
	var out []recommender.Recommendation
	for _, w := range e.Workloads() {
		s, ok := e.workloads[w]
		if !ok {
			out = append(out, recommender.Recommendation{Workload: w, At: now, Mode: recommender.ModeOff, Outcome: recommender.OutcomeNoPolicy,
				Notes: []recommender.Reason{{Rule: "policy", Message: e.unresolved[w].Error()}}})
			continue
		}
		var cur recommender.Current
		if current != nil {
			cur = current(w)
		}
		out = append(out, s.recommend(w, now, cur))
	}
	return out
}
