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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pacerdev/pacer/recommender"
)

const (
	cpu    = corev1.ResourceCPU
	memory = corev1.ResourceMemory
)

func TestPublishSkipsWhatDirectModeMustNotChange(t *testing.T) {
	bigger := sized(recommender.Resources{CPURequestCores: 1})
	covered := ref(recommender.KindDeployment, "covered")
	tests := []struct {
		name   string
		rec    recommender.Recommendation
		err    error
		reason string
	}{
		{"mode recommend", withMode(rec(web(), bigger), recommender.ModeRecommend), nil, `mode "recommend"`},
		{"mode off", withMode(rec(web(), bigger), recommender.ModeOff), nil, `mode "off"`},
		{"not ready", withOutcome(rec(web(), bigger), recommender.OutcomeInsufficientData), nil, "outcome insufficient_data"},
		{"bare pod", rec(ref(recommender.KindPod, "web-0"), bigger), nil, "only Deployments, StatefulSets and DaemonSets"},
		{"covered by a VPA", rec(covered, bigger), nil, "a VerticalPodAutoscaler acts"},
		{"failed cycle", rec(web(), bigger), errors.New("prometheus unreachable"), "the cycle failed (prometheus unreachable)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset(deployment("web", container("app", nil, nil)), deployment("covered", container("app", nil, nil)))
			h := newHarness(t, client, Options{Covered: func(w recommender.WorkloadRef) bool { return w == covered }})
			got := h.publishCycle(&recommender.Cycle{At: t0, Recommendations: []recommender.Recommendation{tt.rec}, Err: tt.err})
			if len(got) != 1 || got[0].Action != recommender.ActionSkipped || !strings.Contains(got[0].Reason, tt.reason) {
				t.Fatalf("got %+v, want skipped with %q", got, tt.reason)
			}
			if got[0].Actuator != "direct" || got[0].Object != objectName(tt.rec.Workload) {
				t.Errorf("actuation names %s %s", got[0].Actuator, got[0].Object)
			}
			if n := len(client.Actions()); n != 0 {
				t.Errorf("sent %d requests, want none: %v", n, client.Actions())
			}
		})
	}
}

func TestPublishAppliesRequestsLimitsAndGoSettings(t *testing.T) {
	client := fake.NewClientset()
	create(t, client, "kubectl", deployment("web",
		container("app", nil, nil, corev1.EnvVar{Name: "LOG_LEVEL", Value: "info"}),
		container("proxy", map[corev1.ResourceName]string{cpu: "50m"}, nil),
		container("log", nil, nil)))
	h := newHarness(t, client, Options{})

	a := h.one(rec(web(), sized(recommender.Resources{
		CPURequestCores: 0.25, MemoryRequestBytes: 200 * mib, MemoryLimitBytes: 320 * mib,
		GOMEMLIMITBytes: 288.4 * mib, GOMAXPROCS: 2,
	}), sizedContainer("log", recommender.Resources{CPURequestCores: 0.01})))

	if a.Action != recommender.ActionWritten {
		t.Fatalf("action %s (%s), want written", a.Action, a.Reason)
	}
	app := h.container(web(), "app")
	for _, c := range []struct{ got, want string }{
		{quantity(app.Resources.Requests, cpu), "250m"},
		{quantity(app.Resources.Requests, memory), "200Mi"},
		{quantity(app.Resources.Limits, memory), "320Mi"},
		{quantity(app.Resources.Limits, cpu), "unset"}, // zero target: no limit written
		{app.Image, "registry.example/app:1"},
	} {
		if c.got != c.want {
			t.Errorf("app: got %s, want %s", c.got, c.want)
		}
	}
	for name, want := range map[string]string{"GOMEMLIMIT": "288MiB", "GOMAXPROCS": "2", "LOG_LEVEL": "info"} {
		if e, _ := envValue(app, name); e.Value != want {
			t.Errorf("env %s = %q, want %q", name, e.Value, want)
		}
	}
	if proxy := h.container(web(), "proxy"); quantity(proxy.Resources.Requests, cpu) != "50m" || len(proxy.Env) != 0 {
		t.Errorf("proxy changed: %+v", proxy)
	}
	if got := quantity(h.container(web(), "log").Resources.Requests, cpu); got != "10m" {
		t.Errorf("log: cpu request %s, want 10m", got)
	}
	obj := h.object(web())
	want := `{"at":"2026-03-01T12:00:00Z","containers":{` +
		`"app":{"env.GOMAXPROCS":"2","env.GOMEMLIMIT":"288MiB","limits.memory":"320Mi","requests.cpu":"250m","requests.memory":"200Mi"},` +
		`"log":{"requests.cpu":"10m"}}}`
	if got := obj.meta.Annotations[AppliedResourcesAnnotation]; got != want {
		t.Errorf("annotation %s = %s, want %s", AppliedResourcesAnnotation, got, want)
	}
	if !slices.ContainsFunc(obj.meta.ManagedFields, func(e metav1.ManagedFieldsEntry) bool {
		return e.Manager == "pacer" && e.Operation == metav1.ManagedFieldsOperationApply
	}) {
		t.Errorf("no managedFields entry for pacer's apply: %+v", obj.meta.ManagedFields)
	}
	for _, p := range applies(client) {
		if p.GetPatchType() != "application/apply-patch+yaml" {
			t.Errorf("patch type %s, want server-side apply", p.GetPatchType())
		}
	}
	events := h.events()
	want = "Normal ResourcesUpdated pacer set container app: cpu request unset → 250m"
	if len(events) != 1 || !strings.HasPrefix(events[0], "Normal ResourcesUpdated pacer set container app: cpu request unset → 250m") ||
		!strings.Contains(events[0], "GOMEMLIMIT unset → 288MiB, GOMAXPROCS unset → 2; container log: cpu request unset → 10m") || !strings.Contains(events[0], `policy "default", rules: cpu.percentile`) {
		t.Errorf("events %q, want one starting %q", events, want)
	}
}

func TestPublishAppliesToStatefulSetsAndDaemonSets(t *testing.T) {
	for _, kind := range []recommender.WorkloadKind{recommender.KindStatefulSet, recommender.KindDaemonSet} {
		t.Run(string(kind), func(t *testing.T) {
			client, w := fake.NewClientset(), ref(kind, "db")
			if kind == recommender.KindStatefulSet {
				create(t, client, "kubectl", statefulSet("db", container("app", nil, nil)))
			} else {
				create(t, client, "kubectl", daemonSet("db", container("app", nil, nil)))
			}
			seed(t, client, w, "app", map[corev1.ResourceName]string{cpu: "100m", memory: "128Mi"})
			h := newHarness(t, client, Options{})
			a := h.one(rec(w, sized(recommender.Resources{CPURequestCores: 0.2, MemoryRequestBytes: 256 * mib})))
			if a.Action != recommender.ActionWritten || a.Object != string(kind)+"/shop/db" {
				t.Fatalf("got %+v, want written", a)
			}
			got := h.container(w, "app")
			if quantity(got.Resources.Requests, cpu) != "200m" || quantity(got.Resources.Requests, memory) != "256Mi" {
				t.Errorf("requests %v", got.Resources.Requests)
			}
			if r := h.recordOf(w); r == nil || r.Containers["app"]["requests.cpu"] != "200m" {
				t.Errorf("record %v, want the cpu request", r)
			}
			if e := h.events(); len(e) != 1 || !strings.Contains(e[0], "cpu request 100m → 200m (+100%)") {
				t.Errorf("events %q", e)
			}
		})
	}
}

func TestPublishLeavesChangesBelowMinChangePercent(t *testing.T) {
	client := fake.NewClientset(deployment("web", container("app", map[corev1.ResourceName]string{cpu: "100m", memory: "128Mi"}, nil)))
	h := newHarness(t, client, Options{})

	a := h.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.108, MemoryRequestBytes: 120 * mib})))

	if a.Action != recommender.ActionUnchanged || !strings.Contains(a.Reason, "every change is below 10%, the largest: container app cpu request 100m → 108m (+8%)") {
		t.Fatalf("got %s %q, want unchanged below 10%%", a.Action, a.Reason)
	}
	if n := writes(client); n != 0 {
		t.Errorf("sent %d writes, want none", n)
	}
	if e := h.events(); len(e) != 0 {
		t.Errorf("events %q, want none", e)
	}
}

// webOwnedByPacer is a Deployment web whose container app has a CPU
// request of 100m that pacer set.
func webOwnedByPacer(t *testing.T) *fake.Clientset {
	t.Helper()
	client := fake.NewClientset()
	create(t, client, "kubectl", deployment("web", container("app", nil, nil)))
	seed(t, client, web(), "app", map[corev1.ResourceName]string{cpu: "100m"})
	return client
}

func TestPublishRateLimitsChanges(t *testing.T) {
	client := webOwnedByPacer(t)
	h := newHarness(t, client, Options{})

	if a := h.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.2}))); a.Action != recommender.ActionWritten {
		t.Fatalf("first change: %s %q", a.Action, a.Reason)
	}
	h.now = t0.Add(59 * time.Minute)
	client.ClearActions()
	a := h.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.4})))
	if a.Action != recommender.ActionSkipped || !strings.Contains(a.Reason, "rate limit: pacer changed the workload at 2026-03-01T12:00:00Z") ||
		!strings.Contains(a.Reason, "next after 2026-03-01T13:00:00Z") {
		t.Fatalf("within the interval: %s %q, want skipped by the rate limit", a.Action, a.Reason)
	}
	if n := len(client.Actions()); n != 0 {
		t.Errorf("sent %d requests within the interval, want none", n)
	}

	h.now = t0.Add(time.Hour)
	if a := h.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.4}))); a.Action != recommender.ActionWritten {
		t.Fatalf("after the interval: %s %q, want written", a.Action, a.Reason)
	}
	if got := quantity(h.container(web(), "app").Resources.Requests, cpu); got != "400m" {
		t.Errorf("cpu request %s, want 400m", got)
	}
	if got := h.recordOf(web()).At; !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("record at %s, want the second change's time", got)
	}
}

func TestRateLimitSurvivesARestart(t *testing.T) {
	client := webOwnedByPacer(t)
	first := newHarness(t, client, Options{MinInterval: 2 * time.Hour})
	if a := first.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.2}))); a.Action != recommender.ActionWritten {
		t.Fatalf("first change: %s %q", a.Action, a.Reason)
	}

	// A new process (a restart, another replica taking the lease) knows
	// only what the workload says.
	second := newHarness(t, client, Options{MinInterval: 2 * time.Hour})
	second.now = t0.Add(90 * time.Minute)
	client.ClearActions()
	a := second.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.4})))
	if a.Action != recommender.ActionSkipped || !strings.Contains(a.Reason, "rate limit: pacer changed the workload at 2026-03-01T12:00:00Z") {
		t.Fatalf("after the restart: %s %q, want skipped by the rate limit", a.Action, a.Reason)
	}
	if n := writes(client); n != 0 {
		t.Errorf("sent %d writes, want none", n)
	}
	second.now = t0.Add(2 * time.Hour)
	if a := second.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.4}))); a.Action != recommender.ActionWritten {
		t.Fatalf("after the interval: %s %q, want written", a.Action, a.Reason)
	}
}

func TestZeroTargetsLeaveFieldsAlone(t *testing.T) {
	// A person set the limits, the memory request and the Go settings;
	// pacer set the CPU request.
	client := fake.NewClientset()
	create(t, client, "kubectl", deployment("web", container("app",
		map[corev1.ResourceName]string{memory: "256Mi"}, map[corev1.ResourceName]string{cpu: "1", memory: "512Mi"},
		corev1.EnvVar{Name: "GOMAXPROCS", Value: "4"}, corev1.EnvVar{Name: "GOMEMLIMIT", Value: "450MiB"})))
	seed(t, client, web(), "app", map[corev1.ResourceName]string{cpu: "100m"})
	h := newHarness(t, client, Options{})

	// Only the CPU request is recommended: no limits, no Go settings.
	a := h.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.3})))

	if a.Action != recommender.ActionWritten {
		t.Fatalf("got %s %q, want written", a.Action, a.Reason)
	}
	for _, note := range []string{"no cpu limit recommended, the current 1 stays", "no memory limit recommended, the current 512Mi stays"} {
		if !strings.Contains(a.Reason, note) {
			t.Errorf("reason %q does not say %q", a.Reason, note)
		}
	}
	app := h.container(web(), "app")
	if got := [...]string{quantity(app.Resources.Requests, cpu), quantity(app.Resources.Requests, memory),
		quantity(app.Resources.Limits, cpu), quantity(app.Resources.Limits, memory)}; got != [...]string{"300m", "256Mi", "1", "512Mi"} {
		t.Errorf("requests and limits %v", got)
	}
	if e, _ := envValue(app, "GOMAXPROCS"); e.Value != "4" {
		t.Errorf("GOMAXPROCS %q, want 4 left alone", e.Value)
	}
	if e, _ := envValue(app, "GOMEMLIMIT"); e.Value != "450MiB" {
		t.Errorf("GOMEMLIMIT %q, want 450MiB left alone", e.Value)
	}
}

func TestLaterAppliesKeepWhatPacerSetBefore(t *testing.T) {
	client := fake.NewClientset()
	create(t, client, "kubectl", deployment("web", container("app", nil, nil)))
	h := newHarness(t, client, Options{})
	if a := h.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.2, MemoryRequestBytes: 256 * mib, GOMEMLIMITBytes: 230 * mib}))); a.Action != recommender.ActionWritten {
		t.Fatalf("first change: %s %q", a.Action, a.Reason)
	}

	// The next recommendation sizes CPU only: the apply must still carry
	// the memory request and GOMEMLIMIT pacer owns, or they would go.
	h.now = t0.Add(2 * time.Hour)
	client.ClearActions()
	if a := h.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.5}))); a.Action != recommender.ActionWritten {
		t.Fatalf("second change: %s %q", a.Action, a.Reason)
	}
	if r := h.recordOf(web()); len(r.Containers["app"]) != 3 || r.Containers["app"]["env.GOMEMLIMIT"] != "230MiB" {
		t.Errorf("record %v, want the three fields pacer holds", r)
	}
	app := h.container(web(), "app")
	if got := quantity(app.Resources.Requests, cpu) + " " + quantity(app.Resources.Requests, memory); got != "500m 256Mi" {
		t.Errorf("requests %s, want 500m 256Mi", got)
	}
	if e, ok := envValue(app, "GOMEMLIMIT"); !ok || e.Value != "230MiB" {
		t.Errorf("GOMEMLIMIT %+v, want 230MiB kept", e)
	}
}

func TestEnvFromValueFromIsLeftAlone(t *testing.T) {
	fromConfig := corev1.EnvVar{Name: "GOMEMLIMIT", ValueFrom: &corev1.EnvVarSource{
		ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "go"}, Key: "gomemlimit"}}}
	fromLimit := corev1.EnvVar{Name: "GOMAXPROCS", ValueFrom: &corev1.EnvVarSource{
		ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}}
	client := fake.NewClientset()
	create(t, client, "kubectl-client-side-apply", deployment("web", container("app", map[corev1.ResourceName]string{cpu: "100m"}, nil, fromConfig, fromLimit)))
	h := newHarness(t, client, Options{})

	// Only the Go settings would change: nothing to do.
	onlyGo := rec(web(), sized(recommender.Resources{CPURequestCores: 0.1, GOMEMLIMITBytes: 400 * mib, GOMAXPROCS: 3}))
	a := h.one(onlyGo)
	if a.Action != recommender.ActionUnchanged || !strings.Contains(a.Reason, "GOMEMLIMIT is set with valueFrom, pacer leaves it alone") ||
		!strings.Contains(a.Reason, "GOMAXPROCS is set with valueFrom") {
		t.Fatalf("got %s %q, want unchanged, naming the valueFrom env", a.Action, a.Reason)
	}

	// Taking the workload over takes the CPU request, not the env.
	a = h.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.3, GOMEMLIMITBytes: 400 * mib, GOMAXPROCS: 3})))
	if a.Action != recommender.ActionWritten || !strings.Contains(a.Reason, "GOMEMLIMIT is set with valueFrom") {
		t.Fatalf("got %s %q, want written, naming the valueFrom env", a.Action, a.Reason)
	}
	if p := applies(client); len(p) != 1 || !forced(p[0]) || strings.Contains(string(p[0].GetPatch()), "env") {
		t.Errorf("applies %d, want one forced apply without env", len(p))
	}
	app := h.container(web(), "app")
	if quantity(app.Resources.Requests, cpu) != "300m" {
		t.Errorf("cpu request %s, want 300m", quantity(app.Resources.Requests, cpu))
	}
	if len(app.Env) != 2 || app.Env[0].Value != "" || app.Env[0].ValueFrom == nil || app.Env[1].Value != "" || app.Env[1].ValueFrom == nil {
		t.Errorf("env %+v, want both valueFrom entries untouched", app.Env)
	}
	if r := h.recordOf(web()); len(r.Containers["app"]) != 1 {
		t.Errorf("record %s, want the cpu request alone", r)
	}
	if got := h.fieldManagers("f:env", `k:{"name":"GOMEMLIMIT"}`, "f:valueFrom"); !slices.Equal(got, []string{"kubectl-client-side-apply"}) {
		t.Errorf("GOMEMLIMIT owned by %v, want kubectl-client-side-apply alone", got)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	client := fake.NewClientset()
	create(t, client, "helm", deployment("web", container("app", map[corev1.ResourceName]string{cpu: "100m"}, nil)))
	h := newHarness(t, client, Options{DryRun: true})
	bigger := rec(web(), sized(recommender.Resources{CPURequestCores: 0.4, GOMAXPROCS: 1}))

	for range 2 { // no rate limit either: nothing was changed
		a := h.one(bigger)
		if a.Action != recommender.ActionDryRun || !strings.HasPrefix(a.Reason, "would set container app: cpu request 100m → 400m (+300%), GOMAXPROCS unset → 1") ||
			!strings.Contains(a.Reason, "would take over from their managers: container app cpu request (helm)") {
			t.Fatalf("got %s %q, want a dry run naming the change and helm", a.Action, a.Reason)
		}
		h.now = h.now.Add(time.Minute)
	}
	if n := writes(client); n != 0 {
		t.Errorf("sent %d writes in dry run, want none", n)
	}
	if e := h.events(); len(e) != 0 {
		t.Errorf("events in dry run: %q", e)
	}
	if r := h.recordOf(web()); r != nil {
		t.Errorf("dry run wrote the record %s", r)
	}
	if got := h.fieldManagers("f:resources", "f:requests", "f:cpu"); !slices.Equal(got, []string{"helm"}) {
		t.Errorf("cpu request owned by %v, want helm alone", got)
	}
}

func TestCurrentSparesTheReadWhenNothingWouldChange(t *testing.T) {
	client := webOwnedByPacer(t)
	current := recommender.Current{Containers: map[string]recommender.Resources{"app": {CPURequestCores: 0.1, MemoryRequestBytes: 128 * mib}}}
	h := newHarness(t, client, Options{Current: func(recommender.WorkloadRef) recommender.Current { return current }})

	a := h.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.105, MemoryRequestBytes: 130 * mib})))
	if a.Action != recommender.ActionUnchanged || !strings.Contains(a.Reason, "below 10%") {
		t.Fatalf("got %s %q, want unchanged", a.Action, a.Reason)
	}
	if n := len(client.Actions()); n != 0 {
		t.Errorf("sent %d requests, want none", n)
	}

	// A value the inventory does not know (no GOMAXPROCS there) means a read.
	a = h.one(rec(web(), sized(recommender.Resources{CPURequestCores: 0.105, GOMAXPROCS: 2})))
	if a.Action != recommender.ActionWritten {
		t.Fatalf("got %s %q, want written", a.Action, a.Reason)
	}
}

func TestPublishReportsEveryWorkloadAndGoesOnAfterOne(t *testing.T) {
	client := fake.NewClientset()
	create(t, client, "kubectl", deployment("a", container("app", nil, nil)), deployment("c", container("app", nil, nil)))
	h := newHarness(t, client, Options{})
	target := sized(recommender.Resources{CPURequestCores: 0.3})

	got := h.publish(
		rec(ref(recommender.KindDeployment, "c"), target),
		rec(ref(recommender.KindDeployment, "b"), target), // deleted meanwhile
		rec(ref(recommender.KindDeployment, "a"), target),
		rec(ref(recommender.KindDeployment, "a"), sized(recommender.Resources{CPURequestCores: 9})), // a duplicate: the first counts
	)

	var summary []string
	for _, a := range got {
		summary = append(summary, a.Workload.Name+" "+string(a.Action))
	}
	if want := []string{"a written", "b skipped", "c written"}; !slices.Equal(summary, want) {
		t.Errorf("outcomes %v, want %v", summary, want)
	}
	if q := quantity(h.container(ref(recommender.KindDeployment, "a"), "app").Resources.Requests, cpu); q != "300m" {
		t.Errorf("a's cpu request %s, want 300m from the first recommendation", q)
	}
}

func TestInconsistentChangeIsSkipped(t *testing.T) {
	client := fake.NewClientset(deployment("web", container("app",
		map[corev1.ResourceName]string{memory: "256Mi"}, map[corev1.ResourceName]string{memory: "512Mi"})))
	h := newHarness(t, client, Options{})

	a := h.one(rec(web(), sized(recommender.Resources{MemoryRequestBytes: 600 * mib})))

	if a.Action != recommender.ActionSkipped || !strings.Contains(a.Reason, "the memory request would be 600Mi, above the memory limit 512Mi") {
		t.Fatalf("got %s %q, want skipped", a.Action, a.Reason)
	}
	if n := writes(client); n != 0 {
		t.Errorf("sent %d writes", n)
	}
}

func withMode(r recommender.Recommendation, m recommender.Mode) recommender.Recommendation {
	r.Mode = m
	return r
}

func withOutcome(r recommender.Recommendation, o recommender.Outcome) recommender.Recommendation {
	r.Outcome = o
	return r
}

func TestFailuresAreReportedAndReturned(t *testing.T) {
	client := webOwnedByPacer(t)
	client.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("RBAC"))
	})
	h := newHarness(t, client, Options{})
	var got []recommender.Actuation
	h.p.o.Observe = func(a recommender.Actuation) { got = append(got, a) }

	err := h.p.Publish(context.Background(), &recommender.Cycle{At: t0, Recommendations: []recommender.Recommendation{
		rec(web(), sized(recommender.Resources{CPURequestCores: 0.3}))}})

	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "applying the resources of Deployment shop/web") {
		t.Errorf("Publish returned %v, want the wrapped Forbidden", err)
	}
	if len(got) != 1 || got[0].Action != recommender.ActionFailed {
		t.Fatalf("outcomes %+v, want one failed", got)
	}
	if e := h.events(); len(e) != 1 || !strings.HasPrefix(e[0], "Warning DirectApplyFailed pacer could not set container app: cpu request 100m → 300m") {
		t.Errorf("events %q", e)
	}
	// A failure is not a change: the next cycle tries again.
	client.ClearActions()
	h.now = t0.Add(time.Minute)
	_ = h.p.Publish(context.Background(), &recommender.Cycle{At: h.now, Recommendations: []recommender.Recommendation{
		rec(web(), sized(recommender.Resources{CPURequestCores: 0.3}))}})
	if n := len(applies(client)); n != 1 {
		t.Errorf("sent %d applies on the next cycle, want 1", n)
	}
}
