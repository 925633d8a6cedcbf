package contender

import (
	"math"
	"testing"
	"time"

	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/logic"
	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/model"

	"github.com/pacerdev/pacer/backtest/sim"
	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
)

const mib = 1 << 20

var (
	start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	web   = recommender.WorkloadRef{Namespace: "ns", Kind: recommender.KindDeployment, Name: "web"}
)

// minute is one pod's step with the given signals.
func minute(pod string, at time.Time, r recommender.Resources, values map[recommender.Signal]float64) sim.PodMinute {
	m := sim.PodMinute{Ref: recommender.ContainerRef{Namespace: "ns", Pod: pod, Container: "app"}, At: at, Resources: r}
	for _, sig := range recommender.Signals() {
		m.Set(sig, math.NaN())
	}
	for sig, v := range values {
		m.Set(sig, v)
	}
	return m
}

func TestHPAReplicaCalculator(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		ratio                float64
		current, ready, want int32
	}{
		{"within tolerance up", 1.09, 4, 4, 4},
		{"within tolerance down", 0.91, 4, 4, 4},
		{"scale up", 1.5, 4, 4, 6},
		{"scale down", 0.5, 4, 4, 2},
		{"unready pods count as idle when scaling up", 1.5, 6, 4, 6},
		{"unready pods can flip the direction: no change", 1.2, 8, 4, 8},
		{"unready pods: still up", 3, 5, 4, 12},
		{"scale down ignores unready pods", 0.5, 6, 4, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := desiredReplicas(tt.ratio, 0.1, tt.current, tt.ready); got != tt.want {
				t.Errorf("desiredReplicas(%g, current %d, ready %d) = %d, want %d", tt.ratio, tt.current, tt.ready, got, tt.want)
			}
		})
	}
}

// TestHPAStabilizesScaleDown: utilization falls at once, replicas follow
// only after the 300s scale-down window.
func TestHPAStabilizesScaleDown(t *testing.T) {
	h, err := HPA(HPADefaults())(web, nil)
	if err != nil {
		t.Fatal(err)
	}
	current := int32(4)
	for i := range 10 {
		at := start.Add(time.Duration(i) * time.Minute)
		perPod := 0.7 // at the target
		if i >= 2 {
			perPod = 0.35 // half the target: 2 replicas would do
		}
		if err := h.Observe(sim.ReplicaMinute{At: at, Replicas: current, Running: current, CPURequestPerPod: 1, CPUPerPodCores: perPod}); err != nil {
			t.Fatal(err)
		}
		next, ok := h.Recommend(at, current)
		if !ok {
			t.Fatalf("minute %d: no recommendation", i)
		}
		want := int32(4)
		if i >= 6 { // the window holds recommendations after now − 300s: minute 1's leaves at minute 6
			want = 2
		}
		if next != want {
			t.Errorf("minute %d: %d replicas, want %d", i, next, want)
		}
		current = next
	}
}

func TestKRRPercentileIsNumpys(t *testing.T) {
	for _, tt := range []struct {
		values []float64
		p      float64
		want   float64
	}{
		{[]float64{1, 2, 3, 4}, 95, 3.85}, // numpy.percentile([1, 2, 3, 4], 95)
		{[]float64{1, 2, 3, 4}, 50, 2.5},
		{[]float64{7}, 95, 7},
		{[]float64{0, 10}, 95, 9.5},
	} {
		if got := percentile(tt.values, tt.p); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("percentile(%v, %g) = %g, want %g", tt.values, tt.p, got, tt.want)
		}
	}
}

func TestKRRSimpleStrategy(t *testing.T) {
	s := KRRDefaults
	s.History = 200 * time.Minute
	k, _ := KRR(s)(web, nil)
	at := func(i int) time.Time { return start.Add(time.Duration(i) * time.Minute) }
	for i := range 99 {
		// Two pods; pod b uses more CPU and peaks higher in memory once.
		mem := 200.0 * mib
		if i == 10 {
			mem = 400 * mib
		}
		_ = k.Observe(at(i), []sim.PodMinute{
			minute("a", at(i), recommender.Resources{}, map[recommender.Signal]float64{recommender.CPU: 0.1, recommender.Memory: 100 * mib}),
			minute("b", at(i), recommender.Resources{}, map[recommender.Signal]float64{recommender.CPU: float64(i%10) / 10, recommender.Memory: mem}),
		})
	}
	// 198 points over the two pods: enough.
	got := k.Recommend(at(98), recommender.Current{})["app"]
	// Pod b's CPU cycles 0, 0.1, … 0.9: its P95 is 0.9 (rounded up to a millicore).
	if got.CPURequestCores != 0.9 || got.CPULimitCores != 0 {
		t.Errorf("CPU request %g limit %g, want 0.9 and none", got.CPURequestCores, got.CPULimitCores)
	}
	if want := math.Ceil(400*1.15) * mib; got.MemoryRequestBytes != want || got.MemoryLimitBytes != want {
		t.Errorf("memory %g/%g, want max × 1.15 = %g as request and limit", got.MemoryRequestBytes, got.MemoryLimitBytes, want)
	}
	// 200 minutes on, the 400Mi peak has left the history.
	later := at(10 + 200)
	_ = k.Observe(later, []sim.PodMinute{minute("a", later, recommender.Resources{}, map[recommender.Signal]float64{recommender.CPU: 0.001, recommender.Memory: 10 * mib})})
	got = k.Recommend(later, recommender.Current{})["app"]
	if want := math.Ceil(200*1.15) * mib; got.MemoryRequestBytes != want {
		t.Errorf("after the history: memory %gMi, want %gMi", got.MemoryRequestBytes/mib, want/mib)
	}

	few, _ := KRR(KRRDefaults)(web, nil)
	_ = few.Observe(start, []sim.PodMinute{minute("a", start, recommender.Resources{}, map[recommender.Signal]float64{recommender.CPU: 0.001, recommender.Memory: mib})})
	if got := few.Recommend(start, recommender.Current{}); len(got) != 0 {
		t.Errorf("one point: %v, want no recommendation (krr needs 100)", got)
	}
}

// TestVPAIsTheVPAsLogic feeds the adapter and, by hand, the VPA's own model
// the same samples: the recommendations agree, an OOM kill bumps memory as
// the VPA does, and limits keep the pod spec's ratio.
func TestVPAIsTheVPAsLogic(t *testing.T) {
	initial := map[string]recommender.Resources{"app": {CPURequestCores: 1, CPULimitCores: 2, MemoryRequestBytes: 512 * mib, MemoryLimitBytes: 512 * mib}}
	v, _ := VPA(VPADefaults)(web, initial)
	agg := model.NewAggregateContainerState()
	cs := model.NewContainerState(nil, agg)
	for i := range 600 {
		at := start.Add(time.Duration(i) * time.Minute)
		cpu, mem := 0.2+0.01*float64(i%7), float64(300+i%50)*mib
		_ = v.Observe(at, []sim.PodMinute{minute("a", at, initial["app"], map[recommender.Signal]float64{recommender.CPU: cpu, recommender.Memory: mem})})
		cs.AddSample(&model.ContainerUsageSample{MeasureStart: at, Usage: model.CPUAmountFromCores(cpu), Resource: model.ResourceCPU})
		cs.AddSample(&model.ContainerUsageSample{MeasureStart: at, Usage: model.MemoryAmountFromBytes(mem), Resource: model.ResourceMemory})
	}
	now := start.Add(600 * time.Minute)
	want := logic.CreatePodResourceRecommender(VPADefaults).GetRecommendedPodResources(model.ContainerNameToAggregateStateMap{"app": agg})["app"].Target
	got := v.Recommend(now, recommender.Current{})["app"]
	if got.CPURequestCores != model.CoresFromCPUAmount(want[model.ResourceCPU]) || got.MemoryRequestBytes != model.BytesFromMemoryAmount(want[model.ResourceMemory]) {
		t.Errorf("adapter %+v, VPA logic %v", got, want)
	}
	if got.CPULimitCores != 2*got.CPURequestCores || got.MemoryLimitBytes != got.MemoryRequestBytes {
		t.Errorf("limits %g cores, %g bytes: want the spec's ratios 2 and 1", got.CPULimitCores, got.MemoryLimitBytes)
	}
	// P90 of the day's memory peak, to the end of its 5% histogram
	// bucket, with the 15% margin.
	if m := got.MemoryRequestBytes / mib; m < 349*1.15 || m > 349*1.1*1.15 {
		t.Errorf("memory target %.0fMi, want the 349Mi peak × 1.15, up to its bucket's end above", m)
	}

	oom := minute("a", now, initial["app"], map[recommender.Signal]float64{recommender.CPU: 0.2, recommender.Memory: 512 * mib})
	oom.OOMKilled = true
	_ = v.Observe(now, []sim.PodMinute{oom})
	bumped := v.Recommend(now, recommender.Current{})["app"]
	// The OOM sample is max(request + 100MB, request × 1.2) with the margin.
	if min := 512 * 1.2 * 1.15 * mib * 0.95; bumped.MemoryRequestBytes < min {
		t.Errorf("after an OOM kill at a 512Mi request: memory %.0fMi, want at least %.0fMi", bumped.MemoryRequestBytes/mib, min/mib)
	}
}

// TestPacerFollowsItsPolicy: no recommendation until the policy's history
// minimum, then the engine's target.
func TestPacerFollowsItsPolicy(t *testing.T) {
	p := policy.Default()
	p.History.Minimum = policy.Duration(10 * time.Minute)
	p.History.HalfLife = policy.Duration(time.Hour)
	set := &policy.Set{APIVersion: policy.APIVersion, Kind: policy.Kind, Policies: []policy.Policy{p}}
	v, _ := Pacer(set)(web, nil)
	res := recommender.Resources{CPURequestCores: 1, MemoryRequestBytes: 512 * mib, MemoryLimitBytes: 512 * mib}
	for i := range 15 {
		at := start.Add(time.Duration(i) * time.Minute)
		if err := v.Observe(at, []sim.PodMinute{minute("web-7d9f8b6c5d-x2k4p", at, res, map[recommender.Signal]float64{
			recommender.CPU: 0.4, recommender.Memory: 150 * mib, recommender.LiveHeap: 50 * mib, recommender.HeapGoal: 100 * mib,
			recommender.GOGC: 100, recommender.Goroutines: 50, recommender.AllocRate: mib,
		})}); err != nil {
			t.Fatal(err)
		}
		got := v.Recommend(at, recommender.Current{Containers: map[string]recommender.Resources{"app": res}})
		if ready := i >= 10; ready != (got["app"].MemoryRequestBytes > 0) {
			t.Fatalf("minute %d: recommendation %v, want one only from minute 10", i, got)
		}
		if i == 14 && (got["app"].GOMEMLIMITBytes == 0 || got["app"].CPURequestCores < 0.4) {
			t.Errorf("pacer's target %+v: want GOMEMLIMIT set and CPU above the 0.4 cores used", got["app"])
		}
	}
}
