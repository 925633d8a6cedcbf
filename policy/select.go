package policy

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pacerdev/pacer/recommender"
)

const (
	// AnnotationPrefix starts the annotations pacer owns on a workload. Of
	// them the policy reads PolicyAnnotation and recommender.ModeAnnotation;
	// others are ignored here.
	AnnotationPrefix = "pacer.dev/"
	// PolicyAnnotation names the policy of a workload, whatever the
	// selectors say: pacer.dev/policy: NAME.
	PolicyAnnotation = AnnotationPrefix + "policy"
	// OverridePrefix starts an annotation that overrides one setting of the
	// workload's policy, named by its path: policy.pacer.dev/cpu.percentile: "95".
	OverridePrefix = "policy." + AnnotationPrefix
)

// AnnotationError is a problem an annotation of a workload caused.
type AnnotationError struct {
	// Workload is the annotated object, namespace/Kind/name, or empty
	// when the caller did not say.
	Workload   string
	Key, Value string
	// Field is the path of the setting with the problem, e.g.
	// horizontal.maxReplicas, or empty.
	Field string
	Msg   string
}

func (e *AnnotationError) Error() string {
	var b strings.Builder
	if e.Workload != "" {
		fmt.Fprintf(&b, "workload %s: ", e.Workload)
	}
	fmt.Fprintf(&b, "annotation %s=%q: ", e.Key, e.Value)
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// DefaultSet is a set holding only the default policy.
func DefaultSet() *Set {
	return &Set{APIVersion: APIVersion, Kind: Kind, Policies: []Policy{Default()}}
}

// Matches reports whether the selector selects the workload.
func (s Selector) Matches(w recommender.WorkloadRef, labels map[string]string) bool {
	if len(s.Namespaces) > 0 && !slices.Contains(s.Namespaces, w.Namespace) ||
		len(s.Kinds) > 0 && !slices.Contains(s.Kinds, string(w.Kind)) ||
		len(s.Names) > 0 && !slices.Contains(s.Names, w.Name) {
		return false
	}
	for k, v := range s.MatchLabels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// For returns the policy for a workload: the one its pacer.dev/policy
// annotation names, else the first whose selector matches, with the
// workload's policy.pacer.dev/<setting> annotations applied.
func (s *Set) For(w recommender.WorkloadRef, labels, annotations map[string]string) (Policy, error) {
	p, err := s.choose(w, labels, annotations)
	if err != nil {
		return Policy{}, err
	}
	if p, err = p.withAnnotations(annotations, w.String()); err != nil {
		return Policy{}, err
	}
	if v, ok := annotations[recommender.ModeAnnotation]; ok {
		m, err := recommender.ParseMode(v)
		if err != nil {
			return Policy{}, &AnnotationError{Workload: w.String(), Key: recommender.ModeAnnotation, Value: v, Msg: "want off, recommend or apply"}
		}
		p.Mode = string(m)
	}
	return p, nil
}

func (s *Set) choose(w recommender.WorkloadRef, labels, annotations map[string]string) (Policy, error) {
	if name, ok := annotations[PolicyAnnotation]; ok {
		i := slices.IndexFunc(s.Policies, func(p Policy) bool { return p.Name == name })
		if i < 0 {
			names := make([]string, len(s.Policies))
			for i, p := range s.Policies {
				names[i] = p.Name
			}
			return Policy{}, &AnnotationError{Workload: w.String(), Key: PolicyAnnotation, Value: name,
				Msg: fmt.Sprintf("no policy is named %q (policies: %s)", name, strings.Join(names, ", "))}
		}
		return s.Policies[i], nil
	}
	for _, p := range s.Policies {
		if p.Selector.Matches(w, labels) {
			return p, nil
		}
	}
	return Policy{}, fmt.Errorf("workload %s: no policy selects it", w)
}

// WithAnnotations returns the policy with each policy.pacer.dev/<setting>
// annotation applied, as if the file had set it. The result is validated,
// and an error an annotation caused names that annotation.
func (p Policy) WithAnnotations(annotations map[string]string) (Policy, error) {
	return p.withAnnotations(annotations, "")
}

func (p Policy) withAnnotations(annotations map[string]string, workload string) (Policy, error) {
	var keys []string
	for k := range annotations {
		if strings.HasPrefix(k, OverridePrefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var errs []error
	fail := func(key, field, msg string) {
		errs = append(errs, &AnnotationError{Workload: workload, Key: key, Value: annotations[key], Field: field, Msg: msg})
	}
	setBy := map[string]string{} // setting path → the annotation that set it
	for _, key := range keys {
		path := strings.TrimPrefix(key, OverridePrefix)
		if msg := checkSetting(path); msg != "" {
			fail(key, path, msg)
			continue
		}
		if isNull(&yaml.Node{Kind: yaml.ScalarNode, Value: annotations[key]}) {
			fail(key, path, "no value: write the value of the setting")
			continue
		}
		d := newDecoder()
		d.decode(overrideNode(path, annotations[key]), reflect.ValueOf(&p).Elem(), "")
		for _, fe := range d.errs {
			fail(key, fe.Field, fe.Msg)
		}
		if len(d.errs) == 0 {
			setBy[path] = key
		}
	}
	for _, pr := range p.validate() {
		culprits := 0
		for _, field := range append([]string{pr.field}, pr.also...) {
			if key, ok := setBy[field]; ok {
				fail(key, pr.field, pr.msg)
				culprits++
			}
		}
		if culprits == 0 {
			var err error = &FieldError{Source: "policy " + p.Name, Field: pr.field, Msg: pr.msg}
			if workload != "" {
				err = fmt.Errorf("workload %s: %w", workload, err)
			}
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return Policy{}, errors.Join(errs...)
	}
	return p, nil
}

// checkSetting returns why path names no setting an annotation may
// override, or "" when it names one.
func checkSetting(path string) string {
	if path == "name" || path == "selector" || strings.HasPrefix(path, "selector.") {
		return "the name and selector of a policy cannot be overridden"
	}
	t, prefix := reflect.TypeFor[Policy](), ""
	for part := range strings.SplitSeq(path, ".") {
		if !isStruct(t) {
			return fmt.Sprintf("unknown setting: %s holds a single value", strings.TrimSuffix(prefix, "."))
		}
		fields, names := fieldsOf(t)
		i, ok := fields[part]
		if !ok {
			return "unknown setting (known: " + prefixed(prefix, names) + ")"
		}
		t, prefix = t.Field(i).Type, prefix+part+"."
	}
	if isStruct(t) {
		_, names := fieldsOf(t)
		return "a group of settings; override one of them: " + prefixed(prefix, names)
	}
	return ""
}

func prefixed(prefix string, names []string) string {
	return prefix + strings.Join(names, ", "+prefix)
}

// overrideNode builds the YAML mapping a dotted path and a value stand for:
// cpu.percentile=95 is {cpu: {percentile: 95}}.
func overrideNode(path, value string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: value}
	parts := strings.Split(path, ".")
	for i := len(parts) - 1; i >= 0; i-- {
		n = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: parts[i]}, n}}
	}
	return n
}
