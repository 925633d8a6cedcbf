package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// topRow is one line of `pacer top`: a workload, or one container with --pods.
type topRow struct {
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Workload  string `json:"workload"`
	Pod       string `json:"pod,omitempty"`
	Container string `json:"container,omitempty"`
	Pods      int    `json:"pods"`
	// Signals holds the signals that have data; a missing key means no data.
	Signals map[recommender.Signal]topValue `json:"signals"`
}

type topValue struct {
	Value float64          `json:"value"`
	Unit  recommender.Unit `json:"unit"`
}

// perPodMean lists the signals that are averaged over a workload's pods
// rather than summed: settings, and rates whose sum means little.
var perPodMean = []recommender.Signal{
	recommender.GCRate, recommender.GOGC, recommender.GOMEMLIMIT,
	recommender.GOMAXPROCS, recommender.CPUThrottled,
}

// topRows turns the newest sample of every series into rows, per workload
// (pods from their names) or per container.
func topRows(snap *recommender.Snapshot, perContainer bool) []topRow {
	type acc struct {
		row    topRow
		pods   map[string]bool
		sums   map[recommender.Signal]float64
		counts map[recommender.Signal]int
	}
	rows := map[string]*acc{}
	var order []string
	for _, ref := range snap.Containers() {
		w := recommender.GuessWorkload(ref.Namespace, ref.Pod)
		key := w.String()
		row := topRow{Namespace: ref.Namespace, Kind: string(w.Kind), Workload: w.Name}
		if perContainer {
			key = ref.String()
			row.Pod, row.Container = ref.Pod, ref.Container
		}
		a := rows[key]
		if a == nil {
			a = &acc{row: row, pods: map[string]bool{}, sums: map[recommender.Signal]float64{}, counts: map[recommender.Signal]int{}}
			rows[key] = a
			order = append(order, key)
		}
		a.pods[ref.Pod] = true
		for _, sig := range recommender.Signals() {
			series, ok := snap.Lookup(sig, ref)
			if !ok {
				continue
			}
			if latest, ok := series.Latest(); ok {
				a.sums[sig] += latest.Value
				a.counts[sig]++
			}
		}
	}
	out := make([]topRow, 0, len(order))
	for _, key := range order {
		a := rows[key]
		a.row.Pods = len(a.pods)
		a.row.Signals = map[recommender.Signal]topValue{}
		for sig, sum := range a.sums {
			if slices.Contains(perPodMean, sig) {
				sum /= float64(a.counts[sig])
			}
			a.row.Signals[sig] = topValue{Value: sum, Unit: sig.Unit()}
		}
		out = append(out, a.row)
	}
	slices.SortFunc(out, func(x, y topRow) int {
		return cmp.Or(cmp.Compare(x.Namespace, y.Namespace), cmp.Compare(x.Workload, y.Workload),
			cmp.Compare(x.Pod, y.Pod), cmp.Compare(x.Container, y.Container))
	})
	return out
}

// topView renders snapshots as a table or JSON.
type topView struct {
	stdout, stderr io.Writer
	format         string
	perContainer   bool
	watch          bool
	terminal       bool
}

func newTopView(stdout, stderr io.Writer, format string, perContainer, watch bool) *topView {
	return &topView{stdout: stdout, stderr: stderr, format: format, perContainer: perContainer, watch: watch, terminal: isTerminal(stdout)}
}

// topDocument is the JSON form of one look.
type topDocument struct {
	Kind     string                        `json:"kind"`
	Time     time.Time                     `json:"time"`
	Source   string                        `json:"source"`
	Rows     []topRow                      `json:"rows"`
	Problems map[recommender.Signal]string `json:"problems,omitempty"`
}

func (v *topView) show(snap *recommender.Snapshot, source string) error {
	rows := topRows(snap, v.perContainer)
	if v.format == "json" {
		doc := topDocument{Kind: "Top", Time: snap.Window.End.UTC(), Source: source, Rows: rows}
		if len(snap.Problems) > 0 {
			doc.Problems = map[recommender.Signal]string{}
			for sig, err := range snap.Problems {
				doc.Problems[sig] = err.Error()
			}
		}
		return json.NewEncoder(v.stdout).Encode(doc)
	}
	if v.watch && v.terminal {
		fmt.Fprint(v.stdout, "\033[H\033[2J")
	}
	if v.watch {
		fmt.Fprintf(v.stdout, "%s  %s\n", snap.Window.End.Local().Format(time.TimeOnly), source)
	}
	if err := v.table(rows); err != nil {
		return err
	}
	for _, sig := range recommender.Signals() {
		if err, ok := snap.Problems[sig]; ok && slices.Contains(topColumns, sig) {
			fmt.Fprintf(v.stderr, "note: %v\n", err)
		}
	}
	if v.watch {
		fmt.Fprintln(v.stdout)
	}
	return nil
}

// topColumns are the signals the table shows, in order.
var topColumns = []recommender.Signal{
	recommender.Goroutines, recommender.AllocRate, recommender.LiveHeap, recommender.GCRate,
	recommender.RequestRate, recommender.CPU, recommender.Memory,
}

var columnTitles = map[recommender.Signal]string{
	recommender.Goroutines: "GOROUTINES", recommender.AllocRate: "ALLOC/S", recommender.LiveHeap: "LIVE HEAP",
	recommender.GCRate: "GC/MIN", recommender.RequestRate: "REQ/S", recommender.CPU: "CPU", recommender.Memory: "MEMORY",
}

func (v *topView) table(rows []topRow) error {
	tw := tabwriter.NewWriter(v.stdout, 0, 0, 2, ' ', 0)
	head := []string{"NAMESPACE", "WORKLOAD", "PODS"}
	if v.perContainer {
		head = []string{"NAMESPACE", "POD", "CONTAINER"}
	}
	for _, sig := range topColumns {
		head = append(head, columnTitles[sig])
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		cells := []string{r.Namespace, strings.ToLower(r.Kind) + "/" + r.Workload, fmt.Sprint(r.Pods)}
		if v.perContainer {
			cells = []string{r.Namespace, r.Pod, r.Container}
		}
		for _, sig := range topColumns {
			val, ok := r.Signals[sig]
			cells = append(cells, formatSignal(sig, val.Value, ok))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// formatSignal renders a value in its unit for people; no data is a dash.
func formatSignal(sig recommender.Signal, v float64, ok bool) string {
	if !ok {
		return "-"
	}
	switch sig {
	case recommender.GCRate:
		return fmt.Sprintf("%.1f", v*60)
	case recommender.RequestRate:
		return fmt.Sprintf("%.1f", v)
	}
	switch sig.Unit() {
	case recommender.UnitBytes:
		if sig == recommender.GOMEMLIMIT && recommender.NoMemoryLimit(v) {
			return "off"
		}
		return recommender.FormatBytes(v)
	case recommender.UnitBytesPerSecond:
		return recommender.FormatBytes(v) + "/s"
	case recommender.UnitCores:
		if v < 1 {
			return fmt.Sprintf("%.0fm", v*1000)
		}
		return fmt.Sprintf("%.2f", v)
	case recommender.UnitRatio:
		return fmt.Sprintf("%.0f%%", v*100)
	}
	return fmt.Sprintf("%.0f", v)
}
