package scrape

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// derivationKind says how a signal is computed from raw series.
type derivationKind int

const (
	gauge derivationKind = iota // last value within the lookback
	rate                        // per-second increase over the rate range
	ratio                       // rate of metrics[0] over rate of denominator
)

// derivation computes one signal from raw metrics the way the default
// PromQL queries of the Prometheus source do, so both sources agree.
type derivation struct {
	kind derivationKind
	// metrics are tried in order; the first one a container has is used.
	metrics     []string
	denominator string
	// max takes the largest value across series instead of their sum.
	max bool
}

// defaultDerivations maps every signal to how it is derived; options may
// rename a signal's metrics.
var defaultDerivations = map[recommender.Signal]derivation{
	recommender.Goroutines:   {kind: gauge, metrics: []string{"go_goroutines"}},
	recommender.AllocRate:    {kind: rate, metrics: []string{"go_memstats_alloc_bytes_total"}},
	recommender.LiveHeap:     {kind: gauge, metrics: []string{"go_gc_heap_live_bytes", "go_memstats_heap_inuse_bytes"}},
	recommender.HeapGoal:     {kind: gauge, metrics: []string{"go_gc_heap_goal_bytes"}},
	recommender.GOGC:         {kind: gauge, metrics: []string{"go_gc_gogc_percent"}, max: true},
	recommender.GOMEMLIMIT:   {kind: gauge, metrics: []string{"go_gc_gomemlimit_bytes"}, max: true},
	recommender.GOMAXPROCS:   {kind: gauge, metrics: []string{"go_sched_gomaxprocs_threads"}, max: true},
	recommender.GCRate:       {kind: rate, metrics: []string{"go_gc_duration_seconds_count"}},
	recommender.GCCPU:        {kind: rate, metrics: []string{"go_cpu_classes_gc_total_cpu_seconds_total"}},
	recommender.RequestRate:  {kind: rate, metrics: []string{"http_requests_total"}},
	recommender.CPU:          {kind: rate, metrics: []string{"container_cpu_usage_seconds_total", "process_cpu_seconds_total"}},
	recommender.Memory:       {kind: gauge, metrics: []string{"container_memory_working_set_bytes", "process_resident_memory_bytes"}},
	recommender.CPUThrottled: {kind: ratio, metrics: []string{"container_cpu_cfs_throttled_periods_total"}, denominator: "container_cpu_cfs_periods_total"},
}

// DefaultMetrics returns the metric names a signal is read from, in order of preference.
func DefaultMetrics(sig recommender.Signal) []string {
	return slices.Clone(defaultDerivations[sig].metrics)
}

// evaluator derives signals from a store.
type evaluator struct {
	store       *Store
	where       string
	derivations map[recommender.Signal]derivation
	rateRange   time.Duration
	lookback    time.Duration
}

func newEvaluator(store *Store, where string, renames map[recommender.Signal][]string, rateRange, lookback time.Duration) (*evaluator, error) {
	d := map[recommender.Signal]derivation{}
	for sig, def := range defaultDerivations {
		d[sig] = def
	}
	for sig, names := range renames {
		def, ok := d[sig]
		if !ok {
			return nil, fmt.Errorf("metric override: unknown signal %q", sig)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("metric override for %s names no metric", sig)
		}
		for _, n := range names {
			if !validMetricName(n) {
				return nil, fmt.Errorf("metric override for %s: invalid metric name %q", sig, n)
			}
		}
		def.metrics = slices.Clone(names)
		d[sig] = def
	}
	return &evaluator{store: store, where: where, derivations: d, rateRange: rateRange, lookback: lookback}, nil
}

// Fetch evaluates every signal for every selected container over the window.
func (e *evaluator) Fetch(_ context.Context, q recommender.Query) (*recommender.Snapshot, error) {
	if err := q.Window.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", e.where, err)
	}
	instants := []int64{q.Window.End.UnixMilli()}
	if !q.Window.Instant() {
		instants = instants[:0]
		for t := q.Window.Start(); !t.After(q.Window.End); t = t.Add(q.Window.Step) {
			instants = append(instants, t.UnixMilli())
		}
	}
	e.store.mu.RLock()
	defer e.store.mu.RUnlock()

	refs := make([]recommender.ContainerRef, 0, len(e.store.containers))
	for ref := range e.store.containers {
		if q.Selector.Matches(ref) {
			refs = append(refs, ref)
		}
	}
	slices.SortFunc(refs, recommender.ContainerRef.Compare)

	snap := recommender.NewSnapshot(q.Window)
	for _, sig := range recommender.Signals() {
		d := e.derivations[sig]
		for _, ref := range refs {
			samples := e.evaluate(e.store.containers[ref], d, instants)
			if len(samples) > 0 {
				snap.Series[sig] = append(snap.Series[sig], recommender.Series{Ref: ref, Samples: samples})
			}
		}
		if len(snap.Series[sig]) == 0 {
			snap.Problems[sig] = &recommender.NoDataError{Signal: sig, Where: e.where, Reason: e.whyNoData(refs, d)}
		}
	}
	return snap, nil
}

func (e *evaluator) evaluate(c *container, d derivation, instants []int64) []recommender.Sample {
	var series map[string]*rawSeries
	for _, m := range d.metrics {
		if series = c.metrics[m]; len(series) > 0 {
			break
		}
	}
	if len(series) == 0 {
		return nil
	}
	var out []recommender.Sample
	for _, t := range instants {
		var v float64
		var ok bool
		switch d.kind {
		case gauge:
			v, ok = aggregate(series, d.max, func(rs *rawSeries) (float64, bool) { return lastValue(rs.points, t, e.lookback) })
		case rate:
			v, ok = aggregate(series, false, func(rs *rawSeries) (float64, bool) { return perSecond(rs.points, t, e.rateRange) })
		case ratio:
			num, okNum := aggregate(series, false, func(rs *rawSeries) (float64, bool) { return perSecond(rs.points, t, e.rateRange) })
			den, okDen := aggregate(c.metrics[d.denominator], false, func(rs *rawSeries) (float64, bool) { return perSecond(rs.points, t, e.rateRange) })
			v, ok = num/den, okNum && okDen && den > 0
		}
		if ok {
			out = append(out, recommender.Sample{At: time.UnixMilli(t).UTC(), Value: v})
		}
	}
	return out
}

// aggregate sums (or takes the max of) the value of every series that has one.
func aggregate(series map[string]*rawSeries, useMax bool, value func(*rawSeries) (float64, bool)) (float64, bool) {
	var total float64
	found := false
	for _, rs := range series {
		v, ok := value(rs)
		switch {
		case !ok:
		case !found:
			total, found = v, true
		case useMax:
			total = max(total, v)
		default:
			total += v
		}
	}
	return total, found
}

// lastValue returns the newest value at or before t, if it is within the lookback.
func lastValue(points []point, t int64, lookback time.Duration) (float64, bool) {
	i, _ := slices.BinarySearchFunc(points, t+1, comparePoint)
	if i == 0 || points[i-1].t <= t-lookback.Milliseconds() {
		return 0, false
	}
	return points[i-1].v, true
}

// perSecond returns a counter's per-second increase over (t-window, t]. A
// decrease is a counter reset: the counter restarted from zero, so the new
// value is the increase since the reset. It needs two points in the window.
func perSecond(points []point, t int64, window time.Duration) (float64, bool) {
	end, _ := slices.BinarySearchFunc(points, t+1, comparePoint)
	start, _ := slices.BinarySearchFunc(points[:end], t-window.Milliseconds()+1, comparePoint)
	if end-start < 2 {
		return 0, false
	}
	var increase float64
	for i := start + 1; i < end; i++ {
		if d := points[i].v - points[i-1].v; d >= 0 {
			increase += d
		} else {
			increase += points[i].v
		}
	}
	seconds := float64(points[end-1].t-points[start].t) / 1000
	return increase / seconds, true
}

// whyNoData explains an empty signal: which metric no container has, or that
// there is not enough history yet.
func (e *evaluator) whyNoData(refs []recommender.ContainerRef, d derivation) string {
	if len(refs) == 0 {
		return "no container selected has any sample"
	}
	i := slices.IndexFunc(d.metrics, func(m string) bool { return e.anyHas(refs, m) })
	switch {
	case i < 0:
		return fmt.Sprintf("no selected container exposes %s", strings.Join(d.metrics, " or "))
	case d.kind == ratio && !e.anyHas(refs, d.denominator):
		return fmt.Sprintf("no selected container exposes %s, the denominator of %s", d.denominator, d.metrics[i])
	case d.kind == gauge:
		return fmt.Sprintf("%s has no sample within the lookback of %s", d.metrics[i], e.lookback)
	}
	return fmt.Sprintf("%s has fewer than two samples within the rate range of %s", d.metrics[i], e.rateRange)
}

func comparePoint(p point, t int64) int { return cmp.Compare(p.t, t) }

func (e *evaluator) anyHas(refs []recommender.ContainerRef, metric string) bool {
	for _, ref := range refs {
		if len(e.store.containers[ref].metrics[metric]) > 0 {
			return true
		}
	}
	return false
}
