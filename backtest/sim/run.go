package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pacerdev/pacer/recommender"
)

// Options says how to replay a trace and whom to compare.
type Options struct {
	// Interval is how often every recommender recommends (default 1m, as
	// pacer's and the VPA recommender's loops); a whole number of steps.
	Interval time.Duration
	// ApplyDelay is how long a recommendation that moved far enough takes
	// to reach a running pod (default 10m); a restart applies it at once.
	ApplyDelay time.Duration
	// ReplicaDelay is how long a new replica takes to serve (default 2m).
	ReplicaDelay time.Duration
	// MinChange is how far, as a fraction of the applied value, a
	// recommendation must move before it is rolled out (default 0.1, the
	// VPA updater's threshold); negative means every change.
	MinChange float64
	// InitialHeadroom multiplies the peak usage of the trace's first
	// InitialWindow (default 24h) to give the resources pods start with
	// (default 1.5); InitialCPULimitRatio sets their CPU limit as a
	// multiple of the request (default 0: none). The memory limit equals
	// the request.
	InitialHeadroom      float64
	InitialWindow        time.Duration
	InitialCPULimitRatio float64
	// Warmup is the trace's first stretch that every recommender reads as
	// history before it acts, as pacer reads its --lookback from
	// Prometheus on start and the VPA recommender its checkpoints: the pods
	// run with the initial resources and replicas, and it is not scored
	// (default 0: none). A whole number of steps, shorter than the trace.
	Warmup time.Duration
	// Initial, when set and it knows a container, gives the resources its
	// pods start with instead (what the pods really ran with).
	Initial    func(w recommender.WorkloadRef, container string) (recommender.Resources, bool)
	Vertical   []VerticalContender
	Horizontal []HorizontalContender
	// Timelines keeps each step's usage and applied resources for charts.
	Timelines bool
	// Parallelism bounds the simulations run at once (default GOMAXPROCS).
	Parallelism int

	step time.Duration
}

func (o *Options) applyDefaults() {
	if o.Interval == 0 {
		o.Interval = time.Minute
	}
	if o.ApplyDelay == 0 {
		o.ApplyDelay = 10 * time.Minute
	}
	if o.ReplicaDelay == 0 {
		o.ReplicaDelay = 2 * time.Minute
	}
	switch {
	case o.MinChange == 0:
		o.MinChange = 0.1
	case o.MinChange < 0:
		o.MinChange = 0
	}
	if o.InitialHeadroom == 0 {
		o.InitialHeadroom = 1.5
	}
	if o.InitialWindow == 0 {
		o.InitialWindow = 24 * time.Hour
	}
	if o.Parallelism <= 0 {
		o.Parallelism = runtime.GOMAXPROCS(0)
	}
}

// Validate fills in the defaults and reports every bad option at once.
func (o *Options) Validate() error {
	o.applyDefaults()
	var errs []error
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"interval", o.Interval}, {"apply delay", o.ApplyDelay}, {"replica delay", o.ReplicaDelay}, {"initial window", o.InitialWindow}, {"warm-up", o.Warmup}} {
		if d.value < 0 {
			errs = append(errs, fmt.Errorf("%s %s is negative", d.name, d.value))
		}
	}
	if o.Interval <= 0 {
		errs = append(errs, fmt.Errorf("interval %s must be positive", o.Interval))
	}
	if o.InitialHeadroom < 1 || math.IsNaN(o.InitialHeadroom) || math.IsInf(o.InitialHeadroom, 0) {
		errs = append(errs, fmt.Errorf("initial headroom %g must be at least 1", o.InitialHeadroom))
	}
	if o.InitialCPULimitRatio != 0 && !(o.InitialCPULimitRatio >= 1 && o.InitialCPULimitRatio <= 100) {
		errs = append(errs, fmt.Errorf("initial CPU limit ratio %g must be 0 (no limit) or in [1, 100]", o.InitialCPULimitRatio))
	}
	if o.MinChange > 10 || math.IsNaN(o.MinChange) {
		errs = append(errs, fmt.Errorf("minimum change %g must be at most 10 (1000%%)", o.MinChange))
	}
	seen := map[string]bool{OracleName: true}
	for _, c := range o.Vertical {
		if seen["v/"+c.Name] || c.Name == OracleName || c.Name == "" || c.New == nil {
			errs = append(errs, fmt.Errorf("vertical contender %q: want a unique name other than %q and a constructor", c.Name, OracleName))
		}
		seen["v/"+c.Name] = true
	}
	for _, c := range o.Horizontal {
		if seen["h/"+c.Name] || c.Name == OracleName || c.Name == "" || c.New == nil {
			errs = append(errs, fmt.Errorf("horizontal contender %q: want a unique name other than %q and a constructor", c.Name, OracleName))
		}
		seen["h/"+c.Name] = true
	}
	return errors.Join(errs...)
}

// recommendEvery is the interval in steps.
func (o *Options) recommendEvery() int { return max(1, int(o.Interval/o.step)) }

// warmupSteps is the warm-up in steps: steps before it are not scored.
func (o *Options) warmupSteps() int { return int(o.Warmup / o.step) }

// Result is a trace's replay: per recommender, its scores over the whole
// trace, and the same per workload. The oracle comes last.
type Result struct {
	Trace       string            `json:"trace"`
	Start       time.Time         `json:"start"`
	End         time.Time         `json:"end"`
	StepSeconds float64           `json:"stepSeconds"`
	Workloads   int               `json:"workloads"`
	Containers  int               `json:"containers"`
	Vertical    []VerticalScore   `json:"vertical"`
	Horizontal  []HorizontalScore `json:"horizontal"`
	PerWorkload []WorkloadResult  `json:"perWorkload"`
}

// WorkloadResult is one workload's scores.
type WorkloadResult struct {
	Workload   recommender.WorkloadRef `json:"workload"`
	Containers []ContainerResult       `json:"containers"`
	Horizontal []HorizontalScore       `json:"horizontal,omitempty"`
	// HorizontalSkipped says why there are no horizontal scores.
	HorizontalSkipped string `json:"horizontalSkipped,omitempty"`
	// CapacityPerPod is the request rate one pod serves (requests/s).
	CapacityPerPod float64 `json:"capacityPerPod,omitempty"`
	// Timeline holds the steps for charts when Options.Timelines is set.
	Timeline *WorkloadTimeline `json:"-"`
}

// ContainerResult is one container's vertical scores and the resources its
// pods started with.
type ContainerResult struct {
	Name     string                `json:"name"`
	Pods     int                   `json:"pods"`
	Initial  recommender.Resources `json:"initial"`
	Vertical []VerticalScore       `json:"vertical"`
}

// Run replays a trace through every contender and the oracle.
func Run(ctx context.Context, t *Trace, o Options) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o.step = t.Step
	if o.Interval%t.Step != 0 {
		return nil, fmt.Errorf("interval %s is not a whole number of %s steps", o.Interval, t.Step)
	}
	if o.Warmup%t.Step != 0 || o.warmupSteps() >= t.Steps {
		return nil, fmt.Errorf("warm-up %s is not a whole number of %s steps shorter than the trace (%s)", o.Warmup, t.Step, time.Duration(t.Steps)*t.Step)
	}
	rp, err := newReplay(t, &o)
	if err != nil {
		return nil, err
	}
	if err := rp.run(ctx); err != nil {
		return nil, fmt.Errorf("replaying %s: %w", t.Name, err)
	}
	return rp.result(), nil
}

// replay is a trace's simulations: per workload, one per contender and
// the oracle, each independent of the others.
type replay struct {
	o           *Options
	t           *Trace
	verticals   []VerticalContender
	horizontals []HorizontalContender
	workloads   []*workloadReplay
}

type workloadReplay struct {
	w       *Workload
	initial map[string]recommender.Resources
	// load is nil when the workload cannot be simulated horizontally;
	// skipped says why.
	load       *workloadLoad
	skipped    string
	vertical   []*verticalRun
	horizontal []*horizontalRun
}

// newReplay makes every contender's recommender for every workload.
func newReplay(t *Trace, o *Options) (*replay, error) {
	rp := &replay{o: o, t: t,
		verticals:   append(append([]VerticalContender(nil), o.Vertical...), VerticalContender{Name: OracleName}),
		horizontals: append(append([]HorizontalContender(nil), o.Horizontal...), HorizontalContender{Name: OracleName}),
	}
	for _, w := range t.Workloads {
		wr := &workloadReplay{w: w, initial: initialResources(t, w, o)}
		wr.load, wr.skipped = newWorkloadLoad(t, w, wr.initial)
		for _, c := range rp.verticals {
			var v Vertical
			if c.New != nil {
				var err error
				if v, err = c.New(w.Ref, wr.initial); err != nil {
					return nil, fmt.Errorf("%s for %s: %w", c.Name, w.Ref, err)
				}
			}
			wr.vertical = append(wr.vertical, newVerticalRun(o, t, w, c.Name, v, wr.initial))
		}
		for _, c := range rp.horizontals {
			if wr.load == nil {
				break
			}
			var h Horizontal
			if c.New != nil {
				var err error
				if h, err = c.New(w.Ref, wr.initial); err != nil {
					return nil, fmt.Errorf("%s for %s: %w", c.Name, w.Ref, err)
				}
			}
			wr.horizontal = append(wr.horizontal, newHorizontalRun(o, t, w, c.Name, h, wr.load))
		}
		rp.workloads = append(rp.workloads, wr)
	}
	return rp, nil
}

// run runs every simulation, Parallelism at a time.
func (rp *replay) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(rp.o.Parallelism)
	for _, wr := range rp.workloads {
		for _, v := range wr.vertical {
			g.Go(func() error { return v.run(gctx) })
		}
		for _, h := range wr.horizontal {
			g.Go(func() error { return h.run(gctx) })
		}
	}
	return g.Wait()
}

// result scores every simulation, per workload and over the trace.
func (rp *replay) result() *Result {
	t := rp.t
	warm := rp.o.warmupSteps()
	steps := t.Steps - warm // the scored ones
	res := &Result{Trace: t.Name, Start: t.At(warm), End: t.At(t.Steps - 1), StepSeconds: t.Step.Seconds(), Workloads: len(t.Workloads)}
	vTotal := make([]verticalAcc, len(rp.verticals))
	hTotal := make([]horizontalAcc, len(rp.horizontals))
	for _, wr := range rp.workloads {
		out := WorkloadResult{Workload: wr.w.Ref, HorizontalSkipped: wr.skipped}
		if rp.o.Timelines {
			out.Timeline = newWorkloadTimeline(t, wr.w, wr.load)
		}
		for _, c := range wr.w.Containers {
			cr := ContainerResult{Name: c.Name, Pods: len(c.Pods), Initial: wr.initial[c.Name]}
			var applied []AppliedTimeline
			for k, run := range wr.vertical {
				acc := *run.acc[c.Name]
				vTotal[k].merge(acc)
				cr.Vertical = append(cr.Vertical, acc.score(rp.verticals[k].Name, steps, t.Step))
				if tl := run.timeline[c.Name]; tl != nil {
					applied = append(applied, *tl)
				}
			}
			out.Containers = append(out.Containers, cr)
			if out.Timeline != nil {
				out.Timeline.Containers = append(out.Timeline.Containers, newContainerTimeline(t, c, applied))
			}
			res.Containers++
		}
		if wr.load != nil {
			out.CapacityPerPod = wr.load.capacityPerPod
		}
		for k, run := range wr.horizontal {
			hTotal[k].merge(run.acc)
			out.Horizontal = append(out.Horizontal, run.acc.score(rp.horizontals[k].Name, steps, t.Step))
			if out.Timeline != nil && run.timeline != nil {
				out.Timeline.Replicas = append(out.Timeline.Replicas, *run.timeline)
			}
		}
		res.PerWorkload = append(res.PerWorkload, out)
	}
	for k, c := range rp.verticals {
		res.Vertical = append(res.Vertical, vTotal[k].score(c.Name, steps, t.Step))
	}
	for k, c := range rp.horizontals {
		if hTotal[k].workloads > 0 {
			res.Horizontal = append(res.Horizontal, hTotal[k].score(c.Name, steps, t.Step))
		}
	}
	return res
}

// initialResources are what every pod starts with, the same for every
// recommender: the peak usage of the trace's first window with headroom,
// memory limit = request, and the CPU limit the options ask for.
func initialResources(t *Trace, w *Workload, o *Options) map[string]recommender.Resources {
	window := max(1, min(t.Steps, int(o.InitialWindow/t.Step)))
	out := map[string]recommender.Resources{}
	for _, c := range w.Containers {
		var peakCPU, peakMemory float64
		for _, p := range c.Pods {
			for i := range window {
				if v := p.Value(recommender.CPU, i); v > peakCPU {
					peakCPU = v
				}
				if v := p.Value(recommender.Memory, i); v > peakMemory {
					peakMemory = v
				}
			}
		}
		r := recommender.Resources{
			CPURequestCores:    math.Ceil(peakCPU*o.InitialHeadroom*1000) / 1000,
			MemoryRequestBytes: math.Ceil(peakMemory*o.InitialHeadroom/(1<<20)) * (1 << 20),
		}
		if peakCPU > 0 {
			r.CPURequestCores = max(r.CPURequestCores, 0.001)
		}
		r.MemoryLimitBytes = r.MemoryRequestBytes
		r.CPULimitCores = r.CPURequestCores * o.InitialCPULimitRatio
		if o.Initial != nil {
			if given, ok := o.Initial(w.Ref, c.Name); ok {
				r = given
			}
		}
		out[c.Name] = r
	}
	return out
}
