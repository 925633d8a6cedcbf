package policy

import (
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// The parts of BenchmarkCycle on their own, over the same 10,000 workloads
// with a week of history, each reported per unit of work as well.

// cloneBenchEngine returns a copy of the benchmark engine that a
// benchmark may move forward in time without touching the shared one.
func cloneBenchEngine(b *testing.B) *Engine {
	b.Helper()
	seed, err := benchEngine()
	if err != nil {
		b.Fatal(err)
	}
	e := NewEngine(seed.resolve)
	for ref, w := range seed.workloads {
		e.workloads[ref] = w.clone()
	}
	return e
}

func benchWorkloadOf(r recommender.ContainerRef) recommender.WorkloadRef {
	return recommender.GuessWorkload(r.Namespace, r.Pod)
}

// BenchmarkObserve folds one instant of 8 signals for each of 10,000
// one-pod workloads into their state.
func BenchmarkObserve(b *testing.B) {
	e := cloneBenchEngine(b)
	at := t0.Add(benchHistory)
	snap := cycleSnapshot(at)
	samples := 0
	for _, series := range snap.Series {
		samples += len(series)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		shiftSnapshot(snap, time.Minute)
		b.StartTimer()
		if err := e.Observe(snap, benchWorkloadOf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*samples), "ns/sample")
}

// BenchmarkRecommend evaluates the default policy for 10,000 workloads.
func BenchmarkRecommend(b *testing.B) {
	e := cloneBenchEngine(b)
	at := t0.Add(benchHistory + time.Minute)
	if err := e.Observe(cycleSnapshot(at), benchWorkloadOf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		recs := e.Recommend(at, nil)
		if len(recs) != benchWorkloads || recs[0].Outcome != recommender.OutcomeReady {
			b.Fatalf("%d recommendations, first %s: %v", len(recs), recs[0].Outcome, recs[0].Missing)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchWorkloads), "ns/workload")
}

// BenchmarkReresolve resolves the policy of 10,000 workloads again, as
// serve does before every cycle, with nothing changed.
func BenchmarkReresolve(b *testing.B) {
	e := cloneBenchEngine(b)
	resolve := e.resolve
	b.ReportAllocs()
	for b.Loop() {
		e.Reresolve(resolve)
	}
	if len(e.workloads) != benchWorkloads {
		b.Fatalf("%d workloads kept their state, want %d", len(e.workloads), benchWorkloads)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchWorkloads), "ns/workload")
}
