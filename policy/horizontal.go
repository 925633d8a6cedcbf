package policy

import (
	"fmt"
	"math"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// horizontal computes replicas from the request rate per pod against the
// per-pod target (lowered to the capacity estimate when pods saturate
// first), guarded by CPU, stabilized like an HPA. It returns nil, nil when
// the workload serves no requests pacer can see.
func (w *workloadState) horizontal(now time.Time, cur recommender.Current) (*recommender.HorizontalRecommendation, *recommender.Missing) {
	p, h := w.policy, w.policy.Horizontal
	total, cpuTotal, ok := w.recent.mean(h.RateWindow.D())
	if !ok {
		return nil, nil
	}
	switch age := now.Sub(w.rateSpan.lastTime()); {
	case age > p.History.StaleAfter.D():
		return nil, &recommender.Missing{Signal: recommender.RequestRate, Rule: "horizontal", Have: w.rateSpan.length(), Need: p.History.Minimum.D(),
			Reason: fmt.Sprintf("stale: newest sample at %s, %s before now", w.rateSpan.lastTime().Format(time.RFC3339), age.Round(time.Second))}
	case w.rateSpan.length() < p.History.Minimum.D():
		return nil, &recommender.Missing{Signal: recommender.RequestRate, Rule: "horizontal", Have: w.rateSpan.length(), Need: p.History.Minimum.D(),
			Reason: "too little history"}
	}
	current := cur.Replicas
	if current == 0 {
		current = int32(min(max(1, w.pods), math.MaxInt32))
	}
	out := &recommender.HorizontalRecommendation{CurrentReplicas: current, TargetPerPod: h.TargetRequestRatePerPod, RequestRate: total}
	// The CPU guard and the capacity estimate need the CPU request the pods
	// run with, which only Kubernetes knows: the recommended request is sized
	// from usage itself.
	var cpuRequest float64
	for _, c := range cur.Containers {
		cpuRequest += c.CPURequestCores
	}
	s := &steps{name: "hpa_target", value: h.TargetRequestRatePerPod}
	if cpuRequest == 0 {
		s.reasons = append(s.reasons, recommender.Reason{Rule: "replicas.cpu-guard",
			Message: "skipped: the pods' current CPU request is unknown (it comes from Kubernetes), so neither the CPU guard nor the capacity estimate applies"})
	}
	// Capacity: CPU per pod against requests per pod, solved for the rate at
	// the CPU target. It lowers the per-pod target when pods saturate first,
	// and replicas are counted against the lowered target.
	if a, b, ok := w.reg.fit(); ok && b > 0 && cpuRequest > 0 {
		if capacity := (h.ScaleUpCPUPercent/100*cpuRequest - a) / b; capacity > 0 {
			out.CapacityPerPod = capacity
			if capacity < out.TargetPerPod {
				s.apply("hpa-target.capacity", math.Max(1, math.Floor(capacity*(1+1e-9))), p.History.HalfLife.D(),
					map[string]float64{"intercept_cores": a, "cores_per_request": b, "cpu_request": cpuRequest},
					"one pod reaches %g%% CPU at %.0f requests/s (CPU = %.4f + %.6f × rate)", h.ScaleUpCPUPercent, capacity, a, b)
				out.TargetPerPod = s.value
			}
		}
	}

	r := &steps{name: "replicas", value: float64(current)}
	r.reasons = s.reasons
	perPod := total / float64(current)
	tolerance := h.TolerancePercent / 100
	if ratio := perPod / out.TargetPerPod; math.Abs(ratio-1) <= tolerance {
		r.reasons = append(r.reasons, recommender.Reason{Rule: "replicas.tolerance", Window: h.RateWindow.D(),
			Inputs:  map[string]float64{"request_rate_per_pod": perPod, "target_per_pod": out.TargetPerPod},
			Message: fmt.Sprintf("%.1f requests/s per pod is within %g%% of the target %g: replicas stay", perPod, h.TolerancePercent, out.TargetPerPod)})
	} else {
		r.apply("replicas.request-rate", math.Ceil(total/out.TargetPerPod), h.RateWindow.D(),
			map[string]float64{"request_rate": total, "target_per_pod": out.TargetPerPod},
			"%.1f requests/s (mean over %s) over a target of %g per pod", total, h.RateWindow.D(), out.TargetPerPod)
	}
	// The CPU guard is a second metric, taken as an HPA takes several: the
	// replicas are the larger of what the request rate and CPU ask for. So
	// CPU raises replicas when it is above the threshold, and it also holds
	// a scale-down the request rate asks for when the remaining pods would
	// run above it: without that, pods saturated by GC work rather than
	// requests are scaled up by CPU and straight back down by the request
	// rate, over and over. CPU is the workload's total over the replicas,
	// as the HPA counts pods not serving yet as idle: a scale-up still
	// starting is not mistaken for too little of one.
	if cpuRequest > 0 && !math.IsNaN(cpuTotal) {
		util := cpuTotal / (float64(current) * cpuRequest) * 100
		byCPU := math.Ceil(cpuTotal / (h.ScaleUpCPUPercent / 100 * cpuRequest))
		if math.Abs(util/h.ScaleUpCPUPercent-1) <= tolerance {
			byCPU = float64(current)
		}
		inputs := map[string]float64{"cpu_utilization_percent": util, "threshold_percent": h.ScaleUpCPUPercent}
		switch {
		case byCPU <= r.value:
		case byCPU > float64(current):
			r.apply("replicas.cpu-guard", byCPU, h.RateWindow.D(), inputs,
				"CPU at %.0f%% of the request is above %g%%", util, h.ScaleUpCPUPercent)
		default:
			r.apply("replicas.cpu-guard", byCPU, h.RateWindow.D(), inputs,
				"CPU at %.0f%% of the request would pass %g%% on fewer than %.0f pods", util, h.ScaleUpCPUPercent, byCPU)
		}
	}
	// Scale down only when the per-pod rate is low enough.
	if r.value < float64(current) && perPod >= h.ScaleDownBelowRequestRatePerPod {
		r.apply("replicas.scale-down-condition", float64(current), h.RateWindow.D(),
			map[string]float64{"request_rate_per_pod": perPod, "threshold": h.ScaleDownBelowRequestRatePerPod},
			"%.1f requests/s per pod is not below %g: no scale-down", perPod, h.ScaleDownBelowRequestRatePerPod)
	}
	desired := int32(min(r.value, math.MaxInt32))
	next, why := w.stabilizer.Next(now, current, desired, h.MinReplicas, h.MaxReplicas)
	if why != "" || next != desired {
		r.apply("replicas.behavior", float64(next), h.ScaleDownStabilization.D(), nil, "%s", orDefault(why, "min/max replicas"))
	}
	out.DesiredReplicas = next
	out.Reasons = r.reasons
	if fit, ok := LinearTrend(w.recent.points()); ok {
		horizon := h.RateWindow.D() * 5
		out.ForecastRequestRate, out.ForecastHorizon = max(0, fit.At(now.Add(horizon))), horizon
		out.Reasons = append(out.Reasons, recommender.Reason{Rule: "request-rate.forecast", Window: horizon,
			Inputs:  map[string]float64{"slope_per_second": fit.Slope, "r2": fit.R2, "forecast": fit.At(now.Add(horizon))},
			Message: fmt.Sprintf("request rate trend %+.3f/s², %.1f requests/s forecast in %s", fit.Slope, fit.At(now.Add(horizon)), horizon)})
	}
	return out, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
