package report

import (
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// SchemaVersion names the layout of a Report in JSON and YAML. It changes
// when a field is removed or changes meaning; added fields keep it.
const SchemaVersion = "pacer.dev/report/v1"

// HoursPerMonth is the month costs are given for: 365 × 24 / 12 hours.
const HoursPerMonth = 730

// Risk flags the report derives itself, in addition to the policy's.
const (
	// FlagCPUThrottling: a container was throttled in more than
	// ThrottlingThreshold of its CFS periods on average over the window.
	FlagCPUThrottling recommender.Flag = "cpu_throttling"
	// FlagOOMKills: Kubernetes reports recent OOM kills of a container.
	FlagOOMKills recommender.Flag = "oom_kills"
)

// ThrottlingThreshold is the mean share of throttled CFS periods above which
// a workload is flagged with FlagCPUThrottling.
const ThrottlingThreshold = 0.05

// Report is a dry-run recommendation report: what pacer would change, per
// workload and container, and why. It is what the json and yaml formats
// print, field for field; schema.md documents it for readers of the output.
//
// Conventions: durations are Go duration strings ("30m0s"), times RFC 3339
// in UTC, CPU in cores, memory in bytes, money in Prices.Currency. A value
// that is not known is null (or, inside Resources, absent), never zero.
type Report struct {
	SchemaVersion string    `json:"schemaVersion"`
	GeneratedAt   time.Time `json:"generatedAt"`
	// Source says where the data came from, e.g. "trace demo-30m.om".
	Source string `json:"source"`
	// Window is the span the recommendations and usage were computed over;
	// null when not known.
	Window     *Window `json:"window"`
	PolicyFile string  `json:"policyFile,omitempty"`
	// Prices is null when no prices were given: then there is no money anywhere.
	Prices    *Prices    `json:"prices"`
	Summary   Summary    `json:"summary"`
	Workloads []Workload `json:"workloads"`
}

// Window is the time span a report covers.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Range Duration  `json:"range"`
	// Step is the resolution of the usage data; absent for an instant.
	Step Duration `json:"step,omitempty"`
}

// Prices turn resource requests into money.
type Prices struct {
	// Currency is printed after amounts, e.g. "USD".
	Currency    string  `json:"currency"`
	PerCoreHour float64 `json:"perCoreHour"`
	PerGiBHour  float64 `json:"perGiBHour"`
}

// Summary counts workloads and adds up what the recommendations change.
type Summary struct {
	Workloads int `json:"workloads"`
	// ByOutcome counts workloads per outcome; the three outcomes are always present.
	ByOutcome map[recommender.Outcome]int `json:"byOutcome"`
	// ByFlag counts workloads per flag.
	ByFlag map[recommender.Flag]int `json:"byFlag"`
	// Delta adds up the deltas of the ready workloads whose delta is known;
	// its fields are null when there is none.
	Delta Delta `json:"delta"`
	// DeltaWorkloads counts the workloads Delta covers, UnknownDeltaWorkloads
	// the ready workloads it leaves out because their current values are unknown.
	DeltaWorkloads        int `json:"deltaWorkloads"`
	UnknownDeltaWorkloads int `json:"unknownDeltaWorkloads"`
}

// Delta is recommended minus current requests over all replicas: negative
// is a saving. Requests count, not limits: they are what the scheduler
// reserves and what is paid for. Null fields are unknown.
type Delta struct {
	CPURequestCores    *float64 `json:"cpuRequestCores"`
	MemoryRequestBytes *float64 `json:"memoryRequestBytes"`
	// CostPerMonth is present only with prices.
	CostPerMonth *float64 `json:"costPerMonth,omitempty"`
}

// Cost is what a workload's requests cost per month, over all replicas.
type Cost struct {
	CurrentPerMonth     *float64 `json:"currentPerMonth"`
	RecommendedPerMonth *float64 `json:"recommendedPerMonth"`
}

// Workload is the report on one workload.
type Workload struct {
	Namespace string                   `json:"namespace"`
	Kind      recommender.WorkloadKind `json:"kind"`
	Name      string                   `json:"name"`
	Policy    string                   `json:"policy"`
	// Outcome is ready, insufficient_data or no_go_metrics; only ready
	// workloads have recommended values.
	Outcome recommender.Outcome `json:"outcome"`
	// Flags are the policy's risk flags and the report's own, sorted.
	Flags []recommender.Flag `json:"flags"`
	// Missing says which data an insufficient_data workload lacks.
	Missing    []Missing   `json:"missing"`
	Replicas   Replicas    `json:"replicas"`
	Horizontal *Horizontal `json:"horizontal"`
	Containers []Container `json:"containers"`
	// Delta is present for ready workloads; DeltaUnknown says why its
	// fields are null when they are.
	Delta        *Delta `json:"delta,omitempty"`
	DeltaUnknown string `json:"deltaUnknown,omitempty"`
	// Cost is present for ready workloads when prices are given.
	Cost *Cost `json:"cost,omitempty"`
	// Notes are checks and flags that changed no value.
	Notes []Reason `json:"notes"`
}

// Ref returns the workload's reference.
func (w Workload) Ref() recommender.WorkloadRef {
	return recommender.WorkloadRef{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name}
}

// Replicas is a workload's replica count now and recommended.
type Replicas struct {
	// Current comes from Kubernetes; null when unknown.
	Current *int32 `json:"current"`
	// Recommended is null when there is no horizontal recommendation.
	Recommended *int32 `json:"recommended"`
	// ObservedPods counts the pods seen in the usage data.
	ObservedPods int `json:"observedPods,omitempty"`
}

// Horizontal is the recommendation for an HPA.
type Horizontal struct {
	// TargetRequestRatePerPod is the recommended HPA target, requests/s per pod.
	TargetRequestRatePerPod float64 `json:"targetRequestRatePerPod"`
	// CapacityRequestRatePerPod is the estimated rate one pod serves at the
	// CPU target; absent when it could not be estimated.
	CapacityRequestRatePerPod float64  `json:"capacityRequestRatePerPod,omitempty"`
	Reasons                   []Reason `json:"reasons"`
}

// Container is the report on one container of a workload.
type Container struct {
	Name string `json:"name"`
	// Current is what Kubernetes says the container runs with; null when unknown.
	Current *Resources `json:"current"`
	// Recommended is null unless the workload is ready.
	Recommended *Resources `json:"recommended"`
	// LowerBound and UpperBound bracket Recommended: below the lower bound
	// the container is likely starved, above the upper likely wasteful.
	LowerBound *Resources `json:"lowerBound,omitempty"`
	UpperBound *Resources `json:"upperBound,omitempty"`
	// OOMKills counts recent OOM kills; absent when none or unknown.
	OOMKills int `json:"oomKills,omitempty"`
	// Usage is null when there is no usage data for the container.
	Usage   *Usage   `json:"usage"`
	Reasons []Reason `json:"reasons"`
}

// Resources are a container's vertical settings. An absent field is zero:
// no limit for limits, the runtime default for GOMEMLIMIT and GOMAXPROCS,
// and unknown for requests.
type Resources struct {
	CPURequestCores    float64 `json:"cpuRequestCores,omitempty"`
	CPULimitCores      float64 `json:"cpuLimitCores,omitempty"`
	MemoryRequestBytes float64 `json:"memoryRequestBytes,omitempty"`
	MemoryLimitBytes   float64 `json:"memoryLimitBytes,omitempty"`
	GOMEMLIMITBytes    float64 `json:"gomemlimitBytes,omitempty"`
	GOMAXPROCS         int     `json:"gomaxprocs,omitempty"`
}

// Usage is what a container used over the window, pooled over its pods.
type Usage struct {
	Pods int `json:"pods"`
	// CPUCores is CPU usage, WorkingSetBytes the memory working set,
	// LiveHeapBytes the Go live heap, CPUThrottledRatio the share of CFS
	// periods throttled. Each is null when the signal had no data.
	CPUCores          *SignalUsage `json:"cpuCores"`
	WorkingSetBytes   *SignalUsage `json:"workingSetBytes"`
	LiveHeapBytes     *SignalUsage `json:"liveHeapBytes"`
	CPUThrottledRatio *SignalUsage `json:"cpuThrottledRatio"`
	// The Go runtime's signals and the request rate, per pod: goroutines,
	// bytes allocated per second, requests served per second and GC cycles
	// per second.
	Goroutines       *SignalUsage `json:"goroutines"`
	AllocBytesPerSec *SignalUsage `json:"allocBytesPerSecond"`
	RequestsPerSec   *SignalUsage `json:"requestsPerSecond"`
	GCCyclesPerSec   *SignalUsage `json:"gcCyclesPerSecond"`
}

// SignalUsage summarizes one signal of one container over the window.
// Percentiles interpolate linearly between the pooled samples of all pods.
type SignalUsage struct {
	Samples int     `json:"samples"`
	Mean    float64 `json:"mean"`
	P50     float64 `json:"p50"`
	P95     float64 `json:"p95"`
	Max     float64 `json:"max"`
	// Points is the series downsampled for charts: at most MaxPoints
	// buckets of equal width, each with the mean and maximum of the samples
	// in it (over all pods). At is the bucket's start.
	Points []Point `json:"points"`
}

// Point is one bucket of a downsampled series.
type Point struct {
	At   time.Time `json:"at"`
	Mean float64   `json:"mean"`
	Max  float64   `json:"max"`
}

// MaxPoints bounds the points of a downsampled series.
const MaxPoints = 120

// Reason is one rule that shaped a value or was checked.
type Reason struct {
	Rule string `json:"rule"`
	// Value names what the rule changed, e.g. "memory_request"; absent for a note.
	Value   string             `json:"value,omitempty"`
	Message string             `json:"message"`
	Inputs  map[string]float64 `json:"inputs,omitempty"`
	Window  Duration           `json:"window,omitempty"`
	Before  *float64           `json:"before,omitempty"`
	After   *float64           `json:"after,omitempty"`
}

// Missing is data a workload lacks before pacer recommends for it.
type Missing struct {
	Signal recommender.Signal `json:"signal"`
	Rule   string             `json:"rule"`
	Reason string             `json:"reason"`
	Have   Duration           `json:"have"`
	Need   Duration           `json:"need"`
	// MoreHistory is how much longer to wait; absent when more time alone
	// will not help (e.g. the data is stale).
	MoreHistory Duration `json:"moreHistory,omitempty"`
}
