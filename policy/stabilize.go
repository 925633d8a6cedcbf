package policy

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// PolicyType says how a ScalingPolicy's Value counts replicas.
type PolicyType string

// Scaling policy types, as in HPA autoscaling/v2.
const (
	// PodsPolicy allows Value replicas of change per Period.
	PodsPolicy PolicyType = "Pods"
	// PercentPolicy allows Value percent of the replicas at the start of the
	// Period as change per Period.
	PercentPolicy PolicyType = "Percent"
)

// SelectPolicy says which of several scaling policies applies.
type SelectPolicy string

// Policy selections, as in HPA autoscaling/v2. An empty SelectPolicy means SelectMax.
const (
	// SelectMax applies the policy allowing the largest change.
	SelectMax SelectPolicy = "Max"
	// SelectMin applies the policy allowing the smallest change.
	SelectMin SelectPolicy = "Min"
	// SelectDisabled forbids scaling in that direction.
	SelectDisabled SelectPolicy = "Disabled"
)

// Limits HPA's API validation puts on behaviors; kept here so a Behavior can
// always be written to an HPA and so the stabilizer's history stays bounded.
const (
	maxStabilizationWindow = time.Hour
	maxScalingPolicyPeriod = 30 * time.Minute
)

// ScalingPolicy allows a change of Value (replicas or percent) per Period.
type ScalingPolicy struct {
	Type   PolicyType
	Value  int32
	Period time.Duration
}

// String renders the policy as in reasons, e.g. "Pods 4 per 15s".
func (p ScalingPolicy) String() string {
	if p.Type == PercentPolicy {
		return fmt.Sprintf("%s %d%% per %s", p.Type, p.Value, p.Period)
	}
	return fmt.Sprintf("%s %d per %s", p.Type, p.Value, p.Period)
}

// ScalingRules govern one direction of scaling.
type ScalingRules struct {
	// StabilizationWindow: scaling up uses the lowest recommendation within
	// it, scaling down the highest; between 0 and 1h.
	StabilizationWindow time.Duration
	Select              SelectPolicy
	Policies            []ScalingPolicy
}

// Behavior holds the scale-up and scale-down rules, with HPA autoscaling/v2
// semantics.
type Behavior struct {
	ScaleUp, ScaleDown ScalingRules
}

// DefaultBehavior is the HPA default: scale up with no stabilization, by at
// most the larger of 100% and 4 pods per 15s; scale down with a 300s
// stabilization window, by at most 100% per 15s.
func DefaultBehavior() Behavior {
	return Behavior{
		ScaleUp: ScalingRules{
			Select: SelectMax,
			Policies: []ScalingPolicy{
				{Type: PercentPolicy, Value: 100, Period: 15 * time.Second},
				{Type: PodsPolicy, Value: 4, Period: 15 * time.Second},
			},
		},
		ScaleDown: ScalingRules{
			StabilizationWindow: 300 * time.Second,
			Select:              SelectMax,
			Policies:            []ScalingPolicy{{Type: PercentPolicy, Value: 100, Period: 15 * time.Second}},
		},
	}
}

// Validate checks b against the HPA's rules and says which field is wrong.
func (b Behavior) Validate() error {
	var errs []error
	if err := b.ScaleUp.validate(); err != nil {
		errs = append(errs, fmt.Errorf("scaleUp: %w", err))
	}
	if err := b.ScaleDown.validate(); err != nil {
		errs = append(errs, fmt.Errorf("scaleDown: %w", err))
	}
	return errors.Join(errs...)
}

func (r ScalingRules) validate() error {
	var errs []error
	if r.StabilizationWindow < 0 || r.StabilizationWindow > maxStabilizationWindow {
		errs = append(errs, fmt.Errorf("stabilizationWindow %s must be between 0s and %s", r.StabilizationWindow, maxStabilizationWindow))
	}
	switch r.Select {
	case "", SelectMax, SelectMin, SelectDisabled:
	default:
		errs = append(errs, fmt.Errorf("select %q must be %q, %q or %q", r.Select, SelectMax, SelectMin, SelectDisabled))
	}
	if len(r.Policies) == 0 && r.Select != SelectDisabled {
		errs = append(errs, errors.New("policies: at least one policy is required unless select is Disabled"))
	}
	for i, p := range r.Policies {
		if p.Type != PodsPolicy && p.Type != PercentPolicy {
			errs = append(errs, fmt.Errorf("policies[%d].type %q must be %q or %q", i, p.Type, PodsPolicy, PercentPolicy))
		}
		if p.Value <= 0 {
			errs = append(errs, fmt.Errorf("policies[%d].value %d must be > 0", i, p.Value))
		}
		if p.Period <= 0 || p.Period > maxScalingPolicyPeriod {
			errs = append(errs, fmt.Errorf("policies[%d].period %s must be in (0s, %s]", i, p.Period, maxScalingPolicyPeriod))
		}
	}
	return errors.Join(errs...)
}

// longestPeriod returns the longest policy period, how long scale events
// matter to these rules.
func (r ScalingRules) longestPeriod() time.Duration {
	var longest time.Duration
	for _, p := range r.Policies {
		longest = max(longest, p.Period)
	}
	return longest
}

// replicaRecord is a recommendation (replicas) or a scale event (replicas
// changed, always positive) at a time.
type replicaRecord struct {
	at       time.Time
	replicas int32
}

// ReplicaStabilizer applies a Behavior to a sequence of replica
// recommendations for one workload, as the HPA controller's
// normalizeDesiredReplicasWithBehaviors does. It keeps the recommendations
// within the longest stabilization window and the scale events within the
// longest policy period of each direction, nothing older. It is not safe for
// concurrent use.
type ReplicaStabilizer struct {
	behavior        Behavior
	recommendations []replicaRecord
	upEvents        []replicaRecord
	downEvents      []replicaRecord
	started         bool
	// observed is the current count of the previous call: scale events are
	// the changes of current the caller reports, not the results returned,
	// since whoever applies them (an HPA scaling on pacer's number, a
	// person) may apply them late or not at all.
	observed   int32
	observedAt time.Time
}

// NewReplicaStabilizer returns a stabilizer for b, or an error if b is invalid.
func NewReplicaStabilizer(b Behavior) (*ReplicaStabilizer, error) {
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("new replica stabilizer: %w", err)
	}
	b.ScaleUp.Policies = slices.Clone(b.ScaleUp.Policies)
	b.ScaleDown.Policies = slices.Clone(b.ScaleDown.Policies)
	return &ReplicaStabilizer{behavior: b}, nil
}

// Next records desired at now and returns the replica count to use given
// current, with the limit that applied ("" when none; several are joined by
// "; "), e.g. "scale-down stabilization 5m0s held 8 replicas" or "scale-up
// policy Pods 4 per 15s limited 20 to 12". As in the HPA controller:
//
//   - The first call records current as a recommendation at now, so a
//     restarted stabilizer does not scale down at once.
//   - Stabilization: the result moves from current toward desired no further
//     than the lowest recommendation within the scale-up window (when going
//     up) or the highest within the scale-down window (when going down).
//   - Rate: each policy allows a change from the replicas at the start of its
//     Period (current minus the scale events since); Select picks the most
//     (Max) or least (Min) permissive policy, Disabled forbids the direction.
//   - The result stays within [minReplicas, maxReplicas]; a current outside
//     that range moves straight to the nearest bound, and a current of 0 with
//     minReplicas > 0 means scaling is disabled (the result is 0).
//
// Scale events are the changes of current between calls, dated at the
// earlier call: a result not (yet) applied uses none of the rate
// budget, so a recommendation that waits for an HPA does not swing back and
// forth. now should not go backwards. Negative counts are treated as 0; if
// minReplicas > maxReplicas, maxReplicas wins.
func (s *ReplicaStabilizer) Next(now time.Time, current, desired, minReplicas, maxReplicas int32) (int32, string) {
	current, desired = max(current, 0), max(desired, 0)
	maxReplicas = max(maxReplicas, 0)
	minReplicas = min(max(minReplicas, 0), maxReplicas)
	s.prune(now)
	if s.started && current != s.observed {
		// The change came after the previous call: it is dated then.
		s.recordScale(s.observedAt, s.observed, current)
	}
	s.observed, s.observedAt = current, now
	switch {
	case current == 0 && minReplicas > 0:
		return 0, "scaling disabled: current replicas is 0"
	case current > maxReplicas:
		return maxReplicas, fmt.Sprintf("current %d above maxReplicas %d", current, maxReplicas)
	case current < minReplicas:
		return minReplicas, fmt.Sprintf("current %d below minReplicas %d", current, minReplicas)
	}
	if !s.started {
		s.recommendations = append(s.recommendations, replicaRecord{at: now, replicas: current})
		s.started = true
	}
	stabilized, stabilizeReason := s.stabilize(now, current, desired)
	s.recommendations = append(s.recommendations, replicaRecord{at: now, replicas: desired})
	result, rateReason := s.limitRate(now, current, stabilized, minReplicas, maxReplicas)
	switch {
	case stabilizeReason == "":
		return result, rateReason
	case rateReason == "":
		return result, stabilizeReason
	}
	return result, stabilizeReason + "; " + rateReason
}

// stabilize bounds the move from current to desired by the recommendations
// within each direction's stabilization window.
func (s *ReplicaStabilizer) stabilize(now time.Time, current, desired int32) (int32, string) {
	upWindow, downWindow := s.behavior.ScaleUp.StabilizationWindow, s.behavior.ScaleDown.StabilizationWindow
	upCutoff, downCutoff := now.Add(-upWindow), now.Add(-downWindow)
	lowest, highest := desired, desired
	for _, r := range s.recommendations {
		if r.at.After(upCutoff) {
			lowest = min(lowest, r.replicas)
		}
		if r.at.After(downCutoff) {
			highest = max(highest, r.replicas)
		}
	}
	stabilized := min(max(current, lowest), highest)
	switch {
	case stabilized > desired:
		return stabilized, fmt.Sprintf("scale-down stabilization %s held %d replicas", downWindow, stabilized)
	case stabilized < desired:
		return stabilized, fmt.Sprintf("scale-up stabilization %s held %d replicas", upWindow, stabilized)
	}
	return stabilized, ""
}

// limitRate bounds the move from current to target by the scaling policies
// and by [minReplicas, maxReplicas], whichever is tighter.
func (s *ReplicaStabilizer) limitRate(now time.Time, current, target, minReplicas, maxReplicas int32) (int32, string) {
	if target == current {
		return target, ""
	}
	up := target > current
	bound, rule := s.policyLimit(now, current, up)
	var why string // set when the replica range, not a policy, is the bound
	if up {
		bound = max(bound, current) // scale events in the period used the budget: hold
		if maxReplicas <= bound {
			bound, why = maxReplicas, "maxReplicas"
		}
		if target <= bound {
			return target, ""
		}
	} else {
		bound = min(bound, current)
		if minReplicas >= bound {
			bound, why = minReplicas, "minReplicas"
		}
		if target >= bound {
			return target, ""
		}
	}
	if why == "" {
		why = rule.String()
	}
	return bound, fmt.Sprintf("%s limited %d to %d", why, target, bound)
}

// policyLimit returns the furthest the policies let replicas move from
// current in one direction (up or down) at now, and the rule that set it.
func (s *ReplicaStabilizer) policyLimit(now time.Time, current int32, up bool) (int32, scalingRule) {
	rules := s.behavior.ScaleDown
	if up {
		rules = s.behavior.ScaleUp
	}
	if rules.Select == SelectDisabled {
		return current, scalingRule{up: up, disabled: true}
	}
	var best int64
	var chosen ScalingPolicy
	for i, p := range rules.Policies {
		cutoff := now.Add(-p.Period)
		periodStart := int64(current) - sumReplicaChanges(s.upEvents, cutoff) + sumReplicaChanges(s.downEvents, cutoff)
		proposed := proposeReplicas(p, periodStart, up)
		switch {
		case i == 0:
		case rules.Select == SelectMin && widerChange(best, proposed, up):
		case rules.Select != SelectMin && widerChange(proposed, best, up):
		default:
			continue
		}
		best, chosen = proposed, p
	}
	return saturateInt32(best), scalingRule{up: up, policy: chosen}
}

// scalingRule names what limited a step, for reasons.
type scalingRule struct {
	up       bool
	disabled bool
	policy   ScalingPolicy
}

func (r scalingRule) String() string {
	direction := "scale-down"
	if r.up {
		direction = "scale-up"
	}
	if r.disabled {
		return direction + " disabled"
	}
	return direction + " policy " + r.policy.String()
}

// widerChange reports whether replica count a is a larger change than b in
// the direction (up or down).
func widerChange(a, b int64, up bool) bool {
	if up {
		return a > b
	}
	return a < b
}

// proposeReplicas returns the replica count policy p allows from
// periodStart, rounding as the HPA controller does: up for Percent scale-ups
// (so a small workload can grow at all), toward zero for scale-downs.
func proposeReplicas(p ScalingPolicy, periodStart int64, up bool) int64 {
	value := int64(p.Value)
	switch {
	case p.Type == PodsPolicy && up:
		return periodStart + value
	case p.Type == PodsPolicy:
		return periodStart - value
	case up:
		return int64(math.Ceil(float64(periodStart) * (1 + float64(value)/100)))
	}
	return int64(math.Trunc(float64(periodStart) * (1 - float64(value)/100)))
}

// sumReplicaChanges adds up the changes of events after cutoff.
func sumReplicaChanges(events []replicaRecord, cutoff time.Time) int64 {
	var sum int64
	for _, e := range events {
		if e.at.After(cutoff) {
			sum += int64(e.replicas)
		}
	}
	return sum
}

// recordScale records the move from current to result as a scale event.
func (s *ReplicaStabilizer) recordScale(now time.Time, current, result int32) {
	switch {
	case result > current:
		s.upEvents = append(s.upEvents, replicaRecord{at: now, replicas: result - current})
	case result < current:
		s.downEvents = append(s.downEvents, replicaRecord{at: now, replicas: current - result})
	}
}

// prune drops the recommendations outside both stabilization windows and
// the scale events older than their direction's longest policy period; they
// can no longer affect a result.
func (s *ReplicaStabilizer) prune(now time.Time) {
	window := max(s.behavior.ScaleUp.StabilizationWindow, s.behavior.ScaleDown.StabilizationWindow)
	s.recommendations = keepAfter(s.recommendations, now.Add(-window))
	s.upEvents = keepAfter(s.upEvents, now.Add(-s.behavior.ScaleUp.longestPeriod()))
	s.downEvents = keepAfter(s.downEvents, now.Add(-s.behavior.ScaleDown.longestPeriod()))
}

// keepAfter removes, in place, the records not after cutoff.
func keepAfter(records []replicaRecord, cutoff time.Time) []replicaRecord {
	return slices.DeleteFunc(records, func(r replicaRecord) bool { return !r.at.After(cutoff) })
}

// saturateInt32 converts v to int32, clamping it to the int32 range.
func saturateInt32(v int64) int32 {
	switch {
	case v > math.MaxInt32:
		return math.MaxInt32
	case v < math.MinInt32:
		return math.MinInt32
	}
	return int32(v)
}
