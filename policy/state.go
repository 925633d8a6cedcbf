package policy

import (
	"fmt"
	"math"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// trendPoints is how many recent request rates the trend is fitted on.
const trendPoints = 30

// Histogram ranges: exponential buckets 5% wide from a floor far below any
// real container to a ceiling far above, so no real value falls outside.
var (
	cpuBuckets       = HistogramOptions{First: 0.001, Ratio: 1.05, Max: 1024}      // cores
	bytesBuckets     = HistogramOptions{First: 1 << 20, Ratio: 1.05, Max: 1 << 42} // bytes
	byteRateBuckets  = HistogramOptions{First: 1 << 10, Ratio: 1.05, Max: 1 << 40} // bytes/s
	defaultGOGC      = 100.0
	stackBytesPerG   = 8192.0 // the smallest goroutine stack the runtime allocates
	capacityMinPairs = 10.0
)

// signalIndex numbers the signals, so per-signal state is an array, not a map.
var signalIndex = func() map[recommender.Signal]int {
	m := map[recommender.Signal]int{}
	for i, s := range recommender.Signals() {
		m[s] = i
	}
	return m
}()

const numSignals = 13

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
// never raw history.
type containerState struct {
	cpu, liveHeap, nonHeap, workingSet, allocRate *DecayingHistogram
	goroutines                                    SustainedState
	lastGoroutines, lastLiveHeap, lastHeapGoal    float64
	gcPerMinute                                   *EWMA
	gogc, gomemlimit                              float64
	gomaxprocs                                    float64
	spans                                         [numSignals]span
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

func (s *sample) set(sig recommender.Signal, v float64) {
	i := signalIndex[sig]
	s.values[i] = v
	s.has |= 1 << i
}

func (s *sample) get(sig recommender.Signal) (float64, bool) {
	i := signalIndex[sig]
	return s.values[i], s.has&(1<<i) != 0
}

// observe folds one pod's instant into the container's state.
func (c *containerState) observe(p Policy, s *sample) {
	for i := range numSignals {
		if s.has&(1<<i) != 0 {
			c.spans[i].see(s.at)
		}
	}
	if v, ok := s.get(recommender.CPU); ok {
		c.cpu.Add(v, 1, s.at)
	}
	if v, ok := s.get(recommender.AllocRate); ok {
		c.allocRate.Add(v, 1, s.at)
	}
	if v, ok := s.get(recommender.GOGC); ok {
		c.gogc = v
	}
	if v, ok := s.get(recommender.GOMEMLIMIT); ok {
		c.gomemlimit = v
	}
	if v, ok := s.get(recommender.GOMAXPROCS); ok {
		c.gomaxprocs = v
	}
	if v, ok := s.get(recommender.GCRate); ok {
		c.gcPerMinute.Update(v*60, s.at)
	}
	if v, ok := s.get(recommender.Goroutines); ok {
		rule := p.Rules.GoroutinePressure
		c.goroutines = Sustained{Threshold: rule.Above, For: rule.For.D(), MaxGap: 2 * p.Horizontal.RateWindow.D()}.Observe(c.goroutines, s.at, v)
		c.lastGoroutines = v
	}
	live, haveLive := s.get(recommender.LiveHeap)
	if haveLive {
		c.liveHeap.Add(live, 1, s.at)
		c.lastLiveHeap = live
	}
	goal, haveGoal := s.get(recommender.HeapGoal)
	if !haveGoal && haveLive {
		goal, haveGoal = heapGoalOf(live, c.gogc, c.gomemlimit), true
	}
	if haveGoal {
		c.lastHeapGoal = goal
	}
	if ws, ok := s.get(recommender.Memory); ok {
		c.workingSet.Add(ws, 1, s.at)
		if haveGoal {
			c.nonHeap.Add(max(0, ws-goal), 1, s.at)
		}
	}
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
	// Horizontal: the total request rate, its recent history for the trend,
	// and decaying sums for the per-pod CPU-versus-rate regression.
	totalRate   *EWMA
	recent      recentRates
	reg         regression
	pods        int
	lastSeen    time.Time
	stabilizer  *ReplicaStabilizer
	rateSpan    span
	lastPerPod  float64
	lastCPUPerP float64
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

// workloadInstant is the sum over a workload's pods at one instant.
type workloadInstant struct {
	rate, cpu float64
	pods      map[string]bool
	haveRate  bool
	haveCPU   bool
	cpuPods   int
	ratePods  int
}

func (w *workloadState) observe(at time.Time, wi *workloadInstant) {
	w.lastSeen = at
	w.pods = len(wi.pods)
	if !wi.haveRate {
		return
	}
	w.rateSpan.see(at)
	w.totalRate.Update(wi.rate, at)
	w.recent.add(at, wi.rate)
	if wi.haveCPU && wi.ratePods > 0 && wi.cpuPods > 0 {
		perPod, cpuPerPod := wi.rate/float64(wi.ratePods), wi.cpu/float64(wi.cpuPods)
		w.reg.add(perPod, cpuPerPod, at)
		w.lastPerPod, w.lastCPUPerP = perPod, cpuPerPod
	}
}

// recentRates is a ring of the last trendPoints total request rates, kept
// compact (16 bytes a point) because every workload holds one.
type recentRates struct {
	ms     [trendPoints]int64
	values [trendPoints]float64
	next   int
	n      int
}

func (r *recentRates) add(at time.Time, v float64) {
	r.ms[r.next], r.values[r.next] = at.UnixMilli(), v
	r.next = (r.next + 1) % trendPoints
	r.n = min(r.n+1, trendPoints)
}

// points returns the ring oldest first.
func (r *recentRates) points() []Point {
	out := make([]Point, 0, r.n)
	for i := range r.n {
		j := (r.next - r.n + i + trendPoints) % trendPoints
		out = append(out, Point{At: time.UnixMilli(r.ms[j]).UTC(), Value: r.values[j]})
	}
	return out
}
