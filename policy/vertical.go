package policy

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// The Go memory model pacer sizes memory with (docs/policy.md):
//
//	heap goal  = live heap × (1 + GOGC/100), capped by GOMEMLIMIT when set
//	non-heap   = working set − heap goal, observed (stacks, runtime, cgo, freed but unreturned pages)
//	request    = P(live heap) × (1 + GOGC/100) + P99(non-heap), × (1 + margin)
//	           = at least P99(working set) × (1 + margin): the model never sizes below what was used
//	limit      = request × limitRatio
//	GOMEMLIMIT = limit × gomemlimitPercent
//
// Then the Go-aware rules raise the request: goroutine pressure, allocation
// pressure and OOM risk; an OOM raises the floor to 120% of the limit it hit.

// needed lists what a rule needs that the state lacks: history shorter than
// the policy's minimum, or data older than its staleAfter.
func (c *containerState) needed(p Policy, now time.Time, rule string, signals ...recommender.Signal) []recommender.Missing {
	var out []recommender.Missing
	for _, sig := range signals {
		sp := c.spans[signalIndex[sig]]
		switch {
		case !sp.seen():
			out = append(out, recommender.Missing{Signal: sig, Rule: rule, Reason: "no sample", Need: p.History.Minimum.D()})
		case now.Sub(sp.lastTime()) > p.History.StaleAfter.D():
			out = append(out, recommender.Missing{Signal: sig, Rule: rule, Have: sp.length(), Need: p.History.Minimum.D(),
				Reason: fmt.Sprintf("stale: newest sample at %s, %s before now", sp.lastTime().Format(time.RFC3339), now.Sub(sp.lastTime()).Round(time.Second))})
		case sp.length() < p.History.Minimum.D():
			out = append(out, recommender.Missing{Signal: sig, Rule: rule, Have: sp.length(), Need: p.History.Minimum.D(),
				Reason: "too little history"})
		}
	}
	return out
}

// step applies one rule to a value and records it when it changed.
type steps struct {
	value   string
	reasons []recommender.Reason
}

func (s *steps) apply(rule string, before, after float64, window time.Duration, inputs map[string]float64, format string, args ...any) float64 {
	if after != before {
		s.reasons = append(s.reasons, recommender.Changed(rule, s.value, before, after, window, inputs, format, args...))
	}
	return after
}

// vertical computes one container's resources. It assumes needed() found nothing.
func (c *containerState) vertical(p Policy, name string, cur recommender.Resources, oomKills int) (recommender.ContainerRecommendation, []recommender.Flag, []recommender.Reason) {
	rec := recommender.ContainerRecommendation{Container: name}
	var flags []recommender.Flag
	var notes []recommender.Reason
	window := p.History.HalfLife.D()

	// CPU: a decaying-histogram percentile with a margin, bounded.
	cpu := &steps{value: "cpu_request"}
	pct, _ := c.cpu.Percentile(p.CPU.Percentile / 100)
	v := cpu.apply("cpu.percentile", 0, pct, window, nil, "P%g of CPU usage (half-life %s) is %.3f cores", p.CPU.Percentile, window, pct)
	v = cpu.apply("cpu.margin", v, WithMargin(v, p.CPU.MarginPercent/100), 0, nil, "margin of %g%%", p.CPU.MarginPercent)
	if cur.CPURequestCores > 0 {
		v = cpu.apply("cpu.max-change", v, LimitChange(cur.CPURequestCores, v, p.CPU.MaxChangePercent/100, p.CPU.MaxChangePercent/100), 0,
			map[string]float64{"current": cur.CPURequestCores}, "at most %g%% change from the current %.3f cores per step", p.CPU.MaxChangePercent, cur.CPURequestCores)
	}
	// Bounds come last: they hold even when a step limit would leave them.
	v = cpu.apply("cpu.bounds", v, Clamp(v, p.CPU.Min.Value(), p.CPU.Max.Value()), 0, nil, "bounds %s..%s cores", p.CPU.Min.String(), p.CPU.Max.String())
	rec.Target.CPURequestCores = v
	peak, _ := c.cpu.Percentile(0.99)
	peak = WithMargin(peak, p.CPU.MarginPercent/100)
	if p.CPU.Limit == "ratio" {
		rec.Target.CPULimitCores = v * p.CPU.LimitRatio
		rec.Target.GOMAXPROCS = max(1, int(math.Ceil(rec.Target.CPULimitCores)))
		cpu.reasons = append(cpu.reasons, recommender.Reason{Rule: "cpu.gomaxprocs", Value: "gomaxprocs",
			Message: fmt.Sprintf("GOMAXPROCS %d follows the CPU limit %.3f cores (limit = request × %g)", rec.Target.GOMAXPROCS, rec.Target.CPULimitCores, p.CPU.LimitRatio)})
	} else {
		rec.Target.GOMAXPROCS = max(2, int(math.Ceil(peak)))
		cpu.reasons = append(cpu.reasons, recommender.Reason{Rule: "cpu.gomaxprocs", Value: "gomaxprocs",
			Inputs:  map[string]float64{"p99_cpu_with_margin": peak},
			Message: fmt.Sprintf("no CPU limit, so Go would run as many threads as the node has cores; GOMAXPROCS %d covers peak usage %.3f cores", rec.Target.GOMAXPROCS, peak)})
	}

	// Memory: the Go memory model, cross-checked with the working set.
	mem := &steps{value: "memory_request"}
	live, _ := c.liveHeap.Percentile(p.Memory.HeapPercentile / 100)
	goal := heapGoalOf(live, c.gogc, c.gomemlimit)
	nonHeap, _ := c.nonHeap.Percentile(0.99)
	nonHeap = max(nonHeap, c.lastGoroutines*stackBytesPerG)
	ws, _ := c.workingSet.Percentile(0.99)
	gogc := c.gogc
	if math.IsNaN(gogc) {
		gogc = defaultGOGC
	}
	inputs := map[string]float64{"live_heap": live, "gogc": gogc, "heap_goal": goal, "non_heap": nonHeap, "working_set_p99": ws}
	m := mem.apply("memory.go-model", 0, goal+nonHeap, window, inputs,
		"P%g live heap %s × (1 + GOGC %g/100) = heap goal %s, plus non-heap %s", p.Memory.HeapPercentile, recommender.FormatBytes(live), gogc, recommender.FormatBytes(goal), recommender.FormatBytes(nonHeap))
	if ws > m {
		m = mem.apply("memory.working-set", m, ws, window, inputs, "P99 working set %s is above the Go model; the model never sizes below what was used", recommender.FormatBytes(ws))
	}
	m = mem.apply("memory.margin", m, WithMargin(m, p.Memory.MarginPercent/100), 0, nil, "margin of %g%%", p.Memory.MarginPercent)

	if c.goroutines.Active {
		r := p.Rules.GoroutinePressure
		flags = append(flags, recommender.FlagGoroutinePressure)
		m = mem.apply("goroutine-pressure", m, WithMargin(m, r.RaiseMemoryPercent/100), c.goroutines.Length,
			map[string]float64{"goroutines": c.lastGoroutines, "threshold": r.Above},
			"goroutines above %g for %s (now %.0f): +%g%%", r.Above, c.goroutines.Length.Round(time.Second), c.lastGoroutines, r.RaiseMemoryPercent)
	}
	if r := p.Rules.AllocationPressure; !c.allocRate.Empty() {
		alloc, _ := c.allocRate.Percentile(r.Percentile / 100)
		if alloc > r.AbovePerSecond.Value() {
			flags = append(flags, recommender.FlagAllocationPressure)
			m = mem.apply("allocation-pressure", m, WithMargin(m, r.RaiseMemoryPercent/100), window,
				map[string]float64{"alloc_rate": alloc, "threshold": r.AbovePerSecond.Value()},
				"P%g allocation rate %s/s is above %s/s: +%g%%", r.Percentile, recommender.FormatBytes(alloc), recommender.FormatBytes(r.AbovePerSecond.Value()), r.RaiseMemoryPercent)
		}
	}
	if r := p.Rules.OOMRisk; cur.MemoryLimitBytes > 0 {
		heap := max(c.lastHeapGoal, c.lastLiveHeap)
		if heap > cur.MemoryLimitBytes*r.HeapAboveLimitPercent/100 {
			flags = append(flags, recommender.FlagOOMRisk)
			m = mem.apply("oom-risk", m, WithMargin(m, r.RaiseMemoryPercent/100), 0,
				map[string]float64{"heap": heap, "limit": cur.MemoryLimitBytes},
				"heap %s is above %g%% of the memory limit %s: +%g%%", recommender.FormatBytes(heap), r.HeapAboveLimitPercent, recommender.FormatBytes(cur.MemoryLimitBytes), r.RaiseMemoryPercent)
		}
	}
	if oomKills > 0 && cur.MemoryLimitBytes > 0 && m < 1.2*cur.MemoryLimitBytes {
		flags = append(flags, recommender.FlagOOMRisk)
		m = mem.apply("oom-history", m, 1.2*cur.MemoryLimitBytes, 0, map[string]float64{"oom_kills": float64(oomKills)},
			"%d OOM kills at the limit %s raise the floor to 120%% of it", oomKills, recommender.FormatBytes(cur.MemoryLimitBytes))
	}
	if cur.MemoryRequestBytes > 0 {
		m = mem.apply("memory.max-change", m, LimitChange(cur.MemoryRequestBytes, m, p.Memory.MaxChangePercent/100, p.Memory.MaxChangePercent/100), 0,
			map[string]float64{"current": cur.MemoryRequestBytes}, "at most %g%% change from the current %s per step", p.Memory.MaxChangePercent, recommender.FormatBytes(cur.MemoryRequestBytes))
	}
	m = mem.apply("memory.bounds", m, Clamp(m, p.Memory.Min.Value(), p.Memory.Max.Value()), 0, nil, "bounds %s..%s", p.Memory.Min.String(), p.Memory.Max.String())
	rec.Target.MemoryRequestBytes = math.Ceil(m)
	rec.Target.MemoryLimitBytes = math.Ceil(m * p.Memory.LimitRatio)
	if p.Memory.GOMEMLIMITPercent > 0 {
		rec.Target.GOMEMLIMITBytes = math.Floor(rec.Target.MemoryLimitBytes * p.Memory.GOMEMLIMITPercent / 100)
		mem.reasons = append(mem.reasons, recommender.Reason{Rule: "memory.gomemlimit", Value: "gomemlimit",
			Message: fmt.Sprintf("GOMEMLIMIT %s is %g%% of the memory limit %s, leaving headroom for non-heap memory",
				recommender.FormatBytes(rec.Target.GOMEMLIMITBytes), p.Memory.GOMEMLIMITPercent, recommender.FormatBytes(rec.Target.MemoryLimitBytes))})
	}

	if r := p.Rules.GCPressure; c.gcPerMinute != nil {
		if perMin, ok := c.gcPerMinute.Value(); ok && perMin > r.CyclesPerMinuteAbove {
			flags = append(flags, recommender.FlagGCPressure)
			notes = append(notes, recommender.Reason{Rule: "gc-pressure", Inputs: map[string]float64{"gc_per_minute": perMin},
				Message: fmt.Sprintf("%.0f GC cycles a minute is above %g: the heap goal leaves too little headroom; a larger GOGC or GOMEMLIMIT trades memory for CPU", perMin, r.CyclesPerMinuteAbove)})
		}
	}

	// Bounds: the median and the peak, each with the margin, inside the policy bounds.
	lowCPU, _ := c.cpu.Percentile(0.5)
	lowLive, _ := c.liveHeap.Percentile(0.5)
	rec.Lower = recommender.Resources{
		CPURequestCores:    Clamp(WithMargin(lowCPU, p.CPU.MarginPercent/100), p.CPU.Min.Value(), p.CPU.Max.Value()),
		MemoryRequestBytes: math.Ceil(Clamp(heapGoalOf(lowLive, c.gogc, c.gomemlimit)+nonHeap, p.Memory.Min.Value(), p.Memory.Max.Value())),
	}
	rec.Upper = recommender.Resources{
		CPURequestCores:    Clamp(peak, p.CPU.Min.Value(), p.CPU.Max.Value()),
		MemoryRequestBytes: math.Ceil(Clamp(max(m, WithMargin(ws, p.Memory.MarginPercent/100)), p.Memory.Min.Value(), p.Memory.Max.Value())),
	}
	rec.Lower.CPURequestCores = min(rec.Lower.CPURequestCores, rec.Target.CPURequestCores)
	rec.Upper.CPURequestCores = max(rec.Upper.CPURequestCores, rec.Target.CPURequestCores)
	rec.Lower.MemoryRequestBytes = min(rec.Lower.MemoryRequestBytes, rec.Target.MemoryRequestBytes)
	rec.Upper.MemoryRequestBytes = max(rec.Upper.MemoryRequestBytes, rec.Target.MemoryRequestBytes)
	rec.Reasons = slices.Concat(cpu.reasons, mem.reasons)
	return rec, flags, notes
}
