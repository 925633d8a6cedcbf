package contender

import (
	"time"

	"github.com/pacerdev/pacer/backtest/sim"
	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
)

// Pacer is pacer's vertical recommender: one policy engine per workload,
// with the policy the set selects for it.
func Pacer(set *policy.Set) sim.NewVertical {
	return func(w recommender.WorkloadRef, _ map[string]recommender.Resources) (sim.Vertical, error) {
		return newEngine(set, w), nil
	}
}

// PacerReplicas is pacer's request-rate replica policy: the same engine,
// fed the simulated replicas, with every pod sized as sizing says (its CPU
// request feeds the CPU guard and the capacity estimate).
func PacerReplicas(set *policy.Set) sim.NewHorizontal {
	return func(w recommender.WorkloadRef, sizing map[string]recommender.Resources) (sim.Horizontal, error) {
		return &pacerReplicas{engine: newEngine(set, w), sizing: sizing}, nil
	}
}

// engine is a policy engine for one workload.
type engine struct {
	engine *policy.Engine
	ref    recommender.WorkloadRef
}

var _ sim.Vertical = (*engine)(nil)

func newEngine(set *policy.Set, w recommender.WorkloadRef) *engine {
	return &engine{ref: w, engine: policy.NewEngine(func(ref recommender.WorkloadRef) (policy.Policy, error) {
		return set.For(ref, nil, nil)
	})}
}

// Observe folds the step's pods into the engine as one snapshot.
func (e *engine) Observe(at time.Time, pods []sim.PodMinute) error {
	snap := recommender.NewSnapshot(recommender.Window{End: at})
	for _, pm := range pods {
		for _, sig := range recommender.Signals() {
			if v, ok := pm.Value(sig); ok {
				snap.Series[sig] = append(snap.Series[sig], recommender.Series{Ref: pm.Ref, Samples: []recommender.Sample{{At: at, Value: v}}})
			}
		}
	}
	return e.engine.Observe(snap, func(recommender.ContainerRef) recommender.WorkloadRef { return e.ref })
}

// recommend returns the workload's recommendation when it is ready.
func (e *engine) recommend(now time.Time, cur recommender.Current) (recommender.Recommendation, bool) {
	for _, r := range e.engine.Recommend(now, func(recommender.WorkloadRef) recommender.Current { return cur }) {
		if r.Workload == e.ref && r.Outcome == recommender.OutcomeReady {
			return r, true
		}
	}
	return recommender.Recommendation{}, false
}

// Recommend returns the target of every container, once the policy's
// history is long enough.
func (e *engine) Recommend(now time.Time, cur recommender.Current) map[string]recommender.Resources {
	r, ok := e.recommend(now, cur)
	if !ok {
		return nil
	}
	out := map[string]recommender.Resources{}
	for _, c := range r.Containers {
		out[c.Container] = c.Target
	}
	return out
}

type pacerReplicas struct {
	engine *engine
	sizing map[string]recommender.Resources
}

var _ sim.Horizontal = (*pacerReplicas)(nil)

func (p *pacerReplicas) Observe(m sim.ReplicaMinute) error {
	return p.engine.Observe(m.At, m.Pods())
}

func (p *pacerReplicas) Recommend(now time.Time, current int32) (int32, bool) {
	r, ok := p.engine.recommend(now, recommender.Current{Replicas: current, Containers: p.sizing})
	if !ok || r.Horizontal == nil {
		return 0, false
	}
	return r.Horizontal.DesiredReplicas, true
}
