// Package prometheus reads pacer's Go runtime signals from a Prometheus-
// compatible HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics).
//
// Each signal is one PromQL query per fetch, for all containers at once,
// grouped by the namespace, pod and container labels; queries are templates
// that users may override. Every value that reaches PromQL from outside (a
// namespace, a pod name) is escaped, so it can never change a query's meaning.
package prometheus
