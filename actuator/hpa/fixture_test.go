package hpa

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	acv2 "k8s.io/client-go/applyconfigurations/autoscaling/v2"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pacerdev/pacer/recommender"
)

const (
	ns        = "shop"
	rateName  = "http_requests_per_second"
	extName   = "pacer_request_rate"
	otherName = "queue_depth"
)

var api = recommender.WorkloadRef{Namespace: ns, Kind: recommender.KindDeployment, Name: "api"}

// newHPA returns the HPA "api" for Deployment api with the given metrics.
func newHPA(annotations map[string]string, metrics ...autoscalingv2.MetricSpec) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api", Annotations: annotations},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "api"},
			MaxReplicas:    10,
			Metrics:        metrics,
		},
	}
}

func optIn() map[string]string { return map[string]string{recommender.ModeAnnotation: "apply"} }

func quantity(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}

func podsMetric(name, averageValue string) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: name},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: quantity(averageValue)}}}
}

func externalMetric(name, averageValue string) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: name, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"workload": "api"}}},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: quantity(averageValue)}}}
}

func objectMetric(name, value string) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
		DescribedObject: autoscalingv2.CrossVersionObjectReference{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Name: "api"},
		Metric:          autoscalingv2.MetricIdentifier{Name: name},
		Target:          autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: quantity(value)}}}
}

func resourceMetric(name corev1.ResourceName, utilization int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: name, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &utilization}}}
}

// recommend returns a ready recommendation for Deployment api with a
// per-pod target and, per container, a CPU request in cores.
func recommend(mode recommender.Mode, perPod float64, cpu map[string]float64) recommender.Recommendation {
	r := recommender.Recommendation{Workload: api, Policy: "default", Mode: mode, Outcome: recommender.OutcomeReady,
		Horizontal: &recommender.HorizontalRecommendation{CurrentReplicas: 3, DesiredReplicas: 4, TargetPerPod: perPod,
			Reasons: []recommender.Reason{
				recommender.Changed("hpa-target.capacity", "hpa_target", 1000, perPod, time.Hour, nil, "capacity"),
				recommender.Changed("replicas.request-rate", "replicas", 3, 4, time.Minute, nil, "rate"),
			}}}
	for name, cores := range cpu {
		r.Containers = append(r.Containers, recommender.ContainerRecommendation{Container: name,
			Target:  recommender.Resources{CPURequestCores: cores, MemoryRequestBytes: 1 << 28},
			Reasons: []recommender.Reason{recommender.Changed("cpu.percentile", "cpu_request", 0.4, cores, time.Hour, nil, "p90")}})
	}
	return r
}

// recorder keeps the events it is sent.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Eventf(obj runtime.Object, eventtype, reason, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	gvk := obj.GetObjectKind().GroupVersionKind()
	r.events = append(r.events, fmt.Sprintf("%s %s %s: %s", gvk.Kind, eventtype, reason, fmt.Sprintf(format, args...)))
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

// harness runs a Patcher against a fake clientset with server-side apply
// field management (fake.NewClientset).
type harness struct {
	t       *testing.T
	cs      *fake.Clientset
	events  *recorder
	current recommender.Current
	acts    []recommender.Actuation
	p       *Patcher
}

// newHarness creates the HPA as kubectl apply (client-side) would, so its
// fields have an owner.
func newHarness(t *testing.T, o Options, h *autoscalingv2.HorizontalPodAutoscaler) *harness {
	t.Helper()
	hs := &harness{t: t, cs: fake.NewClientset(), events: &recorder{},
		current: recommender.Current{Replicas: 3, Containers: map[string]recommender.Resources{
			"app": {CPURequestCores: 0.4}, "proxy": {CPURequestCores: 0.1}}}}
	if h != nil {
		if _, err := hs.cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(context.Background(), h,
			metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"}); err != nil {
			t.Fatal(err)
		}
	}
	o.Recorder = hs.events
	o.Observe = func(a recommender.Actuation) { hs.acts = append(hs.acts, a) }
	o.Current = func(w recommender.WorkloadRef) recommender.Current {
		if w != api {
			return recommender.Current{}
		}
		return hs.current
	}
	hs.p = New(hs.cs.AutoscalingV2(), ClientLister(hs.cs.AutoscalingV2(), ""), o)
	return hs
}

// cycle publishes the recommendations and returns the one outcome.
func (hs *harness) cycle(recs ...recommender.Recommendation) recommender.Actuation {
	hs.t.Helper()
	hs.cs.ClearActions()
	hs.acts = nil
	if err := hs.p.Publish(context.Background(), &recommender.Cycle{Recommendations: recs}); err != nil {
		hs.t.Fatalf("Publish: %v", err)
	}
	if len(hs.acts) != 1 {
		hs.t.Fatalf("got %d actuations, want 1: %+v", len(hs.acts), hs.acts)
	}
	a := hs.acts[0]
	if a.Actuator != "hpa" || a.Workload != api || a.Object != "HorizontalPodAutoscaler/shop/api" {
		hs.t.Errorf("actuation names %s %s %s", a.Actuator, a.Workload, a.Object)
	}
	return a
}

// applies returns the server-side applies of the last cycle.
func (hs *harness) applies() []k8stesting.PatchActionImpl {
	var out []k8stesting.PatchActionImpl
	for _, a := range hs.cs.Actions() {
		if p, ok := a.(k8stesting.PatchActionImpl); ok && p.GetPatchType() == types.ApplyPatchType {
			out = append(out, p)
		}
	}
	return out
}

func (hs *harness) get() *autoscalingv2.HorizontalPodAutoscaler {
	hs.t.Helper()
	h, err := hs.cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(context.Background(), "api", metav1.GetOptions{})
	if err != nil {
		hs.t.Fatal(err)
	}
	return h
}

// edit changes the HPA as a person would with kubectl edit: an update
// under another field manager.
func (hs *harness) edit(manager string, change func(*autoscalingv2.HorizontalPodAutoscaler)) {
	hs.t.Helper()
	h := hs.get()
	change(h)
	if _, err := hs.cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Update(context.Background(), h,
		metav1.UpdateOptions{FieldManager: manager}); err != nil {
		hs.t.Fatal(err)
	}
}

// serverSideApply applies spec.metrics as a person would with kubectl
// apply --server-side.
func (hs *harness) serverSideApply(manager string, metrics []autoscalingv2.MetricSpec, force bool) error {
	hs.t.Helper()
	raw, err := json.Marshal(metrics)
	if err != nil {
		hs.t.Fatal(err)
	}
	spec := acv2.HorizontalPodAutoscalerSpec().WithMaxReplicas(10).
		WithScaleTargetRef(acv2.CrossVersionObjectReference().WithAPIVersion("apps/v1").WithKind("Deployment").WithName("api"))
	if err := json.Unmarshal(raw, &spec.Metrics); err != nil {
		hs.t.Fatal(err)
	}
	_, err = hs.cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Apply(context.Background(),
		acv2.HorizontalPodAutoscaler("api", ns).WithSpec(spec), metav1.ApplyOptions{FieldManager: manager, Force: force})
	return err
}

// metricsOwners lists the managers that own spec.metrics.
func metricsOwners(h *autoscalingv2.HorizontalPodAutoscaler) []string {
	var out []string
	for _, e := range h.ManagedFields {
		if e.FieldsV1 != nil && ownsSpecField(e.FieldsV1.GetRawBytes(), "f:metrics") {
			out = append(out, e.Manager+"/"+string(e.Operation))
		}
	}
	return out
}

func podsTarget(h *autoscalingv2.HorizontalPodAutoscaler) string {
	return h.Spec.Metrics[0].Pods.Target.AverageValue.String()
}

func utilization(h *autoscalingv2.HorizontalPodAutoscaler, i int) int32 {
	return *h.Spec.Metrics[i].Resource.Target.AverageUtilization
}

func wantAction(t *testing.T, a recommender.Actuation, action recommender.Action, reasonHas ...string) {
	t.Helper()
	if a.Action != action {
		t.Errorf("action %s (%s), want %s", a.Action, a.Reason, action)
	}
	for _, s := range reasonHas {
		if !strings.Contains(a.Reason, s) {
			t.Errorf("reason %q lacks %q", a.Reason, s)
		}
	}
}

func wantEvents(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events %q, want %d", got, len(want))
	}
	for i, w := range want {
		for _, part := range strings.Split(w, "|") {
			if !strings.Contains(got[i], part) {
				t.Errorf("event %q lacks %q", got[i], part)
			}
		}
	}
}
