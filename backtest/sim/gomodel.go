package sim

import (
	"math"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// Constants of the Go runtime the model uses; backtest/generate writes
// traces with the same ones.
const (
	// gcCPULimiterShare is the share of GOMAXPROCS the GC CPU limiter lets
	// the GC take when it cannot keep the heap under the memory limit.
	gcCPULimiterShare = 0.5
	// forcedGCInterval is how often the runtime forces a GC when none ran.
	forcedGCInterval = 2 * time.Minute
	// minHeapGoalBytes is the smallest heap goal at GOGC=100; it scales with GOGC.
	minHeapGoalBytes = 4 << 20
	defaultGOGC      = 100.0
	// unknownGOMAXPROCS is what the GC CPU limiter assumes when neither the
	// settings nor the trace say: the smallest GOMAXPROCS Go derives from a
	// CPU limit.
	unknownGOMAXPROCS = 2.0
)

// goSettings is how a pod's Go runtime is configured.
type goSettings struct {
	gogcPercent     float64 // negative: the GC is off
	gomemlimitBytes float64 // 0: none
	gomaxprocs      float64 // 0: unknown
}

// gcState is the Go GC's steady state over one step.
type gcState struct {
	// heapGoalBytes is the heap size at which a cycle starts: from GOGC,
	// capped by GOMEMLIMIT, and above that cap under the CPU limiter.
	heapGoalBytes float64
	// peakHeapBytes is where the heap peaks: the goal, or below it when the
	// forced two-minute GC comes first.
	peakHeapBytes float64
	// cyclesPerSecond is NaN when the allocation rate is unknown.
	cyclesPerSecond float64
	// cpuCores is NaN when the CPU cost of a cycle is unknown.
	cpuCores float64
	// limited: the GC CPU limiter held the GC at half of GOMAXPROCS.
	limited bool
}

// runGC is the GC's steady state, as the Go GC guide describes it:
//
//	goal   = max(live × (1 + GOGC/100), 4 MiB × GOGC/100), capped at GOMEMLIMIT − non-heap
//	cycles = max(alloc / (goal − live), 1 / 2min)
//	GC CPU = cycles × CPU per cycle
//
// The GC CPU limiter holds GC CPU at half of GOMAXPROCS: fewer cycles, and the
// heap peaks at live + alloc / cycles, above the memory limit's goal. Without
// the allocation rate or the cost of a cycle the heap is held at the goal,
// and at the live heap when the limit leaves no headroom.
func runGC(liveBytes, nonHeapBytes, allocBytesPerSecond, cpuSecondsPerCycle float64, s goSettings) gcState {
	goal := math.Inf(1)
	if s.gogcPercent >= 0 {
		f := s.gogcPercent / 100
		goal = max(liveBytes*(1+f), minHeapGoalBytes*f)
	}
	if s.gomemlimitBytes > 0 {
		goal = min(goal, s.gomemlimitBytes-nonHeapBytes)
	}
	st := gcState{heapGoalBytes: goal, cyclesPerSecond: math.NaN(), cpuCores: math.NaN()}
	if !math.IsNaN(allocBytesPerSecond) {
		headroom := goal - liveBytes
		var cycles float64
		switch {
		case allocBytesPerSecond <= 0:
		case headroom <= 0:
			cycles = math.Inf(1)
		default:
			cycles = allocBytesPerSecond / headroom
		}
		if s.gogcPercent >= 0 {
			cycles = max(cycles, 1/forcedGCInterval.Seconds())
		}
		st.cyclesPerSecond = cycles
		if !math.IsNaN(cpuSecondsPerCycle) {
			st.cpuCores = cycles * cpuSecondsPerCycle
			procs := s.gomaxprocs
			if procs <= 0 {
				procs = unknownGOMAXPROCS
			}
			if limit := gcCPULimiterShare * procs; st.cpuCores > limit && cpuSecondsPerCycle > 0 {
				st.limited = true
				st.cpuCores = limit
				st.cyclesPerSecond = limit / cpuSecondsPerCycle
				st.heapGoalBytes = liveBytes + allocBytesPerSecond/st.cyclesPerSecond
			}
		}
	}
	st.heapGoalBytes = max(st.heapGoalBytes, liveBytes)
	st.peakHeapBytes = st.heapGoalBytes
	if c := st.cyclesPerSecond; c > 0 && !math.IsInf(c, 1) {
		st.peakHeapBytes = min(st.heapGoalBytes, liveBytes+allocBytesPerSecond/c)
	}
	return st
}

// usage is what a trace recorded for one pod's container in one step.
type usage struct {
	// cpuCores is the CPU the container wanted; workingSetBytes the
	// sampled working set, peakWorkingSetBytes its peak within the step
	// (the sample unless a truth knows better).
	cpuCores, workingSetBytes, peakWorkingSetBytes float64
	// isGo: the container reported its live heap, so the Go model applies.
	isGo                bool
	liveHeapBytes       float64
	allocBytesPerSecond float64 // NaN when unknown
	gcCPUCores          float64 // NaN when unknown
	gcPerSecond         float64 // NaN when unknown
	// heapGoalBytes is the recorded heap goal, or the one GOGC and
	// GOMEMLIMIT give, for the non-heap estimate.
	heapGoalBytes float64
	settings      goSettings
}

func usageAt(p *PodSeries, i int) usage {
	u := usage{
		cpuCores: p.cpuDemand(i), workingSetBytes: p.Value(recommender.Memory, i),
		liveHeapBytes: p.Value(recommender.LiveHeap, i), allocBytesPerSecond: p.Value(recommender.AllocRate, i),
		gcCPUCores: p.Value(recommender.GCCPU, i), gcPerSecond: p.Value(recommender.GCRate, i),
		heapGoalBytes: p.Value(recommender.HeapGoal, i),
		settings:      goSettings{gogcPercent: defaultGOGC},
	}
	u.peakWorkingSetBytes = u.workingSetBytes
	if p.peakWorkingSetBytes != nil && !math.IsNaN(p.peakWorkingSetBytes[i]) {
		u.peakWorkingSetBytes = max(p.peakWorkingSetBytes[i], u.workingSetBytes)
	}
	u.isGo = !math.IsNaN(u.liveHeapBytes) && !math.IsNaN(u.workingSetBytes)
	if v := p.Value(recommender.GOGC, i); !math.IsNaN(v) {
		u.settings.gogcPercent = v
	}
	if v := p.Value(recommender.GOMEMLIMIT, i); !math.IsNaN(v) && !recommender.NoMemoryLimit(v) && v > 0 {
		u.settings.gomemlimitBytes = v
	}
	if v := p.Value(recommender.GOMAXPROCS, i); !math.IsNaN(v) && v > 0 {
		u.settings.gomaxprocs = v
	}
	if u.isGo && math.IsNaN(u.heapGoalBytes) {
		u.heapGoalBytes = runGC(u.liveHeapBytes, 0, math.NaN(), math.NaN(), u.settings).heapGoalBytes
	}
	return u
}

// goSettingsFor is what a pod runs with under resources r: the
// recommended GOMEMLIMIT and GOMAXPROCS where r sets them, else the
// recorded GOMEMLIMIT and the GOMAXPROCS Go derives from the CPU limit.
// Without either, Go runs as many threads as the node has cores: 0 here,
// no cap on CPU, and for the GC CPU limiter the recorded GOMAXPROCS.
// GOGC is always as recorded.
func goSettingsFor(r recommender.Resources, recorded goSettings) goSettings {
	s := recorded
	if r.GOMEMLIMITBytes > 0 {
		s.gomemlimitBytes = r.GOMEMLIMITBytes
	}
	s.gomaxprocs = effectiveGOMAXPROCS(r)
	return s
}

// effectiveGOMAXPROCS is GOMAXPROCS as Go ≥ 1.25 sets it: explicit, else
// the CPU limit rounded up (at least 2); 0 (the node's cores) without either.
func effectiveGOMAXPROCS(r recommender.Resources) float64 {
	switch {
	case r.GOMAXPROCS > 0:
		return float64(r.GOMAXPROCS)
	case r.CPULimitCores > 0:
		return max(2, math.Ceil(r.CPULimitCores))
	}
	return 0
}

// cpuCapCores is the most CPU a container can use: its CPU limit, and
// GOMAXPROCS (Go runs no more threads of Go code at once); +Inf for none.
func cpuCapCores(r recommender.Resources, gomaxprocs float64) float64 {
	c := math.Inf(1)
	if r.CPULimitCores > 0 {
		c = r.CPULimitCores
	}
	if gomaxprocs > 0 {
		c = min(c, gomaxprocs)
	}
	return c
}

// stepResult is one pod's container over one step under some resources.
type stepResult struct {
	// demandCores is the CPU the container wanted (its recorded use, the
	// change in GC CPU, and the work carried from throttled steps);
	// usedCores what it got under capCores.
	demandCores, usedCores, capCores float64
	throttled                        bool
	throttledShare                   float64
	// carriedCores is the work not done in the step, carried to the next.
	carriedCores float64
	// gcCPUCores is the simulated GC CPU, extraGCCPUCores its change from
	// the recorded GC CPU (0 when unknown).
	gcCPUCores, extraGCCPUCores, gcPerSecond float64
	// workingSetBytes is what a sample would show; peakWorkingSetBytes the
	// top of the GC sawtooth, which the OOM killer sees.
	heapGoalBytes, workingSetBytes, peakWorkingSetBytes float64
	oom                                                 bool
	// cpuKnown and memoryKnown: the trace had the container's CPU and
	// working set in the step.
	cpuKnown, memoryKnown bool
}

// maxCarriedSteps bounds the carried work to this many steps at the cap:
// beyond that, requests time out and the work is dropped.
const maxCarriedSteps = 5

// simulate runs one pod's container for one step under resources r. The
// model moves the recorded point: the working set changes by the change
// of the heap's peak, GC CPU by the change of the GC's cycles, so that with
// the recorded settings the recorded values come out unchanged.
func simulate(u usage, r recommender.Resources, carriedCores float64) stepResult {
	s := goSettingsFor(r, u.settings)
	capCores := cpuCapCores(r, s.gomaxprocs)
	if s.gomaxprocs == 0 {
		s.gomaxprocs = u.settings.gomaxprocs // for the GC CPU limiter
	}
	out := stepResult{workingSetBytes: u.workingSetBytes, peakWorkingSetBytes: u.peakWorkingSetBytes, gcCPUCores: u.gcCPUCores, gcPerSecond: u.gcPerSecond,
		heapGoalBytes: u.heapGoalBytes,
		cpuKnown:      !math.IsNaN(u.cpuCores), memoryKnown: !math.IsNaN(u.workingSetBytes)}
	if u.isGo {
		nonHeapGuess := max(0, u.peakWorkingSetBytes-u.heapGoalBytes)
		rec := runGC(u.liveHeapBytes, nonHeapGuess, u.allocBytesPerSecond, math.NaN(), u.settings)
		perCycle := math.NaN()
		switch c := rec.cyclesPerSecond; {
		case math.IsNaN(u.gcCPUCores):
		case c > 0 && !math.IsInf(c, 1):
			perCycle = u.gcCPUCores / c
		case u.gcPerSecond > 0:
			perCycle = u.gcCPUCores / u.gcPerSecond
		}
		nonHeap := max(0, u.peakWorkingSetBytes-rec.peakHeapBytes)
		got := runGC(u.liveHeapBytes, nonHeap, u.allocBytesPerSecond, perCycle, s)
		out.heapGoalBytes = got.heapGoalBytes
		delta := got.peakHeapBytes - rec.peakHeapBytes
		out.workingSetBytes = max(u.workingSetBytes+delta, u.liveHeapBytes)
		out.peakWorkingSetBytes = max(u.peakWorkingSetBytes+delta, u.liveHeapBytes)
		if !math.IsNaN(got.cpuCores) {
			// GC CPU scales with the cycles (exactly the recorded value when
			// they are unchanged), or sits at the limiter's cap.
			out.gcCPUCores = got.cpuCores
			if c := rec.cyclesPerSecond; !got.limited && c > 0 && !math.IsInf(c, 1) {
				out.gcCPUCores = u.gcCPUCores * (got.cyclesPerSecond / c)
			}
			out.extraGCCPUCores = out.gcCPUCores - u.gcCPUCores
		}
		if c := rec.cyclesPerSecond; u.gcPerSecond >= 0 && c > 0 && !math.IsInf(c, 1) {
			out.gcPerSecond = u.gcPerSecond * got.cyclesPerSecond / c
		}
	}
	out.capCores = capCores
	if out.cpuKnown {
		out.demandCores = max(0, u.cpuCores+out.extraGCCPUCores) + carriedCores
		out.usedCores = min(out.demandCores, out.capCores)
		if out.demandCores > out.capCores*(1+1e-9) {
			out.throttled = true
			out.throttledShare = 1 - out.capCores/out.demandCores
			out.carriedCores = min(out.demandCores-out.usedCores, maxCarriedSteps*out.capCores)
		}
	}
	out.oom = r.MemoryLimitBytes > 0 && out.peakWorkingSetBytes > r.MemoryLimitBytes
	return out
}
