package policy

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat"
)

func TestPercentile(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	oneToTen := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	tests := []struct {
		name   string
		values []float64
		p      float64
		want   float64
		wantOK bool
	}{
		{name: "nil", values: nil, p: 0.5},
		{name: "empty", values: []float64{}, p: 0.5},
		{name: "p below 0", values: []float64{1}, p: -0.01},
		{name: "p above 1", values: []float64{1}, p: 1.01},
		{name: "p NaN", values: []float64{1}, p: nan},
		{name: "only NaN and Inf", values: []float64{nan, inf, -inf}, p: 0.5},
		{name: "single p=0", values: []float64{7}, p: 0, want: 7, wantOK: true},
		{name: "single p=0.5", values: []float64{7}, p: 0.5, want: 7, wantOK: true},
		{name: "single p=1", values: []float64{7}, p: 1, want: 7, wantOK: true},
		{name: "p=0 is the minimum", values: oneToTen, p: 0, want: 1, wantOK: true},
		{name: "p=1 is the maximum", values: oneToTen, p: 1, want: 10, wantOK: true},
		{name: "median of ten", values: oneToTen, p: 0.5, want: 5, wantOK: true},
		{name: "p90 of ten", values: oneToTen, p: 0.9, want: 9, wantOK: true},
		{name: "p95 of ten rounds up", values: oneToTen, p: 0.95, want: 10, wantOK: true},
		{name: "p0.01 of ten", values: oneToTen, p: 0.01, want: 1, wantOK: true},
		{name: "median of three unsorted", values: []float64{3, 1, 2}, p: 0.5, want: 2, wantOK: true},
		{name: "duplicates", values: []float64{2, 2, 2, 5}, p: 0.75, want: 2, wantOK: true},
		{name: "negative values", values: []float64{-3, -1, -2}, p: 0, want: -3, wantOK: true},
		{name: "NaN and Inf skipped", values: []float64{nan, 5, inf, 1, -inf}, p: 1, want: 5, wantOK: true},
		{name: "NaN and Inf skipped p=0", values: []float64{nan, 5, inf, 1, -inf}, p: 0, want: 1, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.values)
			got, ok := Percentile(tt.values, tt.p)
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Errorf("Percentile(%v, %v) = %v, %v; want %v, %v", tt.values, tt.p, got, ok, tt.want, tt.wantOK)
			}
			if !slices.EqualFunc(before, tt.values, func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }) {
				t.Errorf("Percentile modified its input: %v, was %v", tt.values, before)
			}
		})
	}
}

// TestPercentileProperties checks, over random inputs, that Percentile is
// gonum's empirical quantile, is one of the values, covers at least a
// fraction p of them, and is monotonic in p.
func TestPercentileProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for c := range 300 {
		values := make([]float64, 1+rng.IntN(50))
		for i := range values {
			values[i] = math.Round(rng.NormFloat64()*100) / 10 // with ties
		}
		sorted := slices.Sorted(slices.Values(values))
		ps := []float64{0, 1}
		for range 20 {
			ps = append(ps, rng.Float64())
		}
		slices.Sort(ps)
		prev := math.Inf(-1)
		for _, p := range ps {
			got, ok := Percentile(values, p)
			if !ok {
				t.Fatalf("case %d: Percentile(%v) not ok", c, p)
			}
			if want := stat.Quantile(p, stat.Empirical, sorted, nil); got != want {
				t.Fatalf("case %d: Percentile(%v) = %v, gonum says %v", c, p, got, want)
			}
			if !slices.Contains(values, got) {
				t.Fatalf("case %d: Percentile(%v) = %v is not one of the values", c, p, got)
			}
			atOrBelow := 0
			for _, v := range values {
				if v <= got {
					atOrBelow++
				}
			}
			if float64(atOrBelow) < p*float64(len(values))*(1-1e-12) {
				t.Fatalf("case %d: Percentile(%v) = %v covers only %d of %d values", c, p, got, atOrBelow, len(values))
			}
			if got < prev {
				t.Fatalf("case %d: Percentile not monotonic: p=%v gives %v < %v", c, p, got, prev)
			}
			prev = got
		}
	}
}
