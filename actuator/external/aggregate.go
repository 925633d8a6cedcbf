package external

import (
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// summed are the metrics that add up over a workload's containers, and
// the signal each comes from.
var summed = map[Metric]recommender.Signal{
	Goroutines:          recommender.Goroutines,
	AllocBytesPerSecond: recommender.AllocRate,
	LiveHeapBytes:       recommender.LiveHeap,
}

// aggregate turns a snapshot into per-workload values: for each container
// its newest sample, if it is no older than staleAfter at the cycle's time,
// summed over the workload's containers (GC CPU share: averaged). A value
// is as old as the oldest sample in it.
func aggregate(snap *recommender.Snapshot, at time.Time, staleAfter time.Duration,
	workloadOf func(recommender.ContainerRef) recommender.WorkloadRef) map[recommender.WorkloadRef]map[Metric]sample {
	out := map[recommender.WorkloadRef]map[Metric]sample{}
	add := func(w recommender.WorkloadRef, m Metric, v sample) {
		values := out[w]
		if values == nil {
			values = map[Metric]sample{}
			out[w] = values
		}
		if old, ok := values[m]; ok {
			v = sample{old.value + v.value, earlier(old.at, v.at)}
		}
		values[m] = v
	}
	fresh := func(sig recommender.Signal) map[recommender.ContainerRef]sample {
		latest := map[recommender.ContainerRef]sample{}
		for _, series := range snap.Series[sig] {
			if s, ok := series.Latest(); ok && at.Sub(s.At) <= staleAfter {
				latest[series.Ref] = sample{s.Value, s.At}
			}
		}
		return latest
	}

	for m, sig := range summed {
		for ref, v := range fresh(sig) {
			add(workloadOf(ref), m, v)
		}
	}

	// GC CPU share: the GC's cores over all cores, per container; then
	// the mean over the workload's containers, as a sum and a count.
	cpu := fresh(recommender.CPU)
	counts := map[recommender.WorkloadRef]int{}
	for ref, gc := range fresh(recommender.GCCPU) {
		total, ok := cpu[ref]
		if !ok || total.value <= 0 {
			continue
		}
		w := workloadOf(ref)
		add(w, GCCPUShare, sample{min(gc.value/total.value, 1), earlier(gc.at, total.at)})
		counts[w]++
	}
	for w, n := range counts {
		v := out[w][GCCPUShare]
		out[w][GCCPUShare] = sample{v.value / float64(n), v.at}
	}
	return out
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
