package policy_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pacerdev/pacer/actuator/external"
	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
)

// The endurance run: the loop as serve runs it (the policy engine with the
// default policy, the external metrics store as a sink) on a fake clock
// against an in-process source, for hours of one-minute cycles over
// thousands of workloads whose pods are replaced by rollouts. `make test`
// runs a short one; the numbers in BENCHMARKS.md come from
//
//	go test ./policy -run '^TestEndurance$' -count=1 -v -timeout 60m -endurance-hours=48 -endurance-workloads=2000
var (
	enduranceHours     = flag.Int("endurance-hours", 4, "simulated hours of the endurance test")
	enduranceWorkloads = flag.Int("endurance-workloads", 150, "workloads of the endurance test, two pods each")
	// enduranceChurn replaces workloads by new ones (preview environments,
	// renamed services); the engine keeps the state of every workload it
	// has ever seen, so with churn the heap grows: see the report of issue 8.
	enduranceChurn = flag.Int("endurance-churn", 0, "workloads replaced by new ones per simulated hour")
)

// heapGrowthFactor bounds the live heap of the last hours against the
// first hour after warm-up: the state per workload is fixed-size
// (histograms, a few last values, a bounded ring of rates), so any steady
// growth is a leak.
const heapGrowthFactor = 1.25

// warmupHours is how long the heap may grow: the run's policy needs an hour
// of history before its recommendations are ready, and a ready
// recommendation holds more (targets, bounds, reasons) than an
// insufficient-data one. With the default policy's 24 hours the same step
// comes at hour 24 (BENCHMARKS.md).
const warmupHours = 2

// fakeCluster is the source: Deployments svc-NNNN with two pods each, whose
// Go signals follow a daily wave, each workload at its own scale and phase.
type fakeCluster struct {
	workloads  int
	generation []int // per workload: how many rollouts it has had
	id         []int // per workload slot: the number in its name
}

// generated spells n in the alphabet Kubernetes draws generated name
// suffixes from, width characters long.
func generated(n, width int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, width)
	for i := range b {
		b[i] = alphabet[n%len(alphabet)]
		n /= len(alphabet)
	}
	return string(b)
}

func (c *fakeCluster) pods(w int) []recommender.ContainerRef {
	hash := generated(w*7919+c.generation[w]*104729, 10)
	return []recommender.ContainerRef{
		{Namespace: "shop", Pod: fmt.Sprintf("svc-%04d-%s-%s", c.id[w], hash, generated(c.generation[w], 5)), Container: "app"},
		{Namespace: "shop", Pod: fmt.Sprintf("svc-%04d-%s-%s", c.id[w], hash, generated(c.generation[w]+1, 5)), Container: "app"},
	}
}

// Fetch returns every signal of every pod at each step of the window.
func (c *fakeCluster) Fetch(_ context.Context, q recommender.Query) (*recommender.Snapshot, error) {
	if err := q.Window.Validate(); err != nil {
		return nil, err
	}
	var instants []time.Time
	if q.Window.Instant() {
		instants = []time.Time{q.Window.End}
	} else {
		for t := q.Window.Start(); !t.After(q.Window.End); t = t.Add(q.Window.Step) {
			instants = append(instants, t)
		}
	}
	snap := recommender.NewSnapshot(q.Window)
	for w := range c.workloads {
		scale := 1 + float64(w%10)
		phase := float64(w)
		for _, ref := range c.pods(w) {
			for sig, base := range map[recommender.Signal]float64{
				recommender.Goroutines: 200, recommender.AllocRate: 4 << 20, recommender.LiveHeap: 50 << 20,
				recommender.HeapGoal: 100 << 20, recommender.GOGC: 100, recommender.GOMAXPROCS: 2,
				recommender.GCRate: 0.5, recommender.GCCPU: 0.01, recommender.RequestRate: 300,
				recommender.CPU: 0.2, recommender.Memory: 150 << 20, recommender.CPUThrottled: 0.01,
			} {
				samples := make([]recommender.Sample, len(instants))
				for i, t := range instants {
					day := 2 * math.Pi * float64(t.Unix()%86400) / 86400
					samples[i] = recommender.Sample{At: t, Value: base * scale * (1 + 0.5*math.Sin(day+phase))}
				}
				snap.Series[sig] = append(snap.Series[sig], recommender.Series{Ref: ref, Samples: samples})
			}
		}
	}
	return snap, nil
}

// countingSink checks every cycle recommends for every workload.
type countingSink struct {
	t               *testing.T
	workloads       int
	failed          int
	last, lastReady int
}

func (s *countingSink) Publish(_ context.Context, c *recommender.Cycle) error {
	s.last, s.lastReady = len(c.Recommendations), 0
	for _, r := range c.Recommendations {
		if r.Outcome == recommender.OutcomeReady {
			s.lastReady++
		}
	}
	if c.Err != nil || len(c.Recommendations) < s.workloads {
		s.failed++
		if s.failed <= 3 {
			s.t.Errorf("cycle at %s: %d recommendations, error %v; want %d and none", c.At, len(c.Recommendations), c.Err, s.workloads)
		}
	}
	return nil
}

type heapSample struct {
	hour             int
	heapAlloc, inUse uint64
	goroutines       int
	cycleMean        time.Duration
}

func measure(hour int) heapSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return heapSample{hour: hour, heapAlloc: ms.HeapAlloc, inUse: ms.HeapInuse, goroutines: runtime.NumGoroutine()}
}

// TestEndurance runs the loop for hours of simulated one-minute cycles and
// checks that the live heap and the goroutines stay flat: after warm-up,
// the state holds every workload, every recommendation is ready, and
// nothing may grow with time or with pods replaced by rollouts.
func TestEndurance(t *testing.T) {
	defer goleak.VerifyNone(t)
	hours, workloads := *enduranceHours, *enduranceWorkloads
	if testing.Short() {
		hours, workloads = warmupHours+2, 50
	}
	if hours < warmupHours+2 {
		t.Fatalf("-endurance-hours=%d: need at least %d (%d of warm-up, two to compare)", hours, warmupHours+2, warmupHours)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cluster := &fakeCluster{workloads: workloads, generation: make([]int, workloads), id: make([]int, workloads)}
	for w := range cluster.id {
		cluster.id[w] = w
	}
	// The default policy but for an hour of history, so that a short run
	// reaches ready recommendations.
	p, err := policy.Default().WithAnnotations(map[string]string{policy.OverridePrefix + "history.minimum": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	engine := policy.NewEngine(func(recommender.WorkloadRef) (policy.Policy, error) { return p, nil })
	store, err := external.NewStore(external.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	sink := &countingSink{t: t, workloads: workloads}
	loop, err := recommender.NewLoop(cluster, engine, recommender.LoopOptions{
		Interval: time.Minute, Lookback: time.Hour, Now: func() time.Time { return now },
	}, sink, store)
	if err != nil {
		t.Fatal(err)
	}

	var samples []heapSample
	rollout, replaced := 0, 0
	for hour := 1; hour <= hours; hour++ {
		var spent time.Duration
		for minute := range 60 {
			now = now.Add(time.Minute)
			for range *enduranceChurn*(minute+1)/60 - *enduranceChurn*minute/60 {
				cluster.id[replaced%workloads] = workloads + replaced
				replaced++
			}
			// Each cycle one workload rolls out, one after another, so
			// every workload's pods change names as on a cluster that deploys.
			cluster.generation[rollout%workloads]++
			rollout++
			start := time.Now()
			loop.RunCycle(context.Background())
			spent += time.Since(start)
		}
		s := measure(hour)
		s.cycleMean = spent / 60
		samples = append(samples, s)
		t.Logf("hour %2d: heap alloc %6.1f MiB, heap in use %6.1f MiB, goroutines %d, cycle %s, rollouts %d, workloads replaced %d, recommendations %d (%d ready)",
			hour, mib(s.heapAlloc), mib(s.inUse), s.goroutines, s.cycleMean.Round(time.Millisecond), rollout, replaced, sink.last, sink.lastReady)
	}

	if sink.lastReady != workloads {
		t.Errorf("the last cycle has %d ready recommendations of %d; the run never left warm-up", sink.lastReady, workloads)
	}
	first := samples[warmupHours-1]
	var worst heapSample
	for _, s := range samples[warmupHours:] {
		if s.heapAlloc > worst.heapAlloc {
			worst = s
		}
	}
	for _, s := range samples[1:] {
		if s.goroutines > samples[0].goroutines {
			t.Errorf("hour %d: %d goroutines, hour 1 had %d", s.hour, s.goroutines, samples[0].goroutines)
		}
	}
	if limit := uint64(heapGrowthFactor * float64(first.heapAlloc)); worst.heapAlloc > limit {
		t.Errorf("live heap grew from %.1f MiB in hour %d, after warm-up, to %.1f MiB in hour %d; want at most %.2f×",
			mib(first.heapAlloc), first.hour, mib(worst.heapAlloc), worst.hour, heapGrowthFactor)
	}
	var b strings.Builder
	for _, s := range samples {
		fmt.Fprintf(&b, " %.1f", mib(s.heapAlloc))
	}
	t.Logf("%d workloads, %d pods, %d hours of 1m cycles, %d rollouts; live heap per hour (MiB):%s; last/hour %d %.3f, max/hour %d %.3f",
		workloads, 2*workloads, hours, rollout, b.String(), first.hour, float64(samples[len(samples)-1].heapAlloc)/float64(first.heapAlloc),
		first.hour, float64(worst.heapAlloc)/float64(first.heapAlloc))
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
