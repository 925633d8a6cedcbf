package scrape

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// explodingBatch is one scrape of a target whose label explodes: n samples
// of one metric, each with a label value never seen before.
func explodingBatch(scrape, n int) []omSample {
	out := make([]omSample, n)
	for i := range out {
		out[i] = omSample{name: "http_requests_total", family: "http_requests_total", typ: typeCounter, value: 1,
			labels: labels{{"request_id", strconv.Itoa(scrape*n + i)}}}
	}
	return out
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestStoreBoundsLabelExplosion feeds a million distinct label values to
// one container, as a target that puts a request ID into a label would:
// the store keeps at most the container's limit of series, refuses each
// scrape that would pass it with an error naming the container, keeps
// storing a well-behaved neighbour, and its heap stays bounded.
func TestStoreBoundsLabelExplosion(t *testing.T) {
	const (
		perContainer = 10_000
		batch        = 10_000
		scrapes      = 100 // 1e6 distinct label values
		// maxHeapGrowth is far above what 10k series of one point take
		// (a few MiB) and far below what a million take (~500 MiB).
		maxHeapGrowth = 64 << 20
	)
	exploding := recommender.ContainerRef{Namespace: "shop", Pod: "leaky-0", Container: "app"}
	st := NewStore(time.Hour, 200_000)
	st.LimitPerContainer(perContainer)
	before := heapInUse()

	refused := 0
	for i := range scrapes {
		at := int64(i+1) * 15_000
		_, err := st.appendScrape(exploding, explodingBatch(i, batch), at, "http://leaky-0/metrics")
		switch {
		case err == nil:
		case !errors.Is(err, ErrTooManySeries):
			t.Fatalf("scrape %d: %v is not ErrTooManySeries", i, err)
		case !strings.Contains(err.Error(), "http://leaky-0/metrics") || !strings.Contains(err.Error(), exploding.String()):
			t.Fatalf("scrape %d: error %q names neither the target nor the container", i, err)
		default:
			refused++
		}
		good := []omSample{gaugeSample("go_goroutines", float64(i)), gaugeSample("go_threads", 8)}
		if n, err := st.appendScrape(checkout, good, at, "http://checkout-0/metrics"); err != nil || n != 2 {
			t.Fatalf("scrape %d of the well-behaved neighbour: stored %d, %v; want 2, nil", i, n, err)
		}
	}
	after := heapInUse()

	series, points := st.Stats()
	if series > perContainer+2 {
		t.Errorf("the store holds %d series after %d distinct label values; want at most %d", series, scrapes*batch, perContainer+2)
	}
	if refused != scrapes-1 {
		t.Errorf("%d scrapes refused, want all but the first (%d)", refused, scrapes-1)
	}
	if got := st.containers[checkout].numSeries; got != 2 {
		t.Errorf("the neighbour holds %d series, want 2", got)
	}
	if grew := int64(after) - int64(before); grew > maxHeapGrowth {
		t.Errorf("heap grew by %d MiB holding %d series and %d points; want under %d MiB", grew>>20, series, points, maxHeapGrowth>>20)
	}
	t.Logf("%d label values: %d series, %d points held, heap %+d KiB", scrapes*batch, series, points, (int64(after)-int64(before))>>10)

	// Once the excess series go stale, the container has room again.
	st.Forget(time.UnixMilli(int64(scrapes) * 15_000))
	if _, err := st.appendScrape(exploding, explodingBatch(scrapes, 10), int64(scrapes+1)*15_000, "test"); err != nil {
		t.Errorf("after the stale series were forgotten: %v", err)
	}
	if got := st.containers[exploding].numSeries; got != 10 {
		t.Errorf("after forgetting: the container holds %d series, want 10", got)
	}
}

// TestStoreCountsMatchAfterChurn checks the per-container count that the
// limit relies on against what the maps hold, through appends, refusals
// and forgetting.
func TestStoreCountsMatchAfterChurn(t *testing.T) {
	st := NewStore(time.Minute, 50)
	st.LimitPerContainer(20)
	refs := []recommender.ContainerRef{checkout, {Namespace: "shop", Pod: "cart-0", Container: "app"}, {Namespace: "ops", Pod: "agent-x", Container: "agent"}}
	for i := range 200 {
		ref := refs[i%len(refs)]
		_, _ = st.appendScrape(ref, explodingBatch(i, 1+i%7), int64(i)*1000, "test")
		if i%13 == 0 {
			st.Forget(time.UnixMilli(int64(i-30) * 1000))
		}
		total := 0
		for r, c := range st.containers {
			n := 0
			for _, byLabels := range c.metrics {
				n += len(byLabels)
			}
			if n != c.numSeries || n > 20 {
				t.Fatalf("step %d: %s counts %d series, holds %d; limit 20", i, r, c.numSeries, n)
			}
			total += n
		}
		if total != st.numSeries || total > 50 {
			t.Fatalf("step %d: store counts %d series, holds %d; limit 50", i, st.numSeries, total)
		}
	}
}

// TestScraperRefusesLabelExplosion runs the scraper against a target whose
// every scrape carries new label values: once the target's limit is
// reached each scrape is refused with its own log message and counted in
// the target's health, and the other target goes on being scraped.
func TestScraperRefusesLabelExplosion(t *testing.T) {
	var served atomic.Int64
	leaky := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := served.Add(1)
		w.Header().Set("Content-Type", textFormat)
		var b strings.Builder
		b.WriteString("# TYPE http_requests_total counter\n")
		for i := range 500 {
			fmt.Fprintf(&b, "http_requests_total{path=\"/item/%d\"} 1\n", n*1000+int64(i))
		}
		_, _ = w.Write([]byte(b.String()))
	}))
	good := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", textFormat)
		_, _ = w.Write([]byte("go_goroutines 7\n"))
	}))
	var logs bytes.Buffer
	clk := newClock()
	s := newScraper(t, clk, func(o *Options) {
		o.MaxSeriesPerTarget = 1000
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}, target(leaky.URL+"/metrics", "leaky-0"), target(good.URL+"/metrics", "good-0"))

	for range 10 {
		s.ScrapeOnce(context.Background())
		clk.Advance(10 * time.Second)
	}
	health := s.Health()
	if h := health[0]; h.Succeeded != 2 || h.SeriesLimitHits != 8 || !errors.Is(h.LastError, ErrTooManySeries) {
		t.Errorf("leaky target: %d successes, %d limit hits, last error %v; want 2, 8 and the series limit", h.Succeeded, h.SeriesLimitHits, h.LastError)
	}
	if h := health[1]; h.Succeeded != 10 || h.LastError != nil {
		t.Errorf("good target: %d successes, last error %v; want 10 and none", h.Succeeded, h.LastError)
	}
	if series, _ := s.Store().Stats(); series != 1001 {
		t.Errorf("the store holds %d series, want 1000 of the leaky target and 1 of the good one", series)
	}
	if got := strings.Count(logs.String(), "scrape refused: series limit reached"); got != 8 {
		t.Errorf("logged the limit %d times, want 8:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), "limit_per_target=1000") || !strings.Contains(logs.String(), "target="+leaky.URL) {
		t.Errorf("the limit's log line names neither the limit nor the target:\n%s", logs.String())
	}
}
