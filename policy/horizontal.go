package policy

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// recommend evaluates the workload's policy at now.
func (w *workloadState) recommend(ref recommender.WorkloadRef, now time.Time, cur recommender.Current) recommender.Recommendation {
	p := w.policy
	r := recommender.Recommendation{Workload: ref, At: now, Policy: p.Name, Outcome: recommender.OutcomeReady}
	names := make([]string, 0, len(w.containers))
	for name := range w.containers {
		names = append(names, name)
	}
	slices.Sort(names)

	goSignals := false
	for _, name := range names {
		c := w.containers[name]
		for _, sig := range []recommender.Signal{recommender.Goroutines, recommender.LiveHeap, recommender.AllocRate} {
			goSignals = goSignals || c.spans[signalIndex[sig]].seen()
		}
	}
	if !goSignals {
		r.Outcome = recommender.OutcomeNoGoMetrics
		r.Notes = append(r.Notes, recommender.Reason{Rule: "go-metrics",
			Message: "no container exposes goroutines, live heap or allocation rate: not a Go service, or client_golang's Go collector is not registered"})
		return r
	}

	for _, name := range names {
		c := w.containers[name]
		missing := c.needed(p, now, "cpu", recommender.CPU)
		missing = append(missing, c.needed(p, now, "memory", recommender.LiveHeap, recommender.Memory)...)
		if len(missing) > 0 {
			for i := range missing {
				missing[i].Rule = name + "/" + missing[i].Rule
			}
			r.Missing = append(r.Missing, missing...)
			continue
		}
		rec, flags, notes := c.vertical(p, name, cur.Containers[name], cur.OOMKills[name])
		r.Containers = append(r.Containers, rec)
		r.Flags = append(r.Flags, flags...)
		r.Notes = append(r.Notes, notes...)
	}

	if p.Horizontal.Enabled {
		if h, missing := w.horizontal(now, cur); missing != nil {
			r.Missing = append(r.Missing, *missing)
		} else if h != nil {
			r.Horizontal = h
		}
	}
	if len(r.Missing) > 0 {
		r.Outcome = recommender.OutcomeInsufficientData
		r.Containers, r.Horizontal = nil, nil
		r.Flags = append(r.Flags, recommender.FlagShortHistory)
	}
	slices.Sort(r.Flags)
	r.Flags = slices.Compact(r.Flags)
	return r
}

// horizontal computes replicas from the request rate per pod, guarded by
// CPU, stabilized like an HPA. It returns nil, nil when the workload serves
// no requests pacer can see (no horizontal recommendation then).
func (w *workloadState) horizontal(now time.Time, cur recommender.Current) (*recommender.HorizontalRecommendation, *recommender.Missing) {
	p, h := w.policy, w.policy.Horizontal
	total, ok := w.totalRate.Value()
	if !ok {
		return nil, nil
	}
	if age := now.Sub(w.rateSpan.lastTime()); age > p.History.StaleAfter.D() {
		return nil, &recommender.Missing{Signal: recommender.RequestRate, Rule: "horizontal", Have: w.rateSpan.length(),
			Reason: fmt.Sprintf("stale: newest sample at %s, %s before now", w.rateSpan.lastTime().Format(time.RFC3339), age.Round(time.Second))}
	}
	current := cur.Replicas
	if current == 0 {
		current = int32(min(max(1, w.pods), math.MaxInt32))
	}
	out := &recommender.HorizontalRecommendation{CurrentReplicas: current, TargetPerPod: h.TargetRequestRatePerPod}
	s := &steps{value: "replicas"}
	perPod := total / float64(current)
	desired := float64(int32(math.Ceil(total / h.TargetRequestRatePerPod)))
	desired = s.apply("replicas.request-rate", float64(current), desired, h.RateWindow.D(),
		map[string]float64{"request_rate": total, "target_per_pod": h.TargetRequestRatePerPod},
		"%.1f requests/s over a target of %g per pod", total, h.TargetRequestRatePerPod)

	// CPU guard: utilization of the current CPU request above the threshold
	// scales up. It needs the request the pods run with, which only
	// Kubernetes knows: the recommended request is sized from usage itself.
	var cpuRequest float64
	for _, c := range cur.Containers {
		cpuRequest += c.CPURequestCores
	}
	if cpuRequest == 0 {
		out.Reasons = append(out.Reasons, recommender.Reason{Rule: "replicas.cpu-guard",
			Message: "skipped: the pods' current CPU request is unknown (it comes from Kubernetes), so neither the CPU guard nor the capacity estimate applies"})
	}
	if cpuRequest > 0 && w.lastCPUPerP > 0 {
		util := w.lastCPUPerP / cpuRequest * 100
		if util > h.ScaleUpCPUPercent {
			byCPU := math.Ceil(float64(current) * util / h.ScaleUpCPUPercent)
			if byCPU > desired {
				desired = s.apply("replicas.cpu-guard", desired, byCPU, h.RateWindow.D(),
					map[string]float64{"cpu_utilization_percent": util, "threshold_percent": h.ScaleUpCPUPercent},
					"CPU at %.0f%% of the request is above %g%%", util, h.ScaleUpCPUPercent)
			}
		}
	}
	// Scale down only when the per-pod rate is low enough.
	if desired < float64(current) && perPod >= h.ScaleDownBelowRequestRatePerPod {
		desired = s.apply("replicas.scale-down-condition", desired, float64(current), h.RateWindow.D(),
			map[string]float64{"request_rate_per_pod": perPod, "threshold": h.ScaleDownBelowRequestRatePerPod},
			"%.1f requests/s per pod is not below %g: no scale-down", perPod, h.ScaleDownBelowRequestRatePerPod)
	}
	next, why := w.stabilizer.Next(now, current, int32(desired), h.MinReplicas, h.MaxReplicas)
	if why != "" || float64(next) != desired {
		s.apply("replicas.behavior", desired, float64(next), h.ScaleDownStabilization.D(), nil, "%s", orDefault(why, "min/max replicas"))
	}
	out.DesiredReplicas = next

	// Capacity: CPU per pod against requests per pod, solved for the rate at
	// the CPU target. It lowers the per-pod target when pods saturate first.
	if a, b, ok := w.reg.fit(); ok && b > 0 && cpuRequest > 0 {
		capacity := (h.ScaleUpCPUPercent/100*cpuRequest - a) / b
		if capacity > 0 {
			out.CapacityPerPod = capacity
			if capacity < out.TargetPerPod {
				out.TargetPerPod = s.apply("hpa-target.capacity", h.TargetRequestRatePerPod, math.Floor(capacity), p.History.HalfLife.D(),
					map[string]float64{"intercept_cores": a, "cores_per_request": b, "cpu_request": cpuRequest},
					"one pod reaches %g%% CPU at %.0f requests/s (CPU = %.4f + %.6f × rate)", h.ScaleUpCPUPercent, capacity, a, b)
			}
		}
	}
	if fit, ok := LinearTrend(w.recent.points()); ok {
		horizon := h.RateWindow.D() * 5
		out.Reasons = append(out.Reasons, recommender.Reason{Rule: "request-rate.forecast", Window: horizon,
			Inputs:  map[string]float64{"slope_per_second": fit.Slope, "r2": fit.R2, "forecast": fit.At(now.Add(horizon))},
			Message: fmt.Sprintf("request rate trend %+.3f/s², %.1f requests/s forecast in %s", fit.Slope, fit.At(now.Add(horizon)), horizon)})
	}
	out.Reasons = append(s.reasons, out.Reasons...)
	return out, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
