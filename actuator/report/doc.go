// Package report builds pacer's dry-run recommendation report and renders
// it for people and machines. It changes nothing in a cluster.
//
// Build turns recommendations, what Kubernetes says the workloads run with
// (recommender.Current) and range usage data into a Report: per workload
// and container the current and recommended settings, the reasons, usage
// statistics and chart series, the change in requests and its cost, and
// risk flags the report derives itself (FlagCPUThrottling, FlagOOMKills).
// Write renders a Report in one of the Formats:
//
//   - table: aligned columns for a terminal, one row per container, ANSI
//     colors only when asked for.
//   - json, yaml: the Report itself, the same keys in both (schema below).
//   - markdown: a summary, a GitHub-flavored table and the reasons per workload.
//   - csv: one row per container, plain numbers in cores and bytes.
//   - html: one self-contained page with an SVG chart per container and signal;
//     no scripts, nothing loaded from elsewhere.
//   - patch: apps/v1 documents for kubectl apply --server-side, one per ready
//     Deployment, StatefulSet or DaemonSet.
//
// # JSON schema (pacer.dev/report/v1)
//
// The json and yaml formats print Report with the keys of its json tags,
// in field order. schema.md in this directory describes every field with
// an example; in short:
//
//   - Durations are Go duration strings as time.Duration.String prints
//     them ("30m0s", "1h0m0s"); times are RFC 3339 in UTC.
//   - CPU is in cores, memory in bytes, money in prices.currency; field
//     names carry the unit (cpuRequestCores, memoryRequestBytes).
//   - Unknown is null, never zero: summary.delta is null when no ready
//     workload's current requests and replicas are known; a container's
//     current is null when Kubernetes did not say. Inside a resources
//     object an absent field is zero: no limit for limits, the runtime
//     default for gomemlimitBytes and gomaxprocs, unknown for requests.
//   - Deltas are recommended minus current requests over all replicas:
//     negative is a saving. Costs are of requests, for a month of
//     HoursPerMonth hours.
//   - schemaVersion changes when a field is removed or changes meaning;
//     added fields keep it.
package report
