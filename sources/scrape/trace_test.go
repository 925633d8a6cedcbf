package scrape

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pacerdev/pacer/recommender"
)

// readTrace reads sample lines as a trace, adding the final # EOF.
func readTrace(t *testing.T, o TraceOptions, lines ...string) *Trace {
	t.Helper()
	tr, err := ReadTrace(strings.NewReader(strings.Join(lines, "\n")+"\n# EOF\n"), "test.om", o)
	if err != nil {
		t.Fatalf("ReadTrace: %v", err)
	}
	return tr
}

func TestReadTraceErrors(t *testing.T) {
	tests := []struct {
		name string
		o    TraceOptions
		in   string
		line int
		msg  string
	}{
		{"sample without timestamp", TraceOptions{}, `up{pod="a"} 1` + "\n# EOF\n", 1,
			"up: sample has no timestamp; every sample of a trace needs one"},
		{"sample without pod label", TraceOptions{}, `up{namespace="shop"} 1 100` + "\n# EOF\n", 1,
			"up: sample has no pod label"},
		{"sample without the configured pod label", TraceOptions{PodLabel: "kubernetes_pod_name"}, `up{pod="a"} 1 100` + "\n# EOF\n", 1,
			"up: sample has no kubernetes_pod_name label"},
		{"series out of order", TraceOptions{}, "up{pod=\"a\"} 1 200\nup{pod=\"b\"} 1 100\nup{pod=\"a\"} 1 100\n# EOF\n", 3,
			"up at 1970-01-01T00:01:40Z: sample is not newer than the previous sample of its series"},
		{"series repeats a timestamp", TraceOptions{}, "up{pod=\"a\"} 1 100\nup{pod=\"a\"} 2 100\n# EOF\n", 2,
			"sample is not newer than the previous sample"},
		{"too many samples", TraceOptions{MaxSamples: 2}, "up{pod=\"a\"} 1 100\nup{pod=\"a\"} 1 115\nup{pod=\"a\"} 1 130\n# EOF\n", 3,
			"trace holds more than 2 samples"},
		{"too many series", TraceOptions{MaxSeries: 2}, "up{pod=\"a\"} 1 100\nup{pod=\"b\"} 1 100\nup{pod=\"c\"} 1 100\n# EOF\n", 3,
			"series limit reached"},
		{"last line cut short", TraceOptions{}, "up{pod=\"a\"} 1 100\nup{pod=\"a\"} 1 115", 2, "ends without # EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := ReadTrace(strings.NewReader(tt.in), "test.om", tt.o)
			if tr != nil {
				t.Errorf("ReadTrace returned a trace along with error %v", err)
			}
			checkParseError(t, err, "test.om", tt.line, tt.msg)
		})
	}
	// Every malformed body is a malformed trace too.
	for _, tt := range malformedBodies {
		t.Run("body/"+tt.name, func(t *testing.T) {
			_, err := ReadTrace(strings.NewReader(tt.in), "body", TraceOptions{})
			checkParseError(t, err, "body", tt.line, tt.msg)
		})
	}
}

func TestReadTraceWithoutSamples(t *testing.T) {
	for _, in := range []string{"# EOF\n", "# TYPE up gauge\nup{pod=\"a\"} NaN 100\n# EOF\n"} {
		if _, err := ReadTrace(strings.NewReader(in), "empty.om", TraceOptions{}); err == nil || !strings.Contains(err.Error(), "empty.om: trace holds no sample") {
			t.Errorf("ReadTrace(%q) error = %v, want empty.om: trace holds no sample", in, err)
		}
	}
}

func TestReadTraceNaNIsAGap(t *testing.T) {
	tr := readTrace(t, TraceOptions{},
		`go_goroutines{pod="a"} 10 100`,
		`go_goroutines{pod="a"} NaN 115`,
		`go_goroutines{pod="a"} 30 130`,
	)
	if series, points := tr.store.Stats(); series != 1 || points != 2 {
		t.Errorf("Stats() = %d series, %d points; want 1, 2 (the NaN is no point)", series, points)
	}
	// At the NaN's instant the last real value is still within the lookback.
	got := fetch(t, tr, recommender.Window{End: time.Unix(115, 0)})
	if s := got.Series[recommender.Goroutines]; len(s) != 1 || s[0].Samples[0].Value != 10 {
		t.Errorf("goroutines at the NaN = %v, want 10", s)
	}
}

func TestTraceSpan(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		start, end int64 // Unix seconds
	}{
		{"one series", []string{`up{pod="a"} 1 100`, `up{pod="a"} 1 115.5`}, 100, 115},
		{"earliest sample last", []string{`up{pod="b"} 1 300`, `up{pod="a"} 1 200`}, 200, 300},
		// A trace that starts at the epoch, as hand-written test traces often do.
		{"starts at zero", []string{`up{pod="a"} 1 0`, `up{pod="a"} 1 15`}, 0, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end := readTrace(t, TraceOptions{}, tt.lines...).Span()
			if start.Unix() != tt.start || end.Unix() != tt.end {
				t.Errorf("Span() = %d..%d (Unix s), want %d..%d", start.Unix(), end.Unix(), tt.start, tt.end)
			}
		})
	}
}

func TestReadTraceContainerLabels(t *testing.T) {
	tr := readTrace(t, TraceOptions{NamespaceLabel: "kubernetes_namespace", PodLabel: "kubernetes_pod_name", ContainerLabel: "kubernetes_container"},
		`go_goroutines{kubernetes_namespace="shop",kubernetes_pod_name="cart-0",kubernetes_container="app",pod="ignored"} 7 100`,
	)
	got := fetch(t, tr, recommender.Window{End: time.Unix(100, 0)})
	want := []recommender.ContainerRef{{Namespace: "shop", Pod: "cart-0", Container: "app"}}
	if refs := got.Containers(); !reflect.DeepEqual(refs, want) {
		t.Errorf("containers = %v, want %v", refs, want)
	}
}

func fetch(t *testing.T, src recommender.Source, w recommender.Window) *recommender.Snapshot {
	t.Helper()
	snap, err := src.Fetch(context.Background(), recommender.Query{Window: w})
	if err != nil {
		t.Fatalf("Fetch(%+v): %v", w, err)
	}
	return snap
}

// TestWriteTraceRoundTrip scrapes real client_golang expositions, one in
// OpenMetrics and one in the text format, writes the store as a trace and
// checks that the trace yields exactly the signals the scraper does.
func TestWriteTraceRoundTrip(t *testing.T) {
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests."}, []string{"code"})
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), requests)
	om := serve(t, promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	text := serve(t, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	clk := newClock()
	s := newScraper(t, clk, nil, target(om.URL, "checkout-0"), target(text.URL, "checkout-1"))
	for i := range 3 {
		requests.WithLabelValues("200").Add(float64(10 * (i + 1)))
		requests.WithLabelValues("503").Inc()
		scrapeOnce(t, s)
		clk.Advance(15 * time.Second)
	}
	end := clk.Now().Add(-15 * time.Second)

	for _, write := range []struct {
		name string
		fn   func(io.Writer, *Store) error
	}{{"WriteTrace", WriteTrace}, {"WriteSignalTrace", WriteSignalTrace}} {
		t.Run(write.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := write.fn(&buf, s.Store()); err != nil {
				t.Fatal(err)
			}
			tr, err := ReadTrace(bytes.NewReader(buf.Bytes()), "written.om", TraceOptions{})
			if err != nil {
				t.Fatalf("ReadTrace(%s(store)): %v", write.name, err)
			}
			if _, last := tr.Span(); !last.Equal(end) {
				t.Errorf("trace ends at %s, want the last scrape %s", last, end)
			}
			for _, w := range []recommender.Window{{End: end}, {End: end, Range: 30 * time.Second, Step: 5 * time.Second}} {
				want, got := fetch(t, s, w), fetch(t, tr, w)
				for _, sig := range []recommender.Signal{recommender.Goroutines, recommender.AllocRate, recommender.LiveHeap,
					recommender.RequestRate, recommender.CPU, recommender.Memory} {
					if len(want.Series[sig]) != 2 {
						t.Errorf("window %+v: the scraper has %d series of %s, want one per target", w, len(want.Series[sig]), sig)
					}
				}
				if !reflect.DeepEqual(got.Series, want.Series) {
					t.Errorf("window %+v: trace signals differ from the scraper's:\ntrace:   %v\nscraper: %v", w, got.Series, want.Series)
				}
				if !sameKeys(got.Problems, want.Problems) {
					t.Errorf("window %+v: trace problems %v, scraper problems %v", w, got.Problems, want.Problems)
				}
			}
			var again bytes.Buffer
			if err := write.fn(&again, tr.store); err != nil {
				t.Fatal(err)
			}
			if again.String() != buf.String() {
				t.Errorf("writing the trace read back gives different text")
			}
		})
	}
	var all, signals bytes.Buffer
	if err := WriteTrace(&all, s.Store()); err != nil {
		t.Fatal(err)
	}
	if err := WriteSignalTrace(&signals, s.Store()); err != nil {
		t.Fatal(err)
	}
	tr, err := ReadTrace(bytes.NewReader(all.Bytes()), "all.om", TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statsOf(tr.store), statsOf(s.Store()); got != want {
		t.Errorf("WriteTrace: the trace holds %s, the scraper's store %s", got, want)
	}
	if text := signals.String(); strings.Contains(text, "go_info") || strings.Contains(text, "process_open_fds") || signals.Len() >= all.Len()/2 {
		t.Errorf("WriteSignalTrace wrote %d bytes of %d, with metrics no signal reads", signals.Len(), all.Len())
	}
}

// A scraped series may carry labels named like the ones WriteTrace adds to
// say which container it came from (operators label per-namespace counts
// with namespace; cAdvisor labels everything with pod and container).
func TestWriteTraceKeepsScrapedContainerLabels(t *testing.T) {
	st := NewStore(0, 0)
	ref := recommender.ContainerRef{Namespace: "ops", Pod: "operator-0", Container: "manager"}
	samples := decode(t, "text/plain; version=0.0.4", `# TYPE go_goroutines gauge
go_goroutines 20
# TYPE reconcile_total counter
reconcile_total{namespace="billing"} 4
`)
	if _, err := st.appendScrape(ref, samples, 100_000, "operator"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTrace(&buf, st); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadTrace(&buf, "written.om", TraceOptions{}); err != nil {
		t.Errorf("ReadTrace rejects what WriteTrace wrote: %v\n"+
			"(a scraped label named namespace, pod or container collides with the container labels WriteTrace adds)", err)
	}
}

func TestWriteSignalTraceKeepsEveryMetricASignalReads(t *testing.T) {
	var read []string
	for _, sig := range recommender.Signals() {
		read = append(read, DefaultMetrics(sig)...)
	}
	read = append(read, "container_cpu_cfs_periods_total") // the throttling ratio's denominator
	unread := []string{"go_threads", "go_info", "process_open_fds"}
	st := NewStore(0, 0)
	var batch []omSample
	for _, name := range append(slices.Clone(read), unread...) {
		batch = append(batch, gaugeSample(name, 1))
	}
	if _, err := st.appendScrape(checkout, batch, 100_000, "test"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSignalTrace(&buf, st); err != nil {
		t.Fatal(err)
	}
	for _, name := range read {
		if !strings.Contains(buf.String(), "\n"+name+"{") {
			t.Errorf("WriteSignalTrace dropped %s", name)
		}
	}
	for _, name := range unread {
		if strings.Contains(buf.String(), name) {
			t.Errorf("WriteSignalTrace wrote %s, which no signal reads", name)
		}
	}
}

type stats struct{ series, points int }

func (s stats) String() string { return fmt.Sprintf("%d series, %d points", s.series, s.points) }

func statsOf(s *Store) stats { series, points := s.Stats(); return stats{series, points} }

func sameKeys(a, b map[recommender.Signal]error) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

func FuzzReadTrace(f *testing.F) {
	for _, tt := range validBodies {
		f.Add([]byte(tt.in))
	}
	for _, tt := range malformedBodies {
		if len(tt.in) < 4096 {
			f.Add([]byte(tt.in))
		}
	}
	f.Add([]byte("# TYPE c counter\nc_total{pod=\"a\",code=\"200\"} 1 100\nc_total{pod=\"a\",code=\"200\"} 0 115.5\n# EOF\n"))
	f.Add([]byte("# TYPE s summary\ns{pod=\"a\",quantile=\"0.5\"} 1 100\ns_count{pod=\"a\"} 3 100\n# EOF\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		tr, err := ReadTrace(bytes.NewReader(in), "fuzz", TraceOptions{MaxSamples: 10_000})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) && !strings.Contains(err.Error(), "trace holds no sample") {
				t.Fatalf("error %v (%T) is neither a *ParseError nor an empty trace", err, err)
			}
			return
		}
		start, end := tr.Span()
		if start.After(end) {
			t.Errorf("Span() = %s..%s", start, end)
		}
		if _, err := tr.Fetch(context.Background(), recommender.Query{Window: recommender.Window{End: end}}); err != nil {
			t.Errorf("Fetch at the end of the span: %v", err)
		}
		// What was read can be written and read back, to the same trace.
		var first, second bytes.Buffer
		if err := WriteTrace(&first, tr.store); err != nil {
			t.Fatal(err)
		}
		back, err := ReadTrace(bytes.NewReader(first.Bytes()), "rewritten", TraceOptions{})
		if err != nil {
			t.Fatalf("ReadTrace(WriteTrace(trace)): %v\n%s", err, first.String())
		}
		if statsOf(back.store) != statsOf(tr.store) {
			t.Errorf("trace read back holds %s, want %s", statsOf(back.store), statsOf(tr.store))
		}
		if err := WriteTrace(&second, back.store); err != nil {
			t.Fatal(err)
		}
		if first.String() != second.String() {
			t.Errorf("rewriting changes the trace:\n%s\nthen:\n%s", first.String(), second.String())
		}
	})
}
