package generate

import (
	"math"
	"time"
)

const (
	// MiB and KiB are byte units.
	KiB = 1 << 10
	MiB = 1 << 20

	// gcCPULimiterShare is the share of GOMAXPROCS the runtime's GC CPU
	// limiter lets the GC take when it cannot keep the heap under the goal.
	gcCPULimiterShare = 0.5
	// forcedGCInterval is how often the runtime forces a GC when none ran.
	forcedGCInterval = 2 * time.Minute
	// minHeapGoalBytes is the runtime's smallest heap goal at GOGC=100; it
	// scales with GOGC.
	minHeapGoalBytes = 4 * MiB
	// cfsPeriodsPerSecond is the number of 100ms CFS periods in a second.
	cfsPeriodsPerSecond = 10
)

// Service is the model of one pod of a Go request server: what a request
// costs and what the pod spends when idle. Per-pod numbers; the package
// documentation gives the equations they enter.
type Service struct {
	// BaseRequestsPerSecond is the reference load of one pod; a scenario's
	// load factor multiplies it.
	BaseRequestsPerSecond float64 `json:"base_requests_per_second"`
	// LatencySeconds is how long a request is in flight (Little's law).
	LatencySeconds float64 `json:"latency_seconds"`
	// BaseGoroutines are the goroutines of an idle process.
	BaseGoroutines float64 `json:"base_goroutines"`

	BaseCPUCores         float64 `json:"base_cpu_cores"`
	CPUSecondsPerRequest float64 `json:"cpu_seconds_per_request"`

	BaseAllocBytesPerSecond float64 `json:"base_alloc_bytes_per_second"`
	AllocBytesPerRequest    float64 `json:"alloc_bytes_per_request"`

	// BaseLiveHeapBytes is the live heap of an idle process (caches, tables).
	BaseLiveHeapBytes float64 `json:"base_live_heap_bytes"`
	// LiveBytesPerRequestPerSecond is the live heap each request/s of load
	// keeps: in-flight requests' buffers and per-client state.
	LiveBytesPerRequestPerSecond float64 `json:"live_bytes_per_request_per_second"`
	// LeakBytesPerRequest is live heap each served request leaks for good.
	LeakBytesPerRequest float64 `json:"leak_bytes_per_request"`
	// RetainedBytesPerStuckGoroutine is live heap a stuck goroutine holds.
	RetainedBytesPerStuckGoroutine float64 `json:"retained_bytes_per_stuck_goroutine"`

	// RuntimeOverheadBytes is the non-heap memory besides stacks: binary,
	// runtime structures, heap metadata.
	RuntimeOverheadBytes   float64 `json:"runtime_overhead_bytes"`
	StackBytesPerGoroutine float64 `json:"stack_bytes_per_goroutine"`

	GC GC `json:"gc"`
	// CPULimitCores is the CPU limit the trace was recorded under: usage is
	// capped at it and throttling follows from it.
	CPULimitCores float64 `json:"cpu_limit_cores"`
}

// DefaultService is the service every scenario starts from.
func DefaultService() Service {
	return Service{
		BaseRequestsPerSecond:          150,
		LatencySeconds:                 0.04,
		BaseGoroutines:                 40,
		BaseCPUCores:                   0.03,
		CPUSecondsPerRequest:           0.002,
		BaseAllocBytesPerSecond:        256 * KiB,
		AllocBytesPerRequest:           48 * KiB,
		BaseLiveHeapBytes:              24 * MiB,
		LiveBytesPerRequestPerSecond:   160 * KiB,
		RetainedBytesPerStuckGoroutine: 8 * KiB,
		RuntimeOverheadBytes:           20 * MiB,
		StackBytesPerGoroutine:         8 * KiB,
		GC: GC{
			GOGC:                      100,
			GOMAXPROCS:                2,
			CPUSecondsPerCycle:        0.0005,
			MarkCPUSecondsPerLiveByte: 2.5e-9,
		},
		CPULimitCores: 2,
	}
}

// NonHeapBytes is the memory outside the heap: the runtime's overhead and
// one stack per goroutine.
func (s Service) NonHeapBytes(goroutines float64) float64 {
	return s.RuntimeOverheadBytes + goroutines*s.StackBytesPerGoroutine
}

// ThrottledShare is the share of CFS periods throttled in a step whose mean
// CPU demand is the given share of the limit: none up to 60% (sub-step
// bursts fit under the quota), rising quadratically to every period when
// demand reaches the limit.
func ThrottledShare(demandOfLimit float64) float64 {
	x := min(max((demandOfLimit-0.6)/0.4, 0), 1)
	return x * x
}

// GC is the garbage collector's configuration and cost.
type GC struct {
	// GOGC in percent; negative turns the GC off (then MemoryLimitBytes
	// must be set).
	GOGC int `json:"gogc"`
	// MemoryLimitBytes is GOMEMLIMIT; 0 means unset.
	MemoryLimitBytes float64 `json:"gomemlimit_bytes"`
	GOMAXPROCS       int     `json:"gomaxprocs"`
	// CPUSecondsPerCycle is the fixed CPU cost of a cycle (pauses, sweep
	// termination); MarkCPUSecondsPerLiveByte the cost of marking, which
	// scales with the live heap.
	CPUSecondsPerCycle        float64 `json:"cpu_seconds_per_cycle"`
	MarkCPUSecondsPerLiveByte float64 `json:"mark_cpu_seconds_per_live_byte"`
}

// GCState is how the GC runs at a given live heap, non-heap memory and
// allocation rate.
type GCState struct {
	// HeapGoalBytes is where the heap peaks before a cycle starts: the goal
	// from GOGC, capped by GOMEMLIMIT; under the CPU limiter, where the
	// heap actually peaks above it.
	HeapGoalBytes float64
	// PeakHeapBytes is where the heap peaks: the goal, or below it when the
	// forced two-minute GC comes first.
	PeakHeapBytes   float64
	CyclesPerSecond float64
	CPUCores        float64
	// Limited reports that the GC CPU limiter capped the GC at half of
	// GOMAXPROCS, so the heap overshot the memory limit's goal.
	Limited bool
}

// Run returns the GC's steady state:
//
//	goal    = max(live × (1 + GOGC/100), 4 MiB × GOGC/100), capped at GOMEMLIMIT − non-heap
//	cycles  = max(alloc / (goal − live), 1 / 2min)
//	GC CPU  = cycles × (per-cycle cost + live × mark cost per byte)
//
// When GC CPU would exceed half of GOMAXPROCS, the limiter holds it there:
// fewer cycles, and the heap peaks at live + alloc / cycles instead.
func (g GC) Run(liveBytes, nonHeapBytes, allocBytesPerSecond float64) GCState {
	goal := math.Inf(1)
	if g.GOGC >= 0 {
		percent := float64(g.GOGC) / 100
		goal = max(liveBytes*(1+percent), minHeapGoalBytes*percent)
	}
	if g.MemoryLimitBytes > 0 {
		goal = min(goal, g.MemoryLimitBytes-nonHeapBytes)
	}
	headroom := goal - liveBytes
	cycles := math.Inf(1)
	if headroom > 0 {
		cycles = allocBytesPerSecond / headroom
	}
	if g.GOGC >= 0 {
		cycles = max(cycles, 1/forcedGCInterval.Seconds())
	}
	perCycle := g.CPUSecondsPerCycle + liveBytes*g.MarkCPUSecondsPerLiveByte
	s := GCState{HeapGoalBytes: goal, CyclesPerSecond: cycles, CPUCores: cycles * perCycle}
	if limit := gcCPULimiterShare * float64(g.GOMAXPROCS); s.CPUCores > limit {
		s.Limited = true
		s.CPUCores = limit
		s.CyclesPerSecond = limit / perCycle
		s.HeapGoalBytes = liveBytes + allocBytesPerSecond/s.CyclesPerSecond
	}
	s.PeakHeapBytes = s.HeapGoalBytes
	if s.CyclesPerSecond > 0 {
		s.PeakHeapBytes = min(s.HeapGoalBytes, liveBytes+allocBytesPerSecond/s.CyclesPerSecond)
	}
	return s
}
