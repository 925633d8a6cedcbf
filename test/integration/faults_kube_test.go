//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	vpav1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	vpaclient "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/client/clientset/versioned/typed/autoscaling.k8s.io/v1"
	acv2 "k8s.io/client-go/applyconfigurations/autoscaling/v2"
	autoscalingv2client "k8s.io/client-go/kubernetes/typed/autoscaling/v2"

	"github.com/pacerdev/pacer/actuator/hpa"
	"github.com/pacerdev/pacer/actuator/vpa"
	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/test/kube"
)

// The Kubernetes half of the fault-injection suite: the API server
// restarted under pacer, 409 conflicts on its writes, and its leader
// killed without a chance to release the lease. Each fault is checked
// against what etcd stored, not only against what pacer says it did.

// etcdKey is where the API server stores an object in etcd.
func etcdKey(resource, name string) string {
	return "/registry/" + resource + "/demo/" + name
}

const (
	vpaResource = "autoscaling.k8s.io/verticalpodautoscalers"
	hpaResource = "horizontalpodautoscalers"
)

// storedWrites is how many times etcd stored the object since its create.
func storedWrites(t *testing.T, c *kube.Cluster, key string) int {
	t.Helper()
	v, err := c.EtcdVersion(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if v == 0 {
		t.Fatalf("etcd has no %s", key)
	}
	return int(v - 1)
}

// pacerWrite is one write pacer's log says it made.
type pacerWrite struct {
	at     time.Time
	object string // e.g. VerticalPodAutoscaler/demo/alloc
}

// writeMessages are the log messages of the writes that reached the API
// server, and the attribute that names the object.
var writeMessages = map[string]string{
	"VPA recommendation written": "vpa",
	"VPA condition written":      "vpa",
	"HPA targets applied":        "hpa",
}

// writes reads pacer's JSON log for the writes it made.
func (s *pacerServe) writes(t *testing.T) []pacerWrite {
	t.Helper()
	var out []pacerWrite
	for _, line := range strings.Split(s.logs(), "\n") {
		var entry map[string]any
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &entry) != nil {
			continue
		}
		msg, _ := entry["msg"].(string)
		attr, ok := writeMessages[msg]
		if !ok {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(entry["time"]))
		if err != nil {
			t.Fatalf("log time in %s: %v", line, err)
		}
		out = append(out, pacerWrite{at: at, object: fmt.Sprint(entry[attr])})
	}
	return out
}

// countWrites counts the writes to object.
func countWrites(writes []pacerWrite, object string) int {
	n := 0
	for _, w := range writes {
		if w.object == object {
			n++
		}
	}
	return n
}

// metric reads one sample of pacer's /metrics; 0 when it is absent.
func (s *pacerServe) metric(t *testing.T, series string) float64 {
	t.Helper()
	m, err := httpGet(s.url("/metrics"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(m, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			if _, err := fmt.Sscan(rest, &v); err == nil {
				return v
			}
		}
	}
	return 0
}

// createOptedInHPA creates an HPA for a demo Deployment with a request-rate
// target of 1000/s, opted in to pacer, as kubectl apply would.
func createOptedInHPA(t *testing.T, c *kube.Cluster, name string) {
	t.Helper()
	target := resource.MustParse("1000")
	one := int32(1)
	_, err := c.Client().AutoscalingV2().HorizontalPodAutoscalers("demo").Create(context.Background(), &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{recommender.ModeAnnotation: "apply"}},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			MinReplicas:    &one, MaxReplicas: 10,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
				Metric: autoscalingv2.MetricIdentifier{Name: "http_requests_per_second"},
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &target},
			}}},
		},
	}, metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"})
	if err != nil {
		t.Fatal(err)
	}
}

// hpaTarget returns an HPA's request-rate target.
func hpaTarget(t *testing.T, c *kube.Cluster, name string) string {
	t.Helper()
	h, err := c.Client().AutoscalingV2().HorizontalPodAutoscalers("demo").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h.Spec.Metrics[0].Pods.Target.AverageValue.String()
}

// waitHPASet waits until pacer has moved an HPA's target off the 1000/s it was created with.
func waitHPASet(t *testing.T, c *kube.Cluster, name string, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, "pacer to set the request-rate target of HPA "+name, func() (bool, error) {
		got := hpaTarget(t, c, name)
		return got != "1k" && got != "1000", nil
	})
}

// waitVPAWritten waits until a VPA carries a recommendation.
func waitVPAWritten(t *testing.T, c *kube.Cluster, name string, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, "pacer to write the recommendation of VPA "+name, func() (bool, error) {
		v := getVPA(t, c, name)
		return v.Status.Recommendation != nil && len(v.Status.Recommendation.ContainerRecommendations) > 0, nil
	})
}

// checkStoredWrites compares, per object, the writes etcd stored with the
// writes pacer logged: fewer stored means a write pacer counted was lost,
// more means one landed twice or behind pacer's back.
func checkStoredWrites(t *testing.T, c *kube.Cluster, writes []pacerWrite, objects map[string]string) {
	t.Helper()
	for object, key := range objects {
		stored, logged := storedWrites(t, c, key), countWrites(writes, object)
		t.Logf("%s: pacer logged %d writes, etcd stored %d", object, logged, stored)
		if stored != logged {
			t.Errorf("%s: pacer logged %d writes, etcd stored %d", object, logged, stored)
		}
	}
}

// pacerEventsOn returns the Events pacer sent about one object, with the
// number of times each happened.
func pacerEventsOn(t *testing.T, c *kube.Cluster, name string) []corev1.Event {
	t.Helper()
	events, err := c.Client().CoreV1().Events("demo").List(context.Background(),
		metav1.ListOptions{FieldSelector: "source=pacer,involvedObject.name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	return events.Items
}

// TestFaultAPIServerRestart restarts kube-apiserver (SIGTERM, same etcd,
// same port) under a running pacer, twice: once with a lease long enough
// that pacer leads through the outage and its writes fail meanwhile, once
// with a short lease that pacer loses and must win back. Either way pacer
// recovers without a restart of its own, its informers see objects made
// after the restart, and every write it made is stored exactly once.
func TestFaultAPIServerRestart(t *testing.T) {
	f := setUp(t)
	for _, tc := range []struct {
		name  string
		lease []string
		// down waits, while the API server is down, until pacer has felt it.
		down func(t *testing.T, s *pacerServe)
	}{
		{name: "lease kept", lease: []string{"--leader-elect-lease-duration", "30s", "--leader-elect-renew-deadline", "20s", "--leader-elect-retry-period", "2s"},
			down: func(t *testing.T, s *pacerServe) {
				failed := strings.Count(s.logs(), "publishing a cycle failed")
				waitFor(t, 30*time.Second, "pacer to fail a write while the API server is down", func() (bool, error) {
					return strings.Count(s.logs(), "publishing a cycle failed") > failed, nil
				})
			}},
		{name: "lease lost", lease: leaseFlags,
			down: func(t *testing.T, s *pacerServe) {
				waitFor(t, 30*time.Second, "pacer to give up its lease while the API server is down", func() (bool, error) {
					return s.metric(t, "pacer_leader") == 0, nil
				})
			}},
	} {
		t.Run(tc.name, func(t *testing.T) { testAPIServerRestart(t, f, tc.lease, tc.down) })
	}
}

func testAPIServerRestart(t *testing.T, f *fixture, lease []string, down func(*testing.T, *pacerServe)) {
	c := kube.Start(t, kube.Options{APIServerFlags: []string{"--shutdown-send-retry-after=true"}})
	playPods(t, c, f)
	installVPACRDs(t, c)
	createVPA(t, c, "alloc", "alloc", []string{"pacer"})
	createOptedInHPA(t, c, "steady")
	s := startServe(t, f, c, append([]string{"--leader-elect-id", "pacer-restart"}, lease...)...)
	s.waitReady(t)
	waitVPAWritten(t, c, "alloc", 60*time.Second)
	waitHPASet(t, c, "steady", 60*time.Second)

	var wentDown time.Time
	err := c.RestartAPIServer(context.Background(), func() {
		wentDown = time.Now()
		down(t, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the API server was down or starting for %s", time.Since(wentDown).Round(100*time.Millisecond))
	waitFor(t, 60*time.Second, "pacer to lead after the API server restart", func() (bool, error) {
		return s.metric(t, "pacer_leader") == 1, nil
	})
	settled := s.metric(t, `pacer_actuations_total{action="written",actuator="vpa"}`) +
		s.metric(t, `pacer_actuations_total{action="unchanged",actuator="vpa"}`)

	// The informers recovered: objects made after the restart reach pacer.
	// A new opted-in HPA comes through the HPA informer, a mode annotation
	// on a Deployment through the workload informer.
	createOptedInHPA(t, c, "alloc")
	deployments := c.Client().AppsV1().Deployments("demo")
	d, err := deployments.Get(context.Background(), "goroutines", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Annotations = map[string]string{recommender.ModeAnnotation: "off"}
	if _, err := deployments.Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitHPASet(t, c, "alloc", 60*time.Second)
	waitFor(t, 60*time.Second, "pacer to see the mode annotation set after the restart", func() (bool, error) {
		for _, r := range s.recommendations(t) {
			if r.Workload.Name == "goroutines" {
				return r.Mode == recommender.ModeOff, nil
			}
		}
		return false, nil
	})
	t.Logf("pacer saw the objects made after the restart %s after the API server went down", time.Since(wentDown).Round(100*time.Millisecond))

	// Nothing was lost: the VPA writer compared its plan with what the API
	// server holds after the restart, and wrote it or found it the same.
	waitFor(t, 30*time.Second, "a VPA sync after the restart", func() (bool, error) {
		return s.metric(t, `pacer_actuations_total{action="written",actuator="vpa"}`)+
			s.metric(t, `pacer_actuations_total{action="unchanged",actuator="vpa"}`) > settled, nil
	})
	t.Logf("cycles whose writes failed: %d; leadership changes: %d",
		strings.Count(s.logs(), "publishing a cycle failed"), strings.Count(s.logs(), `"msg":"leadership changed"`))

	// Nor doubled: etcd stored each object exactly as often as pacer says it wrote it.
	s.stop(t)
	writes := s.writes(t)
	checkStoredWrites(t, c, writes, map[string]string{
		"VerticalPodAutoscaler/demo/alloc":    etcdKey(vpaResource, "alloc"),
		"HorizontalPodAutoscaler/demo/steady": etcdKey(hpaResource, "steady"),
		"HorizontalPodAutoscaler/demo/alloc":  etcdKey(hpaResource, "alloc"),
	})
	// An Event per write at most: none sent twice when the API server went
	// away mid-request. (Events still in the recorder's retry queue may be
	// missing; that is not a double.)
	for object, name := range map[string]string{"VerticalPodAutoscaler/demo/alloc": "alloc", "HorizontalPodAutoscaler/demo/steady": "steady"} {
		var updates int32
		for _, e := range pacerEventsOn(t, c, name) {
			if e.InvolvedObject.Kind == strings.Split(object, "/")[0] && (e.Reason == vpa.EventRecommendationUpdated || e.Reason == hpa.EventTargetUpdated) {
				updates += e.Count
			}
		}
		if written := countWrites(writes, object); int(updates) > written {
			t.Errorf("%s: %d update Events for %d writes", object, updates, written)
		}
	}
}

// TestFaultConflicts makes another writer change a VPA and an HPA between
// pacer's read and its write, against the real API server: pacer's write
// meets a real 409, reads the object again and lands once with the other
// writer's change kept; when the object changes before every write, pacer
// gives up after its bound and writes nothing.
func TestFaultConflicts(t *testing.T) {
	c := kube.Start(t, kube.Options{})
	ctx := context.Background()
	if _, err := c.Client().CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	installVPACRDs(t, c)
	vpas := vpaClient(t, c).AutoscalingV1()
	hpas := c.Client().AutoscalingV2()

	for _, tc := range []struct {
		name   string
		bumps  int // changes by the other writer, one before each of pacer's writes
		vpa    recommender.Action
		hpa    recommender.Action
		writes int // that reach etcd from pacer
	}{
		{name: "once", bumps: 1, vpa: recommender.ActionWritten, hpa: recommender.ActionWritten, writes: 1},
		{name: "always", bumps: 1000, vpa: recommender.ActionConflict, hpa: recommender.ActionFailed, writes: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "web-" + tc.name
			createVPA(t, c, name, name, []string{"pacer"})
			createOptedInHPA(t, c, name)
			ref := recommender.WorkloadRef{Namespace: "demo", Kind: recommender.KindDeployment, Name: name}
			rec := recommender.Recommendation{Workload: ref, Policy: "suite", Mode: recommender.ModeApply, Outcome: recommender.OutcomeReady,
				Containers: []recommender.ContainerRecommendation{{Container: "app",
					Target: recommender.Resources{CPURequestCores: 0.25, MemoryRequestBytes: 96 << 20},
					Lower:  recommender.Resources{CPURequestCores: 0.2, MemoryRequestBytes: 80 << 20},
					Upper:  recommender.Resources{CPURequestCores: 0.4, MemoryRequestBytes: 128 << 20},
				}},
				Horizontal: &recommender.HorizontalRecommendation{CurrentReplicas: 1, DesiredReplicas: 1, TargetPerPod: 850.5,
					Reasons: []recommender.Reason{recommender.Changed("hpa-target.capacity", "hpa_target", 1000, 850.5, time.Minute, nil, "capacity")}},
			}
			cycle := &recommender.Cycle{Recommendations: []recommender.Recommendation{rec}}
			var acts []recommender.Actuation
			var mu sync.Mutex
			observe := func(a recommender.Actuation) {
				mu.Lock()
				defer mu.Unlock()
				if strings.HasSuffix(a.Object, "/"+name) {
					acts = append(acts, a)
				}
			}
			only := func(a []recommender.Actuation, actuator string) recommender.Actuation {
				for _, x := range a {
					if x.Actuator == actuator {
						return x
					}
				}
				t.Fatalf("no %s actuation for %s: %+v", actuator, name, a)
				return recommender.Actuation{}
			}
			vpaBefore, hpaBefore := storedWrites(t, c, etcdKey(vpaResource, name)), storedWrites(t, c, etcdKey(hpaResource, name))

			// VPA: the lister reads the VPA; the other writer labels it
			// before each status write pacer sends.
			bumpVPA := &bumper{name: name, budget: tc.bumps, bump: func(n int) error {
				v, err := vpas.VerticalPodAutoscalers("demo").Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				v.Labels = map[string]string{"other-writer": fmt.Sprint(n)}
				_, err = vpas.VerticalPodAutoscalers("demo").Update(ctx, v, metav1.UpdateOptions{FieldManager: "other-writer"})
				return err
			}}
			w := vpa.New(conflictingVPAs{vpas, bumpVPA}, vpa.ClientLister(vpas, "demo"), vpa.Options{Observe: observe})
			if err := w.Publish(ctx, cycle); err != nil {
				t.Fatalf("VPA Publish: %v", err)
			}
			a := only(acts, "vpa")
			t.Logf("VPA: %d status writes sent, %d refused with 409; %s: %s", bumpVPA.writes, bumpVPA.conflicts, a.Action, a.Reason)
			v := getVPA(t, c, name)
			if a.Action != tc.vpa {
				t.Errorf("VPA: %s (%s), want %s", a.Action, a.Reason, tc.vpa)
			}
			if want := min(tc.bumps, 3); bumpVPA.conflicts != want || v.Labels["other-writer"] != fmt.Sprint(want) {
				t.Errorf("VPA: %d conflicts and the other writer's label %q, want %d and %d", bumpVPA.conflicts, v.Labels["other-writer"], want, want)
			}
			if wrote := v.Status.Recommendation != nil; wrote != (tc.writes > 0) {
				t.Errorf("VPA: recommendation written %t, want %t", wrote, tc.writes > 0)
			}
			if stored := storedWrites(t, c, etcdKey(vpaResource, name)) - vpaBefore; stored != bumpVPA.conflicts+tc.writes {
				t.Errorf("VPA: etcd stored %d writes, want the other writer's %d and pacer's %d", stored, bumpVPA.conflicts, tc.writes)
			}

			// HPA: pacer takes the unmanaged HPA over with a forced apply
			// at the resourceVersion it read; the other writer labels the
			// HPA before each apply.
			bumpHPA := &bumper{name: name, budget: tc.bumps, bump: func(n int) error {
				h, err := hpas.HorizontalPodAutoscalers("demo").Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				h.Labels = map[string]string{"other-writer": fmt.Sprint(n)}
				_, err = hpas.HorizontalPodAutoscalers("demo").Update(ctx, h, metav1.UpdateOptions{FieldManager: "other-writer"})
				return err
			}}
			p := hpa.New(conflictingHPAs{hpas, bumpHPA}, hpa.ClientLister(hpas, "demo"), hpa.Options{Observe: observe})
			if err := p.Publish(ctx, cycle); err != nil {
				t.Fatalf("HPA Publish: %v", err)
			}
			a = only(acts, "hpa")
			t.Logf("HPA: %d applies sent, %d refused with 409; %s: %s", bumpHPA.writes, bumpHPA.conflicts, a.Action, a.Reason)
			h, err := hpas.HorizontalPodAutoscalers("demo").Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Action != tc.hpa {
				t.Errorf("HPA: %s (%s), want %s", a.Action, a.Reason, tc.hpa)
			}
			if want := min(tc.bumps, 3); bumpHPA.conflicts != want || h.Labels["other-writer"] != fmt.Sprint(want) {
				t.Errorf("HPA: %d conflicts and the other writer's label %q, want %d and %d", bumpHPA.conflicts, h.Labels["other-writer"], want, want)
			}
			wantTarget := "1k"
			if tc.writes > 0 {
				wantTarget = "850500m"
			}
			if got := h.Spec.Metrics[0].Pods.Target.AverageValue.String(); got != wantTarget {
				t.Errorf("HPA: target %s, want %s", got, wantTarget)
			}
			if stored := storedWrites(t, c, etcdKey(hpaResource, name)) - hpaBefore; stored != bumpHPA.conflicts+tc.writes {
				t.Errorf("HPA: etcd stored %d writes, want the other writer's %d and pacer's %d", stored, bumpHPA.conflicts, tc.writes)
			}
		})
	}
}

// bumper is the other writer: before each of pacer's writes, while its
// budget lasts, it changes the object, so that pacer's write carries a
// resourceVersion that is no longer current.
type bumper struct {
	name   string // of the object; writes to others pass
	budget int
	bump   func(n int) error

	mu        sync.Mutex
	writes    int // pacer's writes sent
	conflicts int // of which the API server refused with 409
}

// before runs before one of pacer's writes.
func (b *bumper) before() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	if b.writes > b.budget {
		return nil
	}
	return b.bump(b.writes)
}

func (b *bumper) after(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if apierrors.IsConflict(err) {
		b.conflicts++
	}
}

// conflictingVPAs is the VPA client pacer writes through, with the other
// writer acting before each status write.
type conflictingVPAs struct {
	vpaclient.VerticalPodAutoscalersGetter
	b *bumper
}

func (c conflictingVPAs) VerticalPodAutoscalers(namespace string) vpaclient.VerticalPodAutoscalerInterface {
	return conflictingVPA{c.VerticalPodAutoscalersGetter.VerticalPodAutoscalers(namespace), c.b}
}

type conflictingVPA struct {
	vpaclient.VerticalPodAutoscalerInterface
	b *bumper
}

func (c conflictingVPA) UpdateStatus(ctx context.Context, v *vpav1.VerticalPodAutoscaler, o metav1.UpdateOptions) (*vpav1.VerticalPodAutoscaler, error) {
	if v.Name != c.b.name {
		return c.VerticalPodAutoscalerInterface.UpdateStatus(ctx, v, o)
	}
	if err := c.b.before(); err != nil {
		return nil, fmt.Errorf("the other writer: %w", err)
	}
	out, err := c.VerticalPodAutoscalerInterface.UpdateStatus(ctx, v, o)
	c.b.after(err)
	return out, err
}

// conflictingHPAs is the HPA client pacer applies through, with the other
// writer acting before each apply.
type conflictingHPAs struct {
	autoscalingv2client.HorizontalPodAutoscalersGetter
	b *bumper
}

func (c conflictingHPAs) HorizontalPodAutoscalers(namespace string) autoscalingv2client.HorizontalPodAutoscalerInterface {
	return conflictingHPA{c.HorizontalPodAutoscalersGetter.HorizontalPodAutoscalers(namespace), c.b}
}

type conflictingHPA struct {
	autoscalingv2client.HorizontalPodAutoscalerInterface
	b *bumper
}

func (c conflictingHPA) Apply(ctx context.Context, h *acv2.HorizontalPodAutoscalerApplyConfiguration, o metav1.ApplyOptions) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	if h.Name == nil || *h.Name != c.b.name {
		return c.HorizontalPodAutoscalerInterface.Apply(ctx, h, o)
	}
	if err := c.b.before(); err != nil {
		return nil, fmt.Errorf("the other writer: %w", err)
	}
	out, err := c.HorizontalPodAutoscalerInterface.Apply(ctx, h, o)
	c.b.after(err)
	return out, err
}

// TestFaultLeaderKilled kills the leading replica with SIGKILL, so it
// cannot release its lease: the standby, which computed all along and
// wrote nothing, takes over once the lease expires, and from then on it
// alone writes. Checked in etcd (every stored write is one a replica
// logged), in managedFields (one manager, pacer) and in the Events (each
// sent by the replica that led at the time).
func TestFaultLeaderKilled(t *testing.T) {
	const leaseDuration = 4 * time.Second // leaseFlags
	f := setUp(t)
	c := kube.Start(t, kube.Options{})
	playPods(t, c, f)
	installVPACRDs(t, c)
	createVPA(t, c, "alloc", "alloc", []string{"pacer"})
	createOptedInHPA(t, c, "steady")
	flags := append([]string{"--leader-elect-id", "pacer-kill"}, leaseFlags...)
	first := startServe(t, f, c, flags...)
	waitFor(t, 60*time.Second, "the first replica to lead", func() (bool, error) { return first.metric(t, "pacer_leader") == 1, nil })
	second := startServe(t, f, c, flags...)
	waitVPAWritten(t, c, "alloc", 60*time.Second)
	waitHPASet(t, c, "steady", 60*time.Second)
	second.waitReady(t)
	second.waitCycles(t, 2)
	if second.metric(t, "pacer_leader") != 0 || len(second.writes(t)) > 0 {
		t.Fatalf("the standby leads or wrote while the first replica led: %+v", second.writes(t))
	}

	leases := c.Client().CoordinationV1().Leases("default")
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	// Reaped, and its log read to the end; its cleanup then has nothing to stop.
	if err := <-first.done; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("the first replica exited with %v, want killed", err)
	}
	held, err := leases.Get(context.Background(), "pacer-kill", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the standby to take over", func() (bool, error) { return second.metric(t, "pacer_leader") == 1, nil })
	took := time.Since(killed)
	taken, err := leases.Get(context.Background(), "pacer-kill", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	firstID, secondID := *held.Spec.HolderIdentity, *taken.Spec.HolderIdentity
	gap := taken.Spec.AcquireTime.Sub(held.Spec.RenewTime.Time)
	t.Logf("the standby led %s after the SIGKILL; it acquired the lease %s after the dead leader's last renewal (lease %s)",
		took.Round(100*time.Millisecond), gap.Round(time.Millisecond), leaseDuration)
	switch {
	case firstID == secondID || *taken.Spec.LeaseTransitions != *held.Spec.LeaseTransitions+1:
		t.Errorf("lease held by %s (transitions %d), then by %s (transitions %d): want one handover", firstID, *held.Spec.LeaseTransitions, secondID, *taken.Spec.LeaseTransitions)
	case gap < leaseDuration:
		t.Errorf("the standby took the lease %s after the leader's last renewal, before the %s lease expired", gap, leaseDuration)
	case took > leaseDuration+10*time.Second: // the lease, two retry periods with jitter, and a slow machine's slack
		t.Errorf("the standby took over %s after the leader died; the lease is %s", took, leaseDuration)
	}
	leadAt := time.Now()
	for _, line := range strings.Split(second.logs(), "\n") {
		var entry struct {
			Time    time.Time `json:"time"`
			Msg     string    `json:"msg"`
			Leading bool      `json:"leading"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "leadership changed" && entry.Leading {
			leadAt = entry.Time
		}
	}

	// The new leader writes: a VPA made now can only get its status from it.
	createVPA(t, c, "steady", "steady", []string{"pacer"})
	waitVPAWritten(t, c, "steady", 60*time.Second)
	second.waitCycles(t, 1)
	second.stop(t)

	// Each replica wrote only while it led, and etcd stored exactly the
	// writes the two logged: no write from anyone else, none twice.
	firstWrites, secondWrites := first.writes(t), second.writes(t)
	for _, w := range firstWrites {
		if w.at.After(killed) {
			t.Errorf("the killed replica logged a write at %s, after it was killed at %s", w.at, killed)
		}
	}
	for _, w := range secondWrites {
		if w.at.Before(leadAt) {
			t.Errorf("the standby wrote %s at %s, before it led at %s", w.object, w.at, leadAt)
		}
	}
	if len(secondWrites) == 0 {
		t.Error("the new leader logged no write")
	}
	checkStoredWrites(t, c, append(firstWrites, secondWrites...), map[string]string{
		"VerticalPodAutoscaler/demo/alloc":    etcdKey(vpaResource, "alloc"),
		"VerticalPodAutoscaler/demo/steady":   etcdKey(vpaResource, "steady"),
		"HorizontalPodAutoscaler/demo/steady": etcdKey(hpaResource, "steady"),
	})

	// managedFields: both replicas write as the one field manager pacer,
	// so the objects show a single pacer entry, whoever led.
	for _, name := range []string{"alloc", "steady"} {
		var pacers []string
		for _, e := range getVPA(t, c, name).ManagedFields {
			if e.Manager == vpa.FieldManager {
				pacers = append(pacers, string(e.Operation)+" "+e.Subresource)
			}
		}
		if len(pacers) != 1 || pacers[0] != "Update status" {
			t.Errorf("VPA %s: pacer's managedFields entries %q, want one status update", name, pacers)
		}
	}
	h, err := c.Client().AutoscalingV2().HorizontalPodAutoscalers("demo").Get(context.Background(), "steady", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pacers []string
	for _, e := range h.ManagedFields {
		if e.Manager == hpa.DefaultFieldManager {
			pacers = append(pacers, string(e.Operation))
		}
	}
	if len(pacers) != 1 || pacers[0] != "Apply" {
		t.Errorf("HPA steady: pacer's managedFields entries %q, want one apply", pacers)
	}

	// Events name the replica that sent them: the dead leader's all came
	// before it died, the new leader's all after it led.
	events, err := c.Client().CoreV1().Events("demo").List(context.Background(), metav1.ListOptions{FieldSelector: "source=pacer"})
	if err != nil {
		t.Fatal(err)
	}
	byReplica := map[string]int{}
	for _, e := range events.Items {
		byReplica[e.Source.Host]++
		switch e.Source.Host {
		case firstID:
			if e.LastTimestamp.After(killed) {
				t.Errorf("Event %s %s from the killed replica at %s, after it was killed", e.Reason, e.InvolvedObject.Name, e.LastTimestamp)
			}
		case secondID:
			if e.FirstTimestamp.Time.Before(leadAt.Truncate(time.Second)) {
				t.Errorf("Event %s %s from the standby at %s, before it led at %s", e.Reason, e.InvolvedObject.Name, e.FirstTimestamp, leadAt)
			}
		default:
			t.Errorf("Event %s %s from %q, neither replica", e.Reason, e.InvolvedObject.Name, e.Source.Host)
		}
	}
	t.Logf("pacer Events by replica: %v", byReplica)
	if byReplica[secondID] == 0 {
		t.Error("the new leader sent no Event")
	}
}
