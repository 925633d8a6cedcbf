package generate

import (
	"io"
	"testing"
	"time"
)

// BenchmarkGenerateWeek generates and writes a 7-day, 3-pod trace and its
// truth: what pacer backtest generate --days 7 --pods 3 does.
func BenchmarkGenerateWeek(b *testing.B) {
	var trace, truth countingWriter
	for b.Loop() {
		tr, err := Generate(Config{Scenario: "diurnal", Seed: 1, Pods: 3, Duration: 7 * 24 * time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		trace, truth = 0, 0
		if err := tr.WriteOpenMetrics(&trace); err != nil {
			b.Fatal(err)
		}
		if err := tr.WriteTruth(&truth); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(trace)/MiB, "trace-MiB")
	b.ReportMetric(float64(truth)/MiB, "truth-MiB")
}

type countingWriter int

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
