package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/pacerdev/pacer/recommender"
)

// FuzzAnnotations: whatever a person writes into a workload's pacer
// annotations (a setting path and a value, a mode, a policy name), For
// either returns a policy that passes validation, or refuses with errors
// that each name the workload and, when an annotation caused them, that
// annotation; it never panics, and the same annotations give the same answer.
func FuzzAnnotations(f *testing.F) {
	for _, seed := range []struct{ path, value, mode, policy string }{
		{"cpu.percentile", "99", "", ""},
		{"history.minimum", "2h", "apply", ""},
		{"memory.max", "8Gi", "recommend", "default"},
		{"horizontal.maxReplicas", "-4", "", ""},
		{"horizontal.minReplicas", "1e300", "off", ""},
		{"horizontal", "{}", "", ""},
		{"selector.namespaces", "[a]", "", ""},
		{"cpu.limit", "ratio\n- x", "", "nope"},
		{"rules.oomRisk.raiseMemoryPercent", "~", "APPLY", ""},
		{"memory.max", "1Ei", "", ""},
		{"history.halfLife", "-1s", "", ""},
		{"", "", "", ""},
		{"cpu..percentile", "!!binary AA==", "", ""},
		{"horizontal.enabled", "yes", "", ""},
		{"memory.max", "&a [*a]", "", ""},
	} {
		f.Add(seed.path, seed.value, seed.mode, seed.policy)
	}
	set := DefaultSet()
	w := recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindDeployment, Name: "checkout"}
	f.Fuzz(func(t *testing.T, path, value, mode, policy string) {
		ann := map[string]string{OverridePrefix + path: value}
		if mode != "" {
			ann[recommender.ModeAnnotation] = mode
		}
		if policy != "" {
			ann[PolicyAnnotation] = policy
		}
		p, err := set.For(w, nil, ann)
		again, errAgain := set.For(w, nil, ann)
		if (err == nil) != (errAgain == nil) || err != nil && err.Error() != errAgain.Error() {
			t.Fatalf("%v: two answers: %v and %v", ann, err, errAgain)
		}
		if err == nil {
			if problems := p.validate(); len(problems) > 0 {
				t.Fatalf("%v: accepted a policy that does not validate: %+v", ann, problems)
			}
			if p.Name != again.Name || p.Mode != again.Mode {
				t.Fatalf("%v: two policies: %s/%s and %s/%s", ann, p.Name, p.Mode, again.Name, again.Mode)
			}
			return
		}
		for _, e := range flatten(err) {
			if !strings.Contains(e.Error(), w.String()) {
				t.Fatalf("%v: error %q does not name the workload", ann, e)
			}
			var ae *AnnotationError
			if errors.As(e, &ae) {
				if _, ok := ann[ae.Key]; !ok {
					t.Fatalf("%v: error %q blames annotation %q, which the workload does not have", ann, e, ae.Key)
				}
			}
		}
	})
}

// flatten lists the errors an errors.Join holds, or the error itself.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
