package recommender

import (
	"fmt"
	"time"
)

// Outcome says whether a recommendation can be acted on.
type Outcome string

// Outcomes of evaluating a workload.
const (
	// OutcomeReady: every value was computed from enough fresh data.
	OutcomeReady Outcome = "ready"
	// OutcomeInsufficientData: some signal has too little history; Missing
	// says which and how much more is needed. Never acted on.
	OutcomeInsufficientData Outcome = "insufficient_data"
	// OutcomeNoGoMetrics: the workload exposes none of the Go runtime
	// signals; it is listed with this reason, not dropped.
	OutcomeNoGoMetrics Outcome = "no_go_metrics"
	// OutcomeNoPolicy: no policy selects the workload, or its policy
	// annotations are wrong; Notes say which.
	OutcomeNoPolicy Outcome = "no_policy"
)

// Flag marks a risk a person should look at.
type Flag string

// Risk flags.
const (
	FlagGCPressure         Flag = "gc_pressure"
	FlagOOMRisk            Flag = "oom_risk"
	FlagGoroutinePressure  Flag = "goroutine_pressure"
	FlagAllocationPressure Flag = "allocation_pressure"
	FlagShortHistory       Flag = "short_history"
)

// Reason records one rule that shaped a recommendation: what fired, on
// which numbers, over which window, and the value before and after.
type Reason struct {
	// Rule names the rule, e.g. "cpu.percentile" or "goroutine-pressure".
	Rule string `json:"rule"`
	// Value names what the rule changed, e.g. "memory_request"; empty for a flag.
	Value   string             `json:"value,omitempty"`
	Message string             `json:"message"`
	Inputs  map[string]float64 `json:"inputs,omitempty"`
	Window  time.Duration      `json:"window,omitempty"`
	Before  *float64           `json:"before,omitempty"`
	After   *float64           `json:"after,omitempty"`
}

// Changed returns a reason for a step that moved a value from before to after.
func Changed(rule, value string, before, after float64, window time.Duration, inputs map[string]float64, format string, args ...any) Reason {
	return Reason{Rule: rule, Value: value, Message: fmt.Sprintf(format, args...), Inputs: inputs,
		Window: window, Before: &before, After: &after}
}

// Missing says which signal lacks data for a rule and how much more history it needs.
type Missing struct {
	Signal Signal        `json:"signal"`
	Rule   string        `json:"rule"`
	Reason string        `json:"reason"`
	Have   time.Duration `json:"have"`
	Need   time.Duration `json:"need"`
}

func (m Missing) String() string {
	if m.Need > m.Have {
		return fmt.Sprintf("%s for %s: %s (have %s of history, need %s)", m.Signal, m.Rule, m.Reason, m.Have, m.Need)
	}
	return fmt.Sprintf("%s for %s: %s", m.Signal, m.Rule, m.Reason)
}

// Resources are the vertical settings of one container. A zero limit means
// no limit; a zero GOMEMLIMIT or GOMAXPROCS means "leave the runtime default".
type Resources struct {
	CPURequestCores    float64 `json:"cpuRequestCores"`
	CPULimitCores      float64 `json:"cpuLimitCores,omitempty"`
	MemoryRequestBytes float64 `json:"memoryRequestBytes"`
	MemoryLimitBytes   float64 `json:"memoryLimitBytes,omitempty"`
	GOMEMLIMITBytes    float64 `json:"gomemlimitBytes,omitempty"`
	GOMAXPROCS         int     `json:"gomaxprocs,omitempty"`
}

// ContainerRecommendation is the vertical recommendation for one container.
type ContainerRecommendation struct {
	Container string    `json:"container"`
	Target    Resources `json:"target"`
	// Lower and Upper bound the target: below Lower the container is
	// likely starved, above Upper it is likely wasteful.
	Lower   Resources `json:"lowerBound"`
	Upper   Resources `json:"upperBound"`
	Reasons []Reason  `json:"reasons"`
}

// HorizontalRecommendation is the replica recommendation for a workload.
type HorizontalRecommendation struct {
	CurrentReplicas int32 `json:"currentReplicas"`
	DesiredReplicas int32 `json:"desiredReplicas"`
	// TargetPerPod is the recommended per-pod request-rate target for an HPA.
	TargetPerPod float64 `json:"targetRequestRatePerPod"`
	// CapacityPerPod is the estimated request rate one pod serves at the CPU
	// target; zero when it could not be estimated.
	CapacityPerPod float64 `json:"capacityPerPod,omitempty"`
	// RequestRate is the workload's total request rate, averaged over the
	// policy's rate window; ForecastRequestRate its linear-trend forecast
	// (ForecastHorizon ahead), zero when there is no trend yet.
	RequestRate         float64       `json:"requestRate"`
	ForecastRequestRate float64       `json:"forecastRequestRate,omitempty"`
	ForecastHorizon     time.Duration `json:"forecastHorizon,omitempty"`
	Reasons             []Reason      `json:"reasons"`
}

// Recommendation is what pacer recommends for one workload at one time.
type Recommendation struct {
	Workload WorkloadRef `json:"workload"`
	At       time.Time   `json:"at"`
	Policy   string      `json:"policy"`
	// Mode is what pacer may do for the workload (its policy's mode, or
	// its pacer.dev/mode annotation).
	Mode       Mode                      `json:"mode"`
	Outcome    Outcome                   `json:"outcome"`
	Missing    []Missing                 `json:"missing,omitempty"`
	Containers []ContainerRecommendation `json:"containers,omitempty"`
	Horizontal *HorizontalRecommendation `json:"horizontal,omitempty"`
	Flags      []Flag                    `json:"flags,omitempty"`
	// Notes are reasons that changed no value: flags and checks that passed.
	Notes []Reason `json:"notes,omitempty"`
}

// Current is what a workload runs with now, as far as it is known (from
// Kubernetes); zero fields are unknown.
type Current struct {
	Replicas   int32                `json:"replicas,omitempty"`
	Containers map[string]Resources `json:"containers,omitempty"`
	// OOMKills counts recent OOM kills per container.
	OOMKills map[string]int `json:"oomKills,omitempty"`
}
