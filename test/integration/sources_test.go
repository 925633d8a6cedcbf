//go:build integration

package integration

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/pacerdev/pacer/demo"
	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/prometheus"
	"github.com/pacerdev/pacer/sources/scrape"
)

// rateRange is short so the suite needs only seconds of history; Prometheus
// and the scraper both scrape every second.
const rateRange = 10 * time.Second

// The workloads of the suite: distinct enough that mixing up two pods fails.
var workloads = []demo.Workload{
	{Name: "steady", Args: []string{"--profile", "steady", "--rps", "100"}},
	{Name: "alloc", Args: []string{"--profile", "alloc", "--rps", "20", "--alloc-rate", "32MiB"}},
	{Name: "goroutines", Args: []string{"--profile", "goroutines", "--rps", "50", "--goroutine-leak-rate", "0", "--goroutines", "1500"}},
	{Name: "spiky", Args: []string{"--profile", "spiky", "--rps", "40", "--spike-every", "6s", "--spike-for", "2s", "--spike-factor", "5"}},
}

type fixture struct {
	procs      map[string]*demo.Process
	refs       map[string]recommender.ContainerRef
	prom       *prometheus.Source
	promURL    string
	scraper    *scrape.Scraper
	stopScrape context.CancelFunc
}

func setUp(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{procs: map[string]*demo.Process{}, refs: map[string]recommender.ContainerRef{}}
	var targets []scrapeTarget
	var scrapeTargets []scrape.Target
	for _, w := range workloads {
		p := startDemo(t, w)
		f.procs[w.Name] = p
		ref := recommender.ContainerRef{Namespace: "demo", Pod: demo.PodName(w.Name), Container: "app"}
		f.refs[w.Name] = ref
		targets = append(targets, scrapeTarget{p.URL, ref.Namespace, ref.Pod, ref.Container})
		scrapeTargets = append(scrapeTargets, scrape.Target{URL: p.URL + "/metrics", Ref: ref})
	}
	f.promURL = startPrometheus(t, prometheusConfig(targets), t.TempDir())

	var err error
	f.scraper, err = scrape.New(scrape.Options{Targets: scrapeTargets, Interval: time.Second, RateRange: rateRange})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = f.scraper.Run(ctx); close(done) }()
	f.stopScrape = func() { cancel(); <-done }
	t.Cleanup(f.stopScrape)

	f.prom, err = prometheus.New(prometheus.Options{URL: f.promURL, RateRange: rateRange, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until both sources have 15 s of every workload, so rates over 10 s are full.
	ready := time.Now().Add(15 * time.Second)
	waitFor(t, 60*time.Second, "15 seconds of samples of every workload", func() (bool, error) {
		if time.Now().Before(ready) {
			return false, nil
		}
		for _, src := range []recommender.Source{f.prom, f.scraper} {
			snap, err := src.Fetch(context.Background(), recommender.Query{Window: recommender.Window{End: time.Now()}})
			if err != nil || len(snap.Series[recommender.RequestRate]) < len(workloads) {
				return false, nil
			}
		}
		return true, nil
	})
	return f
}

// latest returns the newest value of a signal for a workload.
func latest(t *testing.T, snap *recommender.Snapshot, sig recommender.Signal, ref recommender.ContainerRef) float64 {
	t.Helper()
	series, ok := snap.Lookup(sig, ref)
	if !ok {
		t.Fatalf("no %s for %s; problem: %v", sig, ref, snap.Problems[sig])
	}
	s, ok := series.Latest()
	if !ok {
		t.Fatalf("empty %s series for %s", sig, ref)
	}
	return s.Value
}

// within reports whether got is within tolerance (a fraction) of want, or
// within an absolute floor for values near zero.
func within(got, want, tolerance, floor float64) bool {
	return math.Abs(got-want) <= max(tolerance*math.Abs(want), floor)
}
