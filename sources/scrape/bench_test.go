package scrape

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/pacerdev/pacer/recommender"
)

// benchTrace builds a trace of pods × points samples of a gauge and as
// many of a counter, and returns it with its number of sample lines.
func benchTrace(pods, points int) ([]byte, int) {
	var b bytes.Buffer
	for _, family := range []struct{ typ, name, sample string }{
		{"gauge", "go_goroutines", "go_goroutines"},
		{"counter", "go_memstats_alloc_bytes", "go_memstats_alloc_bytes_total"},
	} {
		fmt.Fprintf(&b, "# TYPE %s %s\n", family.name, family.typ)
		for p := range pods {
			for i := range points {
				fmt.Fprintf(&b, "%s{namespace=\"shop\",pod=\"checkout-%d\",container=\"app\"} %d %d.%03d\n",
					family.sample, p, 1000+i*(p+1), 1_800_000_000+15*i, p%1000)
			}
		}
	}
	b.WriteString("# EOF\n")
	return b.Bytes(), 2 * pods * points
}

func BenchmarkReadTrace(b *testing.B) {
	trace, lines := benchTrace(100, 1000)
	b.SetBytes(int64(len(trace)))
	for b.Loop() {
		if _, err := ReadTrace(bytes.NewReader(trace), "bench", TraceOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkOpenMetricsParsers compares pacer's OpenMetrics parser with
// expfmt's on the same 2,000-line trace; the gap is why traces have their own parser.
func BenchmarkOpenMetricsParsers(b *testing.B) {
	input, n := benchTrace(10, 100)
	lines := float64(n)
	b.Run("pacer", func(b *testing.B) {
		for b.Loop() {
			if err := parseOpenMetrics(bytes.NewReader(input), "bench", func(int, omSample) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(lines*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	})
	b.Run("expfmt", func(b *testing.B) {
		for b.Loop() {
			dec := expfmt.NewDecoder(bytes.NewReader(input), expfmt.FmtOpenMetrics_1_0_0)
			for {
				var mf dto.MetricFamily
				err := dec.Decode(&mf)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(lines*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	})
}

// BenchmarkTraceFetch evaluates every signal for 1,000 containers with an
// hour of 15 s samples, as one instant and as an hour at 1 m steps.
func BenchmarkTraceFetch(b *testing.B) {
	tr, err := ReadTrace(bytes.NewReader(must(benchTrace(1000, 240))), "bench", TraceOptions{})
	if err != nil {
		b.Fatal(err)
	}
	_, end := tr.Span()
	for _, w := range []struct {
		name   string
		window recommender.Window
	}{
		{"instant", recommender.Window{End: end}},
		{"hour-at-1m", recommender.Window{End: end, Range: time.Hour, Step: time.Minute}},
	} {
		b.Run(w.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := tr.Fetch(context.Background(), recommender.Query{Window: w.window}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func must(b []byte, _ int) []byte { return b }
