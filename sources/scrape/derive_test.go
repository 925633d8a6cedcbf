package scrape

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// sec is an instant given in Unix seconds, as trace timestamps are.
func sec(s int64) time.Time { return time.Unix(s, 0).UTC() }

func samples(pairs ...float64) []recommender.Sample {
	var out []recommender.Sample
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, recommender.Sample{At: sec(int64(pairs[i])), Value: pairs[i+1]})
	}
	return out
}

func TestFetchDerivesSignals(t *testing.T) {
	tests := []struct {
		name   string
		opts   TraceOptions
		trace  []string // sample lines, all of pod "a"
		signal recommender.Signal
		window recommender.Window
		want   []recommender.Sample
	}{
		{name: "gauge: last value",
			trace:  []string{`go_goroutines{pod="a"} 10 1000`, `go_goroutines{pod="a"} 12 1015`},
			signal: recommender.Goroutines, window: recommender.Window{End: sec(1020)},
			want: samples(1020, 12)},
		{name: "gauge: a value just inside the lookback",
			trace:  []string{`go_goroutines{pod="a"} 12 1015`},
			signal: recommender.Goroutines, window: recommender.Window{End: sec(1015 + 299)},
			want: samples(1015+299, 12)},
		{name: "rate: a counter reset in the middle",
			// Increases: 100→300 is 200; 300→100 is a reset, so 100; 100→400 is 300.
			// 600 over the 30s between the first and last point: 20/s.
			trace: []string{`go_memstats_alloc_bytes_total{pod="a"} 100 1000`, `go_memstats_alloc_bytes_total{pod="a"} 300 1010`,
				`go_memstats_alloc_bytes_total{pod="a"} 100 1020`, `go_memstats_alloc_bytes_total{pod="a"} 400 1030`},
			signal: recommender.AllocRate, window: recommender.Window{End: sec(1030)},
			want: samples(1030, 20)},
		{name: "rate: only points inside the rate range count",
			// A 15s range at 1030 holds the points at 1020 and 1030: 300 over 10s.
			opts: TraceOptions{RateRange: 15 * time.Second},
			trace: []string{`go_memstats_alloc_bytes_total{pod="a"} 100 1000`, `go_memstats_alloc_bytes_total{pod="a"} 300 1010`,
				`go_memstats_alloc_bytes_total{pod="a"} 100 1020`, `go_memstats_alloc_bytes_total{pod="a"} 400 1030`},
			signal: recommender.AllocRate, window: recommender.Window{End: sec(1030)},
			want: samples(1030, 30)},
		{name: "live heap falls back to the in-use heap",
			trace:  []string{`go_memstats_heap_inuse_bytes{pod="a"} 4096 1000`},
			signal: recommender.LiveHeap, window: recommender.Window{End: sec(1000)},
			want: samples(1000, 4096)},
		{name: "live heap prefers go_gc_heap_live_bytes",
			trace:  []string{`go_gc_heap_live_bytes{pod="a"} 1024 1000`, `go_memstats_heap_inuse_bytes{pod="a"} 4096 1000`},
			signal: recommender.LiveHeap, window: recommender.Window{End: sec(1000)},
			want: samples(1000, 1024)},
		{name: "cpu falls back to the process counter",
			trace:  []string{`process_cpu_seconds_total{pod="a"} 1 1000`, `process_cpu_seconds_total{pod="a"} 3 1010`},
			signal: recommender.CPU, window: recommender.Window{End: sec(1010)},
			want: samples(1010, 0.2)},
		{name: "cpu prefers the container counter",
			trace: []string{`container_cpu_usage_seconds_total{pod="a"} 1 1000`, `container_cpu_usage_seconds_total{pod="a"} 6 1010`,
				`process_cpu_seconds_total{pod="a"} 1 1000`, `process_cpu_seconds_total{pod="a"} 3 1010`},
			signal: recommender.CPU, window: recommender.Window{End: sec(1010)},
			want: samples(1010, 0.5)},
		{name: "request rate sums label sets",
			// code 200: 100 over 10s; code 500: 20 over 10s.
			trace: []string{`http_requests_total{pod="a",code="200"} 0 1000`, `http_requests_total{pod="a",code="200"} 100 1010`,
				`http_requests_total{pod="a",code="500"} 0 1000`, `http_requests_total{pod="a",code="500"} 20 1010`},
			signal: recommender.RequestRate, window: recommender.Window{End: sec(1010)},
			want: samples(1010, 12)},
		{name: "gogc takes the largest of label sets",
			trace:  []string{`go_gc_gogc_percent{pod="a",source="env"} 100 1000`, `go_gc_gogc_percent{pod="a",source="debug"} 50 1000`},
			signal: recommender.GOGC, window: recommender.Window{End: sec(1000)},
			want: samples(1000, 100)},
		{name: "cpu throttling is a ratio of rates",
			trace: []string{`container_cpu_cfs_throttled_periods_total{pod="a"} 0 1000`, `container_cpu_cfs_throttled_periods_total{pod="a"} 5 1010`,
				`container_cpu_cfs_periods_total{pod="a"} 0 1000`, `container_cpu_cfs_periods_total{pod="a"} 50 1010`},
			signal: recommender.CPUThrottled, window: recommender.Window{End: sec(1010)},
			want: samples(1010, 0.1)},
		{name: "range window with steps",
			trace: []string{`go_goroutines{pod="a"} 10 1000`, `go_goroutines{pod="a"} 20 1015`,
				`go_goroutines{pod="a"} 30 1030`, `go_goroutines{pod="a"} 40 1045`},
			signal: recommender.Goroutines, window: recommender.Window{End: sec(1045), Range: 60 * time.Second, Step: 15 * time.Second},
			want: samples(1000, 10, 1015, 20, 1030, 30, 1045, 40)}, // nothing yet at 985
		{name: "rate over a range window starts with the second point",
			trace: []string{`process_cpu_seconds_total{pod="a"} 0 1000`, `process_cpu_seconds_total{pod="a"} 10 1010`,
				`process_cpu_seconds_total{pod="a"} 30 1020`},
			signal: recommender.CPU, window: recommender.Window{End: sec(1020), Range: 20 * time.Second, Step: 10 * time.Second},
			want: samples(1010, 1, 1020, 1.5)},
		{name: "metrics renamed by the options",
			opts:   TraceOptions{Metrics: map[recommender.Signal][]string{recommender.Goroutines: {"app_goroutines"}}},
			trace:  []string{`go_goroutines{pod="a"} 10 1000`, `app_goroutines{pod="a"} 7 1000`},
			signal: recommender.Goroutines, window: recommender.Window{End: sec(1000)},
			want: samples(1000, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := fetch(t, readTrace(t, tt.opts, tt.trace...), tt.window)
			a := recommender.ContainerRef{Pod: "a"}
			got, ok := snap.Lookup(tt.signal, a)
			if !ok {
				t.Fatalf("no %s series for %s; problem: %v", tt.signal, a, snap.Problems[tt.signal])
			}
			if !reflect.DeepEqual(got.Samples, tt.want) {
				t.Errorf("%s = %v, want %v", tt.signal, got.Samples, tt.want)
			}
			if err := snap.Problems[tt.signal]; err != nil {
				t.Errorf("%s has data and a problem: %v", tt.signal, err)
			}
		})
	}
}

func TestFetchSaysWhyThereIsNoData(t *testing.T) {
	tests := []struct {
		name   string
		trace  []string
		signal recommender.Signal
		query  recommender.Query
		reason string
	}{
		{name: "gauge older than the lookback",
			trace:  []string{`go_goroutines{pod="a"} 12 1000`},
			signal: recommender.Goroutines, query: recommender.Query{Window: recommender.Window{End: sec(1300)}},
			reason: "go_goroutines has no sample within the lookback of 5m0s"},
		{name: "one point is no rate",
			trace:  []string{`go_memstats_alloc_bytes_total{pod="a"} 100 1000`},
			signal: recommender.AllocRate, query: recommender.Query{Window: recommender.Window{End: sec(1000)}},
			reason: "go_memstats_alloc_bytes_total has fewer than two samples within the rate range of 1m0s"},
		{name: "missing metric",
			trace:  []string{`go_goroutines{pod="a"} 12 1000`},
			signal: recommender.LiveHeap, query: recommender.Query{Window: recommender.Window{End: sec(1000)}},
			reason: "no selected container exposes go_gc_heap_live_bytes or go_memstats_heap_inuse_bytes"},
		{name: "nothing selected",
			trace:  []string{`go_goroutines{pod="a"} 12 1000`},
			signal: recommender.Goroutines, query: recommender.Query{Window: recommender.Window{End: sec(1000)}, Selector: recommender.Selector{Pods: []string{"b"}}},
			reason: "no container selected has any sample"},
		{name: "throttling without the periods counter",
			// The throttled counter has two samples in range; what is missing is
			// the denominator, and the reason must say so.
			trace: []string{`container_cpu_cfs_throttled_periods_total{pod="a"} 0 1000`,
				`container_cpu_cfs_throttled_periods_total{pod="a"} 5 1010`},
			signal: recommender.CPUThrottled, query: recommender.Query{Window: recommender.Window{End: sec(1010)}},
			reason: "container_cpu_cfs_periods_total"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := readTrace(t, TraceOptions{}, tt.trace...).Fetch(context.Background(), tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if s := snap.Series[tt.signal]; len(s) > 0 {
				t.Errorf("%s = %v, want no series", tt.signal, s)
			}
			var nd *recommender.NoDataError
			if err := snap.Problems[tt.signal]; !errors.As(err, &nd) || !errors.Is(err, recommender.ErrNoData) {
				t.Fatalf("problem = %v, want a *NoDataError", err)
			}
			if nd.Signal != tt.signal || nd.Where != "trace test.om" || !strings.Contains(nd.Reason, tt.reason) {
				t.Errorf("problem = %+v, want signal %s from trace test.om with a reason containing %q", *nd, tt.signal, tt.reason)
			}
		})
	}
}

func TestFetchSelector(t *testing.T) {
	tr := readTrace(t, TraceOptions{},
		`go_goroutines{namespace="shop",pod="cart-0",container="app"} 1 1000`,
		`go_goroutines{namespace="shop",pod="checkout-0",container="app"} 2 1000`,
		`go_goroutines{namespace="ops",pod="cart-0",container="app"} 3 1000`,
	)
	tests := []struct {
		name     string
		selector recommender.Selector
		want     []string
	}{
		{"everything", recommender.Selector{}, []string{"ops/cart-0/app", "shop/cart-0/app", "shop/checkout-0/app"}},
		{"one namespace", recommender.Selector{Namespaces: []string{"shop"}}, []string{"shop/cart-0/app", "shop/checkout-0/app"}},
		{"one pod name", recommender.Selector{Pods: []string{"cart-0"}}, []string{"ops/cart-0/app", "shop/cart-0/app"}},
		{"namespace and pod", recommender.Selector{Namespaces: []string{"ops"}, Pods: []string{"cart-0"}}, []string{"ops/cart-0/app"}},
		{"no match", recommender.Selector{Namespaces: []string{"billing"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := tr.Fetch(context.Background(), recommender.Query{Window: recommender.Window{End: sec(1000)}, Selector: tt.selector})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range snap.Series[recommender.Goroutines] {
				got = append(got, s.Ref.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("goroutines of %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFetchRejectsBadWindows(t *testing.T) {
	tr := readTrace(t, TraceOptions{}, `go_goroutines{pod="a"} 1 1000`)
	for _, w := range []recommender.Window{
		{},
		{End: sec(1000), Range: time.Minute},
		{End: sec(1000), Range: -time.Minute, Step: time.Second},
	} {
		if _, err := tr.Fetch(context.Background(), recommender.Query{Window: w}); err == nil || !strings.HasPrefix(err.Error(), "trace test.om: ") {
			t.Errorf("Fetch(%+v) error = %v, want one naming the trace", w, err)
		}
	}
}

func TestNewEvaluatorRejectsBadRenames(t *testing.T) {
	for _, renames := range []map[recommender.Signal][]string{
		{"heap_size": {"go_heap"}},
		{recommender.Goroutines: {}},
		{recommender.Goroutines: {"go-goroutines"}},
	} {
		if _, err := newEvaluator(NewStore(0, 0), "test", renames, time.Minute, 5*time.Minute); err == nil {
			t.Errorf("newEvaluator accepts renames %v", renames)
		}
	}
}
