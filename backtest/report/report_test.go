package report

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestPathBreaksAtGapsAndBuckets(t *testing.T) {
	x := func(i float64) float64 { return i }
	y := func(v float64) float64 { return v }
	nan := math.NaN()
	line, area := path([]float64{1, 2, nan, nan, 5, 6}, 1, x, y, 0)
	if want := "M0.0 1.0L1.0 2.0M4.0 5.0L5.0 6.0"; line != want {
		t.Errorf("line %q, want %q", line, want)
	}
	if strings.Count(area, "Z") != 2 {
		t.Errorf("area %q: want two closed runs", area)
	}
	// Buckets of three keep each bucket's largest value.
	line, _ = path([]float64{1, 9, 2, 3, 4, 5, 7}, 3, x, y, 0)
	if want := "M0.0 9.0L3.0 5.0L6.0 7.0"; line != want {
		t.Errorf("bucketed line %q, want %q", line, want)
	}
}

func TestChartBoundsItsPoints(t *testing.T) {
	values := make([]float64, 7*24*60)
	for i := range values {
		values[i] = 1 + math.Sin(float64(i)/100)
	}
	c := newChart("cpu", "cores", time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), time.Minute,
		series{label: "usage", values: values}, []series{{class: "c0", label: "pacer", values: values}}, formatCores, decimalStep)
	if c.Empty != "" {
		t.Fatal(c.Empty)
	}
	if n := strings.Count(c.Lines[0].Path, "L") + 1; n > maxPoints {
		t.Errorf("%d points, want at most %d", n, maxPoints)
	}
	if len(c.XTicks) == 0 || len(c.XTicks) > 8 || c.XTicks[0].Label != "Jan 5" {
		t.Errorf("time ticks %+v", c.XTicks)
	}
	empty := newChart("cpu", "cores", time.Time{}, time.Minute, series{label: "CPU usage", values: []float64{math.NaN()}}, nil, formatCores, decimalStep)
	if empty.Empty != "no CPU usage data" {
		t.Errorf("empty chart: %q", empty.Empty)
	}
}

func TestFormats(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{formatCores(0.1234), "123m"}, {formatCores(1.5), "1.50"}, {formatCores(-1e-20), "0m"}, {formatCores(-0.02), "-20m"},
		{formatDuration(29 * time.Minute), "29m"}, {formatDuration(7 * 24 * time.Hour), "7d"},
		{formatDuration(25*time.Hour + 30*time.Minute), "1d1h30m"}, {formatDuration(6 * time.Hour), "6h"},
		{formatCount(3), "3"}, {formatCount(2.5), "2.5"}, {formatPercent(0.4321), "43.2%"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
