package policy

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

const (
	// maxRaisePercent bounds every percentage that raises or moves a value
	// (margins, step limits, rule raises): at most 1000%, eleven times the
	// value, is already far past any sane setting.
	maxRaisePercent = 1000
	// maxLimitRatio bounds a limit to this many times its request.
	maxLimitRatio = 100
)

// problem is one invalid setting, its path relative to the policy.
type problem struct {
	field string
	// also lists the other settings the check compared field with, so a
	// problem can be traced to whichever of them an annotation set.
	also []string
	msg  string
}

// validator collects the problems of one policy.
type validator struct{ problems []problem }

func (v *validator) add(field, format string, args ...any) {
	v.problems = append(v.problems, problem{field: field, msg: fmt.Sprintf(format, args...)})
}

// addVersus adds a problem of field compared with other.
func (v *validator) addVersus(field, other, format string, args ...any) {
	v.problems = append(v.problems, problem{field: field, also: []string{other}, msg: fmt.Sprintf(format, args...)})
}

// finite reports whether x is a number, adding a problem when it is NaN or
// infinite: yaml reads .nan and .inf as floats.
func (v *validator) finite(field string, x float64) bool {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		v.add(field, "%g is not a finite number", x)
		return false
	}
	return true
}

// percent checks a percentage in [0, hi], or (0, hi] unless zeroOK.
func (v *validator) percent(field string, p, hi float64, zeroOK bool) {
	if !v.finite(field, p) {
		return
	}
	switch {
	case p < 0:
		v.add(field, "%g is negative", p)
	case p == 0 && !zeroOK:
		v.add(field, "must be more than 0")
	case p > hi:
		v.add(field, "%g is more than %g percent", p, hi)
	}
}

// wholePercent checks a whole percentage in [1, 100].
func (v *validator) wholePercent(field string, p float64) {
	if !v.finite(field, p) {
		return
	}
	if p != math.Trunc(p) {
		v.add(field, "%g is not a whole number", p)
		return
	}
	v.percent(field, p, 100, false)
}

func (v *validator) limitRatio(field string, r float64) {
	if !v.finite(field, r) {
		return
	}
	switch {
	case r < 1:
		v.add(field, "%g is less than 1: the limit would be below the request", r)
	case r > maxLimitRatio:
		v.add(field, "%g is more than %d: the limit would dwarf the request", r, maxLimitRatio)
	}
}

func (v *validator) nonNegative(field string, x float64) {
	if v.finite(field, x) && x < 0 {
		v.add(field, "%g is negative", x)
	}
}

func (v *validator) positive(field string, x float64) {
	if v.finite(field, x) && x <= 0 {
		v.add(field, "%g must be positive", x)
	}
}

func (v *validator) duration(field string, d Duration, lo, hi time.Duration) {
	switch {
	case d.D() < lo:
		v.add(field, "%s is shorter than %s", d.D(), lo)
	case d.D() > hi:
		v.add(field, "%s is longer than %s", d.D(), hi)
	}
}

// quantity checks that q is a float64 and, unless zeroOK, positive.
func (v *validator) quantity(field string, q Quantity, zeroOK bool) bool {
	switch {
	case math.IsInf(q.Value(), 0):
		v.add(field, "%s is too large", q.String())
	case q.Sign() < 0:
		v.add(field, "%s is negative", q.String())
	case q.Sign() == 0 && !zeroOK:
		v.add(field, "%s must be positive", q.String())
	default:
		return true
	}
	return false
}

// minMax checks the bounds min..max of a section: 0 <= min <= max, max > 0.
func (v *validator) minMax(section string, lo, hi Quantity) {
	minField, maxField := section+".min", section+".max"
	okLo, okHi := v.quantity(minField, lo, true), v.quantity(maxField, hi, false)
	if okLo && okHi && lo.Cmp(hi.Quantity) > 0 {
		v.addVersus(minField, maxField, "min %s is more than max %s", lo.String(), hi.String())
	}
}

// A DNS-1123 label: what Kubernetes allows as a namespace or name part, and
// what a policy name must be so it can appear in an annotation.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// validate checks every setting against the bounds its doc comment states.
func (p Policy) validate() []problem {
	v := &validator{}
	if p.Name == "" {
		v.add("name", "missing: every policy needs a name")
	} else if len(p.Name) > 63 || !dnsLabel.MatchString(p.Name) {
		v.add("name", "%q is not a DNS label (lowercase letters, digits and '-', at most 63)", p.Name)
	}
	for i, ns := range p.Selector.Namespaces {
		if len(ns) > 63 || !dnsLabel.MatchString(ns) {
			v.add(fmt.Sprintf("selector.namespaces[%d]", i), "%q is not a namespace name (a DNS label)", ns)
		}
	}
	for i, k := range p.Selector.Kinds {
		switch k {
		case "Deployment", "StatefulSet", "DaemonSet":
		default:
			v.add(fmt.Sprintf("selector.kinds[%d]", i), "%q is not Deployment, StatefulSet or DaemonSet", k)
		}
	}

	v.duration("history.minimum", p.History.Minimum, 0, 90*24*time.Hour)
	v.duration("history.halfLife", p.History.HalfLife, time.Minute, 90*24*time.Hour)
	v.duration("history.staleAfter", p.History.StaleAfter, time.Second, 24*time.Hour)

	v.percent("cpu.percentile", p.CPU.Percentile, 100, false)
	v.percent("cpu.marginPercent", p.CPU.MarginPercent, maxRaisePercent, true)
	v.minMax("cpu", p.CPU.Min, p.CPU.Max)
	if _, err := recommender.ParseMode(p.Mode); err != nil {
		v.add("mode", "%q is not off, recommend or apply", p.Mode)
	}
	if p.CPU.Limit != "none" && p.CPU.Limit != "ratio" {
		v.add("cpu.limit", "%q is not none or ratio", p.CPU.Limit)
	}
	v.limitRatio("cpu.limitRatio", p.CPU.LimitRatio)
	v.percent("cpu.maxChangePercent", p.CPU.MaxChangePercent, maxRaisePercent, true)

	v.percent("memory.heapPercentile", p.Memory.HeapPercentile, 100, false)
	v.percent("memory.marginPercent", p.Memory.MarginPercent, maxRaisePercent, true)
	v.minMax("memory", p.Memory.Min, p.Memory.Max)
	v.limitRatio("memory.limitRatio", p.Memory.LimitRatio)
	v.percent("memory.gomemlimitPercent", p.Memory.GOMEMLIMITPercent, 100, true)
	v.percent("memory.heapHeadroomPercent", p.Memory.HeapHeadroomPercent, maxRaisePercent, true)
	v.percent("memory.maxChangePercent", p.Memory.MaxChangePercent, maxRaisePercent, true)

	p.Horizontal.validate(v)
	p.Rules.validate(v)
	return v.problems
}

func (h Horizontal) validate(v *validator) {
	v.positive("horizontal.targetRequestRatePerPod", h.TargetRequestRatePerPod)
	v.duration("horizontal.rateWindow", h.RateWindow, time.Second, 24*time.Hour)
	v.percent("horizontal.scaleUpCPUPercent", h.ScaleUpCPUPercent, 100, false)
	v.percent("horizontal.tolerancePercent", h.TolerancePercent, 99, true)
	v.nonNegative("horizontal.scaleDownBelowRequestRatePerPod", h.ScaleDownBelowRequestRatePerPod)
	if h.ScaleDownBelowRequestRatePerPod > h.TargetRequestRatePerPod {
		v.addVersus("horizontal.scaleDownBelowRequestRatePerPod", "horizontal.targetRequestRatePerPod",
			"%g is above the target %g: replicas would flap", h.ScaleDownBelowRequestRatePerPod, h.TargetRequestRatePerPod)
	}
	v.duration("horizontal.scaleDownStabilization", h.ScaleDownStabilization, 0, time.Hour)
	v.wholePercent("horizontal.scaleDownMaxPercent", h.ScaleDownMaxPercent)
	v.duration("horizontal.scaleDownPeriod", h.ScaleDownPeriod, time.Second, 30*time.Minute)
	if h.MinReplicas < 1 {
		v.add("horizontal.minReplicas", "%d is less than 1", h.MinReplicas)
	}
	if h.MaxReplicas < h.MinReplicas {
		v.addVersus("horizontal.maxReplicas", "horizontal.minReplicas", "%d is less than minReplicas %d", h.MaxReplicas, h.MinReplicas)
	}
}

func (r Rules) validate(v *validator) {
	v.positive("rules.goroutinePressure.above", r.GoroutinePressure.Above)
	v.duration("rules.goroutinePressure.for", r.GoroutinePressure.For, 0, 7*24*time.Hour)
	v.percent("rules.goroutinePressure.raiseMemoryPercent", r.GoroutinePressure.RaiseMemoryPercent, maxRaisePercent, true)
	v.percent("rules.allocationPressure.percentile", r.AllocationPressure.Percentile, 100, false)
	v.quantity("rules.allocationPressure.abovePerSecond", r.AllocationPressure.AbovePerSecond, false)
	v.percent("rules.allocationPressure.raiseMemoryPercent", r.AllocationPressure.RaiseMemoryPercent, maxRaisePercent, true)
	v.positive("rules.gcPressure.cyclesPerMinuteAbove", r.GCPressure.CyclesPerMinuteAbove)
	v.percent("rules.oomRisk.heapAboveLimitPercent", r.OOMRisk.HeapAboveLimitPercent, 100, false)
	v.percent("rules.oomRisk.raiseMemoryPercent", r.OOMRisk.RaiseMemoryPercent, maxRaisePercent, true)
}

// Validate reports every problem of a policy built in code.
func (p Policy) Validate() error {
	problems := p.validate()
	if len(problems) == 0 {
		return nil
	}
	errs := make([]error, len(problems))
	for i, pr := range problems {
		errs[i] = &FieldError{Source: "policy " + p.Name, Field: pr.field, Msg: pr.msg}
	}
	return errors.Join(errs...)
}
