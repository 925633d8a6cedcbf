package sim

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/scrape"
)

func guessWorkload(r recommender.ContainerRef) recommender.WorkloadRef {
	return recommender.GuessWorkload(r.Namespace, r.Pod)
}

// readTrace reads an OpenMetrics trace as pacer backtest does.
func readTrace(t *testing.T, text string) *scrape.Trace {
	t.Helper()
	tr, err := scrape.ReadTrace(strings.NewReader(text), "test.om", scrape.TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestLoadRefusesHugeGrids: a trace whose two samples are decades apart, or
// whose containers over its span would not fit in memory, is refused with
// an error naming the trace before the grid is allocated, where it would
// otherwise end the process out of memory.
func TestLoadRefusesHugeGrids(t *testing.T) {
	far := readTrace(t, "# TYPE go_goroutines gauge\n"+
		"go_goroutines{namespace=\"a\",pod=\"api-0\",container=\"app\"} 1 100\n"+
		"go_goroutines{namespace=\"a\",pod=\"api-0\",container=\"app\"} 1 1000000000\n# EOF\n")
	start, end := far.Span()
	_, err := Load(context.Background(), far, "far.om", start, end, time.Minute, guessWorkload)
	if err == nil || !strings.Contains(err.Error(), "trace far.om") || !strings.Contains(err.Error(), "more than 1000000 steps") {
		t.Errorf("decades at a minute: err = %v, want a refusal naming the trace and the step limit", err)
	}

	var b strings.Builder
	b.WriteString("# TYPE go_goroutines gauge\n")
	pods := maxGridValues/(numSignals*(maxSteps-1)) + 1
	for i := range pods {
		fmt.Fprintf(&b, "go_goroutines{namespace=\"a\",pod=\"api-%d\",container=\"app\"} 1 0\n", i)
	}
	fmt.Fprintf(&b, "go_goroutines{namespace=\"a\",pod=\"api-0\",container=\"app\"} 1 %d\n# EOF\n", maxSteps-2)
	wide := readTrace(t, b.String())
	start, end = wide.Span()
	_, err = Load(context.Background(), wide, "wide.om", start, end, time.Second, guessWorkload)
	if err == nil || !strings.Contains(err.Error(), "trace wide.om") || !strings.Contains(err.Error(), fmt.Sprintf("%d containers", pods)) {
		t.Errorf("%d containers over %d steps: err = %v, want a refusal naming the trace and the containers", pods, maxSteps-1, err)
	}
}

// FuzzLoad reads any trace scrape accepts onto a grid: Load never panics,
// refuses only with an error that names the trace, and a trace it loads
// has every pod on the grid, workloads and containers sorted and unique.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"# TYPE go_goroutines gauge\ngo_goroutines{namespace=\"a\",pod=\"api-7d9f8b6c5d-x2x4z\",container=\"app\"} 12 100\n" +
			"go_goroutines{namespace=\"a\",pod=\"api-7d9f8b6c5d-x2x4z\",container=\"app\"} 14 160\n# EOF\n",
		"# TYPE container_cpu_usage_seconds counter\ncontainer_cpu_usage_seconds_total{pod=\"web-0\",container=\"app\"} 1 0\n" +
			"container_cpu_usage_seconds_total{pod=\"web-0\",container=\"app\"} 3 60\ncontainer_cpu_usage_seconds_total{pod=\"web-1\",container=\"side\"} 0 120\n# EOF\n",
		"# TYPE go_goroutines gauge\ngo_goroutines{pod=\"a\"} 1 0\ngo_goroutines{pod=\"a\"} 1 100000000000\n# EOF\n",
	} {
		f.Add([]byte(seed), int64(60))
	}
	f.Fuzz(func(t *testing.T, in []byte, stepSeconds int64) {
		tr, err := scrape.ReadTrace(bytes.NewReader(in), "fuzz.om", scrape.TraceOptions{MaxSamples: 10_000, MaxSeries: 200})
		if err != nil {
			return // the trace reader's own fuzz test covers its errors
		}
		start, end := tr.Span()
		// Keep the grid small, so the fuzzer spends its time on shapes, not
		// on allocating: at least a thousandth of the span, at least 1s.
		step := max(time.Duration(stepSeconds)*time.Second, end.Sub(start)/1000, time.Second)
		if step <= 0 {
			step = time.Second
		}
		got, err := Load(context.Background(), tr, "fuzz.om", start, end, step, guessWorkload)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.om") {
				t.Fatalf("error %q does not name the trace", err)
			}
			return
		}
		if got.Steps < 1 || got.Steps > 1001 || got.At(got.Steps-1).After(end) {
			t.Fatalf("%d steps of %s from %s to %s", got.Steps, step, start, end)
		}
		if !slices.IsSortedFunc(got.Workloads, func(a, b *Workload) int { return strings.Compare(a.Ref.String(), b.Ref.String()) }) {
			t.Fatalf("workloads not sorted")
		}
		for _, w := range got.Workloads {
			for i, c := range w.Containers {
				if i > 0 && w.Containers[i-1].Name >= c.Name {
					t.Fatalf("%s: containers not sorted and unique", w.Ref)
				}
				for _, p := range c.Pods {
					for k := range p.values {
						if len(p.values[k]) != got.Steps {
							t.Fatalf("%s/%s: %d values for %d steps", w.Ref, p.Pod, len(p.values[k]), got.Steps)
						}
					}
					if wl := guessWorkload(recommender.ContainerRef{Namespace: w.Ref.Namespace, Pod: p.Pod, Container: c.Name}); wl != w.Ref {
						t.Fatalf("pod %s sits in %s, belongs to %s", p.Pod, w.Ref, wl)
					}
				}
			}
		}
	})
}
