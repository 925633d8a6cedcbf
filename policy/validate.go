package policy

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// validator collects field errors with paths relative to a policy.
type validator struct{ errs []*FieldError }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) percent(field string, p float64, allowZero bool) {
	switch {
	case p < 0:
		v.add(field, "%g is negative", p)
	case p > 100:
		v.add(field, "%g is more than 100 percent", p)
	case p == 0 && !allowZero:
		v.add(field, "must be more than 0")
	}
}

func (v *validator) nonNegative(field string, x float64) {
	if x < 0 {
		v.add(field, "%g is negative", x)
	}
}

func (v *validator) positive(field string, x float64) {
	if x <= 0 {
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

func (v *validator) minMax(minField string, lo, hi Quantity) {
	if lo.Sign() < 0 {
		v.add(minField, "%s is negative", lo.String())
	}
	if lo.Cmp(hi.Quantity) > 0 {
		v.add(minField, "min %s is more than max %s", lo.String(), hi.String())
	}
}

// A DNS-1123 label: what Kubernetes allows as a namespace or name part, and
// what a policy name must be so it can appear in an annotation.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// validate checks every setting for absurd values; paths are relative to the policy.
func (p Policy) validate() []*FieldError {
	v := &validator{}
	if p.Name == "" {
		v.add("name", "missing: every policy needs a name")
	} else if len(p.Name) > 63 || !dnsLabel.MatchString(p.Name) {
		v.add("name", "%q is not a DNS label (lowercase letters, digits and '-', at most 63)", p.Name)
	}
	for _, k := range p.Selector.Kinds {
		switch k {
		case "Deployment", "StatefulSet", "DaemonSet":
		default:
			v.add("selector.kinds", "%q is not Deployment, StatefulSet or DaemonSet", k)
		}
	}

	v.duration("history.minimum", p.History.Minimum, 0, 90*24*time.Hour)
	v.duration("history.halfLife", p.History.HalfLife, time.Minute, 90*24*time.Hour)
	v.duration("history.staleAfter", p.History.StaleAfter, time.Second, 24*time.Hour)

	v.percent("cpu.percentile", p.CPU.Percentile, false)
	v.nonNegative("cpu.marginPercent", p.CPU.MarginPercent)
	v.minMax("cpu.min", p.CPU.Min, p.CPU.Max)
	switch p.CPU.Limit {
	case "none":
	case "ratio":
		if p.CPU.LimitRatio < 1 {
			v.add("cpu.limitRatio", "%g is less than 1: the limit would be below the request", p.CPU.LimitRatio)
		}
	default:
		v.add("cpu.limit", "%q is not none or ratio", p.CPU.Limit)
	}
	v.nonNegative("cpu.maxChangePercent", p.CPU.MaxChangePercent)

	v.percent("memory.heapPercentile", p.Memory.HeapPercentile, false)
	v.nonNegative("memory.marginPercent", p.Memory.MarginPercent)
	v.minMax("memory.min", p.Memory.Min, p.Memory.Max)
	if p.Memory.LimitRatio < 1 {
		v.add("memory.limitRatio", "%g is less than 1: the limit would be below the request", p.Memory.LimitRatio)
	}
	v.percent("memory.gomemlimitPercent", p.Memory.GOMEMLIMITPercent, true)
	v.nonNegative("memory.maxChangePercent", p.Memory.MaxChangePercent)

	h := p.Horizontal
	v.positive("horizontal.targetRequestRatePerPod", h.TargetRequestRatePerPod)
	v.duration("horizontal.rateWindow", h.RateWindow, time.Second, 24*time.Hour)
	v.percent("horizontal.scaleUpCPUPercent", h.ScaleUpCPUPercent, false)
	v.nonNegative("horizontal.scaleDownBelowRequestRatePerPod", h.ScaleDownBelowRequestRatePerPod)
	if h.ScaleDownBelowRequestRatePerPod > h.TargetRequestRatePerPod {
		v.add("horizontal.scaleDownBelowRequestRatePerPod", "%g is above the target %g: replicas would flap",
			h.ScaleDownBelowRequestRatePerPod, h.TargetRequestRatePerPod)
	}
	v.duration("horizontal.scaleDownStabilization", h.ScaleDownStabilization, 0, time.Hour)
	v.percent("horizontal.scaleDownMaxPercent", h.ScaleDownMaxPercent, false)
	v.duration("horizontal.scaleDownPeriod", h.ScaleDownPeriod, time.Second, 30*time.Minute)
	if h.MinReplicas < 1 {
		v.add("horizontal.minReplicas", "%d is less than 1", h.MinReplicas)
	}
	if h.MaxReplicas < h.MinReplicas {
		v.add("horizontal.maxReplicas", "%d is less than minReplicas %d", h.MaxReplicas, h.MinReplicas)
	}

	r := p.Rules
	v.positive("rules.goroutinePressure.above", r.GoroutinePressure.Above)
	v.duration("rules.goroutinePressure.for", r.GoroutinePressure.For, 0, 7*24*time.Hour)
	v.nonNegative("rules.goroutinePressure.raiseMemoryPercent", r.GoroutinePressure.RaiseMemoryPercent)
	v.percent("rules.allocationPressure.percentile", r.AllocationPressure.Percentile, false)
	if r.AllocationPressure.AbovePerSecond.Sign() <= 0 {
		v.add("rules.allocationPressure.abovePerSecond", "%s must be positive", r.AllocationPressure.AbovePerSecond.String())
	}
	v.nonNegative("rules.allocationPressure.raiseMemoryPercent", r.AllocationPressure.RaiseMemoryPercent)
	v.positive("rules.gcPressure.cyclesPerMinuteAbove", r.GCPressure.CyclesPerMinuteAbove)
	v.percent("rules.oomRisk.heapAboveLimitPercent", r.OOMRisk.HeapAboveLimitPercent, false)
	v.nonNegative("rules.oomRisk.raiseMemoryPercent", r.OOMRisk.RaiseMemoryPercent)
	return v.errs
}

// Validate reports every problem of a policy built in code.
func (p Policy) Validate() error {
	errs := p.validate()
	if len(errs) == 0 {
		return nil
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		e.Source = "policy " + p.Name
		out[i] = e
	}
	return errors.Join(out...)
}
