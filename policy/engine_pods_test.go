package policy

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// observeAll runs a fresh engine over an hour of the pods, as one snapshot
// or several, and returns it.
func observeAll(t *testing.T, resolve Resolver, snaps ...*recommender.Snapshot) *Engine {
	t.Helper()
	e := NewEngine(resolve)
	for _, snap := range snaps {
		if err := e.Observe(snap, func(r recommender.ContainerRef) recommender.WorkloadRef {
			return recommender.GuessWorkload(r.Namespace, r.Pod)
		}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func fixed(p Policy) Resolver {
	return func(recommender.WorkloadRef) (Policy, error) { return p, nil }
}

// TestPodOrderDoesNotMatter: the rules see the largest value over the pods
// at each instant, so which pod is busy, and how the pods are named, changes nothing.
func TestPodOrderDoesNotMatter(t *testing.T) {
	busy := func(name string) pod { return goService(name).with(recommender.Goroutines, constant(6000)) }
	a := recommend(t, testPolicy(), 0, recommender.Current{}, busy("api-7d9f8b6c5d-bbbbb"), goService("api-7d9f8b6c5d-zzzzz"))
	b := recommend(t, testPolicy(), 0, recommender.Current{}, goService("api-7d9f8b6c5d-bbbbb"), busy("api-7d9f8b6c5d-zzzzz"))
	if !slices.Contains(a.Flags, recommender.FlagGoroutinePressure) {
		t.Errorf("one pod with 6000 goroutines for an hour: flags %v", a.Flags)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("swapping which pod is busy changed the recommendation:\n%+v\n%+v", a, b)
	}
}

// TestCPUPerPodSumsContainers: the CPU guard compares a pod's CPU (all its
// containers) with the pod's request, not a container's.
func TestCPUPerPodSumsContainers(t *testing.T) {
	app := goService("api-7d9f8b6c5d-bbbbb").with(recommender.RequestRate, constant(100)).with(recommender.CPU, constant(0.4))
	sidecar := goService("api-7d9f8b6c5d-bbbbb").with(recommender.RequestRate, nil).with(recommender.CPU, constant(0.4)).in("sidecar")
	cur := recommender.Current{Replicas: 1, Containers: map[string]recommender.Resources{
		"app": {CPURequestCores: 0.5}, "sidecar": {CPURequestCores: 0.5},
	}}
	r := recommend(t, testPolicy(), 0, cur, app, sidecar)
	if r.Horizontal == nil {
		t.Fatalf("no horizontal recommendation: %s %v", r.Outcome, r.Missing)
	}
	guard, ok := reasonOf(r.Horizontal.Reasons, "replicas.cpu-guard")
	if !ok || !near(guard.Inputs["cpu_utilization_percent"], 80, 0.01) || r.Horizontal.DesiredReplicas != 2 {
		t.Errorf("0.8 cores of a 1-core pod: guard %+v, desired %d, want 80%% and 2", guard, r.Horizontal.DesiredReplicas)
	}
	if len(r.Containers) != 2 {
		t.Errorf("%d container recommendations, want app and sidecar", len(r.Containers))
	}
}

// TestOverlappingWindowsCountOnce: a sample seen in two fetches counts once.
func TestOverlappingWindowsCountOnce(t *testing.T) {
	snap := snapshotOf(time.Hour, goService("api-0"))
	once := observeAll(t, fixed(testPolicy()), snap)
	twice := observeAll(t, fixed(testPolicy()), snap, snap)
	ref := recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindStatefulSet, Name: "api"}
	w1, w2 := once.workloads[ref].containers["app"], twice.workloads[ref].containers["app"]
	end := t0.Add(time.Hour)
	if a, b := w1.cpu.TotalWeight(end), w2.cpu.TotalWeight(end); a != b {
		t.Errorf("CPU histogram weight %v after one fetch, %v after the same fetch twice", a, b)
	}
	if a, b := once.Recommend(end, nil), twice.Recommend(end, nil); !reflect.DeepEqual(a, b) {
		t.Errorf("recommendations differ:\n%+v\n%+v", a, b)
	}
}

// TestSidecarWithoutGoMetrics: a container without Go metrics is sized from
// its working set; it does not hold the Go container back.
func TestSidecarWithoutGoMetrics(t *testing.T) {
	proxy := pod{name: "api-0", container: "proxy", signals: map[recommender.Signal]func(int) float64{
		recommender.CPU: constant(0.1), recommender.Memory: constant(40 * mib),
	}}
	r := recommend(t, testPolicy(), 0, recommender.Current{}, goService("api-0"), proxy)
	if r.Outcome != recommender.OutcomeReady || len(r.Containers) != 2 {
		t.Fatalf("outcome %s with %d containers, want ready with 2: %v", r.Outcome, len(r.Containers), r.Missing)
	}
	c := r.Containers[1]
	if c.Container != "proxy" || !near(c.Target.MemoryRequestBytes, 40*mib*1.15, 0.051) || c.Target.GOMEMLIMITBytes != 0 || c.Target.GOMAXPROCS != 0 {
		t.Errorf("proxy %+v, want memory from the working set and no Go settings", c.Target)
	}
	if _, ok := reasonOf(c.Reasons, "memory.working-set"); !ok {
		t.Errorf("no working-set reason: %v", c.Reasons)
	}
}

// TestRemovedContainerIsLeftOut: a container that stopped reporting while
// the others go on is left out with a note, not waited for.
func TestRemovedContainerIsLeftOut(t *testing.T) {
	gone := func(v float64) func(int) float64 {
		return func(m int) float64 {
			if m > 20 {
				return math.NaN()
			}
			return v
		}
	}
	old := pod{name: "api-0", container: "old", signals: map[recommender.Signal]func(int) float64{
		recommender.CPU: gone(0.1), recommender.Memory: gone(40 * mib), recommender.LiveHeap: gone(10 * mib),
	}}
	r := recommend(t, testPolicy(), 0, recommender.Current{}, goService("api-0"), old)
	if r.Outcome != recommender.OutcomeReady || len(r.Containers) != 1 || r.Containers[0].Container != "app" {
		t.Fatalf("outcome %s, containers %+v, missing %v", r.Outcome, r.Containers, r.Missing)
	}
	if _, ok := reasonOf(r.Notes, "container.stale"); !ok {
		t.Errorf("no note about the stale container: %v", r.Notes)
	}
}

// TestRulesIgnoreStaleSignals: goroutines that stopped being reported 30
// minutes ago fire nothing, and the note says why.
func TestRulesIgnoreStaleSignals(t *testing.T) {
	pd := goService("api-0").with(recommender.Goroutines, func(m int) float64 {
		if m > 30 {
			return math.NaN()
		}
		return 6000
	})
	r := recommend(t, testPolicy(), 0, recommender.Current{}, pd)
	if slices.Contains(r.Flags, recommender.FlagGoroutinePressure) {
		t.Errorf("a stale goroutine count fired the rule: %v", r.Flags)
	}
	if n, ok := reasonOf(r.Notes, "goroutine-pressure"); !ok || n.Message == "" {
		t.Errorf("no note that the rule was skipped: %v", r.Notes)
	}
}

func TestNonFiniteValuesAreNoValue(t *testing.T) {
	odd := func(m int) float64 {
		switch m % 3 {
		case 1:
			return math.NaN()
		case 2:
			return math.Inf(1)
		}
		return 0.5
	}
	r := recommend(t, testPolicy(), 0, recommender.Current{}, goService("api-0").with(recommender.CPU, odd))
	if r.Outcome != recommender.OutcomeReady || !near(r.Containers[0].Target.CPURequestCores, 0.5*1.15, 0.051) {
		t.Errorf("outcome %s, CPU %+v; want the finite values only", r.Outcome, r.Containers)
	}
}

// TestGOMAXPROCSFollowsTheLimitLikeTheRuntime: with a CPU limit below 2
// cores, Go itself runs 2 threads; pacer recommends the same.
func TestGOMAXPROCSFollowsTheLimitLikeTheRuntime(t *testing.T) {
	p := testPolicy()
	p.CPU.Limit, p.CPU.LimitRatio = "ratio", 2
	r := recommend(t, p, 0, recommender.Current{}, goService("api-0").with(recommender.CPU, constant(0.2)))
	tg := r.Containers[0].Target
	if !near(tg.CPULimitCores, 0.2*1.15*2, 0.051) || tg.GOMAXPROCS != 2 {
		t.Errorf("limit %.3f, GOMAXPROCS %d; want about 0.46 and 2", tg.CPULimitCores, tg.GOMAXPROCS)
	}
}

// TestReplicasCountAgainstTheCapacityTarget: when pods saturate below the
// per-pod target, replicas are counted against the lowered target.
func TestReplicasCountAgainstTheCapacityTarget(t *testing.T) {
	// CPU = 0.1 + 0.001 × rate: a 1-core pod reaches 70% at 600 requests/s.
	// CPU stops being reported at minute 50, so only the capacity can act.
	rate := func(m int) float64 { return 300 + 10*float64(m) }
	cpu := func(m int) float64 {
		if m > 50 {
			return math.NaN()
		}
		return 0.1 + 0.001*rate(m)
	}
	pd := func(name string) pod {
		return goService(name).with(recommender.RequestRate, rate).with(recommender.CPU, cpu)
	}
	p := testPolicy()
	p.History.StaleAfter = Duration(time.Hour)
	cur := recommender.Current{Replicas: 2, Containers: map[string]recommender.Resources{"app": {CPURequestCores: 1}}}
	r := recommend(t, p, 0, cur, pd("api-7d9f8b6c5d-bbbbb"), pd("api-7d9f8b6c5d-ccccc"))
	h := r.Horizontal
	if h == nil {
		t.Fatalf("no horizontal recommendation: %s %v", r.Outcome, r.Missing)
	}
	// 2 × 900/s over a target of 600 is 3 pods (against 1000 it would be 2).
	if h.TargetPerPod != 600 || h.DesiredReplicas != 3 {
		t.Errorf("target %.0f, desired %d; want 600 and 3; reasons %v", h.TargetPerPod, h.DesiredReplicas, h.Reasons)
	}
}

// TestSizingIgnoresTheCurrentGOMEMLIMIT: a GOMEMLIMIT that holds the heap
// down does not shrink the recommendation; GOGC=off is sized as GOGC=100.
func TestSizingIgnoresTheCurrentGOMEMLIMIT(t *testing.T) {
	for _, tt := range []struct {
		name string
		pod  pod
	}{
		{"low GOMEMLIMIT", goService("api-0").with(recommender.GOMEMLIMIT, constant(120*mib)).with(recommender.Memory, constant(130*mib))},
		{"GOGC off", goService("api-0").with(recommender.GOGC, constant(-1)).with(recommender.GOMEMLIMIT, constant(120*mib)).with(recommender.Memory, constant(130*mib))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := recommend(t, testPolicy(), 0, recommender.Current{}, tt.pod)
			// Live 100Mi × 2 = 200Mi, plus non-heap 130Mi − 120Mi (the goal it ran with).
			if got, want := r.Containers[0].Target.MemoryRequestBytes, (200+10)*mib*1.15; !near(got, want, 0.051) {
				t.Errorf("memory %.1fMi, want %.1fMi: %v", got/mib, want/mib, r.Containers[0].Reasons)
			}
		})
	}
}

func TestSmallHeapsAreResolved(t *testing.T) {
	pd := goService("api-0").with(recommender.LiveHeap, constant(300<<10)).with(recommender.Memory, constant(8*mib))
	r := recommend(t, testPolicy(), 0, recommender.Current{}, pd)
	model, ok := reasonOf(r.Containers[0].Reasons, "memory.go-model")
	if !ok || model.Inputs["live_heap"] > 330<<10 {
		t.Errorf("a 300KiB live heap reads as %v: %v", model.Inputs["live_heap"], model)
	}
}

func TestWorkloadWithoutPolicyIsListed(t *testing.T) {
	e := observeAll(t, func(recommender.WorkloadRef) (Policy, error) {
		return Policy{}, errors.New("no policy selects workload shop/StatefulSet/api")
	}, snapshotOf(time.Hour, goService("api-0")))
	recs := e.Recommend(t0.Add(time.Hour), nil)
	if len(recs) != 1 || recs[0].Outcome != recommender.OutcomeNoPolicy || len(recs[0].Notes) != 1 {
		t.Fatalf("recommendations %+v, want one no_policy with the reason", recs)
	}
}

func TestReresolve(t *testing.T) {
	snap := snapshotOf(time.Hour, goService("api-0"))
	end := t0.Add(time.Hour)
	e := observeAll(t, fixed(testPolicy()), snap)

	// A new percentile keeps the history.
	p := testPolicy()
	p.Name, p.CPU.Percentile = "p50", 50
	e.Reresolve(fixed(p))
	if r := e.Recommend(end, nil)[0]; r.Outcome != recommender.OutcomeReady || r.Policy != "p50" {
		t.Errorf("after a percentile change: %s under %s, want ready under p50", r.Outcome, r.Policy)
	}
	// A new half-life starts afresh: the old histograms decay differently.
	p.History.HalfLife = Duration(time.Hour)
	e.Reresolve(fixed(p))
	if r := e.Recommend(end, nil); len(r) != 1 || r[0].Outcome != recommender.OutcomeInsufficientData {
		t.Errorf("after a half-life change: %+v, want insufficient data", r)
	}
	// No policy any more: listed without state.
	e.Reresolve(func(recommender.WorkloadRef) (Policy, error) { return Policy{}, errors.New("unselected") })
	if r := e.Recommend(end, nil); len(r) != 1 || r[0].Outcome != recommender.OutcomeNoPolicy {
		t.Errorf("after losing its policy: %+v", r)
	}
}

// TestGOMEMLIMITSizingStandsDown: after an OOM kill or during goroutine
// pressure the heap is sized for the GOGC goal again, even though the pod
// runs with pacer's GOMEMLIMIT: stuck goroutines hold memory no GC frees.
func TestGOMEMLIMITSizingStandsDown(t *testing.T) {
	limit := recommender.Resources{MemoryLimitBytes: 300 * mib}
	follows := goService("api-0").with(recommender.GOMEMLIMIT, constant(270*mib))
	for _, tt := range []struct {
		name string
		pod  pod
		cur  recommender.Current
	}{
		{"after an OOM kill", follows, recommender.Current{Containers: map[string]recommender.Resources{"app": limit}, OOMKills: map[string]int{"app": 1}}},
		{"during goroutine pressure", follows.with(recommender.Goroutines, constant(6000)), recommender.Current{Containers: map[string]recommender.Resources{"app": limit}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := recommend(t, testPolicy(), 0, tt.cur, tt.pod)
			c := r.Containers[0]
			if _, ok := reasonOf(c.Reasons, "memory.gomemlimit-holds"); ok {
				t.Errorf("sized with GOMEMLIMIT holding the heap: %v", c.Reasons)
			}
			if _, ok := reasonOf(c.Reasons, "memory.go-model"); !ok {
				t.Errorf("no GOGC model: %v", c.Reasons)
			}
		})
	}
}

// TestForgetDropsWorkloadsThatStopped: a workload with no sample since the
// cut leaves the state and the recommendations; one still reporting stays,
// and so does an unresolved one seen since.
func TestForgetDropsWorkloadsThatStopped(t *testing.T) {
	shifted := func(snap *recommender.Snapshot, by time.Duration) *recommender.Snapshot {
		out := recommender.NewSnapshot(recommender.Window{End: snap.Window.End.Add(by), Range: snap.Window.Range, Step: snap.Window.Step})
		for sig, series := range snap.Series {
			for _, s := range series {
				moved := recommender.Series{Ref: s.Ref}
				for _, smp := range s.Samples {
					moved.Samples = append(moved.Samples, recommender.Sample{At: smp.At.Add(by), Value: smp.Value})
				}
				out.Series[sig] = append(out.Series[sig], moved)
			}
		}
		return out
	}
	resolve := func(w recommender.WorkloadRef) (Policy, error) {
		if w.Name == "orphan" || w.Name == "stray" {
			return Policy{}, errors.New("no policy selects it")
		}
		return testPolicy(), nil
	}
	first := snapshotOf(time.Hour, goService("gone-7d9f8b6c5d-bbbbb"), goService("api-7d9f8b6c5d-bbbbb"), goService("orphan-7d9f8b6c5d-bbbbb"))
	later := shifted(snapshotOf(time.Hour, goService("api-7d9f8b6c5d-bbbbb"), goService("stray-7d9f8b6c5d-bbbbb")), 10*24*time.Hour)
	e := observeAll(t, resolve, first, later)
	if n := e.Forget(later.Window.End.Add(-8 * 24 * time.Hour)); n != 2 {
		t.Errorf("forgot %d workloads, want gone and orphan", n)
	}
	var names []string
	for _, r := range e.Recommend(later.Window.End, func(recommender.WorkloadRef) recommender.Current { return recommender.Current{} }) {
		names = append(names, r.Workload.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"api", "stray"}) {
		t.Errorf("recommendations for %v, want api and stray", names)
	}
}
