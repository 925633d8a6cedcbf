package hpa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pacerdev/pacer/recommender"
)

func TestSkips(t *testing.T) {
	notReady := recommend(recommender.ModeApply, 850.5, nil)
	notReady.Outcome = recommender.OutcomeInsufficientData
	notReady.Missing = []recommender.Missing{{Signal: recommender.RequestRate, Rule: "horizontal", Reason: "too little history"}}
	noHorizontal := recommend(recommender.ModeApply, 850.5, nil)
	noHorizontal.Horizontal = nil
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		metrics     []autoscalingv2.MetricSpec
		rec         []recommender.Recommendation
		reason      string
	}{
		{name: "workload in mode recommend", rec: []recommender.Recommendation{recommend(recommender.ModeRecommend, 850.5, nil)},
			reason: `the workload's mode is "recommend"`},
		{name: "workload in mode off", rec: []recommender.Recommendation{recommend(recommender.ModeOff, 850.5, nil)},
			reason: `the workload's mode is "off"`},
		{name: "HPA annotation off overrides workload apply", annotations: map[string]string{recommender.ModeAnnotation: "off"},
			rec: []recommender.Recommendation{recommend(recommender.ModeApply, 850.5, nil)}, reason: `the HPA's mode is "off"`},
		{name: "HPA annotation not a mode", annotations: map[string]string{recommender.ModeAnnotation: "yes"},
			rec: []recommender.Recommendation{recommend(recommender.ModeApply, 850.5, nil)}, reason: "want off, recommend or apply"},
		{name: "opted in without a recommendation", annotations: optIn(), reason: "no recommendation for Deployment api"},
		{name: "not ready", rec: []recommender.Recommendation{notReady},
			reason: "recommendation not ready: insufficient_data: request_rate for horizontal: too little history"},
		{name: "no horizontal part", rec: []recommender.Recommendation{noHorizontal}, reason: "no horizontal part"},
		{name: "no metric pacer sets", metrics: []autoscalingv2.MetricSpec{resourceMetric(corev1.ResourceMemory, 80), podsMetric(otherName, "30")},
			rec: []recommender.Recommendation{recommend(recommender.ModeApply, 850.5, nil)}, reason: "no target pacer sets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			metrics := tc.metrics
			if metrics == nil {
				metrics = []autoscalingv2.MetricSpec{podsMetric(rateName, "1000"), resourceMetric(corev1.ResourceCPU, 70)}
			}
			hs := newHarness(t, Options{}, newHPA(tc.annotations, metrics...))
			before := hs.get()
			wantAction(t, hs.cycle(tc.rec...), recommender.ActionSkipped, tc.reason)
			if n := len(hs.applies()); n != 0 {
				t.Errorf("%d applies, want none", n)
			}
			wantEvents(t, hs.events.take())
			if after := hs.get(); !slices.Equal(metricsOwners(after), metricsOwners(before)) || after.Annotations[AppliedMetricsAnnotation] != "" {
				t.Errorf("HPA changed: owners %v, annotations %v", metricsOwners(after), after.Annotations)
			}
		})
	}
}

func TestIgnoresHPAsPacerHasNoSayOn(t *testing.T) {
	hs := newHarness(t, Options{}, newHPA(nil, podsMetric(rateName, "1000")))
	other := recommend(recommender.ModeApply, 850.5, nil)
	other.Workload.Name = "web"
	if err := hs.p.Publish(context.Background(), &recommender.Cycle{Recommendations: []recommender.Recommendation{other}}); err != nil {
		t.Fatal(err)
	}
	if len(hs.acts) != 0 || len(hs.applies()) != 0 {
		t.Errorf("actuations %+v, applies %d; want none for an HPA without annotation or recommendation", hs.acts, len(hs.applies()))
	}
}

func TestOptedInByHPAAnnotation(t *testing.T) {
	hs := newHarness(t, Options{}, newHPA(optIn(), podsMetric(rateName, "1000"), resourceMetric(corev1.ResourceMemory, 80)))
	// The workload is only in mode recommend: the HPA's annotation opts it in.
	a := hs.cycle(recommend(recommender.ModeRecommend, 850.5, nil))
	wantAction(t, a, recommender.ActionWritten, "pods/http_requests_per_second 1k → 850500m", "taking spec.metrics over from kubectl-client-side-apply (Update")

	h := hs.get()
	if got := podsTarget(h); got != "850500m" {
		t.Errorf("pods target %s, want 850500m", got)
	}
	if got := *h.Spec.Metrics[1].Resource.Target.AverageUtilization; got != 80 {
		t.Errorf("memory utilization %d, want 80 untouched", got)
	}
	if got := metricsOwners(h); !slices.Equal(got, []string{"pacer/Apply"}) {
		t.Errorf("spec.metrics owned by %v, want pacer alone", got)
	}
	r, ok, err := readRecord(h.Annotations)
	if !ok || err != nil {
		t.Fatalf("record: %v %v", ok, err)
	}
	if r.Metrics != hashMetrics(h.Spec.Metrics) || r.Targets["pods/http_requests_per_second"] != "850500m" {
		t.Errorf("record %s does not match the live metrics", r)
	}
	apply := hs.applies()[0]
	if force := apply.GetPatchOptions().Force; force == nil || !*force {
		t.Error("taking over is not forced")
	}
	wantEvents(t, hs.events.take(),
		"HorizontalPodAutoscaler Normal TargetUpdated|pacer set pods/http_requests_per_second 1k → 850500m|rules: hpa-target.capacity|taking spec.metrics over from kubectl-client-side-apply")

	// Nothing new: nothing sent.
	wantAction(t, hs.cycle(recommend(recommender.ModeRecommend, 850.5, nil)), recommender.ActionUnchanged, "pods/http_requests_per_second 850500m")
	if n := len(hs.applies()); n != 0 {
		t.Errorf("%d applies for an unchanged target", n)
	}
	wantEvents(t, hs.events.take())

	// In control: a new target is applied without force.
	wantAction(t, hs.cycle(recommend(recommender.ModeRecommend, 900, nil)), recommender.ActionWritten, "850500m → 900")
	apply = hs.applies()[0]
	if force := apply.GetPatchOptions().Force; force != nil && *force {
		t.Error("an apply in control is forced")
	}
	if strings.Contains(string(apply.GetPatch()), "resourceVersion") {
		t.Errorf("an apply in control carries a resourceVersion: %s", apply.GetPatch())
	}
	if got := podsTarget(hs.get()); got != "900" {
		t.Errorf("pods target %s, want 900", got)
	}
	wantEvents(t, hs.events.take(), "Normal TargetUpdated|850500m → 900")
}

func TestOptedInByWorkloadMode(t *testing.T) {
	hs := newHarness(t, Options{RateMetrics: []string{extName, otherName}},
		newHPA(nil, externalMetric(extName, "1000"), objectMetric(otherName, "500")))
	a := hs.cycle(recommend(recommender.ModeApply, 850.5, nil))
	wantAction(t, a, recommender.ActionWritten, "external/pacer_request_rate 1k → 850500m", "object/queue_depth 500 → 850500m")
	h := hs.get()
	if got := h.Spec.Metrics[0].External.Target.AverageValue.String(); got != "850500m" {
		t.Errorf("external averageValue %s, want 850500m", got)
	}
	if sel := h.Spec.Metrics[0].External.Metric.Selector; sel == nil || sel.MatchLabels["workload"] != "api" {
		t.Errorf("external selector %v lost", sel)
	}
	obj := h.Spec.Metrics[1].Object.Target
	if obj.Type != autoscalingv2.ValueMetricType || obj.Value.String() != "850500m" || obj.AverageValue != nil {
		t.Errorf("object target %+v, want value 850500m", obj)
	}
}

func TestCPUUtilizationKeepsScalingPoint(t *testing.T) {
	hs := newHarness(t, Options{}, newHPA(optIn(), podsMetric(rateName, "1000"), resourceMetric(corev1.ResourceCPU, 70)))
	// The pods request 400m + 100m; pacer recommends 900m for app and does
	// not size proxy: 500m → 1 core per pod, so 70% → 35%, at 350m.
	a := hs.cycle(recommend(recommender.ModeApply, 1000, map[string]float64{"app": 0.9}))
	wantAction(t, a, recommender.ActionWritten, "resource/cpu 70% → 35% (CPU request per pod 500m → 1, scaling at 350m)")
	if got := utilization(hs.get(), 1); got != 35 {
		t.Errorf("utilization %d, want 35", got)
	}
	wantEvents(t, hs.events.take(), "TargetUpdated|resource/cpu 70% → 35%|rules: cpu.percentile")

	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 1000, map[string]float64{"app": 0.9})), recommender.ActionUnchanged)

	// The scaling point stays 350m, whatever pacer set since and whether
	// or not the pods run the new request yet: 350m of 700m is 50%.
	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 1000, map[string]float64{"app": 0.6})), recommender.ActionWritten, "35% → 50%")
	if got := utilization(hs.get(), 1); got != 50 {
		t.Errorf("utilization %d, want 50", got)
	}
	// 350m of a 200m request would be 175%: clamped to 100.
	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 1000, map[string]float64{"app": 0.1})), recommender.ActionWritten, "50% → 100%")

	// A recommendation that sizes no CPU leaves the utilization as it is.
	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 1000, nil)), recommender.ActionUnchanged, "resource/cpu 100%")
}

func TestUnknownRequestsLeaveUtilization(t *testing.T) {
	for name, current := range map[string]recommender.Current{
		"nothing known":           {},
		"a container without one": {Containers: map[string]recommender.Resources{"app": {CPURequestCores: 0.4}, "proxy": {}}},
	} {
		t.Run(name, func(t *testing.T) {
			hs := newHarness(t, Options{}, newHPA(optIn(), podsMetric(rateName, "1000"), resourceMetric(corev1.ResourceCPU, 70)))
			hs.current = current
			a := hs.cycle(recommend(recommender.ModeApply, 850.5, map[string]float64{"app": 0.9}))
			wantAction(t, a, recommender.ActionWritten, "1k → 850500m")
			if strings.Contains(a.Reason, "resource/cpu") {
				t.Errorf("reason %q changes CPU", a.Reason)
			}
			h := hs.get()
			if got := utilization(h, 1); got != 70 {
				t.Errorf("utilization %d, want 70 untouched", got)
			}
			if r, _, _ := readRecord(h.Annotations); len(r.ScaleAtCores) != 0 {
				t.Errorf("record %s holds a scaling point", r)
			}
		})
	}
}

func TestAlreadyAtTargetSendsNothing(t *testing.T) {
	hs := newHarness(t, Options{}, newHPA(optIn(), podsMetric(rateName, "850500m")))
	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 850.5, nil)), recommender.ActionUnchanged, "already at pacer's values")
	if n := len(hs.applies()); n != 0 {
		t.Errorf("%d applies, want none", n)
	}
	if h := hs.get(); h.Annotations[AppliedMetricsAnnotation] != "" || !slices.Equal(metricsOwners(h), []string{"kubectl-client-side-apply/Update"}) {
		t.Errorf("pacer took the HPA without changing a target: %v", metricsOwners(h))
	}
}

// takeOver lets pacer set 850500m on a fresh opted-in HPA.
func takeOver(t *testing.T) *harness {
	t.Helper()
	hs := newHarness(t, Options{}, newHPA(optIn(), podsMetric(rateName, "1000"), resourceMetric(corev1.ResourceCPU, 70)))
	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 850.5, nil)), recommender.ActionWritten)
	hs.events.take()
	return hs
}

func TestHumanEditBacksOff(t *testing.T) {
	hs := takeOver(t)
	hs.edit("kubectl-edit", func(h *autoscalingv2.HorizontalPodAutoscaler) {
		h.Spec.Metrics[0].Pods.Target.AverageValue = quantity("1200")
	})

	for _, perPod := range []float64{900, 850.5, 2000} {
		a := hs.cycle(recommend(recommender.ModeApply, perPod, nil))
		wantAction(t, a, recommender.ActionConflict, "changed by kubectl-edit (Update",
			"pods/http_requests_per_second 850500m → 1200", "kubectl annotate hpa -n shop api pacer.dev/applied-metrics-")
		if n := len(hs.applies()); n != 0 {
			t.Fatalf("%d applies after a person took the field", n)
		}
		wantEvents(t, hs.events.take(), "HorizontalPodAutoscaler Warning HPATargetConflict|kubectl-edit|850500m → 1200|pacer would set")
		if got := podsTarget(hs.get()); got != "1200" {
			t.Fatalf("pods target %s, want the person's 1200", got)
		}
	}
}

func TestHandingBack(t *testing.T) {
	hs := takeOver(t)
	hs.edit("kubectl-edit", func(h *autoscalingv2.HorizontalPodAutoscaler) {
		h.Spec.Metrics[0].Pods.Target.AverageValue = quantity("1200")
		h.Spec.Metrics[1].Resource.Target.AverageUtilization = ptr(int32(60))
	})
	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 900, map[string]float64{"app": 0.9})), recommender.ActionConflict)

	hs.edit("kubectl-annotate", func(h *autoscalingv2.HorizontalPodAutoscaler) {
		delete(h.Annotations, AppliedMetricsAnnotation)
	})
	// pacer takes over again, from the person's values: 60% of 500m is
	// the scaling point now, 300m of 1 core is 30%.
	a := hs.cycle(recommend(recommender.ModeApply, 900, map[string]float64{"app": 0.9}))
	wantAction(t, a, recommender.ActionWritten, "1200 → 900", "60% → 30%", "taking spec.metrics over from kubectl-edit (Update")
	if force := hs.applies()[0].GetPatchOptions().Force; force == nil || !*force {
		t.Error("taking over again is not forced")
	}
	h := hs.get()
	if got := metricsOwners(h); !slices.Equal(got, []string{"pacer/Apply"}) {
		t.Errorf("spec.metrics owned by %v, want pacer alone", got)
	}
	if _, ok, _ := readRecord(h.Annotations); !ok {
		t.Error("no record after taking over")
	}
	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 900, map[string]float64{"app": 0.9})), recommender.ActionUnchanged)
}

func TestServerSideApplyCoOwner(t *testing.T) {
	hs := takeOver(t)
	// A person applies the values pacer set: both own the list now.
	if err := hs.serverSideApply("kubectl", hs.get().Spec.Metrics, false); err != nil {
		t.Fatal(err)
	}
	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 850.5, nil)), recommender.ActionUnchanged)
	a := hs.cycle(recommend(recommender.ModeApply, 900, nil))
	wantAction(t, a, recommender.ActionConflict, "kubectl (Apply", "also applied spec.metrics", "850500m → 900")
	if n := len(hs.applies()); n != 0 {
		t.Errorf("%d applies over a co-owner", n)
	}
	wantEvents(t, hs.events.take(), "Warning HPATargetConflict|kubectl (Apply")
}

func TestForcedServerSideApplyBacksOff(t *testing.T) {
	hs := takeOver(t)
	metrics := hs.get().Spec.Metrics
	metrics[0].Pods.Target.AverageValue = quantity("1200")
	if err := hs.serverSideApply("argocd-controller", metrics, true); err != nil {
		t.Fatal(err)
	}
	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 900, nil)), recommender.ActionConflict,
		"changed by argocd-controller (Apply", "850500m → 1200")
	if n := len(hs.applies()); n != 0 {
		t.Errorf("%d applies", n)
	}
}

func TestEditedBackStillBacksOff(t *testing.T) {
	hs := takeOver(t)
	for _, v := range []string{"1200", "850500m"} {
		hs.edit("kubectl-edit", func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Metrics[0].Pods.Target.AverageValue = quantity(v)
		})
	}
	// The values are pacer's again, but the field is the person's.
	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 900, nil)), recommender.ActionConflict,
		"kubectl-edit (Update", "took spec.metrics over from pacer")
	if n := len(hs.applies()); n != 0 {
		t.Errorf("%d applies", n)
	}
}

func TestTakesOverFromServerSideApply(t *testing.T) {
	hs := newHarness(t, Options{}, nil)
	if err := hs.serverSideApply("kubectl", []autoscalingv2.MetricSpec{podsMetric(rateName, "1000")}, false); err != nil {
		t.Fatal(err)
	}
	hs.edit("kubectl-annotate", func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Annotations = optIn() })
	wantAction(t, hs.cycle(recommend(recommender.ModeApply, 850.5, nil)), recommender.ActionWritten, "taking spec.metrics over from kubectl (Apply")
	if got := metricsOwners(hs.get()); !slices.Equal(got, []string{"pacer/Apply"}) {
		t.Errorf("spec.metrics owned by %v, want pacer alone", got)
	}
}

func TestServerRefusesWithoutManagedFields(t *testing.T) {
	hs := takeOver(t)
	if err := hs.serverSideApply("kubectl", hs.get().Spec.Metrics, false); err != nil {
		t.Fatal(err)
	}
	// A lister that strips managedFields leaves the judgment to the API
	// server: the apply is not forced, and it refuses.
	stripped := ListerFunc(func(ctx context.Context) ([]*autoscalingv2.HorizontalPodAutoscaler, error) {
		h := hs.get()
		h.ManagedFields = nil
		return []*autoscalingv2.HorizontalPodAutoscaler{h}, nil
	})
	hs.p = New(hs.cs.AutoscalingV2(), stripped, hs.p.o)
	a := hs.cycle(recommend(recommender.ModeApply, 900, nil))
	wantAction(t, a, recommender.ActionConflict, "the API server refused pacer's apply", `conflict with "kubectl"`)
	if force := hs.applies()[0].GetPatchOptions().Force; force != nil && *force {
		t.Error("the apply is forced")
	}
	wantEvents(t, hs.events.take(), "Warning HPATargetConflict|refused")
	if got := podsTarget(hs.get()); got != "850500m" {
		t.Errorf("pods target %s, want 850500m kept", got)
	}
}

func TestDryRun(t *testing.T) {
	hs := newHarness(t, Options{DryRun: true}, newHPA(optIn(), podsMetric(rateName, "1000"), resourceMetric(corev1.ResourceCPU, 70)))
	a := hs.cycle(recommend(recommender.ModeApply, 850.5, map[string]float64{"app": 0.9}))
	wantAction(t, a, recommender.ActionDryRun, "would set pods/http_requests_per_second 1k → 850500m, resource/cpu 70% → 35%")
	if n := len(hs.applies()); n != 0 {
		t.Errorf("%d applies in dry-run mode", n)
	}
	wantEvents(t, hs.events.take())
	if h := hs.get(); podsTarget(h) != "1k" || h.Annotations[AppliedMetricsAnnotation] != "" {
		t.Errorf("dry run changed the HPA: %s %v", podsTarget(h), h.Annotations)
	}

	// A conflict is reported, without an event.
	live := takeOver(t)
	live.edit("kubectl-edit", func(h *autoscalingv2.HorizontalPodAutoscaler) {
		h.Spec.Metrics[0].Pods.Target.AverageValue = quantity("1200")
	})
	live.p = New(live.cs.AutoscalingV2(), ClientLister(live.cs.AutoscalingV2(), ns), Options{DryRun: true,
		Recorder: live.events, Observe: live.p.o.Observe})
	wantAction(t, live.cycle(recommend(recommender.ModeApply, 900, nil)), recommender.ActionConflict, "kubectl-edit")
	wantEvents(t, live.events.take())
}

func TestApplyErrors(t *testing.T) {
	gr := schema.GroupResource{Group: "autoscaling", Resource: "horizontalpodautoscalers"}
	for _, tc := range []struct {
		name    string
		err     error
		action  recommender.Action
		reason  string
		returns bool
		event   string
	}{
		{name: "changed since read", err: apierrors.NewConflict(gr, "api", errors.New("the object has been modified")),
			action: recommender.ActionFailed, reason: "changed after pacer read it"},
		{name: "deleted", err: apierrors.NewNotFound(gr, "api"), action: recommender.ActionSkipped, reason: "deleted"},
		{name: "forbidden", err: apierrors.NewForbidden(gr, "api", errors.New("no patch")), action: recommender.ActionFailed,
			reason: "applying the metric targets of HorizontalPodAutoscaler shop/api", returns: true, event: "Warning TargetUpdateFailed|forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, Options{}, newHPA(optIn(), podsMetric(rateName, "1000")))
			hs.cs.PrependReactor("patch", "horizontalpodautoscalers", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, tc.err
			})
			err := hs.p.Publish(context.Background(), &recommender.Cycle{Recommendations: []recommender.Recommendation{recommend(recommender.ModeApply, 850.5, nil)}})
			if (err != nil) != tc.returns {
				t.Errorf("Publish returned %v", err)
			}
			wantAction(t, hs.acts[0], tc.action, tc.reason)
			var want []string
			if tc.event != "" {
				want = append(want, tc.event)
			}
			wantEvents(t, hs.events.take(), want...)
		})
	}
}

func TestTakeOverCarriesResourceVersion(t *testing.T) {
	h := newHPA(optIn(), podsMetric(rateName, "1000"))
	h.ResourceVersion = "42"
	pl := planner{fieldManager: DefaultFieldManager, rateMetrics: []string{rateName}}.
		plan(h, ptr(recommend(recommender.ModeApply, 850.5, nil)), recommender.Current{})
	ac, err := applyConfiguration(h, pl)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(ac)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Metadata metav1.ObjectMeta                         `json:"metadata"`
		Spec     autoscalingv2.HorizontalPodAutoscalerSpec `json:"spec"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if !pl.force || got.Metadata.ResourceVersion != "42" {
		t.Errorf("forced %t with resourceVersion %q, want a forced apply at 42", pl.force, got.Metadata.ResourceVersion)
	}
	if got.Spec.MaxReplicas != 0 || got.Spec.MinReplicas != nil || got.Spec.ScaleTargetRef.Name != "" || len(got.Spec.Metrics) != 1 {
		t.Errorf("the apply claims more than spec.metrics: %s", raw)
	}
}

func ptr[T any](v T) *T { return &v }

// TestConflictRetriesOnAFreshRead: a takeover apply that meets a changed
// HPA (409 on its resourceVersion) reads the HPA again and applies with
// the new resourceVersion, keeping the other writer's change; when the HPA
// changes before every apply, pacer gives up after applyAttempts.
func TestConflictRetriesOnAFreshRead(t *testing.T) {
	for _, tc := range []struct {
		name      string
		conflicts int
		action    recommender.Action
		reason    string
	}{
		{name: "once", conflicts: 1, action: recommender.ActionWritten, reason: "850500m"},
		{name: "every time", conflicts: applyAttempts, action: recommender.ActionFailed, reason: "before each of 3 applies"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, Options{}, newHPA(optIn(), podsMetric(rateName, "1000")))
			applies, gets := 0, 0
			// Another writer labels the HPA between pacer's read and its
			// apply, as many times as the case says.
			hs.cs.PrependReactor("patch", "horizontalpodautoscalers", func(k8stesting.Action) (bool, runtime.Object, error) {
				applies++
				if applies > tc.conflicts {
					return false, nil, nil
				}
				// Through the tracker: the clientset is locked while a reactor runs.
				gvr := autoscalingv2.SchemeGroupVersion.WithResource("horizontalpodautoscalers")
				obj, err := hs.cs.Tracker().Get(gvr, ns, "api")
				if err != nil {
					t.Fatal(err)
				}
				h := obj.(*autoscalingv2.HorizontalPodAutoscaler).DeepCopy()
				h.Labels = map[string]string{"bumped": fmt.Sprint(applies)}
				if err := hs.cs.Tracker().Update(gvr, h, ns); err != nil {
					t.Error(err)
				}
				return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "autoscaling", Resource: "horizontalpodautoscalers"}, "api",
					errors.New("the object has been modified; please apply your changes to the latest version and try again"))
			})
			hs.cs.PrependReactor("get", "horizontalpodautoscalers", func(k8stesting.Action) (bool, runtime.Object, error) {
				gets++
				return false, nil, nil
			})
			a := hs.cycle(recommend(recommender.ModeApply, 850.5, nil))
			wantAction(t, a, tc.action, tc.reason)
			wantApplies, wantGets := min(tc.conflicts+1, applyAttempts), min(tc.conflicts, applyAttempts-1)
			if applies != wantApplies || gets != wantGets {
				t.Errorf("%d applies and %d re-reads, want %d and %d", applies, gets, wantApplies, wantGets)
			}
			h := hs.get()
			if h.Labels["bumped"] != fmt.Sprint(min(tc.conflicts, applyAttempts)) {
				t.Errorf("the other writer's label is %q", h.Labels["bumped"])
			}
			if tc.action == recommender.ActionWritten && podsTarget(h) != "850500m" {
				t.Errorf("target %s after the retry, want 850500m", podsTarget(h))
			}
			if tc.action == recommender.ActionFailed && podsTarget(h) != "1k" {
				t.Errorf("target %s after giving up, want the 1k it had", podsTarget(h))
			}
		})
	}
}
