package sim

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

const mib = 1 << 20

var (
	testStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	testRef   = recommender.WorkloadRef{Namespace: "ns", Kind: recommender.KindDeployment, Name: "web"}
)

// goPod is one pod's recorded Go container, a value a step: live heap,
// non-heap memory, allocation rate, CPU, GC CPU and request rate. The
// working set and heap goal are what the model gives for GOGC 100 and the
// recorded GOMEMLIMIT (0: none), so the trace is consistent with the model.
type goPod struct {
	liveBytes, nonHeapBytes, allocBytesPerSecond []float64
	cpuCores, gcCPUCores, requestsPerSecond      []float64
	gomemlimitBytes, gomaxprocs                  float64
}

// steadyPod is a pod with constant values over steps.
func steadyPod(steps int, live, nonHeap, alloc, cpu, gcCPU, rps float64) goPod {
	fill := func(v float64) []float64 {
		s := make([]float64, steps)
		for i := range s {
			s[i] = v
		}
		return s
	}
	return goPod{liveBytes: fill(live), nonHeapBytes: fill(nonHeap), allocBytesPerSecond: fill(alloc),
		cpuCores: fill(cpu), gcCPUCores: fill(gcCPU), requestsPerSecond: fill(rps), gomaxprocs: 4}
}

// series writes the pod into a PodSeries as a trace would hold it.
func (g goPod) series(name string) *PodSeries {
	steps := len(g.liveBytes)
	p := NewPodSeries(name, steps)
	rec := goSettings{gogcPercent: 100, gomemlimitBytes: g.gomemlimitBytes, gomaxprocs: g.gomaxprocs}
	for i := range steps {
		gc := runGC(g.liveBytes[i], g.nonHeapBytes[i], g.allocBytesPerSecond[i], math.NaN(), rec)
		p.Set(recommender.LiveHeap, i, g.liveBytes[i])
		p.Set(recommender.HeapGoal, i, gc.heapGoalBytes)
		p.Set(recommender.Memory, i, gc.peakHeapBytes+g.nonHeapBytes[i])
		p.Set(recommender.AllocRate, i, g.allocBytesPerSecond[i])
		p.Set(recommender.GCRate, i, gc.cyclesPerSecond)
		p.Set(recommender.GCCPU, i, g.gcCPUCores[i])
		p.Set(recommender.CPU, i, g.cpuCores[i])
		p.Set(recommender.RequestRate, i, g.requestsPerSecond[i])
		p.Set(recommender.GOGC, i, 100)
		if g.gomemlimitBytes > 0 {
			p.Set(recommender.GOMEMLIMIT, i, g.gomemlimitBytes)
		} else {
			p.Set(recommender.GOMEMLIMIT, i, math.MaxInt64)
		}
		p.Set(recommender.GOMAXPROCS, i, g.gomaxprocs)
		p.Set(recommender.Goroutines, i, 100)
	}
	return p
}

// oneWorkload is a trace of one workload with one container, "app".
func oneWorkload(pods ...goPod) *Trace {
	c := &Container{Name: "app"}
	for i, p := range pods {
		c.Pods = append(c.Pods, p.series("web-7d9f8b6c5d-pod"+string(rune('a'+i))))
	}
	return &Trace{Name: "test", Start: testStart, Step: time.Minute, Steps: len(pods[0].liveBytes),
		Workloads: []*Workload{{Ref: testRef, Containers: []*Container{c}}}}
}

// scripted is a Vertical that recommends what its function says and keeps
// what it observed.
type scripted struct {
	recommend func(now time.Time) (recommender.Resources, bool)
	observed  [][]PodMinute
	currents  []recommender.Current
}

func (s *scripted) Observe(_ time.Time, pods []PodMinute) error {
	s.observed = append(s.observed, pods)
	return nil
}

func (s *scripted) Recommend(now time.Time, cur recommender.Current) map[string]recommender.Resources {
	s.currents = append(s.currents, cur)
	if r, ok := s.recommend(now); ok {
		return map[string]recommender.Resources{"app": r}
	}
	return nil
}

// always recommends r from the first step.
func always(r recommender.Resources) *scripted {
	return &scripted{recommend: func(time.Time) (recommender.Resources, bool) { return r, true }}
}

// runVertical replays t with one scripted contender whose advice reaches
// the pods at once (the initial resources are its advice too).
func runVertical(t *testing.T, tr *Trace, s *scripted, o Options) *Result {
	t.Helper()
	o.Vertical = []VerticalContender{{Name: "scripted", New: func(recommender.WorkloadRef, map[string]recommender.Resources) (Vertical, error) { return s, nil }}}
	res, err := Run(context.Background(), tr, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func scoreOf(t *testing.T, r *Result, name string) VerticalScore {
	t.Helper()
	for _, s := range r.Vertical {
		if s.Contender == name {
			return s
		}
	}
	t.Fatalf("no score for %s", name)
	return VerticalScore{}
}
