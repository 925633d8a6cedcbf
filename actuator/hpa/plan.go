package hpa

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/pacerdev/pacer/recommender"
)

// plan is what to do with one HPA in one cycle.
type plan struct {
	// action is ActionSkipped, ActionUnchanged or ActionConflict, or
	// ActionWritten for "apply metrics and record".
	action recommender.Action
	reason string
	// force takes spec.metrics over from its owners, from.
	force   bool
	from    []owner
	metrics []autoscalingv2.MetricSpec
	record  record
	changes []change
}

func (p plan) with(a recommender.Action, reason string) plan {
	p.action, p.reason = a, reason
	return p
}

// planner decides, from an HPA as read and the recommendation for its
// workload, what pacer does with it. It does no I/O.
type planner struct {
	fieldManager string
	rateMetrics  []string
}

// relevant reports whether pacer has anything to say about an HPA: it has
// a mode annotation or its workload has a recommendation.
func relevant(h *autoscalingv2.HorizontalPodAutoscaler, rec *recommender.Recommendation) bool {
	_, annotated := h.Annotations[recommender.ModeAnnotation]
	return annotated || rec != nil
}

func (pl planner) plan(h *autoscalingv2.HorizontalPodAutoscaler, rec *recommender.Recommendation, cur recommender.Current) plan {
	var p plan
	if why := skipReason(h, rec); why != "" {
		return p.with(recommender.ActionSkipped, why)
	}
	prev, managed, err := readRecord(h.Annotations)
	if err != nil {
		return p.with(recommender.ActionSkipped, err.Error()+"; "+handBack(h))
	}
	d := desire(h.Spec.Metrics, pl.rateMetrics, rec, cur, prev)
	if len(d.targets) == 0 {
		return p.with(recommender.ActionSkipped, fmt.Sprintf(
			"spec.metrics has no target pacer sets: no Pods, External or Object metric named %s with an AverageValue or Value target, no cpu utilization",
			strings.Join(pl.rateMetrics, " or ")))
	}
	p.metrics, p.changes = d.metrics, d.changes
	p.record = record{Metrics: hashMetrics(d.metrics), Targets: d.targets, ScaleAtCores: d.scaleAt}
	owners := metricsOwnership(h.ManagedFields, pl.fieldManager)
	wants := joinChanges(d.changes)
	if !managed {
		if len(d.changes) == 0 {
			return p.with(recommender.ActionUnchanged, "targets already at pacer's values: "+joinTargets(d.targets))
		}
		p.force, p.from = true, owners.others
		return p.with(recommender.ActionWritten, wants)
	}

	live := targetsOf(h.Spec.Metrics, pl.rateMetrics)
	switch {
	case hashMetrics(h.Spec.Metrics) != prev.Metrics:
		return p.with(recommender.ActionConflict, fmt.Sprintf("spec.metrics was changed by %s after pacer applied it (%s); pacer would set %s. %s",
			names(owners.others), diffTargets(prev.Targets, live), orNothing(wants), handBack(h)))
	case owners.known && !owners.pacer:
		return p.with(recommender.ActionConflict, fmt.Sprintf("%s took spec.metrics over from pacer, with the values pacer applied; pacer would set %s. %s",
			names(owners.others), orNothing(wants), handBack(h)))
	case len(d.changes) == 0:
		return p.with(recommender.ActionUnchanged, "targets at pacer's values: "+joinTargets(d.targets))
	case len(owners.others) > 0:
		return p.with(recommender.ActionConflict, fmt.Sprintf("%s also applied spec.metrics, with pacer's values; pacer would set %s and does not override a co-owner. %s",
			names(owners.others), wants, handBack(h)))
	}
	return p.with(recommender.ActionWritten, wants)
}

// skipReason says why pacer may not change an HPA, or "" when it may.
func skipReason(h *autoscalingv2.HorizontalPodAutoscaler, rec *recommender.Recommendation) string {
	var mode recommender.Mode
	by := "the workload's"
	if rec != nil {
		mode = rec.Mode
	}
	if v, ok := h.Annotations[recommender.ModeAnnotation]; ok {
		m, err := recommender.ParseMode(v)
		if err != nil {
			return fmt.Sprintf("annotation %s on the HPA: %v", recommender.ModeAnnotation, err)
		}
		mode, by = m, "the HPA's"
	}
	ref := targetOf(h)
	switch {
	case mode != recommender.ModeApply:
		return fmt.Sprintf("not opted in: %s mode is %q; pacer changes an HPA only in mode apply", by, mode)
	case rec == nil:
		return fmt.Sprintf("no recommendation for %s %s", ref.Kind, ref.Name)
	case rec.Outcome != recommender.OutcomeReady:
		why := string(rec.Outcome)
		if len(rec.Missing) > 0 {
			why += ": " + rec.Missing[0].String()
		}
		return "recommendation not ready: " + why
	case rec.Horizontal == nil:
		return "the recommendation has no horizontal part (no request rate)"
	}
	return ""
}

// targetOf is the workload an HPA scales.
func targetOf(h *autoscalingv2.HorizontalPodAutoscaler) recommender.WorkloadRef {
	return recommender.WorkloadRef{Namespace: h.Namespace, Kind: recommender.WorkloadKind(h.Spec.ScaleTargetRef.Kind), Name: h.Spec.ScaleTargetRef.Name}
}

// targetsOf reads the targets pacer manages from a metrics list.
func targetsOf(metrics []autoscalingv2.MetricSpec, rateMetrics []string) map[string]string {
	out := map[string]string{}
	for i := range metrics {
		m := metrics[i].DeepCopy()
		if key, t := rateTarget(m, rateMetrics); t != nil {
			switch {
			case t.Type == autoscalingv2.AverageValueMetricType && t.AverageValue != nil:
				out[key] = t.AverageValue.String()
			case t.Type == autoscalingv2.ValueMetricType && t.Value != nil:
				out[key] = t.Value.String()
			}
		} else if key, _, t := cpuTarget(m); t != nil {
			out[key] = percent(*t.AverageUtilization)
		}
	}
	return out
}

// diffTargets lists the targets that moved from what pacer applied.
func diffTargets(applied, live map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(applied)) {
		now, ok := live[k]
		if !ok {
			now = "removed"
		}
		if now != applied[k] {
			out = append(out, fmt.Sprintf("%s %s → %s", k, applied[k], now))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(live)) {
		if _, ok := applied[k]; !ok {
			out = append(out, fmt.Sprintf("%s added at %s", k, live[k]))
		}
	}
	if len(out) == 0 {
		return "the targets pacer sets are as it left them; other metrics changed"
	}
	return strings.Join(out, ", ")
}

// handBack tells a person how to give an HPA's metrics back to pacer.
func handBack(h *autoscalingv2.HorizontalPodAutoscaler) string {
	return fmt.Sprintf("pacer leaves them alone until the %s annotation is removed: kubectl annotate hpa -n %s %s %s-",
		AppliedMetricsAnnotation, h.Namespace, h.Name, AppliedMetricsAnnotation)
}

func joinChanges(changes []change) string {
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

func joinTargets(targets map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(targets)) {
		parts = append(parts, k+" "+targets[k])
	}
	return strings.Join(parts, ", ")
}

func orNothing(s string) string {
	if s == "" {
		return "nothing new"
	}
	return s
}

// rules names the recommendation's rules behind the changes: those that
// moved the per-pod target and, for a CPU utilization change, the CPU
// requests.
func rules(rec *recommender.Recommendation, changes []change) []string {
	var out []string
	add := func(reasons []recommender.Reason, value string) {
		for _, r := range reasons {
			if r.Value == value && !slices.Contains(out, r.Rule) {
				out = append(out, r.Rule)
			}
		}
	}
	if slices.ContainsFunc(changes, func(c change) bool { return !c.cpu }) && rec.Horizontal != nil {
		add(rec.Horizontal.Reasons, "hpa_target")
	}
	if slices.ContainsFunc(changes, func(c change) bool { return c.cpu }) {
		for _, c := range rec.Containers {
			add(c.Reasons, "cpu_request")
		}
	}
	return out
}
