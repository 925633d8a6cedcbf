package policy

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pacerdev/pacer/recommender"
)

// APIVersion and Kind identify a policy file.
const (
	APIVersion = "pacer.dev/v1alpha1"
	Kind       = "PolicySet"
)

// Set is a policy file: named policies, the first whose selector matches a
// workload applies to it.
type Set struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Policies   []Policy `yaml:"policies"`
}

// Policy is every setting of pacer's rules. Each field a file leaves out
// keeps its value from Default(). Parse and Validate hold every setting to
// the bounds its comment states; every number must be finite. A percentile
// is in (0, 100]; a margin, step limit or raise is a percentage in
// [0, 1000]; a limit ratio is in [1, 100].
type Policy struct {
	Name     string   `yaml:"name"`
	Selector Selector `yaml:"selector,omitempty"`
	// Mode is what pacer may do for the workloads the policy selects: off
	// (report only), recommend (write VPA status, serve metrics) or apply
	// (also patch opted-in HPAs and, in direct mode, workloads). A
	// workload's pacer.dev/mode annotation overrides it.
	Mode       string     `yaml:"mode"`
	History    History    `yaml:"history"`
	CPU        CPU        `yaml:"cpu"`
	Memory     Memory     `yaml:"memory"`
	Horizontal Horizontal `yaml:"horizontal"`
	Rules      Rules      `yaml:"rules"`
}

// Selector chooses workloads; empty fields match all.
type Selector struct {
	Namespaces  []string          `yaml:"namespaces,omitempty"`
	Kinds       []string          `yaml:"kinds,omitempty"`
	Names       []string          `yaml:"names,omitempty"`
	MatchLabels map[string]string `yaml:"matchLabels,omitempty"`
}

// History says how much data the rules need and how fast old data fades.
type History struct {
	// Minimum is the history a signal needs before its rules are trusted;
	// with less, the outcome is insufficient data. 0 to 90d.
	Minimum Duration `yaml:"minimum"`
	// HalfLife is the decay of the percentile histograms: a sample this old
	// weighs half as much as a new one. 1m to 90d.
	HalfLife Duration `yaml:"halfLife"`
	// StaleAfter: a signal whose newest sample is older than this is stale,
	// and a recommendation resting on it is not ready. 1s to 24h.
	StaleAfter Duration `yaml:"staleAfter"`
}

// CPU sizes the CPU request and limit and GOMAXPROCS.
type CPU struct {
	// Percentile of CPU usage the request starts from, in (0, 100].
	Percentile float64 `yaml:"percentile"`
	// MarginPercent is added to the request, in [0, 1000].
	MarginPercent float64 `yaml:"marginPercent"`
	// Min and Max bound the request, in cores: 0 <= Min <= Max, Max > 0.
	Min Quantity `yaml:"min"`
	Max Quantity `yaml:"max"`
	// Limit is "none" (no CPU limit; GOMAXPROCS from peak usage) or "ratio"
	// (limit = request × LimitRatio; GOMAXPROCS = the limit, rounded up).
	Limit string `yaml:"limit"`
	// LimitRatio is in [1, 100], checked even when Limit is "none".
	LimitRatio float64 `yaml:"limitRatio"`
	// MaxChangePercent bounds one step's change of the request, in
	// [0, 1000] (0: unbounded).
	MaxChangePercent float64 `yaml:"maxChangePercent"`
}

// Memory sizes the memory request and limit and GOMEMLIMIT from the Go memory model.
type Memory struct {
	// HeapPercentile of the live heap the model starts from, in (0, 100].
	HeapPercentile float64 `yaml:"heapPercentile"`
	// MarginPercent is added to the request, in [0, 1000].
	MarginPercent float64 `yaml:"marginPercent"`
	// Min and Max bound the request, in bytes: 0 <= Min <= Max, Max > 0.
	Min Quantity `yaml:"min"`
	Max Quantity `yaml:"max"`
	// LimitRatio: limit = request × LimitRatio, in [1, 100].
	LimitRatio float64 `yaml:"limitRatio"`
	// GOMEMLIMITPercent of the limit is recommended as GOMEMLIMIT, in
	// [0, 100] (0: none).
	GOMEMLIMITPercent float64 `yaml:"gomemlimitPercent"`
	// HeapHeadroomPercent: while the pod runs with the GOMEMLIMIT this policy
	// recommends, the heap is sized for live heap × (1 + this/100) instead
	// of the GOGC heap goal, as GOMEMLIMIT holds it there at the cost of GC
	// CPU. In [0, 1000] (0: always size for the GOGC heap goal); above GOGC
	// it has no effect.
	HeapHeadroomPercent float64 `yaml:"heapHeadroomPercent"`
	// MaxChangePercent bounds one step's change of the request, in
	// [0, 1000] (0: unbounded).
	MaxChangePercent float64 `yaml:"maxChangePercent"`
}

// Horizontal sizes replicas from request rate per pod, with a CPU guard.
type Horizontal struct {
	Enabled bool `yaml:"enabled"`
	// TargetRequestRatePerPod is the per-pod request rate to scale to (> 0).
	TargetRequestRatePerPod float64 `yaml:"targetRequestRatePerPod"`
	// RateWindow is the range the request rate is averaged over, 1s to 24h.
	RateWindow Duration `yaml:"rateWindow"`
	// ScaleUpCPUPercent: above this CPU utilization of the request, scale up
	// whatever the request rate says. In (0, 100].
	ScaleUpCPUPercent float64 `yaml:"scaleUpCPUPercent"`
	// TolerancePercent: while the request rate per pod, or the CPU
	// utilization, is within this much of its target, replicas stay as they
	// are (the HPA's --horizontal-pod-autoscaler-tolerance, 10%). In [0, 100).
	TolerancePercent float64 `yaml:"tolerancePercent"`
	// ScaleDownBelowRequestRatePerPod: scale down only below this per-pod
	// rate, in [0, TargetRequestRatePerPod].
	ScaleDownBelowRequestRatePerPod float64 `yaml:"scaleDownBelowRequestRatePerPod"`
	// ScaleDownStabilization is the HPA scale-down window, 0 to 1h.
	ScaleDownStabilization Duration `yaml:"scaleDownStabilization"`
	// ScaleDownMaxPercent of the replicas may go per ScaleDownPeriod: a
	// whole number in [1, 100], as the HPA's percent policy takes.
	ScaleDownMaxPercent float64 `yaml:"scaleDownMaxPercent"`
	// ScaleDownPeriod is 1s to 30m.
	ScaleDownPeriod Duration `yaml:"scaleDownPeriod"`
	// MinReplicas >= 1, MaxReplicas >= MinReplicas.
	MinReplicas int32 `yaml:"minReplicas"`
	MaxReplicas int32 `yaml:"maxReplicas"`
}

// Rules are the Go-aware rules that raise memory or flag risks.
type Rules struct {
	GoroutinePressure  GoroutinePressure  `yaml:"goroutinePressure"`
	AllocationPressure AllocationPressure `yaml:"allocationPressure"`
	GCPressure         GCPressure         `yaml:"gcPressure"`
	OOMRisk            OOMRisk            `yaml:"oomRisk"`
}

// GoroutinePressure: goroutines above Above (> 0) for For (0 to 7d) →
// memory request +RaiseMemoryPercent (in [0, 1000]).
type GoroutinePressure struct {
	Above              float64  `yaml:"above"`
	For                Duration `yaml:"for"`
	RaiseMemoryPercent float64  `yaml:"raiseMemoryPercent"`
}

// AllocationPressure: the Percentile (in (0, 100]) of the allocation rate
// above AbovePerSecond (bytes per second, > 0) → memory request
// +RaiseMemoryPercent (in [0, 1000]).
type AllocationPressure struct {
	Percentile         float64  `yaml:"percentile"`
	AbovePerSecond     Quantity `yaml:"abovePerSecond"`
	RaiseMemoryPercent float64  `yaml:"raiseMemoryPercent"`
}

// GCPressure: more than CyclesPerMinuteAbove (> 0) GC cycles a minute → flag.
type GCPressure struct {
	CyclesPerMinuteAbove float64 `yaml:"cyclesPerMinuteAbove"`
}

// OOMRisk: heap above HeapAboveLimitPercent (in (0, 100]) of the memory
// limit → flag and memory request +RaiseMemoryPercent (in [0, 1000]).
type OOMRisk struct {
	HeapAboveLimitPercent float64 `yaml:"heapAboveLimitPercent"`
	RaiseMemoryPercent    float64 `yaml:"raiseMemoryPercent"`
}

// Default returns the built-in default policy; DESIGN.md lists its rules.
func Default() Policy {
	return Policy{
		Name:    "default",
		Mode:    string(recommender.ModeRecommend),
		History: History{Minimum: Duration(24 * time.Hour), HalfLife: Duration(24 * time.Hour), StaleAfter: Duration(10 * time.Minute)},
		CPU: CPU{
			Percentile: 90, MarginPercent: 15, Min: MustQuantity("10m"), Max: MustQuantity("16"),
			Limit: "none", LimitRatio: 2, MaxChangePercent: 50,
		},
		Memory: Memory{
			HeapPercentile: 99, MarginPercent: 15, Min: MustQuantity("32Mi"), Max: MustQuantity("64Gi"),
			LimitRatio: 1, GOMEMLIMITPercent: 90, HeapHeadroomPercent: 25, MaxChangePercent: 50,
		},
		Horizontal: Horizontal{
			Enabled: true, TargetRequestRatePerPod: 1000, RateWindow: Duration(time.Minute),
			ScaleUpCPUPercent: 70, TolerancePercent: 10, ScaleDownBelowRequestRatePerPod: 300,
			ScaleDownStabilization: Duration(300 * time.Second), ScaleDownMaxPercent: 10,
			ScaleDownPeriod: Duration(60 * time.Second), MinReplicas: 1, MaxReplicas: 100,
		},
		Rules: Rules{
			GoroutinePressure:  GoroutinePressure{Above: 5000, For: Duration(5 * time.Minute), RaiseMemoryPercent: 15},
			AllocationPressure: AllocationPressure{Percentile: 95, AbovePerSecond: MustQuantity("50Mi"), RaiseMemoryPercent: 20},
			GCPressure:         GCPressure{CyclesPerMinuteAbove: 500},
			OOMRisk:            OOMRisk{HeapAboveLimitPercent: 85, RaiseMemoryPercent: 20},
		},
	}
}

// Duration is a time.Duration written as Prometheus writes durations: 30s, 5m, 24h, 7d.
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML reads a duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return valueError(n, "want a duration such as 30s, 5m or 7d")
	}
	v, err := model.ParseDuration(n.Value)
	if err != nil {
		return valueError(n, fmt.Sprintf("duration %q: want a number and a unit (ms, s, m, h, d, w), e.g. 5m", n.Value))
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration in the same form.
func (d Duration) MarshalYAML() (any, error) { return model.Duration(d).String(), nil }

// Quantity is a Kubernetes quantity: 250m or 1.5 (cores), 512Mi or 2Gi (bytes).
type Quantity struct{ resource.Quantity }

// MustQuantity parses a quantity known to be valid.
func MustQuantity(s string) Quantity { return Quantity{resource.MustParse(s)} }

// Value returns the quantity as a float in its base unit (cores, bytes).
func (q Quantity) Value() float64 { return q.AsApproximateFloat64() }

// UnmarshalYAML reads a quantity.
func (q *Quantity) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return valueError(n, "want a quantity such as 500m, 2 or 512Mi")
	}
	v, err := resource.ParseQuantity(n.Value)
	if err != nil {
		return valueError(n, fmt.Sprintf("quantity %q: want a number with an optional suffix (m, Ki, Mi, Gi, k, M, G)", n.Value))
	}
	q.Quantity = v
	return nil
}

// MarshalYAML writes the quantity in its canonical form.
func (q Quantity) MarshalYAML() (any, error) { return q.String(), nil }

// valueError reports a bad value the way yaml reports type errors ("line N:
// message"), so the loader reports it like any other at its field and goes
// on: every bad value of a file is reported at once.
func valueError(n *yaml.Node, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, msg)}}
}
