package policy

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pacerdev/pacer/recommender"
)

const header = "apiVersion: pacer.dev/v1alpha1\nkind: PolicySet\n"

func TestParseKeepsDefaultsForWhatAFileLeavesOut(t *testing.T) {
	set, err := Parse([]byte(header+`policies:
  - name: api
    cpu:
      percentile: 95
    history:
      minimum: 7d
`), "api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := set.Policies[0]
	want := Default()
	want.Name = "api"
	want.CPU.Percentile = 95
	want.History.Minimum = Duration(7 * 24 * time.Hour)
	if got, _ := yaml.Marshal(p); string(got) != string(must(yaml.Marshal(want))) {
		t.Errorf("parsed policy:\n%s\nwant:\n%s", got, must(yaml.Marshal(want)))
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseReportsEveryProblemWithLineAndField(t *testing.T) {
	data, err := os.ReadFile("../testdata/policies/invalid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data, "invalid.yaml")
	if err == nil {
		t.Fatal("an invalid file was accepted")
	}
	for _, want := range []string{
		"invalid.yaml:6: policies[0].cpu.percentile: 120 is more than 100 percent",
		`invalid.yaml:7: policies[0].cpu.limit: "always" is not none or ratio`,
		"invalid.yaml:9: policies[0].memory.min: min 2Gi is more than max 1Gi",
		"invalid.yaml:11: policies[0].memory.gomemlimit: unknown field (known: heapPercentile,",
		`invalid.yaml:13: policies[0].horizontal.rateWindow: duration "soon": want a number and a unit`,
		"invalid.yaml:15: policies[0].horizontal.maxReplicas: 2 is less than minReplicas 5",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q; got:\n%v", want, err)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"empty", "", "file is empty"},
		{"not yaml", "{[", "x.yaml:1:"},
		{"a list", "- a\n", "want a mapping"},
		{"wrong apiVersion", "apiVersion: v1\nkind: PolicySet\npolicies: [{name: a}]\n", `x.yaml:1: apiVersion: "v1" is not "pacer.dev/v1alpha1"`},
		{"wrong kind", "apiVersion: pacer.dev/v1alpha1\nkind: Policy\npolicies: [{name: a}]\n", `x.yaml:2: kind: "Policy" is not "PolicySet"`},
		{"no policies", header, "policies: missing"},
		{"policies not a list", header + "policies: {name: a}\n", "x.yaml:3: policies: want a list"},
		{"unknown top-level field", header + "policies: [{name: a}]\nextra: 1\n", "x.yaml:4: extra: unknown field"},
		{"unknown policy field", header + "policies:\n  - name: a\n    cpus: {}\n", "x.yaml:5: policies[0].cpus: unknown field"},
		{"no name", header + "policies:\n  - cpu: {percentile: 90}\n", "x.yaml:4: policies[0].name: missing"},
		{"bad name", header + "policies: [{name: My_Policy}]\n", `policies[0].name: "My_Policy" is not a DNS label`},
		{"duplicate names", header + "policies: [{name: a}, {name: a}]\n", `policies[1].name: "a" is already the name of policies[0]`},
		{"wrong type", header + "policies:\n  - name: a\n    cpu: {percentile: lots}\n", "x.yaml:5: policies[0].cpu.percentile: cannot unmarshal"},
		{"negative margin", header + "policies:\n  - name: a\n    memory:\n      marginPercent: -5\n", "x.yaml:6: policies[0].memory.marginPercent: -5 is negative"},
		{"zero target", header + "policies:\n  - name: a\n    horizontal: {targetRequestRatePerPod: 0}\n", "policies[0].horizontal.targetRequestRatePerPod: 0 must be positive"},
		{"flapping thresholds", header + "policies:\n  - name: a\n    horizontal: {targetRequestRatePerPod: 100, scaleDownBelowRequestRatePerPod: 200}\n", "replicas would flap"},
		{"bad quantity", header + "policies:\n  - name: a\n    memory: {max: lots}\n", `x.yaml:5: policies[0].memory.max: quantity "lots"`},
		{"bad kind", header + "policies:\n  - name: a\n    selector: {kinds: [CronJob]}\n", `"CronJob" is not Deployment, StatefulSet or DaemonSet`},
		{"limit below request", header + "policies:\n  - name: a\n    memory: {limitRatio: 0.5}\n", "the limit would be below the request"},
		{"two documents", header + "policies: [{name: a}]\n---\nfoo: 1\n", "more than one YAML document"},
		{"too large", header + strings.Repeat("#", maxPolicyBytes), "larger than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
			var fe *FieldError
			if err != nil && !errors.As(err, &fe) {
				t.Errorf("err %v holds no FieldError", err)
			}
		})
	}
}

func TestDefaultPolicyIsValidAndRoundTrips(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(DefaultSet())
	if err != nil {
		t.Fatal(err)
	}
	set, err := Parse(out, "default.yaml")
	if err != nil {
		t.Fatalf("the printed default does not parse: %v\n%s", err, out)
	}
	if again := must(yaml.Marshal(set)); string(again) != string(out) {
		t.Errorf("round trip changed the default:\n%s\nvs\n%s", again, out)
	}
}

func TestForSelectsAndOverrides(t *testing.T) {
	set, err := Parse([]byte(header+`policies:
  - name: shop-api
    selector: {namespaces: [shop], kinds: [Deployment], matchLabels: {tier: api}}
    cpu: {percentile: 95}
  - name: fallback
`), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	api := recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindDeployment, Name: "checkout"}
	db := recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindStatefulSet, Name: "db"}
	for _, tt := range []struct {
		w           recommender.WorkloadRef
		labels, ann map[string]string
		want        string
		percentile  float64
	}{
		{api, map[string]string{"tier": "api"}, nil, "shop-api", 95},
		{api, map[string]string{"tier": "web"}, nil, "fallback", 90},
		{db, map[string]string{"tier": "api"}, nil, "fallback", 90},
		{db, nil, map[string]string{"pacer.dev/policy": "shop-api"}, "shop-api", 95},
		{api, map[string]string{"tier": "api"}, map[string]string{"pacer.dev/cpu.percentile": "99", "other.io/x": "y"}, "shop-api", 99},
	} {
		p, err := set.For(tt.w, tt.labels, tt.ann)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != tt.want || p.CPU.Percentile != tt.percentile {
			t.Errorf("For(%s, %v, %v) = %s with P%g, want %s with P%g", tt.w, tt.labels, tt.ann, p.Name, p.CPU.Percentile, tt.want, tt.percentile)
		}
	}
}

func TestAnnotationOverridesAreValidated(t *testing.T) {
	w := recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindDeployment, Name: "checkout"}
	for _, tt := range []struct {
		ann  map[string]string
		want string
	}{
		{map[string]string{"pacer.dev/policy": "nope"}, `names "nope", which is not a policy`},
		{map[string]string{"pacer.dev/cpu.percentile": "150"}, "cpu.percentile: 150 is more than 100 percent"},
		{map[string]string{"pacer.dev/cpu.percentile": "high"}, `annotation pacer.dev/cpu.percentile="high": cannot unmarshal`},
		{map[string]string{"pacer.dev/cpu.percentil": "95"}, `annotation pacer.dev/cpu.percentil="95": unknown field`},
		{map[string]string{"pacer.dev/history.minimum": "soon"}, `duration "soon"`},
		{map[string]string{"pacer.dev/selector.namespaces": "[a]"}, "cannot be overridden"},
	} {
		_, err := DefaultSet().For(w, nil, tt.ann)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("annotations %v: err = %v, want %q", tt.ann, err, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(header + "policies: [{name: a}]\n"))
	f.Add(must(yaml.Marshal(DefaultSet())))
	if data, err := os.ReadFile("../testdata/policies/invalid.yaml"); err == nil {
		f.Add(data)
	}
	if data, err := os.ReadFile("../testdata/policies/demo.yaml"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Parse(data, "fuzz.yaml")
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error without location: %v", err)
			}
			return
		}
		for _, p := range set.Policies {
			if err := p.Validate(); err != nil {
				t.Fatalf("Parse accepted an invalid policy: %v", err)
			}
		}
	})
}
