package scrape

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pacerdev/pacer/recommender"
)

// clock is a fake clock the test advances; scrapes read it concurrently.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// target is a scrape target for a pod in namespace shop.
func target(url, pod string) Target {
	return Target{URL: url, Ref: recommender.ContainerRef{Namespace: "shop", Pod: pod, Container: "app"}}
}

func newScraper(t *testing.T, clk *clock, mod func(*Options), targets ...Target) *Scraper {
	t.Helper()
	o := Options{Targets: targets, Interval: 10 * time.Second, Timeout: 5 * time.Second, Now: clk.Now}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// scrapeOnce scrapes every target and requires every scrape to succeed.
func scrapeOnce(t *testing.T, s *Scraper) {
	t.Helper()
	s.ScrapeOnce(context.Background())
	for _, h := range s.Health() {
		if h.LastError != nil {
			t.Fatalf("scrape of %s: %v", h.Target.URL, h.LastError)
		}
	}
}

// app is a fake Go service exposing, through client_golang, whatever
// values the test set last.
type app struct {
	mu     sync.Mutex
	values map[string]float64
	accept []string // Accept headers of the requests served
}

func newApp(t *testing.T, openMetrics bool) (*app, *httptest.Server) {
	a := &app{values: map[string]float64{}}
	value := func(key string) func() float64 {
		return func() float64 { a.mu.Lock(); defer a.mu.Unlock(); return a.values[key] }
	}
	requests := func(code string) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests.",
			ConstLabels: prometheus.Labels{"code": code}}, value("requests"+code))
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "go_goroutines", Help: "Goroutines."}, value("goroutines")),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "go_memstats_alloc_bytes_total", Help: "Allocated."}, value("alloc")),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "go_gc_heap_live_bytes", Help: "Live heap."}, value("live")),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "process_cpu_seconds_total", Help: "CPU."}, value("cpu")),
		requests("200"), requests("500"),
	)
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: openMetrics})
	return a, serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.accept = append(a.accept, r.Header.Get("Accept"))
		a.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
}

func (a *app) set(values map[string]float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, v := range values {
		a.values[k] = v
	}
}

func TestScrapeTextAndOpenMetricsAgree(t *testing.T) {
	textApp, text := newApp(t, false)
	omApp, om := newApp(t, true)
	clk := newClock()
	s := newScraper(t, clk, nil, target(text.URL, "text-0"), target(om.URL, "om-0"))
	// The alloc counter resets between the second and third scrapes.
	steps := []map[string]float64{
		{"goroutines": 10, "alloc": 100, "live": 1000, "cpu": 1, "requests200": 10, "requests500": 0},
		{"goroutines": 12, "alloc": 300, "live": 1500, "cpu": 2, "requests200": 60, "requests500": 5},
		{"goroutines": 11, "alloc": 100, "live": 1200, "cpu": 4, "requests200": 110, "requests500": 10},
	}
	for i, values := range steps {
		if i > 0 {
			clk.Advance(10 * time.Second)
		}
		textApp.set(values)
		omApp.set(values)
		scrapeOnce(t, s)
	}

	snap := fetch(t, s, recommender.Window{End: clk.Now()})
	textRef, omRef := s.opts.Targets[0].Ref, s.opts.Targets[1].Ref
	if got, want := snap.Containers(), []recommender.ContainerRef{omRef, textRef}; !reflect.DeepEqual(got, want) {
		t.Errorf("containers = %v, want the targets' %v", got, want)
	}
	// Over the 20s from the first scrape: alloc 200 then 100 after the
	// reset; cpu 3s; requests 100+10.
	want := map[recommender.Signal]float64{
		recommender.Goroutines:  11,
		recommender.LiveHeap:    1200,
		recommender.AllocRate:   300.0 / 20,
		recommender.CPU:         3.0 / 20,
		recommender.RequestRate: 110.0 / 20,
	}
	for sig, v := range want {
		for _, ref := range []recommender.ContainerRef{textRef, omRef} {
			series, ok := snap.Lookup(sig, ref)
			if got, _ := series.Latest(); !ok || got.Value != v || !got.At.Equal(clk.Now()) {
				t.Errorf("%s of %s = %v, want %v at %s", sig, ref.Pod, series.Samples, v, clk.Now())
			}
		}
	}
	for _, a := range []*app{textApp, omApp} {
		if len(a.accept) != len(steps) {
			t.Errorf("the app served %d scrapes, want %d", len(a.accept), len(steps))
		}
		for _, accept := range a.accept {
			if !strings.HasPrefix(accept, "application/openmetrics-text;version=1.0.0") {
				t.Errorf("Accept = %q, want OpenMetrics first", accept)
			}
		}
	}
}

func TestScrapeFailures(t *testing.T) {
	const goodBody = "# TYPE go_goroutines gauge\ngo_goroutines 7\n"
	serveBody := func(contentType, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", contentType)
			_, _ = w.Write([]byte(body))
		}
	}
	unreachable := httptest.NewServer(http.NotFoundHandler())
	unreachable.Close()
	tests := []struct {
		name    string
		handler http.Handler // nil: the target is unreachable
		mod     func(*Options)
		err     string
	}{
		{"HTTP 500", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }), nil,
			"HTTP status 500 Internal Server Error"},
		{"body over the limit", serveBody(textFormat, goodBody+strings.Repeat("# padding\n", 20)),
			func(o *Options) { o.MaxBodyBytes = 100 }, "body larger than 100 bytes"},
		{"malformed text body", serveBody(textFormat, "go_goroutines seven\n"), nil, "text format parsing error"},
		{"malformed OpenMetrics body", serveBody(openMetricsFormat, "go_goroutines 7\n"), nil, "ends without # EOF"},
		{"duplicate series", serveBody(textFormat, "go_goroutines 7\ngo_goroutines 8\n"), nil, "duplicate series go_goroutines"},
		{"unreachable", nil, nil, "connection refused"},
		{"slower than the timeout", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }),
			func(o *Options) { o.Timeout = 50 * time.Millisecond }, "context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			badURL := unreachable.URL + "/metrics"
			if tt.handler != nil {
				badURL = serve(t, tt.handler).URL + "/metrics"
			}
			good := serve(t, serveBody(textFormat, goodBody))
			s := newScraper(t, newClock(), tt.mod, target(badURL, "bad-0"), target(good.URL, "good-0"))
			s.ScrapeOnce(context.Background())

			health := s.Health()
			if err := health[0].LastError; err == nil || !strings.Contains(err.Error(), badURL) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("bad target error = %v, want one naming %s and containing %q", err, badURL, tt.err)
			}
			if h := health[0]; h.Succeeded != 0 || h.Samples != 0 {
				t.Errorf("bad target: %d successes, %d samples; want none", h.Succeeded, h.Samples)
			}
			if h := health[1]; h.LastError != nil || h.Succeeded != 1 || h.Samples != 1 {
				t.Errorf("good target: error %v, %d successes, %d samples; want no error, 1, 1", h.LastError, h.Succeeded, h.Samples)
			}
			snap := fetch(t, s, recommender.Window{End: newClock().Now()})
			if got := snap.Containers(); len(got) != 1 || got[0].Pod != "good-0" {
				t.Errorf("containers = %v, want only good-0", got)
			}
		})
	}
}

func TestFetchFailsOnlyWhenNoScrapeEverSucceeded(t *testing.T) {
	var mu sync.Mutex
	status := http.StatusServiceUnavailable
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", textFormat)
		w.WriteHeader(status)
		_, _ = w.Write([]byte("go_goroutines 7\n"))
	}))
	setStatus := func(s int) { mu.Lock(); status = s; mu.Unlock() }
	clk := newClock()
	s := newScraper(t, clk, nil, target(srv.URL, "api-0"))
	q := recommender.Query{Window: recommender.Window{End: clk.Now()}}

	if _, err := s.Fetch(context.Background(), q); err == nil || !strings.Contains(err.Error(), "no scrape of 1 targets has finished yet") {
		t.Errorf("Fetch before any scrape: error = %v", err)
	}
	s.ScrapeOnce(context.Background())
	if _, err := s.Fetch(context.Background(), q); err == nil || !strings.Contains(err.Error(), srv.URL) || !strings.Contains(err.Error(), "503") {
		t.Errorf("Fetch after a failed scrape: error = %v, want one naming %s and the status", err, srv.URL)
	}
	setStatus(http.StatusOK)
	clk.Advance(10 * time.Second)
	s.ScrapeOnce(context.Background())
	setStatus(http.StatusServiceUnavailable)
	clk.Advance(10 * time.Second)
	s.ScrapeOnce(context.Background())
	if h := s.Health()[0]; h.LastError == nil || h.Succeeded != 1 || !h.LastScrape.Equal(clk.Now()) {
		t.Errorf("health = %+v, want the last scrape failed at %s after one success", h, clk.Now())
	}
	snap, err := s.Fetch(context.Background(), recommender.Query{Window: recommender.Window{End: clk.Now()}})
	if err != nil {
		t.Fatalf("Fetch after one success: %v", err)
	}
	if got, ok := snap.Lookup(recommender.Goroutines, s.opts.Targets[0].Ref); !ok || got.Samples[0].Value != 7 {
		t.Errorf("goroutines = %v, want the 7 scraped before the failure", got)
	}
}

// A wall clock may step back (NTP). scrape promises all of a body or, when
// it fails, none of it; a failed scrape must not leave part of a body stored.
func TestScrapeAllOrNothingWhenTheClockStepsBack(t *testing.T) {
	var mu sync.Mutex
	body := "go_goroutines 1\n# EOF\n"
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", openMetricsFormat)
		_, _ = w.Write([]byte(body))
	}))
	clk := newClock()
	s := newScraper(t, clk, nil, target(srv.URL, "a-0"))
	scrapeOnce(t, s)

	mu.Lock()
	body = "go_threads 8\ngo_goroutines 2\n# EOF\n" // a new series, then a known one
	mu.Unlock()
	clk.Advance(-time.Second)
	s.ScrapeOnce(context.Background())
	h := s.Health()[0]
	series, points := s.Store().Stats()
	if h.LastError != nil && (h.Samples != 0 || series != 1 || points != 1) {
		t.Errorf("the scrape failed (%v) yet stored %d samples: the store holds %d series, %d points; want 1, 1 as before it",
			h.LastError, h.Samples, series, points)
	}
}

func TestScrapeCutShortIsNoFailure(t *testing.T) {
	a, srv := newApp(t, true)
	a.set(map[string]float64{"goroutines": 3})
	s := newScraper(t, newClock(), nil, target(srv.URL, "a-0"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.ScrapeOnce(ctx)
	if h := s.Health()[0]; h.LastError != nil || h.Succeeded != 0 || !h.LastScrape.IsZero() {
		t.Errorf("health after a cancelled scrape = %+v, want untouched", h)
	}
}

// TestScrapeConcurrently gives the race detector scrapes, fetches, health
// reads and trace writes at once.
func TestScrapeConcurrently(t *testing.T) {
	a, srv := newApp(t, true)
	a.set(map[string]float64{"goroutines": 3})
	clk := newClock()
	s := newScraper(t, clk, nil, target(srv.URL, "a-0"), target(srv.URL+"/", "b-0"))
	scrapeOnce(t, s)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { clk.Advance(time.Second); s.ScrapeOnce(context.Background()) })
		wg.Go(func() {
			_, _ = s.Fetch(context.Background(), recommender.Query{Window: recommender.Window{End: clk.Now()}})
		})
		wg.Go(func() { _ = s.Health() })
		wg.Go(func() { _ = WriteTrace(&bytes.Buffer{}, s.Store()) })
	}
	wg.Wait()
}

func TestOptionsValidate(t *testing.T) {
	one := []Target{target("http://127.0.0.1:9090/metrics", "a-0")}
	tests := []struct {
		name string
		o    Options
		want string // "" for valid
	}{
		{"defaults", Options{Targets: one}, ""},
		{"no target", Options{}, "no scrape target"},
		{"two targets for one container", Options{Targets: []Target{one[0], target("http://127.0.0.1:9091/metrics", "a-0")}},
			"are both container shop/a-0/app"},
		{"negative timeout", Options{Targets: one, Timeout: -time.Second}, "timeout -1s is negative"},
		{"interval too short", Options{Targets: one, Interval: 10 * time.Millisecond}, "interval 10ms is shorter than 100ms"},
		{"rate range under two scrapes", Options{Targets: one, Interval: time.Minute}, "rate range 1m0s must cover at least two scrapes"},
		{"retention under the rate range", Options{Targets: one, Retention: 30 * time.Second}, "retention 30s is shorter than the rate range 1m0s"},
		{"negative body limit", Options{Targets: one, MaxBodyBytes: -1}, "must not be negative"},
		{"negative series limit per target", Options{Targets: one, MaxSeriesPerTarget: -1}, "must not be negative"},
		{"series limit per target above the store's", Options{Targets: one, MaxSeries: 10, MaxSeriesPerTarget: 11},
			"series limit per target 11 is above the limit of the whole store 10"},
		{"a small store lowers the default per target", Options{Targets: one, MaxSeries: 10}, ""},
		{"unknown signal renamed", Options{Targets: one, Metrics: map[recommender.Signal][]string{"heap": {"x"}}}, `unknown signal "heap"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := errors.Join(tt.o.Validate()...)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
			if _, newErr := New(tt.o); (newErr == nil) != (err == nil) {
				t.Errorf("New() error = %v, Validate() = %v", newErr, err)
			}
		})
	}
}

// FuzzDecodeBody: any body, in either format, is refused with an error
// that names its source, or decoded into samples with valid, sorted,
// unique names and labels.
func FuzzDecodeBody(f *testing.F) {
	for _, seed := range []string{
		"# HELP go_goroutines Goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 12\n",
		"# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\",path=\"/a\\\\b\\\"c\\nd\"} 1027 1700000000000\n",
		"# TYPE go_gc_duration_seconds summary\ngo_gc_duration_seconds{quantile=\"0.5\"} 0.0001\ngo_gc_duration_seconds_sum 0.25\ngo_gc_duration_seconds_count 1200\n",
		"# TYPE rpc_seconds histogram\nrpc_seconds_bucket{le=\"0.1\"} 8\nrpc_seconds_bucket{le=\"+Inf\"} 10\nrpc_seconds_count 10\nrpc_seconds_sum 1.5\n",
		"untyped_metric{a=\"1\",} NaN\n",
		"go_goroutines seven\n",
		"go_goroutines 7\ngo_goroutines 8\n",
	} {
		f.Add([]byte(seed), false)
	}
	for _, seed := range []string{
		"# TYPE go_goroutines gauge\ngo_goroutines 12\n# EOF\n",
		"# TYPE http_requests counter\nhttp_requests_total{code=\"200\"} 1027 1700000000.5 # {trace_id=\"x\"} 1\n# EOF\n",
		"go_goroutines 7\n",
	} {
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, openMetrics bool) {
		contentType := textFormat
		if openMetrics {
			contentType = openMetricsFormat
		}
		samples, err := decodeBody(http.Header{"Content-Type": {contentType}}, body, "fuzz-source")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz-source") {
				t.Fatalf("error %q does not name the source", err)
			}
			return
		}
		for _, s := range samples {
			if !validMetricName(s.name) || !validMetricName(s.family) {
				t.Errorf("sample %q of family %q has an invalid name", s.name, s.family)
			}
			for i, l := range s.labels {
				if !validLabelName(l.name) || i > 0 && s.labels[i-1].name >= l.name {
					t.Errorf("%s: labels %v are not valid, sorted and unique", s.name, s.labels)
				}
			}
		}
	})
}
