package report

import (
	"math"
	"slices"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// usageSignals are the signals the report summarizes per container.
var usageSignals = []recommender.Signal{
	recommender.CPU, recommender.Memory, recommender.LiveHeap, recommender.CPUThrottled,
	recommender.Goroutines, recommender.AllocRate, recommender.RequestRate, recommender.GCRate,
}

// workloadUsage is the usage data of one workload: per container, per
// signal, the series of all its pods.
type workloadUsage struct {
	pods       map[string]bool
	containers map[string]map[recommender.Signal][]recommender.Series
}

func indexUsage(snap *recommender.Snapshot, workloadOf func(recommender.ContainerRef) recommender.WorkloadRef) map[recommender.WorkloadRef]*workloadUsage {
	out := map[recommender.WorkloadRef]*workloadUsage{}
	if snap == nil {
		return out
	}
	for _, sig := range usageSignals {
		for _, s := range snap.Series[sig] {
			if len(s.Samples) == 0 {
				continue
			}
			ref := workloadOf(s.Ref)
			u := out[ref]
			if u == nil {
				u = &workloadUsage{pods: map[string]bool{}, containers: map[string]map[recommender.Signal][]recommender.Series{}}
				out[ref] = u
			}
			u.pods[s.Ref.Pod] = true
			if u.containers[s.Ref.Container] == nil {
				u.containers[s.Ref.Container] = map[recommender.Signal][]recommender.Series{}
			}
			u.containers[s.Ref.Container][sig] = append(u.containers[s.Ref.Container][sig], s)
		}
	}
	return out
}

// summarize returns the usage of one container, or nil without data.
func (u *workloadUsage) summarize(container string, window recommender.Window) *Usage {
	bySignal := u.containers[container]
	if bySignal == nil {
		return nil
	}
	pods := map[string]bool{}
	for _, series := range bySignal {
		for _, s := range series {
			pods[s.Ref.Pod] = true
		}
	}
	start, end := span(bySignal, window)
	return &Usage{
		Pods:              len(pods),
		CPUCores:          summarizeSignal(bySignal[recommender.CPU], start, end).rounded(millionths),
		WorkingSetBytes:   summarizeSignal(bySignal[recommender.Memory], start, end).rounded(math.Round),
		LiveHeapBytes:     summarizeSignal(bySignal[recommender.LiveHeap], start, end).rounded(math.Round),
		CPUThrottledRatio: summarizeSignal(bySignal[recommender.CPUThrottled], start, end).rounded(millionths),
		Goroutines:        summarizeSignal(bySignal[recommender.Goroutines], start, end).rounded(math.Round),
		AllocBytesPerSec:  summarizeSignal(bySignal[recommender.AllocRate], start, end).rounded(math.Round),
		RequestsPerSec:    summarizeSignal(bySignal[recommender.RequestRate], start, end).rounded(thousandths),
		GCCyclesPerSec:    summarizeSignal(bySignal[recommender.GCRate], start, end).rounded(thousandths),
	}
}

func millionths(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func thousandths(v float64) float64 { return math.Round(v*1e3) / 1e3 }

// rounded rounds every statistic, so that the output carries no float
// noise: whole bytes, millionths of cores.
func (u *SignalUsage) rounded(round func(float64) float64) *SignalUsage {
	if u == nil {
		return nil
	}
	u.Mean, u.P50, u.P95, u.Max = round(u.Mean), round(u.P50), round(u.P95), round(u.Max)
	for i := range u.Points {
		u.Points[i].Mean, u.Points[i].Max = round(u.Points[i].Mean), round(u.Points[i].Max)
	}
	return u
}

// span is the interval samples are taken from: the window when it has a
// range, else the span of the data itself.
func span(bySignal map[recommender.Signal][]recommender.Series, window recommender.Window) (start, end time.Time) {
	if window.Range > 0 {
		return window.Start(), window.End
	}
	for _, series := range bySignal {
		for _, s := range series {
			for _, x := range s.Samples {
				if start.IsZero() || x.At.Before(start) {
					start = x.At
				}
				if end.IsZero() || x.At.After(end) {
					end = x.At
				}
			}
		}
	}
	return start, end
}

// summarizeSignal pools the finite samples of all pods within [start, end]
// and downsamples them into at most MaxPoints buckets.
func summarizeSignal(series []recommender.Series, start, end time.Time) *SignalUsage {
	width := end.Sub(start) / MaxPoints
	if end.Sub(start)%MaxPoints != 0 || width == 0 {
		width++
	}
	type bucket struct {
		sum, max float64
		n        int
	}
	buckets := make([]bucket, MaxPoints)
	var values []float64
	for _, s := range series {
		for _, x := range s.Samples {
			if !isFinite(x.Value) || x.At.Before(start) || x.At.After(end) {
				continue
			}
			values = append(values, x.Value)
			i := min(int(x.At.Sub(start)/width), MaxPoints-1)
			b := &buckets[i]
			if b.n == 0 || x.Value > b.max {
				b.max = x.Value
			}
			b.sum += x.Value
			b.n++
		}
	}
	if len(values) == 0 {
		return nil
	}
	out := &SignalUsage{Samples: len(values), Points: []Point{}}
	for i, b := range buckets {
		if b.n > 0 {
			out.Points = append(out.Points, Point{At: start.Add(time.Duration(i) * width).UTC(), Mean: b.sum / float64(b.n), Max: b.max})
		}
	}
	slices.Sort(values)
	var sum float64
	for _, v := range values {
		sum += v
	}
	out.Mean = sum / float64(len(values))
	out.P50 = percentile(values, 0.50)
	out.P95 = percentile(values, 0.95)
	out.Max = values[len(values)-1]
	return out
}

// percentile interpolates linearly between the closest ranks of sorted values.
func percentile(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}
