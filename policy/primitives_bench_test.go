package policy

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// benchValues returns n CPU-like values, 0.1 to 2 cores, log-uniform.
func benchValues(n int) []float64 {
	rng := rand.New(rand.NewPCG(1, 1))
	values := make([]float64, n)
	for i := range values {
		values[i] = 0.1 * math.Pow(20, rng.Float64())
	}
	return values
}

// benchWeekHistogram returns a CPU histogram holding a week of 1-minute
// samples, and the time of the last one.
func benchWeekHistogram(b *testing.B) (*DecayingHistogram, time.Time) {
	h := newTestHistogram(b, cpuHistogramOptions)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, v := range benchValues(7 * 24 * 60) {
		at = at.Add(time.Minute)
		h.Add(v, 1, at)
	}
	return h, at
}

func BenchmarkDecayingHistogramAdd(b *testing.B) {
	h, at := benchWeekHistogram(b)
	values := benchValues(1024)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		at = at.Add(time.Minute)
		h.Add(values[i%len(values)], 1, at)
		i++
	}
}

func BenchmarkDecayingHistogramPercentile(b *testing.B) {
	h, _ := benchWeekHistogram(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := h.Percentile(0.9); !ok {
			b.Fatal("empty histogram")
		}
	}
}

func BenchmarkSustainedObserve(b *testing.B) {
	rule := Sustained{Threshold: 5000, For: 5 * time.Minute, MaxGap: 2 * time.Minute}
	values := []float64{6000, 7000, 4000, 8000, 9000, 6500, 5500, 100}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var state SustainedState
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		at = at.Add(15 * time.Second)
		state = rule.Observe(state, at, values[i%len(values)])
		i++
	}
}

func BenchmarkLinearTrend60(b *testing.B) {
	points := make([]Point, 60)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, v := range benchValues(len(points)) {
		points[i] = Point{At: at.Add(time.Duration(i) * time.Minute), Value: float64(i) + v}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := LinearTrend(points); !ok {
			b.Fatal("no fit")
		}
	}
}

func BenchmarkReplicaStabilizerNext(b *testing.B) {
	s := newTestStabilizer(b, DefaultBehavior())
	rng := rand.New(rand.NewPCG(2, 2))
	desired := make([]int32, 1024)
	for i := range desired {
		desired[i] = int32(1 + rng.IntN(50))
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	current := int32(10)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		now = now.Add(15 * time.Second)
		current, _ = s.Next(now, current, desired[i%len(desired)], 1, 50)
		i++
	}
}
