package policy

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"
)

func TestLinearTrend(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	tests := []struct {
		name    string
		points  []Point
		want    Fit
		wantOK  bool
		horizon time.Time // checked with At when wantOK
		wantAt  float64
	}{
		{name: "nil"},
		{name: "two points", points: []Point{{t0, 1}, {sec(1), 2}}},
		{name: "zero time span", points: []Point{{t0, 1}, {t0, 2}, {t0, 3}}},
		{name: "too few finite", points: []Point{{t0, 1}, {sec(1), math.NaN()}, {sec(2), math.Inf(1)}, {sec(3), 4}}},
		{name: "exact line", points: []Point{{t0, 2}, {sec(10), 7}, {sec(20), 12}, {sec(30), 17}},
			want: Fit{Origin: t0, Intercept: 2, Slope: 0.5, R2: 1, N: 4}, wantOK: true, horizon: sec(100), wantAt: 52},
		{name: "origin is the first point", points: []Point{{sec(10), 7}, {sec(20), 12}, {t0, 2}},
			want: Fit{Origin: sec(10), Intercept: 7, Slope: 0.5, R2: 1, N: 3}, wantOK: true, horizon: t0, wantAt: 2},
		{name: "constant", points: []Point{{t0, 3}, {sec(1), 3}, {sec(2), 3}},
			want: Fit{Origin: t0, Intercept: 3, Slope: 0, R2: 1, N: 3}, wantOK: true, horizon: sec(1e6), wantAt: 3},
		{name: "decreasing", points: []Point{{t0, 10}, {sec(60), 4}, {sec(120), -2}},
			want: Fit{Origin: t0, Intercept: 10, Slope: -0.1, R2: 1, N: 3}, wantOK: true, horizon: sec(180), wantAt: -8},
		{name: "non-finite skipped", points: []Point{{t0, math.NaN()}, {sec(1), 1}, {sec(2), math.Inf(-1)}, {sec(3), 4}, {sec(5), 7}},
			want: Fit{Origin: sec(1), Intercept: 1, Slope: 1.5, R2: 1, N: 3}, wantOK: true, horizon: sec(7), wantAt: 10},
		{name: "noisy", points: []Point{{t0, 0}, {sec(1), 1}, {sec(2), 0}, {sec(3), 1}},
			want: Fit{Origin: t0, Intercept: 0.2, Slope: 0.2, R2: 0.2, N: 4}, wantOK: true, horizon: sec(4), wantAt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LinearTrend(tt.points)
			if ok != tt.wantOK {
				t.Fatalf("LinearTrend() ok = %v, want %v (fit %+v)", ok, tt.wantOK, got)
			}
			if !ok {
				return
			}
			near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }
			if !got.Origin.Equal(tt.want.Origin) || got.N != tt.want.N || !near(got.Intercept, tt.want.Intercept) ||
				!near(got.Slope, tt.want.Slope) || !near(got.R2, tt.want.R2) {
				t.Errorf("LinearTrend() = %+v, want %+v", got, tt.want)
			}
			if at := got.At(tt.horizon); !near(at, tt.wantAt) {
				t.Errorf("At(%s) = %v, want %v", tt.horizon.Sub(t0), at, tt.wantAt)
			}
		})
	}
}

// TestLinearTrendMatchesGonum: on random noisy series LinearTrend is gonum's
// regression on seconds since the first point, and its input is untouched.
func TestLinearTrendMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for c := range 200 {
		points := make([]Point, 3+rng.IntN(100))
		xs, ys := make([]float64, len(points)), make([]float64, len(points))
		slope, intercept := rng.NormFloat64(), 100*rng.NormFloat64()
		for i := range points {
			x := float64(i)*15 + rng.Float64()*10
			points[i] = Point{At: t0.Add(time.Duration(x * float64(time.Second))), Value: intercept + slope*x + rng.NormFloat64()}
			xs[i], ys[i] = points[i].At.Sub(points[0].At).Seconds(), points[i].Value
		}
		before := points[len(points)-1]
		fit, ok := LinearTrend(points)
		if !ok {
			t.Fatalf("case %d: LinearTrend not ok", c)
		}
		a, b := stat.LinearRegression(xs, ys, nil, false)
		r2 := stat.RSquared(xs, ys, nil, a, b)
		// Not bit-for-bit: gonum's assembly sums depend on slice alignment.
		near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*max(1, math.Abs(y)) }
		if !near(fit.Intercept, a) || !near(fit.Slope, b) || !near(fit.R2, r2) || fit.N != len(points) || !fit.Origin.Equal(points[0].At) {
			t.Fatalf("case %d: LinearTrend = %+v, gonum gives intercept %v slope %v R2 %v", c, fit, a, b, r2)
		}
		if points[len(points)-1] != before {
			t.Fatalf("case %d: LinearTrend modified its input", c)
		}
	}
}
