package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime/debug"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	pacermetrics "github.com/pacerdev/pacer/actuator/metrics"
	"github.com/pacerdev/pacer/actuator/report"
	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
	promsource "github.com/pacerdev/pacer/sources/prometheus"
)

// The loop's timing in the scale benchmarks: serve's defaults.
const (
	scaleStep     = time.Minute
	scaleLookback = 24 * time.Hour
	// scaleWarmupEvery thins the warm-up cycle's 24 hours to a sample every
	// 6 hours: enough for the default policy's 24 hours of minimum history,
	// at a fraction of the cost. BenchmarkScaleFirstCycle measures a full one.
	scaleWarmupEvery = 6 * time.Hour
)

// queriesPerCycle is what every cycle of the scale benchmarks must send:
// one range query per signal for all pods, however many there are. (The
// fake Prometheus has every metric, so the query that explains missing
// ones is never sent; a window of more than 11,000 steps would be split.)
var queriesPerCycle = int64(len(recommender.Signals()))

var scaleStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// scaleLoop is pacer's loop wired as serve wires it — the Prometheus source
// from serve's flags, the policy engine with the default policy, the
// metrics exporter and the dashboard as sinks — against a fake Prometheus
// that holds the synthetic cluster, on a clock the benchmark moves.
type scaleLoop struct {
	prom   *fakePrometheus
	loop   *recommender.Loop
	reg    *prometheus.Registry
	now    time.Time
	phases phases
}

// startFakePrometheus serves the cluster on loopback until the test ends.
func startFakePrometheus(tb testing.TB, cluster *scaleCluster) (*fakePrometheus, *promsource.Source) {
	tb.Helper()
	prom := &fakePrometheus{cluster: cluster, signalOf: map[string]recommender.Signal{}}
	srv := httptest.NewUnstartedServer(prom)
	srv.Listener = countingListener{srv.Listener, &prom.wireBytes}
	srv.Start()
	tb.Cleanup(srv.Close)

	var so sourceOptions
	fs := pflag.NewFlagSet("scale", pflag.ContinueOnError)
	so.addFlags(fs)
	if err := fs.Parse([]string{"--prometheus-url=" + srv.URL}); err != nil {
		tb.Fatal(err)
	}
	po, err := so.prometheusOptions()
	if err != nil {
		tb.Fatal(err)
	}
	src, err := promsource.New(po)
	if err != nil {
		tb.Fatal(err)
	}
	for _, sig := range recommender.Signals() {
		query, err := src.Render(sig, recommender.Selector{})
		if err != nil {
			tb.Fatal(err)
		}
		prom.signalOf[query] = sig
	}
	return prom, src
}

func newScaleLoop(tb testing.TB, prom *fakePrometheus, src *promsource.Source, lookback time.Duration) *scaleLoop {
	tb.Helper()
	set := policy.DefaultSet()
	resolve := func(w recommender.WorkloadRef) (policy.Policy, error) { return set.For(w, nil, nil) }
	engine := policy.NewEngine(resolve)
	s := &scaleLoop{prom: prom, reg: prometheus.NewRegistry(), now: scaleStart}
	exporter, err := pacermetrics.New(s.reg)
	if err != nil {
		tb.Fatal(err)
	}
	dash := report.NewDashboard(src, report.DashboardOptions{Now: func() time.Time { return s.now }})
	timed := timedSource{src, &s.phases.fetch}
	s.loop, err = recommender.NewLoop(timed, timedEvaluator{engine, resolve, &s.phases}, recommender.LoopOptions{
		Interval: scaleStep, Step: scaleStep, Lookback: lookback,
		Now: func() time.Time { return s.now },
	}, exporter, dash)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// cycle runs one cycle and checks it: nothing failed, every workload has
// a recommendation, exactly queriesPerCycle queries were sent — so the
// number is the same at every size the benchmarks run.
func (s *scaleLoop) cycle(tb testing.TB) *recommender.Cycle {
	before := s.prom.requests.Load()
	c := s.loop.RunCycle(context.Background())
	switch queries := s.prom.requests.Load() - before; {
	case queries != queriesPerCycle:
		tb.Fatalf("a cycle over %d pods sent %d queries, want %d, one per signal: queries must not grow with workloads",
			len(s.prom.cluster.pods), queries, queriesPerCycle)
	case c.Err != nil:
		tb.Fatal(c.Err)
	case len(c.Snapshot.Problems) > 0:
		tb.Fatalf("signals without data: %v", c.Snapshot.Problems)
	case len(c.Recommendations) != s.prom.cluster.workloads:
		tb.Fatalf("%d recommendations for %d workloads", len(c.Recommendations), s.prom.cluster.workloads)
	}
	return c
}

// warmUp runs the first cycle over a thinned lookback (see scaleWarmupEvery)
// and one cycle of new data, after which every workload is ready.
func (s *scaleLoop) warmUp(tb testing.TB) {
	tb.Helper()
	if err := s.prom.prepare(recommender.Window{End: s.now, Range: scaleLookback, Step: scaleStep}, scaleWarmupEvery); err != nil {
		tb.Fatal(err)
	}
	s.cycle(tb)
	s.next(tb)
	for _, r := range s.cycle(tb).Recommendations {
		if r.Outcome != recommender.OutcomeReady {
			tb.Fatalf("after the warm-up, %s is %s: %v", r.Workload, r.Outcome, r.Missing)
		}
	}
}

// next moves the clock one step and prepares the answers for that step.
func (s *scaleLoop) next(tb testing.TB) {
	s.now = s.now.Add(scaleStep)
	if err := s.prom.prepare(recommender.Window{End: s.now, Range: scaleStep, Step: scaleStep}, 0); err != nil {
		tb.Fatal(err)
	}
}

var scalePods = []int{1_000, 10_000, 50_000}

// BenchmarkScaleCycle is one steady-state cycle of pacer's loop — one
// step of new data for every pod, fetched from Prometheus, folded into the
// policy state, recommended on and published — over 1,000 to 50,000 pods
// whose state already holds a day of history. Besides the time per cycle it
// reports the time in each phase; the queries and bytes a cycle receives
// (the queries checked to be one per signal at every size); the peak heap
// during the cycle and the heap that stays in use after it (above the heap
// before pacer was built, not counting the fake Prometheus' answers); the
// peak resident set of the process during the cycle; and what one scrape of
// pacer's /metrics then costs.
//
// A 50,000-pod cycle takes seconds, so at the default -benchtime each size
// runs its cycle once or a few times per -count; the setup (building the
// cluster and a day of state) is outside the timer but not free: about
// three times the cycle.
func BenchmarkScaleCycle(b *testing.B) {
	for _, pods := range scalePods {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			prom, src := startFakePrometheus(b, newScaleCluster(pods))
			base := heapAfterGC()
			s := newScaleLoop(b, prom, src, scaleLookback)
			s.warmUp(b)

			peak := startHeapPeak(b)
			traffic := prom.traffic()
			s.phases = phases{}
			var answers uint64
			cycles := 0
			for b.Loop() {
				b.StopTimer()
				s.next(b)
				answers = max(answers, prom.answerSize())
				debug.FreeOSMemory()
				b.StartTimer()
				peak.arm()
				s.cycle(b)
				peak.disarm()
				cycles++
			}
			traffic.report(b, prom, cycles)
			s.phases.report(b, cycles)
			peak.report(b, base, answers)
			prom.drop()
			b.ReportMetric(float64(heapAfterGC().objects)-float64(base.objects), "live-heap-B")
			took, size := s.scrapeMetrics(b)
			b.ReportMetric(float64(took.Nanoseconds()), "scrape-ns")
			b.ReportMetric(float64(size), "scrape-B")
		})
	}
}

// BenchmarkScaleFirstCycle is pacer's first cycle: a fresh engine reads the
// whole lookback at one sample a minute. Its cost grows with pods times
// lookback (a 1,000-pod day takes about as long and as much memory as
// 10,000 pods over 2.4 hours), so it runs the two sizes over an hour, and
// 1,000 pods over 6 hours for the growth with the lookback; serve's
// default of 24 hours over 10,000 pods would need tens of GiB here.
func BenchmarkScaleFirstCycle(b *testing.B) {
	for _, bc := range []struct {
		pods     int
		lookback time.Duration
	}{{1_000, time.Hour}, {10_000, time.Hour}, {1_000, 6 * time.Hour}} {
		b.Run(fmt.Sprintf("pods=%d/lookback=%dh", bc.pods, int(bc.lookback.Hours())), func(b *testing.B) {
			prom, src := startFakePrometheus(b, newScaleCluster(bc.pods))
			if err := prom.prepare(recommender.Window{End: scaleStart, Range: bc.lookback, Step: scaleStep}, 0); err != nil {
				b.Fatal(err)
			}
			base := heapAfterGC()
			peak := startHeapPeak(b)
			traffic := prom.traffic()
			var spent phases
			cycles := 0
			for b.Loop() {
				b.StopTimer()
				s := newScaleLoop(b, prom, src, bc.lookback)
				debug.FreeOSMemory()
				b.StartTimer()
				peak.arm()
				s.cycle(b)
				peak.disarm()
				spent.fetch += s.phases.fetch
				spent.observe += s.phases.observe
				spent.recommend += s.phases.recommend
				cycles++
			}
			traffic.report(b, prom, cycles)
			spent.report(b, cycles)
			peak.report(b, base, 0) // the answer was prepared before base
		})
	}
}

// TestScaleQueriesPerCycleDoNotGrow holds the promise the scale benchmarks
// measure where every test run sees it: ten times the pods, the same queries.
func TestScaleQueriesPerCycleDoNotGrow(t *testing.T) {
	perCycle := map[int]int64{}
	for _, pods := range []int{50, 500} {
		prom, src := startFakePrometheus(t, newScaleCluster(pods))
		s := newScaleLoop(t, prom, src, scaleLookback)
		s.warmUp(t)
		s.next(t)
		before := prom.requests.Load()
		s.cycle(t)
		perCycle[pods] = prom.requests.Load() - before
	}
	if perCycle[50] != perCycle[500] || perCycle[50] != queriesPerCycle {
		t.Errorf("queries per cycle: %v; want one per signal (%d) at any size", perCycle, queriesPerCycle)
	}
}
