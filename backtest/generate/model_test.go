package generate

import (
	"math"
	"testing"
)

func TestGCRun(t *testing.T) {
	// Marking costs 1 ms per MiB of live heap; a cycle costs 1 ms more.
	gc := GC{GOGC: 100, GOMAXPROCS: 2, CPUSecondsPerCycle: 0.001, MarkCPUSecondsPerLiveByte: 0.001 / MiB}
	with := func(change func(*GC)) GC { g := gc; change(&g); return g }
	tests := []struct {
		name                    string
		gc                      GC
		live, nonHeap, alloc    float64
		goal, peak, cycles, cpu float64
		limited                 bool
	}{
		{"GOGC doubles the live heap", gc, 100 * MiB, 20 * MiB, 50 * MiB,
			200 * MiB, 200 * MiB, 0.5, 0.5 * 0.101, false},
		{"GOGC 50", with(func(g *GC) { g.GOGC = 50 }), 100 * MiB, 20 * MiB, 50 * MiB,
			150 * MiB, 150 * MiB, 1, 0.101, false},
		{"a small heap has the minimum goal", gc, 1 * MiB, 20 * MiB, 3 * MiB,
			4 * MiB, 4 * MiB, 1, 0.002, false},
		{"an idle heap is collected every two minutes", gc, 100 * MiB, 20 * MiB, 100 * KiB,
			200 * MiB, 100*MiB + 12000*KiB, 1.0 / 120, 0.101 / 120, false},
		{"GOMEMLIMIT caps the goal", with(func(g *GC) { g.MemoryLimitBytes = 170 * MiB }), 100 * MiB, 20 * MiB, 50 * MiB,
			150 * MiB, 150 * MiB, 1, 0.101, false},
		{"GOMEMLIMIT above the GOGC goal changes nothing", with(func(g *GC) { g.MemoryLimitBytes = 1024 * MiB }), 100 * MiB, 20 * MiB, 50 * MiB,
			200 * MiB, 200 * MiB, 0.5, 0.5 * 0.101, false},
		{"GC off runs to GOMEMLIMIT", with(func(g *GC) { g.GOGC, g.MemoryLimitBytes = -1, 520*MiB }), 100 * MiB, 20 * MiB, 50 * MiB,
			500 * MiB, 500 * MiB, 0.125, 0.125 * 0.101, false},
		// Headroom of 1 MiB would take 50 cycles/s, 5 cores: the limiter
		// holds GC at 1 core, ~9.9 cycles/s, and the heap overshoots.
		{"the CPU limiter lets the heap overshoot", with(func(g *GC) { g.MemoryLimitBytes = 121 * MiB }), 100 * MiB, 20 * MiB, 50 * MiB,
			100*MiB + 50*MiB*0.101, 100*MiB + 50*MiB*0.101, 1 / 0.101, 1, true},
		{"live heap past GOMEMLIMIT", with(func(g *GC) { g.MemoryLimitBytes = 100 * MiB }), 100 * MiB, 20 * MiB, 50 * MiB,
			100*MiB + 50*MiB*0.101, 100*MiB + 50*MiB*0.101, 1 / 0.101, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.gc.Run(tt.live, tt.nonHeap, tt.alloc)
			want := GCState{HeapGoalBytes: tt.goal, PeakHeapBytes: tt.peak, CyclesPerSecond: tt.cycles, CPUCores: tt.cpu, Limited: tt.limited}
			if !approx(got.HeapGoalBytes, want.HeapGoalBytes) || !approx(got.PeakHeapBytes, want.PeakHeapBytes) ||
				!approx(got.CyclesPerSecond, want.CyclesPerSecond) || !approx(got.CPUCores, want.CPUCores) || got.Limited != want.Limited {
				t.Errorf("Run(live %.0f MiB, non-heap %.0f MiB, alloc %.2f MiB/s)\n got %+v\nwant %+v",
					tt.live/MiB, tt.nonHeap/MiB, tt.alloc/MiB, got, want)
			}
		})
	}
}

func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

func TestThrottledShare(t *testing.T) {
	for _, tt := range []struct{ demandOfLimit, want float64 }{
		{0, 0}, {0.6, 0}, {0.8, 0.25}, {1, 1}, {3, 1},
	} {
		if got := ThrottledShare(tt.demandOfLimit); !approx(got, tt.want) {
			t.Errorf("ThrottledShare(%g) = %g, want %g", tt.demandOfLimit, got, tt.want)
		}
	}
}
