package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/pacerdev/pacer/backtest/sim"
	"github.com/pacerdev/pacer/recommender"
)

//go:embed backtest.html.tmpl
var htmlSource string

// htmlTemplate renders one self-contained page: no scripts, no external
// resources; html/template escapes every name.
var htmlTemplate = template.Must(template.New("backtest").Parse(htmlSource))

type htmlPage struct {
	Settings []htmlFact
	Legend   []htmlLegend
	Traces   []htmlTrace
}

type htmlFact struct{ Label, Value string }

type htmlLegend struct{ Class, Label string }

type htmlTrace struct {
	Anchor, Name, Span, Size string
	VerticalColumns          []string
	Vertical                 [][]string
	HorizontalColumns        []string
	Horizontal               [][]string
	Workloads                []htmlWorkload
}

type htmlWorkload struct {
	Title, Kind string
	Charts      []chart
	Note        string
}

// HTML writes one page: per trace the scores and, per workload, a chart of
// each container's CPU and memory (usage against every recommender's
// applied request and limit, OOM kills marked) and of its replicas.
// It needs results run with sim.Options.Timelines.
func HTML(w io.Writer, s Settings, results []*sim.Result) error {
	page := htmlPage{Settings: []htmlFact{
		{"pacer's policy", s.Policy},
		{"step, interval", fmt.Sprintf("%s, %s", seconds(s.StepSeconds), seconds(s.IntervalSeconds))},
		{"apply delay, replica delay", fmt.Sprintf("%s, %s", seconds(s.ApplyDelaySeconds), seconds(s.ReplicaDelaySeconds))},
		{"minimum change rolled out", fmt.Sprintf("%g%%", s.MinChangePercent)},
		{"initial resources", initialText(s)},
		{"warm-up (history read before acting, not scored)", seconds(s.WarmupSeconds)},
	}}
	classes := map[string]string{}
	for _, r := range results {
		for _, v := range append(contenderNames(r.Vertical), horizontalNames(r.Horizontal)...) {
			if _, ok := classes[v]; !ok && v != sim.OracleName {
				classes[v] = fmt.Sprintf("c%d", len(classes)%numColors)
				page.Legend = append(page.Legend, htmlLegend{classes[v], v})
			}
		}
	}
	for i, r := range results {
		page.Traces = append(page.Traces, htmlTraceOf(i, r, classes))
	}
	bw := bufio.NewWriter(w)
	if err := htmlTemplate.Execute(bw, page); err != nil {
		return fmt.Errorf("rendering the HTML report: %w", err)
	}
	return bw.Flush()
}

// numColors is how many contender colors the page defines (c0 … c5).
const numColors = 6

func seconds(v float64) string {
	return formatDuration(time.Duration(v * float64(time.Second)))
}

func initialText(s Settings) string {
	text := fmt.Sprintf("the first day's peak usage × %g, memory limit = request", s.InitialHeadroom)
	if s.InitialCPULimitRatio > 0 {
		return text + fmt.Sprintf(", CPU limit = %g × request", s.InitialCPULimitRatio)
	}
	return text + ", no CPU limit"
}

func contenderNames(v []sim.VerticalScore) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = s.Contender
	}
	return out
}

func horizontalNames(h []sim.HorizontalScore) []string {
	out := make([]string, len(h))
	for i, s := range h {
		out[i] = s.Contender
	}
	return out
}

func htmlTraceOf(i int, r *sim.Result, classes map[string]string) htmlTrace {
	t := htmlTrace{Anchor: fmt.Sprintf("trace-%d", i), Name: r.Trace, Span: formatSpan(r),
		Size:              fmt.Sprintf("%d workloads, %d containers", r.Workloads, r.Containers),
		VerticalColumns:   []string{"recommender", "CPU slack", "CPU slack (cores)", "memory slack", "memory slack (bytes)", "OOM kills", "throttled min", "changes/day", "extra GC CPU"},
		HorizontalColumns: []string{"recommender", "overload min", "replica-min", "mean replicas", "changes/day"},
	}
	for _, s := range r.Vertical {
		t.Vertical = append(t.Vertical, []string{s.Contender, formatPercent(s.CPU.RelativeSlack), formatCores(s.CPU.AbsoluteSlack),
			formatPercent(s.Memory.RelativeSlack), recommender.FormatBytes(s.Memory.AbsoluteSlack), fmt.Sprint(s.OOMKills),
			formatCount(s.ThrottledMinutes), fmt.Sprintf("%.1f", s.ChangesPerDay), formatCores(s.ExtraGCCPUCores)})
	}
	for _, s := range r.Horizontal {
		t.Horizontal = append(t.Horizontal, []string{s.Contender, formatCount(s.OverloadMinutes), formatCount(s.ReplicaMinutes),
			fmt.Sprintf("%.2f", s.MeanReplicas), fmt.Sprintf("%.1f", s.ChangesPerDay)})
	}
	for _, wr := range r.PerWorkload {
		t.Workloads = append(t.Workloads, htmlWorkloadOf(wr, classes))
	}
	return t
}

func htmlWorkloadOf(wr sim.WorkloadResult, classes map[string]string) htmlWorkload {
	hw := htmlWorkload{Title: workloadName(wr.Workload), Kind: strings.ToLower(string(wr.Workload.Kind))}
	tl := wr.Timeline
	if tl == nil {
		hw.Note = "no timeline: run the simulation with timelines to chart it"
		return hw
	}
	for _, c := range tl.Containers {
		var cpu, memory []series
		for _, a := range c.Applied {
			if a.Contender == sim.OracleName {
				continue // the oracle's request is the usage
			}
			class := classes[a.Contender]
			cpu = append(cpu,
				series{class: class, label: a.Contender + " request", values: a.CPURequestCores},
				series{class: class, label: a.Contender + " limit", values: a.CPULimitCores, dashed: true})
			memory = append(memory,
				series{class: class, label: a.Contender + " request", values: a.MemoryRequestBytes},
				series{class: class, label: a.Contender + " limit", values: a.MemoryLimitBytes, dashed: true, marks: a.OOMSteps, markLabel: "OOM kill"})
		}
		hw.Charts = append(hw.Charts,
			newChart(c.Name+": CPU", "cores", tl.Start, tl.Step, series{label: "CPU usage", values: c.CPUCores}, cpu, formatCores, decimalStep),
			newChart(c.Name+": memory", "bytes", tl.Start, tl.Step, series{label: "working set", values: c.WorkingSetBytes}, memory, recommender.FormatBytes, binaryStep))
	}
	if tl.NeededReplicas == nil {
		hw.Note = "replicas: " + wr.HorizontalSkipped
		return hw
	}
	var lines []series
	for _, r := range tl.Replicas {
		if r.Contender == sim.OracleName {
			continue // the oracle runs the load over capacity, rounded up
		}
		lines = append(lines, series{class: classes[r.Contender], label: r.Contender, values: r.Replicas, marks: r.OverloadSteps, markLabel: "overloaded"})
	}
	hw.Charts = append(hw.Charts, newChart(fmt.Sprintf("replicas (a pod serves %.1f requests/s)", wr.CapacityPerPod), "replicas", tl.Start, tl.Step,
		series{label: "load ÷ capacity", values: tl.NeededReplicas}, lines, func(v float64) string { return fmt.Sprintf("%g", v) }, decimalStep))
	return hw
}
