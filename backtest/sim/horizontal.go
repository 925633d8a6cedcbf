package sim

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// workloadLoad is a workload's total load a step and what one pod serves.
type workloadLoad struct {
	// requestsPerSecond and cpuCores are totals over the recorded pods,
	// NaN where the trace has none.
	requestsPerSecond, cpuCores []float64
	// cpuSecondsPerRequest is the trace's CPU per request: all CPU over all
	// requests.
	cpuSecondsPerRequest float64
	// podCPURequestCores and podCPULimitCores (0: none) size every pod.
	podCPURequestCores, podCPULimitCores float64
	// capacityPerPod is the request rate a pod serves at its CPU limit, or
	// at its request when it has no limit.
	capacityPerPod  float64
	initialReplicas int32
}

// newWorkloadLoad sums a workload's load; it returns why the workload
// cannot be simulated horizontally when it cannot.
func newWorkloadLoad(t *Trace, w *Workload, sizing map[string]recommender.Resources) (*workloadLoad, string) {
	l := &workloadLoad{requestsPerSecond: nanSlice(t.Steps), cpuCores: nanSlice(t.Steps)}
	var allCPU, allRequests float64
	for i := range t.Steps {
		for _, c := range w.Containers {
			for _, p := range c.Pods {
				if v := p.Value(recommender.RequestRate, i); !math.IsNaN(v) {
					l.requestsPerSecond[i] = nanAdd(l.requestsPerSecond[i], v)
				}
				if v := p.cpuDemand(i); !math.IsNaN(v) {
					l.cpuCores[i] = nanAdd(l.cpuCores[i], v)
				}
			}
		}
		if rps, cpu := l.requestsPerSecond[i], l.cpuCores[i]; rps > 0 && !math.IsNaN(cpu) {
			allCPU += cpu
			allRequests += rps
		}
	}
	if allRequests == 0 {
		return nil, "no request rate in the trace"
	}
	if allCPU == 0 {
		return nil, "no CPU usage alongside the request rate"
	}
	l.cpuSecondsPerRequest = allCPU / allRequests
	limited := true
	for _, c := range w.Containers {
		r := sizing[c.Name]
		l.podCPURequestCores += r.CPURequestCores
		l.podCPULimitCores += r.CPULimitCores
		limited = limited && r.CPULimitCores > 0
	}
	if !limited {
		l.podCPULimitCores = 0
	}
	capCores := provisioned(l.podCPURequestCores, l.podCPULimitCores)
	if capCores <= 0 {
		return nil, "the pods have no CPU request to size capacity from"
	}
	l.capacityPerPod = capCores / l.cpuSecondsPerRequest
	l.initialReplicas = int32(min(max(1, w.podsAt(0)), math.MaxInt32))
	return l, ""
}

func nanAdd(a, b float64) float64 {
	if math.IsNaN(a) {
		return b
	}
	return a + b
}

// horizontalRun simulates one recommender's replicas for one workload.
type horizontalRun struct {
	o        *Options
	trace    *Trace
	w        *Workload
	h        Horizontal // nil for the oracle
	load     *workloadLoad
	acc      horizontalAcc
	timeline *ReplicaTimeline
	// replicas asked for; running serve; starting become running at their time.
	replicas, running int32
	starting          []time.Time
}

func newHorizontalRun(o *Options, t *Trace, w *Workload, name string, h Horizontal, load *workloadLoad) *horizontalRun {
	r := &horizontalRun{o: o, trace: t, w: w, h: h, load: load, acc: horizontalAcc{workloads: 1},
		replicas: load.initialReplicas, running: load.initialReplicas}
	if o.Timelines {
		r.timeline = &ReplicaTimeline{Contender: name, Replicas: nanSlice(t.Steps)}
	}
	return r
}

func (r *horizontalRun) run(ctx context.Context) error {
	every, warm := r.o.recommendEvery(), r.o.warmupSteps()
	for i := range r.trace.Steps {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		at := r.trace.At(i)
		rps, cpu := r.load.requestsPerSecond[i], r.load.cpuCores[i]
		scored := i >= warm
		if r.h == nil {
			r.oracle(i, rps, i > warm)
		} else {
			r.start(at)
		}
		overloaded := r.running > 0 && rps/float64(r.running) > r.load.capacityPerPod*(1+1e-9)
		if overloaded && scored {
			r.acc.overload++
		}
		if scored {
			r.acc.replicaSteps += int(r.replicas)
		}
		if r.timeline != nil {
			r.timeline.Replicas[i] = float64(r.replicas)
			if overloaded {
				r.timeline.OverloadSteps = append(r.timeline.OverloadSteps, i)
			}
		}
		if r.h == nil {
			continue
		}
		perPod := math.NaN()
		if r.running > 0 && !math.IsNaN(cpu) {
			perPod = cpu / float64(r.running)
			if r.load.podCPULimitCores > 0 {
				perPod = min(perPod, r.load.podCPULimitCores)
			}
		}
		if err := r.h.Observe(ReplicaMinute{At: at, Replicas: r.replicas, Running: r.running, RequestsPerSecond: rps, CPUCores: cpu,
			CPURequestPerPod: r.load.podCPURequestCores, CPUPerPodCores: perPod, workload: r.w, step: i}); err != nil {
			return fmt.Errorf("%s at %s: %w", r.w.Ref, at.Format(time.RFC3339), err)
		}
		if scored && (i+1)%every == 0 {
			if desired, ok := r.h.Recommend(at, r.replicas); ok && desired != r.replicas {
				r.scale(at, max(desired, 0))
			}
		}
	}
	return nil
}

// oracle runs exactly the replicas the step's load needs, at once; count
// says whether a change counts.
func (r *horizontalRun) oracle(i int, rps float64, count bool) {
	if math.IsNaN(rps) {
		return
	}
	need := int32(max(1, math.Ceil(rps/r.load.capacityPerPod*(1-1e-9))))
	if need != r.replicas && i > 0 && count {
		r.acc.changes++
	}
	r.replicas, r.running = need, need
}

// start moves the pods whose start-up delay has passed to running.
func (r *horizontalRun) start(at time.Time) {
	n := 0
	for _, ready := range r.starting {
		if !ready.After(at) {
			r.running++
			continue
		}
		r.starting[n] = ready
		n++
	}
	r.starting = r.starting[:n]
}

// scale asks for desired replicas: new pods serve after the replica delay;
// pods removed stop at once, those still starting first.
func (r *horizontalRun) scale(at time.Time, desired int32) {
	r.acc.changes++
	if desired > r.replicas {
		for range desired - r.replicas {
			r.starting = append(r.starting, at.Add(r.o.ReplicaDelay))
		}
		r.replicas = desired
		r.start(at)
		return
	}
	remove := r.replicas - desired
	slices.SortFunc(r.starting, func(a, b time.Time) int { return a.Compare(b) })
	for remove > 0 && len(r.starting) > 0 {
		r.starting = r.starting[:len(r.starting)-1]
		remove--
	}
	r.running -= remove
	r.replicas = desired
}
