package report_test

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pacerdev/pacer/actuator/report"
	"github.com/pacerdev/pacer/recommender"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden/report")

// golden compares got with a file under testdata/golden/report, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "golden", "report", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./report -update refreshes it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

const (
	mi = 1 << 20
	gi = 1 << 30
)

var (
	end    = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	window = recommender.Window{End: end, Range: 30 * time.Minute, Step: time.Minute}

	checkout   = recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindDeployment, Name: "checkout"}
	ledger     = recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindStatefulSet, Name: "ledger"}
	search     = recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindDeployment, Name: "search"}
	fluentBit  = recommender.WorkloadRef{Namespace: "infra", Kind: recommender.KindDaemonSet, Name: "fluent-bit"}
	payments   = recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindDeployment, Name: "payments"}
	debugShell = recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindPod, Name: "debug-shell"}
	evil       = recommender.WorkloadRef{Namespace: "evil", Kind: recommender.KindDeployment, Name: `x"><img src=x onerror=alert(1)>`}
)

const evilContainer = "<script>alert(1)</script>"

func f(v float64) *float64 { return &v }

func reason(rule, value, message string, window time.Duration, before, after float64) recommender.Reason {
	return recommender.Reason{Rule: rule, Value: value, Message: message, Window: window, Before: f(before), After: f(after)}
}

// goContainer is a typical recommendation for a Go container.
func goContainer(name string, cpu, mem float64) recommender.ContainerRecommendation {
	return recommender.ContainerRecommendation{
		Container: name,
		Target: recommender.Resources{CPURequestCores: cpu, MemoryRequestBytes: mem, MemoryLimitBytes: mem,
			GOMEMLIMITBytes: 0.9 * mem, GOMAXPROCS: 2},
		Lower: recommender.Resources{CPURequestCores: 0.8 * cpu, MemoryRequestBytes: 0.9 * mem},
		Upper: recommender.Resources{CPURequestCores: 1.5 * cpu, MemoryRequestBytes: 1.25 * mem},
		Reasons: []recommender.Reason{
			reason("cpu.percentile", "cpu_request", "P90 of CPU usage (half-life 10m0s) is 0.217 cores", 10*time.Minute, 0, cpu/1.15),
			reason("cpu.margin", "cpu_request", "margin of 15%", 0, cpu/1.15, cpu),
			{Rule: "cpu.gomaxprocs", Value: "gomaxprocs", Message: "no CPU limit, so Go would run as many threads as the node has cores; GOMAXPROCS 2 covers peak usage 0.41 cores"},
			reason("memory.go-model", "memory_request", "P99 live heap 80.0Mi × (1 + GOGC 100/100) = heap goal 160.0Mi, plus non-heap 30.0Mi", 30*time.Minute, 0, mem/1.15),
			reason("memory.margin", "memory_request", "margin of 15%", 0, mem/1.15, mem),
			{Rule: "memory.gomemlimit", Value: "gomemlimit", Message: "GOMEMLIMIT is 90% of the memory limit, leaving headroom for non-heap memory"},
		},
	}
}

// fixture is a fixed input covering every outcome and the report's corner cases.
func fixture() report.Input {
	at := end
	checkoutApp := goContainer("app", 0.25, 256*mi)
	paymentsApp := goContainer("app", 0.3, 384*mi)
	paymentsApp.Reasons = append(paymentsApp.Reasons,
		reason("goroutine-pressure", "memory_request", "goroutines above 5000 for 6m0s (now 14293): +15%", 5*time.Minute, 334*mi, 384*mi))
	evilApp := goContainer(evilContainer, 0.1, 64*mi)
	evilApp.Reasons[0].Message = "P90 is <b>bold</b> & \"quoted\""

	recs := []recommender.Recommendation{
		{Workload: payments, At: at, Policy: "default", Outcome: recommender.OutcomeReady,
			Containers: []recommender.ContainerRecommendation{paymentsApp},
			Flags:      []recommender.Flag{recommender.FlagGoroutinePressure}},
		{Workload: checkout, At: at, Policy: "default", Outcome: recommender.OutcomeReady,
			Containers: []recommender.ContainerRecommendation{checkoutApp},
			Horizontal: &recommender.HorizontalRecommendation{CurrentReplicas: 3, DesiredReplicas: 4, TargetPerPod: 850, CapacityPerPod: 850,
				Reasons: []recommender.Reason{
					reason("replicas.request-rate", "replicas", "3120.0 requests/s over a target of 1000 per pod", time.Minute, 3, 4),
					reason("hpa-target.capacity", "hpa_target", "one pod reaches 70% CPU at 850 requests/s (CPU = 0.0200 + 0.000388 × rate)", 10*time.Minute, 1000, 850),
				}}},
		{Workload: ledger, At: at, Policy: "stateful", Outcome: recommender.OutcomeReady,
			Containers: []recommender.ContainerRecommendation{goContainer("app", 1.5, 3*gi)}},
		{Workload: search, At: at, Policy: "default", Outcome: recommender.OutcomeInsufficientData,
			Missing: []recommender.Missing{
				{Signal: recommender.CPU, Rule: "app/cpu", Reason: "too little history", Have: 10 * time.Minute, Need: 30 * time.Minute},
				{Signal: recommender.LiveHeap, Rule: "app/memory", Reason: "too little history", Have: 10 * time.Minute, Need: 30 * time.Minute},
			},
			Flags: []recommender.Flag{recommender.FlagShortHistory}},
		{Workload: fluentBit, At: at, Policy: "default", Outcome: recommender.OutcomeNoGoMetrics,
			Notes: []recommender.Reason{{Rule: "go-metrics", Message: "no container exposes goroutines, live heap or allocation rate: not a Go service, or client_golang's Go collector is not registered"}}},
		{Workload: debugShell, At: at, Policy: "default", Outcome: recommender.OutcomeReady,
			Containers: []recommender.ContainerRecommendation{goContainer("shell", 0.05, 32*mi)}},
		{Workload: evil, At: at, Policy: "default", Outcome: recommender.OutcomeReady,
			Containers: []recommender.ContainerRecommendation{evilApp}},
	}

	current := map[recommender.WorkloadRef]recommender.Current{
		checkout: {Replicas: 3, Containers: map[string]recommender.Resources{
			"app": {CPURequestCores: 0.5, CPULimitCores: 1, MemoryRequestBytes: 512 * mi, MemoryLimitBytes: gi},
		}},
		payments: {Replicas: 2, Containers: map[string]recommender.Resources{
			"app":         {CPURequestCores: 0.3, MemoryRequestBytes: 256 * mi, MemoryLimitBytes: 256 * mi, GOMEMLIMITBytes: 230 * mi},
			"istio-proxy": {CPURequestCores: 0.1, CPULimitCores: 2, MemoryRequestBytes: 128 * mi, MemoryLimitBytes: gi},
		}, OOMKills: map[string]int{"app": 2}},
		search: {Replicas: 2, Containers: map[string]recommender.Resources{
			"app": {CPURequestCores: 0.2, MemoryRequestBytes: 128 * mi},
		}},
		fluentBit: {Replicas: 5, Containers: map[string]recommender.Resources{
			"fluent-bit": {CPURequestCores: 0.1, CPULimitCores: 0.5, MemoryRequestBytes: 64 * mi, MemoryLimitBytes: 128 * mi},
		}},
	}

	usage := recommender.NewSnapshot(window)
	addUsage(usage, "shop", []string{"checkout-7d9f8b6c5d-x2x4z", "checkout-7d9f8b6c5d-k9z2q", "checkout-7d9f8b6c5d-b7r5m"}, "app",
		load{cpu: 0.2, cpuSwing: 0.2, ws: 150 * mi, heap: 70 * mi, throttled: 0.12})
	addUsage(usage, "shop", []string{"payments-6f8b9c7d5-q2w4r", "payments-6f8b9c7d5-z5x7c"}, "app",
		load{cpu: 0.2, cpuSwing: 0.1, ws: 300 * mi, heap: 120 * mi, throttled: 0.01})
	addUsage(usage, "shop", []string{"ledger-0", "ledger-1"}, "app",
		load{cpu: 1.1, cpuSwing: 0.3, ws: 2 * gi, heap: 900 * mi, gapFrom: 15, gapTo: 19})
	addUsage(usage, "shop", []string{"search-5c9d8f7b6-m2n4p"}, "app",
		load{cpu: 0.1, cpuSwing: 0.05, ws: 90 * mi, heap: 30 * mi, gapTo: 20})
	addUsage(usage, "infra", []string{"fluent-bit-8x7qz"}, "fluent-bit",
		load{cpu: 0.05, cpuSwing: 0.02, ws: 40 * mi, noHeap: true})
	addUsage(usage, "evil", []string{"evil-pod"}, evilContainer,
		load{cpu: 0.05, cpuSwing: 0.03, ws: 40 * mi, heap: 10 * mi})

	return report.Input{
		GeneratedAt:     end.Add(time.Minute),
		Source:          "trace testdata/traces/demo-30m.om",
		Window:          window,
		PolicyFile:      "testdata/policies/demo.yaml",
		Recommendations: recs,
		Current: func(w recommender.WorkloadRef) recommender.Current {
			return current[w]
		},
		Usage: usage,
		WorkloadOf: func(r recommender.ContainerRef) recommender.WorkloadRef {
			if r.Pod == "evil-pod" {
				return evil
			}
			return recommender.GuessWorkload(r.Namespace, r.Pod)
		},
		Prices: &report.Prices{Currency: "USD", PerCoreHour: 0.0316, PerGiBHour: 0.0042},
	}
}

// load describes synthetic usage: a triangle wave of CPU around a base,
// working set and live heap in step with it.
type load struct {
	cpu, cpuSwing, ws, heap, throttled float64
	noHeap                             bool
	// gapFrom and gapTo leave out samples [gapFrom, gapTo) of all pods.
	gapFrom, gapTo int
}

func addUsage(s *recommender.Snapshot, namespace string, pods []string, container string, l load) {
	for p, pod := range pods {
		ref := recommender.ContainerRef{Namespace: namespace, Pod: pod, Container: container}
		series := map[recommender.Signal][]recommender.Sample{}
		for i := 0; i <= int(window.Range/window.Step); i++ {
			if i >= l.gapFrom && i < l.gapTo {
				continue
			}
			at := window.Start().Add(time.Duration(i) * window.Step)
			// tri is a triangle wave in [0, 1] with period 12 samples, shifted per pod.
			tri := float64(abs((i+5*p)%12-6)) / 6
			series[recommender.CPU] = append(series[recommender.CPU], recommender.Sample{At: at, Value: l.cpu + l.cpuSwing*tri})
			series[recommender.Memory] = append(series[recommender.Memory], recommender.Sample{At: at, Value: l.ws * (0.9 + 0.2*tri)})
			if !l.noHeap {
				series[recommender.LiveHeap] = append(series[recommender.LiveHeap], recommender.Sample{At: at, Value: l.heap * (0.8 + 0.4*tri)})
				series[recommender.Goroutines] = append(series[recommender.Goroutines], recommender.Sample{At: at, Value: math.Round(200 + 100*tri)})
				series[recommender.AllocRate] = append(series[recommender.AllocRate], recommender.Sample{At: at, Value: l.heap / 10 * (1 + tri)})
				series[recommender.RequestRate] = append(series[recommender.RequestRate], recommender.Sample{At: at, Value: 1000 * l.cpu * (1 + tri)})
			}
			series[recommender.CPUThrottled] = append(series[recommender.CPUThrottled], recommender.Sample{At: at, Value: l.throttled * 2 * tri})
		}
		for sig, samples := range series {
			s.Series[sig] = append(s.Series[sig], recommender.Series{Ref: ref, Samples: samples})
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
