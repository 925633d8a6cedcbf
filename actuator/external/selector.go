package external

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/pacerdev/pacer/recommender"
)

// Label keys a selector may use to name a workload.
const (
	keyDeployment  = "deployment"
	keyStatefulSet = "statefulset"
	keyDaemonSet   = "daemonset"
	keyWorkload    = "workload"
	keyKind        = "kind"
)

// kindKeys maps the keys that name a workload of one kind to that kind.
var kindKeys = map[string]recommender.WorkloadKind{
	keyDeployment:  recommender.KindDeployment,
	keyStatefulSet: recommender.KindStatefulSet,
	keyDaemonSet:   recommender.KindDaemonSet,
}

// kinds are the workload kinds in the order an unqualified workload=NAME
// looks for them.
var kinds = []recommender.WorkloadKind{
	recommender.KindDeployment, recommender.KindStatefulSet, recommender.KindDaemonSet, recommender.KindPod,
}

const selectorUsage = "name one workload with deployment=NAME, statefulset=NAME, daemonset=NAME, or workload=NAME with an optional kind=KIND"

// target is the workload a selector names; an empty kind matches any.
type target struct {
	kind recommender.WorkloadKind
	name string
}

// parseSelector reads the workload a label selector names. It accepts only
// equality (key=value, key==value or key in (value)): an HPA sums the items
// it gets, so a selector must name exactly one workload.
func parseSelector(sel labels.Selector) (target, error) {
	if sel == nil {
		return target{}, badRequest("a labelSelector is required: %s", selectorUsage)
	}
	reqs, selectable := sel.Requirements()
	if !selectable {
		return target{}, badRequest("labelSelector %q selects nothing: %s", sel, selectorUsage)
	}
	if len(reqs) == 0 {
		return target{}, badRequest("a labelSelector is required: %s", selectorUsage)
	}
	var t target
	var kindLabel recommender.WorkloadKind
	named := ""
	for _, r := range reqs {
		value, ok := singleValue(r)
		if !ok {
			return target{}, badRequest("labelSelector %q: %s uses %q; pacer selects exactly one workload, so use %s=VALUE",
				sel, r.Key(), r.Operator(), r.Key())
		}
		switch key := r.Key(); key {
		case keyDeployment, keyStatefulSet, keyDaemonSet, keyWorkload:
			if named != "" {
				return target{}, badRequest("labelSelector %q names a workload twice (%s and %s): %s", sel, named, key, selectorUsage)
			}
			named, t.name, t.kind = key, value, kindKeys[key]
		case keyKind:
			k, err := parseKind(value)
			if err != nil {
				return target{}, badRequest("labelSelector %q: %v", sel, err)
			}
			kindLabel = k
		default:
			return target{}, badRequest("labelSelector %q: pacer knows no label %q: %s", sel, key, selectorUsage)
		}
	}
	switch {
	case named == "":
		return target{}, badRequest("labelSelector %q names no workload: %s", sel, selectorUsage)
	case t.name == "":
		return target{}, badRequest("labelSelector %q: the workload name is empty", sel)
	case kindLabel != "" && t.kind != "" && kindLabel != t.kind:
		return target{}, badRequest("labelSelector %q: %s= contradicts kind=%s", sel, named, kindLabel)
	case kindLabel != "":
		t.kind = kindLabel
	}
	return t, nil
}

// singleValue returns the one value an equality requirement asks for.
func singleValue(r labels.Requirement) (string, bool) {
	switch r.Operator() {
	case selection.Equals, selection.DoubleEquals, selection.In:
		if values := r.ValuesUnsorted(); len(values) == 1 {
			return values[0], true
		}
	}
	return "", false
}

// parseKind reads a workload kind, case-insensitively.
func parseKind(s string) (recommender.WorkloadKind, error) {
	for _, k := range kinds {
		if strings.EqualFold(s, string(k)) {
			return k, nil
		}
	}
	return "", fmt.Errorf("kind %q: want Deployment, StatefulSet, DaemonSet or Pod", s)
}

func badRequest(format string, args ...any) *QueryError {
	return &QueryError{Reason: ReasonBadRequest, Message: fmt.Sprintf(format, args...)}
}
