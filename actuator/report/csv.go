package report

import (
	"bufio"
	"encoding/csv"
	"math"
	"strconv"
	"strings"
)

// csvColumn is one column of the csv format.
type csvColumn struct {
	name  string
	value func(Workload, Container) string
}

// csvColumns are the columns of the csv format, one row per container.
// Numbers are plain: CPU in cores, memory in bytes; an empty cell is
// unknown, none or the runtime default, as the same field in JSON.
var csvColumns = func() []csvColumn {
	cols := []csvColumn{
		{"namespace", func(w Workload, _ Container) string { return w.Namespace }},
		{"kind", func(w Workload, _ Container) string { return string(w.Kind) }},
		{"workload", func(w Workload, _ Container) string { return w.Name }},
		{"container", func(_ Workload, c Container) string { return c.Name }},
		{"outcome", func(w Workload, _ Container) string { return string(w.Outcome) }},
		{"policy", func(w Workload, _ Container) string { return w.Policy }},
		{"flags", func(w Workload, _ Container) string {
			s := make([]string, len(w.Flags))
			for i, f := range w.Flags {
				s[i] = string(f)
			}
			return strings.Join(s, ";")
		}},
		{"current_replicas", func(w Workload, _ Container) string { return csvInt(w.Replicas.Current) }},
		{"recommended_replicas", func(w Workload, _ Container) string { return csvInt(w.Replicas.Recommended) }},
	}
	for _, rc := range resourceColumns {
		format := nonZero(csvCores)
		if strings.HasSuffix(rc.csv, "_bytes") || rc.csv == "gomaxprocs" {
			format = nonZero(csvWhole)
		}
		for _, which := range []struct {
			prefix string
			get    func(Container) *Resources
		}{
			{"current_", func(c Container) *Resources { return c.Current }},
			{"recommended_", func(c Container) *Resources { return c.Recommended }},
			{"lower_", func(c Container) *Resources { return c.LowerBound }},
			{"upper_", func(c Container) *Resources { return c.UpperBound }},
		} {
			if (which.prefix == "lower_" || which.prefix == "upper_") && rc.csv != "cpu_request_cores" && rc.csv != "memory_request_bytes" {
				continue
			}
			cols = append(cols, csvColumn{which.prefix + rc.csv, func(_ Workload, c Container) string {
				if r := which.get(c); r != nil {
					return format(rc.value(r))
				}
				return ""
			}})
		}
	}
	stat := func(name string, get func(*Usage) *SignalUsage, value func(*SignalUsage) float64, format func(float64) string) csvColumn {
		return csvColumn{name, func(_ Workload, c Container) string {
			if c.Usage == nil || get(c.Usage) == nil {
				return ""
			}
			return format(value(get(c.Usage)))
		}}
	}
	p50 := func(s *SignalUsage) float64 { return s.P50 }
	p95 := func(s *SignalUsage) float64 { return s.P95 }
	peak := func(s *SignalUsage) float64 { return s.Max }
	cpu := func(u *Usage) *SignalUsage { return u.CPUCores }
	ws := func(u *Usage) *SignalUsage { return u.WorkingSetBytes }
	heap := func(u *Usage) *SignalUsage { return u.LiveHeapBytes }
	return append(cols,
		csvColumn{"oom_kills", func(_ Workload, c Container) string { return nonZero(csvWhole)(float64(c.OOMKills)) }},
		csvColumn{"usage_pods", func(_ Workload, c Container) string {
			if c.Usage == nil {
				return ""
			}
			return strconv.Itoa(c.Usage.Pods)
		}},
		stat("cpu_p50_cores", cpu, p50, csvCores), stat("cpu_p95_cores", cpu, p95, csvCores), stat("cpu_max_cores", cpu, peak, csvCores),
		stat("working_set_p50_bytes", ws, p50, csvWhole), stat("working_set_p95_bytes", ws, p95, csvWhole), stat("working_set_max_bytes", ws, peak, csvWhole),
		stat("live_heap_p50_bytes", heap, p50, csvWhole), stat("live_heap_p95_bytes", heap, p95, csvWhole), stat("live_heap_max_bytes", heap, peak, csvWhole),
		stat("cpu_throttled_mean_ratio", func(u *Usage) *SignalUsage { return u.CPUThrottledRatio }, func(s *SignalUsage) float64 { return s.Mean }, csvCores),
		csvColumn{"why", why},
	)
}()

func writeCSV(w *bufio.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	names := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		names[i] = c.name
	}
	if err := cw.Write(names); err != nil {
		return err
	}
	for _, wl := range r.Workloads {
		containers := wl.Containers
		if len(containers) == 0 {
			containers = []Container{{}}
		}
		for _, c := range containers {
			row := make([]string, len(csvColumns))
			for i, col := range csvColumns {
				row[i] = col.value(wl, c)
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvCores writes cores (or a ratio) to a millionth.
func csvCores(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// csvWhole writes bytes or a count as a whole number.
func csvWhole(v float64) string {
	return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
}

// nonZero leaves a cell empty for a zero setting: unknown, none or default.
func nonZero(format func(float64) string) func(float64) string {
	return func(v float64) string {
		if v == 0 {
			return ""
		}
		return format(v)
	}
}

func csvInt(v *int32) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(int64(*v), 10)
}
