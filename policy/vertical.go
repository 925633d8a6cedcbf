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
//	heap goal  = live heap × (1 + GOGC/100); what the heap grows to between collections
//	non-heap   = working set − the heap goal the pod ran with (capped by its GOMEMLIMIT),
//	             observed, at least 8 KiB of stack per goroutine
//	request    = P(live heap) × (1 + GOGC/100) + P99(non-heap), × (1 + margin)
//	           = at least P99(working set) × (1 + margin): the model never sizes below what was used
//	limit      = request × limitRatio
//	GOMEMLIMIT = limit × gomemlimitPercent
//
// While the pod runs with that GOMEMLIMIT (its own report is within 5% of
// gomemlimitPercent of its current limit, so something applies it and it
// follows the limit), the heap need not grow to the GOGC goal: GOMEMLIMIT
// holds it at live × (1 + heapHeadroomPercent/100), and GC runs more often
// instead. Then
//
//	request    = (max(P(live heap) × (1 + heapHeadroomPercent/100), highest live heap)
//	              + P99(non-heap)) / gomemlimitPercent / limitRatio, × (1 + margin)
//
// and the working-set floor does not apply: the working set under GOGC
// alone holds garbage that GOMEMLIMIT collects. Not for a half-life after an
// OOM kill or goroutine pressure. A VPA cannot set an environment variable,
// so a pod sized through one keeps the GOGC model unless its GOMEMLIMIT
// follows its limit some other way.
//
// The heap goal the request is sized for is not capped by the current
// GOMEMLIMIT: a GOMEMLIMIT that is too low holds the heap down at the cost of
// GC CPU, and sizing from it would make that permanent. Then the Go-aware
// rules raise the request: goroutine pressure, allocation pressure and OOM
// risk; an OOM raises the floor to 120% of the limit it hit. A container
// without Go metrics (a sidecar) is sized from its working set alone.

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

// steps carries a value through a chain of rules, recording each rule that
// changed it with the value before and after.
type steps struct {
	name    string // what the value is, e.g. "memory_request"
	value   float64
	reasons []recommender.Reason
}

func (s *steps) apply(rule string, after float64, window time.Duration, inputs map[string]float64, format string, args ...any) {
	if after != s.value {
		s.reasons = append(s.reasons, recommender.Changed(rule, s.name, s.value, after, window, inputs, format, args...))
	}
	s.value = after
}

// verticalResult is one container's recommendation and what it raised.
type verticalResult struct {
	rec   recommender.ContainerRecommendation
	flags []recommender.Flag
	notes []recommender.Reason
}

// vertical computes one container's resources. It assumes needed() found
// nothing for CPU and memory.
func (c *containerState) vertical(p Policy, now time.Time, name string, cur recommender.Resources, oomKills int) verticalResult {
	out := verticalResult{rec: recommender.ContainerRecommendation{Container: name}}
	rec := &out.rec
	cpu := c.cpuRequest(p, cur)
	rec.Target.CPURequestCores = cpu.value
	peak, _ := c.cpu.Percentile(0.99)
	peak = WithMargin(peak, p.CPU.MarginPercent/100)
	if c.hasGo() {
		cpu.reasons = append(cpu.reasons, c.gomaxprocs(p, &rec.Target, peak))
	} else if p.CPU.Limit == "ratio" {
		rec.Target.CPULimitCores = cpu.value * p.CPU.LimitRatio
	}

	if oomKills > 0 {
		c.lastOOM = now
	}
	if c.goroutines.Active {
		c.lastStorm = now
	}
	mem := c.memoryModel(p, now, cur)
	if c.hasGo() {
		out.flags, out.notes = c.memoryRules(p, now, mem, cur)
	}
	if oomKills > 0 && cur.MemoryLimitBytes > 0 && mem.value < 1.2*cur.MemoryLimitBytes {
		out.flags = append(out.flags, recommender.FlagOOMRisk)
		mem.apply("oom-history", 1.2*cur.MemoryLimitBytes, 0, map[string]float64{"oom_kills": float64(oomKills)},
			"%d OOM kills at the limit %s raise the floor to 120%% of it", oomKills, recommender.FormatBytes(cur.MemoryLimitBytes))
	}
	if cur.MemoryRequestBytes > 0 {
		mem.apply("memory.max-change", LimitChange(cur.MemoryRequestBytes, mem.value, p.Memory.MaxChangePercent/100, p.Memory.MaxChangePercent/100), 0,
			map[string]float64{"current": cur.MemoryRequestBytes}, "at most %g%% change from the current %s per step", p.Memory.MaxChangePercent, recommender.FormatBytes(cur.MemoryRequestBytes))
	}
	mem.apply("memory.bounds", Clamp(mem.value, p.Memory.Min.Value(), p.Memory.Max.Value()), 0, nil, "bounds %s..%s", p.Memory.Min.String(), p.Memory.Max.String())
	rec.Target.MemoryRequestBytes = math.Ceil(mem.value)
	rec.Target.MemoryLimitBytes = math.Ceil(mem.value * p.Memory.LimitRatio)
	if c.hasGo() && p.Memory.GOMEMLIMITPercent > 0 {
		rec.Target.GOMEMLIMITBytes = math.Floor(rec.Target.MemoryLimitBytes * p.Memory.GOMEMLIMITPercent / 100)
		mem.reasons = append(mem.reasons, recommender.Reason{Rule: "memory.gomemlimit", Value: "gomemlimit",
			Message: fmt.Sprintf("GOMEMLIMIT %s is %g%% of the memory limit %s, leaving headroom for non-heap memory",
				recommender.FormatBytes(rec.Target.GOMEMLIMITBytes), p.Memory.GOMEMLIMITPercent, recommender.FormatBytes(rec.Target.MemoryLimitBytes))})
	}
	c.bounds(p, rec, peak, mem.value)
	rec.Reasons = slices.Concat(cpu.reasons, mem.reasons)
	return out
}

// cpuRequest is a decaying-histogram percentile with a margin, bounded.
func (c *containerState) cpuRequest(p Policy, cur recommender.Resources) *steps {
	window := p.History.HalfLife.D()
	s := &steps{name: "cpu_request"}
	pct, _ := c.cpu.Percentile(p.CPU.Percentile / 100)
	s.apply("cpu.percentile", pct, window, nil, "P%g of CPU usage (half-life %s) is %.3f cores", p.CPU.Percentile, window, pct)
	s.apply("cpu.margin", WithMargin(s.value, p.CPU.MarginPercent/100), 0, nil, "margin of %g%%", p.CPU.MarginPercent)
	if cur.CPURequestCores > 0 {
		s.apply("cpu.max-change", LimitChange(cur.CPURequestCores, s.value, p.CPU.MaxChangePercent/100, p.CPU.MaxChangePercent/100), 0,
			map[string]float64{"current": cur.CPURequestCores}, "at most %g%% change from the current %.3f cores per step", p.CPU.MaxChangePercent, cur.CPURequestCores)
	}
	// Bounds come last: they hold even when a step limit would leave them.
	s.apply("cpu.bounds", Clamp(s.value, p.CPU.Min.Value(), p.CPU.Max.Value()), 0, nil, "bounds %s..%s cores", p.CPU.Min.String(), p.CPU.Max.String())
	return s
}

// gomaxprocs sets the CPU limit and GOMAXPROCS consistently. With a limit,
// GOMAXPROCS is what the Go runtime itself derives from it (Go 1.25+): the
// limit rounded up, at least 2. Without one, Go would run as many threads as
// the node has cores; GOMAXPROCS then covers the peak.
func (c *containerState) gomaxprocs(p Policy, target *recommender.Resources, peak float64) recommender.Reason {
	if p.CPU.Limit == "ratio" {
		target.CPULimitCores = target.CPURequestCores * p.CPU.LimitRatio
		target.GOMAXPROCS = max(2, int(math.Ceil(target.CPULimitCores)))
		return recommender.Reason{Rule: "cpu.gomaxprocs", Value: "gomaxprocs",
			Message: fmt.Sprintf("GOMAXPROCS %d follows the CPU limit %.3f cores (limit = request × %g), as the Go runtime would set it", target.GOMAXPROCS, target.CPULimitCores, p.CPU.LimitRatio)}
	}
	// Without a limit nothing else caps the process, so GOMAXPROCS must not:
	// it covers the highest usage seen, not a percentile, or every burst
	// above the percentile would queue on too few threads.
	top, _ := c.cpu.Percentile(1)
	top = max(peak, WithMargin(top, p.CPU.MarginPercent/100))
	target.GOMAXPROCS = max(2, int(math.Ceil(top)))
	return recommender.Reason{Rule: "cpu.gomaxprocs", Value: "gomaxprocs",
		Inputs:  map[string]float64{"max_cpu_with_margin": top},
		Message: fmt.Sprintf("no CPU limit, so Go would run as many threads as the node has cores; GOMAXPROCS %d covers the highest usage seen, %.3f cores with the margin", target.GOMAXPROCS, top)}
}

// sizingGOGC is the GOGC the request is sized for: the container's own, or
// the default; with GOGC off the heap grows to GOMEMLIMIT whatever the live
// heap, so it is sized as if GOGC were the default.
func (c *containerState) sizingGOGC() float64 {
	if math.IsNaN(c.gogc) || c.gogc < 0 {
		return defaultGOGC
	}
	return c.gogc
}

// memoryModel is the Go memory model's request (or the working set's, for a
// container without Go metrics), with the margin.
func (c *containerState) memoryModel(p Policy, now time.Time, cur recommender.Resources) *steps {
	window := p.History.HalfLife.D()
	s := &steps{name: "memory_request"}
	ws, _ := c.workingSet.Percentile(0.99)
	if !c.hasGo() {
		s.apply("memory.working-set", ws, window, map[string]float64{"working_set_p99": ws},
			"no Go metrics: P99 working set %s", recommender.FormatBytes(ws))
		s.apply("memory.margin", WithMargin(s.value, p.Memory.MarginPercent/100), 0, nil, "margin of %g%%", p.Memory.MarginPercent)
		return s
	}
	live, _ := c.liveHeap.Percentile(p.Memory.HeapPercentile / 100)
	gogc := c.sizingGOGC()
	goal := live * (1 + gogc/100)
	nonHeap, _ := c.nonHeap.Percentile(0.99)
	nonHeap = max(nonHeap, c.lastGoroutines*stackBytesPerG)
	inputs := map[string]float64{"live_heap": live, "gogc": gogc, "heap_goal": goal, "non_heap": nonHeap, "working_set_p99": ws}
	s.apply("memory.go-model", goal+nonHeap, window, inputs,
		"P%g live heap %s × (1 + GOGC %g/100) = heap goal %s, plus non-heap %s", p.Memory.HeapPercentile, recommender.FormatBytes(live), gogc, recommender.FormatBytes(goal), recommender.FormatBytes(nonHeap))
	if c.gogc < 0 {
		s.reasons[len(s.reasons)-1].Message += "; GOGC is off, so the heap grows to GOMEMLIMIT: sized as if GOGC were 100"
	}
	// Not after an OOM kill, nor after a goroutine storm: goroutines stuck
	// on a slow dependency hold live memory no GC can free, and only the
	// GOGC goal's headroom has absorbed them.
	recent := func(t time.Time) bool { return !t.IsZero() && now.Sub(t) < window }
	if h := min(p.Memory.HeapHeadroomPercent, gogc); h > 0 && !recent(c.lastOOM) && !recent(c.lastStorm) && c.gomemlimitFollows(p, cur) {
		// The GC can hold garbage back, never live memory: the heap must
		// fit the highest live heap seen, whatever the percentile says.
		top, _ := c.liveHeap.Percentile(1)
		heap := max(live*(1+h/100), top)
		need := (heap + nonHeap) / (p.Memory.GOMEMLIMITPercent / 100) / p.Memory.LimitRatio
		if need < s.value {
			inputs["gomemlimit"] = c.gomemlimit
			s.apply("memory.gomemlimit-holds", need, window, inputs,
				"the pod runs with GOMEMLIMIT %s at %g%% of its limit, which holds the heap at live × (1 + %g/100) = %s; GOMEMLIMIT at %g%% of the limit needs %s",
				recommender.FormatBytes(c.gomemlimit), p.Memory.GOMEMLIMITPercent, h, recommender.FormatBytes(live*(1+h/100)), p.Memory.GOMEMLIMITPercent, recommender.FormatBytes(need))
			s.apply("memory.margin", WithMargin(s.value, p.Memory.MarginPercent/100), 0, nil, "margin of %g%%", p.Memory.MarginPercent)
			return s
		}
	}
	if ws > s.value {
		s.apply("memory.working-set", ws, window, inputs, "P99 working set %s is above the Go model; the model never sizes below what was used", recommender.FormatBytes(ws))
	}
	s.apply("memory.margin", WithMargin(s.value, p.Memory.MarginPercent/100), 0, nil, "margin of %g%%", p.Memory.MarginPercent)
	return s
}

// gomemlimitFollows reports whether the pod runs with the GOMEMLIMIT the
// policy recommends for its current limit (within 5%): then something
// applies it, and it will follow the limit pacer recommends.
func (c *containerState) gomemlimitFollows(p Policy, cur recommender.Resources) bool {
	if p.Memory.GOMEMLIMITPercent <= 0 || cur.MemoryLimitBytes <= 0 || math.IsNaN(c.gomemlimit) || recommender.NoMemoryLimit(c.gomemlimit) {
		return false
	}
	return math.Abs(c.gomemlimit/(cur.MemoryLimitBytes*p.Memory.GOMEMLIMITPercent/100)-1) <= 0.05
}

// memoryRules applies the Go-aware rules to the memory request. A rule whose
// signal is stale does not fire; it says so.
func (c *containerState) memoryRules(p Policy, now time.Time, mem *steps, cur recommender.Resources) ([]recommender.Flag, []recommender.Reason) {
	var flags []recommender.Flag
	var notes []recommender.Reason
	window := p.History.HalfLife.D()
	fresh := func(rule string, sig recommender.Signal) bool {
		sp := c.spans[signalIndex[sig]]
		if sp.seen() && now.Sub(sp.lastTime()) <= p.History.StaleAfter.D() {
			return true
		}
		if sp.seen() {
			notes = append(notes, recommender.Reason{Rule: rule, Message: fmt.Sprintf("skipped: newest %s sample at %s is stale", sig, sp.lastTime().Format(time.RFC3339))})
		}
		return false
	}
	if r := p.Rules.GoroutinePressure; c.goroutines.Active && fresh("goroutine-pressure", recommender.Goroutines) {
		flags = append(flags, recommender.FlagGoroutinePressure)
		mem.apply("goroutine-pressure", WithMargin(mem.value, r.RaiseMemoryPercent/100), c.goroutines.Length,
			map[string]float64{"goroutines": c.lastGoroutines, "threshold": r.Above},
			"goroutines above %g for %s (now %.0f): +%g%%", r.Above, c.goroutines.Length.Round(time.Second), c.lastGoroutines, r.RaiseMemoryPercent)
	}
	if r := p.Rules.AllocationPressure; fresh("allocation-pressure", recommender.AllocRate) {
		alloc, _ := c.allocRate.Percentile(r.Percentile / 100)
		if alloc > r.AbovePerSecond.Value() {
			flags = append(flags, recommender.FlagAllocationPressure)
			mem.apply("allocation-pressure", WithMargin(mem.value, r.RaiseMemoryPercent/100), window,
				map[string]float64{"alloc_rate": alloc, "threshold": r.AbovePerSecond.Value()},
				"P%g allocation rate %s/s is above %s/s: +%g%%", r.Percentile, recommender.FormatBytes(alloc), recommender.FormatBytes(r.AbovePerSecond.Value()), r.RaiseMemoryPercent)
		}
	}
	// OOM risk compares the live heap, not the heap goal: with GOMEMLIMIT at
	// 90% of the limit the goal sits near the limit by design, while a live
	// heap that close means the GC can no longer hold the heap under it.
	if r := p.Rules.OOMRisk; cur.MemoryLimitBytes > 0 && c.lastLiveHeap > cur.MemoryLimitBytes*r.HeapAboveLimitPercent/100 {
		flags = append(flags, recommender.FlagOOMRisk)
		mem.apply("oom-risk", WithMargin(mem.value, r.RaiseMemoryPercent/100), 0,
			map[string]float64{"live_heap": c.lastLiveHeap, "limit": cur.MemoryLimitBytes},
			"live heap %s is above %g%% of the memory limit %s: +%g%%", recommender.FormatBytes(c.lastLiveHeap), r.HeapAboveLimitPercent, recommender.FormatBytes(cur.MemoryLimitBytes), r.RaiseMemoryPercent)
	}
	if r := p.Rules.GCPressure; fresh("gc-pressure", recommender.GCRate) {
		if perMin, ok := c.gcPerMinute.Value(); ok && perMin > r.CyclesPerMinuteAbove {
			flags = append(flags, recommender.FlagGCPressure)
			notes = append(notes, recommender.Reason{Rule: "gc-pressure", Inputs: map[string]float64{"gc_per_minute": perMin},
				Message: fmt.Sprintf("%.0f GC cycles a minute is above %g: the heap goal leaves too little headroom; a larger GOGC or GOMEMLIMIT trades memory for CPU", perMin, r.CyclesPerMinuteAbove)})
		}
	}
	return flags, notes
}

// bounds sets the lower bound (the median, with the margin) and the upper
// bound (the peak, with the margin), inside the policy bounds and around
// the target.
func (c *containerState) bounds(p Policy, rec *recommender.ContainerRecommendation, peakCPU, memory float64) {
	lowCPU, _ := c.cpu.Percentile(0.5)
	ws, _ := c.workingSet.Percentile(0.99)
	lowMemory, _ := c.workingSet.Percentile(0.5)
	if c.hasGo() {
		lowLive, _ := c.liveHeap.Percentile(0.5)
		nonHeap, _ := c.nonHeap.Percentile(0.99)
		lowMemory = lowLive*(1+c.sizingGOGC()/100) + nonHeap
	}
	rec.Lower = recommender.Resources{
		CPURequestCores:    Clamp(WithMargin(lowCPU, p.CPU.MarginPercent/100), p.CPU.Min.Value(), p.CPU.Max.Value()),
		MemoryRequestBytes: math.Ceil(Clamp(lowMemory, p.Memory.Min.Value(), p.Memory.Max.Value())),
	}
	rec.Upper = recommender.Resources{
		CPURequestCores:    Clamp(peakCPU, p.CPU.Min.Value(), p.CPU.Max.Value()),
		MemoryRequestBytes: math.Ceil(Clamp(max(memory, WithMargin(ws, p.Memory.MarginPercent/100)), p.Memory.Min.Value(), p.Memory.Max.Value())),
	}
	t := rec.Target
	rec.Lower.CPURequestCores = min(rec.Lower.CPURequestCores, t.CPURequestCores)
	rec.Upper.CPURequestCores = max(rec.Upper.CPURequestCores, t.CPURequestCores)
	rec.Lower.MemoryRequestBytes = min(rec.Lower.MemoryRequestBytes, t.MemoryRequestBytes)
	rec.Upper.MemoryRequestBytes = max(rec.Upper.MemoryRequestBytes, t.MemoryRequestBytes)
}
