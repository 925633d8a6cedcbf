package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

//go:embed report.html.tmpl
var htmlSource string

// htmlTemplate renders the html format: one self-contained page, no
// scripts, no external resources. html/template escapes every name.
var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

type htmlPage struct {
	Title, Heading, Header, Generated string
	// Live is set when the page is the live dashboard, not a report file.
	Live      *htmlLive
	DeltaLine string
	Cards     []htmlCard
	Flags     []string
	Columns   []string
	Rows      []htmlRow
	Workloads []htmlWorkload
}

// htmlLive is what the dashboard adds to the report page.
type htmlLive struct {
	Notice         string
	RefreshSeconds int
	Links          []htmlLink
}

type htmlLink struct{ Href, Text string }

type htmlCard struct {
	Label, Value, Detail string
	Class                string
}

type htmlRow struct {
	Anchor       string
	Cells        []htmlCell
	Outcome      string
	OutcomeClass string
}

type htmlCell struct {
	Text, Class string
}

type htmlWorkload struct {
	Anchor, Title, Kind, Outcome, OutcomeClass, Policy string
	Replicas, Horizontal, Delta, Cost                  string
	Flags, Missing                                     []string
	Containers                                         []htmlContainer
	HorizontalReasons, Notes                           []Reason
}

type htmlContainer struct {
	Name     string
	Settings []htmlSetting
	Usage    string
	OOMKills int
	Charts   []chart
	Reasons  []Reason
}

type htmlSetting struct {
	Label, Current, Recommended, Bounds, Class string
}

func writeHTML(w *bufio.Writer, r *Report) error {
	return htmlTemplate.Execute(w, htmlView(r))
}

var directionClass = map[direction]string{unchanged: "same", down: "down", up: "up", changed: "changed"}

func htmlView(r *Report) htmlPage {
	p := htmlPage{
		Title:     "pacer report",
		Heading:   "pacer report",
		Header:    sourceLine(r),
		Generated: r.GeneratedAt.Format(timeLayout),
		DeltaLine: deltaLine(r),
		Cards:     summaryCards(r),
		Columns:   []string{"Workload", "Container", "Status", "Replicas"},
	}
	if r.Source != "" {
		p.Title += ": " + r.Source
	}
	p.Flags = flagCountsList(r.Summary)
	for _, c := range resourceColumns {
		p.Columns = append(p.Columns, c.header)
	}
	p.Columns = append(p.Columns, "Why")
	for i, wl := range r.Workloads {
		anchor := fmt.Sprintf("w%d", i+1)
		containers := wl.Containers
		if len(containers) == 0 {
			containers = []Container{{Name: defaultText}}
		}
		for _, c := range containers {
			row := htmlRow{Anchor: anchor, Outcome: outcomeText(wl.Outcome), OutcomeClass: string(wl.Outcome), Cells: []htmlCell{
				{wl.Namespace + "/" + workloadName(wl), "name"}, {c.Name, "name"},
			}}
			rest := []htmlCell{{replicasText(wl.Replicas), ""}}
			for _, col := range resourceColumns {
				text, d := col.change(c.Current, c.Recommended)
				rest = append(rest, htmlCell{text, directionClass[d]})
			}
			rest = append(rest, htmlCell{why(wl, c), "why"})
			row.Cells = append(row.Cells, rest...)
			p.Rows = append(p.Rows, row)
		}
		p.Workloads = append(p.Workloads, htmlWorkloadView(anchor, wl, r))
	}
	return p
}

func flagCountsList(s Summary) []string {
	if len(s.ByFlag) == 0 {
		return nil
	}
	var out []string
	for _, f := range sortedFlags(s.ByFlag) {
		out = append(out, fmt.Sprintf("%s × %d", f, s.ByFlag[f]))
	}
	return out
}

func summaryCards(r *Report) []htmlCard {
	s := r.Summary
	cards := []htmlCard{{Label: "Workloads", Value: fmt.Sprint(s.Workloads), Detail: outcomeCounts(s)}}
	coverage := fmt.Sprintf("over all replicas of %d of %d ready workloads", s.DeltaWorkloads, s.ByOutcome[recommender.OutcomeReady])
	if s.UnknownDeltaWorkloads > 0 {
		coverage += fmt.Sprintf("; %d with unknown current values", s.UnknownDeltaWorkloads)
	}
	if s.Delta.CPURequestCores == nil {
		cards = append(cards,
			htmlCard{Label: "CPU requests", Value: "unknown", Detail: "current requests not known", Class: "unknown"},
			htmlCard{Label: "Memory requests", Value: "unknown", Detail: "current requests not known", Class: "unknown"})
		return cards
	}
	cards = append(cards,
		htmlCard{Label: "CPU requests", Value: signedCores(*s.Delta.CPURequestCores), Detail: coverage, Class: signClass(*s.Delta.CPURequestCores)},
		htmlCard{Label: "Memory requests", Value: signedGiB(*s.Delta.MemoryRequestBytes), Detail: coverage, Class: signClass(*s.Delta.MemoryRequestBytes)})
	if s.Delta.CostPerMonth != nil && r.Prices != nil {
		cards = append(cards, htmlCard{Label: "Cost per month", Value: signedMoney(*s.Delta.CostPerMonth, r.Prices.Currency),
			Detail: fmt.Sprintf("%g %s per core-hour, %g per GiB-hour, %d hours", r.Prices.PerCoreHour, r.Prices.Currency, r.Prices.PerGiBHour, HoursPerMonth),
			Class:  signClass(*s.Delta.CostPerMonth)})
	}
	return cards
}

func signClass(v float64) string {
	switch {
	case v < 0:
		return "down"
	case v > 0:
		return "up"
	}
	return "same"
}

func htmlWorkloadView(anchor string, wl Workload, r *Report) htmlWorkload {
	v := htmlWorkload{
		Anchor: anchor, Title: wl.Namespace + "/" + wl.Name, Kind: string(wl.Kind),
		Outcome: outcomeText(wl.Outcome), OutcomeClass: string(wl.Outcome), Policy: wl.Policy,
		Replicas: replicasText(wl.Replicas), Delta: workloadDelta(wl, r.Prices), Cost: costText(wl, r.Prices),
		Notes: wl.Notes,
	}
	for _, f := range wl.Flags {
		v.Flags = append(v.Flags, string(f))
	}
	for _, m := range wl.Missing {
		v.Missing = append(v.Missing, missingLine(m))
	}
	if wl.Horizontal != nil {
		v.Horizontal = horizontalText(wl.Horizontal)
		v.HorizontalReasons = wl.Horizontal.Reasons
	}
	start, end := chartSpan(r, wl)
	for _, c := range wl.Containers {
		hc := htmlContainer{Name: c.Name, Usage: usageText(c.Usage), OOMKills: c.OOMKills, Reasons: c.Reasons}
		for _, col := range resourceColumns {
			s := htmlSetting{Label: col.label, Current: col.show(c.Current), Recommended: "-"}
			if c.Recommended != nil {
				_, d := col.change(c.Current, c.Recommended)
				s.Recommended, s.Class = col.show(c.Recommended), directionClass[d]
			}
			if c.LowerBound != nil && c.UpperBound != nil && (col.header == "CPU REQ" || col.header == "MEM REQ") {
				s.Bounds = col.show(c.LowerBound) + " – " + col.show(c.UpperBound)
			}
			hc.Settings = append(hc.Settings, s)
		}
		if c.Usage != nil {
			hc.Charts = containerCharts(c, start, end)
		}
		v.Containers = append(v.Containers, hc)
	}
	return v
}

// chartSpan is the time axis of a workload's charts: the report's window,
// else the span of its points.
func chartSpan(r *Report, wl Workload) (start, end time.Time) {
	if r.Window != nil && r.Window.Range > 0 {
		return r.Window.Start, r.Window.End
	}
	for _, c := range wl.Containers {
		if c.Usage == nil {
			continue
		}
		for _, s := range []*SignalUsage{c.Usage.CPUCores, c.Usage.WorkingSetBytes, c.Usage.LiveHeapBytes} {
			if s == nil {
				continue
			}
			for _, p := range s.Points {
				if start.IsZero() || p.At.Before(start) {
					start = p.At
				}
				if p.At.After(end) {
					end = p.At
				}
			}
		}
	}
	return start, end
}

func containerCharts(c Container, start, end time.Time) []chart {
	u := c.Usage
	cur, rec := c.Current, c.Recommended
	setting := func(r *Resources, get func(*Resources) float64) float64 {
		if r == nil {
			return 0
		}
		return get(r)
	}
	cpuReq := func(r *Resources) float64 { return r.CPURequestCores }
	cpuLim := func(r *Resources) float64 { return r.CPULimitCores }
	memReq := func(r *Resources) float64 { return r.MemoryRequestBytes }
	memLim := func(r *Resources) float64 { return r.MemoryLimitBytes }
	gomemlimit := func(r *Resources) float64 { return r.GOMEMLIMITBytes }
	charts := []chart{
		newChart("CPU", "cores", start, end,
			[]signalLine{{"cpu", "CPU usage", u.CPUCores}},
			[]settingLine{
				{"cur-request", "current request", setting(cur, cpuReq), nil},
				{"cur-limit", "current limit", setting(cur, cpuLim), nil},
				{"rec-request", "recommended request", setting(rec, cpuReq), nil},
				{"rec-limit", "recommended limit", setting(rec, cpuLim), nil},
			}, formatCPU, decimalStep),
		newChart("Memory", "bytes", start, end,
			[]signalLine{{"ws", "working set", u.WorkingSetBytes}, {"heap", "live heap", u.LiveHeapBytes}},
			[]settingLine{
				{"cur-request", "current request", setting(cur, memReq), nil},
				{"cur-limit", "current limit", setting(cur, memLim), nil},
				{"rec-request", "recommended request", setting(rec, memReq), nil},
				{"rec-limit", "recommended limit", setting(rec, memLim), nil},
				{"rec-gomemlimit", "recommended GOMEMLIMIT", setting(rec, gomemlimit), formatGOMEMLIMIT},
			}, formatMemory, binaryStep),
	}
	// The Go runtime's view, when the container exposes it.
	for _, g := range []struct {
		title, axis, class, label string
		usage                     *SignalUsage
		format                    func(float64) string
		step                      func(float64) float64
	}{
		{"Goroutines", "goroutines", "goroutines", "goroutines", u.Goroutines, formatCount, decimalStep},
		{"Allocation rate", "bytes/s", "alloc", "allocated per second", u.AllocBytesPerSec, formatMemory, binaryStep},
		{"Request rate", "requests/s", "rate", "requests per second", u.RequestsPerSec, formatCount, decimalStep},
	} {
		if g.usage != nil {
			charts = append(charts, newChart(g.title, g.axis, start, end, []signalLine{{g.class, g.label, g.usage}}, nil, g.format, g.step))
		}
	}
	return charts
}
