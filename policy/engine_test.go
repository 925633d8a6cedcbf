package policy

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

const mib = 1 << 20

// pod builds the snapshot of one pod: each signal a function of the
// minute, sampled every minute for the given duration.
type pod struct {
	name      string
	signals   map[recommender.Signal]func(minute int) float64
	container string // "app" when empty
}

func snapshotOf(d time.Duration, pods ...pod) *recommender.Snapshot {
	snap := recommender.NewSnapshot(recommender.Window{End: t0.Add(d), Range: d, Step: time.Minute})
	for _, p := range pods {
		ref := recommender.ContainerRef{Namespace: "shop", Pod: p.name, Container: cmp.Or(p.container, "app")}
		for sig, f := range p.signals {
			s := recommender.Series{Ref: ref}
			for m := 0; m <= int(d/time.Minute); m++ {
				s.Samples = append(s.Samples, recommender.Sample{At: t0.Add(time.Duration(m) * time.Minute), Value: f(m)})
			}
			snap.Series[sig] = append(snap.Series[sig], s)
		}
	}
	return snap
}

func constant(v float64) func(int) float64 { return func(int) float64 { return v } }

// goService is a pod with every signal a Go service exposes, at steady values.
func goService(name string) pod {
	return pod{name: name, signals: map[recommender.Signal]func(int) float64{
		recommender.Goroutines:  constant(50),
		recommender.AllocRate:   constant(2 * mib),
		recommender.LiveHeap:    constant(100 * mib),
		recommender.GOGC:        constant(100),
		recommender.GCRate:      constant(0.5),
		recommender.RequestRate: constant(400),
		recommender.CPU:         constant(0.5),
		recommender.Memory:      constant(230 * mib),
	}}
}

func (p pod) with(sig recommender.Signal, f func(int) float64) pod {
	m := map[recommender.Signal]func(int) float64{}
	for k, v := range p.signals {
		m[k] = v
	}
	if f == nil {
		delete(m, sig)
	} else {
		m[sig] = f
	}
	return pod{p.name, m, p.container}
}

// in moves the pod's series to another container.
func (p pod) in(container string) pod {
	p.container = container
	return p
}

func testPolicy() Policy {
	p := Default()
	p.History.Minimum = Duration(30 * time.Minute)
	return p
}

// recommend runs the engine over an hour of the pods and recommends at t0+1h+after.
func recommend(t *testing.T, p Policy, after time.Duration, cur recommender.Current, pods ...pod) recommender.Recommendation {
	const d = time.Hour
	t.Helper()
	e := NewEngine(func(recommender.WorkloadRef) (Policy, error) { return p, nil })
	err := e.Observe(snapshotOf(d, pods...), func(r recommender.ContainerRef) recommender.WorkloadRef {
		return recommender.GuessWorkload(r.Namespace, r.Pod)
	})
	if err != nil {
		t.Fatal(err)
	}
	recs := e.Recommend(t0.Add(d+after), func(recommender.WorkloadRef) recommender.Current { return cur })
	if len(recs) != 1 {
		t.Fatalf("%d recommendations, want 1", len(recs))
	}
	return recs[0]
}

func reasonOf(reasons []recommender.Reason, rule string) (recommender.Reason, bool) {
	i := slices.IndexFunc(reasons, func(r recommender.Reason) bool { return r.Rule == rule })
	if i < 0 {
		return recommender.Reason{}, false
	}
	return reasons[i], true
}

func near(got, want, tolerance float64) bool { return math.Abs(got-want) <= tolerance*math.Abs(want) }

func TestInsufficientHistoryIsTypedNotZero(t *testing.T) {
	r := recommend(t, Default(), 0, recommender.Current{}, goService("api-0"))
	if r.Outcome != recommender.OutcomeInsufficientData || len(r.Containers) != 0 || r.Horizontal != nil {
		t.Fatalf("outcome %s with %d containers, want insufficient data and no values", r.Outcome, len(r.Containers))
	}
	var sigs []string
	for _, m := range r.Missing {
		sigs = append(sigs, string(m.Signal))
		if m.Have != time.Hour || m.Need != 24*time.Hour || m.Reason != "too little history" {
			t.Errorf("missing %+v, want 1h of 24h", m)
		}
	}
	if strings.Join(sigs, ",") != "cpu,memory,live_heap,request_rate" {
		t.Errorf("missing signals %v", sigs)
	}
	if !slices.Contains(r.Flags, recommender.FlagShortHistory) {
		t.Errorf("flags %v lack short_history", r.Flags)
	}
}

func TestStaleDataIsNotReady(t *testing.T) {
	r := recommend(t, testPolicy(), time.Hour, recommender.Current{}, goService("api-0"))
	if r.Outcome != recommender.OutcomeInsufficientData || len(r.Missing) == 0 || !strings.HasPrefix(r.Missing[0].Reason, "stale: newest sample at") {
		t.Fatalf("outcome %s, missing %v: want stale data refused", r.Outcome, r.Missing)
	}
}

func TestWorkloadWithoutGoMetrics(t *testing.T) {
	plain := pod{name: "nginx-0", signals: map[recommender.Signal]func(int) float64{recommender.CPU: constant(0.2), recommender.Memory: constant(50 * mib)}}
	r := recommend(t, testPolicy(), 0, recommender.Current{}, plain)
	if r.Outcome != recommender.OutcomeNoGoMetrics || len(r.Notes) == 0 {
		t.Fatalf("outcome %s, notes %v", r.Outcome, r.Notes)
	}
}

func TestCPU(t *testing.T) {
	for _, tt := range []struct {
		name    string
		mod     func(*Policy)
		cur     recommender.Current
		want    float64
		rule    string
		maxproc int
	}{
		{"percentile with margin", nil, recommender.Current{}, 0.5 * 1.15, "cpu.margin", 2},
		{"upper bound", func(p *Policy) { p.CPU.Max = MustQuantity("250m") }, recommender.Current{}, 0.25, "cpu.bounds", 2},
		{"max change per step", nil, recommender.Current{Containers: map[string]recommender.Resources{"app": {CPURequestCores: 0.2}}}, 0.3, "cpu.max-change", 2},
		{"limit ratio sets GOMAXPROCS", func(p *Policy) { p.CPU.Limit, p.CPU.LimitRatio = "ratio", 4 }, recommender.Current{}, 0.5 * 1.15, "cpu.gomaxprocs", 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy()
			if tt.mod != nil {
				tt.mod(&p)
			}
			r := recommend(t, p, 0, tt.cur, goService("api-0"))
			if r.Outcome != recommender.OutcomeReady {
				t.Fatalf("outcome %s: %v", r.Outcome, r.Missing)
			}
			c := r.Containers[0]
			if !near(c.Target.CPURequestCores, tt.want, 0.05) { // buckets are 5% wide
				t.Errorf("CPU request %.4f, want %.4f", c.Target.CPURequestCores, tt.want)
			}
			if _, ok := reasonOf(c.Reasons, tt.rule); !ok {
				t.Errorf("no %s reason in %v", tt.rule, c.Reasons)
			}
			if c.Target.GOMAXPROCS != tt.maxproc {
				t.Errorf("GOMAXPROCS %d, want %d", c.Target.GOMAXPROCS, tt.maxproc)
			}
			if c.Lower.CPURequestCores > c.Target.CPURequestCores || c.Upper.CPURequestCores < c.Lower.CPURequestCores {
				t.Errorf("bounds %v..%v around %v", c.Lower.CPURequestCores, c.Upper.CPURequestCores, c.Target.CPURequestCores)
			}
		})
	}
}

func TestMemoryModel(t *testing.T) {
	heapGoalCapped := func(m int) float64 { return 120 * mib }
	for _, tt := range []struct {
		name  string
		pod   pod
		cur   recommender.Current
		want  float64 // request before rules' raises, × margin
		rules []string
		flags []recommender.Flag
	}{
		// live 100Mi × (1+100/100) = 200Mi goal + 30Mi non-heap = 230Mi = working set.
		{"go model", goService("api-0"), recommender.Current{}, 230 * mib * 1.15, nil, nil},
		// Non-heap is what the working set holds beyond the heap goal.
		{"non-heap from the working set", goService("api-0").with(recommender.Memory, constant(400*mib)), recommender.Current{}, 400 * mib * 1.15, nil, nil},
		{"GOGC 50", goService("api-0").with(recommender.GOGC, constant(50)).with(recommender.Memory, constant(100*mib)), recommender.Current{}, (150*mib + 0) * 1.15, nil, nil},
		{"heap goal from the runtime", goService("api-0").with(recommender.HeapGoal, heapGoalCapped).with(recommender.Memory, constant(100*mib)), recommender.Current{}, (200*mib + 0) * 1.15, nil, nil},
		{"goroutine pressure", goService("api-0").with(recommender.Goroutines, func(m int) float64 { return 6000 }).with(recommender.Memory, constant(100*mib)),
			recommender.Current{}, (200*mib + 6000*8192) * 1.15 * 1.15, []string{"goroutine-pressure"}, []recommender.Flag{recommender.FlagGoroutinePressure}},
		{"allocation pressure", goService("api-0").with(recommender.AllocRate, constant(60*mib)), recommender.Current{}, 230 * mib * 1.15 * 1.2,
			[]string{"allocation-pressure"}, []recommender.Flag{recommender.FlagAllocationPressure}},
		// The pod runs with GOMEMLIMIT at 90% of its 300Mi limit, so the heap
		// is held at live × 1.25: (125Mi + 30Mi non-heap) / 90%.
		{"GOMEMLIMIT in effect holds the heap", goService("api-0").with(recommender.GOMEMLIMIT, constant(270*mib)),
			recommender.Current{Containers: map[string]recommender.Resources{"app": {MemoryLimitBytes: 300 * mib}}},
			(125*mib + 30*mib) / 0.9 * 1.15, []string{"memory.gomemlimit-holds"}, nil},
		// A GOMEMLIMIT at another share of the limit may not follow it: the
		// GOGC model, non-heap measured against the goal it ran with (150Mi).
		{"a GOMEMLIMIT that does not follow the limit", goService("api-0").with(recommender.GOMEMLIMIT, constant(150*mib)),
			recommender.Current{Containers: map[string]recommender.Resources{"app": {MemoryLimitBytes: 300 * mib}}},
			(200*mib + 80*mib) * 1.15, []string{"memory.go-model"}, nil},
		// A live heap of 100Mi is above 85% of a 110Mi limit.
		{"OOM risk", goService("api-0"), recommender.Current{Containers: map[string]recommender.Resources{"app": {MemoryLimitBytes: 110 * mib}}},
			230 * mib * 1.15 * 1.2, []string{"oom-risk"}, []recommender.Flag{recommender.FlagOOMRisk}},
		{"OOM history", goService("api-0"), recommender.Current{Containers: map[string]recommender.Resources{"app": {MemoryLimitBytes: 400 * mib}}, OOMKills: map[string]int{"app": 2}},
			480 * mib, []string{"oom-history"}, []recommender.Flag{recommender.FlagOOMRisk}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := recommend(t, testPolicy(), 0, tt.cur, tt.pod)
			if r.Outcome != recommender.OutcomeReady {
				t.Fatalf("outcome %s: %v", r.Outcome, r.Missing)
			}
			c := r.Containers[0]
			if !near(c.Target.MemoryRequestBytes, tt.want, 0.051) {
				t.Errorf("memory request %.1fMi, want %.1fMi; reasons:\n%v", c.Target.MemoryRequestBytes/mib, tt.want/mib, c.Reasons)
			}
			for _, rule := range tt.rules {
				if _, ok := reasonOf(c.Reasons, rule); !ok {
					t.Errorf("no %s reason in %v", rule, c.Reasons)
				}
			}
			if !slices.Equal(r.Flags, tt.flags) {
				t.Errorf("flags %v, want %v", r.Flags, tt.flags)
			}
			if c.Target.MemoryLimitBytes != c.Target.MemoryRequestBytes {
				t.Errorf("limit %v, want the request with limitRatio 1", c.Target.MemoryLimitBytes)
			}
			if want := math.Floor(c.Target.MemoryLimitBytes * 0.9); c.Target.GOMEMLIMITBytes != want {
				t.Errorf("GOMEMLIMIT %v, want 90%% of the limit %v", c.Target.GOMEMLIMITBytes, want)
			}
		})
	}
}

// TestWorkingSetCrossCheck: with the median live heap as the model's base,
// a minute of large heap and working set is above the model; the observed
// working set wins.
func TestWorkingSetCrossCheck(t *testing.T) {
	live := func(m int) float64 {
		if m == 30 {
			return 300 * mib
		}
		return 100 * mib
	}
	pd := goService("api-0").with(recommender.LiveHeap, live).with(recommender.Memory, func(m int) float64 { return 2*live(m) + 30*mib })
	p := testPolicy()
	p.Memory.HeapPercentile = 50
	r := recommend(t, p, 0, recommender.Current{}, pd)
	c := r.Containers[0]
	if _, ok := reasonOf(c.Reasons, "memory.working-set"); !ok {
		t.Fatalf("no working-set reason: %v", c.Reasons)
	}
	if !near(c.Target.MemoryRequestBytes, 630*mib*1.15, 0.051) {
		t.Errorf("memory %.1fMi, want about %.1fMi", c.Target.MemoryRequestBytes/mib, 630*1.15)
	}
}

func TestGoroutinePressureNeedsItsDuration(t *testing.T) {
	brief := goService("api-0").with(recommender.Goroutines, func(m int) float64 {
		if m >= 57 {
			return 6000 // the last three minutes only
		}
		return 50
	})
	r := recommend(t, testPolicy(), 0, recommender.Current{}, brief)
	if slices.Contains(r.Flags, recommender.FlagGoroutinePressure) {
		t.Errorf("three minutes above the threshold fired a five-minute rule")
	}
}

func TestGCPressureFlag(t *testing.T) {
	r := recommend(t, testPolicy(), 0, recommender.Current{}, goService("api-0").with(recommender.GCRate, constant(10)))
	if !slices.Contains(r.Flags, recommender.FlagGCPressure) {
		t.Fatalf("600 GC cycles a minute: flags %v", r.Flags)
	}
	if n, ok := reasonOf(r.Notes, "gc-pressure"); !ok || n.Inputs["gc_per_minute"] < 590 {
		t.Errorf("gc-pressure note %+v", n)
	}
}

func TestReplicas(t *testing.T) {
	pods := func(n int, rate, cpu float64) []pod {
		var out []pod
		for i := range n {
			out = append(out, goService(fmt.Sprintf("api-7d9f8b6c5d-x2x%c%c", "bcdfghjklm"[i/10], "bcdfghjklm"[i%10])).
				with(recommender.RequestRate, constant(rate)).with(recommender.CPU, constant(cpu)))
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		pods  []pod
		cur   recommender.Current
		want  int32
		rules []string
	}{
		{"request rate", pods(2, 2500, 0.5), recommender.Current{}, 5, []string{"replicas.request-rate"}},
		{"within the tolerance", pods(2, 1080, 0.5), recommender.Current{}, 2, []string{"replicas.tolerance"}},
		{"cpu guard needs the current request", pods(2, 100, 0.9), recommender.Current{}, 2, []string{"replicas.cpu-guard", "replicas.behavior"}},
		{"cpu guard", pods(2, 100, 0.9), recommender.Current{Containers: map[string]recommender.Resources{"app": {CPURequestCores: 1}}}, 3, []string{"replicas.cpu-guard"}},
		{"cpu holds a scale-down", pods(4, 100, 0.65), recommender.Current{Replicas: 4, Containers: map[string]recommender.Resources{"app": {CPURequestCores: 1}}}, 4, []string{"replicas.cpu-guard"}},
		// Two of four replicas report: the other two are still starting,
		// and count as idle, so the CPU of two pods is no reason for six.
		{"pods still starting count as idle", pods(2, 2000, 0.9), recommender.Current{Replicas: 4, Containers: map[string]recommender.Resources{"app": {CPURequestCores: 1}}}, 4, nil},
		{"no scale-down above the floor", pods(4, 400, 0.5), recommender.Current{}, 4, []string{"replicas.scale-down-condition"}},
		{"scale-down limited to 10% per minute", pods(20, 50, 0.1), recommender.Current{}, 20, []string{"replicas.behavior"}},
		{"scale-up limited like the HPA default", pods(2, 500_000, 0.5), recommender.Current{}, 6, []string{"replicas.behavior"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := recommend(t, testPolicy(), 0, tt.cur, tt.pods...)
			if r.Horizontal == nil {
				t.Fatalf("no horizontal recommendation: %s %v", r.Outcome, r.Missing)
			}
			if r.Horizontal.DesiredReplicas != tt.want {
				t.Errorf("desired %d, want %d; reasons %v", r.Horizontal.DesiredReplicas, tt.want, r.Horizontal.Reasons)
			}
			for _, rule := range tt.rules {
				if _, ok := reasonOf(r.Horizontal.Reasons, rule); !ok {
					t.Errorf("no %s reason in %v", rule, r.Horizontal.Reasons)
				}
			}
		})
	}
}

func TestCapacityEstimate(t *testing.T) {
	// CPU per pod = 0.05 + 0.0005 × requests per pod; at 70% of a 1-core
	// request that is (0.7 - 0.05) / 0.0005 = 1300 requests/s... above the
	// 1000 target, so use a 0.5-core request: (0.35 - 0.05) / 0.0005 = 600.
	rate := func(m int) float64 { return 200 + float64(m%30)*10 }
	p := goService("api-0").with(recommender.RequestRate, rate).with(recommender.CPU, func(m int) float64 { return 0.05 + 0.0005*rate(m) })
	r := recommend(t, testPolicy(), 0, recommender.Current{Containers: map[string]recommender.Resources{"app": {CPURequestCores: 0.5}}}, p)
	if r.Horizontal == nil {
		t.Fatal("no horizontal recommendation")
	}
	if !near(r.Horizontal.CapacityPerPod, 600, 0.01) || r.Horizontal.TargetPerPod != math.Trunc(r.Horizontal.TargetPerPod) || !near(r.Horizontal.TargetPerPod, 600, 0.01) {
		t.Errorf("capacity %.1f, target %.1f; want about 600 for both", r.Horizontal.CapacityPerPod, r.Horizontal.TargetPerPod)
	}
}

// TestRecommendationsStayInBounds feeds random signals and checks that no
// recommendation leaves the policy's bounds or its step limits.
func TestRecommendationsStayInBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := testPolicy()
	p.CPU.Min, p.CPU.Max = MustQuantity("100m"), MustQuantity("2")
	p.Memory.Min, p.Memory.Max = MustQuantity("64Mi"), MustQuantity("1Gi")
	for i := range 200 {
		scale := math.Pow(10, rng.Float64()*4-2)
		noisy := func(base float64) func(int) float64 {
			return func(int) float64 { return base * scale * (0.5 + rng.Float64()) }
		}
		pd := goService("api-0").with(recommender.CPU, noisy(0.5)).with(recommender.LiveHeap, noisy(100*mib)).
			with(recommender.Memory, noisy(250*mib)).with(recommender.AllocRate, noisy(10*mib)).with(recommender.Goroutines, noisy(3000))
		curCPU, curMem := rng.Float64()*3, rng.Float64()*2048*mib
		cur := recommender.Current{Containers: map[string]recommender.Resources{"app": {CPURequestCores: curCPU, MemoryRequestBytes: curMem}}}
		r := recommend(t, p, 0, cur, pd)
		if r.Outcome != recommender.OutcomeReady {
			t.Fatalf("case %d: %s", i, r.Outcome)
		}
		tg := r.Containers[0].Target
		// Bounds always hold; the step limit holds unless the bounds force a larger step.
		if tg.CPURequestCores < 0.1 || tg.CPURequestCores > 2 ||
			tg.CPURequestCores > max(curCPU*1.5, 0.1)+1e-9 || tg.CPURequestCores < min(curCPU*0.5, 2)-1e-9 {
			t.Errorf("case %d: CPU %.3f outside bounds or step limit from %.3f", i, tg.CPURequestCores, curCPU)
		}
		if tg.MemoryRequestBytes < 64*mib || tg.MemoryRequestBytes > 1024*mib+1 ||
			tg.MemoryRequestBytes > max(math.Ceil(curMem*1.5), 64*mib)+1 || tg.MemoryRequestBytes < min(curMem*0.5, 1024*mib)-1 {
			t.Errorf("case %d: memory %.1fMi outside bounds or step limit from %.1fMi", i, tg.MemoryRequestBytes/mib, curMem/mib)
		}
	}
}

func TestSignalIndexCoversEverySignal(t *testing.T) {
	if len(recommender.Signals()) != numSignals || len(signalIndex) != numSignals || numSignals > 16 {
		t.Fatalf("numSignals %d, signals %d: sample.has is a uint16 bit set", numSignals, len(recommender.Signals()))
	}
}
