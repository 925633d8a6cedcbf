package direct

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pacerdev/pacer/recommender"
)

// apply sends a plan: the fields it sets and keeps, and the record of
// them, in one server-side apply. A forced apply carries the
// resourceVersion read, so that it fails, rather than overwrites, when the
// workload changed in between.
func (p *Patcher) apply(ctx context.Context, a recommender.Actuation, rec *recommender.Recommendation, obj object, pl plan, now time.Time) (recommender.Actuation, error) {
	ref := a.Workload
	req := applyRequest{
		annotations: map[string]string{AppliedResourcesAnnotation: newRecord(pl.containers, now).String()},
		pod:         podApplyConfiguration(pl.containers),
	}
	if pl.force {
		req.resourceVersion = obj.meta.ResourceVersion
	}
	err := applyObject(ctx, p.client, ref, req, metav1.ApplyOptions{FieldManager: p.o.FieldManager, Force: pl.force})
	switch {
	case err == nil:
		p.limits.changed(ref, now)
		p.event(obj, corev1.EventTypeNormal, EventResourcesUpdated, "pacer set %s; %s%s", pl.reason, ruleText(rec, pl.changes), takeover(pl, "taken"))
		return outcome(a, recommender.ActionWritten, withNotes(pl.reason+takeover(pl, "taken"), pl.notes)), nil
	case apierrors.IsNotFound(err):
		return outcome(a, recommender.ActionSkipped, "the workload was deleted"), nil
	case isFieldConflict(err):
		reason := fmt.Sprintf("other field managers took fields pacer set after it read the workload: %s; pacer would set %s. %s",
			conflictText(err), pl.reason, handBack(ref))
		p.backOff(obj, ref, backOff{record: obj.meta.Annotations[AppliedResourcesAnnotation], reason: reason, refused: true})
		return outcome(a, recommender.ActionConflict, reason), nil
	case apierrors.IsConflict(err):
		return outcome(a, recommender.ActionFailed, "the workload changed after pacer read it; the next cycle tries again"), nil
	default:
		err = fmt.Errorf("applying the resources of %s %s/%s: %w", ref.Kind, ref.Namespace, ref.Name, err)
		p.event(obj, corev1.EventTypeWarning, EventApplyFailed, "pacer could not set %s: %v", pl.reason, err)
		return outcome(a, recommender.ActionFailed, err.Error()), err
	}
}

// isFieldConflict reports whether an apply was refused because another
// manager owns a field (not because the object changed).
func isFieldConflict(err error) bool {
	var status apierrors.APIStatus
	if !apierrors.IsConflict(err) || !errors.As(err, &status) || status.Status().Details == nil {
		return false
	}
	return slices.ContainsFunc(status.Status().Details.Causes, func(c metav1.StatusCause) bool {
		return c.Type == metav1.CauseTypeFieldManagerConflict
	})
}

// conflictText names each conflicting field and its manager:
// `.spec.template.spec.containers[name="app"].resources.requests.cpu (kubectl)`.
func conflictText(err error) string {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return err.Error()
	}
	var parts []string
	for _, c := range status.Status().Details.Causes {
		if c.Type == metav1.CauseTypeFieldManagerConflict {
			parts = append(parts, fmt.Sprintf("%s (%s)", c.Field, managerOf(c.Message)))
		}
	}
	if len(parts) == 0 {
		return status.Status().Message
	}
	return strings.Join(parts, ", ")
}

// managerOf reads the manager from a conflict cause's message,
// `conflict with "kubectl" using apps/v1`; the message when it says
// something else.
func managerOf(message string) string {
	rest, ok := strings.CutPrefix(message, "conflict with ")
	if !ok {
		return message
	}
	if quoted, err := strconv.QuotedPrefix(rest); err == nil {
		if name, err := strconv.Unquote(quoted); err == nil {
			return name
		}
	}
	return message
}

// ruleText names the policy and the rules behind the changed containers'
// targets, for an event.
func ruleText(rec *recommender.Recommendation, changes []change) string {
	changed := map[string]bool{}
	for _, c := range changes {
		changed[c.container] = true
	}
	var rules []string
	for _, c := range rec.Containers {
		if !changed[c.Container] {
			continue
		}
		for _, r := range c.Reasons {
			if r.Value != "" && !slices.Contains(rules, r.Rule) {
				rules = append(rules, r.Rule)
			}
		}
	}
	if len(rules) == 0 {
		return fmt.Sprintf("policy %q", rec.Policy)
	}
	return fmt.Sprintf("policy %q, rules: %s", rec.Policy, strings.Join(rules, ", "))
}
