package sim

import (
	"time"
)

// VerticalScore is how one recommender's vertical advice fared, with
// Autopilot's definitions (Rzadca et al., EuroSys 2020).
type VerticalScore struct {
	Contender string        `json:"contender"`
	CPU       ResourceScore `json:"cpu"`
	Memory    ResourceScore `json:"memory"`
	// OOMKills counts the steps in which a container's working set went
	// over its memory limit.
	OOMKills int `json:"oomKills"`
	// ThrottledMinutes are the pod-minutes in which a container wanted more
	// CPU than its limit (or GOMAXPROCS) let it use.
	ThrottledMinutes float64 `json:"throttledMinutes"`
	// ChangesPerDay is how often a pod's applied resources changed, per
	// container and day (averaged over the containers).
	ChangesPerDay float64 `json:"changesPerDay"`
	// ExtraGCCPUCores is the GC CPU the recommendation's GOMEMLIMIT cost
	// (or saved) compared with the recorded run, on average over time,
	// summed over pods.
	ExtraGCCPUCores float64 `json:"extraGCCPUCores"`
	PodMinutes      float64 `json:"podMinutes"`
}

// ResourceScore is the slack of one resource. The provisioned amount is
// the limit when there is one, else the request; slack is provisioned minus
// usage, never below zero (a shortfall shows as OOM kills and throttling).
type ResourceScore struct {
	// RelativeSlack is slack over provisioned, averaged over pod-minutes.
	RelativeSlack float64 `json:"relativeSlack"`
	// AbsoluteSlack is slack summed over pods, averaged over time, in cores
	// or bytes.
	AbsoluteSlack float64 `json:"absoluteSlack"`
	// Provisioned and Usage are summed over pods and averaged over time,
	// in cores or bytes.
	Provisioned float64 `json:"provisioned"`
	Usage       float64 `json:"usage"`
}

// HorizontalScore is how one recommender's replicas fared.
type HorizontalScore struct {
	Contender string `json:"contender"`
	// OverloadMinutes are the minutes in which the load per running pod was
	// above a pod's capacity.
	OverloadMinutes float64 `json:"overloadMinutes"`
	// ReplicaMinutes is the cost: replicas asked for (starting or running)
	// summed over minutes.
	ReplicaMinutes float64 `json:"replicaMinutes"`
	MeanReplicas   float64 `json:"meanReplicas"`
	// ChangesPerDay is how often the replicas asked for changed, per
	// workload and day (averaged over the workloads).
	ChangesPerDay float64 `json:"changesPerDay"`
}

// resourceAcc sums one resource's slack.
type resourceAcc struct {
	relative, absolute, provisioned, usage float64
	samples                                int
}

func (a *resourceAcc) add(provisioned, used float64) {
	if provisioned <= 0 {
		return
	}
	slack := max(0, provisioned-used)
	a.relative += slack / provisioned
	a.absolute += slack
	a.provisioned += provisioned
	a.usage += used
	a.samples++
}

func (a *resourceAcc) merge(b resourceAcc) {
	a.relative += b.relative
	a.absolute += b.absolute
	a.provisioned += b.provisioned
	a.usage += b.usage
	a.samples += b.samples
}

func (a resourceAcc) score(steps int) ResourceScore {
	var s ResourceScore
	if a.samples > 0 {
		s.RelativeSlack = a.relative / float64(a.samples)
	}
	if steps > 0 {
		s.AbsoluteSlack, s.Provisioned, s.Usage = a.absolute/float64(steps), a.provisioned/float64(steps), a.usage/float64(steps)
	}
	return s
}

// verticalAcc sums a vertical score over steps, for one container or many.
type verticalAcc struct {
	cpu, memory               resourceAcc
	ooms, throttled, podSteps int
	changes                   int
	containers                int
	extraGCCPUCores           float64
}

func (a *verticalAcc) merge(b verticalAcc) {
	a.cpu.merge(b.cpu)
	a.memory.merge(b.memory)
	a.ooms += b.ooms
	a.throttled += b.throttled
	a.podSteps += b.podSteps
	a.changes += b.changes
	a.containers += b.containers
	a.extraGCCPUCores += b.extraGCCPUCores
}

func (a verticalAcc) score(name string, steps int, step time.Duration) VerticalScore {
	minutes := step.Minutes()
	s := VerticalScore{Contender: name, CPU: a.cpu.score(steps), Memory: a.memory.score(steps), OOMKills: a.ooms,
		ThrottledMinutes: float64(a.throttled) * minutes, PodMinutes: float64(a.podSteps) * minutes}
	if days := float64(steps) * step.Hours() / 24; days > 0 && a.containers > 0 {
		s.ChangesPerDay = float64(a.changes) / float64(a.containers) / days
	}
	if steps > 0 {
		s.ExtraGCCPUCores = a.extraGCCPUCores / float64(steps)
	}
	return s
}

// horizontalAcc sums a horizontal score over steps.
type horizontalAcc struct {
	overload, replicaSteps, changes, workloads int
}

func (a *horizontalAcc) merge(b horizontalAcc) {
	a.overload += b.overload
	a.replicaSteps += b.replicaSteps
	a.changes += b.changes
	a.workloads += b.workloads
}

func (a horizontalAcc) score(name string, steps int, step time.Duration) HorizontalScore {
	minutes := step.Minutes()
	s := HorizontalScore{Contender: name, OverloadMinutes: float64(a.overload) * minutes, ReplicaMinutes: float64(a.replicaSteps) * minutes}
	if steps > 0 && a.workloads > 0 {
		s.MeanReplicas = float64(a.replicaSteps) / float64(steps) / float64(a.workloads)
	}
	if days := float64(steps) * step.Hours() / 24; days > 0 && a.workloads > 0 {
		s.ChangesPerDay = float64(a.changes) / float64(a.workloads) / days
	}
	return s
}
