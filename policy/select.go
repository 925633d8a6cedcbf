package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pacerdev/pacer/recommender"
)

// AnnotationPrefix starts every annotation pacer reads on a workload:
// pacer.dev/policy names the policy, and pacer.dev/<setting> overrides one
// setting of it, e.g. pacer.dev/cpu.percentile: "95".
const AnnotationPrefix = "pacer.dev/"

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
// workload's setting annotations applied.
func (s *Set) For(w recommender.WorkloadRef, labels, annotations map[string]string) (Policy, error) {
	var p Policy
	found := false
	if name, ok := annotations[AnnotationPrefix+"policy"]; ok {
		i := slices.IndexFunc(s.Policies, func(p Policy) bool { return p.Name == name })
		if i < 0 {
			return Policy{}, fmt.Errorf("workload %s: annotation %spolicy names %q, which is not a policy", w, AnnotationPrefix, name)
		}
		p, found = s.Policies[i], true
	} else {
		for _, candidate := range s.Policies {
			if candidate.Selector.Matches(w, labels) {
				p, found = candidate, true
				break
			}
		}
	}
	if !found {
		return Policy{}, fmt.Errorf("workload %s: no policy selects it", w)
	}
	p, err := p.WithAnnotations(annotations)
	if err != nil {
		return Policy{}, fmt.Errorf("workload %s: %w", w, err)
	}
	return p, nil
}

// WithAnnotations returns the policy with each pacer.dev/<setting>
// annotation applied, as if the file had set it; the result is validated
// and every error names its annotation.
func (p Policy) WithAnnotations(annotations map[string]string) (Policy, error) {
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		if strings.HasPrefix(k, AnnotationPrefix) && k != AnnotationPrefix+"policy" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var errs []error
	for _, key := range keys {
		path := strings.TrimPrefix(key, AnnotationPrefix)
		if path == "name" || path == "selector" || strings.HasPrefix(path, "selector.") {
			errs = append(errs, fmt.Errorf("annotation %s: %s cannot be overridden", key, path))
			continue
		}
		for _, fe := range decodeStrict(overrideNode(path, annotations[key]), &p) {
			errs = append(errs, fmt.Errorf("annotation %s=%q: %s", key, annotations[key], fe.Msg))
		}
	}
	for _, fe := range p.validate() {
		errs = append(errs, fmt.Errorf("after annotations: %s: %s", fe.Field, fe.Msg))
	}
	if len(errs) > 0 {
		return Policy{}, errors.Join(errs...)
	}
	return p, nil
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
