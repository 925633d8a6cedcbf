// Package metrics exports pacer's own health and its recommendations as
// Prometheus metrics: how long cycles take and how they end, what each
// source answered, workloads by outcome, what the actuators did, and every
// ready recommendation as gauges (for dashboards, alerts and
// prometheus-adapter). It registers nothing globally: the caller passes a
// registry.
package metrics

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pacerdev/pacer/recommender"
)

// Exporter is a recommender.Sink that turns cycles into metrics.
type Exporter struct {
	cycleDuration prometheus.Histogram
	cycles        *prometheus.CounterVec
	queries       *prometheus.CounterVec
	sourceErrors  *prometheus.CounterVec
	workloads     *prometheus.GaugeVec
	actuations    *prometheus.CounterVec
	leader        prometheus.Gauge

	recommendations *recommendationCollector
}

var _ recommender.Sink = (*Exporter)(nil)

// New registers pacer's metrics with reg.
func New(reg prometheus.Registerer) (*Exporter, error) {
	e := &Exporter{
		cycleDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pacer_cycle_duration_seconds", Help: "Duration of a cycle: fetch, evaluate, publish.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}),
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_cycles_total", Help: "Cycles run, by result (ok, failed).",
		}, []string{"result"}),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_source_queries_total", Help: "Signals fetched from the source, by signal.",
		}, []string{"signal"}),
		sourceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_source_errors_total", Help: "Signals the source could not answer or had no data for, by signal and kind (no_data, error).",
		}, []string{"signal", "kind"}),
		workloads: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pacer_workloads", Help: "Workloads at the last cycle, by outcome.",
		}, []string{"outcome"}),
		actuations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pacer_actuations_total", Help: "What the actuators did, by actuator and action (written, unchanged, dry_run, skipped, conflict, failed).",
		}, []string{"actuator", "action"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pacer_leader", Help: "1 when this replica holds the leader lease and writes; 0 when it only computes and serves.",
		}),
		recommendations: &recommendationCollector{},
	}
	for _, c := range []prometheus.Collector{e.cycleDuration, e.cycles, e.queries, e.sourceErrors, e.workloads, e.actuations, e.leader, e.recommendations} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Publish records a cycle.
func (e *Exporter) Publish(_ context.Context, c *recommender.Cycle) error {
	e.cycleDuration.Observe(c.Duration.Seconds())
	result := "ok"
	if c.Err != nil {
		result = "failed"
	}
	e.cycles.WithLabelValues(result).Inc()
	if c.Snapshot != nil {
		for _, sig := range recommender.Signals() {
			e.queries.WithLabelValues(string(sig)).Inc()
			if err, bad := c.Snapshot.Problems[sig]; bad {
				kind := "error"
				if errors.Is(err, recommender.ErrNoData) {
					kind = "no_data"
				}
				e.sourceErrors.WithLabelValues(string(sig), kind).Inc()
			}
		}
	}
	counts := map[recommender.Outcome]int{
		recommender.OutcomeReady: 0, recommender.OutcomeInsufficientData: 0,
		recommender.OutcomeNoGoMetrics: 0, recommender.OutcomeNoPolicy: 0,
	}
	for _, r := range c.Recommendations {
		counts[r.Outcome]++
	}
	for o, n := range counts {
		e.workloads.WithLabelValues(string(o)).Set(float64(n))
	}
	e.recommendations.set(c.Recommendations)
	return nil
}

// Observe counts one actuation; pass it as an actuator's Observe option.
func (e *Exporter) Observe(a recommender.Actuation) {
	e.actuations.WithLabelValues(a.Actuator, string(a.Action)).Inc()
}

// SetLeader records whether this replica leads.
func (e *Exporter) SetLeader(leading bool) {
	if leading {
		e.leader.Set(1)
	} else {
		e.leader.Set(0)
	}
}

// recommendationCollector exposes the newest ready recommendations as
// gauges, built at scrape time from the last cycle so that workloads that
// are gone disappear.
type recommendationCollector struct {
	mu   sync.RWMutex
	recs []recommender.Recommendation
}

var (
	cpuDesc = prometheus.NewDesc("pacer_recommendation_cpu_cores", "Recommended CPU of a container, by bound (target, lower, upper) and resource (request, limit).",
		[]string{"namespace", "kind", "workload", "container", "bound", "resource"}, nil)
	memoryDesc = prometheus.NewDesc("pacer_recommendation_memory_bytes", "Recommended memory of a container, by bound and resource (request, limit).",
		[]string{"namespace", "kind", "workload", "container", "bound", "resource"}, nil)
	gomemlimitDesc = prometheus.NewDesc("pacer_recommendation_gomemlimit_bytes", "Recommended GOMEMLIMIT of a container.",
		[]string{"namespace", "kind", "workload", "container"}, nil)
	gomaxprocsDesc = prometheus.NewDesc("pacer_recommendation_gomaxprocs", "Recommended GOMAXPROCS of a container.",
		[]string{"namespace", "kind", "workload", "container"}, nil)
	replicasDesc = prometheus.NewDesc("pacer_recommended_replicas", "Recommended replicas of a workload.",
		[]string{"namespace", "kind", "workload"}, nil)
	targetDesc = prometheus.NewDesc("pacer_recommended_request_rate_per_pod", "Recommended per-pod request-rate target of a workload's HPA.",
		[]string{"namespace", "kind", "workload"}, nil)
	flagDesc = prometheus.NewDesc("pacer_risk_flag", "1 for each risk flag a workload carries (gc_pressure, oom_risk, ...).",
		[]string{"namespace", "kind", "workload", "flag"}, nil)
)

func (c *recommendationCollector) set(recs []recommender.Recommendation) {
	c.mu.Lock()
	c.recs = recs
	c.mu.Unlock()
}

func (c *recommendationCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cpuDesc, memoryDesc, gomemlimitDesc, gomaxprocsDesc, replicasDesc, targetDesc, flagDesc} {
		ch <- d
	}
}

func (c *recommendationCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		if v > 0 {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
		}
	}
	for _, r := range c.recs {
		w := []string{r.Workload.Namespace, strings.ToLower(string(r.Workload.Kind)), r.Workload.Name}
		for _, f := range r.Flags {
			gauge(flagDesc, 1, append(w, string(f))...)
		}
		if r.Outcome != recommender.OutcomeReady {
			continue
		}
		for _, ct := range r.Containers {
			cw := append(append([]string{}, w...), ct.Container)
			for _, b := range []struct {
				bound string
				res   recommender.Resources
			}{{"target", ct.Target}, {"lower", ct.Lower}, {"upper", ct.Upper}} {
				gauge(cpuDesc, b.res.CPURequestCores, append(cw, b.bound, "request")...)
				gauge(cpuDesc, b.res.CPULimitCores, append(cw, b.bound, "limit")...)
				gauge(memoryDesc, b.res.MemoryRequestBytes, append(cw, b.bound, "request")...)
				gauge(memoryDesc, b.res.MemoryLimitBytes, append(cw, b.bound, "limit")...)
			}
			gauge(gomemlimitDesc, ct.Target.GOMEMLIMITBytes, cw...)
			gauge(gomaxprocsDesc, float64(ct.Target.GOMAXPROCS), cw...)
		}
		if h := r.Horizontal; h != nil {
			gauge(replicasDesc, float64(h.DesiredReplicas), w...)
			gauge(targetDesc, h.TargetPerPod, w...)
		}
	}
}
