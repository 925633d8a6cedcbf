package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pacerdev/pacer/recommender"
)

func TestNumSignalsMatchesCatalogue(t *testing.T) {
	if got := len(recommender.Signals()); got != numSignals {
		t.Fatalf("recommender has %d signals, sim.numSignals is %d", got, numSignals)
	}
}

// randomUsage is a recorded Go pod-minute consistent with the model, run
// with GOMEMLIMIT (above its GOGC goal) when withLimit is set.
func randomUsage(rng *rand.Rand, withLimit bool) usage {
	live := (8 + rng.Float64()*400) * mib
	nonHeap := (10 + rng.Float64()*60) * mib
	alloc := rng.Float64() * 50 * mib
	g := goPod{liveBytes: []float64{live}, nonHeapBytes: []float64{nonHeap}, allocBytesPerSecond: []float64{alloc},
		cpuCores: []float64{0.05 + rng.Float64()*2}, gcCPUCores: []float64{0.001 + rng.Float64()*0.2},
		requestsPerSecond: []float64{100}, gomaxprocs: float64(2 + rng.IntN(6))}
	if withLimit {
		g.gomemlimitBytes = live*(1.5+rng.Float64()) + nonHeap
	}
	return usageAt(g.series("p"), 0)
}

func TestModelKeepsTheRecordedPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		u := randomUsage(rng, rng.IntN(2) == 0)
		got := simulate(u, recommender.Resources{}, 0)
		if !near(got.workingSetBytes, u.workingSetBytes) || !near(got.peakWorkingSetBytes, u.peakWorkingSetBytes) ||
			!near(got.demandCores, u.cpuCores) || !near(got.gcCPUCores, u.gcCPUCores) || got.extraGCCPUCores > 1e-12 {
			t.Fatalf("recorded settings changed the recorded point: usage %+v → %+v", u, got)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b)) }

// TestOOMExactlyWhenTheModelSays checks, over random pods and settings, that
// an OOM kill happens exactly when the working set the Go GC model gives
// exceeds the memory limit: without GOMEMLIMIT, heap goal + non-heap; with a
// GOMEMLIMIT under the limit, live heap + non-heap plus what the GC CPU
// limiter lets the heap overshoot; and never otherwise.
func TestOOMExactlyWhenTheModelSays(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		u := randomUsage(rng, false)
		live, nonHeap, alloc := u.liveHeapBytes, u.workingSetBytes-runGC(u.liveHeapBytes, 0, u.allocBytesPerSecond, math.NaN(), u.settings).peakHeapBytes, u.allocBytesPerSecond
		limit := (live + nonHeap) * (0.8 + rng.Float64()*2)
		r := recommender.Resources{MemoryLimitBytes: limit, MemoryRequestBytes: limit}

		// No GOMEMLIMIT: the heap peaks at the GOGC goal (or where the
		// forced GC catches it).
		goal := max(2*live, minHeapGoalBytes)
		peak := min(goal, live+alloc*forcedGCInterval.Seconds())
		if got, want := simulate(u, r, 0).oom, peak+nonHeap > limit; got != want {
			t.Fatalf("no GOMEMLIMIT, live %.1fMi non-heap %.1fMi limit %.1fMi: oom %v, want %v", live/mib, nonHeap/mib, limit/mib, got, want)
		}

		// GOMEMLIMIT at 90% of the limit, GC cost unknown: the GC holds
		// the heap at GOMEMLIMIT − non-heap while the live heap fits.
		r.GOMEMLIMITBytes = 0.9 * limit
		noCost := u
		noCost.gcCPUCores = math.NaN()
		peakM := min(peak, max(r.GOMEMLIMITBytes-nonHeap, live))
		if got, want := simulate(noCost, r, 0).oom, peakM+nonHeap > limit; got != want {
			t.Fatalf("GOMEMLIMIT, live %.1fMi non-heap %.1fMi limit %.1fMi: oom %v, want %v", live/mib, nonHeap/mib, limit/mib, got, want)
		}
		if want := live+nonHeap > limit; simulate(noCost, r, 0).oom != want {
			t.Fatalf("GOMEMLIMIT below the limit: the OOM must come exactly when live + non-heap exceeds it")
		}

		// With the GC's cost known, the limiter caps GC CPU at half of
		// GOMAXPROCS and the heap overshoots by alloc / cycles.
		got := simulate(u, r, 0)
		if got.gcCPUCores > gcCPULimiterShare*u.settings.gomaxprocs*(1+1e-9) {
			t.Fatalf("GC CPU %.3f above the limiter's %.3f", got.gcCPUCores, gcCPULimiterShare*u.settings.gomaxprocs)
		}
		if want := got.peakWorkingSetBytes > limit; got.oom != want {
			t.Fatalf("oom %v while the peak working set %.1fMi vs limit %.1fMi", got.oom, got.peakWorkingSetBytes/mib, limit/mib)
		}
		if live+nonHeap > limit && !got.oom {
			t.Fatalf("live + non-heap %.1fMi above the limit %.1fMi without an OOM", (live+nonHeap)/mib, limit/mib)
		}
	}
}

// TestGCCPURisesAsHeadroomShrinks lowers GOMEMLIMIT step by step: GC CPU
// never falls, and stays at the recorded value while the GOGC goal fits.
func TestGCCPURisesAsHeadroomShrinks(t *testing.T) {
	g := steadyPod(1, 200*mib, 30*mib, 40*mib, 1, 0.05, 100)
	u := usageAt(g.series("p"), 0)
	prev := 0.0
	for m := 600.0; m >= 200; m -= 10 {
		got := simulate(u, recommender.Resources{GOMEMLIMITBytes: m * mib}, 0)
		if got.gcCPUCores < prev-1e-12 {
			t.Fatalf("GOMEMLIMIT %gMi: GC CPU %.4f fell from %.4f", m, got.gcCPUCores, prev)
		}
		if m*mib-30*mib >= 400*mib && !near(got.gcCPUCores, 0.05) {
			t.Fatalf("GOMEMLIMIT %gMi above the GOGC goal changed GC CPU to %.4f", m, got.gcCPUCores)
		}
		if want := 0.05 + got.extraGCCPUCores; !near(got.gcCPUCores, want) {
			t.Fatalf("extra GC CPU %.4f does not add up", got.extraGCCPUCores)
		}
		prev = got.gcCPUCores
	}
	if prev <= 0.05*2 {
		t.Fatalf("GC CPU %.4f at the tightest GOMEMLIMIT: want well above the recorded 0.05", prev)
	}
}

func TestThrottling(t *testing.T) {
	for _, tt := range []struct {
		name          string
		cpu           []float64
		limit         float64
		gomaxprocs    int
		wantThrottled []bool
		wantUsed      []float64
	}{
		{"under the limit", []float64{0.2, 0.9, 1.0}, 1, 0, []bool{false, false, false}, []float64{0.2, 0.9, 1.0}},
		{"a spike is capped and carried", []float64{0.5, 1.5, 0.2, 0.2}, 1, 0, []bool{false, true, false, false}, []float64{0.5, 1, 0.7, 0.2}},
		{"carried work can throttle the next step", []float64{2.5, 0.5, 0.5}, 1, 0, []bool{true, true, true}, []float64{1, 1, 1}},
		{"GOMAXPROCS caps without a limit", []float64{1.5, 2.5}, 0, 2, []bool{false, true}, []float64{1.5, 2}},
		{"no limit, no cap", []float64{7, 30}, 0, 0, []bool{false, false}, []float64{7, 30}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := recommender.Resources{CPURequestCores: 0.5, CPULimitCores: tt.limit, GOMAXPROCS: tt.gomaxprocs}
			carried := 0.0
			for i, cpu := range tt.cpu {
				got := simulate(usage{cpuCores: cpu, workingSetBytes: math.NaN(), peakWorkingSetBytes: math.NaN(), gcCPUCores: math.NaN()}, r, carried)
				if got.throttled != tt.wantThrottled[i] || !near(got.usedCores, tt.wantUsed[i]) {
					t.Errorf("step %d: throttled %v used %.2f, want %v %.2f", i, got.throttled, got.usedCores, tt.wantThrottled[i], tt.wantUsed[i])
				}
				carried = got.carriedCores
			}
		})
	}
}
