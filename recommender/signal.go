package recommender

import (
	"fmt"
	"math"
)

// Signal names one measured quantity of a Go container. Its value is the
// stable identifier used in configuration, JSON output and error messages.
type Signal string

// The signals pacer reads. DESIGN.md, section Signals, says where each comes from.
const (
	Goroutines   Signal = "goroutines"
	AllocRate    Signal = "alloc_rate"
	LiveHeap     Signal = "live_heap"
	HeapGoal     Signal = "heap_goal"
	GOGC         Signal = "gogc"
	GOMEMLIMIT   Signal = "gomemlimit"
	GOMAXPROCS   Signal = "gomaxprocs"
	GCRate       Signal = "gc_rate"
	GCCPU        Signal = "gc_cpu"
	RequestRate  Signal = "request_rate"
	CPU          Signal = "cpu"
	Memory       Signal = "memory"
	CPUThrottled Signal = "cpu_throttled"
)

// Unit is the unit a signal's values are expressed in.
type Unit string

// Units of signal values.
const (
	UnitCount          Unit = "count"
	UnitBytes          Unit = "bytes"
	UnitBytesPerSecond Unit = "bytes/s"
	UnitPerSecond      Unit = "1/s"
	UnitCores          Unit = "cores"
	UnitPercent        Unit = "percent"
	UnitRatio          Unit = "ratio"
)

type signalInfo struct {
	unit     Unit
	optional bool
	help     string
}

// catalogue is the single description of every signal; signalOrder fixes the
// order in which they are listed.
var catalogue = map[Signal]signalInfo{
	Goroutines:   {UnitCount, false, "live goroutines"},
	AllocRate:    {UnitBytesPerSecond, false, "heap allocation rate"},
	LiveHeap:     {UnitBytes, false, "live heap after the last GC (in-use heap where unavailable)"},
	HeapGoal:     {UnitBytes, true, "heap size at which the next GC starts"},
	GOGC:         {UnitPercent, true, "GOGC setting; negative when GC is off"},
	GOMEMLIMIT:   {UnitBytes, true, "GOMEMLIMIT setting; math.MaxInt64 when unset"},
	GOMAXPROCS:   {UnitCount, true, "GOMAXPROCS setting"},
	GCRate:       {UnitPerSecond, false, "completed GC cycles per second"},
	GCCPU:        {UnitCores, true, "CPU spent in the GC"},
	RequestRate:  {UnitPerSecond, true, "requests served per second"},
	CPU:          {UnitCores, false, "CPU usage"},
	Memory:       {UnitBytes, false, "memory working set (resident set where unavailable)"},
	CPUThrottled: {UnitRatio, true, "share of CFS periods that were throttled"},
}

var signalOrder = []Signal{
	Goroutines, AllocRate, LiveHeap, HeapGoal, GOGC, GOMEMLIMIT, GOMAXPROCS,
	GCRate, GCCPU, RequestRate, CPU, Memory, CPUThrottled,
}

// Signals lists every known signal in a fixed order.
func Signals() []Signal { return append([]Signal(nil), signalOrder...) }

// ParseSignal returns the signal with the given name.
func ParseSignal(name string) (Signal, error) {
	s := Signal(name)
	if _, ok := catalogue[s]; !ok {
		return "", fmt.Errorf("unknown signal %q (known: %v)", name, signalOrder)
	}
	return s, nil
}

// Unit returns the unit of the signal's values.
func (s Signal) Unit() Unit { return catalogue[s].unit }

// Optional reports whether the signal may be absent without the container
// being considered to lack Go metrics.
func (s Signal) Optional() bool { return catalogue[s].optional }

// Help returns a one-line description of the signal.
func (s Signal) Help() string { return catalogue[s].help }

// NoMemoryLimit reports whether a GOMEMLIMIT value means "no limit" (the
// runtime reports math.MaxInt64 when GOMEMLIMIT is unset).
func NoMemoryLimit(gomemlimitBytes float64) bool {
	return gomemlimitBytes >= math.MaxInt64
}
