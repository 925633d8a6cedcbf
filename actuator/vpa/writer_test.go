package vpa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	vpav1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/client/clientset/versioned/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"

	"github.com/pacerdev/pacer/recommender"
)

const ns = "shop"

var (
	t0      = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	vpaGVR  = schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalers"}
	vpaKind = vpav1.SchemeGroupVersion.WithKind("VerticalPodAutoscaler")
)

// vpaFor returns a VPA on Deployment target that names recommenders.
func vpaFor(name, target string, recommenders ...string) *vpav1.VerticalPodAutoscaler {
	v := &vpav1.VerticalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1, ResourceVersion: "1"},
		Spec: vpav1.VerticalPodAutoscalerSpec{
			TargetRef: &autoscalingv1.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: target},
		},
	}
	for _, r := range recommenders {
		v.Spec.Recommenders = append(v.Spec.Recommenders, &vpav1.VerticalPodAutoscalerRecommenderSelector{Name: r})
	}
	return v
}

func withPolicies(v *vpav1.VerticalPodAutoscaler, policies ...vpav1.ContainerResourcePolicy) *vpav1.VerticalPodAutoscaler {
	v.Spec.ResourcePolicy = &vpav1.PodResourcePolicy{ContainerPolicies: policies}
	return v
}

func withStatus(v *vpav1.VerticalPodAutoscaler, s vpav1.VerticalPodAutoscalerStatus) *vpav1.VerticalPodAutoscaler {
	v.Status = s
	return v
}

func workload(name string) recommender.WorkloadRef {
	return recommender.WorkloadRef{Namespace: ns, Kind: recommender.KindDeployment, Name: name}
}

// sized is a container recommendation: target, lower and upper CPU in
// cores and memory in MiB.
func sized(container string, cpu, memMiB float64) recommender.ContainerRecommendation {
	return recommender.ContainerRecommendation{
		Container: container,
		Target:    recommender.Resources{CPURequestCores: cpu, MemoryRequestBytes: memMiB * (1 << 20)},
		Lower:     recommender.Resources{CPURequestCores: cpu / 2, MemoryRequestBytes: memMiB / 2 * (1 << 20)},
		Upper:     recommender.Resources{CPURequestCores: cpu * 2, MemoryRequestBytes: memMiB * 2 * (1 << 20)},
	}
}

func ready(target string, mode recommender.Mode, containers ...recommender.ContainerRecommendation) recommender.Recommendation {
	return recommender.Recommendation{Workload: workload(target), At: t0, Policy: "default", Mode: mode,
		Outcome: recommender.OutcomeReady, Containers: containers}
}

// insufficient is a recommendation for Deployment web that lacks history.
func insufficient(have time.Duration) recommender.Recommendation {
	return recommender.Recommendation{Workload: workload("web"), At: t0, Policy: "default", Mode: recommender.ModeRecommend,
		Outcome: recommender.OutcomeInsufficientData, Missing: []recommender.Missing{
			{Signal: recommender.CPU, Rule: "app", Reason: "too little history", Have: have, Need: time.Hour},
			{Signal: recommender.Memory, Rule: "app", Reason: "stale: newest sample at " + t0.Add(have).Format(time.RFC3339), Have: have, Need: time.Hour},
		}}
}

// resources parses "cpu=250m,memory=512Mi".
func resources(s string) corev1.ResourceList {
	if s == "" {
		return nil
	}
	out := corev1.ResourceList{}
	for kv := range strings.SplitSeq(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		out[corev1.ResourceName(k)] = resource.MustParse(v)
	}
	return out
}

func containerRec(name, target, lower, upper, uncapped string) vpav1.RecommendedContainerResources {
	return vpav1.RecommendedContainerResources{ContainerName: name, Target: resources(target),
		LowerBound: resources(lower), UpperBound: resources(upper), UncappedTarget: resources(uncapped)}
}

// appRec is what ready(…, sized("app", 0.25, 512)) writes without a policy.
var appRec = containerRec("app", "cpu=250m,memory=512Mi", "cpu=125m,memory=256Mi", "cpu=500m,memory=1Gi", "cpu=250m,memory=512Mi")

func condition(status corev1.ConditionStatus, reason string, at time.Time) vpav1.VerticalPodAutoscalerCondition {
	return vpav1.VerticalPodAutoscalerCondition{Type: vpav1.RecommendationProvided, Status: status, Reason: reason,
		LastTransitionTime: metav1.NewTime(at)}
}

type harness struct {
	client   *fake.Clientset
	recorder *record.FakeRecorder
	writer   *Writer
	now      time.Time
	observed []recommender.Actuation
}

func newHarness(t *testing.T, dryRun bool, objects ...runtime.Object) *harness {
	t.Helper()
	h := &harness{client: fake.NewSimpleClientset(objects...), recorder: record.NewFakeRecorder(100), now: t0}
	h.writer = New(h.client.AutoscalingV1(), ClientLister(h.client.AutoscalingV1(), ""), Options{
		DryRun:   dryRun,
		Now:      func() time.Time { return h.now },
		Recorder: h.recorder,
		Observe:  func(a recommender.Actuation) { h.observed = append(h.observed, a) },
	})
	return h
}

// publish runs one cycle and returns what was observed in it.
func (h *harness) publish(t *testing.T, recs ...recommender.Recommendation) ([]recommender.Actuation, error) {
	t.Helper()
	h.observed = nil
	h.client.ClearActions()
	err := h.writer.Publish(context.Background(), &recommender.Cycle{At: h.now, Recommendations: recs})
	return h.observed, err
}

func (h *harness) get(t *testing.T, name string) *vpav1.VerticalPodAutoscaler {
	t.Helper()
	v, err := h.client.AutoscalingV1().VerticalPodAutoscalers(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// writes lists every action since the last publish that could change an object.
func (h *harness) writes() []string {
	var out []string
	for _, a := range h.client.Actions() {
		switch a.GetVerb() {
		case "get", "list", "watch":
			continue
		}
		out = append(out, a.GetVerb()+" "+a.GetResource().Resource+"/"+a.GetSubresource())
	}
	return out
}

// events drains the recorder.
func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func TestPublish(t *testing.T) {
	off := vpav1.ContainerScalingModeOff
	cpuOnly := []corev1.ResourceName{corev1.ResourceCPU}
	tests := []struct {
		name   string
		vpa    *vpav1.VerticalPodAutoscaler
		recs   []recommender.Recommendation
		dryRun bool
		// want: the outcome observed (nil: nothing observed), the
		// recommendation and condition in the VPA afterwards, whether it
		// was written, and the events.
		wantAction     recommender.Action
		wantReason     string
		wantRec        *vpav1.RecommendedPodResources
		wantCondition  *vpav1.VerticalPodAutoscalerCondition
		wantConditionM string // a part of the condition's message
		wantWrite      bool
		wantEvents     []string
	}{
		{
			name:          "a VPA naming pacer gets the recommendation",
			vpa:           vpaFor("web", "web", "pacer"),
			recs:          []recommender.Recommendation{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512))},
			wantAction:    recommender.ActionWritten,
			wantReason:    "app: cpu 250m, memory 512Mi",
			wantRec:       &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{appRec}},
			wantCondition: new(condition(corev1.ConditionTrue, reasonReady, t0)),
			wantWrite:     true,
			wantEvents:    []string{"Normal RecommendationUpdated pacer recommends app: cpu 250m, memory 512Mi"},
		},
		{
			name:          "mode apply writes too",
			vpa:           vpaFor("web", "web", "pacer"),
			recs:          []recommender.Recommendation{ready("web", recommender.ModeApply, sized("app", 0.25, 512))},
			wantAction:    recommender.ActionWritten,
			wantRec:       &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{appRec}},
			wantCondition: new(condition(corev1.ConditionTrue, reasonReady, t0)),
			wantWrite:     true,
			wantEvents:    []string{"Normal RecommendationUpdated pacer recommends app: cpu 250m, memory 512Mi"},
		},
		{
			name: "updateMode Off is written: the VPA itself does not act on it",
			vpa: func() *vpav1.VerticalPodAutoscaler {
				v := vpaFor("web", "web", "pacer")
				v.Spec.UpdatePolicy = &vpav1.PodUpdatePolicy{UpdateMode: new(vpav1.UpdateModeOff)}
				return v
			}(),
			recs:          []recommender.Recommendation{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512))},
			wantAction:    recommender.ActionWritten,
			wantRec:       &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{appRec}},
			wantCondition: new(condition(corev1.ConditionTrue, reasonReady, t0)),
			wantWrite:     true,
			wantEvents:    []string{"Normal RecommendationUpdated pacer recommends app: cpu 250m, memory 512Mi"},
		},
		{
			name: "a VPA naming another recommender is not touched",
			vpa:  vpaFor("web", "web", "custom"),
			recs: []recommender.Recommendation{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512))},
		},
		{
			name: "a VPA naming no recommender belongs to the default one",
			vpa:  vpaFor("web", "web"),
			recs: []recommender.Recommendation{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512))},
		},
		{
			name:       "mode off writes nothing",
			vpa:        vpaFor("web", "web", "pacer"),
			recs:       []recommender.Recommendation{ready("web", recommender.ModeOff, sized("app", 0.25, 512))},
			wantAction: recommender.ActionSkipped,
			wantReason: "mode off",
		},
		{
			name: "insufficient data keeps the last recommendation and says why",
			vpa: withStatus(vpaFor("web", "web", "pacer"), vpav1.VerticalPodAutoscalerStatus{
				Recommendation: &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{appRec}},
				Conditions:     []vpav1.VerticalPodAutoscalerCondition{condition(corev1.ConditionTrue, reasonReady, t0.Add(-time.Hour))},
			}),
			recs:           []recommender.Recommendation{insufficient(10 * time.Minute)},
			wantAction:     recommender.ActionSkipped,
			wantReason:     "insufficient_data",
			wantRec:        &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{appRec}},
			wantCondition:  new(condition(corev1.ConditionFalse, reasonInsufficientData, t0)),
			wantConditionM: "insufficient data: cpu for app: too little history (needs 1h0m0s of history); memory for app: stale (needs 1h0m0s of history); the last recommendation is kept",
			wantWrite:      true,
		},
		{
			name:           "insufficient data on a new VPA writes no numbers",
			vpa:            vpaFor("web", "web", "pacer"),
			recs:           []recommender.Recommendation{insufficient(time.Minute)},
			wantAction:     recommender.ActionSkipped,
			wantReason:     "insufficient_data",
			wantCondition:  new(condition(corev1.ConditionFalse, reasonInsufficientData, t0)),
			wantConditionM: "insufficient data: cpu for app",
			wantWrite:      true,
		},
		{
			name:           "no recommendation for the target",
			vpa:            vpaFor("web", "web", "pacer"),
			recs:           []recommender.Recommendation{ready("other", recommender.ModeRecommend, sized("app", 0.25, 512))},
			wantAction:     recommender.ActionSkipped,
			wantReason:     "no recommendation for the target",
			wantCondition:  new(condition(corev1.ConditionFalse, reasonNoRecommendation, t0)),
			wantConditionM: "no recommendation for Deployment web",
			wantWrite:      true,
		},
		{
			name: "an unsupported target",
			vpa: func() *vpav1.VerticalPodAutoscaler {
				v := vpaFor("jobs", "nightly", "pacer")
				v.Spec.TargetRef = &autoscalingv1.CrossVersionObjectReference{APIVersion: "batch/v1", Kind: "CronJob", Name: "nightly"}
				return v
			}(),
			wantAction:     recommender.ActionSkipped,
			wantReason:     "unsupported target CronJob/nightly",
			wantCondition:  new(condition(corev1.ConditionFalse, reasonUnsupportedTarget, t0)),
			wantConditionM: "the target is CronJob/nightly",
			wantWrite:      true,
		},
		{
			name: "minAllowed and maxAllowed clamp the target and bounds, not the uncapped target",
			vpa: withPolicies(vpaFor("web", "web", "pacer"), vpav1.ContainerResourcePolicy{ContainerName: "app",
				MinAllowed: resources("cpu=300m"), MaxAllowed: resources("cpu=400m,memory=384Mi")}),
			recs:       []recommender.Recommendation{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512))},
			wantAction: recommender.ActionWritten,
			wantReason: "app: cpu 300m, memory 384Mi",
			wantRec: &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{
				containerRec("app", "cpu=300m,memory=384Mi", "cpu=300m,memory=256Mi", "cpu=400m,memory=384Mi", "cpu=250m,memory=512Mi"),
			}},
			wantCondition: new(condition(corev1.ConditionTrue, reasonReady, t0)),
			wantWrite:     true,
			wantEvents:    []string{"Normal RecommendationUpdated pacer recommends app: cpu 300m, memory 384Mi"},
		},
		{
			name: "controlledResources cpu only leaves memory out",
			vpa: withPolicies(vpaFor("web", "web", "pacer"), vpav1.ContainerResourcePolicy{ContainerName: "app",
				ControlledResources: &cpuOnly}),
			recs:       []recommender.Recommendation{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512))},
			wantAction: recommender.ActionWritten,
			wantReason: "app: cpu 250m",
			wantRec: &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{
				containerRec("app", "cpu=250m", "cpu=125m", "cpu=500m", "cpu=250m"),
			}},
			wantCondition: new(condition(corev1.ConditionTrue, reasonReady, t0)),
			wantWrite:     true,
			wantEvents:    []string{"Normal RecommendationUpdated pacer recommends app: cpu 250m"},
		},
		{
			name: "a container with mode Off is left out; the * policy covers the others",
			vpa: withPolicies(vpaFor("web", "web", "pacer"),
				vpav1.ContainerResourcePolicy{ContainerName: "*", MaxAllowed: resources("memory=128Mi")},
				vpav1.ContainerResourcePolicy{ContainerName: "istio-proxy", Mode: &off},
			),
			recs: []recommender.Recommendation{ready("web", recommender.ModeRecommend,
				sized("istio-proxy", 0.1, 64), sized("app", 0.25, 512), sized("log", 0.01, 32))},
			wantAction: recommender.ActionWritten,
			wantReason: "app: cpu 250m, memory 128Mi; log: cpu 10m, memory 32Mi",
			wantRec: &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{
				containerRec("app", "cpu=250m,memory=128Mi", "cpu=125m,memory=128Mi", "cpu=500m,memory=128Mi", "cpu=250m,memory=512Mi"),
				containerRec("log", "cpu=10m,memory=32Mi", "cpu=5m,memory=16Mi", "cpu=20m,memory=64Mi", "cpu=10m,memory=32Mi"),
			}},
			wantCondition: new(condition(corev1.ConditionTrue, reasonReady, t0)),
			wantWrite:     true,
			wantEvents:    []string{"Normal RecommendationUpdated pacer recommends app: cpu 250m, memory 128Mi; log: cpu 10m, memory 32Mi"},
		},
		{
			name:          "every container off writes an empty recommendation",
			vpa:           withPolicies(vpaFor("web", "web", "pacer"), vpav1.ContainerResourcePolicy{ContainerName: "*", Mode: &off}),
			recs:          []recommender.Recommendation{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512))},
			wantAction:    recommender.ActionWritten,
			wantReason:    "no container",
			wantRec:       &vpav1.RecommendedPodResources{},
			wantCondition: new(condition(corev1.ConditionFalse, reasonNoContainers, t0)),
			wantWrite:     true,
		},
		{
			name: "CPU rounds up to millicores, memory up to bytes, zeros are left out",
			vpa:  vpaFor("web", "web", "pacer"),
			recs: []recommender.Recommendation{ready("web", recommender.ModeRecommend, recommender.ContainerRecommendation{
				Container: "app",
				Target:    recommender.Resources{CPURequestCores: 0.29, MemoryRequestBytes: 1000.2},
				Lower:     recommender.Resources{CPURequestCores: 0.2501},
			})},
			wantAction: recommender.ActionWritten,
			wantRec: &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{
				containerRec("app", "cpu=290m,memory=1001", "cpu=251m", "", "cpu=290m,memory=1001"),
			}},
			wantCondition: new(condition(corev1.ConditionTrue, reasonReady, t0)),
			wantWrite:     true,
			wantEvents:    []string{"Normal RecommendationUpdated pacer recommends app: cpu 290m, memory 1001"},
		},
		{
			name: "a status that already holds the recommendation is not written",
			vpa: withStatus(vpaFor("web", "web", "pacer"), vpav1.VerticalPodAutoscalerStatus{
				Recommendation:     &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{appRec}},
				Conditions:         []vpav1.VerticalPodAutoscalerCondition{{Type: vpav1.RecommendationProvided, Status: corev1.ConditionTrue, Reason: reasonReady, Message: `recommended by pacer policy "default"`, LastTransitionTime: metav1.NewTime(t0.Add(-time.Hour)), ObservedGeneration: 1}},
				ObservedGeneration: new(int64(1)),
			}),
			recs:          []recommender.Recommendation{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512))},
			wantAction:    recommender.ActionUnchanged,
			wantReason:    "app: cpu 250m, memory 512Mi",
			wantRec:       &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{appRec}},
			wantCondition: new(condition(corev1.ConditionTrue, reasonReady, t0.Add(-time.Hour))),
		},
		{
			name: "bounds that moved are written without an event",
			vpa: withStatus(vpaFor("web", "web", "pacer"), vpav1.VerticalPodAutoscalerStatus{
				Recommendation: &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{
					containerRec("app", "cpu=250m,memory=512Mi", "cpu=100m,memory=256Mi", "cpu=500m,memory=1Gi", "cpu=250m,memory=512Mi"),
				}},
				Conditions: []vpav1.VerticalPodAutoscalerCondition{condition(corev1.ConditionTrue, reasonReady, t0.Add(-time.Hour))},
			}),
			recs:          []recommender.Recommendation{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512))},
			wantAction:    recommender.ActionWritten,
			wantRec:       &vpav1.RecommendedPodResources{ContainerRecommendations: []vpav1.RecommendedContainerResources{appRec}},
			wantCondition: new(condition(corev1.ConditionTrue, reasonReady, t0.Add(-time.Hour))),
			wantWrite:     true,
		},
		{
			name:       "dry run writes nothing and sends no event",
			vpa:        vpaFor("web", "web", "pacer"),
			recs:       []recommender.Recommendation{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512))},
			dryRun:     true,
			wantAction: recommender.ActionDryRun,
			wantReason: "app: cpu 250m, memory 512Mi",
		},
		{
			name:       "dry run with insufficient data writes no condition",
			vpa:        vpaFor("web", "web", "pacer"),
			recs:       []recommender.Recommendation{insufficient(time.Minute)},
			dryRun:     true,
			wantAction: recommender.ActionSkipped,
			wantReason: "insufficient_data",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.dryRun, tt.vpa)
			observed, err := h.publish(t, tt.recs...)
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			switch {
			case tt.wantAction == "" && len(observed) != 0:
				t.Fatalf("observed %+v, want nothing", observed)
			case tt.wantAction != "" && len(observed) != 1:
				t.Fatalf("observed %+v, want one outcome", observed)
			case tt.wantAction != "":
				a := observed[0]
				if a.Action != tt.wantAction || !strings.Contains(a.Reason, tt.wantReason) {
					t.Errorf("observed %s %q, want %s %q", a.Action, a.Reason, tt.wantAction, tt.wantReason)
				}
				if a.Actuator != "vpa" || a.Object != "VerticalPodAutoscaler/shop/"+tt.vpa.Name || a.Workload.Namespace != ns {
					t.Errorf("observed %+v: wrong actuator, object or workload", a)
				}
			}

			wantWrites := []string(nil)
			if tt.wantWrite {
				wantWrites = []string{"update verticalpodautoscalers/status"}
			}
			if got := h.writes(); fmt.Sprint(got) != fmt.Sprint(wantWrites) {
				t.Errorf("writes %v, want %v", got, wantWrites)
			}

			got := h.get(t, tt.vpa.Name)
			if !tt.wantWrite {
				if !apiequality.Semantic.DeepEqual(got, tt.vpa) {
					t.Errorf("the VPA changed:\n got %+v\nwant %+v", got.Status, tt.vpa.Status)
				}
			}
			if !apiequality.Semantic.DeepEqual(got.Status.Recommendation, tt.wantRec) {
				t.Errorf("recommendation\n got %s\nwant %s", recString(got.Status.Recommendation), recString(tt.wantRec))
			}
			c := providedCondition(got)
			switch {
			case tt.wantCondition == nil && c != nil:
				t.Errorf("condition %+v, want none", *c)
			case tt.wantCondition != nil && c == nil:
				t.Errorf("no RecommendationProvided condition, want %+v", *tt.wantCondition)
			case tt.wantCondition != nil:
				if c.Status != tt.wantCondition.Status || c.Reason != tt.wantCondition.Reason || !c.LastTransitionTime.Equal(&tt.wantCondition.LastTransitionTime) {
					t.Errorf("condition %s %s at %s, want %s %s at %s", c.Status, c.Reason, c.LastTransitionTime, tt.wantCondition.Status, tt.wantCondition.Reason, tt.wantCondition.LastTransitionTime)
				}
				if !strings.Contains(c.Message, tt.wantConditionM) {
					t.Errorf("condition message %q, want it to hold %q", c.Message, tt.wantConditionM)
				}
				if tt.wantWrite && (c.ObservedGeneration != 1 || got.Status.ObservedGeneration == nil || *got.Status.ObservedGeneration != 1) {
					t.Errorf("observed generation not written")
				}
			}
			if got := h.events(); fmt.Sprint(got) != fmt.Sprint(tt.wantEvents) {
				t.Errorf("events %q, want %q", got, tt.wantEvents)
			}
		})
	}
}

func providedCondition(v *vpav1.VerticalPodAutoscaler) *vpav1.VerticalPodAutoscalerCondition {
	for i, c := range v.Status.Conditions {
		if c.Type == vpav1.RecommendationProvided {
			return &v.Status.Conditions[i]
		}
	}
	return nil
}

func recString(r *vpav1.RecommendedPodResources) string {
	if r == nil {
		return "none"
	}
	var parts []string
	for _, c := range r.ContainerRecommendations {
		parts = append(parts, fmt.Sprintf("%s{target %v lower %v upper %v uncapped %v}", c.ContainerName,
			listString(c.Target), listString(c.LowerBound), listString(c.UpperBound), listString(c.UncappedTarget)))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func listString(l corev1.ResourceList) string {
	var parts []string
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := l[name]; ok {
			parts = append(parts, string(name)+"="+q.String())
		}
	}
	return strings.Join(parts, ",")
}

// Conditions that hold are not rewritten, however the numbers behind them
// move, and lastTransitionTime moves only when the condition's status does.
func TestPublishWritesOnlyWhatChanged(t *testing.T) {
	h := newHarness(t, false, vpaFor("web", "web", "pacer"))
	steps := []struct {
		rec        recommender.Recommendation
		wantWrites int
		wantStatus corev1.ConditionStatus
		wantSince  time.Time
	}{
		{insufficient(5 * time.Minute), 1, corev1.ConditionFalse, t0},
		{insufficient(6 * time.Minute), 0, corev1.ConditionFalse, t0},
		{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512)), 1, corev1.ConditionTrue, t0.Add(2 * time.Minute)},
		{ready("web", recommender.ModeRecommend, sized("app", 0.25, 512)), 0, corev1.ConditionTrue, t0.Add(2 * time.Minute)},
		{ready("web", recommender.ModeRecommend, sized("app", 0.3, 512)), 1, corev1.ConditionTrue, t0.Add(2 * time.Minute)},
		{insufficient(7 * time.Minute), 1, corev1.ConditionFalse, t0.Add(5 * time.Minute)},
		{insufficient(8 * time.Minute), 0, corev1.ConditionFalse, t0.Add(5 * time.Minute)},
	}
	for i, s := range steps {
		h.now = t0.Add(time.Duration(i) * time.Minute)
		if _, err := h.publish(t, s.rec); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := len(h.writes()); got != s.wantWrites {
			t.Errorf("step %d: %d writes, want %d", i, got, s.wantWrites)
		}
		v := h.get(t, "web")
		c := providedCondition(v)
		if c == nil || c.Status != s.wantStatus || !c.LastTransitionTime.Time.Equal(s.wantSince) {
			t.Errorf("step %d: condition %+v, want %s since %s", i, c, s.wantStatus, s.wantSince)
		}
		if i >= 2 && v.Status.Recommendation == nil {
			t.Errorf("step %d: the recommendation was dropped", i)
		}
	}
	if got := h.events(); len(got) != 2 {
		t.Errorf("events %q, want one per target change (2)", got)
	}
}

func TestPublishRetriesAConflict(t *testing.T) {
	h := newHarness(t, false, vpaFor("web", "web", "pacer"))
	conflicts := 1
	h.client.PrependReactor("update", "verticalpodautoscalers", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "status" || conflicts == 0 {
			return false, nil, nil
		}
		conflicts--
		// Someone else changed the VPA meanwhile: a label, say. (The
		// tracker, not the client: the client is locked in a reactor.)
		obj, err := h.client.Tracker().Get(vpaGVR, ns, "web")
		if err != nil {
			t.Fatal(err)
		}
		v := obj.(*vpav1.VerticalPodAutoscaler).DeepCopy()
		v.Labels = map[string]string{"team": "shop"}
		if err := h.client.Tracker().Update(vpaGVR, v, ns); err != nil {
			t.Fatal(err)
		}
		return true, nil, apierrors.NewConflict(vpaGVR.GroupResource(), "web", errors.New("the object has been modified"))
	})

	observed, err := h.publish(t, ready("web", recommender.ModeRecommend, sized("app", 0.25, 512)))
	if err != nil {
		t.Fatal(err)
	}
	if len(observed) != 1 || observed[0].Action != recommender.ActionWritten {
		t.Fatalf("observed %+v, want written", observed)
	}
	var verbs []string
	for _, a := range h.client.Actions() {
		verbs = append(verbs, a.GetVerb())
	}
	if want := "[list update get update]"; fmt.Sprint(verbs) != want {
		t.Errorf("actions %v, want %s", verbs, want)
	}
	v := h.get(t, "web")
	if v.Labels["team"] != "shop" || v.Status.Recommendation == nil {
		t.Errorf("the retry lost the other change or the recommendation: %+v", v)
	}
}

func TestPublishGivesUpAfterThreeConflicts(t *testing.T) {
	h := newHarness(t, false, vpaFor("web", "web", "pacer"))
	h.client.PrependReactor("update", "verticalpodautoscalers", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewConflict(vpaGVR.GroupResource(), "web", errors.New("the object has been modified"))
	})
	observed, err := h.publish(t, ready("web", recommender.ModeRecommend, sized("app", 0.25, 512)))
	if err != nil {
		t.Fatalf("a lasting conflict is reported, not returned: %v", err)
	}
	if len(observed) != 1 || observed[0].Action != recommender.ActionConflict {
		t.Fatalf("observed %+v, want conflict", observed)
	}
	if got := len(h.writes()); got != writeAttempts {
		t.Errorf("%d writes, want %d", got, writeAttempts)
	}
}

// A VPA whose write fails is reported and returned; the others are still
// written.
func TestPublishGoesOnAfterAFailure(t *testing.T) {
	h := newHarness(t, false, vpaFor("a", "a", "pacer"), vpaFor("b", "b", "pacer"), vpaFor("c", "c", "pacer"))
	h.client.PrependReactor("update", "verticalpodautoscalers", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.UpdateAction).GetObject().(*vpav1.VerticalPodAutoscaler).Name != "b" {
			return false, nil, nil
		}
		return true, nil, apierrors.NewForbidden(vpaGVR.GroupResource(), "b", errors.New("no RBAC"))
	})
	recs := []recommender.Recommendation{
		ready("a", recommender.ModeRecommend, sized("app", 0.25, 512)),
		ready("b", recommender.ModeRecommend, sized("app", 0.25, 512)),
		ready("c", recommender.ModeRecommend, sized("app", 0.25, 512)),
	}
	observed, err := h.publish(t, recs...)
	if err == nil || !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "shop/b") {
		t.Errorf("Publish: %v, want the forbidden write of shop/b", err)
	}
	var got []string
	for _, a := range observed {
		got = append(got, a.Workload.Name+" "+string(a.Action))
	}
	if want := "[a written b failed c written]"; fmt.Sprint(got) != want {
		t.Errorf("observed %v, want %s", got, want)
	}
	events := h.events()
	if len(events) != 3 || !strings.HasPrefix(events[1], "Warning RecommendationWriteFailed") {
		t.Errorf("events %q, want a warning for b between the updates of a and c", events)
	}
}

func TestPublishSkipsAVPADeletedMeanwhile(t *testing.T) {
	h := newHarness(t, false, vpaFor("web", "web", "pacer"))
	h.client.PrependReactor("update", "verticalpodautoscalers", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(vpaGVR.GroupResource(), "web")
	})
	observed, err := h.publish(t, ready("web", recommender.ModeRecommend, sized("app", 0.25, 512)))
	if err != nil || len(observed) != 1 || observed[0].Action != recommender.ActionSkipped {
		t.Errorf("observed %+v, err %v; want skipped, no error", observed, err)
	}
}

// After a failed cycle the loop still publishes its older view; a VPA
// whose target it lacks is then left alone, not marked.
func TestPublishAfterAFailedCycleMarksNothing(t *testing.T) {
	h := newHarness(t, false, vpaFor("web", "web", "pacer"))
	err := h.writer.Publish(context.Background(), &recommender.Cycle{At: t0, Err: errors.New("prometheus down")})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.writes()) != 0 || len(h.observed) != 1 || h.observed[0].Action != recommender.ActionSkipped {
		t.Errorf("writes %v, observed %+v; want no write and skipped", h.writes(), h.observed)
	}
}

func TestPublishReturnsListErrors(t *testing.T) {
	w := New(fake.NewSimpleClientset().AutoscalingV1(), ListerFunc(func(context.Context) ([]*vpav1.VerticalPodAutoscaler, error) {
		return nil, errors.New("connection refused")
	}), Options{})
	if err := w.Publish(context.Background(), &recommender.Cycle{}); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Publish: %v, want the list error", err)
	}
}

func TestRecommenderNameOption(t *testing.T) {
	client := fake.NewSimpleClientset(vpaFor("web", "web", "pacer-staging"), vpaFor("api", "api", "pacer"))
	var observed []string
	w := New(client.AutoscalingV1(), ClientLister(client.AutoscalingV1(), ns), Options{
		RecommenderName: "pacer-staging",
		Observe:         func(a recommender.Actuation) { observed = append(observed, a.Object) },
	})
	err := w.Publish(context.Background(), &recommender.Cycle{Recommendations: []recommender.Recommendation{
		ready("web", recommender.ModeRecommend, sized("app", 0.25, 512)),
		ready("api", recommender.ModeRecommend, sized("app", 0.25, 512)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[VerticalPodAutoscaler/shop/web]"; fmt.Sprint(observed) != want {
		t.Errorf("observed %v, want %s", observed, want)
	}
}

// Events reference the VPA whatever the recorder's scheme knows: the
// object passed carries its kind.
func TestEventsCarryTheKind(t *testing.T) {
	var kinds []schema.GroupVersionKind
	client := fake.NewSimpleClientset(vpaFor("web", "web", "pacer"))
	w := New(client.AutoscalingV1(), ClientLister(client.AutoscalingV1(), ""), Options{
		Recorder: recorderFunc(func(obj runtime.Object) { kinds = append(kinds, obj.GetObjectKind().GroupVersionKind()) }),
	})
	if err := w.Publish(context.Background(), &recommender.Cycle{Recommendations: []recommender.Recommendation{
		ready("web", recommender.ModeRecommend, sized("app", 0.25, 512)),
	}}); err != nil {
		t.Fatal(err)
	}
	if len(kinds) != 1 || kinds[0] != vpaKind {
		t.Errorf("event objects of kinds %v, want one %v", kinds, vpaKind)
	}
}

type recorderFunc func(obj runtime.Object)

func (f recorderFunc) Eventf(obj runtime.Object, _, _, _ string, _ ...any) { f(obj) }
