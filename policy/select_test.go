package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pacerdev/pacer/recommender"
)

var checkout = recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindDeployment, Name: "checkout"}

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
	db := recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindStatefulSet, Name: "db"}
	for _, tt := range []struct {
		w           recommender.WorkloadRef
		labels, ann map[string]string
		want        string
		percentile  float64
	}{
		{checkout, map[string]string{"tier": "api"}, nil, "shop-api", 95},
		{checkout, map[string]string{"tier": "web"}, nil, "fallback", 90},
		{db, map[string]string{"tier": "api"}, nil, "fallback", 90},
		{db, nil, map[string]string{"pacer.dev/policy": "shop-api"}, "shop-api", 95},
		{checkout, map[string]string{"tier": "api"}, map[string]string{"policy.pacer.dev/cpu.percentile": "99", "other.io/x": "y"}, "shop-api", 99},
		// Other pacer.dev/ keys belong to other features (or are the old
		// override form): ignored.
		{checkout, map[string]string{"tier": "api"}, map[string]string{"pacer.dev/mode": "off", "pacer.dev/cpu.percentile": "99"}, "shop-api", 95},
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

func TestOverridesSetEveryKindOfSetting(t *testing.T) {
	p, err := Default().WithAnnotations(map[string]string{
		"policy.pacer.dev/history.minimum":                  "2h",
		"policy.pacer.dev/memory.max":                       "8Gi",
		"policy.pacer.dev/cpu.limit":                        "ratio",
		"policy.pacer.dev/horizontal.enabled":               "false",
		"policy.pacer.dev/horizontal.maxReplicas":           "40",
		"policy.pacer.dev/rules.oomRisk.raiseMemoryPercent": "25",
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.History.Minimum.D().Hours() != 2 || p.Memory.Max.String() != "8Gi" || p.CPU.Limit != "ratio" ||
		p.Horizontal.Enabled || p.Horizontal.MaxReplicas != 40 || p.Rules.OOMRisk.RaiseMemoryPercent != 25 {
		t.Errorf("overrides not applied: %+v", p)
	}
}

func TestAnnotationErrorsNameTheAnnotationAndWorkload(t *testing.T) {
	const w = "workload shop/Deployment/checkout: "
	for _, tt := range []struct {
		ann  map[string]string
		want []string
	}{
		{map[string]string{"pacer.dev/policy": "nope"},
			[]string{w + `annotation pacer.dev/policy="nope": no policy is named "nope" (policies: default)`}},
		{map[string]string{"policy.pacer.dev/cpu.percentile": "150"},
			[]string{w + `annotation policy.pacer.dev/cpu.percentile="150": cpu.percentile: 150 is more than 100 percent`}},
		{map[string]string{"policy.pacer.dev/cpu.percentile": ".nan"},
			[]string{w + `annotation policy.pacer.dev/cpu.percentile=".nan": cpu.percentile: NaN is not a finite number`}},
		{map[string]string{"policy.pacer.dev/cpu.percentile": "high"},
			[]string{w + "annotation policy.pacer.dev/cpu.percentile=\"high\": cpu.percentile: cannot unmarshal !!str `high` into float64"}},
		{map[string]string{"policy.pacer.dev/cpu.percentile": ""},
			[]string{w + `annotation policy.pacer.dev/cpu.percentile="": cpu.percentile: no value: write the value of the setting`}},
		{map[string]string{"policy.pacer.dev/horizontal.scaleDownMaxPercent": "7.5"},
			[]string{w + `annotation policy.pacer.dev/horizontal.scaleDownMaxPercent="7.5": horizontal.scaleDownMaxPercent: 7.5 is not a whole number`}},
		{map[string]string{"policy.pacer.dev/history.minimum": "soon"},
			[]string{w + `annotation policy.pacer.dev/history.minimum="soon": history.minimum: duration "soon": want a number and a unit (ms, s, m, h, d, w), e.g. 5m`}},
		{map[string]string{"policy.pacer.dev/cpu.percentil": "95"},
			[]string{w + `annotation policy.pacer.dev/cpu.percentil="95": cpu.percentil: unknown setting (known: cpu.percentile, cpu.marginPercent, cpu.min, cpu.max, cpu.limit, cpu.limitRatio, cpu.maxChangePercent)`}},
		{map[string]string{"policy.pacer.dev/tier": "gold"},
			[]string{w + `annotation policy.pacer.dev/tier="gold": tier: unknown setting (known: name, selector, mode, history, cpu, memory, horizontal, rules)`}},
		{map[string]string{"policy.pacer.dev/cpu.percentile.x": "1"},
			[]string{w + `annotation policy.pacer.dev/cpu.percentile.x="1": cpu.percentile.x: unknown setting: cpu.percentile holds a single value`}},
		{map[string]string{"policy.pacer.dev/rules.oomRisk": "5"},
			[]string{w + `annotation policy.pacer.dev/rules.oomRisk="5": rules.oomRisk: a group of settings; override one of them: rules.oomRisk.heapAboveLimitPercent, rules.oomRisk.raiseMemoryPercent`}},
		{map[string]string{"policy.pacer.dev/selector.namespaces": "[a]"},
			[]string{w + `annotation policy.pacer.dev/selector.namespaces="[a]": selector.namespaces: the name and selector of a policy cannot be overridden`}},
		// A check of two settings names the annotation that set either.
		{map[string]string{"policy.pacer.dev/horizontal.minReplicas": "500"},
			[]string{w + `annotation policy.pacer.dev/horizontal.minReplicas="500": horizontal.maxReplicas: 100 is less than minReplicas 500`}},
		{map[string]string{"policy.pacer.dev/memory.min": "1Ti", "policy.pacer.dev/memory.max": "1Gi"},
			[]string{
				w + `annotation policy.pacer.dev/memory.max="1Gi": memory.min: min 1Ti is more than max 1Gi`,
				w + `annotation policy.pacer.dev/memory.min="1Ti": memory.min: min 1Ti is more than max 1Gi`,
			}},
	} {
		_, err := DefaultSet().For(checkout, nil, tt.ann)
		got := problems(err)
		slices.Sort(tt.want)
		if !slices.Equal(got, tt.want) {
			t.Errorf("annotations %v:\n got %s\nwant %s", tt.ann, strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
		}
		var ae *AnnotationError
		if !errors.As(err, &ae) || ae.Workload != checkout.String() {
			t.Errorf("annotations %v: err %v holds no AnnotationError for the workload", tt.ann, err)
		}
	}
}

func TestWithAnnotationsBlamesThePolicyForItsOwnProblems(t *testing.T) {
	p := Default()
	p.CPU.Percentile = 0
	_, err := p.WithAnnotations(map[string]string{"policy.pacer.dev/memory.marginPercent": "5000"})
	want := []string{
		`annotation policy.pacer.dev/memory.marginPercent="5000": memory.marginPercent: 5000 is more than 1000 percent`,
		"policy default: cpu.percentile: must be more than 0",
	}
	if got := problems(err); !slices.Equal(got, want) {
		t.Errorf("got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func TestModeAnnotation(t *testing.T) {
	set := DefaultSet()
	w := recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindDeployment, Name: "checkout"}
	if p, err := set.For(w, nil, nil); err != nil || p.Mode != "recommend" {
		t.Errorf("default mode %q, %v; want recommend", p.Mode, err)
	}
	if p, err := set.For(w, nil, map[string]string{"pacer.dev/mode": "apply"}); err != nil || p.Mode != "apply" {
		t.Errorf("annotated mode %q, %v; want apply", p.Mode, err)
	}
	_, err := set.For(w, nil, map[string]string{"pacer.dev/mode": "yolo"})
	var ae *AnnotationError
	if !errors.As(err, &ae) || ae.Key != "pacer.dev/mode" {
		t.Errorf("bad mode: err = %v, want an AnnotationError naming pacer.dev/mode", err)
	}
}
