package kube

import (
	"context"
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/pacerdev/pacer/recommender"
)

func owned(kind, name string) []metav1.OwnerReference {
	yes := true
	return []metav1.OwnerReference{{Kind: kind, Name: name, Controller: &yes}}
}

func template(containers ...corev1.Container) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers}}
}

func testObjects() []runtime.Object {
	three := int32(3)
	app := corev1.Container{Name: "app",
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
		Env: []corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "460MiB"}, {Name: "GOMAXPROCS", Value: "2"}},
	}
	return []runtime.Object{
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api", Labels: map[string]string{"team": "pay"}},
			Spec: appsv1.DeploymentSpec{Replicas: &three, Template: template(app, corev1.Container{Name: "proxy"})}},
		&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api-7d9f8b6c5d", OwnerReferences: owned("Deployment", "api")}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "odd-name", OwnerReferences: owned("ReplicaSet", "api-7d9f8b6c5d")},
			Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled"}}}}}},
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "queue"}, Spec: appsv1.StatefulSetSpec{Template: template(corev1.Container{Name: "app"})}},
		&autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api"},
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "api"}, MaxReplicas: 10}},
	}
}

func vpa(name, kind, target string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
		"metadata": map[string]any{"namespace": "shop", "name": name},
		"spec":     map[string]any{"targetRef": map[string]any{"kind": kind, "name": target}},
	}}
}

func TestLoad(t *testing.T) {
	scheme := runtime.NewScheme()
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme,
		map[schema.GroupVersionResource]string{VPAResource: "VerticalPodAutoscalerList"}, vpa("api-vpa", "Deployment", "api"))
	inv, err := Load(context.Background(), fake.NewClientset(testObjects()...), dyn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindDeployment, Name: "api"}
	cur := inv.Current(api)
	want := recommender.Current{Replicas: 3,
		Containers: map[string]recommender.Resources{
			"app":   {CPURequestCores: 0.25, MemoryRequestBytes: 256 << 20, MemoryLimitBytes: 512 << 20, GOMEMLIMITBytes: 460 << 20, GOMAXPROCS: 2},
			"proxy": {},
		},
		OOMKills: map[string]int{"app": 1},
	}
	if !reflect.DeepEqual(cur, want) {
		t.Errorf("current %+v\nwant %+v", cur, want)
	}
	// Owner references beat the name's shape.
	if got := inv.WorkloadOf(recommender.ContainerRef{Namespace: "shop", Pod: "odd-name", Container: "app"}); got != api {
		t.Errorf("odd-name belongs to %v, want %v", got, api)
	}
	if got := inv.WorkloadOf(recommender.ContainerRef{Namespace: "shop", Pod: "queue-0"}); got.Kind != recommender.KindStatefulSet {
		t.Errorf("unlisted pod queue-0 guessed as %v", got)
	}
	w := inv.Workloads[api]
	if w.HPA == nil || w.HPA.MaxReplicas != 10 || w.HPA.MinReplicas != 1 || !reflect.DeepEqual(w.VPAs, []string{"api-vpa"}) {
		t.Errorf("HPA %+v, VPAs %v", w.HPA, w.VPAs)
	}
	if q := inv.Current(recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindStatefulSet, Name: "queue"}); q.Replicas != 1 {
		t.Errorf("a StatefulSet without replicas runs 1, got %d", q.Replicas)
	}
}

func TestLoadSelectsByLabels(t *testing.T) {
	inv, err := Load(context.Background(), fake.NewClientset(testObjects()...), nil, Options{
		Namespaces: []string{"shop"}, Selector: labels.SelectorFromSet(labels.Set{"team": "pay"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Workloads) != 1 || !inv.Selected(recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindDeployment, Name: "api"}) ||
		inv.Selected(recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindStatefulSet, Name: "queue"}) {
		t.Errorf("selected %v", inv.Workloads)
	}
}
