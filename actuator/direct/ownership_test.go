package direct

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pacerdev/pacer/recommender"
)

// kubectlApplied is a Deployment web as `kubectl apply` (client-side)
// creates it: the manager kubectl-client-side-apply owns every field,
// requests and GOMAXPROCS included. Its resourceVersion is 42.
func kubectlApplied(t *testing.T) *fake.Clientset {
	t.Helper()
	client := fake.NewClientset()
	d := deployment("web", container("app", map[corev1.ResourceName]string{cpu: "100m", memory: "128Mi"}, nil,
		corev1.EnvVar{Name: "GOMAXPROCS", Value: "4"}))
	d.ResourceVersion = "42"
	create(t, client, "kubectl-client-side-apply", d)
	return client
}

// sizedApp recommends a CPU request in millicores, 128Mi of memory and
// GOMAXPROCS 2 for the container app of web.
func sizedApp(milliCPU int) recommender.Recommendation {
	return rec(web(), sized(recommender.Resources{CPURequestCores: float64(milliCPU) / 1000, MemoryRequestBytes: 128 * mib, GOMAXPROCS: 2}))
}

// takenOver is kubectlApplied after pacer's first apply, 250m.
func takenOver(t *testing.T, o Options) (*harness, *fake.Clientset) {
	t.Helper()
	client := kubectlApplied(t)
	h := newHarness(t, client, o)
	if a := h.one(sizedApp(250)); a.Action != recommender.ActionWritten {
		t.Fatalf("taking over: %s %q", a.Action, a.Reason)
	}
	h.events()
	client.ClearActions()
	return h, client
}

func TestTakeOverFromKubectlClientSideApply(t *testing.T) {
	client := kubectlApplied(t)
	h := newHarness(t, client, Options{})

	a := h.one(sizedApp(250))

	taken := "taken over from their managers: container app cpu request (kubectl-client-side-apply), container app GOMAXPROCS (kubectl-client-side-apply)"
	if a.Action != recommender.ActionWritten || !strings.Contains(a.Reason, "cpu request 100m → 250m (+150%), GOMAXPROCS 4 → 2 (-50%)") || !strings.Contains(a.Reason, taken) {
		t.Fatalf("got %s %q, want written, taking the fields over", a.Action, a.Reason)
	}
	p := applies(client)
	if len(p) != 1 || !forced(p[0]) || !strings.Contains(string(p[0].GetPatch()), `"resourceVersion":"42"`) {
		t.Fatalf("applies %v, want one forced apply at resourceVersion 42", p)
	}
	app := h.container(web(), "app")
	if e, _ := envValue(app, "GOMAXPROCS"); quantity(app.Resources.Requests, cpu) != "250m" || e.Value != "2" {
		t.Errorf("cpu request %s, GOMAXPROCS %s; want 250m, 2", quantity(app.Resources.Requests, cpu), e.Value)
	}
	// Only the fields pacer set are taken; the memory request, already at
	// the target, stays kubectl's.
	for _, c := range []struct {
		path []string
		want []string
	}{
		{[]string{"f:resources", "f:requests", "f:cpu"}, []string{"pacer"}},
		{[]string{"f:env", `k:{"name":"GOMAXPROCS"}`, "f:value"}, []string{"pacer"}},
		{[]string{"f:resources", "f:requests", "f:memory"}, []string{"kubectl-client-side-apply"}},
		{[]string{"f:image"}, []string{"kubectl-client-side-apply"}},
	} {
		if got := h.fieldManagers(c.path...); !slices.Equal(got, c.want) {
			t.Errorf("%s owned by %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	want := `{"at":"2026-03-01T12:00:00Z","containers":{"app":{"env.GOMAXPROCS":"2","requests.cpu":"250m"}}}`
	if got := h.object(web()).meta.Annotations[AppliedResourcesAnnotation]; got != want {
		t.Errorf("record %s, want %s", got, want)
	}
	if e := h.events(); len(e) != 1 || !strings.HasPrefix(e[0], "Normal ResourcesUpdated pacer set container app: cpu request 100m → 250m") || !strings.Contains(e[0], taken) {
		t.Errorf("events %q, want one ResourcesUpdated naming what was taken over", e)
	}
}

func TestInControlAppliesWithoutForce(t *testing.T) {
	h, client := takenOver(t, Options{})

	// Nothing new: nothing sent.
	h.now = t0.Add(2 * time.Hour)
	if a := h.one(sizedApp(260)); a.Action != recommender.ActionUnchanged {
		t.Fatalf("got %s %q, want unchanged", a.Action, a.Reason)
	}
	if n := writes(client); n != 0 {
		t.Errorf("sent %d writes, want none", n)
	}

	a := h.one(sizedApp(400))
	if a.Action != recommender.ActionWritten || strings.Contains(a.Reason, "taken over") {
		t.Fatalf("got %s %q, want written, taking nothing", a.Action, a.Reason)
	}
	p := applies(client)
	if len(p) != 1 || forced(p[0]) || strings.Contains(string(p[0].GetPatch()), "resourceVersion") {
		t.Fatalf("applies %v, want one apply without force or resourceVersion", p)
	}
	if r := h.recordOf(web()); r.Containers["app"]["requests.cpu"] != "400m" || !r.At.Equal(h.now) {
		t.Errorf("record %s, want 400m at %s", r, h.now)
	}
	if got := h.fieldManagers("f:resources", "f:requests", "f:cpu"); !slices.Equal(got, []string{"pacer"}) {
		t.Errorf("cpu request owned by %v, want pacer alone", got)
	}
}

func TestAnEditBacksOffUntilHandedBack(t *testing.T) {
	h, client := takenOver(t, Options{Current: func(recommender.WorkloadRef) recommender.Current {
		// The inventory says nothing would change: it must not spare the
		// read of a workload pacer backs off from.
		return recommender.Current{Containers: map[string]recommender.Resources{"app": {CPURequestCores: 0.9, MemoryRequestBytes: 128 * mib, GOMAXPROCS: 2}}}
	}})
	edit(t, client, func(c *corev1.Container) { c.Resources.Requests[cpu] = resource.MustParse("300m") })

	// Every later cycle, whatever pacer recommends, is a conflict: nothing
	// written, one warning.
	for i, milliCPU := range []int{600, 900, 300, 50} {
		h.now = t0.Add(time.Duration(i+2) * time.Hour)
		a := h.one(sizedApp(milliCPU))
		if a.Action != recommender.ActionConflict || !strings.Contains(a.Reason, "container app cpu request 250m → 300m (kubectl-edit)") ||
			!strings.Contains(a.Reason, "kubectl annotate deployment -n shop web pacer.dev/applied-resources-") {
			t.Fatalf("cycle %d: got %s %q, want a conflict naming the edit and the hand-back", i, a.Action, a.Reason)
		}
	}
	if n := writes(client); n != 0 {
		t.Errorf("sent %d writes while backing off, want none", n)
	}
	e := h.events()
	if len(e) != 1 || !strings.HasPrefix(e[0], "Warning DirectApplyConflict fields pacer set were changed after it: container app cpu request 250m → 300m (kubectl-edit)") {
		t.Errorf("events %q, want one DirectApplyConflict", e)
	}
	if got := quantity(h.container(web(), "app").Resources.Requests, cpu); got != "300m" {
		t.Errorf("cpu request %s, want the person's 300m", got)
	}

	// Handing back: pacer takes the field over again at the next change.
	handBackWeb(t, client)
	h.now = t0.Add(10 * time.Hour)
	a := h.one(sizedApp(600))
	if a.Action != recommender.ActionWritten || !strings.Contains(a.Reason, "cpu request 300m → 600m") ||
		!strings.Contains(a.Reason, "taken over from their managers: container app cpu request (kubectl-edit)") {
		t.Fatalf("after the hand-back: %s %q, want written, taking the field from kubectl-edit", a.Action, a.Reason)
	}
	if p := applies(client); len(p) != 1 || !forced(p[0]) {
		t.Errorf("applies %v, want one forced", p)
	}
	if got := h.fieldManagers("f:resources", "f:requests", "f:cpu"); !slices.Equal(got, []string{"pacer"}) {
		t.Errorf("cpu request owned by %v, want pacer alone", got)
	}
	if e := h.events(); len(e) != 1 || !strings.HasPrefix(e[0], "Normal ResourcesUpdated") {
		t.Errorf("events %q", e)
	}

	// And the next edit is a new back-off, with a new warning.
	edit(t, client, func(c *corev1.Container) { c.Resources.Requests[cpu] = resource.MustParse("1") })
	h.now = t0.Add(12 * time.Hour)
	if a := h.one(sizedApp(600)); a.Action != recommender.ActionConflict {
		t.Errorf("after a second edit: %s %q", a.Action, a.Reason)
	}
	if e := h.events(); len(e) != 1 || !strings.Contains(e[0], "cpu request 600m → 1 (kubectl-edit)") {
		t.Errorf("events %q, want a new warning", e)
	}
}

func TestAGitOpsControllerReapplyingItsValueBacksPacerOff(t *testing.T) {
	h, client := takenOver(t, Options{})

	// Flux applies its manifest server-side, forced, as kustomize-controller.
	pod := corev1ac.PodSpec().WithContainers(corev1ac.Container().WithName("app").
		WithResources(corev1ac.ResourceRequirements().WithRequests(quantities(map[corev1.ResourceName]string{cpu: "100m"}))))
	if err := applyObject(context.Background(), client, web(), applyRequest{pod: pod},
		metav1.ApplyOptions{FieldManager: "kustomize-controller", Force: true}); err != nil {
		t.Fatal(err)
	}
	client.ClearActions()

	h.now = t0.Add(2 * time.Hour)
	a := h.one(sizedApp(400))
	if a.Action != recommender.ActionConflict || !strings.Contains(a.Reason, "container app cpu request 250m → 100m (kustomize-controller)") {
		t.Fatalf("got %s %q, want a conflict naming kustomize-controller", a.Action, a.Reason)
	}
	if n := writes(client); n != 0 {
		t.Errorf("sent %d writes, want none", n)
	}
}

func TestForcedApplyFailsOnAnEditInBetween(t *testing.T) {
	client := kubectlApplied(t)
	client.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web",
			errors.New("the object has been modified; please apply your changes to the latest version and try again"))
	})
	h := newHarness(t, client, Options{})
	var got []recommender.Actuation
	h.p.o.Observe = func(a recommender.Actuation) { got = append(got, a) }

	err := h.p.Publish(context.Background(), &recommender.Cycle{At: t0, Recommendations: []recommender.Recommendation{sizedApp(250)}})

	if err != nil {
		t.Errorf("Publish returned %v, want nil: a stale read is retried, not an error", err)
	}
	if len(got) != 1 || got[0].Action != recommender.ActionFailed || !strings.Contains(got[0].Reason, "the workload changed after pacer read it") {
		t.Fatalf("outcomes %+v, want one failed", got)
	}
	if quantity(h.container(web(), "app").Resources.Requests, cpu) != "100m" || h.recordOf(web()) != nil {
		t.Errorf("the workload changed")
	}
	if e := h.events(); len(e) != 0 {
		t.Errorf("events %q, want none", e)
	}
	// Not a change: no rate limit.
	client.ClearActions()
	h.now = t0.Add(time.Minute)
	h.publish(sizedApp(250))
	if n := len(applies(client)); n != 1 {
		t.Errorf("sent %d applies on the next cycle, want 1", n)
	}
}

func TestARefusedApplyBacksOff(t *testing.T) {
	h, client := takenOver(t, Options{})
	// Someone takes the field between pacer's read and its apply.
	refuse := true
	client.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return refuse, nil, apierrors.NewApplyConflict([]metav1.StatusCause{{Type: metav1.CauseTypeFieldManagerConflict,
			Message: `conflict with "helm" using apps/v1`, Field: `.spec.template.spec.containers[name="app"].resources.requests.cpu`}},
			"Apply failed with 1 conflict")
	})

	for i := range 3 {
		h.now = t0.Add(time.Duration(i+2) * time.Hour)
		a := h.one(sizedApp(400))
		if a.Action != recommender.ActionConflict || !strings.Contains(a.Reason, `.spec.template.spec.containers[name="app"].resources.requests.cpu (helm)`) {
			t.Fatalf("cycle %d: got %s %q, want a conflict naming helm", i, a.Action, a.Reason)
		}
	}
	// One attempt, not forced; then pacer backs off while the record stays.
	if p := applies(client); len(p) != 1 || forced(p[0]) {
		t.Errorf("applies %v, want one, not forced", p)
	}
	if e := h.events(); len(e) != 1 || !strings.HasPrefix(e[0], "Warning DirectApplyConflict other field managers took fields pacer set") {
		t.Errorf("events %q, want one DirectApplyConflict", e)
	}

	// Handing back lifts it: the next apply takes over, forced.
	refuse = false
	handBackWeb(t, client)
	h.now = t0.Add(10 * time.Hour)
	h.one(sizedApp(400))
	if p := applies(client); len(p) != 1 || !forced(p[0]) {
		t.Errorf("applies %v after the hand-back, want one, forced", p)
	}
}

func TestARecordPacerDidNotWriteIsLeftAlone(t *testing.T) {
	client := fake.NewClientset()
	d := deployment("web", container("app", map[corev1.ResourceName]string{cpu: "100m"}, nil))
	d.Annotations = map[string]string{AppliedResourcesAnnotation: "yes"}
	create(t, client, "kubectl", d)
	h := newHarness(t, client, Options{})

	a := h.one(sizedApp(400))

	if a.Action != recommender.ActionSkipped || !strings.Contains(a.Reason, `annotation pacer.dev/applied-resources "yes" is not what pacer writes`) ||
		!strings.Contains(a.Reason, "kubectl annotate deployment -n shop web pacer.dev/applied-resources-") {
		t.Fatalf("got %s %q, want skipped with the hand-back", a.Action, a.Reason)
	}
	if n := writes(client); n != 0 {
		t.Errorf("sent %d writes, want none", n)
	}
}
