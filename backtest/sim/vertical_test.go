package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// spikes is a pod whose live heap is 40Mi except at the given steps, each
// at least crashResetAfter apart, so that no OOM kill waits on another's
// restart back-off. Its non-heap memory is 20Mi.
func spikes(steps int, at map[int]float64) goPod {
	g := steadyPod(steps, 40*mib, 20*mib, 1*mib, 0.2, 0.01, 50)
	for i, live := range at {
		g.liveBytes[i] = live
	}
	return g
}

// oomSteps are the steps in which the scripted contender's pods were OOM-killed.
func oomSteps(t *testing.T, r *Result) []int {
	t.Helper()
	for _, c := range r.PerWorkload[0].Timeline.Containers {
		for _, a := range c.Applied {
			if a.Contender == "scripted" {
				return a.OOMSteps
			}
		}
	}
	t.Fatal("no timeline for the scripted contender")
	return nil
}

func fixedInitial(r recommender.Resources) func(recommender.WorkloadRef, string) (recommender.Resources, bool) {
	return func(recommender.WorkloadRef, string) (recommender.Resources, bool) { return r, true }
}

// TestOOMWhenTheModelSays replays spikes of live heap under a fixed memory
// limit: the OOM kills are exactly the spikes whose working set (GOGC 100:
// twice the live heap plus non-heap) exceeds the limit.
func TestOOMWhenTheModelSays(t *testing.T) {
	limit := 200.0 * mib
	res := recommender.Resources{CPURequestCores: 0.5, MemoryRequestBytes: limit, MemoryLimitBytes: limit}
	live := map[int]float64{10: 80 * mib, 25: 89 * mib, 40: 91 * mib, 55: 120 * mib, 70: 170 * mib}
	tr := oneWorkload(spikes(90, live))
	r := runVertical(t, tr, always(res), Options{Initial: fixedInitial(res), Timelines: true})
	// working set = 2 × live + 20Mi: above 200Mi from live > 90Mi.
	if got, want := oomSteps(t, r), []int{40, 55, 70}; !slices.Equal(got, want) {
		t.Errorf("OOM kills at steps %v, want %v", got, want)
	}
	if got := scoreOf(t, r, "scripted").OOMKills; got != 3 {
		t.Errorf("OOMKills = %d, want 3", got)
	}
}

// TestGOMEMLIMITShiftsOOMs replays the same spikes with GOMEMLIMIT at 90%
// of the limit: the GC holds the heap under it while the live heap fits, at
// a cost in GC CPU, and the OOM comes only when live heap plus non-heap
// (plus what the GC CPU limiter lets through) exceeds the limit.
func TestGOMEMLIMITShiftsOOMs(t *testing.T) {
	limit := 200.0 * mib
	res := recommender.Resources{CPURequestCores: 0.5, MemoryRequestBytes: limit, MemoryLimitBytes: limit, GOMEMLIMITBytes: 0.9 * limit}
	live := map[int]float64{10: 80 * mib, 25: 120 * mib, 40: 160 * mib, 55: 176 * mib, 70: 181 * mib}
	tr := oneWorkload(spikes(90, live))
	r := runVertical(t, tr, always(res), Options{Initial: fixedInitial(res), Timelines: true})
	// live + 20Mi non-heap: above 200Mi from live > 180Mi.
	if got, want := oomSteps(t, r), []int{70}; !slices.Equal(got, want) {
		t.Errorf("with GOMEMLIMIT: OOM kills at steps %v, want %v", got, want)
	}
	if s := scoreOf(t, r, "scripted"); s.ExtraGCCPUCores <= 0 {
		t.Errorf("GOMEMLIMIT squeezed the heap at no GC CPU cost: extra %.4f cores", s.ExtraGCCPUCores)
	}

	noLimit := res
	noLimit.GOMEMLIMITBytes = 0
	r = runVertical(t, tr, always(noLimit), Options{Initial: fixedInitial(noLimit), Timelines: true})
	if got, want := oomSteps(t, r), []int{25, 40, 55, 70}; !slices.Equal(got, want) {
		t.Errorf("without GOMEMLIMIT: OOM kills at steps %v, want %v", got, want)
	}
}

// TestApplyDelayAndRestart: a new recommendation reaches the pod ApplyDelay
// after it was made, and at once when an OOM kill restarts the pod.
func TestApplyDelayAndRestart(t *testing.T) {
	small := recommender.Resources{CPURequestCores: 0.5, MemoryRequestBytes: 300 * mib, MemoryLimitBytes: 300 * mib}
	big := small
	big.MemoryRequestBytes, big.MemoryLimitBytes = 600*mib, 600*mib
	switchAt := testStart.Add(5 * time.Minute)
	s := &scripted{recommend: func(now time.Time) (recommender.Resources, bool) {
		if now.Before(switchAt) {
			return small, true
		}
		return big, true
	}}
	applied := func(s *scripted) []float64 {
		var out []float64
		for _, m := range s.observed {
			if len(m) == 0 {
				out = append(out, math.NaN())
				continue
			}
			out = append(out, m[0].Resources.MemoryLimitBytes/mib)
		}
		return out
	}

	tr := oneWorkload(spikes(30, nil))
	runVertical(t, tr, s, Options{Initial: fixedInitial(small), ApplyDelay: 10 * time.Minute})
	got := applied(s)
	// Recommended at the end of step 5, rolled out 10 minutes later.
	for i, v := range got {
		if want := map[bool]float64{true: 300, false: 600}[i < 15]; v != want {
			t.Fatalf("step %d runs with a %gMi limit, want %gMi (all: %v)", i, v, want, got)
		}
	}

	// An OOM kill at step 8 restarts the pod with the new recommendation.
	s.observed, s.currents = nil, nil
	tr = oneWorkload(spikes(30, map[int]float64{8: 170 * mib}))
	runVertical(t, tr, s, Options{Initial: fixedInitial(small), ApplyDelay: 10 * time.Minute})
	got = applied(s)
	for i, v := range got {
		if want := map[bool]float64{true: 300, false: 600}[i <= 8]; v != want {
			t.Fatalf("with an OOM at step 8: step %d runs with a %gMi limit, want %gMi (all: %v)", i, v, want, got)
		}
	}
	if !s.observed[8][0].OOMKilled {
		t.Error("the recommender was not told of the OOM kill")
	}
	if cur := s.currents[8]; cur.OOMKills["app"] != 1 || cur.Containers["app"].MemoryLimitBytes != 600*mib {
		t.Errorf("after the OOM kill the recommender saw %+v, want one OOM kill and the 600Mi limit", cur)
	}
}

// TestMinChange: a recommendation within MinChange of what runs is not
// rolled out.
func TestMinChange(t *testing.T) {
	base := recommender.Resources{CPURequestCores: 1, MemoryRequestBytes: 300 * mib, MemoryLimitBytes: 300 * mib}
	near := base
	near.CPURequestCores = 1.05
	s := always(near)
	r := runVertical(t, oneWorkload(spikes(60, nil)), s, Options{Initial: fixedInitial(base), ApplyDelay: time.Minute})
	if got := scoreOf(t, r, "scripted").ChangesPerDay; got != 0 {
		t.Errorf("a 5%% move was rolled out (%.1f changes a day)", got)
	}
	if got := s.observed[len(s.observed)-1][0].Resources.CPURequestCores; got != 1 {
		t.Errorf("the pod runs with %.2f cores, want the initial 1", got)
	}
}

// TestCrashLoopBacksOff: a pod whose limit stays too small is killed again
// after each restart back-off, not every step.
func TestCrashLoopBacksOff(t *testing.T) {
	tiny := recommender.Resources{CPURequestCores: 0.5, MemoryRequestBytes: 50 * mib, MemoryLimitBytes: 50 * mib}
	tr := oneWorkload(spikes(60, nil)) // working set 100Mi: always over
	r := runVertical(t, tr, always(tiny), Options{Initial: fixedInitial(tiny), Timelines: true})
	got := oomSteps(t, r)
	// Back-offs 10s, 20s, 40s fit in a step; then 80s, 160s, 300s, 300s…
	want := []int{0, 1, 2, 3, 5, 8, 13, 18, 23, 28, 33, 38, 43, 48, 53, 58}
	if !slices.Equal(got, want) {
		t.Errorf("OOM kills at %v, want %v", got, want)
	}
}

// TestOracleIsTheFloor: on random traces the oracle has no slack, no OOM
// kill, no throttling and no overload.
func TestOracleIsTheFloor(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		var pods []goPod
		for range 1 + rng.IntN(3) {
			g := steadyPod(120, 0, 0, 0, 0, 0, 0)
			for i := range 120 {
				g.liveBytes[i] = (10 + rng.Float64()*300) * mib
				g.nonHeapBytes[i] = (10 + rng.Float64()*50) * mib
				g.allocBytesPerSecond[i] = rng.Float64() * 30 * mib
				g.cpuCores[i] = 0.01 + rng.Float64()*3
				g.gcCPUCores[i] = rng.Float64() * 0.1
				g.requestsPerSecond[i] = rng.Float64() * 500
			}
			pods = append(pods, g)
		}
		r := runVertical(t, oneWorkload(pods...), always(recommender.Resources{CPURequestCores: 1, MemoryRequestBytes: 100 * mib, MemoryLimitBytes: 100 * mib}),
			Options{Horizontal: []HorizontalContender{}})
		o := scoreOf(t, r, OracleName)
		if o.CPU.RelativeSlack > 1e-9 || o.Memory.RelativeSlack > 1e-9 || o.OOMKills != 0 || o.ThrottledMinutes != 0 {
			t.Fatalf("oracle: %+v", o)
		}
		for _, h := range r.Horizontal {
			if h.Contender == OracleName && h.OverloadMinutes != 0 {
				t.Fatalf("oracle overloaded: %+v", h)
			}
		}
	}
}
