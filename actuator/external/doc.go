// Package external serves pacer's numbers to autoscalers: an in-memory Store
// that every cycle updates (a recommender.Sink) and three ways to read it,
// none of which queries anything per request:
//
//   - Server, the external.metrics.k8s.io/v1beta1 aggregated API server
//     (built on sigs.k8s.io/custom-metrics-apiserver) with secure serving and
//     authentication and authorization delegated to the kube-apiserver, for
//     HPAs;
//   - JSONHandler, a small JSON endpoint for KEDA's metrics-api scaler, for
//     clusters where another server owns the external metrics APIService;
//   - Collector, the same values as Prometheus gauges, for prometheus-adapter.
//
// Every metric is per workload, chosen with a label selector such as
// deployment=checkout. A value older than the staleness limit is never
// served as fresh, and a workload without data has no value, never zero.
// See docs/external-metrics.md.
package external
