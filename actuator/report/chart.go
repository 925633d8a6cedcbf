package report

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// chart is an SVG line chart, laid out in Go so that the template only
// places numbers and escaped labels.
type chart struct {
	Title string
	// Axis names the y axis and its unit.
	Axis          string
	Width, Height int
	Left, Top     float64
	Right, Bottom float64
	// YLabelX, XLabelY, MidX and MidY place the tick labels and axis titles.
	YLabelX, XLabelY, TickY2 float64
	MidX, MidY               float64
	Series                   []chartSeries
	Marks                    []chartMark
	YTicks                   []chartTick
	XTicks                   []chartTick
	// Empty says why there is nothing to draw; the chart is drawn only when it is "".
	Empty string
}

// chartSeries is one signal: a line through the bucket means and a band up to the bucket maxima.
type chartSeries struct {
	Class, Label string
	Line, Band   string
}

// chartMark is a horizontal line for a setting, e.g. the recommended request.
type chartMark struct {
	Class, Label, Value string
	Y                   float64
}

type chartTick struct {
	Pos   float64
	Label string
}

const (
	chartWidth  = 640
	chartHeight = 240
)

// signalLine is a usage series with how to draw and label it.
type signalLine struct {
	class, label string
	usage        *SignalUsage
}

// settingLine is a setting drawn across the chart; zero is not drawn.
type settingLine struct {
	class, label string
	value        float64
	// format renders the value; nil for the chart's format.
	format func(float64) string
}

// newChart lays out a chart of usage series and settings over [start, end].
func newChart(title, axis string, start, end time.Time, lines []signalLine, settings []settingLine, format func(float64) string, step func(float64) float64) chart {
	c := chart{Title: title, Axis: axis, Width: chartWidth, Height: chartHeight, Left: 64, Top: 12, Right: chartWidth - 16, Bottom: chartHeight - 40}
	c.YLabelX, c.XLabelY, c.TickY2 = c.Left-6, c.Bottom+16, c.Bottom+4
	c.MidX, c.MidY = (c.Left+c.Right)/2, (c.Top+c.Bottom)/2
	top := 0.0
	for _, l := range lines {
		if l.usage != nil {
			top = max(top, l.usage.Max)
		}
	}
	if top == 0 {
		c.Empty = "no " + lines[0].label + " data over the window"
		return c
	}
	for _, s := range settings {
		top = max(top, s.value)
	}
	tick := step(top * 1.05)
	top = math.Ceil(top*1.05/tick) * tick
	y := func(v float64) float64 { return c.Bottom - v/top*(c.Bottom-c.Top) }
	for i := 0; float64(i)*tick <= top+tick/2; i++ {
		v := float64(i) * tick
		c.YTicks = append(c.YTicks, chartTick{round1(y(v)), format(v)})
	}
	span := end.Sub(start)
	if span <= 0 {
		span = time.Second
	}
	x := func(t time.Time) float64 { return c.Left + float64(t.Sub(start))/float64(span)*(c.Right-c.Left) }
	c.XTicks = timeTicks(start, end, x)

	for _, l := range lines {
		if l.usage == nil || len(l.usage.Points) == 0 {
			continue
		}
		line, band := paths(l.usage.Points, x, y)
		c.Series = append(c.Series, chartSeries{Class: l.class, Label: l.label, Line: line, Band: band})
	}
	for _, s := range settings {
		if s.value > 0 {
			show := format
			if s.format != nil {
				show = s.format
			}
			c.Marks = append(c.Marks, chartMark{Class: s.class, Label: s.label, Value: show(s.value), Y: round1(y(s.value))})
		}
	}
	return c
}

// paths returns the SVG path of the means and of the band between means
// and maxima, broken where the data has a gap.
func paths(points []Point, x func(time.Time) float64, y func(float64) float64) (line, band string) {
	var spacing time.Duration
	for i := 1; i < len(points); i++ {
		if d := points[i].At.Sub(points[i-1].At); spacing == 0 || d < spacing {
			spacing = d
		}
	}
	var l, b strings.Builder
	segment := func(seg []Point) {
		for i, p := range seg {
			fmt.Fprintf(&l, "%s%.1f %.1f", moveOrLine(i), x(p.At), y(p.Mean))
		}
		for i, p := range seg {
			fmt.Fprintf(&b, "%s%.1f %.1f", moveOrLine(i), x(p.At), y(p.Max))
		}
		for i := len(seg) - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "L%.1f %.1f", x(seg[i].At), y(seg[i].Mean))
		}
		b.WriteString("Z")
	}
	from := 0
	for i := 1; i <= len(points); i++ {
		if i == len(points) || points[i].At.Sub(points[i-1].At) > 3*spacing {
			segment(points[from:i])
			from = i
		}
	}
	return l.String(), b.String()
}

func moveOrLine(i int) string {
	if i == 0 {
		return "M"
	}
	return "L"
}

// timeSteps are the spacings of time ticks, smallest first.
var timeSteps = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour,
}

// timeTicks places at most about six ticks on whole steps of UTC time.
func timeTicks(start, end time.Time, x func(time.Time) float64) []chartTick {
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if end.Sub(start)/s <= 6 {
			step = s
			break
		}
	}
	layout := "15:04"
	if end.Sub(start) > 24*time.Hour {
		layout = "Jan 2 15:04"
	}
	var ticks []chartTick
	for t := start.UTC().Truncate(step); !t.After(end); t = t.Add(step) {
		if !t.Before(start) {
			ticks = append(ticks, chartTick{round1(x(t)), t.UTC().Format(layout)})
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

// binaryStep is a power-of-two tick step in bytes giving at most five ticks up to top.
func binaryStep(top float64) float64 {
	step := 1024.0
	for top/step > 5 {
		step *= 2
	}
	return step
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
