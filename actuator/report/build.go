package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// Input is everything a report is built from.
type Input struct {
	GeneratedAt time.Time
	// Source says where the data came from, e.g. "trace testdata/traces/demo-30m.om".
	Source string
	// Window is the span the recommendations were computed over; when zero,
	// Usage's window is used.
	Window     recommender.Window
	PolicyFile string

	Recommendations []recommender.Recommendation
	// Current returns what a workload runs with; nil when nothing is known.
	Current func(recommender.WorkloadRef) recommender.Current
	// Usage is range data over the window for usage statistics, charts and
	// the throttling flag; nil when there is none.
	Usage *recommender.Snapshot
	// WorkloadOf maps a usage series to its workload; nil guesses it from the
	// pod's name with recommender.GuessWorkload.
	WorkloadOf func(recommender.ContainerRef) recommender.WorkloadRef
	// Prices turn requests into money; nil for no money in the report.
	Prices *Prices
}

// Build assembles the report. It is pure: the same input gives the same report.
func Build(in Input) *Report {
	workloadOf := in.WorkloadOf
	if workloadOf == nil {
		workloadOf = func(r recommender.ContainerRef) recommender.WorkloadRef {
			return recommender.GuessWorkload(r.Namespace, r.Pod)
		}
	}
	// Usage statistics cover the usage data's own window.
	usageWindow := in.Window
	if in.Usage != nil && !in.Usage.Window.End.IsZero() {
		usageWindow = in.Usage.Window
	}
	usage := indexUsage(in.Usage, workloadOf)

	r := &Report{
		SchemaVersion: SchemaVersion,
		GeneratedAt:   in.GeneratedAt.UTC(),
		Source:        in.Source,
		Window:        reportWindow(in.Window, in.Usage),
		PolicyFile:    in.PolicyFile,
		Workloads:     []Workload{},
	}
	if in.Prices != nil {
		p := *in.Prices
		r.Prices = &p
	}
	recs := slices.Clone(in.Recommendations)
	slices.SortStableFunc(recs, func(a, b recommender.Recommendation) int { return compareRefs(a.Workload, b.Workload) })
	for _, rec := range recs {
		var cur recommender.Current
		if in.Current != nil {
			cur = in.Current(rec.Workload)
		}
		r.Workloads = append(r.Workloads, buildWorkload(rec, cur, usage[rec.Workload], usageWindow, r.Prices))
	}
	r.Summary = summarize(r.Workloads, r.Prices != nil)
	return r
}

func compareRefs(a, b recommender.WorkloadRef) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
}

func reportWindow(w recommender.Window, usage *recommender.Snapshot) *Window {
	if w.End.IsZero() && usage != nil {
		w = usage.Window
	}
	if w.End.IsZero() {
		return nil
	}
	return &Window{Start: w.Start().UTC(), End: w.End.UTC(), Range: Duration(w.Range), Step: Duration(w.Step)}
}

func buildWorkload(rec recommender.Recommendation, cur recommender.Current, usage *workloadUsage, window recommender.Window, prices *Prices) Workload {
	w := Workload{
		Namespace:  rec.Workload.Namespace,
		Kind:       rec.Workload.Kind,
		Name:       rec.Workload.Name,
		Policy:     rec.Policy,
		Outcome:    rec.Outcome,
		Flags:      slices.Clone(rec.Flags),
		Missing:    []Missing{},
		Containers: []Container{},
		Notes:      convertReasons(rec.Notes),
	}
	for _, m := range rec.Missing {
		w.Missing = append(w.Missing, convertMissing(m))
	}
	if cur.Replicas > 0 {
		w.Replicas.Current = ptr(cur.Replicas)
	}
	if usage != nil {
		w.Replicas.ObservedPods = len(usage.pods)
	}
	if h := rec.Horizontal; h != nil {
		w.Replicas.Recommended = ptr(h.DesiredReplicas)
		if w.Replicas.ObservedPods == 0 && w.Replicas.Current == nil {
			w.Replicas.ObservedPods = int(h.CurrentReplicas)
		}
		w.Horizontal = &Horizontal{
			TargetRequestRatePerPod:   finite(h.TargetPerPod),
			CapacityRequestRatePerPod: finite(h.CapacityPerPod),
			Reasons:                   convertReasons(h.Reasons),
		}
	}

	recommended := map[string]recommender.ContainerRecommendation{}
	for _, c := range rec.Containers {
		recommended[c.Container] = c
	}
	for _, name := range containerNames(rec, cur, usage) {
		w.Containers = append(w.Containers, buildContainer(name, rec.Outcome, recommended, cur, usage, window))
	}
	w.riskFlags(window)
	slices.Sort(w.Flags)
	w.Flags = slices.Compact(w.Flags)
	if w.Flags == nil {
		w.Flags = []recommender.Flag{}
	}
	if w.Outcome == recommender.OutcomeReady {
		w.costs(prices)
	}
	return w
}

// containerNames lists every container the recommendation, Kubernetes or the
// usage data know of, so that a workload without a recommendation still
// shows what it runs with and uses.
func containerNames(rec recommender.Recommendation, cur recommender.Current, usage *workloadUsage) []string {
	var names []string
	for _, c := range rec.Containers {
		names = append(names, c.Container)
	}
	for name := range cur.Containers {
		names = append(names, name)
	}
	for name, n := range cur.OOMKills {
		if n > 0 {
			names = append(names, name)
		}
	}
	if usage != nil {
		for name := range usage.containers {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func buildContainer(name string, outcome recommender.Outcome, recommended map[string]recommender.ContainerRecommendation,
	cur recommender.Current, usage *workloadUsage, window recommender.Window) Container {
	c := Container{Name: name, Reasons: []Reason{}, OOMKills: cur.OOMKills[name]}
	if res, ok := cur.Containers[name]; ok {
		c.Current = convertResources(res)
	}
	if r, ok := recommended[name]; ok && outcome == recommender.OutcomeReady {
		c.Recommended = convertResources(r.Target)
		c.LowerBound = convertResources(r.Lower)
		c.UpperBound = convertResources(r.Upper)
		c.Reasons = convertReasons(r.Reasons)
	}
	if usage != nil {
		c.Usage = usage.summarize(name, window)
	}
	return c
}

// riskFlags adds the flags the report derives from Kubernetes and usage data.
func (w *Workload) riskFlags(window recommender.Window) {
	for _, c := range w.Containers {
		if c.Usage != nil && c.Usage.CPUThrottledRatio != nil && c.Usage.CPUThrottledRatio.Mean > ThrottlingThreshold {
			mean := c.Usage.CPUThrottledRatio.Mean
			w.Flags = append(w.Flags, FlagCPUThrottling)
			w.Notes = append(w.Notes, Reason{
				Rule:   "report.cpu-throttling",
				Inputs: map[string]float64{"throttled_ratio_mean": mean, "threshold": ThrottlingThreshold},
				Window: Duration(window.Range),
				Message: fmt.Sprintf("container %s was throttled in %.1f%% of CFS periods on average, above %g%%: its CPU limit is too low for its bursts",
					c.Name, 100*mean, 100*ThrottlingThreshold),
			})
		}
		if c.OOMKills > 0 {
			w.Flags = append(w.Flags, FlagOOMKills)
			w.Notes = append(w.Notes, Reason{
				Rule:    "report.oom-kills",
				Inputs:  map[string]float64{"oom_kills": float64(c.OOMKills)},
				Message: fmt.Sprintf("container %s was OOM-killed %s recently, Kubernetes reports", c.Name, times(c.OOMKills)),
			})
		}
	}
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// costs fills Delta, DeltaUnknown and Cost of a ready workload. A pod's
// footprint counts every container; one without a recommendation keeps
// its current requests.
func (w *Workload) costs(prices *Prices) {
	var curCPU, curMem, recCPU, recMem float64
	var unknown []string
	if w.Replicas.Current == nil {
		unknown = append(unknown, "current replicas unknown")
	}
	for _, c := range w.Containers {
		switch {
		case c.Recommended == nil && c.Current == nil:
			continue
		case c.Recommended == nil:
			curCPU += c.Current.CPURequestCores
			curMem += c.Current.MemoryRequestBytes
			recCPU += c.Current.CPURequestCores
			recMem += c.Current.MemoryRequestBytes
			continue
		case c.Current == nil:
			unknown = append(unknown, "current requests of container "+c.Name+" unknown")
		case c.Current.CPURequestCores == 0 || c.Current.MemoryRequestBytes == 0:
			unknown = append(unknown, "current "+unknownRequests(*c.Current)+" of container "+c.Name+" unknown")
		default:
			curCPU += c.Current.CPURequestCores
			curMem += c.Current.MemoryRequestBytes
		}
		recCPU += c.Recommended.CPURequestCores
		recMem += c.Recommended.MemoryRequestBytes
	}

	recReplicas := w.Replicas.Recommended
	if recReplicas == nil {
		recReplicas = w.Replicas.Current
	}
	var curCost, recCost *float64
	if prices != nil {
		if recReplicas != nil {
			recCost = ptr(tenThousandths(monthly(prices, float64(*recReplicas)*recCPU, float64(*recReplicas)*recMem)))
		}
		if len(unknown) == 0 {
			curCost = ptr(tenThousandths(monthly(prices, float64(*w.Replicas.Current)*curCPU, float64(*w.Replicas.Current)*curMem)))
		}
		w.Cost = &Cost{CurrentPerMonth: curCost, RecommendedPerMonth: recCost}
	}
	w.Delta = &Delta{}
	if len(unknown) > 0 {
		w.DeltaUnknown = strings.Join(unknown, "; ")
		return
	}
	n, m := float64(*w.Replicas.Current), float64(*recReplicas)
	w.Delta.CPURequestCores = ptr(millionths(m*recCPU - n*curCPU))
	w.Delta.MemoryRequestBytes = ptr(math.Round(m*recMem - n*curMem))
	if prices != nil {
		w.Delta.CostPerMonth = ptr(tenThousandths(*recCost - *curCost))
	}
}

// tenThousandths rounds money: a hundredth of a cent is below anyone's notice.
func tenThousandths(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func unknownRequests(r Resources) string {
	switch {
	case r.CPURequestCores == 0 && r.MemoryRequestBytes == 0:
		return "CPU and memory requests"
	case r.CPURequestCores == 0:
		return "CPU request"
	}
	return "memory request"
}

const bytesPerGiB = 1 << 30

func monthly(p *Prices, cores, bytes float64) float64 {
	return HoursPerMonth * (cores*p.PerCoreHour + bytes/bytesPerGiB*p.PerGiBHour)
}

func summarize(workloads []Workload, withPrices bool) Summary {
	s := Summary{
		Workloads: len(workloads),
		ByOutcome: map[recommender.Outcome]int{
			recommender.OutcomeReady: 0, recommender.OutcomeInsufficientData: 0, recommender.OutcomeNoGoMetrics: 0,
		},
		ByFlag: map[recommender.Flag]int{},
	}
	var cpu, mem, money float64
	for _, w := range workloads {
		s.ByOutcome[w.Outcome]++
		for _, f := range w.Flags {
			s.ByFlag[f]++
		}
		if w.Delta == nil {
			continue
		}
		if w.Delta.CPURequestCores == nil {
			s.UnknownDeltaWorkloads++
			continue
		}
		s.DeltaWorkloads++
		cpu += *w.Delta.CPURequestCores
		mem += *w.Delta.MemoryRequestBytes
		if w.Delta.CostPerMonth != nil {
			money += *w.Delta.CostPerMonth
		}
	}
	if s.DeltaWorkloads > 0 {
		s.Delta.CPURequestCores, s.Delta.MemoryRequestBytes = ptr(millionths(cpu)), ptr(mem)
		if withPrices {
			s.Delta.CostPerMonth = ptr(tenThousandths(money))
		}
	}
	return s
}

func convertResources(r recommender.Resources) *Resources {
	return &Resources{
		CPURequestCores:    finite(r.CPURequestCores),
		CPULimitCores:      finite(r.CPULimitCores),
		MemoryRequestBytes: finite(r.MemoryRequestBytes),
		MemoryLimitBytes:   finite(r.MemoryLimitBytes),
		GOMEMLIMITBytes:    finite(r.GOMEMLIMITBytes),
		GOMAXPROCS:         r.GOMAXPROCS,
	}
}

func convertReasons(rs []recommender.Reason) []Reason {
	out := make([]Reason, 0, len(rs))
	for _, r := range rs {
		c := Reason{Rule: r.Rule, Value: r.Value, Message: r.Message, Window: Duration(r.Window)}
		for k, v := range r.Inputs {
			if isFinite(v) {
				if c.Inputs == nil {
					c.Inputs = map[string]float64{}
				}
				c.Inputs[k] = v
			}
		}
		if r.Before != nil && isFinite(*r.Before) {
			c.Before = ptr(*r.Before)
		}
		if r.After != nil && isFinite(*r.After) {
			c.After = ptr(*r.After)
		}
		out = append(out, c)
	}
	return out
}

func convertMissing(m recommender.Missing) Missing {
	out := Missing{Signal: m.Signal, Rule: m.Rule, Reason: m.Reason, Have: Duration(m.Have), Need: Duration(m.Need)}
	if m.Need > m.Have {
		out.MoreHistory = Duration(m.Need - m.Have)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// finite turns NaN and ±Inf, which JSON cannot carry, into zero: unknown.
func finite(v float64) float64 {
	if !isFinite(v) {
		return 0
	}
	return v
}
