package generate

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Container is the container name of every generated pod.
const Container = "app"

// family is one metric family of the trace and how a sample's value is
// read from the model.
type family struct {
	name   string // the family, as # TYPE names it
	typ    string
	sample string // the sample name: the family's, or with _total or _count
	labels string // the series' own labels, sorted, each followed by a comma
	value  func(t *Trace, s *Sample) float64
}

// families are the metrics pacer's signals are derived from, named and
// typed as client_golang and cAdvisor expose them. Counters of events and
// bytes are whole numbers; CPU seconds are kept to the microsecond.
var families = []family{
	{"container_cpu_cfs_periods", "counter", "container_cpu_cfs_periods_total", "", func(_ *Trace, s *Sample) float64 { return math.Floor(s.CFSPeriodsTotal) }},
	{"container_cpu_cfs_throttled_periods", "counter", "container_cpu_cfs_throttled_periods_total", "", func(_ *Trace, s *Sample) float64 { return math.Floor(s.CFSThrottledPeriodsTotal) }},
	{"container_cpu_usage_seconds", "counter", "container_cpu_usage_seconds_total", "", func(_ *Trace, s *Sample) float64 { return round(s.CPUSecondsTotal, 6) }},
	{"container_memory_working_set_bytes", "gauge", "container_memory_working_set_bytes", "", func(_ *Trace, s *Sample) float64 { return s.WorkingSetBytes }},
	{"go_cpu_classes_gc_total_cpu_seconds", "counter", "go_cpu_classes_gc_total_cpu_seconds_total", "", func(_ *Trace, s *Sample) float64 { return round(s.GCCPUSecondsTotal, 6) }},
	{"go_gc_duration_seconds", "summary", "go_gc_duration_seconds_count", "", func(_ *Trace, s *Sample) float64 { return math.Floor(s.GCCyclesTotal) }},
	{"go_gc_gogc_percent", "gauge", "go_gc_gogc_percent", "", func(t *Trace, _ *Sample) float64 { return float64(max(t.Service.GC.GOGC, -1)) }},
	{"go_gc_gomemlimit_bytes", "gauge", "go_gc_gomemlimit_bytes", "", func(t *Trace, _ *Sample) float64 {
		if t.Service.GC.MemoryLimitBytes == 0 {
			return math.MaxInt64 // what the runtime reports when GOMEMLIMIT is unset
		}
		return t.Service.GC.MemoryLimitBytes
	}},
	{"go_gc_heap_goal_bytes", "gauge", "go_gc_heap_goal_bytes", "", func(_ *Trace, s *Sample) float64 { return s.HeapGoalBytes }},
	{"go_gc_heap_live_bytes", "gauge", "go_gc_heap_live_bytes", "", func(_ *Trace, s *Sample) float64 { return s.LiveHeapBytes }},
	{"go_goroutines", "gauge", "go_goroutines", "", func(_ *Trace, s *Sample) float64 { return s.Goroutines }},
	{"go_memstats_alloc_bytes", "counter", "go_memstats_alloc_bytes_total", "", func(_ *Trace, s *Sample) float64 { return math.Floor(s.AllocBytesTotal) }},
	{"go_sched_gomaxprocs_threads", "gauge", "go_sched_gomaxprocs_threads", "", func(t *Trace, _ *Sample) float64 { return float64(t.Service.GC.GOMAXPROCS) }},
	{"http_requests", "counter", "http_requests_total", `code="200",`, func(_ *Trace, s *Sample) float64 { return math.Floor(s.RequestsTotal) }},
}

// WriteOpenMetrics writes the trace in the format scrape.WriteTrace writes
// and scrape.OpenTrace reads: OpenMetrics text, families sorted by name,
// each written whole, pod by pod, oldest sample first, every sample with a
// timestamp in seconds, and # EOF at the end.
func (t *Trace) WriteOpenMetrics(w io.Writer) error {
	stamps := make([]string, t.Config.Steps())
	for k := range stamps {
		stamps[k] = strconv.FormatFloat(float64(t.At(k).UnixMilli())/1000, 'f', -1, 64)
	}
	fams := slices.Clone(families)
	slices.SortFunc(fams, func(a, b family) int { return strings.Compare(a.name, b.name) })
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf []byte
	for _, f := range fams {
		bw.WriteString("# TYPE " + f.name + " " + f.typ + "\n")
		for i := range t.Pods {
			pod := &t.Pods[i]
			prefix := f.sample + "{" + f.labels + `container="` + Container + `",namespace="` + t.Config.Namespace + `",pod="` + pod.Name + `"} `
			for k := range pod.Samples {
				buf = append(buf[:0], prefix...)
				buf = strconv.AppendFloat(buf, f.value(t, &pod.Samples[k]), 'g', -1, 64)
				buf = append(buf, ' ')
				buf = append(buf, stamps[k]...)
				buf = append(buf, '\n')
				if _, err := bw.Write(buf); err != nil {
					return err
				}
			}
		}
	}
	bw.WriteString("# EOF\n")
	return bw.Flush()
}
