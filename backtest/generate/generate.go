package generate

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// DefaultStart is where traces start unless told otherwise: a Monday at
// midnight UTC, so a diurnal trace's weekend falls on days 6 and 7.
var DefaultStart = time.Date(2026, time.January, 5, 0, 0, 0, 0, time.UTC)

// SeriesPerPod is the number of series a trace holds for each pod.
const SeriesPerPod = 14

// maxSamples is what scrape.OpenTrace reads by default; a bigger trace
// would need its options changed to be read back.
const maxSamples = 50_000_000

// Config says what to generate. Zero fields take the defaults noted.
type Config struct {
	Scenario string
	Seed     uint64
	Pods     int           // default 1
	Duration time.Duration // the span; the trace has Duration/Step + 1 samples per series
	Step     time.Duration // default 1m
	Start    time.Time     // default DefaultStart
	// Namespace of the pods (default "synthetic"); the workload is a
	// Deployment named after the scenario.
	Namespace string
	// GOGC in percent (default 100; negative turns the GC off and needs
	// GOMEMLIMITBytes). GOMEMLIMITBytes 0 leaves GOMEMLIMIT unset.
	GOGC            int
	GOMEMLIMITBytes int64
	// CPULimitCores is the CPU limit the pods ran under (default 2); it
	// sets GOMAXPROCS to max(2, ⌈limit⌉), as Go 1.25 does.
	CPULimitCores float64
}

func (c *Config) applyDefaults() {
	c.Pods = cmp.Or(c.Pods, 1)
	c.Step = cmp.Or(c.Step, time.Minute)
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	c.Start = c.Start.UTC()
	c.Namespace = cmp.Or(c.Namespace, "synthetic")
	c.GOGC = cmp.Or(c.GOGC, 100)
	c.CPULimitCores = cmp.Or(c.CPULimitCores, 2)
}

// Validate reports every problem with the configuration at once; it
// applies the defaults first.
func (c Config) Validate() error {
	c.applyDefaults()
	var errs []error
	if _, ok := lookupScenario(c.Scenario); !ok {
		names := make([]string, len(scenarios))
		for i, s := range scenarios {
			names[i] = s.name
		}
		errs = append(errs, fmt.Errorf("unknown scenario %q (known: %s)", c.Scenario, strings.Join(names, ", ")))
	}
	if c.Pods < 1 || c.Pods > 1000 {
		errs = append(errs, fmt.Errorf("pods %d: want 1 to 1000", c.Pods))
	}
	if c.Step < time.Second || c.Step > time.Hour || c.Step%time.Second != 0 {
		errs = append(errs, fmt.Errorf("step %s: want whole seconds from 1s to 1h", c.Step))
	}
	if c.Duration < c.Step {
		errs = append(errs, fmt.Errorf("duration %s is shorter than a step of %s", c.Duration, c.Step))
	} else if n := (int64(c.Duration/c.Step) + 1) * int64(c.Pods) * SeriesPerPod; n > maxSamples {
		errs = append(errs, fmt.Errorf("%s of %d pods at %s steps is %d samples; scrape.OpenTrace reads at most %d by default", c.Duration, c.Pods, c.Step, n, maxSamples))
	}
	for _, msg := range validation.IsDNS1123Label(c.Namespace) {
		errs = append(errs, fmt.Errorf("namespace %q: %s", c.Namespace, msg))
	}
	if c.GOMEMLIMITBytes < 0 {
		errs = append(errs, fmt.Errorf("GOMEMLIMIT %d bytes is negative", c.GOMEMLIMITBytes))
	}
	if c.GOGC < 0 && c.GOMEMLIMITBytes == 0 {
		errs = append(errs, errors.New("GOGC off needs GOMEMLIMIT, or the heap grows without bound"))
	}
	if !(c.CPULimitCores > 0 && c.CPULimitCores <= 256) {
		errs = append(errs, fmt.Errorf("CPU limit %g cores: want more than 0, at most 256", c.CPULimitCores))
	}
	return errors.Join(errs...)
}

// Steps is the number of samples per series.
func (c Config) Steps() int { return int(c.Duration/c.Step) + 1 }

// Trace is a generated trace held in memory: every pod's model state at
// every step.
type Trace struct {
	Config   Config  // with the defaults applied
	Service  Service // the model, with the scenario's and the config's changes
	Workload string  // the Deployment's name: the scenario
	Pods     []Pod   // sorted by name
}

// At returns the instant of step k.
func (t *Trace) At(k int) time.Time { return t.Config.Start.Add(time.Duration(k) * t.Config.Step) }

// Pod is one pod's samples, Samples[k] at Trace.At(k).
type Pod struct {
	Name    string
	Samples []Sample
}

// Sample is a pod's state at one step. Rates are over the step that ends at
// the sample's instant, gauges are at that instant, and the counters
// (…Total) integrate the rates from the trace's start, where they are zero.
type Sample struct {
	RequestsPerSecond   float64
	Goroutines          float64
	StuckGoroutines     float64 // of Goroutines, those of a goroutine storm
	AllocBytesPerSecond float64
	LiveHeapBytes       float64
	NonHeapBytes        float64
	HeapGoalBytes       float64
	PeakHeapBytes       float64 // the top of the GC sawtooth
	WorkingSetBytes     float64
	GCCyclesPerSecond   float64
	GCCPUCores          float64
	GCLimited           bool    // the GC CPU limiter held the GC at half of GOMAXPROCS
	ExtraCPUCores       float64 // CPU of the scenario's bursts, besides requests and GC
	CPUDemandCores      float64 // what the pod would use without a CPU limit
	CPUUsageCores       float64 // demand capped at the CPU limit
	ThrottledShare      float64 // share of CFS periods throttled

	RequestsTotal            float64
	AllocBytesTotal          float64
	GCCyclesTotal            float64
	GCCPUSecondsTotal        float64
	CPUSecondsTotal          float64
	CFSPeriodsTotal          float64
	CFSThrottledPeriodsTotal float64
}

// MemoryNeedBytes is the least memory the pod needs at this step: live heap
// plus non-heap, what a limit must hold with GOMEMLIMIT set just under it.
func (s Sample) MemoryNeedBytes() float64 { return s.LiveHeapBytes + s.NonHeapBytes }

// PeakWorkingSetBytes is the working set at the top of the GC sawtooth,
// under the GOGC and GOMEMLIMIT the trace was generated with.
func (s Sample) PeakWorkingSetBytes() float64 { return s.PeakHeapBytes + s.NonHeapBytes }

// Seed streams: each consumer of randomness draws from its own stream, so
// one's draws never shift another's (a scenario's events do not move the
// pods' noise, a pod's noise does not depend on how many pods there are).
const (
	streamNames = iota + 1
	streamPlan
	streamWorkloadNoise
	streamShares
	streamPod = 1000
)

func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream)) //nolint:gosec // a seeded, reproducible stream is the point; nothing here is secret
}

// Generate runs the model for every pod of the configured scenario.
func Generate(c Config) (*Trace, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.applyDefaults()
	sc, _ := lookupScenario(c.Scenario)
	svc := DefaultService()
	if sc.service != nil {
		sc.service(&svc)
	}
	svc.CPULimitCores = c.CPULimitCores
	svc.GC.GOGC = c.GOGC
	svc.GC.MemoryLimitBytes = float64(c.GOMEMLIMITBytes)
	svc.GC.GOMAXPROCS = max(2, int(math.Ceil(c.CPULimitCores)))

	steps := c.Steps()
	p := sc.plan(newRand(c.Seed, streamPlan), c.Start, c.Duration)
	workloadNoise := newAR1(newRand(c.Seed, streamWorkloadNoise), c.Step, 30*time.Minute, 0.04)
	fx := make([]effects, steps)
	for k := range fx {
		fx[k] = p(time.Duration(k) * c.Step)
		fx[k].load *= max(0, 1+workloadNoise.next())
	}

	names := podNames(newRand(c.Seed, streamNames), c.Scenario, c.Pods)
	shares := loadShares(newRand(c.Seed, streamShares), c.Pods)
	t := &Trace{Config: c, Service: svc, Workload: c.Scenario, Pods: make([]Pod, c.Pods)}
	for i := range t.Pods {
		g := podGenerator{svc: svc, step: c.Step, share: shares[i], rng: newRand(c.Seed, streamPod+uint64(i))}
		t.Pods[i] = Pod{Name: names[i], Samples: g.run(fx)}
	}
	slices.SortFunc(t.Pods, func(a, b Pod) int { return strings.Compare(a.Name, b.Name) })
	return t, nil
}

// loadShares draws each pod's share of the load: within ±20% of a fair
// share, as a load balancer leaves it, with a mean of exactly 1.
func loadShares(rng *rand.Rand, pods int) []float64 {
	shares := make([]float64, pods)
	var total float64
	for i := range shares {
		shares[i] = min(max(1+0.05*rng.NormFloat64(), 0.8), 1.2)
		total += shares[i]
	}
	for i := range shares {
		shares[i] *= float64(pods) / total
	}
	return shares
}

// podGenerator runs the model for one pod.
type podGenerator struct {
	svc   Service
	step  time.Duration
	share float64 // of the load, 1 for a fair share
	rng   *rand.Rand
}

func (g *podGenerator) run(effects []effects) []Sample {
	svc := g.svc
	loadNoise := newAR1(g.rng, g.step, 10*time.Minute, 0.03)
	cpuNoise := newAR1(g.rng, g.step, 30*time.Minute, 0.03)
	allocNoise := newAR1(g.rng, g.step, 20*time.Minute, 0.05)
	liveNoise := newAR1(g.rng, g.step, time.Hour, 0.03)
	dt := g.step.Seconds()
	samples := make([]Sample, len(effects))
	var prev Sample
	var leakedBytes float64
	for k, e := range effects {
		var s Sample
		s.RequestsPerSecond = round(max(0, svc.BaseRequestsPerSecond*e.load*g.share*(1+loadNoise.next())), 4)
		r := s.RequestsPerSecond
		inFlight := r * svc.LatencySeconds
		s.StuckGoroutines = math.Round(e.stuckGoroutines * g.share)
		s.Goroutines = max(1, math.Round(svc.BaseGoroutines+inFlight+math.Sqrt(inFlight)*g.rng.NormFloat64()+s.StuckGoroutines))
		s.AllocBytesPerSecond = math.Round(svc.BaseAllocBytesPerSecond + r*svc.AllocBytesPerRequest*max(0, 1+allocNoise.next()) + e.allocBytesPerSecond*g.share)
		if k > 0 {
			leakedBytes += r * dt * svc.LeakBytesPerRequest
		}
		s.LiveHeapBytes = math.Round(svc.BaseLiveHeapBytes + r*svc.LiveBytesPerRequestPerSecond*max(0, 1+liveNoise.next()) +
			leakedBytes + s.StuckGoroutines*svc.RetainedBytesPerStuckGoroutine + e.liveBytes*g.share)
		s.NonHeapBytes = math.Round(svc.NonHeapBytes(s.Goroutines))

		gc := svc.GC.Run(s.LiveHeapBytes, s.NonHeapBytes, s.AllocBytesPerSecond)
		s.HeapGoalBytes = math.Round(gc.HeapGoalBytes)
		s.PeakHeapBytes = math.Round(gc.PeakHeapBytes)
		s.GCCyclesPerSecond = gc.CyclesPerSecond
		s.GCCPUCores = round(gc.CPUCores, 6)
		s.GCLimited = gc.Limited

		s.ExtraCPUCores = round(e.cpuCores*g.share, 6)
		s.CPUDemandCores = round(svc.BaseCPUCores+r*svc.CPUSecondsPerRequest*max(0, 1+cpuNoise.next())+s.ExtraCPUCores+s.GCCPUCores, 6)
		s.CPUUsageCores = min(s.CPUDemandCores, svc.CPULimitCores)
		s.ThrottledShare = ThrottledShare(s.CPUDemandCores / svc.CPULimitCores)

		if k > 0 {
			s.integrate(prev, dt)
		}
		// The heap is as far from live towards its peak as the current
		// cycle is done: the fraction of the GC count.
		_, cycleDone := math.Modf(s.GCCyclesTotal)
		s.WorkingSetBytes = math.Round(s.NonHeapBytes + s.LiveHeapBytes + cycleDone*(s.PeakHeapBytes-s.LiveHeapBytes))
		samples[k], prev = s, s
	}
	return samples
}

// integrate advances the counters over one step of dt seconds.
func (s *Sample) integrate(prev Sample, dt float64) {
	periods := cfsPeriodsPerSecond * dt
	s.RequestsTotal = prev.RequestsTotal + s.RequestsPerSecond*dt
	s.AllocBytesTotal = prev.AllocBytesTotal + s.AllocBytesPerSecond*dt
	s.GCCyclesTotal = prev.GCCyclesTotal + s.GCCyclesPerSecond*dt
	s.GCCPUSecondsTotal = prev.GCCPUSecondsTotal + s.GCCPUCores*dt
	s.CPUSecondsTotal = prev.CPUSecondsTotal + s.CPUUsageCores*dt
	s.CFSPeriodsTotal = prev.CFSPeriodsTotal + periods
	s.CFSThrottledPeriodsTotal = prev.CFSThrottledPeriodsTotal + s.ThrottledShare*periods
}

// round rounds x to the given number of decimals, to the double nearest
// that decimal, so it prints short.
func round(x float64, decimals int) float64 {
	scale := math.Pow10(decimals)
	return math.Round(x*scale) / scale
}

// ar1 is noise that wanders: an AR(1) process with standard deviation sigma
// whose correlation decays with time constant tau.
type ar1 struct {
	rng        *rand.Rand
	phi, sigma float64
	x          float64
}

func newAR1(rng *rand.Rand, step, tau time.Duration, sigma float64) *ar1 {
	return &ar1{rng: rng, phi: math.Exp(-step.Seconds() / tau.Seconds()), sigma: sigma, x: sigma * rng.NormFloat64()}
}

func (a *ar1) next() float64 {
	a.x = a.phi*a.x + a.sigma*math.Sqrt(1-a.phi*a.phi)*a.rng.NormFloat64()
	return a.x
}

// generatedNameAlphabet is the alphabet Kubernetes draws generated name
// suffixes from.
const generatedNameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// podNames names a Deployment's pods: <deployment>-<10-char template hash>-<5-char suffix>.
func podNames(rng *rand.Rand, deployment string, pods int) []string {
	draw := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = generatedNameAlphabet[rng.IntN(len(generatedNameAlphabet))]
		}
		return string(b)
	}
	hash := draw(10)
	seen := map[string]bool{}
	names := make([]string, 0, pods)
	for len(names) < pods {
		name := deployment + "-" + hash + "-" + draw(5)
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}
