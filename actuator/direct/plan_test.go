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
		{name: "conflicts by managedFields", target: recommender.Resources{CPURequestCores: 0.2, MemoryRequestBytes: 256 * mib},
			containers: app(req("100m", "256Mi"), nil),
			own:        owners{others: map[string][numFields][]string{"app": {cpuRequest: {"helm"}, memoryRequest: {"helm"}}}},
			action:     recommender.ActionWritten},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			minChange := tt.minChange
			if minChange == 0 {
				minChange = DefaultMinChangePercent
			}
			r := rec(web(), recommender.ContainerRecommendation{Container: "app", Target: tt.target})
			p := planner{minChangePercent: minChange}.plan(&r, tt.containers, tt.own)
			if p.action != tt.action || !strings.Contains(p.reason+"; "+strings.Join(p.notes, "; "), tt.reason) {
				t.Errorf("got %s %q (notes %q), want %s with %q", p.action, p.reason, p.notes, tt.action, tt.reason)
			}
			if tt.applied != "" {
				if got := appliedText(p.containers); got != tt.applied {
					t.Errorf("applies %q, want %q", got, tt.applied)
				}
			}
			if tt.name == "conflicts by managedFields" && strings.Join(p.conflicts, ", ") != "container app cpu request (helm)" {
				t.Errorf("conflicts %q: only the changed field conflicts", p.conflicts)
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

func TestLimiterReadsTheAnnotation(t *testing.T) {
	l := newLimiter(time.Hour)
	tests := []struct {
		value   string
		waiting bool
	}{
		{"2026-03-01T11:30:00Z", true},
		{"2026-03-01T11:00:00Z", false}, // exactly an interval ago
		{"2026-03-01T12:30:00Z", true},  // a clock a little ahead
		{"2099-01-01T00:00:00Z", false}, // not a time pacer wrote
		{"yesterday", false},
	}
	for _, tt := range tests {
		if _, got := l.waitingFor(map[string]string{LastAppliedAnnotation: tt.value}, t0); got != tt.waiting {
			t.Errorf("%s: waiting %v, want %v", tt.value, got, tt.waiting)
		}
	}
	if _, got := l.waitingFor(nil, t0); got {
		t.Errorf("no annotation: waiting")
	}
}

func TestLimiterExpires(t *testing.T) {
	l := newLimiter(time.Hour)
	l.changed(web(), t0)
	l.refused(ref(recommender.KindDeployment, "other"), conflict{at: t0})
	l.expire(t0.Add(59 * time.Minute))
	if len(l.applied) != 1 || len(l.conflicts) != 1 {
		t.Fatalf("expired too early: %v %v", l.applied, l.conflicts)
	}
	l.expire(t0.Add(time.Hour))
	if len(l.applied) != 0 || len(l.conflicts) != 0 {
		t.Errorf("kept %v %v", l.applied, l.conflicts)
	}
}
