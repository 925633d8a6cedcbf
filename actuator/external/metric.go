package external

import (
	"fmt"
	"slices"
	"strings"
)

// Metric names one per-workload metric pacer serves.
type Metric string

// The metrics pacer serves, each for one workload.
const (
	// RecommendedReplicas is the replica count pacer recommends.
	RecommendedReplicas Metric = "pacer_recommended_replicas"
	// RequestRate is the workload's total request rate, smoothed over the
	// policy's rate window, in requests per second.
	RequestRate Metric = "pacer_request_rate"
	// RequestRateForecast is the request rate the trend forecasts a few
	// rate windows ahead, in requests per second.
	RequestRateForecast Metric = "pacer_request_rate_forecast"
	// Goroutines is the sum over the workload's containers.
	Goroutines Metric = "pacer_goroutines"
	// AllocBytesPerSecond is the heap allocation rate summed over the containers.
	AllocBytesPerSecond Metric = "pacer_alloc_bytes_per_second"
	// GCCPUShare is the mean over the containers of the share of each
	// one's CPU time spent in the garbage collector, from 0 to 1.
	GCCPUShare Metric = "pacer_gc_cpu_share"
	// LiveHeapBytes is the live heap summed over the containers.
	LiveHeapBytes Metric = "pacer_live_heap_bytes"
)

var metricHelp = map[Metric]string{
	RecommendedReplicas: "Replicas pacer recommends for the workload.",
	RequestRate:         "Requests per second the workload serves in total, averaged over the policy's rate window.",
	RequestRateForecast: "Requests per second the workload's request-rate trend forecasts a few rate windows ahead.",
	Goroutines:          "Goroutines of the workload, summed over its containers.",
	AllocBytesPerSecond: "Heap bytes the workload allocates per second, summed over its containers.",
	GCCPUShare:          "Share of CPU time spent in the Go garbage collector, 0 to 1, averaged over the workload's containers.",
	LiveHeapBytes:       "Live heap bytes of the workload, summed over its containers.",
}

var metricOrder = []Metric{
	RecommendedReplicas, RequestRate, RequestRateForecast,
	Goroutines, AllocBytesPerSecond, GCCPUShare, LiveHeapBytes,
}

// Metrics lists every metric in a fixed order.
func Metrics() []Metric { return slices.Clone(metricOrder) }

// Help says what the metric measures.
func (m Metric) Help() string { return metricHelp[m] }

// ParseMetric returns the metric with the given name, or a *QueryError
// that lists the known ones.
func ParseMetric(name string) (Metric, error) {
	m := Metric(name)
	if _, ok := metricHelp[m]; !ok {
		names := make([]string, len(metricOrder))
		for i, known := range metricOrder {
			names[i] = string(known)
		}
		return "", &QueryError{Reason: ReasonUnknownMetric,
			Message: fmt.Sprintf("unknown metric %q: pacer serves %s", name, strings.Join(names, ", "))}
	}
	return m, nil
}
