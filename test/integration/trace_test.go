//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/prometheus"
	"github.com/pacerdev/pacer/sources/scrape"
)

// testTraceBackfill writes what the scraper holds as a trace, backfills it
// into a fresh Prometheus with promtool, and checks that the Prometheus
// source over the backfilled data and the trace source read the same signals:
// the trace format is what promtool ingests, with the names Prometheus holds.
func (f *fixture) testTraceBackfill(t *testing.T) {
	dir := t.TempDir()
	tracePath := filepath.Join(dir, "demo.om")
	out, err := os.Create(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := scrape.WriteTrace(out, f.scraper.Store()); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}

	trace, err := scrape.OpenTrace(tracePath, scrape.TraceOptions{RateRange: rateRange})
	if err != nil {
		t.Fatal(err)
	}
	_, end := trace.Span()

	dataDir := filepath.Join(dir, "tsdb")
	backfill := exec.Command(tool(t, "promtool"), "tsdb", "create-blocks-from", "openmetrics", tracePath, dataDir)
	if out, err := backfill.CombinedOutput(); err != nil {
		t.Fatalf("promtool refused the trace: %v\n%s", err, out)
	}
	url := startPrometheus(t, "global:\n  scrape_interval: 1m\n", dataDir)
	prom, err := prometheus.New(prometheus.Options{URL: url, RateRange: rateRange})
	if err != nil {
		t.Fatal(err)
	}

	// Compare a little before the end, where every series has a full rate window.
	at := end.Add(-2 * time.Second).Truncate(time.Second)
	fromProm, err := prom.Fetch(context.Background(), instantAt(at))
	if err != nil {
		t.Fatal(err)
	}
	fromTrace, err := trace.Fetch(context.Background(), instantAt(at))
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []recommender.Signal{
		recommender.Goroutines, recommender.AllocRate, recommender.LiveHeap, recommender.HeapGoal,
		recommender.GOGC, recommender.GOMAXPROCS, recommender.GCRate, recommender.RequestRate,
		recommender.CPU, recommender.Memory,
	} {
		for name, ref := range f.refs {
			p, tr := latest(t, fromProm, sig, ref), latest(t, fromTrace, sig, ref)
			// Gauges are the same samples; rates differ only by Prometheus'
			// extrapolation to the window's edges.
			if !within(tr, p, 0.15, floorOf(sig)) {
				t.Errorf("%s of %s at %s: trace %.4g, backfilled prometheus %.4g", sig, name, at.Format(time.TimeOnly), tr, p)
			}
		}
	}
}
