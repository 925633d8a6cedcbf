package direct

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	eventrecord "k8s.io/client-go/tools/record"

	"github.com/pacerdev/pacer/recommender"
)

const (
	ns  = "shop"
	mib = 1 << 20
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness runs a Patcher against a fake clientset, which does server-side
// apply with field management (conflicts included) like the API server.
type harness struct {
	t        *testing.T
	client   *fake.Clientset
	now      time.Time
	recorder *eventrecord.FakeRecorder
	p        *Patcher
}

func newHarness(t *testing.T, client *fake.Clientset, o Options) *harness {
	t.Helper()
	h := &harness{t: t, client: client, now: t0, recorder: eventrecord.NewFakeRecorder(100)}
	o.Now = func() time.Time { return h.now }
	o.Recorder = h.recorder
	h.p = New(client, o)
	return h
}

// publish runs one cycle and returns the outcomes Observe was told.
func (h *harness) publish(recs ...recommender.Recommendation) []recommender.Actuation {
	h.t.Helper()
	return h.publishCycle(&recommender.Cycle{At: h.now, Recommendations: recs})
}

func (h *harness) publishCycle(c *recommender.Cycle) []recommender.Actuation {
	h.t.Helper()
	var got []recommender.Actuation
	h.p.o.Observe = func(a recommender.Actuation) { got = append(got, a) }
	if err := h.p.Publish(context.Background(), c); err != nil {
		h.t.Fatalf("Publish: %v", err)
	}
	return got
}

// one runs one cycle with one recommendation and returns its outcome.
func (h *harness) one(rec recommender.Recommendation) recommender.Actuation {
	h.t.Helper()
	got := h.publish(rec)
	if len(got) != 1 {
		h.t.Fatalf("got %d outcomes, want 1: %+v", len(got), got)
	}
	return got[0]
}

// events drains the events recorded so far.
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

// object reads a workload back.
func (h *harness) object(ref recommender.WorkloadRef) object {
	h.t.Helper()
	obj, err := getObject(context.Background(), h.client, ref)
	if err != nil {
		h.t.Fatalf("reading %s: %v", ref, err)
	}
	return obj
}

// container reads a container of a workload's pod template back.
func (h *harness) container(ref recommender.WorkloadRef, name string) corev1.Container {
	h.t.Helper()
	for _, c := range h.object(ref).pod.Containers {
		if c.Name == name {
			return c
		}
	}
	h.t.Fatalf("%s has no container %s", ref, name)
	return corev1.Container{}
}

// writes counts the requests that could change something.
func writes(client *fake.Clientset) int {
	n := 0
	for _, a := range client.Actions() {
		if a.GetVerb() != "get" && a.GetVerb() != "list" && a.GetVerb() != "watch" {
			n++
		}
	}
	return n
}

func applies(client *fake.Clientset) []k8stesting.PatchAction {
	var out []k8stesting.PatchAction
	for _, a := range client.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			out = append(out, p)
		}
	}
	return out
}

// create adds objects as the named field manager would, so that
// managedFields name it as the owner of every field set.
func create(t *testing.T, client *fake.Clientset, manager string, objs ...runtime.Object) {
	t.Helper()
	ctx, opts := context.Background(), metav1.CreateOptions{FieldManager: manager}
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *appsv1.Deployment:
			_, err = client.AppsV1().Deployments(o.Namespace).Create(ctx, o, opts)
		case *appsv1.StatefulSet:
			_, err = client.AppsV1().StatefulSets(o.Namespace).Create(ctx, o, opts)
		case *appsv1.DaemonSet:
			_, err = client.AppsV1().DaemonSets(o.Namespace).Create(ctx, o, opts)
		}
		if err != nil {
			t.Fatalf("creating %T: %v", o, err)
		}
	}
	client.ClearActions()
}

// seed sets requests of a container as pacer's own earlier apply would
// have, so that pacer owns them. (An object without managedFields would
// not do: the API server gives its fields to "before-first-apply" at the
// first apply, and pacer's apply conflicts with that manager.)
func seed(t *testing.T, client *fake.Clientset, w recommender.WorkloadRef, name string, requests map[corev1.ResourceName]string) {
	t.Helper()
	pod := corev1ac.PodSpec().WithContainers(corev1ac.Container().WithName(name).
		WithResources(corev1ac.ResourceRequirements().WithRequests(quantities(requests))))
	if err := applyObject(context.Background(), client, w, applyRequest{pod: pod}, metav1.ApplyOptions{FieldManager: DefaultFieldManager}); err != nil {
		t.Fatalf("seeding %s: %v", w, err)
	}
	client.ClearActions()
}

// edit changes the container app of Deployment web as a person's
// kubectl edit (manager kubectl-edit, an Update) would.
func edit(t *testing.T, client *fake.Clientset, change func(*corev1.Container)) {
	t.Helper()
	ctx := context.Background()
	d, err := client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading web: %v", err)
	}
	change(&d.Spec.Template.Spec.Containers[0])
	if _, err := client.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatalf("editing web: %v", err)
	}
	client.ClearActions()
}

// handBackWeb removes pacer's record from Deployment web, as
// `kubectl annotate deployment web pacer.dev/applied-resources-` does.
func handBackWeb(t *testing.T, client *fake.Clientset) {
	t.Helper()
	patch := []byte(`{"metadata":{"annotations":{"` + AppliedResourcesAnnotation + `":null}}}`)
	if _, err := client.AppsV1().Deployments(ns).Patch(context.Background(), "web", types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: "kubectl-annotate"}); err != nil {
		t.Fatalf("handing web back: %v", err)
	}
	client.ClearActions()
}

// recordOf reads pacer's record on a workload; nil when there is none.
func (h *harness) recordOf(w recommender.WorkloadRef) *record {
	h.t.Helper()
	r, err := readRecord(h.object(w).meta.Annotations)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// forced reports whether an apply was sent with Force.
func forced(p k8stesting.PatchAction) bool {
	force := p.(k8stesting.PatchActionImpl).PatchOptions.Force
	return force != nil && *force
}

// fieldManagers lists the managers that own a field of container app of
// Deployment web, by the FieldsV1 path under the container, such as
// `"f:resources","f:requests","f:cpu"`.
func (h *harness) fieldManagers(path ...string) []string {
	h.t.Helper()
	var out []string
	for _, e := range h.object(web()).meta.ManagedFields {
		var set fieldSet
		if err := json.Unmarshal(e.FieldsV1.GetRawBytes(), &set); err != nil {
			continue
		}
		s := set.child("f:spec").child("f:template").child("f:spec").child("f:containers").child(`k:{"name":"app"}`)
		for _, p := range path[:len(path)-1] {
			s = s.child(p)
		}
		if s.has(path[len(path)-1]) {
			out = append(out, e.Manager)
		}
	}
	return out
}

func ref(kind recommender.WorkloadKind, name string) recommender.WorkloadRef {
	return recommender.WorkloadRef{Namespace: ns, Kind: kind, Name: name}
}

func web() recommender.WorkloadRef { return ref(recommender.KindDeployment, "web") }

// rec is a ready recommendation in mode apply.
func rec(w recommender.WorkloadRef, containers ...recommender.ContainerRecommendation) recommender.Recommendation {
	return recommender.Recommendation{Workload: w, At: t0, Policy: "default", Mode: recommender.ModeApply,
		Outcome: recommender.OutcomeReady, Containers: containers}
}

// sized recommends target for the container app.
func sized(target recommender.Resources) recommender.ContainerRecommendation {
	return sizedContainer("app", target)
}

func sizedContainer(container string, target recommender.Resources) recommender.ContainerRecommendation {
	return recommender.ContainerRecommendation{Container: container, Target: target,
		Reasons: []recommender.Reason{recommender.Changed("cpu.percentile", "cpu_request", 0.1, target.CPURequestCores, time.Hour, nil, "p90")}}
}

// container builds a pod template container: requests and limits as
// "cpu=100m,memory=128Mi"-style maps.
func container(name string, requests, limits map[corev1.ResourceName]string, env ...corev1.EnvVar) corev1.Container {
	c := corev1.Container{Name: name, Image: "registry.example/" + name + ":1", Env: env}
	if len(requests) > 0 {
		c.Resources.Requests = quantities(requests)
	}
	if len(limits) > 0 {
		c.Resources.Limits = quantities(limits)
	}
	return c
}

func quantities(m map[corev1.ResourceName]string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for k, v := range m {
		out[k] = resource.MustParse(v)
	}
	return out
}

func template(containers ...corev1.Container) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}},
		Spec:       corev1.PodSpec{Containers: containers},
	}
}

func deployment(name string, containers ...corev1.Container) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}, Template: template(containers...)}}
}

func statefulSet(name string, containers ...corev1.Container) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.StatefulSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}, Template: template(containers...)}}
}

func daemonSet(name string, containers ...corev1.Container) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}, Template: template(containers...)}}
}

func envValue(c corev1.Container, name string) (corev1.EnvVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return corev1.EnvVar{}, false
}

func quantity(list corev1.ResourceList, name corev1.ResourceName) string {
	q, ok := list[name]
	if !ok {
		return "unset"
	}
	return q.String()
}
