package scrape

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

const (
	textFormat        = "text/plain; version=0.0.4; charset=utf-8"
	openMetricsFormat = "application/openmetrics-text; version=1.0.0; charset=utf-8"
)

var checkout = recommender.ContainerRef{Namespace: "shop", Pod: "checkout-0", Container: "app"}

// decode parses a scrape body served with the given Content-Type.
func decode(t *testing.T, contentType, body string) []omSample {
	t.Helper()
	samples, err := decodeBody(http.Header{"Content-Type": {contentType}}, []byte(body), "test")
	if err != nil {
		t.Fatalf("decodeBody: %v", err)
	}
	return samples
}

func gaugeSample(name string, v float64) omSample {
	return omSample{name: name, family: name, typ: typeGauge, value: v}
}

func TestStoreRetention(t *testing.T) {
	tests := []struct {
		name      string
		retention time.Duration
		interval  time.Duration
		appends   int
		points    int
	}{
		{"every second for a minute", time.Minute, time.Second, 1000, 61},
		{"every 15s for a minute", time.Minute, 15 * time.Second, 1000, 5},
		{"shorter than the retention", time.Hour, 15 * time.Second, 100, 100},
		{"zero keeps everything", 0, time.Second, 1000, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewStore(tt.retention, 0)
			for i := range tt.appends {
				at := int64(i) * tt.interval.Milliseconds()
				if _, err := st.appendScrape(checkout, []omSample{gaugeSample("go_goroutines", float64(i))}, at, "test"); err != nil {
					t.Fatal(err)
				}
			}
			if series, points := st.Stats(); series != 1 || points != tt.points {
				t.Errorf("Stats() = %d series, %d points; want 1, %d", series, points, tt.points)
			}
			for _, rs := range st.containers[checkout].metrics["go_goroutines"] {
				if len(rs.points) != tt.points || cap(rs.points) > 4*tt.points+16 {
					t.Errorf("series holds %d points in an array of %d, want %d points and a bounded array", len(rs.points), cap(rs.points), tt.points)
				}
				if last := rs.points[len(rs.points)-1].v; last != float64(tt.appends-1) {
					t.Errorf("newest point = %v, want %d", last, tt.appends-1)
				}
			}
		})
	}
}

func TestStoreForget(t *testing.T) {
	st := NewStore(time.Hour, 0)
	other := recommender.ContainerRef{Namespace: "shop", Pod: "cart-0", Container: "app"}
	mustAppend := func(ref recommender.ContainerRef, atMs int64, names ...string) {
		t.Helper()
		samples := make([]omSample, len(names))
		for i, n := range names {
			samples[i] = gaugeSample(n, 1)
		}
		if _, err := st.appendScrape(ref, samples, atMs, "test"); err != nil {
			t.Fatal(err)
		}
	}
	mustAppend(checkout, 0, "go_goroutines", "go_threads")
	mustAppend(other, 0, "go_goroutines")
	mustAppend(checkout, 60_000, "go_goroutines") // go_threads went away

	st.Forget(time.UnixMilli(30_000))
	if series, points := st.Stats(); series != 1 || points != 2 {
		t.Errorf("after Forget: %d series, %d points; want 1, 2", series, points)
	}
	if _, ok := st.containers[other]; ok {
		t.Errorf("a container whose every series is stale is still held")
	}
	if _, ok := st.containers[checkout].metrics["go_threads"]; ok {
		t.Errorf("the stale series go_threads is still held")
	}
}

func TestAppendScrape(t *testing.T) {
	tests := []struct {
		name      string
		maxSeries int
		perTarget int
		before    string // a body stored first, at 1s
		body      string // the body under test, stored at 2s
		stored    int
		err       string // "" for success
		tooMany   bool   // the error must match ErrTooManySeries
		series    int
		points    int
	}{
		{name: "every finite sample is stored",
			body:   "go_goroutines 10\ngo_threads NaN\nhttp_inflight{path=\"/\"} +Inf\ngo_gc_gogc_percent 100\n",
			stored: 2, series: 2, points: 2},
		{name: "a duplicate series refuses the body whole",
			body: "go_goroutines 10\nhttp_requests_total{code=\"200\"} 1\nhttp_requests_total{code=\"200\"} 2\n",
			err:  `test: duplicate series http_requests_total{code="200"} in one scrape`},
		{name: "new series over the limit refuse the body whole", maxSeries: 2,
			before: "go_goroutines 10\n",
			body:   "go_goroutines 11\ngo_threads 8\ngo_gc_gogc_percent 100\n",
			err:    "test: series limit reached: 1 series held, 2 new ones would exceed 2", tooMany: true,
			series: 1, points: 1},
		{name: "known series do not count against the limit", maxSeries: 2,
			before: "go_goroutines 10\ngo_threads 8\n",
			body:   "go_goroutines 11\ngo_threads 9\n",
			stored: 2, series: 2, points: 4},
		{name: "new series over the container's limit refuse the body whole", perTarget: 2,
			before: "go_goroutines 10\n",
			body:   "go_goroutines 11\ngo_threads 8\ngo_gc_gogc_percent 100\n",
			err:    "test: series limit reached: container shop/checkout-0/app holds 1 series, 2 new ones would exceed its limit of 2", tooMany: true,
			series: 1, points: 1},
		{name: "known series do not count against the container's limit", perTarget: 2,
			before: "go_goroutines 10\ngo_threads 8\n",
			body:   "go_goroutines 11\ngo_threads 9\n",
			stored: 2, series: 2, points: 4},
		{name: "an explicit timestamp that has not moved is skipped",
			before: "container_memory_working_set_bytes 100 500\ngo_goroutines 10\n",
			body:   "container_memory_working_set_bytes 100 500\ngo_goroutines 11\n",
			stored: 1, series: 2, points: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewStore(time.Hour, tt.maxSeries)
			st.LimitPerContainer(tt.perTarget)
			if tt.before != "" {
				if _, err := st.appendScrape(checkout, decode(t, textFormat, tt.before), 1000, "test"); err != nil {
					t.Fatal(err)
				}
			}
			stored, err := st.appendScrape(checkout, decode(t, textFormat, tt.body), 2000, "test")
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("appendScrape: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("appendScrape error = %v, want %q", err, tt.err)
			case tt.tooMany && !errors.Is(err, ErrTooManySeries):
				t.Errorf("error %v does not match ErrTooManySeries", err)
			}
			if stored != tt.stored {
				t.Errorf("stored %d samples, want %d", stored, tt.stored)
			}
			if series, points := st.Stats(); series != tt.series || points != tt.points {
				t.Errorf("Stats() = %d series, %d points; want %d, %d", series, points, tt.series, tt.points)
			}
		})
	}
}
