package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// Vertical is a recommender of container resources, for one workload, fed
// minute by minute with what the workload's pods showed as they ran with
// its earlier advice.
type Vertical interface {
	// Observe folds in one step: every pod's container that ran in it.
	Observe(at time.Time, pods []PodMinute) error
	// Recommend returns resources per container name; a container it has
	// no (ready) recommendation for is absent. current is what the
	// workload runs with now, as Kubernetes would report it.
	Recommend(now time.Time, current recommender.Current) map[string]recommender.Resources
}

// NewVertical makes a workload's recommender. initial holds, per container,
// the resources the pods started with (a recommender that keeps the
// limit-to-request ratio of the pod spec, as the VPA does, reads it there).
type NewVertical func(w recommender.WorkloadRef, initial map[string]recommender.Resources) (Vertical, error)

// VerticalContender is a named vertical recommender.
type VerticalContender struct {
	Name string
	New  NewVertical
}

// ReplicaMinute is one step of a workload's horizontal simulation.
type ReplicaMinute struct {
	At time.Time
	// Replicas are the replicas asked for; Running those started, serving
	// the load and reporting metrics.
	Replicas, Running int32
	// RequestsPerSecond and CPUCores are the workload's total load and the
	// CPU it takes, over all pods.
	RequestsPerSecond, CPUCores float64
	// CPURequestPerPod is a pod's CPU request (all containers), and
	// CPUPerPodCores the CPU each running pod uses: the total spread over
	// them, capped by the pod's CPU limit when it has one.
	CPURequestPerPod, CPUPerPodCores float64

	workload *Workload
	step     int
}

// Pods returns the running pods as monitoring would show them: the
// recorded containers' request rate and CPU spread evenly over Running
// pods, and every other signal as the recorded pods' largest value.
func (m ReplicaMinute) Pods() []PodMinute {
	n := max(1, int(m.Running))
	var out []PodMinute
	for k := range n {
		pod := fmt.Sprintf("%s-sim-%d", m.workload.Ref.Name, k)
		for _, c := range m.workload.Containers {
			pm := newPodMinute(recommender.ContainerRef{Namespace: m.workload.Ref.Namespace, Pod: pod, Container: c.Name}, m.At)
			for sig, idx := range signalIndex {
				total, top, seen := 0.0, math.Inf(-1), false
				for _, p := range c.Pods {
					if v := p.values[idx][m.step]; !math.IsNaN(v) {
						total, top, seen = total+v, max(top, v), true
					}
				}
				switch {
				case !seen:
				case sig == recommender.RequestRate || sig == recommender.CPU:
					pm.values[idx] = total / float64(n)
				default:
					pm.values[idx] = top
				}
			}
			out = append(out, pm)
		}
	}
	return out
}

// Horizontal is a recommender of replicas for one workload.
type Horizontal interface {
	// Observe folds in one step.
	Observe(m ReplicaMinute) error
	// Recommend returns the replicas to run, and false when it has no
	// recommendation; current is the replicas asked for now.
	Recommend(now time.Time, current int32) (int32, bool)
}

// NewHorizontal makes a workload's replica recommender. sizing holds, per
// container, the fixed resources of every pod.
type NewHorizontal func(w recommender.WorkloadRef, sizing map[string]recommender.Resources) (Horizontal, error)

// HorizontalContender is a named replica recommender.
type HorizontalContender struct {
	Name string
	New  NewHorizontal
}

// OracleName names the perfect-hindsight line in results.
const OracleName = "oracle"
