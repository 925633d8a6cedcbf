//go:build integration

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	vpav1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	vpaclientset "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/client/clientset/versioned"

	"github.com/pacerdev/pacer/actuator/vpa/vpatest"
	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/test/kube"
)

// playPods makes the demo processes the pods of Deployments: for each
// workload a Deployment, its ReplicaSet and one Pod whose name is the one
// Prometheus labels the process with, linked by owner references. No
// kubelet runs them; they exist as API objects.
func playPods(t *testing.T, c *kube.Cluster, f *fixture) {
	t.Helper()
	ctx := context.Background()
	client := c.Client()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// No controller manager runs to create the namespace's default service account.
	if _, err := client.CoreV1().ServiceAccounts("demo").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	yes := true
	for name, ref := range f.refs {
		labels := map[string]string{"app": name}
		template := corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Image: "pacer-test.invalid/demo:1",
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
				},
			}}},
		}
		one := int32(1)
		d, err := client.AppsV1().Deployments("demo").Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Spec:       appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rsName := ref.Pod[:strings.LastIndex(ref.Pod, "-")]
		rs, err := client.AppsV1().ReplicaSets("demo").Create(ctx, &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: rsName, Labels: labels, OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID, Controller: &yes}}},
			Spec: appsv1.ReplicaSetSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: ref.Pod, Labels: labels, OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes}}},
			Spec: template.Spec}
		if _, err := client.CoreV1().Pods("demo").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// pacerServe is a running `pacer serve` process.
type pacerServe struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	log  strings.Builder
	done chan error
}

// startServe runs pacer serve against the fixture's Prometheus and the
// cluster, with the suite's short windows, and stops it when the test ends.
func startServe(t *testing.T, f *fixture, c *kube.Cluster, extra ...string) *pacerServe {
	t.Helper()
	return startServeFrom(t, c, []string{"--prometheus-url", f.promURL}, extra...)
}

// startServeFrom is startServe with the source flags given.
func startServeFrom(t *testing.T, c *kube.Cluster, source []string, extra ...string) *pacerServe {
	t.Helper()
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(reportPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve"}, source...)
	args = append(args, "--kubeconfig", c.Kubeconfig,
		"--leader-elect-namespace", "default", "--interval", "2s", "--step", "1s", "--lookback", "1m",
		"--rate-range", rateRange.String(), "--policy", policyFile, "--listen", "127.0.0.1:0", "--log-format", "json",
		"--external-metrics-listen", "127.0.0.1:0")
	args = append(args, extra...)
	s := &pacerServe{cmd: exec.Command(pacerBinary, args...), done: make(chan error, 1)}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrs := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if _, rest, ok := strings.Cut(line, "HTTP on "); ok {
				addrs <- strings.TrimSuffix(strings.Fields(rest)[0], ";")
			}
		}
		s.done <- s.cmd.Wait()
	}()
	t.Cleanup(func() { s.stop(t) })
	select {
	case s.addr = <-addrs:
	case err := <-s.done:
		t.Fatalf("pacer serve exited: %v\n%s", err, s.logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("pacer serve printed no address in 60 s:\n%s", s.logs())
	}
	return s
}

func (s *pacerServe) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// stop ends pacer serve with SIGTERM, as Kubernetes does, and checks that
// it exits cleanly.
func (s *pacerServe) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Errorf("pacer serve did not exit cleanly: %v\n%s", err, s.logs())
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Errorf("pacer serve did not stop within 30 s of SIGTERM")
	}
}

func (s *pacerServe) url(path string) string { return "http://" + s.addr + path }

// cycles reads how many cycles pacer has finished from its /metrics.
func (s *pacerServe) cycles(t *testing.T) int {
	t.Helper()
	m, err := httpGet(s.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, line := range strings.Split(m, "\n") {
		if strings.HasPrefix(line, "pacer_cycles_total{") {
			var n int
			if _, err := fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &n); err == nil {
				total += n
			}
		}
	}
	return total
}

// waitCycles waits until pacer has finished n more cycles.
func (s *pacerServe) waitCycles(t *testing.T, n int) {
	t.Helper()
	target := s.cycles(t) + n
	waitFor(t, 30*time.Second, fmt.Sprintf("%d more cycles", n), func() (bool, error) { return s.cycles(t) >= target, nil })
}

// recommendations reads the HTTP API.
func (s *pacerServe) recommendations(t *testing.T) []recommender.Recommendation {
	t.Helper()
	body, err := httpGet(s.url("/api/v1/recommendations?namespace=demo"))
	if err != nil {
		return nil
	}
	var list struct {
		Items []recommender.Recommendation `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("recommendations: %v", err)
	}
	return list.Items
}

// waitReady waits until every demo workload has a ready recommendation.
func (s *pacerServe) waitReady(t *testing.T) []recommender.Recommendation {
	t.Helper()
	var recs []recommender.Recommendation
	waitFor(t, 90*time.Second, "ready recommendations of every demo workload from pacer serve", func() (bool, error) {
		recs = s.recommendations(t)
		ready := 0
		for _, r := range recs {
			if r.Outcome == recommender.OutcomeReady {
				ready++
			}
		}
		return ready == len(workloads), nil
	})
	return recs
}

// leaseFlags make leader election quick enough for a test.
var leaseFlags = []string{"--leader-elect-lease-duration", "4s", "--leader-elect-renew-deadline", "3s", "--leader-elect-retry-period", "1s"}

// TestServe runs pacer serve against a real Prometheus scraping the demo
// workloads and a real kube-apiserver in which they are the pods of
// Deployments, with the VPA CRDs installed.
func TestServe(t *testing.T) {
	f := setUp(t)
	c := kube.Start(t, kube.Options{})
	playPods(t, c, f)
	installVPACRDs(t, c)
	createVPA(t, c, "alloc", "alloc", []string{"pacer"})
	createVPA(t, c, "steady", "steady", nil) // the default recommender's: pacer must not touch it

	t.Run("dry run writes nothing", func(t *testing.T) {
		s := startServe(t, f, c, append([]string{"--dry-run", "--leader-elect-id", "pacer-dry-run"}, leaseFlags...)...)
		s.waitReady(t)
		s.waitCycles(t, 2)
		for _, name := range []string{"alloc", "steady"} {
			if v := getVPA(t, c, name); v.Status.Recommendation != nil || len(v.Status.Conditions) > 0 {
				t.Errorf("VPA %s has a status after a dry run: %+v", name, v.Status)
			}
		}
		if n := pacerEvents(t, c); n > 0 {
			t.Errorf("a dry run sent %d events", n)
		}
		s.stop(t)
	})

	s := startServe(t, f, c, leaseFlags...)
	recs := s.waitReady(t)
	for _, r := range recs {
		if r.Workload.Kind != recommender.KindDeployment || len(r.Containers) != 1 || r.Mode != recommender.ModeRecommend {
			t.Errorf("%v: kind %s, %d containers, mode %s", r.Workload, r.Workload.Kind, len(r.Containers), r.Mode)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/", "/report.html"} {
		if _, err := httpGet(s.url(path)); err != nil {
			t.Errorf("GET %s: %v", path, err)
		}
	}
	metrics, err := httpGet(s.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`pacer_workloads{outcome="ready"} 4`, "pacer_leader 1", `pacer_cycles_total{result="ok"}`, "pacer_recommended_replicas{"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The workload API answers for one workload, with what Kubernetes says it runs with.
	body, err := httpGet(s.url("/api/v1/workloads/demo/deployment/steady"))
	if err != nil || !strings.Contains(body, `"outcome": "ready"`) {
		t.Errorf("GET workload steady: %v\n%s", err, body)
	}
	// The report knows what the pods run with, from the Deployments.
	body, err = httpGet(s.url("/api/v1/report"))
	if err != nil || !strings.Contains(body, `"cpuRequestCores": 0.1`) {
		t.Errorf("the report does not show the Deployments' CPU request of 100m: %v", err)
	}
	t.Run("VPA status", func(t *testing.T) { testVPAStatus(t, f, c) })
	t.Run("report with Kubernetes", func(t *testing.T) { testReportWithKubernetes(t, f, c) })
	t.Run("HPA target", func(t *testing.T) { testHPATarget(t, s, c) })
	t.Run("leader failover", func(t *testing.T) { testLeaderFailover(t, f, s, c) })
	t.Run("built-in scraper", func(t *testing.T) {
		var source []string
		for name, ref := range f.refs {
			source = append(source, "--scrape", f.procs[name].URL+"/metrics#namespace="+ref.Namespace+"&pod="+ref.Pod+"&container="+ref.Container)
		}
		source = append(source, "--scrape-interval", "1s")
		s := startServeFrom(t, c, source, "--dry-run", "--leader-elect-id", "pacer-scrape")
		s.waitReady(t)
	})
}

// testHPATarget opts an HPA in: pacer takes over its request-rate target,
// then a person edits it, and pacer backs off and says so.
func testHPATarget(t *testing.T, s *pacerServe, c *kube.Cluster) {
	ctx := context.Background()
	hpas := c.Client().AutoscalingV2().HorizontalPodAutoscalers("demo")
	createOptedInHPA(t, c, "steady")
	averageValue := func() string {
		h, err := hpas.Get(ctx, "steady", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return h.Spec.Metrics[0].Pods.Target.AverageValue.String()
	}
	var recommended string
	waitFor(t, 60*time.Second, "pacer to set the HPA's request-rate target", func() (bool, error) {
		recommended = averageValue()
		return recommended != "1k" && recommended != "1000", nil
	})
	for _, r := range s.recommendations(t) {
		if r.Workload.Name == "steady" && r.Horizontal != nil {
			if want := resource.NewMilliQuantity(int64(r.Horizontal.TargetPerPod*1000), resource.DecimalSI); want.String() != recommended {
				t.Logf("HPA target %s, the newest recommendation %s (it may have moved since)", recommended, want)
			}
		}
	}

	// A person edits the target: pacer must leave it and report the conflict.
	h, err := hpas.Get(ctx, "steady", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	human := resource.MustParse("777")
	h.Spec.Metrics[0].Pods.Target.AverageValue = &human
	if _, err := hpas.Update(ctx, h, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "a conflict reported on /metrics", func() (bool, error) {
		m, err := httpGet(s.url("/metrics"))
		return err == nil && strings.Contains(m, `pacer_actuations_total{action="conflict",actuator="hpa"}`), nil
	})
	s.waitCycles(t, 2) // in which pacer must not write
	if got := averageValue(); got != "777" {
		t.Errorf("after a person set 777, pacer wrote %s", got)
	}
	events, err := c.Client().CoreV1().Events("demo").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=steady,reason=HPATargetConflict"})
	if err != nil || len(events.Items) == 0 {
		t.Errorf("no HPATargetConflict event on the HPA: %v", err)
	}
}

// testReportWithKubernetes runs pacer report with both Prometheus and the
// cluster: current values come from the Deployments, the savings are
// known, and the patch applies to the real API server.
func testReportWithKubernetes(t *testing.T, f *fixture, c *kube.Cluster) {
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(reportPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	report := func(args ...string) string {
		cmd := exec.Command(pacerBinary, append([]string{"report", "--prometheus-url", f.promURL, "--kubeconfig", c.Kubeconfig,
			"-n", "demo", "--window", "30s", "--step", "1s", "--rate-range", rateRange.String(), "--policy", policyFile,
			"--price-per-core-hour", "0.0316", "--price-per-gib-hour", "0.0042"}, args...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("pacer report %v: %v\n%s", args, err, stderr.String())
		}
		return string(out)
	}
	var r struct {
		Summary struct {
			DeltaWorkloads int `json:"deltaWorkloads"`
		} `json:"summary"`
		Workloads []struct {
			Name       string
			Containers []struct {
				Current *struct {
					CPURequestCores float64 `json:"cpuRequestCores"`
				} `json:"current"`
			}
		}
	}
	if err := json.Unmarshal([]byte(report("-o", "json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Summary.DeltaWorkloads != len(workloads) {
		t.Errorf("savings known for %d workloads, want all %d", r.Summary.DeltaWorkloads, len(workloads))
	}
	for _, w := range r.Workloads {
		if len(w.Containers) != 1 || w.Containers[0].Current == nil || w.Containers[0].Current.CPURequestCores != 0.1 {
			t.Errorf("%s: current values %+v, want the Deployment's 100m", w.Name, w.Containers)
		}
	}

	// The patch is valid for the real API server, which applies it in a dry
	// run; the test created the Deployments, so it owns the fields pacer sets
	// and the patch takes them over, as its header says to.
	patch := report("-o", "patch")
	out, stderr, err := c.KubectlWithInput(context.Background(), strings.NewReader(patch),
		"apply", "--server-side", "--field-manager=pacer", "--force-conflicts", "--dry-run=server", "-f", "-")
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server of the patch: %v\n%s\n%s", err, stderr, patch)
	}
	if n := strings.Count(out, "serverside-applied (server dry run)"); n != len(workloads) {
		t.Errorf("kubectl applied %d objects, want %d:\n%s", n, len(workloads), out)
	}

	html := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(html, []byte(report("-o", "html")), 0o644); err != nil {
		t.Fatal(err)
	}
	checkInChromium(t, "file://"+html, []string{"demo/steady", "Cost per month"})
}

// installVPACRDs applies the VerticalPodAutoscaler CRDs from the VPA module.
func installVPACRDs(t *testing.T, c *kube.Cluster) {
	t.Helper()
	ctx := context.Background()
	path, err := vpatest.CRDPath(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := c.Kubectl(ctx, "apply", "--server-side", "-f", path); err != nil {
		t.Fatalf("installing the VPA CRDs: %v\n%s", err, stderr)
	}
	if _, stderr, err := c.Kubectl(ctx, "wait", "--for=condition=Established", "--timeout=60s", "crd/verticalpodautoscalers.autoscaling.k8s.io"); err != nil {
		t.Fatalf("waiting for the VPA CRD: %v\n%s", err, stderr)
	}
}

func vpaClient(t *testing.T, c *kube.Cluster) vpaclientset.Interface {
	t.Helper()
	client, err := vpaclientset.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// createVPA creates a VPA in updateMode Off for a Deployment, naming the
// given recommenders (none: the default recommender's).
func createVPA(t *testing.T, c *kube.Cluster, name, target string, recommenders []string) {
	t.Helper()
	off := vpav1.UpdateModeOff
	v := &vpav1.VerticalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: vpav1.VerticalPodAutoscalerSpec{
			TargetRef:    &autoscalingv1.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: target},
			UpdatePolicy: &vpav1.PodUpdatePolicy{UpdateMode: &off},
		}}
	for _, r := range recommenders {
		v.Spec.Recommenders = append(v.Spec.Recommenders, &vpav1.VerticalPodAutoscalerRecommenderSelector{Name: r})
	}
	if _, err := vpaClient(t, c).AutoscalingV1().VerticalPodAutoscalers("demo").Create(context.Background(), v, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func getVPA(t *testing.T, c *kube.Cluster, name string) *vpav1.VerticalPodAutoscaler {
	t.Helper()
	v, err := vpaClient(t, c).AutoscalingV1().VerticalPodAutoscalers("demo").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// pacerEvents counts the Events pacer sent in the demo namespace.
func pacerEvents(t *testing.T, c *kube.Cluster) int {
	t.Helper()
	events, err := c.Client().CoreV1().Events("demo").List(context.Background(), metav1.ListOptions{FieldSelector: "source=pacer"})
	if err != nil {
		t.Fatal(err)
	}
	return len(events.Items)
}

// testVPAStatus checks that pacer wrote the status of the VPA that names
// it, with the numbers it serves and that pacer report computes from the
// same data, and left the other VPA alone.
func testVPAStatus(t *testing.T, f *fixture, c *kube.Cluster) {
	var v *vpav1.VerticalPodAutoscaler
	waitFor(t, 30*time.Second, "pacer to write the status of VPA alloc", func() (bool, error) {
		v = getVPA(t, c, "alloc")
		return v.Status.Recommendation != nil && len(v.Status.Recommendation.ContainerRecommendations) == 1, nil
	})
	got := v.Status.Recommendation.ContainerRecommendations[0]
	cpu, memory := got.Target.Cpu().AsApproximateFloat64(), got.Target.Memory().AsApproximateFloat64()
	if got.ContainerName != "app" || cpu <= 0 || memory < 32<<20 || got.LowerBound == nil || got.UpperBound == nil || got.UncappedTarget == nil {
		t.Errorf("VPA alloc recommendation %+v", got)
	}
	if len(v.Status.Conditions) == 0 || v.Status.Conditions[0].Type != vpav1.RecommendationProvided || v.Status.Conditions[0].Status != corev1.ConditionTrue {
		t.Errorf("VPA alloc conditions %+v", v.Status.Conditions)
	}
	if other := getVPA(t, c, "steady"); other.Status.Recommendation != nil || len(other.Status.Conditions) > 0 {
		t.Errorf("pacer wrote the status of a VPA that does not name it: %+v", other.Status)
	}

	// pacer report over the same Prometheus and cluster gives the same
	// numbers: memory exactly (both at the policy's 32Mi floor or the same
	// model), CPU within the drift of a live signal between the two reads.
	var r struct {
		Workloads []struct {
			Name       string
			Containers []struct {
				Recommended *struct {
					CPURequestCores    float64 `json:"cpuRequestCores"`
					MemoryRequestBytes float64 `json:"memoryRequestBytes"`
				} `json:"recommended"`
			}
		}
	}
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(reportPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pacerBinary, "report", "--prometheus-url", f.promURL, "--kubeconfig", c.Kubeconfig, "-n", "demo",
		"--window", "1m", "--step", "1s", "--rate-range", rateRange.String(), "--policy", policyFile, "-o", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	for _, w := range r.Workloads {
		if w.Name != "alloc" || len(w.Containers) != 1 || w.Containers[0].Recommended == nil {
			continue
		}
		rec := w.Containers[0].Recommended
		if !within(memory, rec.MemoryRequestBytes, 0.10, 0) || !within(cpu, rec.CPURequestCores, 0.5, 0.01) {
			t.Errorf("VPA target cpu %.3f, memory %.0f; pacer report says cpu %.3f, memory %.0f", cpu, memory, rec.CPURequestCores, rec.MemoryRequestBytes)
		}
		return
	}
	t.Errorf("pacer report has no ready recommendation for alloc:\n%s", out)
}

// testLeaderFailover starts a second replica: it computes and serves but
// does not write while the first leads, and takes over within the lease
// when the first stops.
func testLeaderFailover(t *testing.T, f *fixture, first *pacerServe, c *kube.Cluster) {
	second := startServe(t, f, c, leaseFlags...)
	second.waitReady(t)
	second.waitCycles(t, 2)
	m, err := httpGet(second.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m, "pacer_leader 0") || strings.Contains(m, `pacer_actuations_total{action="unchanged",actuator="vpa"}`) {
		t.Fatalf("the second replica leads or writes while the first leads:\n%s", grepLines(m, "pacer_leader", "pacer_actuations_total"))
	}
	first.stop(t)
	stopped := time.Now()
	waitFor(t, 30*time.Second, "the second replica to take over and write", func() (bool, error) {
		m, err := httpGet(second.url("/metrics"))
		return err == nil && strings.Contains(m, "pacer_leader 1") && strings.Contains(m, `actuator="vpa"}`), nil
	})
	if took := time.Since(stopped); took > 4*time.Second+10*time.Second {
		t.Errorf("the second replica took over %s after the first stopped; the lease is 4s", took)
	}
}

func grepLines(text string, prefixes ...string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				out = append(out, line)
			}
		}
	}
	return strings.Join(out, "\n")
}
