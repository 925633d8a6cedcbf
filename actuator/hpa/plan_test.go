package hpa

import (
	"math"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pacerdev/pacer/recommender"
)

func TestUtilizationAt(t *testing.T) {
	for _, tc := range []struct {
		scaleAt, request float64
		want             int32
	}{
		{0.35, 1, 35},
		{0.35, 0.5, 70},
		{0.35, 0.7, 50},
		{0.35, 0.2, 100}, // 175% clamped
		{0.001, 4, 1},    // 0.025% clamped
		{0.21, 0.3, 70},  // 69.999…: rounded, not truncated
	} {
		if got := utilizationAt(tc.scaleAt, tc.request); got != tc.want {
			t.Errorf("utilizationAt(%g, %g) = %d, want %d", tc.scaleAt, tc.request, got, tc.want)
		}
	}
}

func TestCPURequests(t *testing.T) {
	cur := recommender.Current{Containers: map[string]recommender.Resources{"app": {CPURequestCores: 0.4}, "proxy": {CPURequestCores: 0.1}}}
	for _, tc := range []struct {
		name             string
		cur              recommender.Current
		cpu              map[string]float64
		container        string
		wantOld, wantNew float64
	}{
		{name: "pod, one container sized", cur: cur, cpu: map[string]float64{"app": 0.9}, wantOld: 0.5, wantNew: 1},
		{name: "pod, both sized", cur: cur, cpu: map[string]float64{"app": 0.9, "proxy": 0.05}, wantOld: 0.5, wantNew: 0.95},
		{name: "pod, a container pacer saw but Kubernetes did not", cur: cur, cpu: map[string]float64{"debug": 1}, wantOld: 0.5},
		{name: "pod, none sized", cur: cur, wantOld: 0.5},
		{name: "pod, nothing known", cpu: map[string]float64{"app": 0.9}},
		{name: "pod, a container without a request",
			cur: recommender.Current{Containers: map[string]recommender.Resources{"app": {CPURequestCores: 0.4}, "proxy": {}}}, cpu: map[string]float64{"app": 0.9}},
		{name: "container", cur: cur, cpu: map[string]float64{"app": 0.9}, container: "app", wantOld: 0.4, wantNew: 0.9},
		{name: "container not sized", cur: cur, cpu: map[string]float64{"app": 0.9}, container: "proxy", wantOld: 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := recommend(recommender.ModeApply, 1000, tc.cpu)
			old, updated := cpuRequests(tc.cur, &rec, tc.container)
			if math.Abs(old-tc.wantOld) > 1e-9 || math.Abs(updated-tc.wantNew) > 1e-9 {
				t.Errorf("cpuRequests = %g, %g; want %g, %g", old, updated, tc.wantOld, tc.wantNew)
			}
		})
	}
}

func TestContainerResourceUtilization(t *testing.T) {
	h := newHPA(optIn(), autoscalingv2.MetricSpec{Type: autoscalingv2.ContainerResourceMetricSourceType,
		ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Name: corev1.ResourceCPU, Container: "app",
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(80))}}})
	cur := recommender.Current{Containers: map[string]recommender.Resources{"app": {CPURequestCores: 0.4}, "proxy": {CPURequestCores: 0.1}}}
	rec := recommend(recommender.ModeApply, 1000, map[string]float64{"app": 0.8})
	pl := planner{fieldManager: DefaultFieldManager}.plan(h, &rec, cur)
	// 80% of 400m is 320m, 40% of 800m.
	if pl.action != recommender.ActionWritten || joinChanges(pl.changes) != "containerresource/cpu/app 80% → 40% (CPU request per container app 400m → 800m, scaling at 320m)" {
		t.Errorf("plan %s: %s", pl.action, pl.reason)
	}
	if pl.record.ScaleAtCores["containerresource/cpu/app"] != 0.32 {
		t.Errorf("record %s", pl.record)
	}
}

func TestMetricsOwnership(t *testing.T) {
	at := func(minute int) *metav1.Time {
		return &metav1.Time{Time: time.Date(2026, 11, 1, 12, minute, 0, 0, time.UTC)}
	}
	fields := metav1.NewFieldsV1
	entries := []metav1.ManagedFieldsEntry{
		{Manager: "pacer", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "autoscaling/v2", Time: at(1),
			FieldsV1: fields(`{"f:metadata":{"f:annotations":{"f:pacer.dev/applied-metrics":{}}},"f:spec":{"f:metrics":{}}}`)},
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "autoscaling/v2", Time: at(5),
			Subresource: "status", FieldsV1: fields(`{"f:status":{"f:currentMetrics":{}}}`)},
		{Manager: "helm", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "autoscaling/v2", Time: at(2),
			FieldsV1: fields(`{"f:spec":{"f:maxReplicas":{},"f:metrics":{}}}`)},
		{Manager: "old-client", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "autoscaling/v1", Time: at(3),
			FieldsV1: fields(`{"f:spec":{"f:targetCPUUtilizationPercentage":{}}}`)},
		{Manager: "kubectl-scale", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "autoscaling/v2", Time: at(4),
			FieldsV1: fields(`{"f:spec":{"f:minReplicas":{}}}`)},
	}
	o := metricsOwnership(entries, "pacer")
	if !o.known || !o.pacer || len(o.others) != 2 || o.others[0].Manager != "old-client" || o.others[1].Manager != "helm" {
		t.Errorf("ownership %+v, want pacer, then old-client and helm, latest first", o)
	}
	if got := names(o.others); got != "old-client (Update at 2026-11-01T12:03:00Z), helm (Update at 2026-11-01T12:02:00Z)" {
		t.Errorf("names %q", got)
	}
	if o := metricsOwnership(nil, "pacer"); o.known || o.pacer {
		t.Errorf("ownership of nothing %+v", o)
	}
}

func TestPlanFromTheRecordAlone(t *testing.T) {
	rec := recommend(recommender.ModeApply, 900, nil)
	pl := planner{fieldManager: DefaultFieldManager, rateMetrics: []string{rateName}}
	applied := newHPA(optIn(), podsMetric(rateName, "850500m"))
	applied.Annotations[AppliedMetricsAnnotation] = record{Metrics: hashMetrics(applied.Spec.Metrics),
		Targets: map[string]string{"pods/" + rateName: "850500m"}}.String()

	// No managedFields (a lister that strips them): the record decides.
	if p := pl.plan(applied, &rec, recommender.Current{}); p.action != recommender.ActionWritten || p.force {
		t.Errorf("as applied: %s (force %t): %s", p.action, p.force, p.reason)
	}
	edited := applied.DeepCopy()
	edited.Spec.Metrics[0].Pods.Target.AverageValue = quantity("1200")
	if p := pl.plan(edited, &rec, recommender.Current{}); p.action != recommender.ActionConflict {
		t.Errorf("edited: %s: %s", p.action, p.reason)
	} else if want := "spec.metrics was changed by an unknown manager (managedFields do not say) after pacer applied it (pods/http_requests_per_second 850500m → 1200)"; p.reason[:len(want)] != want {
		t.Errorf("reason %q", p.reason)
	}

	broken := applied.DeepCopy()
	broken.Annotations[AppliedMetricsAnnotation] = "by hand"
	if p := pl.plan(broken, &rec, recommender.Current{}); p.action != recommender.ActionSkipped || p.reason[:len("annotation pacer.dev/applied-metrics")] != "annotation pacer.dev/applied-metrics" {
		t.Errorf("unreadable record: %s: %s", p.action, p.reason)
	}
}

func TestDiffTargets(t *testing.T) {
	for _, tc := range []struct {
		applied, live map[string]string
		want          string
	}{
		{map[string]string{"pods/a": "1", "resource/cpu": "35%"}, map[string]string{"pods/a": "2", "resource/cpu": "35%"}, "pods/a 1 → 2"},
		{map[string]string{"pods/a": "1"}, map[string]string{}, "pods/a 1 → removed"},
		{map[string]string{"pods/a": "1"}, map[string]string{"pods/a": "1", "resource/cpu": "50%"}, "resource/cpu added at 50%"},
		{map[string]string{"pods/a": "1"}, map[string]string{"pods/a": "1"}, "the targets pacer sets are as it left them; other metrics changed"},
	} {
		if got := diffTargets(tc.applied, tc.live); got != tc.want {
			t.Errorf("diffTargets(%v, %v) = %q, want %q", tc.applied, tc.live, got, tc.want)
		}
	}
}

func TestMilli(t *testing.T) {
	for v, want := range map[float64]string{850.5: "850500m", 1000: "1k", 0.0004: "", 0: "", -5: "", math.NaN(): "", math.Inf(1): ""} {
		q, ok := milli(v)
		if got := q.String(); ok != (want != "") || (ok && got != want) {
			t.Errorf("milli(%g) = %s, %t; want %q", v, got, ok, want)
		}
	}
}
