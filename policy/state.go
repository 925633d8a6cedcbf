package policy

import (
	"fmt"
	"math"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// trendPoints is how many recent request rates the trend and the rate
// window are computed from.
const trendPoints = 30

// Histogram ranges: exponential buckets 5% wide from a floor far below any
// real container to a ceiling far above, so no real value falls outside.
var (
	cpuBuckets      = HistogramOptions{First: 0.001, Ratio: 1.05, Max: 1024}      // cores
	bytesBuckets    = HistogramOptions{First: 4 << 10, Ratio: 1.05, Max: 1 << 42} // bytes
	byteRateBuckets = HistogramOptions{First: 1 << 10, Ratio: 1.05, Max: 1 << 40} // bytes/s
)

const (
	defaultGOGC      = 100.0
	stackBytesPerG   = 8192.0 // the smallest goroutine stack the runtime allocates
	capacityMinPairs = 10.0   // CPU-versus-rate pairs the capacity fit needs
)

// numSignals is the size of the signal catalogue, so that per-signal state
// is an array, not a map (a test checks it against recommender.Signals).
const numSignals = 13

// signalIndex numbers the signals in catalogue order.
var signalIndex = func() map[recommender.Signal]int {
	m := map[recommender.Signal]int{}
	for i, s := range recommender.Signals() {
		m[s] = i
	}
	return m
}()

// span is the first and last time a signal had a sample, in Unix milliseconds.
type span struct{ first, last int64 }

func (s *span) seen() bool { return s.last != 0 }

func (s *span) see(t time.Time) {
	ms := t.UnixMilli()
	if !s.seen() || ms < s.first {
		s.first = ms
	}
	s.last = max(s.last, ms)
}

func (s span) length() time.Duration {
	return time.Duration(s.last-s.first) * time.Millisecond
}

func (s span) lastTime() time.Time { return time.UnixMilli(s.last).UTC() }

// containerState is what one container (by name, over all the workload's
// pods) keeps between cycles: decaying histograms and a few last values,
// never raw history. The histograms take every pod's value; the rules see,
// at each instant, the largest value over the pods, so no pod's trouble is
// averaged away and the pods' order does not matter.
type containerState struct {
	cpu, liveHeap, nonHeap, workingSet, allocRate *DecayingHistogram
	goroutines                                    SustainedState
	lastGoroutines, lastLiveHeap                  float64
	gcPerMinute                                   *EWMA
	gogc, gomemlimit                              float64
	// lastOOM is when a recommendation last saw an OOM kill, lastStorm
	// goroutine pressure: for a half-life after either, the heap is sized
	// for the GOGC goal again (see memoryModel).
	lastOOM, lastStorm time.Time
	spans              [numSignals]span
}

func newContainerState(p Policy) (*containerState, error) {
	halfLife := p.History.HalfLife.D()
	mk := func(o HistogramOptions) (*DecayingHistogram, error) {
		o.HalfLife = halfLife
		return NewDecayingHistogram(o)
	}
	c := &containerState{gcPerMinute: NewEWMA(p.Horizontal.RateWindow.D()), gogc: math.NaN(), gomemlimit: math.NaN()}
	var err error
	for _, h := range []struct {
		into **DecayingHistogram
		opts HistogramOptions
	}{
		{&c.cpu, cpuBuckets}, {&c.liveHeap, bytesBuckets}, {&c.nonHeap, bytesBuckets},
		{&c.workingSet, bytesBuckets}, {&c.allocRate, byteRateBuckets},
	} {
		if *h.into, err = mk(h.opts); err != nil {
			return nil, fmt.Errorf("policy %s: %w", p.Name, err)
		}
	}
	return c, nil
}

// sample is one instant of one pod's container: the value of each signal
// that had one.
type sample struct {
	at     time.Time
	values [numSignals]float64
	has    uint16 // bit i: values[i] is set
}

// set records a finite value of a catalogued signal; anything else is no value.
func (s *sample) set(sig recommender.Signal, v float64) {
	i, ok := signalIndex[sig]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	s.values[i] = v
	s.has |= 1 << i
}

func (s *sample) get(sig recommender.Signal) (float64, bool) {
	i, ok := signalIndex[sig]
	if !ok {
		return 0, false
	}
	return s.values[i], s.has&(1<<i) != 0
}

// observe folds one instant of the container, one sample per pod, into the state.
func (c *containerState) observe(p Policy, at time.Time, pods []*sample) {
	var top sample // the largest value of each signal over the pods
	for _, s := range pods {
		for i := range numSignals {
			if s.has&(1<<i) != 0 && (top.has&(1<<i) == 0 || s.values[i] > top.values[i]) {
				top.values[i] = s.values[i]
				top.has |= 1 << i
			}
		}
		c.observePod(s)
	}
	for i := range numSignals {
		if top.has&(1<<i) != 0 {
			c.spans[i].see(at)
		}
	}
	if v, ok := top.get(recommender.GOGC); ok {
		c.gogc = v
	}
	if v, ok := top.get(recommender.GOMEMLIMIT); ok {
		c.gomemlimit = v
	}
	if v, ok := top.get(recommender.GCRate); ok {
		c.gcPerMinute.Update(v*60, at)
	}
	if v, ok := top.get(recommender.Goroutines); ok {
		rule := p.Rules.GoroutinePressure
		c.goroutines = Sustained{Threshold: rule.Above, For: rule.For.D(), MaxGap: 2 * p.Horizontal.RateWindow.D()}.Observe(c.goroutines, at, v)
		c.lastGoroutines = v
	}
	if v, ok := top.get(recommender.LiveHeap); ok {
		c.lastLiveHeap = v
	}
}

// observePod adds one pod's values to the distributions.
func (c *containerState) observePod(s *sample) {
	if v, ok := s.get(recommender.CPU); ok {
		c.cpu.Add(v, 1, s.at)
	}
	if v, ok := s.get(recommender.AllocRate); ok {
		c.allocRate.Add(v, 1, s.at)
	}
	live, haveLive := s.get(recommender.LiveHeap)
	if haveLive {
		c.liveHeap.Add(live, 1, s.at)
	}
	// The heap goal this pod really ran with: its own report, or the model
	// with its own GOGC and GOMEMLIMIT (the container's last known when the
	// pod did not say).
	goal, haveGoal := s.get(recommender.HeapGoal)
	if !haveGoal && haveLive {
		gogc, limit := c.gogc, c.gomemlimit
		if v, ok := s.get(recommender.GOGC); ok {
			gogc = v
		}
		if v, ok := s.get(recommender.GOMEMLIMIT); ok {
			limit = v
		}
		goal, haveGoal = heapGoalOf(live, gogc, limit), true
	}
	if ws, ok := s.get(recommender.Memory); ok {
		c.workingSet.Add(ws, 1, s.at)
		if haveGoal {
			c.nonHeap.Add(max(0, ws-goal), 1, s.at)
		}
	}
}

// newest is the time of the container's newest sample of any signal.
func (c *containerState) newest() time.Time {
	var last int64
	for _, sp := range c.spans {
		last = max(last, sp.last)
	}
	return time.UnixMilli(last).UTC()
}

// hasGo reports whether the container ever showed a Go runtime signal.
func (c *containerState) hasGo() bool {
	for _, sig := range []recommender.Signal{recommender.Goroutines, recommender.LiveHeap, recommender.AllocRate} {
		if c.spans[signalIndex[sig]].seen() {
			return true
		}
	}
	return false
}

// heapGoalOf is the Go GC's heap goal: live × (1 + GOGC/100), capped by
// GOMEMLIMIT when one is set. GOGC=off (negative) leaves only the limit.
func heapGoalOf(live, gogc, gomemlimit float64) float64 {
	if math.IsNaN(gogc) {
		gogc = defaultGOGC
	}
	goal := live * (1 + gogc/100)
	if gogc < 0 {
		goal = math.Inf(1)
	}
	if !math.IsNaN(gomemlimit) && !recommender.NoMemoryLimit(gomemlimit) {
		goal = min(goal, gomemlimit)
	}
	if math.IsInf(goal, 1) {
		return live
	}
	return goal
}

// workloadState is what a workload keeps between cycles.
type workloadState struct {
	policy     Policy
	containers map[string]*containerState
	// processed is the newest instant folded in (Unix ms): samples at or
	// before it were seen by an earlier Observe and are not counted twice.
	processed int64
	// Horizontal: recent totals for the rate window and the trend, decaying
	// sums for the per-pod CPU-versus-rate regression, and the pods seen at
	// the newest instant.
	recent     recentRates
	reg        regression
	pods       int
	stabilizer *ReplicaStabilizer
	rateSpan   span
}

// regression is weighted least squares of y on x with exponential decay,
// kept as five sums, so the capacity estimate needs no stored history.
type regression struct {
	halfLife                time.Duration
	last                    time.Time
	sw, sx, sy, sxx, sxy, n float64
}

func (r *regression) add(x, y float64, at time.Time) {
	if !r.last.IsZero() && at.After(r.last) && r.halfLife > 0 {
		f := math.Exp2(-float64(at.Sub(r.last)) / float64(r.halfLife))
		r.sw, r.sx, r.sy, r.sxx, r.sxy = r.sw*f, r.sx*f, r.sy*f, r.sxx*f, r.sxy*f
	}
	r.last = at
	r.sw++
	r.sx += x
	r.sy += y
	r.sxx += x * x
	r.sxy += x * y
	r.n++
}

// fit returns intercept and slope, and false when x has not varied enough.
func (r *regression) fit() (intercept, slope float64, ok bool) {
	den := r.sw*r.sxx - r.sx*r.sx
	if r.n < capacityMinPairs || den <= 1e-12*r.sw*r.sxx {
		return 0, 0, false
	}
	slope = (r.sw*r.sxy - r.sx*r.sy) / den
	intercept = (r.sy - slope*r.sx) / r.sw
	return intercept, slope, true
}

// podInstant is one pod's request rate and CPU, summed over its containers.
type podInstant struct {
	rate, cpu         float64
	haveRate, haveCPU bool
}

// observe folds one instant of the workload, one entry per pod, into the state.
func (w *workloadState) observe(at time.Time, pods map[string]*podInstant) {
	w.pods = len(pods)
	var rate, cpu float64
	var ratePods, cpuPods int
	for _, pod := range pods {
		if pod.haveRate {
			rate += pod.rate
			ratePods++
		}
		if pod.haveCPU {
			cpu += pod.cpu
			cpuPods++
		}
		if pod.haveRate && pod.haveCPU {
			w.reg.add(pod.rate, pod.cpu, at)
		}
	}
	if ratePods == 0 {
		return
	}
	w.rateSpan.see(at)
	// The CPU of pods that did not report is taken as the mean of those
	// that did: the total is what the guard compares with the replicas.
	cpuTotal := math.NaN()
	if cpuPods > 0 {
		cpuTotal = cpu / float64(cpuPods) * float64(len(pods))
	}
	w.recent.add(at, rate, cpuTotal)
}

// recentRates is a ring of the last trendPoints total request rates and
// total CPU, kept compact (16 bytes a point) because every workload holds one.
type recentRates struct {
	ms         [trendPoints]int64
	rate, cpu  [trendPoints]float32
	next, size int
}

func (r *recentRates) add(at time.Time, rate, cpu float64) {
	r.ms[r.next], r.rate[r.next], r.cpu[r.next] = at.UnixMilli(), float32(rate), float32(cpu)
	r.next = (r.next + 1) % trendPoints
	r.size = min(r.size+1, trendPoints)
}

// at returns the i-th point, oldest first.
func (r *recentRates) at(i int) (time.Time, float64, float64) {
	j := (r.next - r.size + i + trendPoints) % trendPoints
	return time.UnixMilli(r.ms[j]).UTC(), float64(r.rate[j]), float64(r.cpu[j])
}

// points returns the total request rates, oldest first.
func (r *recentRates) points() []Point {
	out := make([]Point, 0, r.size)
	for i := range r.size {
		at, rate, _ := r.at(i)
		out = append(out, Point{At: at, Value: rate})
	}
	return out
}

// mean averages the total rate and the total CPU over the points within
// window of the newest one; ok is false when there are none.
func (r *recentRates) mean(window time.Duration) (rate, cpu float64, ok bool) {
	if r.size == 0 {
		return 0, 0, false
	}
	newest, _, _ := r.at(r.size - 1)
	var n, cpuN int
	for i := r.size - 1; i >= 0; i-- {
		at, v, c := r.at(i)
		if i < r.size-1 && newest.Sub(at) >= window {
			break
		}
		rate += v
		n++
		if !math.IsNaN(c) {
			cpu += c
			cpuN++
		}
	}
	rate /= float64(n)
	if cpuN == 0 {
		return rate, math.NaN(), true
	}
	return rate, cpu / float64(cpuN), true
}
