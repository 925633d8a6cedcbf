package sim

import (
	"math"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// WorkloadTimeline is a workload's replay step by step, for charts. Every
// slice has one value a step, NaN where there is none.
type WorkloadTimeline struct {
	Workload recommender.WorkloadRef
	Start    time.Time
	Step     time.Duration
	// Containers are in the workload's container order.
	Containers []ContainerTimeline
	// NeededReplicas is the load over a pod's capacity (fractional); nil
	// when the workload was not simulated horizontally.
	NeededReplicas []float64
	Replicas       []ReplicaTimeline
}

// ContainerTimeline is one container's recorded usage (the largest over
// its pods) and each recommender's applied resources.
type ContainerTimeline struct {
	Name            string
	CPUCores        []float64
	WorkingSetBytes []float64
	Applied         []AppliedTimeline
}

// AppliedTimeline is what one recommender's pods ran with (the largest
// over the pods), and the steps with an OOM kill.
type AppliedTimeline struct {
	Contender                                                            string
	CPURequestCores, CPULimitCores, MemoryRequestBytes, MemoryLimitBytes []float64
	OOMSteps                                                             []int
}

// ReplicaTimeline is one recommender's replicas and the overloaded steps.
type ReplicaTimeline struct {
	Contender     string
	Replicas      []float64
	OverloadSteps []int
}

func newAppliedTimeline(name string, steps int) *AppliedTimeline {
	return &AppliedTimeline{Contender: name, CPURequestCores: nanSlice(steps), CPULimitCores: nanSlice(steps),
		MemoryRequestBytes: nanSlice(steps), MemoryLimitBytes: nanSlice(steps)}
}

// record keeps the largest applied value over the pods of step i.
func (tl *AppliedTimeline) record(i int, r recommender.Resources, oom bool) {
	for _, s := range []struct {
		into []float64
		v    float64
	}{{tl.CPURequestCores, r.CPURequestCores}, {tl.CPULimitCores, r.CPULimitCores},
		{tl.MemoryRequestBytes, r.MemoryRequestBytes}, {tl.MemoryLimitBytes, r.MemoryLimitBytes}} {
		if s.v > 0 && (math.IsNaN(s.into[i]) || s.v > s.into[i]) {
			s.into[i] = s.v
		}
	}
	if oom && (len(tl.OOMSteps) == 0 || tl.OOMSteps[len(tl.OOMSteps)-1] != i) {
		tl.OOMSteps = append(tl.OOMSteps, i)
	}
}

func newWorkloadTimeline(t *Trace, w *Workload, load *workloadLoad) *WorkloadTimeline {
	tl := &WorkloadTimeline{Workload: w.Ref, Start: t.Start, Step: t.Step}
	if load != nil {
		tl.NeededReplicas = nanSlice(t.Steps)
		for i, rps := range load.requestsPerSecond {
			tl.NeededReplicas[i] = rps / load.capacityPerPod
		}
	}
	return tl
}

func newContainerTimeline(t *Trace, c *Container, applied []AppliedTimeline) ContainerTimeline {
	tl := ContainerTimeline{Name: c.Name, CPUCores: nanSlice(t.Steps), WorkingSetBytes: nanSlice(t.Steps), Applied: applied}
	for i := range t.Steps {
		for _, p := range c.Pods {
			if v := p.Value(recommender.CPU, i); !math.IsNaN(v) && (math.IsNaN(tl.CPUCores[i]) || v > tl.CPUCores[i]) {
				tl.CPUCores[i] = v
			}
			if v := p.Value(recommender.Memory, i); !math.IsNaN(v) && (math.IsNaN(tl.WorkingSetBytes[i]) || v > tl.WorkingSetBytes[i]) {
				tl.WorkingSetBytes[i] = v
			}
		}
	}
	return tl
}
