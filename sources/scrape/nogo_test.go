package scrape

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// TestTargetWithoutGoMetrics scrapes a service that is not written in Go
// (a JVM exporter's process metrics): its CPU and memory are read from the
// process_* fallbacks, and every Go signal is a typed no-data outcome that
// names the metric it lacks, not a zero and not a failed fetch.
func TestTargetWithoutGoMetrics(t *testing.T) {
	var n atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		i := n.Add(1)
		w.Header().Set("Content-Type", textFormat)
		fmt.Fprintf(w, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %d\n"+
			"# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 268435456\n"+
			"# TYPE jvm_threads_current gauge\njvm_threads_current 42\n"+
			"# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} %d\n", 5*i, 1000*i)
	}))
	clk := newClock()
	s := newScraper(t, clk, nil, target(srv.URL+"/metrics", "billing-0"))
	for range 3 {
		scrapeOnce(t, s)
		clk.Advance(10 * time.Second)
	}
	snap := fetch(t, s, recommender.Window{End: clk.Now().Add(-10 * time.Second)})
	want := map[recommender.Signal]float64{recommender.CPU: 0.5, recommender.Memory: 256 << 20, recommender.RequestRate: 100}
	for sig, v := range want {
		if series := snap.Series[sig]; len(series) != 1 || len(series[0].Samples) != 1 || series[0].Samples[0].Value != v {
			t.Errorf("%s = %v (problem %v), want %v", sig, series, snap.Problems[sig], v)
		}
	}
	for _, sig := range []recommender.Signal{recommender.Goroutines, recommender.AllocRate, recommender.LiveHeap, recommender.GOGC, recommender.GCRate} {
		var nd *recommender.NoDataError
		if err := snap.Problems[sig]; !errors.As(err, &nd) || !strings.Contains(nd.Reason, "no selected container exposes go_") {
			t.Errorf("%s: problem %v, want a *NoDataError naming the Go metric", sig, err)
		}
		if len(snap.Series[sig]) > 0 {
			t.Errorf("%s = %v, want no series", sig, snap.Series[sig])
		}
	}
}
