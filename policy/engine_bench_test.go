package policy

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

const (
	benchWorkloads = 10_000
	benchDistinct  = 100 // distinct histories, each cloned to reach benchWorkloads
	benchHistory   = 7 * 24 * time.Hour
)

var benchEngine = sync.OnceValues(buildBenchEngine)

// buildBenchEngine builds 100 workloads with 7 days of 1-minute samples
// through Observe, then clones each state 100 times: 10,000 workloads whose
// incremental state holds a week of history.
func buildBenchEngine() (*Engine, error) {
	p := Default()
	resolve := func(recommender.WorkloadRef) (Policy, error) { return p, nil }
	seed := NewEngine(resolve)
	workloadOf := func(r recommender.ContainerRef) recommender.WorkloadRef {
		return recommender.GuessWorkload(r.Namespace, r.Pod)
	}
	minutes := int(benchHistory / time.Minute)
	for i := range benchDistinct {
		scale := 1 + float64(i%10)
		wave := func(m int, base float64) float64 {
			return base * scale * (1 + 0.5*math.Sin(2*math.Pi*float64(m)/1440+float64(i)))
		}
		pd := pod{name: fmt.Sprintf("svc-%d-0", i), signals: map[recommender.Signal]func(int) float64{
			recommender.Goroutines:  func(m int) float64 { return wave(m, 200) },
			recommender.AllocRate:   func(m int) float64 { return wave(m, 4*mib) },
			recommender.LiveHeap:    func(m int) float64 { return wave(m, 50*mib) },
			recommender.GOGC:        constant(100),
			recommender.GCRate:      func(m int) float64 { return wave(m, 0.5) },
			recommender.RequestRate: func(m int) float64 { return wave(m, 300) },
			recommender.CPU:         func(m int) float64 { return wave(m, 0.2) },
			recommender.Memory:      func(m int) float64 { return wave(m, 150*mib) },
		}}
		// A day at a time keeps each snapshot within a source's point limit.
		for day := 0; day < minutes; day += 1440 {
			snap := snapshotOf(24*time.Hour-time.Minute, shift(pd, day))
			shiftSnapshot(snap, time.Duration(day)*time.Minute)
			if err := seed.Observe(snap, workloadOf); err != nil {
				return nil, err
			}
		}
	}
	e := NewEngine(resolve)
	for i := range benchWorkloads {
		src := seed.workloads[recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindStatefulSet, Name: fmt.Sprintf("svc-%d", i%benchDistinct)}]
		e.workloads[recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindStatefulSet, Name: fmt.Sprintf("svc-%d", i)}] = src.clone()
	}
	return e, nil
}

func shift(p pod, minutes int) pod {
	out := pod{name: p.name, signals: map[recommender.Signal]func(int) float64{}}
	for sig, f := range p.signals {
		out.signals[sig] = func(m int) float64 { return f(m + minutes) }
	}
	return out
}

func shiftSnapshot(s *recommender.Snapshot, d time.Duration) {
	s.Window.End = s.Window.End.Add(d)
	for _, series := range s.Series {
		for _, one := range series {
			for i := range one.Samples {
				one.Samples[i].At = one.Samples[i].At.Add(d)
			}
		}
	}
}

func (w *workloadState) clone() *workloadState {
	c := *w
	c.containers = map[string]*containerState{}
	for name, cs := range w.containers {
		cc := *cs
		cc.cpu, cc.liveHeap, cc.nonHeap = cs.cpu.Clone(), cs.liveHeap.Clone(), cs.nonHeap.Clone()
		cc.workingSet, cc.allocRate = cs.workingSet.Clone(), cs.allocRate.Clone()
		ewma := *cs.gcPerMinute
		cc.gcPerMinute = &ewma
		c.containers[name] = &cc
	}
	stabilizer, _ := NewReplicaStabilizer(w.policy.behavior())
	c.stabilizer = stabilizer
	return &c
}

// cycleSnapshot is one instant of every workload: what a cycle's queries return.
func cycleSnapshot(at time.Time) *recommender.Snapshot {
	snap := recommender.NewSnapshot(recommender.Window{End: at})
	values := map[recommender.Signal]float64{
		recommender.Goroutines: 200, recommender.AllocRate: 4 * mib, recommender.LiveHeap: 50 * mib, recommender.GOGC: 100,
		recommender.GCRate: 0.5, recommender.RequestRate: 300, recommender.CPU: 0.2, recommender.Memory: 150 * mib,
	}
	for i := range benchWorkloads {
		ref := recommender.ContainerRef{Namespace: "shop", Pod: fmt.Sprintf("svc-%d-0", i), Container: "app"}
		for sig, v := range values {
			snap.Series[sig] = append(snap.Series[sig], recommender.Series{Ref: ref, Samples: []recommender.Sample{{At: at, Value: v}}})
		}
	}
	return snap
}

// BenchmarkCycle is one cycle of the default policy over 10,000 workloads
// with a week of history in their state: fold in one instant of every
// signal, then recommend for every workload.
func BenchmarkCycle(b *testing.B) {
	e, err := benchEngine()
	if err != nil {
		b.Fatal(err)
	}
	workloadOf := func(r recommender.ContainerRef) recommender.WorkloadRef {
		return recommender.GuessWorkload(r.Namespace, r.Pod)
	}
	at := t0.Add(benchHistory)
	snaps := make([]*recommender.Snapshot, 0, 8)
	for b.Loop() {
		b.StopTimer()
		at = at.Add(time.Minute)
		if len(snaps) == 0 {
			snaps = append(snaps, cycleSnapshot(at))
		}
		snap := snaps[0]
		shiftSnapshot(snap, time.Minute)
		b.StartTimer()
		if err := e.Observe(snap, workloadOf); err != nil {
			b.Fatal(err)
		}
		recs := e.Recommend(at, nil)
		if len(recs) != benchWorkloads || recs[0].Outcome != recommender.OutcomeReady {
			b.Fatalf("%d recommendations, first %s: %v", len(recs), recs[0].Outcome, recs[0].Missing)
		}
	}
}

// BenchmarkStatePerContainer measures the heap the engine holds per
// container after a week of history (10,000 workloads of one container).
func BenchmarkStatePerContainer(b *testing.B) {
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		seed, err := benchEngine()
		if err != nil {
			b.Fatal(err)
		}
		e := NewEngine(seed.resolve)
		for ref, w := range seed.workloads {
			e.workloads[ref] = w.clone()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/benchWorkloads, "B/container")
		runtime.KeepAlive(e)
	}
}
