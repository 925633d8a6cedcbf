package contender

import (
	"math"
	"time"

	"github.com/pacerdev/pacer/backtest/sim"
	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
)

// HPASettings configure the HPA on CPU utilization.
type HPASettings struct {
	// TargetUtilization of the CPU request, as a fraction (0.7 for 70%).
	TargetUtilization float64
	// Tolerance around the target within which the HPA does nothing (0.1,
	// the controller's --horizontal-pod-autoscaler-tolerance default).
	Tolerance                float64
	MinReplicas, MaxReplicas int32
	// Behavior is the scaling behavior (policy.DefaultBehavior(): scale-up
	// by 100% or 4 pods per 15s, scale-down with a 300s stabilization
	// window by 100% per 15s).
	Behavior policy.Behavior
}

// HPADefaults is an HPA on CPU at 70% with the controller's defaults and
// the replica bounds of pacer's default policy.
func HPADefaults() HPASettings {
	return HPASettings{TargetUtilization: 0.7, Tolerance: 0.1, MinReplicas: 1, MaxReplicas: 100, Behavior: policy.DefaultBehavior()}
}

// HPA is the Horizontal Pod Autoscaler's algorithm on CPU utilization, as
// the HPA controller's replica calculator computes it: utilization is the
// ready pods' mean CPU over the pod's CPU request; within the tolerance
// nothing changes, else desired = ⌈ready × utilization / target⌉, with pods
// still starting counted as using nothing when scaling up (and no change
// when that flips the direction); the result goes through the behavior's
// stabilization and rate limits (pacer's implementation of the
// controller's normalizeDesiredReplicasWithBehaviors).
func HPA(s HPASettings) sim.NewHorizontal {
	return func(recommender.WorkloadRef, map[string]recommender.Resources) (sim.Horizontal, error) {
		st, err := policy.NewReplicaStabilizer(s.Behavior)
		if err != nil {
			return nil, err
		}
		return &hpa{settings: s, stabilizer: st}, nil
	}
}

type hpa struct {
	settings   HPASettings
	stabilizer *policy.ReplicaStabilizer
	last       sim.ReplicaMinute
	observed   bool
}

var _ sim.Horizontal = (*hpa)(nil)

func (h *hpa) Observe(m sim.ReplicaMinute) error {
	h.last, h.observed = m, true
	return nil
}

func (h *hpa) Recommend(now time.Time, current int32) (int32, bool) {
	m := h.last
	if !h.observed || m.Running <= 0 || m.CPURequestPerPod <= 0 || math.IsNaN(m.CPUPerPodCores) {
		return 0, false
	}
	desired := desiredReplicas(m.CPUPerPodCores/m.CPURequestPerPod/h.settings.TargetUtilization, h.settings.Tolerance, current, m.Running)
	next, _ := h.stabilizer.Next(now, current, desired, h.settings.MinReplicas, h.settings.MaxReplicas)
	return next, true
}

// desiredReplicas is the HPA replica calculator for a resource metric:
// ratio is the ready pods' mean utilization over the target.
func desiredReplicas(ratio, tolerance float64, current, ready int32) int32 {
	if math.Abs(1-ratio) <= tolerance {
		return current
	}
	unready := max(0, current-ready)
	if unready == 0 || ratio < 1 {
		return int32(math.Ceil(ratio * float64(ready)))
	}
	// Scaling up with pods not ready yet: they count as using nothing.
	all := float64(ready + unready)
	rebalanced := ratio * float64(ready) / all
	if math.Abs(1-rebalanced) <= tolerance || rebalanced < 1 {
		return current
	}
	return int32(math.Ceil(rebalanced * all))
}
