package policy

import (
	"time"

	"gonum.org/v1/gonum/stat"
)

// Point is one observation of a signal.
type Point struct {
	At    time.Time
	Value float64
}

// Fit is a least-squares line through a series: Value ≈ Intercept +
// Slope·(t − Origin) in seconds.
type Fit struct {
	Origin    time.Time // time of x = 0
	Intercept float64   // value at Origin
	Slope     float64   // change per second
	R2        float64   // coefficient of determination; 1 for a constant series
	N         int       // number of points fitted
}

// minTrendPoints is the fewest points LinearTrend fits a line through.
const minTrendPoints = 3

// LinearTrend fits a line through points with gonum's stat.LinearRegression,
// x being the seconds since the first point (which becomes the Origin).
// Points with a NaN or ±Inf value are skipped; points need not be in time
// order. ok is false for fewer than 3 usable points or a zero time span.
func LinearTrend(points []Point) (Fit, bool) {
	buf := make([]float64, 2*len(points))
	xs, ys := buf[:0:len(points)], buf[len(points):len(points)]
	var origin time.Time
	var minX, maxX float64
	for _, p := range points {
		if !isFiniteFloat(p.Value) {
			continue
		}
		if len(xs) == 0 {
			origin = p.At
		}
		x := p.At.Sub(origin).Seconds()
		minX, maxX = min(minX, x), max(maxX, x)
		xs, ys = append(xs, x), append(ys, p.Value)
	}
	if len(xs) < minTrendPoints || minX == maxX {
		return Fit{}, false
	}
	intercept, slope := stat.LinearRegression(xs, ys, nil, false)
	r2 := 1.0
	if !allEqual(ys) {
		r2 = stat.RSquared(xs, ys, nil, intercept, slope)
	}
	return Fit{Origin: origin, Intercept: intercept, Slope: slope, R2: r2, N: len(xs)}, true
}

// At returns the fitted value at t, a forecast when t is past the data.
func (f Fit) At(t time.Time) float64 {
	return f.Intercept + f.Slope*t.Sub(f.Origin).Seconds()
}

// allEqual reports whether every value in xs is the same.
func allEqual(xs []float64) bool {
	for _, x := range xs[1:] {
		if x != xs[0] {
			return false
		}
	}
	return true
}
