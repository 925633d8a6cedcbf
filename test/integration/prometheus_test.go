//go:build integration

package integration

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/prometheus"
)

func instantAt(at time.Time) recommender.Query {
	return recommender.Query{Window: recommender.Window{End: at}}
}

// TestDemoWorkloads runs four demo workloads, a real Prometheus scraping
// them and pacer's own scraper once, and checks both sources against them.
func TestDemoWorkloads(t *testing.T) {
	f := setUp(t)
	t.Run("sources agree with the processes", f.testAgreement)
	t.Run("range query", f.testRangeQuery)
	t.Run("escaping", f.testEscaping)
	t.Run("missing metrics", f.testMissingMetrics)
	t.Run("trace backfilled by promtool", f.testTraceBackfill)
	t.Run("report", f.testReport)
}

// testAgreement checks what both sources read from real Go processes
// against what the processes report about themselves, and the two sources
// against each other.
func (f *fixture) testAgreement(t *testing.T) {
	ctx := context.Background()

	// Measure each workload's own request count over a window the rates will cover.
	before := map[string]float64{}
	t1 := time.Now()
	for name, p := range f.procs {
		s, err := p.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		before[name] = float64(s.RequestsServed)
	}
	time.Sleep(rateRange) // a measurement window, not synchronization
	t2 := time.Now()
	own := map[string]float64{}
	goroutines := map[string]float64{}
	for name, p := range f.procs {
		s, err := p.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		own[name] = (float64(s.RequestsServed) - before[name]) / t2.Sub(t1).Seconds()
		goroutines[name] = float64(s.Goroutines)
	}

	prom, err := f.prom.Fetch(ctx, instantAt(t2))
	if err != nil {
		t.Fatal(err)
	}
	scraped, err := f.scraper.Fetch(ctx, instantAt(t2))
	if err != nil {
		t.Fatal(err)
	}

	for name, ref := range f.refs {
		for _, src := range []struct {
			name string
			snap *recommender.Snapshot
		}{{"prometheus", prom}, {"scrape", scraped}} {
			// Goroutines: 10%, with a floor for small counts: every open
			// monitoring connection (Prometheus, the scraper, this test's stats
			// request) holds a server goroutine or two of its own.
			if got := latest(t, src.snap, recommender.Goroutines, ref); !within(got, goroutines[name], 0.10, 6) {
				t.Errorf("%s: %s goroutines %.0f, the process says %.0f", src.name, name, got, goroutines[name])
			}
			if name != "spiky" { // a spiky rate depends on where the window falls
				if got := latest(t, src.snap, recommender.RequestRate, ref); !within(got, own[name], 0.10, 0) {
					t.Errorf("%s: %s request rate %.1f/s, the process served %.1f/s", src.name, name, got, own[name])
				}
			}
		}
	}

	// Allocation rate of the allocation-heavy workload: within 20% of its profile.
	const allocProfile = 32 << 20
	for _, snap := range []*recommender.Snapshot{prom, scraped} {
		if got := latest(t, snap, recommender.AllocRate, f.refs["alloc"]); !within(got, allocProfile, 0.20, 0) {
			t.Errorf("alloc workload allocates %.1f MiB/s, the profile says 32 MiB/s", got/(1<<20))
		}
	}
	// The distinct profiles are told apart.
	if a, s := latest(t, prom, recommender.AllocRate, f.refs["alloc"]), latest(t, prom, recommender.AllocRate, f.refs["steady"]); a < 5*s {
		t.Errorf("alloc workload %.0f B/s is not far above steady %.0f B/s", a, s)
	}

	// The scraper agrees with Prometheus on every signal both have.
	tolerance := map[recommender.Signal]float64{
		recommender.Goroutines: 0.10, recommender.RequestRate: 0.15, recommender.AllocRate: 0.20,
		recommender.LiveHeap: 0.25, recommender.HeapGoal: 0.25, recommender.Memory: 0.20,
		recommender.CPU: 0.35, recommender.GCRate: 0.35, recommender.GCCPU: 0.50,
		recommender.GOGC: 0, recommender.GOMEMLIMIT: 0, recommender.GOMAXPROCS: 0,
	}
	for sig, tol := range tolerance {
		for name, ref := range f.refs {
			if sig == recommender.RequestRate && name == "spiky" {
				continue
			}
			p, s := latest(t, prom, sig, ref), latest(t, scraped, sig, ref)
			if !within(s, p, tol, floorOf(sig)) {
				t.Errorf("%s of %s: scraper %.4g, prometheus %.4g (tolerance %.0f%%)", sig, name, s, p, tol*100)
			}
		}
	}
}

// floorOf is the absolute difference below which two readings agree: a
// few monitoring connections' goroutines, a GC cycle in a 10 s window, 10
// millicores, and the 4 MiB minimum heap goal: the two sources read a small
// heap at different instants, and a request spike moves it by that much.
func floorOf(sig recommender.Signal) float64 {
	switch sig {
	case recommender.Goroutines:
		return 6
	case recommender.LiveHeap, recommender.HeapGoal:
		return 4 << 20
	case recommender.GCRate:
		return 0.1
	case recommender.CPU, recommender.GCCPU:
		return 0.01
	}
	return 0
}

func (f *fixture) testRangeQuery(t *testing.T) {
	end := time.Now()
	snap, err := f.prom.Fetch(context.Background(), recommender.Query{
		Window: recommender.Window{End: end, Range: 12 * time.Second, Step: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	series, ok := snap.Lookup(recommender.RequestRate, f.refs["spiky"])
	if !ok || len(series.Samples) < 10 {
		t.Fatalf("spiky request rate over 12 s: %+v", series)
	}
	lo, hi := series.Samples[0].Value, series.Samples[0].Value
	for _, s := range series.Samples {
		lo, hi = min(lo, s.Value), max(hi, s.Value)
	}
	// Spikes of 5× for 2 s in every 6 s move a 10 s rate between about 72/s
	// and 104/s (one or two spikes in the window).
	if hi < 1.25*lo {
		t.Errorf("spiky workload's request rate ranges only %.0f..%.0f/s", lo, hi)
	}
}

// testEscaping sends hostile selector values to the real
// Prometheus: each must select nothing, never fail to parse or select more.
func (f *fixture) testEscaping(t *testing.T) {
	ctx := context.Background()
	for _, ns := range []string{`demo"} or vector(1) #`, `demo\"} or vector(1)`, "demo\"}\nor vector(1)", `.*`, `de.*`, `demo|x`} {
		snap, err := f.prom.Fetch(ctx, recommender.Query{
			Window: recommender.Window{End: time.Now()}, Selector: recommender.Selector{Namespaces: []string{ns}},
		})
		if err != nil {
			t.Fatalf("namespace %q: %v", ns, err)
		}
		for sig, series := range snap.Series {
			t.Errorf("namespace %q selected %d %s series", ns, len(series), sig)
		}
		for sig, problem := range snap.Problems {
			if !errors.Is(problem, recommender.ErrNoData) {
				t.Errorf("namespace %q: %s: %v, want no data", ns, sig, problem)
			}
		}
	}
	snap, err := f.prom.Fetch(ctx, recommender.Query{
		Window:   recommender.Window{End: time.Now()},
		Selector: recommender.Selector{Namespaces: []string{"demo"}, Pods: []string{f.refs["steady"].Pod, f.refs["alloc"].Pod}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(snap.Series[recommender.Goroutines]); n != 2 {
		t.Errorf("two pods selected, %d goroutine series returned", n)
	}
}

// testMissingMetrics: the demo workloads have no cAdvisor metrics,
// so CPU and memory fall back to process metrics and throttling is reported
// missing with the reason.
func (f *fixture) testMissingMetrics(t *testing.T) {
	snap, err := f.prom.Fetch(context.Background(), instantAt(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []recommender.Signal{recommender.CPU, recommender.Memory, recommender.HeapGoal, recommender.GCCPU} {
		if len(snap.Series[sig]) != len(workloads) {
			t.Errorf("%s: %d series, want %d: %v", sig, len(snap.Series[sig]), len(workloads), snap.Problems[sig])
		}
	}
	problem := snap.Problems[recommender.CPUThrottled]
	if problem == nil || !strings.Contains(problem.Error(), "container_cpu_cfs_throttled_periods_total") ||
		!strings.Contains(problem.Error(), "not present") {
		t.Errorf("cpu_throttled problem = %v, want the missing cAdvisor metric named", problem)
	}
	avail, err := f.prom.Detect(context.Background(), recommender.Selector{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(avail.Missing, ",") != "container_cpu_cfs_periods_total,container_cpu_cfs_throttled_periods_total,container_cpu_usage_seconds_total,container_memory_working_set_bytes" {
		t.Errorf("missing metrics: %v", avail.Missing)
	}
}

func TestPrometheusDown(t *testing.T) {
	src, err := prometheus.New(prometheus.Options{URL: "http://" + freeAddr(t), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Fetch(context.Background(), instantAt(time.Now()))
	var qe *prometheus.QueryError
	if !errors.As(err, &qe) || qe.Kind != prometheus.KindUnreachable {
		t.Errorf("err = %v, want an unreachable QueryError", err)
	}
}
