package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// This file holds what the human formats (table, markdown, csv, html)
// share: the resource columns and how a change, an unknown, a summary and a
// short "why" read.

// resourceColumn is one vertical setting as a column of a human format.
type resourceColumn struct {
	header string
	// label names the setting in prose.
	label string
	// csv names the column in csv; a unit suffix says what the numbers are.
	csv    string
	value  func(*Resources) float64
	format func(float64) string
	// zero is shown for a zero value: unknown for requests, none for
	// limits, the runtime default for GOMEMLIMIT and GOMAXPROCS.
	zero string
}

const (
	unknownText = "?"
	noneText    = "none"
	defaultText = "-"
)

var resourceColumns = []resourceColumn{
	{"CPU REQ", "CPU request", "cpu_request_cores", func(r *Resources) float64 { return r.CPURequestCores }, formatCPU, unknownText},
	{"CPU LIM", "CPU limit", "cpu_limit_cores", func(r *Resources) float64 { return r.CPULimitCores }, formatCPU, noneText},
	{"MEM REQ", "memory request", "memory_request_bytes", func(r *Resources) float64 { return r.MemoryRequestBytes }, formatMemory, unknownText},
	{"MEM LIM", "memory limit", "memory_limit_bytes", func(r *Resources) float64 { return r.MemoryLimitBytes }, formatMemory, noneText},
	{"GOMEMLIMIT", "GOMEMLIMIT", "gomemlimit_bytes", func(r *Resources) float64 { return r.GOMEMLIMITBytes }, formatGOMEMLIMIT, defaultText},
	{"GOMAXPROCS", "GOMAXPROCS", "gomaxprocs", func(r *Resources) float64 { return float64(r.GOMAXPROCS) }, func(v float64) string { return fmt.Sprint(v) }, defaultText},
}

// show renders one setting; a nil Resources is unknown.
func (c resourceColumn) show(r *Resources) string {
	if r == nil {
		return unknownText
	}
	if v := c.value(r); v != 0 {
		return c.format(v)
	}
	return c.zero
}

// direction says which way a change goes.
type direction int

const (
	unchanged direction = iota
	down
	up
	changed // to or from none, unknown or default: no up or down
)

// change renders current → recommended; without a recommendation only the current value.
func (c resourceColumn) change(cur, rec *Resources) (string, direction) {
	from := c.show(cur)
	if rec == nil {
		return from, unchanged
	}
	to := c.show(rec)
	if from == to {
		return to, unchanged
	}
	d := changed
	if cur != nil && c.value(cur) != 0 && c.value(rec) != 0 {
		d = up
		if c.value(rec) < c.value(cur) {
			d = down
		}
	}
	return from + arrow + to, d
}

const arrow = "→"

// replicasText renders current → recommended replicas; "~2" is a current
// count known only from the pods seen in the usage data.
func replicasText(r Replicas) string {
	from, count := unknownText, int64(-1)
	switch {
	case r.Current != nil:
		from, count = fmt.Sprint(*r.Current), int64(*r.Current)
	case r.ObservedPods > 0:
		from, count = fmt.Sprintf("~%d", r.ObservedPods), int64(r.ObservedPods)
	}
	if r.Recommended == nil || count == int64(*r.Recommended) {
		return from
	}
	return from + arrow + fmt.Sprint(*r.Recommended)
}

func workloadName(w Workload) string {
	return strings.ToLower(string(w.Kind)) + "/" + w.Name
}

func outcomeText(o recommender.Outcome) string {
	switch o {
	case recommender.OutcomeInsufficientData:
		return "insufficient data"
	case recommender.OutcomeNoGoMetrics:
		return "no Go metrics"
	}
	return string(o)
}

func flagsText(flags []recommender.Flag) string {
	if len(flags) == 0 {
		return defaultText
	}
	s := make([]string, len(flags))
	for i, f := range flags {
		s[i] = string(f)
	}
	return strings.Join(s, ",")
}

// why is the short explanation of one container's row: the rule each
// request started from, then the risk rules that raised a value (those
// outside the cpu. and memory. families), or what data is missing.
func why(w Workload, c Container) string {
	switch w.Outcome {
	case recommender.OutcomeNoGoMetrics:
		return "no Go runtime metrics"
	case recommender.OutcomeInsufficientData:
		return missingText(containerMissing(w, c.Name))
	}
	if c.Recommended == nil {
		return "no data for this container: unchanged"
	}
	var rules []string
	first := map[string]bool{}
	for _, r := range c.Reasons {
		switch {
		case (r.Value == "cpu_request" || r.Value == "memory_request") && !first[r.Value]:
			first[r.Value] = true
			rules = append(rules, r.Rule)
		case r.Value != "" && !strings.HasPrefix(r.Rule, "cpu.") && !strings.HasPrefix(r.Rule, "memory.") &&
			!slices.Contains(rules, "+"+r.Rule):
			rules = append(rules, "+"+r.Rule)
		}
	}
	if len(rules) == 0 {
		return defaultText
	}
	return strings.Join(rules, " ")
}

// containerMissing returns the missing data of one container, and that of
// the workload as a whole (rules without a container prefix).
func containerMissing(w Workload, container string) []Missing {
	var out []Missing
	for _, m := range w.Missing {
		prefix, _, found := strings.Cut(m.Rule, "/")
		if !found || prefix == container || container == "" {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return w.Missing
	}
	return out
}

// missingText summarizes missing data: the longest wait and the signals.
func missingText(ms []Missing) string {
	if len(ms) == 0 {
		return "insufficient data"
	}
	var wait Duration
	var signals []string
	for _, m := range ms {
		wait = max(wait, m.MoreHistory)
		signals = append(signals, string(m.Signal))
	}
	slices.Sort(signals)
	list := strings.Join(slices.Compact(signals), ",")
	if wait > 0 {
		return fmt.Sprintf("needs %s more history: %s", shortDuration(time.Duration(wait)), list)
	}
	return "no usable data: " + list
}

// shortDuration drops the zero units Go's duration strings carry: "20m", "1h30m".
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// summaryLines are the report's summary for people, one sentence a line.
func summaryLines(r *Report) []string {
	s := r.Summary
	lines := []string{fmt.Sprintf("%d workloads: %s", s.Workloads, outcomeCounts(s))}
	if len(s.ByFlag) > 0 {
		lines = append(lines, "flags: "+flagCounts(s))
	}
	return append(lines, deltaLine(r))
}

func outcomeCounts(s Summary) string {
	var parts []string
	for _, o := range outcomeOrder(s.ByOutcome) {
		parts = append(parts, fmt.Sprintf("%d %s", s.ByOutcome[o], outcomeText(o)))
	}
	return strings.Join(parts, ", ")
}

// outcomeOrder lists the known outcomes first, then any others sorted.
func outcomeOrder(m map[recommender.Outcome]int) []recommender.Outcome {
	known := []recommender.Outcome{recommender.OutcomeReady, recommender.OutcomeInsufficientData, recommender.OutcomeNoGoMetrics}
	var others []recommender.Outcome
	for o := range m {
		if !slices.Contains(known, o) {
			others = append(others, o)
		}
	}
	slices.Sort(others)
	return append(known, others...)
}

func flagCounts(s Summary) string {
	flags := sortedFlags(s.ByFlag)
	parts := make([]string, len(flags))
	for i, f := range flags {
		parts[i] = fmt.Sprintf("%s %d", f, s.ByFlag[f])
	}
	return strings.Join(parts, ", ")
}

func sortedFlags(m map[recommender.Flag]int) []recommender.Flag {
	flags := make([]recommender.Flag, 0, len(m))
	for f := range m {
		flags = append(flags, f)
	}
	slices.Sort(flags)
	return flags
}

// deltaLine says what the recommendations change in requests over all
// replicas, and for how many workloads that is known.
func deltaLine(r *Report) string {
	s := r.Summary
	ready := s.ByOutcome[recommender.OutcomeReady]
	if s.Delta.CPURequestCores == nil {
		if ready == 0 {
			return "requests change: none (no workload is ready)"
		}
		return "requests change: unknown (the current requests or replicas of the ready workloads are not known)"
	}
	line := "requests change over all replicas: CPU " + signedCores(*s.Delta.CPURequestCores) +
		", memory " + signedGiB(*s.Delta.MemoryRequestBytes)
	if s.Delta.CostPerMonth != nil && r.Prices != nil {
		line += ", " + signedMoney(*s.Delta.CostPerMonth, r.Prices.Currency) + " per month"
	}
	line += fmt.Sprintf(" (%d of %d ready workloads", s.DeltaWorkloads, ready)
	if s.UnknownDeltaWorkloads > 0 {
		line += fmt.Sprintf("; %d with unknown current values", s.UnknownDeltaWorkloads)
	}
	return line + ")"
}

// headerLine names the source, window and policy of the report.
func headerLine(r *Report) string {
	if s := sourceLine(r); s != "" {
		return "pacer report · " + s
	}
	return "pacer report"
}

// sourceLine names the source, window and policy of the report.
func sourceLine(r *Report) string {
	var parts []string
	if r.Source != "" {
		parts = append(parts, r.Source)
	}
	if r.Window != nil {
		parts = append(parts, windowText(r.Window))
	}
	if r.PolicyFile != "" {
		parts = append(parts, "policy "+r.PolicyFile)
	}
	return strings.Join(parts, " · ")
}

func windowText(w *Window) string {
	if w.Range == 0 {
		return "at " + w.End.Format(timeLayout)
	}
	return fmt.Sprintf("%s window ending %s", shortDuration(time.Duration(w.Range)), w.End.Format(timeLayout))
}

const timeLayout = "2006-01-02 15:04 UTC"

// workloadDelta says what one workload's recommendation changes.
func workloadDelta(w Workload, prices *Prices) string {
	if w.Delta == nil {
		return ""
	}
	if w.Delta.CPURequestCores == nil {
		return "unknown (" + w.DeltaUnknown + ")"
	}
	s := "CPU " + signedCores(*w.Delta.CPURequestCores) + ", memory " + signedGiB(*w.Delta.MemoryRequestBytes)
	if w.Delta.CostPerMonth != nil && prices != nil {
		s += ", " + signedMoney(*w.Delta.CostPerMonth, prices.Currency) + " per month"
	}
	return s
}

// costText says what one workload's requests cost now and recommended.
func costText(w Workload, prices *Prices) string {
	if w.Cost == nil || prices == nil {
		return ""
	}
	if w.Cost.CurrentPerMonth == nil && w.Cost.RecommendedPerMonth == nil {
		return "unknown (replicas unknown)"
	}
	show := func(v *float64) string {
		if v == nil {
			return "unknown"
		}
		return money(*v, prices.Currency)
	}
	return show(w.Cost.CurrentPerMonth) + " → " + show(w.Cost.RecommendedPerMonth) + " per month"
}

// usageText summarizes one container's usage in one line.
func usageText(u *Usage) string {
	if u == nil {
		return "no usage data"
	}
	var parts []string
	add := func(name string, s *SignalUsage, format func(float64) string) {
		if s != nil {
			parts = append(parts, fmt.Sprintf("%s P50 %s, P95 %s, max %s", name, format(s.P50), format(s.P95), format(s.Max)))
		}
	}
	add("CPU", u.CPUCores, formatCPU)
	add("working set", u.WorkingSetBytes, formatMemory)
	add("live heap", u.LiveHeapBytes, formatMemory)
	add("goroutines", u.Goroutines, formatCount)
	if t := u.CPUThrottledRatio; t != nil {
		parts = append(parts, fmt.Sprintf("throttled %.1f%% of periods on average", 100*t.Mean))
	}
	if len(parts) == 0 {
		return "no usage data"
	}
	return fmt.Sprintf("%s (%d %s)", strings.Join(parts, "; "), u.Pods, plural(u.Pods, "pod"))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// horizontalText describes the HPA recommendation.
func horizontalText(h *Horizontal) string {
	s := fmt.Sprintf("HPA target %s requests/s per pod", trimZeros(fmt.Sprintf("%.1f", h.TargetRequestRatePerPod)))
	if h.CapacityRequestRatePerPod > 0 {
		s += fmt.Sprintf(" (one pod serves about %.0f/s at the CPU target)", h.CapacityRequestRatePerPod)
	}
	return s
}

// missingLine explains one piece of missing data.
func missingLine(m Missing) string {
	s := fmt.Sprintf("%s for %s: %s", m.Signal, m.Rule, m.Reason)
	if m.MoreHistory > 0 {
		s += fmt.Sprintf(" (have %s of history, need %s: %s more)", shortDuration(time.Duration(m.Have)),
			shortDuration(time.Duration(m.Need)), shortDuration(time.Duration(m.MoreHistory)))
	}
	return s
}
