package prometheus

import "github.com/pacerdev/pacer/recommender"

// queryDef is a signal's default query and the metrics it reads, in order of
// preference, so that an empty answer can say which metric is missing.
type queryDef struct {
	template string
	metrics  []string
}

// Container metrics from cAdvisor carry an empty container label for the pod
// cgroup and "POD" for the pause container; both are excluded.
const cadvisorContainers = `container!="",container!="POD"`

// defaultQueries holds one query per signal. Each is evaluated once per fetch
// for every container, grouped by the container labels.
var defaultQueries = map[recommender.Signal]queryDef{
	recommender.Goroutines: {
		`sum by ({{.By}}) (go_goroutines{{.Selector}})`,
		[]string{"go_goroutines"}},
	recommender.AllocRate: {
		`sum by ({{.By}}) (rate(go_memstats_alloc_bytes_total{{.Selector}}[{{.Range}}]))`,
		[]string{"go_memstats_alloc_bytes_total"}},
	recommender.LiveHeap: {
		`sum by ({{.By}}) (go_gc_heap_live_bytes{{.Selector}}) or sum by ({{.By}}) (go_memstats_heap_inuse_bytes{{.Selector}})`,
		[]string{"go_gc_heap_live_bytes", "go_memstats_heap_inuse_bytes"}},
	recommender.HeapGoal: {
		`sum by ({{.By}}) (go_gc_heap_goal_bytes{{.Selector}})`,
		[]string{"go_gc_heap_goal_bytes"}},
	recommender.GOGC: {
		`max by ({{.By}}) (go_gc_gogc_percent{{.Selector}})`,
		[]string{"go_gc_gogc_percent"}},
	recommender.GOMEMLIMIT: {
		`max by ({{.By}}) (go_gc_gomemlimit_bytes{{.Selector}})`,
		[]string{"go_gc_gomemlimit_bytes"}},
	recommender.GOMAXPROCS: {
		`max by ({{.By}}) (go_sched_gomaxprocs_threads{{.Selector}})`,
		[]string{"go_sched_gomaxprocs_threads"}},
	recommender.GCRate: {
		`sum by ({{.By}}) (rate(go_gc_duration_seconds_count{{.Selector}}[{{.Range}}]))`,
		[]string{"go_gc_duration_seconds_count"}},
	recommender.GCCPU: {
		`sum by ({{.By}}) (rate(go_cpu_classes_gc_total_cpu_seconds_total{{.Selector}}[{{.Range}}]))`,
		[]string{"go_cpu_classes_gc_total_cpu_seconds_total"}},
	recommender.RequestRate: {
		`sum by ({{.By}}) (rate(http_requests_total{{.Selector}}[{{.Range}}]))`,
		[]string{"http_requests_total"}},
	recommender.CPU: {
		`sum by ({{.By}}) (rate(container_cpu_usage_seconds_total{` + cadvisorContainers + `{{.Matchers}}}[{{.Range}}]))` +
			` or sum by ({{.By}}) (rate(process_cpu_seconds_total{{.Selector}}[{{.Range}}]))`,
		[]string{"container_cpu_usage_seconds_total", "process_cpu_seconds_total"}},
	recommender.Memory: {
		`sum by ({{.By}}) (container_memory_working_set_bytes{` + cadvisorContainers + `{{.Matchers}}})` +
			` or sum by ({{.By}}) (process_resident_memory_bytes{{.Selector}})`,
		[]string{"container_memory_working_set_bytes", "process_resident_memory_bytes"}},
	recommender.CPUThrottled: {
		`sum by ({{.By}}) (rate(container_cpu_cfs_throttled_periods_total{` + cadvisorContainers + `{{.Matchers}}}[{{.Range}}]))` +
			` / sum by ({{.By}}) (rate(container_cpu_cfs_periods_total{` + cadvisorContainers + `{{.Matchers}}}[{{.Range}}]))`,
		[]string{"container_cpu_cfs_throttled_periods_total", "container_cpu_cfs_periods_total"}},
}

// DefaultQuery returns the built-in query template of a signal.
func DefaultQuery(sig recommender.Signal) string { return defaultQueries[sig].template }
