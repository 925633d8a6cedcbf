package policy

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
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
		"invalid.yaml:16: policies[0].horizontal.scaleDownMaxPercent: 12.5 is not a whole number",
		"invalid.yaml:18: policies[0].rules.oomRisk.heapAboveLimitPercent: NaN is not a finite number",
		"invalid.yaml:18: policies[0].rules.oomRisk.bogus: unknown field (known: heapAboveLimitPercent, raiseMemoryPercent)",
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
		{"an empty list of policies", header + "policies: []\n", "x.yaml:3: policies: no policies"},
		{"a null list of policies", header + "policies:\n", "x.yaml:3: policies: no policies"},
		{"a policy that is not a mapping", header + "policies: [5]\n", "x.yaml:3: policies[0]: want a mapping of settings"},
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
		{"an empty list entry", header + "policies:\n  - name: a\n    selector:\n      namespaces:\n        - x\n        -\n", "x.yaml:8: policies[0].selector.namespaces[1]: an empty entry"},
		{"an empty namespace", header + "policies:\n  - name: a\n    selector: {namespaces: [x, \"\"]}\n", `policies[0].selector.namespaces[1]: "" is not a namespace name`},
		{"bad kind", header + "policies:\n  - name: a\n    selector: {kinds: [CronJob]}\n", `"CronJob" is not Deployment, StatefulSet or DaemonSet`},
		{"limit below request", header + "policies:\n  - name: a\n    memory: {limitRatio: 0.5}\n", "the limit would be below the request"},
		{"two documents", header + "policies: [{name: a}]\n---\nfoo: 1\n", "more than one YAML document"},
		{"too large", header + strings.Repeat("#", maxPolicyBytes), "larger than"},
		{"NaN", header + "policies:\n  - name: a\n    cpu:\n      percentile: .nan\n", "x.yaml:6: policies[0].cpu.percentile: NaN is not a finite number"},
		{"Inf", header + "policies:\n  - name: a\n    horizontal:\n      targetRequestRatePerPod: .inf\n", "x.yaml:6: policies[0].horizontal.targetRequestRatePerPod: +Inf is not a finite number"},
		{"-Inf", header + "policies:\n  - name: a\n    memory: {marginPercent: 5, limitRatio: -.inf}\n", "x.yaml:5: policies[0].memory.limitRatio: -Inf is not a finite number"},
		{"Inf into an integer", header + "policies:\n  - name: a\n    horizontal: {maxReplicas: .inf}\n", "x.yaml:5: policies[0].horizontal.maxReplicas: cannot unmarshal"},
		{"fractional scale-down percent", header + "policies:\n  - name: a\n    horizontal: {scaleDownMaxPercent: 0.5}\n", "x.yaml:5: policies[0].horizontal.scaleDownMaxPercent: 0.5 is not a whole number"},
		{"scale-down percent above 100", header + "policies:\n  - name: a\n    horizontal: {scaleDownMaxPercent: 101}\n", "policies[0].horizontal.scaleDownMaxPercent: 101 is more than 100 percent"},
		{"huge margin", header + "policies:\n  - name: a\n    cpu: {marginPercent: 5000}\n", "x.yaml:5: policies[0].cpu.marginPercent: 5000 is more than 1000 percent"},
		{"huge raise", header + "policies:\n  - name: a\n    rules: {oomRisk: {raiseMemoryPercent: 1001}}\n", "policies[0].rules.oomRisk.raiseMemoryPercent: 1001 is more than 1000 percent"},
		{"huge limit ratio", header + "policies:\n  - name: a\n    cpu: {limit: none, limitRatio: 1000}\n", "policies[0].cpu.limitRatio: 1000 is more than 100"},
		{"zero percentile", header + "policies:\n  - name: a\n    memory: {heapPercentile: 0}\n", "policies[0].memory.heapPercentile: must be more than 0"},
		{"zero max", header + "policies:\n  - name: a\n    cpu: {min: 0, max: 0}\n", "x.yaml:5: policies[0].cpu.max: 0 must be positive"},
		{"huge quantity", header + "policies:\n  - name: a\n    memory: {max: 1e400}\n", "policies[0].memory.max: 10e399 is too large"},
		{"zero minReplicas", header + "policies:\n  - name: a\n    horizontal:\n      minReplicas: 0\n", "x.yaml:6: policies[0].horizontal.minReplicas: 0 is less than 1"},
		{"a key twice", header + "policies:\n  - name: a\n    name: b\n", "x.yaml:5: policies[0].name: written twice in one mapping (first at line 4)"},
		{"a list for a number", header + "policies:\n  - name: a\n    cpu: {percentile: [1]}\n", "x.yaml:5: policies[0].cpu.percentile: want a number"},
		{"a number for a section", header + "policies:\n  - name: a\n    cpu: 5\n", "x.yaml:5: policies[0].cpu: want a mapping of settings"},
		{"a bad selector kind", header + "policies:\n  - name: a\n    selector:\n      kinds:\n        - Deployment\n        - Job\n", `x.yaml:8: policies[0].selector.kinds[1]: "Job" is not Deployment`},
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

// problems returns the lines of a Parse error, sorted.
func problems(err error) []string {
	if err == nil {
		return nil
	}
	lines := strings.Split(err.Error(), "\n")
	slices.Sort(lines)
	return lines
}

func TestParseBlamesTheFieldNotTheLineInFlowMappings(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       []string
	}{
		{
			"a bad value after a good one",
			"    cpu: {marginPercent: 5, percentile: lots}\n",
			[]string{"x.yaml:5: policies[0].cpu.percentile: cannot unmarshal !!str `lots` into float64"},
		},
		{
			"an unknown field and a bad value",
			"    cpu: {percentile: 200, bogus: 1}\n",
			[]string{
				"x.yaml:5: policies[0].cpu.bogus: unknown field (known: percentile, marginPercent, min, max, limit, limitRatio, maxChangePercent)",
				"x.yaml:5: policies[0].cpu.percentile: 200 is more than 100 percent",
			},
		},
		{
			"a bad quantity after a good one",
			"    memory: {min: 1Gi, max: lots}\n",
			[]string{`x.yaml:5: policies[0].memory.max: quantity "lots": want a number with an optional suffix (m, Ki, Mi, Gi, k, M, G)`},
		},
		{
			"nested flow mappings on one line",
			"    rules: {gcPressure: {cyclesPerMinuteAbove: 10}, oomRisk: {raiseMemoryPercent: 5, heapAboveLimitPercent: x}}\n",
			[]string{"x.yaml:5: policies[0].rules.oomRisk.heapAboveLimitPercent: cannot unmarshal !!str `x` into float64"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(header+"policies:\n  - name: a\n"+tt.yaml), "x.yaml")
			if got := problems(err); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
	_, err := Parse([]byte(header+"policies: [{name: a, cpu: {percentile: x}}, {name: b, memory: {max: y}}]\n"), "x.yaml")
	want := []string{
		"x.yaml:3: policies[0].cpu.percentile: cannot unmarshal !!str `x` into float64",
		`x.yaml:3: policies[1].memory.max: quantity "y": want a number with an optional suffix (m, Ki, Mi, Gi, k, M, G)`,
	}
	if got := problems(err); !slices.Equal(got, want) {
		t.Errorf("a list of policies on one line: problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseFollowsAliasesAndMergeKeys(t *testing.T) {
	data, err := os.ReadFile("../testdata/policies/anchors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := Parse(data, "anchors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := decodeLikeYAML(t, data); string(must(yaml.Marshal(set.Policies))) != string(must(yaml.Marshal(want))) {
		t.Errorf("Parse read\n%s\nyaml.v3 reads\n%s", must(yaml.Marshal(set.Policies)), must(yaml.Marshal(want)))
	}
	quick := History{Minimum: Duration(time.Hour), HalfLife: Duration(6 * time.Hour), StaleAfter: Default().History.StaleAfter}
	for _, tt := range []struct {
		i                     int
		percentile, marginPct float64
	}{{0, 95, 20}, {1, 80, 20}} {
		p := set.Policies[tt.i]
		if p.History != quick || p.CPU.Percentile != tt.percentile || p.CPU.MarginPercent != tt.marginPct {
			t.Errorf("policy %s: history %+v, cpu P%g margin %g%%; want %+v, P%g, %g%%",
				p.Name, p.History, p.CPU.Percentile, p.CPU.MarginPercent, quick, tt.percentile, tt.marginPct)
		}
	}
}

// followed are files whose aliases and merge keys Parse must read as
// yaml.v3 does.
var followed = []string{
	"  - &p {name: a, cpu: {percentile: 95}}\n  - {<<: *p, name: b}\n",
	"  - name: a\n    cpu: {<<: [{percentile: 80, marginPercent: 5}, {percentile: 70, limitRatio: 3}], marginPercent: 7}\n",
	"  - name: a\n    cpu: &c {percentile: 80}\n    memory: {heapPercentile: 90}\n  - name: b\n    cpu: {<<: {<<: *c, marginPercent: 9}, limit: ratio}\n",
	"  - name: a\n    selector: {namespaces: &ns [x, y], names: *ns, matchLabels: {<<: {a: b, c: d}, c: e}}\n",
	"  - name: a\n    selector: {namespaces: ~, matchLabels: ~}\n    cpu: ~\n    history: {minimum: ~}\n",
	"  - name: a\n    horizontal: &h {minReplicas: 2, maxReplicas: &max 9}\n  - name: b\n    horizontal: {<<: *h, minReplicas: *max}\n",
}

func TestParseReadsAliasesAndMergeKeysAsYAMLDoes(t *testing.T) {
	for _, policies := range followed {
		data := []byte(header + "policies:\n" + policies)
		set, err := Parse(data, "x.yaml")
		if err != nil {
			t.Errorf("%s: %v", policies, err)
			continue
		}
		if got, want := must(yaml.Marshal(set.Policies)), must(yaml.Marshal(decodeLikeYAML(t, data))); string(got) != string(want) {
			t.Errorf("%s: Parse read\n%s\nyaml.v3 reads\n%s", policies, got, want)
		}
	}
}

func TestParseChecksWhatAliasesAndMergeKeysBringIn(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"an alias", "  - name: a\n    history: &h {minimum: 1h, bogus: 1}\n  - name: b\n    history: *h\n",
			"x.yaml:5: policies[1].history.bogus: unknown field"},
		{"a merge key", "  - name: a\n    cpu:\n      <<: {percentile: 95, bogus: 1}\n",
			"x.yaml:6: policies[0].cpu.bogus: unknown field"},
		{"the second of merged mappings", "  - name: a\n    cpu:\n      <<: [{percentile: 95}, {bogus: 1}]\n",
			"x.yaml:6: policies[0].cpu.bogus: unknown field"},
		{"a merged policy", "  - &p {name: a, cpu: {percentil: 5}}\n  - {<<: *p, name: b}\n",
			"x.yaml:4: policies[1].cpu.percentil: unknown field"},
		{"a merge inside a merge", "  - name: a\n    cpu: &c {bogus: 1}\n    memory: {<<: {<<: *c}}\n",
			"x.yaml:5: policies[0].memory.bogus: unknown field"},
		{"an aliased policy", "  - &p {name: a, mem: {}}\n  - *p\n",
			"x.yaml:4: policies[1].mem: unknown field"},
		{"an aliased list", "  - name: a\n    selector: {kinds: &k [Job]}\n  - name: b\n    selector: {kinds: *k}\n",
			`x.yaml:5: policies[1].selector.kinds[0]: "Job" is not Deployment`},
		{"an aliased bad value", "  - name: a\n    cpu: {percentile: &x 200}\n    memory:\n      heapPercentile: *x\n",
			"x.yaml:7: policies[0].memory.heapPercentile: 200 is more than 100 percent"},
		{"an aliased value of the wrong type", "  - name: a\n    cpu: {limit: &x none}\n    memory:\n      heapPercentile: *x\n",
			"x.yaml:7: policies[0].memory.heapPercentile: cannot unmarshal !!str `none` into float64"},
		{"a merge of a scalar", "  - name: a\n    cpu: {<<: 5}\n",
			"x.yaml:5: policies[0].cpu.<<: a merge key takes a mapping or a list of mappings"},
		{"a mapping that merges itself", "  - name: a\n    cpu: &c {<<: *c}\n",
			"x.yaml:5: policies[0].cpu: a merge key (<<) brings in the mapping that holds it"},
		{"two merge keys", "  - name: a\n    cpu: {<<: {}, <<: {}}\n",
			"x.yaml:5: policies[0].cpu.<<: written twice in one mapping"},
		{"an aliased key", "  - name: a\n    cpu: {&k percentile: 95}\n    memory: {*k : 1}\n",
			"x.yaml:5: policies[0].memory.percentile: unknown field"},
		{"merged labels", "  - name: a\n    selector: {matchLabels: {<<: {a: [b]}}}\n",
			"x.yaml:5: policies[0].selector.matchLabels.a: want a string"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(header+"policies:\n"+tt.yaml), "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseBoundsAliasExpansion(t *testing.T) {
	// Policy i merges policy i-1's memory ten times: 10^9 keys in all.
	var b strings.Builder
	b.WriteString(header + "policies:\n  - name: p0\n    memory: &l0 {heapPercentile: 95}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  - name: p%d\n    memory: &l%d {<<: [%s]}\n", i, i, strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 9)+fmt.Sprintf("*l%d", i-1))
	}
	_, err := Parse([]byte(b.String()), "x.yaml")
	if err == nil || !strings.Contains(err.Error(), "x.yaml: the file holds more than 100000 YAML nodes once its aliases are expanded") {
		t.Errorf("err = %v, want the alias expansion refused", err)
	}
}

// floatSettings lists the path of every float64 setting of a policy.
func floatSettings(t reflect.Type, path string) []string {
	var out []string
	fields, names := fieldsOf(t)
	for _, name := range names {
		ft := t.Field(fields[name]).Type
		switch {
		case ft.Kind() == reflect.Float64:
			out = append(out, join(path, name))
		case isStruct(ft):
			out = append(out, floatSettings(ft, join(path, name))...)
		}
	}
	return out
}

// setSetting sets the setting at path of p to x.
func setSetting(p *Policy, path string, x float64) {
	v := reflect.ValueOf(p).Elem()
	for part := range strings.SplitSeq(path, ".") {
		fields, _ := fieldsOf(v.Type())
		v = v.Field(fields[part])
	}
	v.SetFloat(x)
}

// unbounded are the settings with no upper bound: a rate to scale to, and
// thresholds that a huge value merely keeps from firing.
var unbounded = map[string]bool{
	"horizontal.targetRequestRatePerPod":    true,
	"rules.goroutinePressure.above":         true,
	"rules.gcPressure.cyclesPerMinuteAbove": true,
}

func TestEveryNumberIsCheckedAndBounded(t *testing.T) {
	settings := floatSettings(reflect.TypeFor[Policy](), "")
	if len(settings) < 20 {
		t.Fatalf("found only %d float settings: %v", len(settings), settings)
	}
	for _, field := range settings {
		for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e12, -1} {
			if unbounded[field] && x == 1e12 {
				continue
			}
			p := Default()
			setSetting(&p, field, x)
			if !slices.ContainsFunc(p.validate(), func(pr problem) bool { return pr.field == field }) {
				t.Errorf("%s = %g: no problem reported", field, x)
			}
		}
	}
}

func TestScaleDownMaxPercentIsAWholePercent(t *testing.T) {
	for x, ok := range map[float64]bool{1: true, 10: true, 100: true, 0: false, 0.5: false, 12.5: false, 101: false} {
		p := Default()
		p.Horizontal.ScaleDownMaxPercent = x
		if err := p.Validate(); (err == nil) != ok {
			t.Errorf("scaleDownMaxPercent %g: err = %v, want ok = %t", x, err, ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(header + "policies: [{name: a}]\n"))
	f.Add(must(yaml.Marshal(DefaultSet())))
	if data, err := os.ReadFile("../testdata/policies/invalid.yaml"); err == nil {
		f.Add(data)
	}
	for _, name := range []string{"demo.yaml", "anchors.yaml"} {
		if data, err := os.ReadFile("../testdata/policies/" + name); err == nil {
			f.Add(data)
		}
	}
	for _, seed := range []string{
		"policies: []\n",
		"policies:\n  - name: a\n    cpu: {percentile: .nan, marginPercent: .inf, limitRatio: -.inf}\n",
		"policies:\n  - name: a\n    horizontal: {scaleDownMaxPercent: 12.5, maxReplicas: .inf}\n",
		"policies:\n  - name: a\n    cpu: {percentile: 200, bogus: 1}\n    memory: {min: 1Gi, max: lots}\n",
		"policies:\n  - &p {name: a, cpu: &c {percentile: 95}}\n  - {<<: *p, name: b, memory: {<<: [*c, {x: 1}]}}\n",
		"policies:\n  - name: a\n    cpu: &c {<<: *c}\n",
		"policies:\n  - name: a\n    selector: {kinds: &k [Deployment], names: *k, matchLabels: {<<: {a: b}}}\n",
	} {
		f.Add([]byte(header + seed))
	}
	for _, policies := range followed {
		f.Add([]byte(header + "policies:\n" + policies))
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
		if want := decodeLikeYAML(t, data); string(must(yaml.Marshal(set.Policies))) != string(must(yaml.Marshal(want))) {
			t.Fatalf("Parse read\n%s\nyaml.v3 reads\n%s", must(yaml.Marshal(set.Policies)), must(yaml.Marshal(want)))
		}
	})
}

// decodeLikeYAML decodes the policies of a file Parse accepted with
// yaml.v3 itself, each onto the defaults, to check that Parse follows
// aliases and merge keys as yaml.v3 does.
func decodeLikeYAML(t *testing.T, data []byte) []Policy {
	var file struct {
		Policies []yaml.Node `yaml:"policies"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatalf("yaml.v3 refuses what Parse accepted: %v", err)
	}
	policies := make([]Policy, len(file.Policies))
	for i, n := range file.Policies {
		policies[i] = Default()
		policies[i].Name = ""
		if err := n.Decode(&policies[i]); err != nil {
			t.Fatalf("yaml.v3 refuses policies[%d], which Parse accepted: %v", i, err)
		}
	}
	return policies
}
