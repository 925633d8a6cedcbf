package report

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// chart is an SVG line chart laid out in Go, so that the template only
// places numbers and escaped labels.
type chart struct {
	Title, Axis              string
	Width, Height            int
	Left, Top, Right, Bottom float64
	YLabelX, XLabelY, TickY2 float64
	// Area and AreaLine draw the usage, Lines each recommender's setting.
	Area, AreaLine, AreaLabel string
	Lines                     []chartLine
	Marks                     []chartMark
	YTicks, XTicks            []chartTick
	// Empty says why there is nothing to draw.
	Empty string
}

type chartLine struct {
	Class, Label, Path string
	Dashed             bool
}

// chartMark is an event at a point: an OOM kill, an overloaded step.
type chartMark struct {
	Class, Label string
	X, Y         float64
}

type chartTick struct {
	Pos   float64
	Label string
}

// series is one line of a chart before layout: a value a step.
type series struct {
	class, label string
	values       []float64
	dashed       bool
	// marks are steps to mark on the line.
	marks     []int
	markLabel string
}

const (
	chartWidth  = 640
	chartHeight = 220
	// maxPoints bounds the points of a line: longer series are bucketed,
	// each bucket drawn at its largest value.
	maxPoints = 480
)

// newChart lays out usage (filled) and lines over steps from start.
func newChart(title, axis string, start time.Time, step time.Duration, usage series, lines []series, format func(float64) string, tickStep func(float64) float64) chart {
	c := chart{Title: title, Axis: axis, Width: chartWidth, Height: chartHeight, Left: 64, Top: 10, Right: chartWidth - 12, Bottom: chartHeight - 34}
	c.YLabelX, c.XLabelY, c.TickY2 = c.Left-6, c.Bottom+16, c.Bottom+4
	n := len(usage.values)
	top := 0.0
	for _, s := range append([]series{usage}, lines...) {
		for _, v := range s.values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				top = max(top, v)
			}
		}
	}
	if n == 0 || top <= 0 {
		c.Empty = "no " + usage.label + " data"
		return c
	}
	tick := tickStep(top * 1.05)
	top = math.Ceil(top*1.05/tick) * tick
	y := func(v float64) float64 { return round1(c.Bottom - v/top*(c.Bottom-c.Top)) }
	for i := 0; float64(i)*tick <= top+tick/2; i++ {
		c.YTicks = append(c.YTicks, chartTick{y(float64(i) * tick), format(float64(i) * tick)})
	}
	span := max(1, n-1)
	x := func(i float64) float64 { return round1(c.Left + i/float64(span)*(c.Right-c.Left)) }
	c.XTicks = timeTicks(start, step, n, x)

	bucket := max(1, (n+maxPoints-1)/maxPoints)
	c.AreaLine, c.Area = path(usage.values, bucket, x, y, c.Bottom)
	c.AreaLabel = usage.label
	for _, s := range lines {
		p, _ := path(s.values, bucket, x, y, c.Bottom)
		if p == "" {
			continue
		}
		c.Lines = append(c.Lines, chartLine{Class: s.class, Label: s.label, Path: p, Dashed: s.dashed})
		for _, i := range s.marks {
			v := s.values[i]
			if math.IsNaN(v) {
				v = 0
			}
			c.Marks = append(c.Marks, chartMark{Class: s.class, Label: fmt.Sprintf("%s: %s at %s", s.label, s.markLabel, start.Add(time.Duration(i)*step).UTC().Format(time.RFC3339)),
				X: x(float64(i)), Y: y(v)})
		}
	}
	return c
}

// path draws the bucketed values as a line, broken where there are none,
// and as an area down to the baseline.
func path(values []float64, bucket int, x func(float64) float64, y func(float64) float64, baseline float64) (line, area string) {
	var l, a strings.Builder
	var segment []float64 // x, y pairs of the current run
	flush := func() {
		for k := 0; k < len(segment); k += 2 {
			fmt.Fprintf(&l, "%s%.1f %.1f", moveOrLine(k), segment[k], segment[k+1])
		}
		if len(segment) > 0 {
			fmt.Fprintf(&a, "M%.1f %.1f", segment[0], baseline)
			for k := 0; k < len(segment); k += 2 {
				fmt.Fprintf(&a, "L%.1f %.1f", segment[k], segment[k+1])
			}
			fmt.Fprintf(&a, "L%.1f %.1fZ", segment[len(segment)-2], baseline)
		}
		segment = segment[:0]
	}
	for from := 0; from < len(values); from += bucket {
		v := math.NaN()
		for _, w := range values[from:min(from+bucket, len(values))] {
			if !math.IsNaN(w) && (math.IsNaN(v) || w > v) {
				v = w
			}
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			flush()
			continue
		}
		segment = append(segment, x(float64(from)), y(v))
	}
	flush()
	return l.String(), a.String()
}

func moveOrLine(k int) string {
	if k == 0 {
		return "M"
	}
	return "L"
}

// timeSteps are the spacings of time ticks, smallest first.
var timeSteps = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour,
}

// timeTicks places at most about seven ticks on whole steps of UTC time.
func timeTicks(start time.Time, step time.Duration, n int, x func(float64) float64) []chartTick {
	end := start.Add(time.Duration(n-1) * step)
	every := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if end.Sub(start)/s <= 7 {
			every = s
			break
		}
	}
	layout := "15:04"
	if end.Sub(start) > 24*time.Hour {
		layout = "Jan 2"
		if every < 24*time.Hour {
			layout = "Jan 2 15:04"
		}
	}
	var ticks []chartTick
	for t := start.UTC().Truncate(every); !t.After(end); t = t.Add(every) {
		if !t.Before(start) {
			ticks = append(ticks, chartTick{x(float64(t.Sub(start)) / float64(step)), t.UTC().Format(layout)})
		}
	}
	return ticks
}

// decimalStep is a 1-2-5 tick step giving at most five ticks up to top.
func decimalStep(top float64) float64 {
	base := math.Pow(10, math.Floor(math.Log10(top/5)))
	for _, m := range []float64{1, 2, 5, 10} {
		if top/(m*base) <= 5 {
			return m * base
		}
	}
	return 10 * base
}

// binaryStep is a power-of-two tick step in bytes giving at most five ticks.
func binaryStep(top float64) float64 {
	step := 1024.0
	for top/step > 5 {
		step *= 2
	}
	return step
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
