package sim

import (
	"context"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// scriptedReplicas asks for what its function says and keeps what it saw.
type scriptedReplicas struct {
	want     func(now time.Time) int32
	observed []ReplicaMinute
}

func (s *scriptedReplicas) Observe(m ReplicaMinute) error {
	s.observed = append(s.observed, m)
	return nil
}

func (s *scriptedReplicas) Recommend(now time.Time, _ int32) (int32, bool) { return s.want(now), true }

func runHorizontal(t *testing.T, tr *Trace, s *scriptedReplicas, o Options) *Result {
	t.Helper()
	o.Horizontal = []HorizontalContender{{Name: "scripted", New: func(recommender.WorkloadRef, map[string]recommender.Resources) (Horizontal, error) { return s, nil }}}
	r, err := Run(context.Background(), tr, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func horizontalScore(t *testing.T, r *Result, name string) HorizontalScore {
	t.Helper()
	for _, s := range r.Horizontal {
		if s.Contender == name {
			return s
		}
	}
	t.Fatalf("no horizontal score for %s", name)
	return HorizontalScore{}
}

// TestReplicaDelayRespected: replicas asked for at the end of step 3 count
// as cost at once and serve ReplicaDelay later; removed ones stop at once.
func TestReplicaDelayRespected(t *testing.T) {
	pod := steadyPod(20, 40*mib, 20*mib, mib, 1, 0.01, 200) // 5 millicores a request
	sized := recommender.Resources{CPURequestCores: 0.5, MemoryRequestBytes: 200 * mib, MemoryLimitBytes: 200 * mib}
	s := &scriptedReplicas{want: func(now time.Time) int32 {
		switch {
		case now.Before(testStart.Add(3 * time.Minute)):
			return 1
		case now.Before(testStart.Add(10 * time.Minute)):
			return 4
		}
		return 2
	}}
	r := runHorizontal(t, oneWorkload(pod), s, Options{Initial: fixedInitial(sized), ReplicaDelay: 2 * time.Minute})
	for i, m := range s.observed {
		wantReplicas, wantRunning := int32(1), int32(1)
		switch {
		case i >= 11:
			wantReplicas, wantRunning = 2, 2
		case i >= 5: // asked at step 3, serving 2 minutes later
			wantReplicas, wantRunning = 4, 4
		case i >= 4:
			wantReplicas = 4
		}
		if m.Replicas != wantReplicas || m.Running != wantRunning {
			t.Errorf("step %d: %d replicas, %d running; want %d, %d", i, m.Replicas, m.Running, wantReplicas, wantRunning)
		}
	}
	// A pod's 0.5 cores serve 100 requests/s: 200/s overloads one running
	// pod (steps 0–4), not four (5–10) nor two (11–19, exactly at capacity).
	sc := horizontalScore(t, r, "scripted")
	if sc.OverloadMinutes != 5 {
		t.Errorf("overload minutes = %g, want 5", sc.OverloadMinutes)
	}
	if want := float64(4*1 + 7*4 + 9*2); sc.ReplicaMinutes != want {
		t.Errorf("replica-minutes = %g, want %g", sc.ReplicaMinutes, want)
	}
	if o := horizontalScore(t, r, OracleName); o.OverloadMinutes != 0 || o.ReplicaMinutes != 20*2 {
		t.Errorf("oracle: %+v, want no overload on 2 replicas", o)
	}
}

// TestReplicaMinuteSpreadsTheLoad: the pods a replica recommender sees
// carry the recorded load spread over the running replicas.
func TestReplicaMinuteSpreadsTheLoad(t *testing.T) {
	a := steadyPod(3, 40*mib, 20*mib, mib, 0.3, 0.01, 120)
	b := steadyPod(3, 60*mib, 20*mib, mib, 0.5, 0.01, 180)
	tr := oneWorkload(a, b)
	m := ReplicaMinute{At: testStart, Running: 3, workload: tr.Workloads[0], step: 1}
	pods := m.Pods()
	if len(pods) != 3 {
		t.Fatalf("%d pods, want 3", len(pods))
	}
	for _, p := range pods {
		rate, _ := p.Value(recommender.RequestRate)
		cpu, _ := p.Value(recommender.CPU)
		live, _ := p.Value(recommender.LiveHeap)
		if !near(rate, 100) || !near(cpu, 0.8/3) || live != 60*mib {
			t.Errorf("%s: rate %.1f cpu %.3f live %.0fMi; want 100, 0.267, 60Mi", p.Ref.Pod, rate, cpu, live/mib)
		}
	}
}

// TestWarmupIsHistoryNotScore: during the warm-up the recommender sees the
// pods as they ran with the initial replicas, is not asked, and nothing
// counts; scores start after it.
func TestWarmupIsHistoryNotScore(t *testing.T) {
	pod := steadyPod(20, 40*mib, 20*mib, mib, 1, 0.01, 200)
	sized := recommender.Resources{CPURequestCores: 0.5, MemoryRequestBytes: 200 * mib, MemoryLimitBytes: 200 * mib}
	var asked []time.Time
	s := &scriptedReplicas{want: func(now time.Time) int32 {
		asked = append(asked, now)
		return 2
	}}
	r := runHorizontal(t, oneWorkload(pod), s, Options{Initial: fixedInitial(sized), Warmup: 5 * time.Minute})
	if len(s.observed) != 20 {
		t.Errorf("observed %d steps, want all 20 (the warm-up is history)", len(s.observed))
	}
	if len(asked) == 0 || asked[0].Before(testStart.Add(5*time.Minute)) {
		t.Errorf("asked at %v, want the first ask after the 5-minute warm-up", asked)
	}
	// One replica overloaded in the warm-up (steps 0–4) does not count;
	// the scale to 2 asked at the end of step 5 serves from step 7, so
	// steps 5–6 do, and step 5 costs one replica.
	sc := horizontalScore(t, r, "scripted")
	if sc.OverloadMinutes != 2 || sc.ReplicaMinutes != 1+14*2 || sc.ChangesPerDay != 96 {
		t.Errorf("scores %+v, want 2 overload minutes, 29 replica-minutes, 1 change in 15 minutes (96 a day)", sc)
	}
	if !r.Start.Equal(testStart.Add(5 * time.Minute)) {
		t.Errorf("result starts at %s, want after the warm-up", r.Start)
	}
	if _, err := Run(context.Background(), oneWorkload(pod), Options{Warmup: 20 * time.Minute}); err == nil {
		t.Error("a warm-up as long as the trace was accepted")
	}
}
