package prometheus

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/pacerdev/pacer/recommender"
)

// hints say how to make a missing metric appear.
var hints = map[string]string{
	"go_gc_heap_live_bytes":                     "exposed by client_golang with runtime/metrics collection enabled (collectors.WithGoCollectorRuntimeMetrics)",
	"go_gc_heap_goal_bytes":                     "exposed by client_golang with runtime/metrics collection enabled (collectors.WithGoCollectorRuntimeMetrics)",
	"go_cpu_classes_gc_total_cpu_seconds_total": "exposed by client_golang with runtime/metrics collection enabled (collectors.WithGoCollectorRuntimeMetrics)",
	"go_gc_gogc_percent":                        "a default of client_golang since v1.20",
	"go_gc_gomemlimit_bytes":                    "a default of client_golang since v1.20",
	"go_sched_gomaxprocs_threads":               "a default of client_golang since v1.20",
	"http_requests_total":                       "set the request_rate query to the service's own request counter",
	"container_cpu_usage_seconds_total":         "cAdvisor metrics from the kubelet are not scraped",
	"container_memory_working_set_bytes":        "cAdvisor metrics from the kubelet are not scraped",
	"container_cpu_cfs_throttled_periods_total": "cAdvisor metrics from the kubelet are not scraped",
}

// Availability says which metrics a Prometheus holds for the selected pods.
type Availability struct {
	Present []string
	Missing []string
}

// Detect asks, in one query, which of the metrics behind the default queries
// exist for the selected pods at the given time.
func (s *Source) Detect(ctx context.Context, sel recommender.Selector, at time.Time) (Availability, error) {
	var names []string
	for _, sig := range recommender.Signals() {
		for _, m := range s.metrics[sig] {
			if !slices.Contains(names, m) {
				names = append(names, m)
			}
		}
	}
	slices.Sort(names)
	return s.detect(ctx, sel, names, at)
}

func (s *Source) detect(ctx context.Context, sel recommender.Selector, names []string, at time.Time) (Availability, error) {
	var avail Availability
	if len(names) == 0 {
		return avail, nil
	}
	escaped := make([]string, len(names))
	for i, n := range names {
		escaped[i] = regexp.QuoteMeta(n)
	}
	matchers := []string{`__name__=~` + quote(strings.Join(escaped, "|"))}
	if len(sel.Namespaces) > 0 {
		matchers = append(matchers, matcher(s.labels.Namespace, sel.Namespaces))
	}
	if len(sel.Pods) > 0 {
		matchers = append(matchers, matcher(s.labels.Pod, sel.Pods))
	}
	query := `count by (__name__) ({` + strings.Join(matchers, ",") + `})`
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	value, _, _, err := s.api.Query(ctx, query, at)
	if err != nil {
		return avail, &QueryError{Signal: "", Query: query, Kind: classify(ctx, err), Err: err}
	}
	vec, ok := value.(model.Vector)
	if !ok {
		return avail, &QueryError{Query: query, Kind: KindBadResponse, Err: fmt.Errorf("answer of type %s, want a vector", value.Type())}
	}
	present := map[string]bool{}
	for _, smp := range vec {
		present[string(smp.Metric[model.MetricNameLabel])] = true
	}
	for _, n := range names {
		if present[n] {
			avail.Present = append(avail.Present, n)
		} else {
			avail.Missing = append(avail.Missing, n)
		}
	}
	return avail, nil
}

// explainMissing replaces the generic reason of signals that had no data
// with which of their metrics are missing, at the cost of one query, and
// only when something was missing.
func (s *Source) explainMissing(ctx context.Context, snap *recommender.Snapshot, missing []recommender.Signal, sel recommender.Selector) {
	var names []string
	for _, sig := range missing {
		names = append(names, s.metrics[sig]...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	avail, err := s.detect(ctx, sel, names, snap.Window.End)
	if err != nil {
		return // the generic reason stands
	}
	for _, sig := range missing {
		metrics := s.metrics[sig]
		if len(metrics) == 0 {
			continue
		}
		var nd *recommender.NoDataError
		if !errors.As(snap.Problems[sig], &nd) {
			continue
		}
		var absent []string
		for _, m := range metrics {
			if slices.Contains(avail.Missing, m) {
				absent = append(absent, m)
			}
		}
		switch {
		case len(absent) == len(metrics):
			reason := "metric " + strings.Join(absent, " and ") + " is not present for the selected pods"
			if h := hints[absent[0]]; h != "" {
				reason += " (" + h + ")"
			}
			nd.Reason = reason
		case len(absent) == 0:
			nd.Reason += fmt.Sprintf(" although %s exists: too little history for rate over %s?",
				strings.Join(metrics, ", "), model.Duration(s.rateRange))
		}
	}
}
