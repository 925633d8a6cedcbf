package sim

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// podState is one pod's container as the simulation runs it.
type podState struct {
	container *Container
	series    *PodSeries
	ref       recommender.ContainerRef
	running   bool
	applied   recommender.Resources
	// pendingSince is when the recommendation first differed enough from
	// applied to be rolled out; zero when nothing is pending.
	pendingSince time.Time
	carriedCores float64
	// lastOOM: the container's last termination was an OOM kill (cleared
	// when the pod is replaced).
	lastOOM bool
	// startedAt is when the container last started; crashes counts its
	// OOM kills since it last ran crashResetAfter without one, and it is
	// down, waiting out its restart back-off, until downUntil.
	startedAt, downUntil time.Time
	crashes              int
}

// Kubernetes restarts a crashed container after a back-off that starts at
// 10s and doubles with every crash up to 5m, and resets once the container
// has run for 10m.
const (
	crashBackoffBase = 10 * time.Second
	crashBackoffMax  = 5 * time.Minute
	crashResetAfter  = 10 * time.Minute
)

// backoff is the restart delay after the n-th crash in a row (n ≥ 1).
func backoff(n int) time.Duration {
	d := crashBackoffBase
	for i := 1; i < n && d < crashBackoffMax; i++ {
		d *= 2
	}
	return min(d, crashBackoffMax)
}

// verticalRun simulates one recommender's vertical advice on one workload.
type verticalRun struct {
	o        *Options
	trace    *Trace
	w        *Workload
	vertical Vertical // nil for the oracle
	initial  map[string]recommender.Resources
	// recommended is the latest recommendation per container.
	recommended map[string]recommender.Resources
	pods        []*podState
	acc         map[string]*verticalAcc
	timeline    map[string]*AppliedTimeline
}

func newVerticalRun(o *Options, t *Trace, w *Workload, name string, v Vertical, initial map[string]recommender.Resources) *verticalRun {
	r := &verticalRun{o: o, trace: t, w: w, vertical: v, initial: initial,
		recommended: map[string]recommender.Resources{}, acc: map[string]*verticalAcc{}, timeline: map[string]*AppliedTimeline{}}
	for _, c := range w.Containers {
		r.acc[c.Name] = &verticalAcc{containers: 1}
		if o.Timelines {
			r.timeline[c.Name] = newAppliedTimeline(name, t.Steps)
		}
		for _, p := range c.Pods {
			r.pods = append(r.pods, &podState{container: c, series: p,
				ref: recommender.ContainerRef{Namespace: w.Ref.Namespace, Pod: p.Pod, Container: c.Name}})
		}
	}
	return r
}

// target is what a new or restarted pod gets: the latest recommendation,
// or the initial resources before there is one.
func (r *verticalRun) target(container string) recommender.Resources {
	if rec, ok := r.recommended[container]; ok {
		return rec
	}
	return r.initial[container]
}

func (r *verticalRun) run(ctx context.Context) error {
	every, warm := r.o.recommendEvery(), r.o.warmupSteps()
	for i := range r.trace.Steps {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		at := r.trace.At(i)
		var minute []PodMinute
		changed := map[string]bool{}
		for _, p := range r.pods {
			if !p.series.Present(i) {
				p.running = false
				continue
			}
			if pm, ok := r.step(p, i, at, changed); ok {
				minute = append(minute, pm)
			}
		}
		for name := range changed {
			if i >= warm {
				r.acc[name].changes++
			}
		}
		if r.vertical == nil {
			continue
		}
		if err := r.vertical.Observe(at, minute); err != nil {
			return fmt.Errorf("%s at %s: %w", r.w.Ref, at.Format(time.RFC3339), err)
		}
		if i >= warm && (i+1)%every == 0 {
			r.recommend(at)
		}
	}
	return nil
}

// checkEvery is how many steps run between checks for cancellation.
const checkEvery = 1024

// step runs one pod's container for step i: it rolls out what is due,
// simulates the step, scores it, and restarts the container after an OOM
// kill. It returns what monitoring showed, and false while the container
// waits out a restart back-off.
func (r *verticalRun) step(p *podState, i int, at time.Time, changed map[string]bool) (PodMinute, bool) {
	if p.running && at.Before(p.downUntil) {
		return PodMinute{}, false
	}
	u := usageAt(p.series, i)
	r.rollOut(p, u, at, changed)
	p.running = true
	res := simulate(u, p.applied, p.carriedCores)
	p.carriedCores = res.carriedCores
	r.score(p, i, res)
	pm := r.observation(p, i, at, res, u)
	if res.oom {
		r.restart(p, at, changed)
	}
	return pm, true
}

// rollOut gives the pod what it runs with in this step: the oracle's exact
// need; for a new pod, the recommendation of the moment (the VPA's
// admission controller) or the initial resources; else a recommendation
// pending for ApplyDelay.
func (r *verticalRun) rollOut(p *podState, u usage, at time.Time, changed map[string]bool) {
	name := p.container.Name
	switch {
	case r.vertical == nil:
		next := oracleResources(u)
		if p.running && differs(p.applied, next, 0) {
			changed[name] = true
		}
		p.applied = next
	case !p.running:
		p.applied, p.pendingSince, p.lastOOM, p.carriedCores = r.target(name), time.Time{}, false, 0
		p.startedAt, p.crashes = at, 0
	case !p.pendingSince.IsZero() && !at.Before(p.pendingSince.Add(r.o.ApplyDelay)):
		next := r.target(name)
		if differs(p.applied, next, 0) {
			changed[name] = true
		}
		p.applied, p.pendingSince, p.lastOOM, p.carriedCores = next, time.Time{}, false, 0
		p.startedAt, p.crashes = at, 0
	}
}

// restart restarts an OOM-killed container after its back-off, with the
// newest recommendation: the simulation's simplification of the VPA
// updater evicting an OOM-killed pod whose recommendation moved.
func (r *verticalRun) restart(p *podState, at time.Time, changed map[string]bool) {
	next := r.target(p.container.Name)
	if r.vertical != nil && differs(p.applied, next, 0) {
		changed[p.container.Name] = true
	}
	if at.Sub(p.startedAt) >= crashResetAfter {
		p.crashes = 0
	}
	p.crashes++
	p.downUntil = at.Add(backoff(p.crashes))
	p.applied, p.pendingSince, p.lastOOM, p.carriedCores = next, time.Time{}, true, 0
	p.startedAt = p.downUntil
}

func (r *verticalRun) score(p *podState, i int, res stepResult) {
	if tl := r.timeline[p.container.Name]; tl != nil {
		tl.record(i, p.applied, res.oom)
	}
	if i < r.o.warmupSteps() {
		return
	}
	a := r.acc[p.container.Name]
	a.podSteps++
	if res.cpuKnown {
		a.cpu.add(provisioned(p.applied.CPURequestCores, p.applied.CPULimitCores), res.usedCores)
		if res.throttled {
			a.throttled++
		}
	}
	if res.memoryKnown {
		ws := res.peakWorkingSetBytes
		if res.oom {
			ws = p.applied.MemoryLimitBytes
		}
		a.memory.add(provisioned(p.applied.MemoryRequestBytes, p.applied.MemoryLimitBytes), ws)
	}
	if res.oom {
		a.ooms++
	}
	a.extraGCCPUCores += res.extraGCCPUCores
}

// provisioned is the limit when there is one, else the request.
func provisioned(request, limit float64) float64 {
	if limit > 0 {
		return limit
	}
	return request
}

// observation is what monitoring showed of the pod in the step.
func (r *verticalRun) observation(p *podState, i int, at time.Time, res stepResult, u usage) PodMinute {
	pm := PodMinute{Ref: p.ref, At: at, values: p.series.valuesAt(i)}
	pm.Resources, pm.OOMKilled = p.applied, res.oom
	if res.cpuKnown {
		pm.Set(recommender.CPU, res.usedCores)
		pm.Set(recommender.CPUThrottled, res.throttledShare)
	}
	if res.memoryKnown {
		ws := res.workingSetBytes
		if p.applied.MemoryLimitBytes > 0 {
			ws = min(ws, p.applied.MemoryLimitBytes)
		}
		pm.Set(recommender.Memory, ws)
	}
	if u.isGo {
		s := goSettingsFor(p.applied, u.settings)
		pm.Set(recommender.HeapGoal, res.heapGoalBytes)
		pm.Set(recommender.GCCPU, res.gcCPUCores)
		pm.Set(recommender.GCRate, res.gcPerSecond)
		gomemlimit := s.gomemlimitBytes
		if gomemlimit == 0 {
			gomemlimit = math.MaxInt64
		}
		pm.Set(recommender.GOMEMLIMIT, gomemlimit)
		if s.gomaxprocs > 0 {
			pm.Set(recommender.GOMAXPROCS, s.gomaxprocs)
		}
		// Without a limit or a setting, GOMAXPROCS is the node's cores:
		// the recorded value stays.
	}
	return pm
}

// recommend asks for a recommendation and marks the pods it moves far
// enough from what they run with to be rolled out after the apply delay.
func (r *verticalRun) recommend(now time.Time) {
	for name, res := range r.vertical.Recommend(now, r.current()) {
		if _, ok := r.acc[name]; ok {
			r.recommended[name] = res
		}
	}
	for _, p := range r.pods {
		if !p.running {
			continue
		}
		rec, ok := r.recommended[p.container.Name]
		switch {
		case !ok || !differs(p.applied, rec, r.o.MinChange):
			p.pendingSince = time.Time{}
		case p.pendingSince.IsZero():
			p.pendingSince = now
		}
	}
}

// current is what Kubernetes would report of the workload: the resources
// of each container (its first running pod's), the pods whose last
// termination was an OOM kill, and the running pods.
func (r *verticalRun) current() recommender.Current {
	cur := recommender.Current{Containers: map[string]recommender.Resources{}, OOMKills: map[string]int{}}
	pods := map[string]bool{}
	for _, p := range r.pods {
		if !p.running {
			continue
		}
		pods[p.series.Pod] = true
		if _, ok := cur.Containers[p.container.Name]; !ok {
			cur.Containers[p.container.Name] = p.applied
		}
		if p.lastOOM {
			cur.OOMKills[p.container.Name]++
		}
	}
	cur.Replicas = int32(min(len(pods), math.MaxInt32))
	return cur
}

// differs reports whether rec moved from applied by more than minChange
// (a fraction of the applied value) on any setting, or sets or removes one.
func differs(applied, rec recommender.Resources, minChange float64) bool {
	for _, pair := range [][2]float64{
		{applied.CPURequestCores, rec.CPURequestCores}, {applied.CPULimitCores, rec.CPULimitCores},
		{applied.MemoryRequestBytes, rec.MemoryRequestBytes}, {applied.MemoryLimitBytes, rec.MemoryLimitBytes},
		{applied.GOMEMLIMITBytes, rec.GOMEMLIMITBytes}, {float64(applied.GOMAXPROCS), float64(rec.GOMAXPROCS)},
	} {
		a, b := pair[0], pair[1]
		switch {
		case a == b:
		case a == 0 || b == 0:
			return true
		case math.Abs(b-a)/a > minChange:
			return true
		}
	}
	return false
}

// oracleResources is perfect hindsight: exactly what the step needs, with
// the recorded Go settings: the CPU demand, and as memory request and limit
// the peak working set the model gives for those settings, so the oracle
// never OOMs and has no slack.
func oracleResources(u usage) recommender.Resources {
	need := simulate(u, recommender.Resources{}, 0)
	r := recommender.Resources{}
	if need.cpuKnown {
		r.CPURequestCores = need.demandCores
	}
	if need.memoryKnown {
		r.MemoryRequestBytes, r.MemoryLimitBytes = need.peakWorkingSetBytes, need.peakWorkingSetBytes
	}
	return r
}
