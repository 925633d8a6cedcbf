package vpa

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	vpav1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"

	"github.com/pacerdev/pacer/recommender"
)

// Reasons of the RecommendationProvided condition pacer writes.
const (
	reasonReady             = "RecommendationReady"
	reasonNoContainers      = "NoContainerRecommendations"
	reasonNoRecommendation  = "NoRecommendation"
	reasonUnsupportedTarget = "UnsupportedTarget"
	reasonInsufficientData  = "InsufficientData"
	reasonNoGoMetrics       = "NoGoMetrics"
	reasonNoPolicy          = "NoPolicy"
	reasonNotReady          = "NotReady"
)

// maxMissingInMessage bounds how many missing signals a condition message lists.
const maxMissingInMessage = 5

// plan is what a VPA's status should be, and what to report about it.
type plan struct {
	ref recommender.WorkloadRef
	// skip, when set, says why the VPA is left alone: nothing is written.
	skip string
	// withheld, when set, says why no recommendation is written: status
	// then differs from the current one at most in its condition.
	withheld string
	status   vpav1.VerticalPodAutoscalerStatus
	// summary names the targets written, for reports and events.
	summary string
}

// planFor works out the status a VPA that names pacer should have, from
// the recommendation for its target. cycleFailed says the cycle fetched
// nothing: a missing recommendation is then not news to write about.
func planFor(v *vpav1.VerticalPodAutoscaler, recommendationFor func(recommender.WorkloadRef) *recommender.Recommendation, cycleFailed bool, now time.Time) plan {
	ref, ok := targetOf(v)
	p := plan{ref: ref}
	if !ok {
		target := "none"
		if t := v.Spec.TargetRef; t != nil {
			target = t.Kind + "/" + t.Name
		}
		p.withheld = "unsupported target " + target
		p.status = withCondition(v, false, reasonUnsupportedTarget,
			fmt.Sprintf("pacer recommends for a Deployment, StatefulSet or DaemonSet (apps) in the VPA's namespace; the target is %s", target), now)
		return p
	}
	rec := recommendationFor(ref)
	switch {
	case rec == nil && cycleFailed:
		p.skip = "no recommendation for the target; the cycle failed"
		return p
	case rec == nil:
		p.withheld = "no recommendation for the target"
		p.status = withCondition(v, false, reasonNoRecommendation,
			fmt.Sprintf("pacer has no recommendation for %s %s: it saw no pods of it, or its selectors leave it out", ref.Kind, ref.Name), now)
		return p
	case rec.Mode != recommender.ModeRecommend && rec.Mode != recommender.ModeApply:
		p.skip = fmt.Sprintf("mode %s", modeName(rec.Mode))
		return p
	case rec.Outcome != recommender.OutcomeReady:
		reason, message := notReady(rec)
		p.withheld = string(rec.Outcome)
		if v.Status.Recommendation != nil {
			message += "; the last recommendation is kept"
		}
		p.status = withCondition(v, false, reason, message, now)
		return p
	}

	// Like the VPA's own recommender, an empty list is written when the
	// resource policy leaves every container out.
	containers := containerRecommendations(rec.Containers, v.Spec.ResourcePolicy)
	provided, reason, message := true, reasonReady, fmt.Sprintf("recommended by pacer policy %q", rec.Policy)
	if len(containers) == 0 {
		provided, reason, message = false, reasonNoContainers,
			"the VPA's resourcePolicy leaves out every container pacer recommends for (mode Off, or none of its resources controlled)"
	}
	p.status = withCondition(v, provided, reason, message, now)
	p.status.Recommendation = &vpav1.RecommendedPodResources{ContainerRecommendations: containers}
	p.summary = summarize(containers)
	return p
}

// targetOf returns the workload a VPA targets, and whether pacer can
// recommend for it.
func targetOf(v *vpav1.VerticalPodAutoscaler) (recommender.WorkloadRef, bool) {
	t := v.Spec.TargetRef
	if t == nil {
		return recommender.WorkloadRef{Namespace: v.Namespace}, false
	}
	ref := recommender.WorkloadRef{Namespace: v.Namespace, Kind: recommender.WorkloadKind(t.Kind), Name: t.Name}
	if t.APIVersion != "" {
		if gv, err := schema.ParseGroupVersion(t.APIVersion); err != nil || gv.Group != "apps" {
			return ref, false
		}
	}
	switch ref.Kind {
	case recommender.KindDeployment, recommender.KindStatefulSet, recommender.KindDaemonSet:
		return ref, t.Name != ""
	}
	return ref, false
}

func modeName(m recommender.Mode) string {
	if m == "" {
		return "unset"
	}
	return string(m)
}

// notReady returns the condition reason and message for a recommendation
// that is not ready. The message names no durations that grow or times
// that move, so it stays the same while the cause does.
func notReady(rec *recommender.Recommendation) (reason, message string) {
	switch rec.Outcome {
	case recommender.OutcomeInsufficientData:
		return reasonInsufficientData, "insufficient data: " + missingMessage(rec.Missing)
	case recommender.OutcomeNoGoMetrics:
		return reasonNoGoMetrics, "no container of the target exposes Go runtime metrics (goroutines, live heap, allocation rate)"
	case recommender.OutcomeNoPolicy:
		return reasonNoPolicy, "no pacer policy selects the target, or its policy annotations are wrong"
	}
	return reasonNotReady, fmt.Sprintf("the recommendation is not ready: %s", rec.Outcome)
}

func missingMessage(missing []recommender.Missing) string {
	var parts []string
	for _, m := range missing {
		// Keep the kind of reason ("stale"), not its details (the newest
		// sample's time), which change every cycle.
		why, _, _ := strings.Cut(m.Reason, ":")
		part := fmt.Sprintf("%s for %s: %s", m.Signal, m.Rule, why)
		if m.Need > 0 {
			part += fmt.Sprintf(" (needs %s of history)", m.Need)
		}
		if !slices.Contains(parts, part) {
			parts = append(parts, part)
		}
	}
	if len(parts) == 0 {
		return "no signal has enough history"
	}
	if len(parts) > maxMissingInMessage {
		more := len(parts) - maxMissingInMessage
		parts = append(parts[:maxMissingInMessage], fmt.Sprintf("and %d more", more))
	}
	return strings.Join(parts, "; ")
}

// withCondition returns v's status with RecommendationProvided set. Its
// lastTransitionTime moves only when its status does.
func withCondition(v *vpav1.VerticalPodAutoscaler, provided bool, reason, message string, now time.Time) vpav1.VerticalPodAutoscalerStatus {
	generation := v.Generation
	status := vpav1.VerticalPodAutoscalerStatus{
		Recommendation:     v.Status.Recommendation,
		Conditions:         slices.Clone(v.Status.Conditions),
		ObservedGeneration: &generation,
	}
	c := vpav1.VerticalPodAutoscalerCondition{
		Type:               vpav1.RecommendationProvided,
		Status:             corev1.ConditionFalse,
		LastTransitionTime: metav1.NewTime(now.Truncate(time.Second)),
		Reason:             reason,
		Message:            message,
		ObservedGeneration: v.Generation,
	}
	if provided {
		c.Status = corev1.ConditionTrue
	}
	i := slices.IndexFunc(status.Conditions, func(c vpav1.VerticalPodAutoscalerCondition) bool {
		return c.Type == vpav1.RecommendationProvided
	})
	if i < 0 {
		status.Conditions = append(status.Conditions, c)
		return status
	}
	if status.Conditions[i].Status == c.Status {
		c.LastTransitionTime = status.Conditions[i].LastTransitionTime
	}
	status.Conditions[i] = c
	return status
}

// containerRecommendations turns pacer's container recommendations into
// the VPA's, honoring the resource policy.
func containerRecommendations(containers []recommender.ContainerRecommendation, policy *vpav1.PodResourcePolicy) []vpav1.RecommendedContainerResources {
	var out []vpav1.RecommendedContainerResources
	for _, c := range containers {
		cp := containerPolicy(c.Container, policy)
		if cp != nil && cp.Mode != nil && *cp.Mode == vpav1.ContainerScalingModeOff {
			continue
		}
		controlled := controlledResources(cp)
		uncapped := quantities(c.Target, controlled)
		if len(uncapped) == 0 {
			continue
		}
		out = append(out, vpav1.RecommendedContainerResources{
			ContainerName:  c.Container,
			Target:         capped(uncapped, cp),
			LowerBound:     capped(quantities(c.Lower, controlled), cp),
			UpperBound:     capped(quantities(c.Upper, controlled), cp),
			UncappedTarget: uncapped,
		})
	}
	slices.SortFunc(out, func(a, b vpav1.RecommendedContainerResources) int {
		return strings.Compare(a.ContainerName, b.ContainerName)
	})
	return out
}

// containerPolicy returns the policy for a container: its own, else the
// "*" policy, else nil.
func containerPolicy(container string, policy *vpav1.PodResourcePolicy) *vpav1.ContainerResourcePolicy {
	if policy == nil {
		return nil
	}
	var fallback *vpav1.ContainerResourcePolicy
	for i, cp := range policy.ContainerPolicies {
		switch cp.ContainerName {
		case container:
			return &policy.ContainerPolicies[i]
		case vpav1.DefaultContainerResourcePolicy:
			fallback = &policy.ContainerPolicies[i]
		}
	}
	return fallback
}

// controlledResources returns the resources a policy controls: cpu and
// memory unless it names others.
func controlledResources(cp *vpav1.ContainerResourcePolicy) []corev1.ResourceName {
	if cp == nil || cp.ControlledResources == nil {
		return []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}
	}
	return *cp.ControlledResources
}

// quantities returns the requests in r of the resources named, CPU in
// millicores and memory in bytes, rounded up. A value that is not positive
// is left out: pacer never writes a zero.
func quantities(r recommender.Resources, names []corev1.ResourceName) corev1.ResourceList {
	out := corev1.ResourceList{}
	for _, name := range names {
		switch name {
		case corev1.ResourceCPU:
			if millicores, ok := roundUp(r.CPURequestCores * 1000); ok {
				out[name] = *resource.NewMilliQuantity(millicores, resource.DecimalSI)
			}
		case corev1.ResourceMemory:
			if bytes, ok := roundUp(r.MemoryRequestBytes); ok {
				out[name] = *resource.NewQuantity(bytes, resource.BinarySI)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// roundUp returns the smallest integer not below v, forgiving v the float
// error of a unit conversion (0.29 cores × 1000 is 290.00000000000006).
func roundUp(v float64) (int64, bool) {
	if !(v > 0) || v >= math.MaxInt64/2 {
		return 0, false
	}
	return int64(math.Ceil(v * (1 - 1e-12))), true
}

// capped returns list clamped to the policy's minAllowed, then its
// maxAllowed, as the VPA does: a zero bound is no bound, and maxAllowed
// wins over a larger minAllowed.
func capped(list corev1.ResourceList, cp *vpav1.ContainerResourcePolicy) corev1.ResourceList {
	if list == nil || cp == nil {
		return list
	}
	out := list.DeepCopy()
	for name, q := range out {
		if low, ok := cp.MinAllowed[name]; ok && !low.IsZero() && q.Cmp(low) < 0 {
			q = low.DeepCopy()
		}
		if high, ok := cp.MaxAllowed[name]; ok && !high.IsZero() && q.Cmp(high) > 0 {
			q = high.DeepCopy()
		}
		out[name] = q
	}
	return out
}

// summarize names each container's target: "app: cpu 250m, memory 512Mi".
func summarize(containers []vpav1.RecommendedContainerResources) string {
	if len(containers) == 0 {
		return "no container"
	}
	parts := make([]string, 0, len(containers))
	for _, c := range containers {
		var values []string
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := c.Target[name]; ok {
				values = append(values, string(name)+" "+q.String())
			}
		}
		parts = append(parts, c.ContainerName+": "+strings.Join(values, ", "))
	}
	return strings.Join(parts, "; ")
}
