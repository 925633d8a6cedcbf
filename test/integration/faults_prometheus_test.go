//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	vpav1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"

	"github.com/pacerdev/pacer/demo"
	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/test/kube"
)

// faultStaleAfter is the policy's history.staleAfter in the fault tests:
// long enough to see pacer hold its values through a short outage, short
// enough to see them go stale within a test.
const faultStaleAfter = 15 * time.Second

// faultPolicy is the suite's policy with faultStaleAfter, and a per-pod
// target of 40/s: steady serves 100/s, which the suite's 50/s would put
// on the boundary between 2 and 3 replicas, where two reads a second
// apart may differ by a replica without anything being wrong.
var faultPolicy = fmt.Sprintf(`apiVersion: pacer.dev/v1alpha1
kind: PolicySet
policies:
  - name: faults
    history: {minimum: 10s, halfLife: 1m, staleAfter: %s}
    horizontal: {targetRequestRatePerPod: 40, scaleDownBelowRequestRatePerPod: 15, rateWindow: 10s}
`, faultStaleAfter)

// faultWorkloads are two of the suite's workloads: enough to tell pods
// apart, light on the shared CPUs.
var faultWorkloads = []demo.Workload{workloads[0], workloads[1]}

// faultEnv is the real parts the fault tests break: demo workloads, a
// Prometheus that can be killed, and a kube-apiserver in which the
// workloads are Deployments and VPA alloc names pacer.
type faultEnv struct {
	f          *fixture
	prom       *promProcess
	c          *kube.Cluster
	policyFile string
}

func setUpFaults(t *testing.T) *faultEnv {
	t.Helper()
	e := &faultEnv{f: &fixture{procs: map[string]*demo.Process{}, refs: map[string]recommender.ContainerRef{}}}
	var targets []scrapeTarget
	for _, w := range faultWorkloads {
		p := startDemo(t, w)
		ref := recommender.ContainerRef{Namespace: "demo", Pod: demo.PodName(w.Name), Container: "app"}
		e.f.procs[w.Name], e.f.refs[w.Name] = p, ref
		targets = append(targets, scrapeTarget{p.URL, ref.Namespace, ref.Pod, ref.Container})
	}
	e.prom = startKillablePrometheus(t, prometheusConfig(targets))
	e.f.promURL = e.prom.url()
	e.c = kube.Start(t, kube.Options{})
	playPods(t, e.c, e.f)
	installVPACRDs(t, e.c)
	createVPA(t, e.c, "alloc", "alloc", []string{"pacer"})
	e.policyFile = filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(e.policyFile, []byte(faultPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// serve starts pacer serve reading Prometheus at promURL, with the fault
// policy and a lease of its own.
func (e *faultEnv) serve(t *testing.T, promURL, leaseID string, extra ...string) *pacerServe {
	t.Helper()
	args := append([]string{"--policy", e.policyFile, "--leader-elect-id", leaseID}, leaseFlags...)
	s := startServeFrom(t, e.c, []string{"--prometheus-url", promURL}, append(args, extra...)...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pacer serve %s log, last lines:\n%s", leaseID, lastLines(s.logs(), 40))
		}
	})
	return s
}

func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestFaultsPrometheus breaks the Prometheus pacer reads, for real: kills
// and restarts the process, and puts a proxy in front of it that delays,
// garbles, cuts and marks partial its answers. Throughout, pacer must keep
// its last good values until they are staleAfter old, then mark them stale,
// never write a value it did not compute from good data, keep its loop
// turning, and recover by itself. Then pacer itself is restarted.
func TestFaultsPrometheus(t *testing.T) {
	e := setUpFaults(t)
	t.Run("prometheus killed and restarted", func(t *testing.T) { testPrometheusKilled(t, e) })
	t.Run("prometheus slow, garbage, partial", func(t *testing.T) { testPrometheusMisbehaves(t, e) })
	t.Run("pacer restarted", func(t *testing.T) { testPacerRestarted(t, e) })
}

// vpaRecommendation returns the part of VPA alloc's status pacer computes.
func vpaRecommendation(t *testing.T, e *faultEnv) *vpav1.RecommendedPodResources {
	t.Helper()
	return getVPA(t, e.c, "alloc").Status.Recommendation
}

// providedCondition returns VPA alloc's RecommendationProvided condition.
func providedCondition(t *testing.T, e *faultEnv) vpav1.VerticalPodAutoscalerCondition {
	t.Helper()
	for _, c := range getVPA(t, e.c, "alloc").Status.Conditions {
		if c.Type == vpav1.RecommendationProvided {
			return c
		}
	}
	return vpav1.VerticalPodAutoscalerCondition{}
}

// waitWritten waits until pacer has written VPA alloc's recommendation.
func waitWritten(t *testing.T, e *faultEnv) {
	t.Helper()
	waitFor(t, 60*time.Second, "pacer to write VPA alloc's recommendation", func() (bool, error) {
		c := providedCondition(t, e)
		return c.Status == corev1.ConditionTrue && vpaRecommendation(t, e) != nil, nil
	})
}

// waitAllReady waits until every fault workload has a ready recommendation.
func waitAllReady(t *testing.T, s *pacerServe) {
	t.Helper()
	waitFor(t, 90*time.Second, "ready recommendations of every workload", func() (bool, error) {
		return countReady(s.recommendations(t)) == len(faultWorkloads), nil
	})
}

// countReady counts the ready recommendations.
func countReady(recs []recommender.Recommendation) int {
	n := 0
	for _, r := range recs {
		if r.Outcome == recommender.OutcomeReady {
			n++
		}
	}
	return n
}

// values is what pacer would write for a workload: container targets and replicas.
type values struct {
	containers map[string]recommender.Resources
	replicas   int32
}

func valuesOf(recs []recommender.Recommendation) map[string]values {
	out := map[string]values{}
	for _, r := range recs {
		if r.Outcome != recommender.OutcomeReady {
			continue
		}
		v := values{containers: map[string]recommender.Resources{}}
		for _, c := range r.Containers {
			v.containers[c.Container] = c.Target
		}
		if r.Horizontal != nil {
			v.replicas = r.Horizontal.DesiredReplicas
		}
		out[r.Workload.Name] = v
	}
	return out
}

// differences lists where got is off want by more than the tolerance:
// CPU within cpuTolerance (or 10 millicores), memory and GOMEMLIMIT within
// memoryTolerance, GOMAXPROCS and replicas exactly.
func differences(got, want map[string]values, cpuTolerance, memoryTolerance float64) []string {
	var out []string
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			out = append(out, name+": not ready")
			continue
		}
		if g.replicas != w.replicas {
			out = append(out, fmt.Sprintf("%s: %d replicas, want %d", name, g.replicas, w.replicas))
		}
		for c, wr := range w.containers {
			gr := g.containers[c]
			if !within(gr.CPURequestCores, wr.CPURequestCores, cpuTolerance, 0.01) ||
				!within(gr.MemoryRequestBytes, wr.MemoryRequestBytes, memoryTolerance, 0) ||
				!within(gr.MemoryLimitBytes, wr.MemoryLimitBytes, memoryTolerance, 0) ||
				!within(gr.GOMEMLIMITBytes, wr.GOMEMLIMITBytes, memoryTolerance, 0) || gr.GOMAXPROCS != wr.GOMAXPROCS {
				out = append(out, fmt.Sprintf("%s/%s: %+v, want %+v", name, c, gr, wr))
			}
		}
	}
	slices.Sort(out)
	return out
}

// waitFailedCycles waits until pacer has counted n more failed cycles.
func waitFailedCycles(t *testing.T, s *pacerServe, n int) {
	t.Helper()
	target := metricSum(s.metricsPage(t), "pacer_cycles_total", `result="failed"`) + float64(n)
	waitFor(t, 60*time.Second, fmt.Sprintf("%d more failed cycles", n), func() (bool, error) {
		return metricSum(s.metricsPage(t), "pacer_cycles_total", `result="failed"`) >= target, nil
	})
}

// checkUnready checks that /readyz says the last cycle failed and why,
// while /healthz says the loop is alive.
func checkUnready(t *testing.T, s *pacerServe, why string) {
	t.Helper()
	code, body := status(t, s.url("/readyz"))
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "the last cycle failed") || !strings.Contains(body, why) {
		t.Errorf("/readyz: %d %q, want 503 saying the last cycle failed (%s)", code, body, why)
	}
	if code, body := status(t, s.url("/healthz")); code != http.StatusOK {
		t.Errorf("/healthz: %d %q, want 200: the loop goes on", code, body)
	}
}

// waitRecovered waits until pacer, never restarted, is ready again with
// ready recommendations and has written VPA alloc from fresh data.
func waitRecovered(t *testing.T, e *faultEnv, s *pacerServe) {
	t.Helper()
	ok := metricSum(s.metricsPage(t), "pacer_cycles_total", `result="ok"`)
	waitFor(t, 60*time.Second, "pacer to recover: ready, with ok cycles and ready recommendations", func() (bool, error) {
		code, _ := status(t, s.url("/readyz"))
		return code == http.StatusOK && metricSum(s.metricsPage(t), "pacer_cycles_total", `result="ok"`) > ok &&
			countReady(s.recommendations(t)) == len(faultWorkloads), nil
	})
	waitWritten(t, e)
	if s.cmd.ProcessState != nil {
		t.Fatal("pacer exited")
	}
}

// eventsSince lists pacer's Events in namespace demo last seen after t0.
func eventsSince(t *testing.T, e *faultEnv, t0 time.Time) []string {
	t.Helper()
	list, err := e.c.Client().CoreV1().Events("demo").List(t.Context(), metav1.ListOptions{FieldSelector: "source=pacer"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range list.Items {
		if ev.LastTimestamp.After(t0) {
			out = append(out, ev.Reason+" "+ev.InvolvedObject.Name+": "+ev.Message)
		}
	}
	return out
}

// testPrometheusKilled kills Prometheus under a running pacer, checks that
// pacer holds its values for staleAfter, then marks them stale and writes
// nothing new, and that it recovers once Prometheus is back on the same
// address and data.
func testPrometheusKilled(t *testing.T, e *faultEnv) {
	s := e.serve(t, e.prom.url(), "pacer-kill")
	waitAllReady(t, s)
	waitWritten(t, e)
	okBefore := metricSum(s.metricsPage(t), "pacer_cycles_total", `result="ok"`)

	e.prom.kill(t)
	killed := time.Now()
	// Whatever happens here, the later tests need Prometheus back.
	t.Cleanup(func() {
		if !e.prom.running() {
			restarted := time.Now()
			e.prom.start(t)
			e.prom.waitScraped(t, restarted, len(faultWorkloads))
		}
	})
	// Two failed cycles: the first has then been published everywhere and
	// is the one /readyz reports.
	waitFailedCycles(t, s, 2)
	failedAt := time.Now().Truncate(time.Second)
	// The last good cycle has finished (cycles run one at a time): what it
	// wrote is what must stay.
	written := vpaRecommendation(t, e)
	held := s.recommendations(t)
	if n := countReady(held); n != len(faultWorkloads) && time.Since(killed) < faultStaleAfter-3*time.Second {
		t.Fatalf("%s after Prometheus died, %d of %d workloads are ready: pacer dropped its values before staleAfter %s",
			time.Since(killed).Round(time.Second), n, len(faultWorkloads), faultStaleAfter)
	}
	heldValues := valuesOf(held)
	checkUnready(t, s, "unreachable")

	// Until staleAfter the values are held unchanged; then every workload is
	// marked stale. The VPA's recommendation never moves.
	waitFor(t, faultStaleAfter+30*time.Second, "every recommendation marked stale", func() (bool, error) {
		if got := vpaRecommendation(t, e); !apiequality.Semantic.DeepEqual(got, written) {
			return false, fmt.Errorf("VPA alloc's recommendation changed while Prometheus was down: %+v, was %+v", got, written)
		}
		recs := s.recommendations(t)
		stale, err := heldOrStale(recs, heldValues)
		if err != nil {
			return false, err
		}
		if since := time.Since(killed); stale > 0 && since < faultStaleAfter-3*time.Second {
			return false, fmt.Errorf("marked stale %s after Prometheus died, before staleAfter %s:\n%s", since.Round(time.Second), faultStaleAfter, describe(recs))
		}
		return len(recs) == len(faultWorkloads) && stale == len(recs), nil
	})

	page := s.metricsPage(t)
	if n := metricSum(page, "pacer_workloads", `outcome="insufficient_data"`); n != float64(len(faultWorkloads)) {
		t.Errorf("/metrics: pacer_workloads{outcome=\"insufficient_data\"} %v, want %d", n, len(faultWorkloads))
	}
	if n := metricSum(page, "pacer_recommendation_memory_bytes"); n != 0 {
		t.Errorf("/metrics still exports stale recommendations as current values: pacer_recommendation_memory_bytes sums to %v", n)
	}
	if n := metricSum(page, "pacer_cycles_total", `result="ok"`); n != okBefore {
		t.Errorf("%v cycles succeeded while Prometheus was dead", n-okBefore)
	}
	waitFor(t, 30*time.Second, "VPA alloc's condition to say the recommendation is stale", func() (bool, error) {
		c := providedCondition(t, e)
		return c.Status == corev1.ConditionFalse && c.Reason == "InsufficientData" && strings.Contains(c.Message, "stale"), nil
	})
	if c := providedCondition(t, e); !strings.Contains(c.Message, "the last recommendation is kept") {
		t.Errorf("VPA alloc's condition %q does not say the last recommendation is kept", c.Message)
	}
	if got := vpaRecommendation(t, e); !apiequality.Semantic.DeepEqual(got, written) {
		t.Errorf("VPA alloc's recommendation changed while Prometheus was down: %+v, was %+v", got, written)
	}
	if evs := eventsSince(t, e, failedAt); len(evs) > 0 {
		t.Errorf("pacer sent events while Prometheus was down: %v", evs)
	}
	checkUnready(t, s, "unreachable")

	restarted := time.Now()
	e.prom.start(t)
	e.prom.waitScraped(t, restarted, len(faultWorkloads))
	waitRecovered(t, e, s)
	t.Logf("recovered %s after Prometheus was killed, without a restart", time.Since(killed).Round(time.Second))
	s.stop(t)
}

// heldOrStale checks that each recommendation made with no new data is
// either the held one, unchanged, or withheld as stale, and counts the stale.
func heldOrStale(recs []recommender.Recommendation, held map[string]values) (stale int, err error) {
	for _, r := range recs {
		if r.Outcome == recommender.OutcomeReady {
			if d := differences(valuesOf([]recommender.Recommendation{r}), map[string]values{r.Workload.Name: held[r.Workload.Name]}, 0, 0); len(d) > 0 {
				return 0, fmt.Errorf("a held recommendation changed with no new data: %v", d)
			}
			continue
		}
		if !isStale(r) {
			return 0, fmt.Errorf("%s is %s with no new data, want ready (held) or stale:\n%s", r.Workload, r.Outcome, describe(recs))
		}
		stale++
	}
	return stale, nil
}

// isStale reports whether a recommendation is withheld because its newest
// data is older than staleAfter.
func isStale(r recommender.Recommendation) bool {
	if r.Outcome != recommender.OutcomeInsufficientData || len(r.Missing) == 0 {
		return false
	}
	for _, m := range r.Missing {
		if !strings.HasPrefix(m.Reason, "stale") {
			return false
		}
	}
	return true
}

// testPrometheusMisbehaves puts the fault proxy between pacer and
// Prometheus and has it answer slowly, with garbage, cut short and marked
// partial. Each fault lasts less than staleAfter: pacer refuses every
// answer, says why on /readyz, holds its values, writes nothing, keeps its
// loop turning and recovers when the answers are good again.
func testPrometheusMisbehaves(t *testing.T, e *faultEnv) {
	proxy := startFaultProxy(t, e.prom.url())
	// Each query may take 30 s, longer than the 2 s cycle: the cycle's
	// deadline is what must stop a slow Prometheus.
	s := e.serve(t, proxy.url(), "pacer-proxy", "--prometheus-timeout", "30s")
	waitAllReady(t, s)
	waitWritten(t, e)
	s.waitCycles(t, 2)

	for _, tt := range []struct {
		name  string
		fault fault
		why   string
	}{
		{"slow", slowAnswers, "(timeout)"},
		{"garbage", garbageAnswers, "(bad_response)"},
		{"truncated", truncatedAnswers, "(bad_response)"},
		{"partial", partialAnswers, "(partial_response)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			page := s.metricsPage(t)
			t.Logf("before the fault:\n%s", grepLines(page, "pacer_cycles_total", "pacer_source_errors_total"))
			cycles := metricSum(page, "pacer_cycle_duration_seconds_count")
			quick := metricSum(page, "pacer_cycle_duration_seconds_bucket", `le="5.12"`)
			proxy.set(tt.fault)
			defer proxy.set(passThrough)
			waitFailedCycles(t, s, 2)
			written := vpaRecommendation(t, e)
			held := s.recommendations(t)
			if n := countReady(held); n != len(faultWorkloads) {
				t.Errorf("%d of %d workloads ready after the first refused answer: pacer dropped its values before staleAfter", n, len(faultWorkloads))
			}
			checkUnready(t, s, tt.why)
			waitFailedCycles(t, s, 3)
			if got := vpaRecommendation(t, e); !apiequality.Semantic.DeepEqual(got, written) {
				t.Errorf("VPA alloc's recommendation changed on refused answers: %+v, was %+v", got, written)
			}
			// Held unchanged, or marked stale if the fault outlasted staleAfter.
			if _, err := heldOrStale(s.recommendations(t), valuesOf(held)); err != nil {
				t.Errorf("on refused answers: %v", err)
			}
			checkUnready(t, s, tt.why)
			if tt.fault == slowAnswers {
				// Every cycle ended within its deadline, far sooner than the
				// proxy's minute: pacer gave up the queries, not the loop.
				page := s.metricsPage(t)
				n := metricSum(page, "pacer_cycle_duration_seconds_count") - cycles
				if late := n - (metricSum(page, "pacer_cycle_duration_seconds_bucket", `le="5.12"`) - quick); late > 0 {
					t.Errorf("%v of %v cycles took longer than 5.12 s with a 2 s deadline", late, n)
				}
				if proxy.held.Load() == 0 || proxy.abandoned.Load() == 0 {
					t.Errorf("the proxy held %d queries, %d abandoned by pacer: want pacer to give up held queries", proxy.held.Load(), proxy.abandoned.Load())
				}
				t.Logf("%v cycles while every query was held for %s; pacer abandoned %d of %d held queries",
					n, holdFor, proxy.abandoned.Load(), proxy.held.Load())
			}
			proxy.set(passThrough)
			waitRecovered(t, e, s)
		})
	}

	t.Run("one signal garbage", func(t *testing.T) {
		refused := func() float64 {
			return metricSum(s.metricsPage(t), "pacer_source_errors_total", `signal="goroutines"`, `kind="error"`)
		}
		before := refused()
		proxy.set(oneSignalGarbage)
		defer proxy.set(passThrough)
		waitFor(t, 30*time.Second, "goroutines answers refused", func() (bool, error) { return refused() >= before+2, nil })
		// The other signals are fresh; goroutines keeps its last good values.
		if n := countReady(s.recommendations(t)); n != len(faultWorkloads) {
			t.Errorf("%d of %d workloads ready with one signal refused for less than staleAfter", n, len(faultWorkloads))
		}
		if code, body := status(t, s.url("/readyz")); code != http.StatusOK {
			t.Errorf("/readyz %d %q: one refused signal is not a failed cycle", code, body)
		}
		if logs := s.logs(); !strings.Contains(logs, "source answer refused") || !strings.Contains(logs, "go_goroutines") {
			t.Error("pacer's log does not say which answer it refused")
		}
		proxy.set(passThrough)
		waitRecovered(t, e, s)
	})
	s.stop(t)
}

// testPacerRestarted stops pacer and starts it again, beside a replica
// that runs throughout in dry-run mode as the control.
//
// pacer keeps no checkpoint: on start it rebuilds its state from
// --lookback of history in Prometheus (the first cycle reads it all), and
// the replica stabilizer starts from the replicas Kubernetes reports, as
// the HPA controller does after a restart. With a lookback that covers the
// history, the restarted pacer holds the same state as one that never
// stopped, so its recommendations agree with the control's from its first
// cycle on: CPU within 25% or 10 millicores (a live signal read a cycle
// apart), memory and GOMEMLIMIT within 10%, GOMAXPROCS and replicas
// exactly. Nothing flaps: no cycle after the restart is not ready, and the
// VPA's condition never leaves True.
func testPacerRestarted(t *testing.T, e *faultEnv) {
	const cpuTolerance, memoryTolerance = 0.25, 0.10
	lookback := []string{"--lookback", "10m"}
	control := e.serve(t, e.prom.url(), "pacer-control", append([]string{"--dry-run"}, lookback...)...)
	first := e.serve(t, e.prom.url(), "pacer-restart", lookback...)
	waitAllReady(t, first)
	waitAllReady(t, control)
	waitWritten(t, e)
	first.waitCycles(t, 2)
	before := valuesOf(first.recommendations(t))
	if d := differences(before, valuesOf(control.recommendations(t)), cpuTolerance, memoryTolerance); len(d) > 0 {
		t.Fatalf("before the restart, pacer and the control disagree already: %v", d)
	}

	t.Logf("before the restart:\n%s", describe(first.recommendations(t)))
	first.stop(t)
	stopped := time.Now()
	second := e.serve(t, e.prom.url(), "pacer-restart", lookback...)
	waitFor(t, 60*time.Second, "the restarted pacer's first recommendations", func() (bool, error) {
		return len(second.recommendations(t)) > 0, nil
	})
	var worst []string
	for cycle := range 5 {
		recs := second.recommendations(t)
		if n := countReady(recs); n != len(faultWorkloads) {
			t.Fatalf("cycle %d after the restart: %d of %d workloads ready; the state was not rebuilt from history: %+v",
				cycle, n, len(faultWorkloads), recs)
		}
		controlRecs := control.recommendations(t)
		if cycle == 0 {
			t.Logf("first cycle after the restart:\n%scontrol:\n%s", describe(recs), describe(controlRecs))
		}
		if d := differences(valuesOf(recs), valuesOf(controlRecs), cpuTolerance, memoryTolerance); len(d) > 0 {
			t.Errorf("cycle %d after the restart disagrees with the control: %v\nrestarted:\n%scontrol:\n%s", cycle, d, reasons(recs), reasons(controlRecs))
		}
		if d := differences(valuesOf(recs), before, cpuTolerance, memoryTolerance); len(d) > 0 {
			worst = d
		}
		if c := providedCondition(t, e); c.Status != corev1.ConditionTrue {
			t.Errorf("cycle %d after the restart: VPA alloc's condition is %s %s: %s", cycle, c.Status, c.Reason, c.Message)
		}
		second.waitCycles(t, 1)
	}
	if len(worst) > 0 {
		t.Errorf("after the restart pacer recommends differently from before it: %v", worst)
	}
	waitFor(t, 30*time.Second, "the restarted pacer to lead and write", func() (bool, error) {
		return strings.Contains(second.metricsPage(t), "pacer_leader 1"), nil
	})
	t.Logf("restarted pacer ready %s after the first stopped, in agreement with the control", time.Since(stopped).Round(time.Second))
	second.stop(t)
	control.stop(t)
}

// describe lists recommendations for an error message: outcome, values
// and what is missing.
func describe(recs []recommender.Recommendation) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "  %s at %s: %s", r.Workload, r.At.Format(time.TimeOnly), r.Outcome)
		for _, c := range r.Containers {
			fmt.Fprintf(&b, " %s cpu %.4f memory %.0f gomemlimit %.0f", c.Container, c.Target.CPURequestCores, c.Target.MemoryRequestBytes, c.Target.GOMEMLIMITBytes)
		}
		if r.Horizontal != nil {
			fmt.Fprintf(&b, " replicas %d", r.Horizontal.DesiredReplicas)
		}
		for _, m := range r.Missing {
			fmt.Fprintf(&b, "; missing %s", m)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// reasons lists the horizontal reasons of recommendations, for an error message.
func reasons(recs []recommender.Recommendation) string {
	var b strings.Builder
	for _, r := range recs {
		if r.Horizontal == nil {
			continue
		}
		fmt.Fprintf(&b, "  %s: %d replicas, rate %.1f, target %.1f, capacity %.1f\n", r.Workload, r.Horizontal.DesiredReplicas,
			r.Horizontal.RequestRate, r.Horizontal.TargetPerPod, r.Horizontal.CapacityPerPod)
		for _, why := range r.Horizontal.Reasons {
			fmt.Fprintf(&b, "    %s: %s\n", why.Rule, why.Message)
		}
	}
	return b.String()
}
