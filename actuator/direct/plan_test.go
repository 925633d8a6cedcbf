package direct

import (
	"math"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pacerdev/pacer/recommender"
)

func TestDesiredRoundsAsThePatchOutputDoes(t *testing.T) {
	tests := []struct {
		name   string
		target recommender.Resources
		f      field
		want   string // "" for nothing written
	}{
		{"cpu to millicores, up", recommender.Resources{CPURequestCores: 0.2501}, cpuRequest, "251m"},
		{"cpu float error", recommender.Resources{CPURequestCores: 0.25}, cpuRequest, "250m"},
		{"whole cores", recommender.Resources{CPULimitCores: 2}, cpuLimit, "2"},
		{"memory to MiB, up", recommender.Resources{MemoryRequestBytes: 300e6}, memoryRequest, "287Mi"},
		{"memory GiB", recommender.Resources{MemoryLimitBytes: 1 << 30}, memoryLimit, "1Gi"},
		{"GOMEMLIMIT to MiB, down", recommender.Resources{GOMEMLIMITBytes: 300e6}, goMemLimit, "286MiB"},
		{"GOMEMLIMIT GiB", recommender.Resources{GOMEMLIMITBytes: 2 << 30}, goMemLimit, "2GiB"},
		{"GOMEMLIMIT below a MiB", recommender.Resources{GOMEMLIMITBytes: 1000.7}, goMemLimit, "1000"},
		{"GOMAXPROCS", recommender.Resources{GOMAXPROCS: 3}, goMaxProcs, "3"},
		{"zero request", recommender.Resources{}, cpuRequest, ""},
		{"zero limit: no limit recommended", recommender.Resources{CPURequestCores: 1}, memoryLimit, ""},
		{"zero GOMAXPROCS", recommender.Resources{}, goMaxProcs, ""},
		{"NaN", recommender.Resources{CPURequestCores: math.NaN()}, cpuRequest, ""},
		{"infinite", recommender.Resources{MemoryRequestBytes: math.Inf(1)}, memoryRequest, ""},
		{"negative", recommender.Resources{GOMEMLIMITBytes: -1}, goMemLimit, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := desired(tt.target, tt.f)
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("got %q, want nothing", got.text)
			case tt.want != "" && (got == nil || got.text != tt.want):
				t.Errorf("got %+v, want %q", got, tt.want)
			}
		})
	}
}

func TestLiveOfReadsRequestsLimitsAndEnv(t *testing.T) {
	c := container("app", map[corev1.ResourceName]string{cpu: "0.5"}, map[corev1.ResourceName]string{memory: "1G"},
		corev1.EnvVar{Name: "GOMEMLIMIT", Value: "1G"}, // not a value Go accepts
		corev1.EnvVar{Name: "GOMAXPROCS", Value: "2"},
		corev1.EnvVar{Name: "GOMAXPROCS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}})
	l := liveOf(&c)
	if l.values[cpuRequest] == nil || l.values[cpuRequest].amount != 0.5 {
		t.Errorf("cpu request %+v", l.values[cpuRequest])
	}
	if l.values[memoryLimit] == nil || l.values[memoryLimit].amount != 1e9 || l.values[memoryRequest] != nil {
		t.Errorf("memory %+v %+v", l.values[memoryLimit], l.values[memoryRequest])
	}
	if v := l.values[goMemLimit]; v == nil || v.text != "1G" || v.amount != 0 {
		t.Errorf("GOMEMLIMIT %+v, want the text and no amount", v)
	}
	if !l.fromRef[goMaxProcs] || l.values[goMaxProcs] != nil {
		t.Errorf("GOMAXPROCS: the last entry, with valueFrom, counts: %+v", l)
	}
}

func TestPlan(t *testing.T) {
	app := func(requests, limits map[corev1.ResourceName]string, env ...corev1.EnvVar) []namedLive {
		c := container("app", requests, limits, env...)
		return templateContainers(&corev1.PodSpec{Containers: []corev1.Container{c}})
	}
	req := func(cpuValue, memoryValue string) map[corev1.ResourceName]string {
		m := map[corev1.ResourceName]string{}
		if cpuValue != "" {
			m[cpu] = cpuValue
		}
		if memoryValue != "" {
			m[memory] = memoryValue
		}
		return m
	}
	pacerOwns := func(fields ...field) owners {
		var set [numFields]bool
		for _, f := range fields {
			set[f] = true
		}
		return owners{pacer: map[string][numFields]bool{"app": set}}
	}
	tests := []struct {
		name       string
		minChange  float64
		target     recommender.Resources
		containers []namedLive
		own        owners
		action     recommender.Action
		reason     string // a part of the reason
		applied    string // the fields applied to app, "" for none
	}{
		{name: "already there", target: recommender.Resources{CPURequestCores: 0.1, MemoryRequestBytes: 128 * mib},
			containers: app(req("100m", "128Mi"), nil), action: recommender.ActionUnchanged, reason: "already runs with the recommendation"},
		{name: "the same in other units", target: recommender.Resources{CPURequestCores: 0.5},
			containers: app(req("0.5", ""), nil), action: recommender.ActionUnchanged},
		{name: "below the threshold", target: recommender.Resources{CPURequestCores: 0.109, MemoryRequestBytes: 120 * mib},
			containers: app(req("100m", "128Mi"), nil), action: recommender.ActionUnchanged, reason: "the largest: container app cpu request 100m → 109m (+9%)"},
		{name: "at the threshold", target: recommender.Resources{CPURequestCores: 0.11, MemoryRequestBytes: 130 * mib},
			containers: app(req("100m", "128Mi"), nil), action: recommender.ActionWritten,
			reason: "container app: cpu request 100m → 110m (+10%), memory request 128Mi → 130Mi (+2%)", applied: "cpu request=110m memory request=130Mi"},
		{name: "down counts as much as up", target: recommender.Resources{CPURequestCores: 0.05},
			containers: app(req("100m", ""), nil), action: recommender.ActionWritten, reason: "cpu request 100m → 50m (-50%)"},
		{name: "a value where there was none", target: recommender.Resources{CPURequestCores: 0.1, GOMAXPROCS: 2},
			containers: app(req("100m", ""), nil), action: recommender.ActionWritten, reason: "GOMAXPROCS unset → 2", applied: "cpu request=100m GOMAXPROCS=2"},
		{name: "a value Go does not read", target: recommender.Resources{GOMEMLIMITBytes: 100 * mib},
			containers: app(nil, nil, corev1.EnvVar{Name: "GOMEMLIMIT", Value: "100M"}), action: recommender.ActionWritten, reason: "GOMEMLIMIT 100M → 100MiB"},
		{name: "negative threshold: every difference", minChange: -1, target: recommender.Resources{CPURequestCores: 0.101},
			containers: app(req("100m", ""), nil), action: recommender.ActionWritten},
		{name: "request above a limit left alone", target: recommender.Resources{CPURequestCores: 2},
			containers: app(req("1", ""), map[corev1.ResourceName]string{cpu: "1500m"}), action: recommender.ActionSkipped,
			reason: "container app: the cpu request would be 2, above the cpu limit 1500m"},
		{name: "GOMEMLIMIT above a limit left alone", target: recommender.Resources{GOMEMLIMITBytes: 600 * mib},
			containers: app(nil, map[corev1.ResourceName]string{memory: "512Mi"}), action: recommender.ActionSkipped,
			reason: "the GOMEMLIMIT would be 600MiB, above the memory limit 512Mi"},
		{name: "both sized", target: recommender.Resources{MemoryRequestBytes: 600 * mib, MemoryLimitBytes: 700 * mib},
			containers: app(req("", "256Mi"), map[corev1.ResourceName]string{memory: "512Mi"}), action: recommender.ActionWritten,
			applied: "memory request=600Mi memory limit=700Mi"},
		{name: "fields pacer owns are kept", target: recommender.Resources{CPURequestCores: 0.2},
			containers: app(req("100m", "256Mi"), map[corev1.ResourceName]string{memory: "512Mi"}, corev1.EnvVar{Name: "GOMAXPROCS", Value: "4"}),
			own:        pacerOwns(cpuRequest, memoryRequest, goMaxProcs), action: recommender.ActionWritten,
			applied: "cpu request=200m memory request=256Mi GOMAXPROCS=4"},
		{name: "a container not in the template", target: recommender.Resources{CPURequestCores: 1},
			containers: nil, action: recommender.ActionUnchanged, reason: "no recommended container is in the pod template; container app is not in the pod template"},
		{name: "fields other managers own", target: recommender.Resources{CPURequestCores: 0.2, MemoryRequestBytes: 256 * mib},
			containers: app(req("100m", "256Mi"), nil),
			own:        owners{known: true, others: map[string][numFields][]string{"app": {cpuRequest: {"helm"}, memoryRequest: {"helm"}}}},
			action:     recommender.ActionWritten, applied: "cpu request=200m"},
		{name: "a kept field another manager shares", target: recommender.Resources{CPURequestCores: 0.2},
			containers: app(req("100m", "256Mi"), nil),
			own: owners{known: true, pacer: map[string][numFields]bool{"app": {cpuRequest: true, memoryRequest: true}},
				others: map[string][numFields][]string{"app": {memoryRequest: {"argocd-controller"}}}},
			action: recommender.ActionWritten, applied: "cpu request=200m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			minChange := tt.minChange
			if minChange == 0 {
				minChange = DefaultMinChangePercent
			}
			r := rec(web(), recommender.ContainerRecommendation{Container: "app", Target: tt.target})
			p := planner{minChangePercent: minChange}.plan(&r, tt.containers, tt.own, nil)
			if p.action != tt.action || !strings.Contains(p.reason+"; "+strings.Join(p.notes, "; "), tt.reason) {
				t.Errorf("got %s %q (notes %q), want %s with %q", p.action, p.reason, p.notes, tt.action, tt.reason)
			}
			if tt.applied != "" {
				if got := appliedText(p.containers); got != tt.applied {
					t.Errorf("applies %q, want %q", got, tt.applied)
				}
			}
			wantTaken := ""
			if tt.name == "fields other managers own" {
				wantTaken = "container app cpu request (helm)" // the memory request, at the target, stays helm's
			}
			if got := strings.Join(p.taken, ", "); got != wantTaken {
				t.Errorf("takes %q, want %q", got, wantTaken)
			}
			if !p.force {
				t.Errorf("an apply without a record is not forced")
			}
		})
	}
}

func appliedText(containers []containerPlan) string {
	var parts []string
	for _, c := range containers {
		for f, s := range c.fields {
			if s != nil {
				parts = append(parts, field(f).String()+"="+s.text)
			}
		}
	}
	return strings.Join(parts, " ")
}

func TestOwnersOfReadsManagedFields(t *testing.T) {
	entries := []metav1.ManagedFieldsEntry{
		{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1", FieldsType: "FieldsV1",
			FieldsV1: metav1.NewFieldsV1(`{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{".":{},"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},"f:resources":{".":{},"f:requests":{".":{},"f:cpu":{}}}}}}}}}`)},
		{Manager: "pacer", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "apps/v1", FieldsType: "FieldsV1",
			FieldsV1: metav1.NewFieldsV1(`{"f:metadata":{"f:annotations":{"f:pacer.dev/last-applied-at":{}}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{"k:{\"name\":\"GOMEMLIMIT\"}":{".":{},"f:name":{},"f:value":{}}},"f:name":{},"f:resources":{"f:limits":{"f:memory":{}},"f:requests":{"f:memory":{}}}}}}}}}`)},
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1", Subresource: "status",
			FieldsV1: metav1.NewFieldsV1(`{"f:status":{}}`)},
		{Manager: "broken", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1",
			FieldsV1: metav1.NewFieldsV1(`not json`)},
	}
	o := ownersOf(entries, "pacer")
	if got, want := o.pacer["app"], [numFields]bool{memoryRequest: true, memoryLimit: true, goMemLimit: true}; got != want {
		t.Errorf("pacer owns %v, want %v", got, want)
	}
	if got := o.others["app"][cpuRequest]; len(got) != 1 || got[0] != "kubectl" {
		t.Errorf("cpu request owners %v, want kubectl", got)
	}
	if got := o.others["app"][memoryRequest]; len(got) != 0 {
		t.Errorf("memory request owners %v, want none besides pacer", got)
	}
}

func TestPlanWithARecord(t *testing.T) {
	app := func(requests map[corev1.ResourceName]string, env ...corev1.EnvVar) []namedLive {
		return templateContainers(&corev1.PodSpec{Containers: []corev1.Container{container("app", requests, nil, env...)}})
	}
	held := func(fields ...field) owners {
		var set [numFields]bool
		for _, f := range fields {
			set[f] = true
		}
		return owners{known: true, pacer: map[string][numFields]bool{"app": set}, others: map[string][numFields][]string{}}
	}
	withOthers := func(o owners, f field, managers ...string) owners {
		fields := o.others["app"]
		fields[f] = managers
		o.others["app"] = fields
		return o
	}
	prev := &record{At: t0, Containers: map[string]map[string]string{"app": {"requests.cpu": "250m", "env.GOMAXPROCS": "2"}}}
	gomaxprocs := func(v string) corev1.EnvVar { return corev1.EnvVar{Name: "GOMAXPROCS", Value: v} }
	tests := []struct {
		name       string
		containers []namedLive
		own        owners
		prev       *record
		action     recommender.Action
		force      bool
		lost       string
	}{
		{name: "in control", containers: app(map[corev1.ResourceName]string{cpu: "0.25"}, gomaxprocs("2")), own: held(cpuRequest, goMaxProcs),
			action: recommender.ActionWritten},
		{name: "in control, a new field another manager owns", containers: app(map[corev1.ResourceName]string{cpu: "250m", memory: "100Mi"}, gomaxprocs("2")),
			own: withOthers(held(cpuRequest, goMaxProcs), memoryRequest, "helm"), action: recommender.ActionWritten, force: true},
		{name: "a value changed", containers: app(map[corev1.ResourceName]string{cpu: "300m"}, gomaxprocs("2")),
			own: withOthers(held(goMaxProcs), cpuRequest, "kubectl-edit"), action: recommender.ActionConflict,
			lost: "container app cpu request 250m → 300m (kubectl-edit)"},
		{name: "another owner at pacer's value", containers: app(map[corev1.ResourceName]string{cpu: "250m"}, gomaxprocs("2")),
			own: withOthers(held(cpuRequest, goMaxProcs), goMaxProcs, "argocd-controller"), action: recommender.ActionConflict,
			lost: "container app GOMAXPROCS 2, now also owned by argocd-controller"},
		{name: "a field removed", containers: app(map[corev1.ResourceName]string{cpu: "250m"}), own: held(cpuRequest), action: recommender.ActionConflict,
			lost: "container app GOMAXPROCS 2 → unset"},
		{name: "env set from a ConfigMap", containers: app(map[corev1.ResourceName]string{cpu: "250m"},
			corev1.EnvVar{Name: "GOMAXPROCS", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: "procs"}}}),
			own: withOthers(held(cpuRequest), goMaxProcs, "helm"), action: recommender.ActionConflict, lost: "container app GOMAXPROCS 2 → valueFrom (helm)"},
		{name: "no longer pacer's", containers: app(map[corev1.ResourceName]string{cpu: "250m"}, gomaxprocs("2")), own: held(goMaxProcs),
			action: recommender.ActionConflict, lost: "container app cpu request 250m, no longer owned by pacer"},
		{name: "managedFields unknown", containers: app(map[corev1.ResourceName]string{cpu: "250m"}, gomaxprocs("2")), action: recommender.ActionWritten},
		{name: "the container removed", containers: templateContainers(&corev1.PodSpec{Containers: []corev1.Container{container("other", nil, nil)}}),
			own: held(), action: recommender.ActionUnchanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rec(web(), recommender.ContainerRecommendation{Container: "app", Target: recommender.Resources{
				CPURequestCores: 0.5, MemoryRequestBytes: 128 * mib, GOMAXPROCS: 2}})
			p := planner{minChangePercent: DefaultMinChangePercent}.plan(&r, tt.containers, tt.own, prev)
			if p.action != tt.action || p.force != tt.force {
				t.Fatalf("got %s (forced %t) %q, want %s (forced %t)", p.action, p.force, p.reason, tt.action, tt.force)
			}
			if tt.lost == "" {
				return
			}
			if len(p.lost) != 1 || p.lost[0].String() != tt.lost {
				t.Errorf("lost %v, want %s", p.lost, tt.lost)
			}
			for _, want := range []string{"fields pacer set were changed after it: " + tt.lost, "pacer would set container app: cpu request",
				"kubectl annotate deployment -n shop web pacer.dev/applied-resources-"} {
				if !strings.Contains(p.reason, want) {
					t.Errorf("reason %q does not say %q", p.reason, want)
				}
			}
		})
	}
}

func TestReadRecord(t *testing.T) {
	r := newRecord([]containerPlan{{name: "app", fields: [numFields]*setting{cpuRequest: desired(recommender.Resources{CPURequestCores: 1.5}, cpuRequest),
		goMemLimit: desired(recommender.Resources{GOMEMLIMITBytes: 300 * mib}, goMemLimit)}}}, t0.Add(1500*time.Millisecond))
	want := `{"at":"2026-03-01T12:00:01Z","containers":{"app":{"env.GOMEMLIMIT":"300MiB","requests.cpu":"1500m"}}}`
	if r.String() != want {
		t.Errorf("record %s, want %s", r, want)
	}
	got, err := readRecord(map[string]string{AppliedResourcesAnnotation: want})
	if err != nil || got == nil || got.String() != want {
		t.Errorf("read back %v, %v", got, err)
	}
	if got, err := readRecord(nil); got != nil || err != nil {
		t.Errorf("no annotation: %v, %v", got, err)
	}
	for _, bad := range []string{"2026-03-01T12:00:00Z", `{"containers":{}}`, `{"at":"2026-03-01T12:00:00Z","containers":{"app":{"requests.gpu":"1"}}}`} {
		if _, err := readRecord(map[string]string{AppliedResourcesAnnotation: bad}); err == nil || !strings.Contains(err.Error(), "is not what pacer writes") {
			t.Errorf("%s: error %v", bad, err)
		}
	}
}

func TestLimiterReadsTheRecord(t *testing.T) {
	l := newLimiter(time.Hour)
	tests := []struct {
		at      time.Time
		waiting bool
	}{
		{t0.Add(-30 * time.Minute), true},
		{t0.Add(-time.Hour), false},       // exactly an interval ago
		{t0.Add(30 * time.Minute), true},  // a clock a little ahead
		{t0.Add(1000 * time.Hour), false}, // not a time pacer wrote
	}
	for _, tt := range tests {
		if _, got := l.waitingFor(&record{At: tt.at}, t0); got != tt.waiting {
			t.Errorf("%s: waiting %v, want %v", tt.at, got, tt.waiting)
		}
	}
	if _, got := l.waitingFor(nil, t0); got {
		t.Errorf("no record: waiting")
	}
}

func TestLimiterExpires(t *testing.T) {
	l := newLimiter(time.Hour)
	other := ref(recommender.KindDeployment, "other")
	l.changed(web(), t0)
	l.backOff(other, backOff{record: "{}"})
	l.expire(t0.Add(59*time.Minute), map[recommender.WorkloadRef]bool{other: true})
	if len(l.applied) != 1 || len(l.backedOff) != 1 {
		t.Fatalf("expired too early: %v %v", l.applied, l.backedOff)
	}
	l.expire(t0.Add(time.Hour), map[recommender.WorkloadRef]bool{web(): true})
	if len(l.applied) != 0 || len(l.backedOff) != 0 {
		t.Errorf("kept %v %v", l.applied, l.backedOff)
	}
}

func TestLimiterWarnsOncePerBackOff(t *testing.T) {
	l := newLimiter(time.Hour)
	for i, tc := range []struct {
		b    backOff
		news bool
	}{
		{backOff{record: "a", refused: true}, true},
		{backOff{record: "a"}, false},
		{backOff{record: "b"}, true},
		{backOff{record: "b"}, false},
	} {
		if got := l.backOff(web(), tc.b); got != tc.news {
			t.Errorf("%d: backing off over %s is news %t, want %t", i, tc.b.record, got, tc.news)
		}
		if i == 1 {
			if _, ok := l.refused(web(), "a"); !ok {
				t.Errorf("a refused apply forgotten while the record stays")
			}
		}
	}
	if _, ok := l.refused(web(), "b"); ok {
		t.Errorf("a refused apply remembered over another record")
	}
	l.inControl(web())
	if !l.backOff(web(), backOff{record: "b"}) {
		t.Errorf("a back-off after control again is not news")
	}
}
