package generate

import (
	"bytes"
	"context"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/scrape"
)

func generate(t testing.TB, c Config) *Trace {
	t.Helper()
	tr, err := Generate(c)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", c, err)
	}
	return tr
}

// readBack writes the trace and reads it with scrape.ReadTrace, with rates
// over two steps: the step ending at each sample.
func readBack(t *testing.T, tr *Trace) *scrape.Trace {
	t.Helper()
	var buf bytes.Buffer
	if err := tr.WriteOpenMetrics(&buf); err != nil {
		t.Fatal(err)
	}
	st, err := scrape.ReadTrace(&buf, tr.Config.Scenario+".om", scrape.TraceOptions{RateRange: 2 * tr.Config.Step})
	if err != nil {
		t.Fatalf("scrape.ReadTrace: %v", err)
	}
	return st
}

// signals fetches every signal at every step but the first (which has no
// rate yet) and returns them by signal and pod.
func signals(t *testing.T, tr *Trace, st *scrape.Trace) map[recommender.Signal]map[string][]float64 {
	t.Helper()
	start, end := st.Span()
	if !start.Equal(tr.At(0)) || !end.Equal(tr.At(tr.Config.Steps()-1)) {
		t.Fatalf("trace spans %s..%s, want %s..%s", start, end, tr.At(0), tr.At(tr.Config.Steps()-1))
	}
	w := recommender.Window{End: end, Range: end.Sub(start) - tr.Config.Step, Step: tr.Config.Step}
	snap, err := st.Fetch(context.Background(), recommender.Query{Window: w})
	if err != nil {
		t.Fatal(err)
	}
	out := map[recommender.Signal]map[string][]float64{}
	for _, sig := range recommender.Signals() {
		if err := snap.Problems[sig]; err != nil {
			t.Errorf("signal %s: %v", sig, err)
			continue
		}
		out[sig] = map[string][]float64{}
		for _, p := range tr.Pods {
			ref := recommender.ContainerRef{Namespace: tr.Config.Namespace, Pod: p.Name, Container: Container}
			series, ok := snap.Lookup(sig, ref)
			if !ok || len(series.Samples) != tr.Config.Steps()-1 {
				t.Fatalf("signal %s of %s: %d samples, want one per step but the first (%d)", sig, p.Name, len(series.Samples), tr.Config.Steps()-1)
			}
			for k, s := range series.Samples {
				if !s.At.Equal(tr.At(k + 1)) {
					t.Fatalf("signal %s sample %d at %s, want %s", sig, k, s.At, tr.At(k+1))
				}
				out[sig][p.Name] = append(out[sig][p.Name], s.Value)
			}
		}
	}
	return out
}

func near(got, want, absTol, relTol float64) bool {
	return math.Abs(got-want) <= absTol+relTol*math.Abs(want)
}

// TestScenariosObeyTheModel reads every scenario back through
// scrape.ReadTrace and checks that the signals pacer derives from it obey
// the model's relations.
func TestScenariosObeyTheModel(t *testing.T) {
	for _, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			tr := generate(t, Config{Scenario: sc.Name, Seed: 7, Pods: 2, Duration: 48 * time.Hour})
			sigs := signals(t, tr, readBack(t, tr))
			if t.Failed() {
				return
			}
			svc := tr.Service
			stepSeconds := tr.Config.Step.Seconds()
			for _, p := range tr.Pods {
				v := func(sig recommender.Signal, k int) float64 { return sigs[sig][p.Name][k] }
				for k := range tr.Config.Steps() - 1 {
					s := p.Samples[k+1]
					at := tr.At(k + 1).Format(time.DateTime)
					fail := func(format string, args ...any) {
						t.Helper()
						t.Errorf("%s at %s: "+format, append([]any{p.Name, at}, args...)...)
					}
					live, goal, alloc := v(recommender.LiveHeap, k), v(recommender.HeapGoal, k), v(recommender.AllocRate, k)
					r, goroutines := v(recommender.RequestRate, k), v(recommender.Goroutines, k)

					// GC rate follows allocation rate over the heap headroom; the
					// counter holds whole cycles, so a step's rate is ±1 cycle.
					wantGC := max(alloc/(goal-live), 1/forcedGCInterval.Seconds())
					if got := v(recommender.GCRate, k); !near(got, wantGC, 1.01/stepSeconds, 0.001) {
						fail("GC rate %.4f/s, want alloc %.0f B/s / headroom %.0f B = %.4f/s", got, alloc, goal-live, wantGC)
					}
					// The heap goal is GOGC's, with no GOMEMLIMIT.
					if !s.GCLimited && !near(goal, live*2, 1, 0) {
						fail("heap goal %.0f, want 2 × live %.0f", goal, live)
					}
					// The working set lies between live heap and goal, plus non-heap.
					nonHeap := svc.NonHeapBytes(goroutines)
					if ws := v(recommender.Memory, k); ws < live+nonHeap-1 || ws > goal+nonHeap+1 {
						fail("working set %.0f outside [live %.0f, goal %.0f] + non-heap %.0f", ws, live, goal, nonHeap)
					}
					// Goroutines: Little's law, plus a storm's stuck goroutines.
					inFlight := r * svc.LatencySeconds
					if want := svc.BaseGoroutines + inFlight + s.StuckGoroutines; !near(goroutines, want, 5*math.Sqrt(inFlight)+1, 0) {
						fail("%.0f goroutines, want base %.0f + in flight %.1f + stuck %.0f", goroutines, svc.BaseGoroutines, inFlight, s.StuckGoroutines)
					}
					// CPU: base + requests + GC (+ burst work), where the limit
					// did not cap it; per-request cost wanders a few percent.
					cpu, gcCPU := v(recommender.CPU, k), v(recommender.GCCPU, k)
					if s.CPUDemandCores < svc.CPULimitCores {
						if want := svc.BaseCPUCores + r*svc.CPUSecondsPerRequest + s.ExtraCPUCores + gcCPU; !near(cpu, want, 0.001, 0.15) {
							fail("CPU %.4f cores, want base + %.1f req/s × %gs + GC %.4f + extra %.4f = %.4f", cpu, r, svc.CPUSecondsPerRequest, gcCPU, s.ExtraCPUCores, want)
						}
					} else if cpu > svc.CPULimitCores+1e-6 {
						fail("CPU %.4f cores above the limit %g", cpu, svc.CPULimitCores)
					}
					// Throttling follows demand over the limit; the counters hold
					// whole periods.
					if got, want := v(recommender.CPUThrottled, k), ThrottledShare(s.CPUDemandCores/svc.CPULimitCores); !near(got, want, 1.01/(cfsPeriodsPerSecond*stepSeconds), 0) {
						fail("throttled share %.4f, want %.4f", got, want)
					}
					// The signals are the truth the simulator reads.
					if !near(r, s.RequestsPerSecond, 1.01/stepSeconds, 0) || !near(cpu, s.CPUUsageCores, 1e-6, 0) || !near(gcCPU, s.GCCPUCores, 1e-6, 0) {
						fail("request rate %.3f, CPU %.6f, GC CPU %.6f; the model had %.3f, %.6f, %.6f", r, cpu, gcCPU, s.RequestsPerSecond, s.CPUUsageCores, s.GCCPUCores)
					}
					if v(recommender.GOGC, k) != 100 || !recommender.NoMemoryLimit(v(recommender.GOMEMLIMIT, k)) || v(recommender.GOMAXPROCS, k) != 2 {
						fail("GOGC %g, GOMEMLIMIT %g, GOMAXPROCS %g; want 100, unset, 2", v(recommender.GOGC, k), v(recommender.GOMEMLIMIT, k), v(recommender.GOMAXPROCS, k))
					}
					if t.Failed() {
						return
					}
				}
			}
		})
	}
}

// TestLittlesLawOnAverage checks goroutines against Little's law over hours,
// where the noise of single samples averages out.
func TestLittlesLawOnAverage(t *testing.T) {
	tr := generate(t, Config{Scenario: "diurnal", Seed: 3, Pods: 1, Duration: 24 * time.Hour})
	svc := tr.Service
	samples := tr.Pods[0].Samples
	for h := 0; h+60 <= len(samples); h += 60 {
		var inFlight, excess float64
		for _, s := range samples[h : h+60] {
			inFlight += s.RequestsPerSecond * svc.LatencySeconds / 60
			excess += (s.Goroutines - svc.BaseGoroutines) / 60
		}
		if !near(excess, inFlight, 1, 0.1) {
			t.Errorf("hour %d: %.2f goroutines above base on average, want %.2f in flight", h/60, excess, inFlight)
		}
	}
}

// TestScenarioShapes checks that each scenario does what it says.
func TestScenarioShapes(t *testing.T) {
	stats := func(tr *Trace, f func(Sample) float64) (median, peak float64) {
		var v []float64
		for _, s := range tr.Pods[0].Samples {
			v = append(v, f(s))
		}
		slices.Sort(v)
		return v[len(v)/2], v[len(v)-1]
	}
	rate := func(s Sample) float64 { return s.RequestsPerSecond }
	hourly := func(tr *Trace, hour int, f func(Sample) float64) float64 {
		var sum float64
		for _, s := range tr.Pods[0].Samples[hour*60 : hour*60+60] {
			sum += f(s)
		}
		return sum / 60
	}
	tests := []struct {
		scenario string
		check    func(t *testing.T, tr *Trace)
	}{
		{"steady", func(t *testing.T, tr *Trace) {
			if median, peak := stats(tr, rate); peak > 1.3*median {
				t.Errorf("request rate peaks at %.0f/s, median %.0f/s: not steady", peak, median)
			}
		}},
		{"diurnal", func(t *testing.T, tr *Trace) {
			// Monday: quiet at 04:00, busy at 16:00; Saturday's afternoon is quieter.
			night, afternoon, saturday := hourly(tr, 4, rate), hourly(tr, 16, rate), hourly(tr, 5*24+16, rate)
			if afternoon < 3*night || saturday > 0.8*afternoon {
				t.Errorf("request rate at 04:00 %.0f/s, 16:00 %.0f/s, Saturday 16:00 %.0f/s", night, afternoon, saturday)
			}
		}},
		{"spiky", func(t *testing.T, tr *Trace) {
			if median, peak := stats(tr, rate); peak < 2.5*median {
				t.Errorf("request rate peaks at %.0f/s, median %.0f/s: no spike", peak, median)
			}
		}},
		{"step", func(t *testing.T, tr *Trace) {
			var levels []float64
			for h := range 7 * 24 {
				levels = append(levels, hourly(tr, h, rate))
			}
			if lo, hi := slices.Min(levels), slices.Max(levels); hi < 1.4*lo {
				t.Errorf("hourly request rate between %.0f/s and %.0f/s: no step", lo, hi)
			}
		}},
		{"leak", func(t *testing.T, tr *Trace) {
			live := func(s Sample) float64 { return s.LiveHeapBytes }
			if grown := hourly(tr, 7*24-1, live) - hourly(tr, 0, live); grown < 250*MiB {
				t.Errorf("live heap grew %.0f MiB in a week, want a leak", grown/MiB)
			}
		}},
		{"alloc-bursts", func(t *testing.T, tr *Trace) {
			if median, peak := stats(tr, func(s Sample) float64 { return s.AllocBytesPerSecond }); peak < 10*median {
				t.Errorf("allocation rate peaks at %.0f MiB/s, median %.0f MiB/s: no burst", peak/MiB, median/MiB)
			}
		}},
		{"goroutine-storm", func(t *testing.T, tr *Trace) {
			if median, peak := stats(tr, func(s Sample) float64 { return s.Goroutines }); peak < 3000 || median > 100 {
				t.Errorf("goroutines peak at %.0f, median %.0f: no storm", peak, median)
			}
		}},
	}
	if len(tests) != len(Scenarios()) {
		t.Errorf("%d scenarios checked, %d exist", len(tests), len(Scenarios()))
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			tt.check(t, generate(t, Config{Scenario: tt.scenario, Seed: 11, Duration: 7 * 24 * time.Hour}))
		})
	}
}

// TestGOMEMLIMIT: a limit caps the heap goal, so GC runs more often; a
// limit the live heap outgrows leaves the GC at the CPU limiter's share.
func TestGOMEMLIMIT(t *testing.T) {
	base := Config{Scenario: "leak", Seed: 5, Duration: 7 * 24 * time.Hour}
	unset := generate(t, base)
	limited := base
	limited.GOMEMLIMITBytes = 512 * MiB
	tr := generate(t, limited)
	var capped, overLimit int
	for k, s := range tr.Pods[0].Samples {
		free := unset.Pods[0].Samples[k]
		switch {
		case s.GCLimited:
			overLimit++
			if s.GCCPUCores != 0.5*float64(tr.Service.GC.GOMAXPROCS) {
				t.Fatalf("step %d: GC limited at %.3f cores, want half of GOMAXPROCS", k, s.GCCPUCores)
			}
		case s.HeapGoalBytes < 2*s.LiveHeapBytes-1:
			capped++
			if s.HeapGoalBytes+s.NonHeapBytes > 512*MiB+1 || s.PeakWorkingSetBytes() > 512*MiB+1 {
				t.Fatalf("step %d: goal %.0f + non-heap %.0f exceeds GOMEMLIMIT", k, s.HeapGoalBytes, s.NonHeapBytes)
			}
			if s.GCCyclesPerSecond <= free.GCCyclesPerSecond {
				t.Fatalf("step %d: %.3f GC/s under GOMEMLIMIT, %.3f without: want more", k, s.GCCyclesPerSecond, free.GCCyclesPerSecond)
			}
		}
	}
	if capped == 0 {
		t.Error("GOMEMLIMIT never capped the heap goal of a week-long leak")
	}
	// 512 MiB fits the week's live heap: the limiter never needs to act.
	if overLimit != 0 {
		t.Errorf("the GC CPU limiter acted at %d steps", overLimit)
	}

	limited.GOMEMLIMITBytes = 192 * MiB
	tr = generate(t, limited)
	if last := tr.Pods[0].Samples[tr.Config.Steps()-1]; !last.GCLimited || last.PeakWorkingSetBytes() <= 192*MiB {
		t.Errorf("live heap %.0f MiB past GOMEMLIMIT 192 MiB: limited %t, peak working set %.0f MiB; want the heap to overshoot",
			last.LiveHeapBytes/MiB, last.GCLimited, last.PeakWorkingSetBytes()/MiB)
	}
}

func TestDeterministic(t *testing.T) {
	write := func(c Config) (string, string) {
		tr := generate(t, c)
		var om, truth bytes.Buffer
		if err := tr.WriteOpenMetrics(&om); err != nil {
			t.Fatal(err)
		}
		if err := tr.WriteTruth(&truth); err != nil {
			t.Fatal(err)
		}
		return om.String(), truth.String()
	}
	for _, sc := range Scenarios() {
		c := Config{Scenario: sc.Name, Seed: 42, Pods: 2, Duration: 12 * time.Hour}
		om1, truth1 := write(c)
		om2, truth2 := write(c)
		if om1 != om2 || truth1 != truth2 {
			t.Errorf("%s: the same seed gives different output", sc.Name)
		}
		c.Seed = 43
		om3, truth3 := write(c)
		if om1 == om3 || truth1 == truth3 {
			t.Errorf("%s: seeds 42 and 43 give the same output", sc.Name)
		}
	}
}

func TestPodNames(t *testing.T) {
	tr := generate(t, Config{Scenario: "alloc-bursts", Seed: 1, Pods: 30, Duration: time.Hour})
	shape := regexp.MustCompile(`^alloc-bursts-[` + generatedNameAlphabet + `]{10}-[` + generatedNameAlphabet + `]{5}$`)
	hashes := map[string]bool{}
	for i, p := range tr.Pods {
		if !shape.MatchString(p.Name) {
			t.Errorf("pod name %q is not <deployment>-<10 chars>-<5 chars> of the generated-name alphabet", p.Name)
		}
		if w := recommender.GuessWorkload(tr.Config.Namespace, p.Name); w != (recommender.WorkloadRef{Namespace: "synthetic", Kind: recommender.KindDeployment, Name: "alloc-bursts"}) {
			t.Errorf("pod %s groups into %s, want synthetic/Deployment/alloc-bursts", p.Name, w)
		}
		if i > 0 && p.Name <= tr.Pods[i-1].Name {
			t.Errorf("pods not sorted or not distinct: %s after %s", p.Name, tr.Pods[i-1].Name)
		}
		hashes[strings.Split(p.Name, "-")[2]] = true
	}
	if len(hashes) != 1 {
		t.Errorf("pods carry %d template hashes, want the one of their ReplicaSet", len(hashes))
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Scenario: "steady", Duration: time.Hour}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"unknown scenario", func(c *Config) { c.Scenario = "sawtooth" }, `unknown scenario "sawtooth" (known: steady, diurnal, spiky, step, leak, alloc-bursts, goroutine-storm)`},
		{"no pods", func(c *Config) { c.Pods = -1 }, "pods -1: want 1 to 1000"},
		{"shorter than a step", func(c *Config) { c.Duration = 30 * time.Second }, "duration 30s is shorter than a step of 1m0s"},
		{"fractional step", func(c *Config) { c.Step = 1500 * time.Millisecond }, "step 1.5s: want whole seconds from 1s to 1h"},
		{"too many samples", func(c *Config) { c.Pods, c.Duration = 1000, 7*24*time.Hour }, "scrape.OpenTrace reads at most 50000000 by default"},
		{"bad namespace", func(c *Config) { c.Namespace = "Shop_1" }, `namespace "Shop_1"`},
		{"GC off without a limit", func(c *Config) { c.GOGC = -1 }, "GOGC off needs GOMEMLIMIT"},
		{"negative GOMEMLIMIT", func(c *Config) { c.GOMEMLIMITBytes = -1 }, "GOMEMLIMIT -1 bytes is negative"},
		{"negative CPU limit", func(c *Config) { c.CPULimitCores = -2 }, "CPU limit -2 cores"},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(%+v): %v", ok, err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
			if tr, err := Generate(c); tr != nil || err == nil {
				t.Errorf("Generate(%+v) = %v, %v; want an error", c, tr, err)
			}
		})
	}
}
