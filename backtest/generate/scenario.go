package generate

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// effects is what a scenario does to the workload at one instant. Extras are
// per pod at its fair share of the load; each pod scales them by its share.
type effects struct {
	load                float64 // multiplier of Service.BaseRequestsPerSecond
	allocBytesPerSecond float64 // extra allocation
	liveBytes           float64 // extra live heap
	cpuCores            float64 // extra CPU
	stuckGoroutines     float64 // goroutines blocked, not serving requests
}

// plan gives a scenario's effects at an offset from the trace's start.
type plan func(at time.Duration) effects

// scenario is one kind of load. plan draws the scenario's events for a
// trace from rng; service adjusts the model before the trace is generated.
type scenario struct {
	name        string
	description string
	service     func(*Service)
	plan        func(rng *rand.Rand, start time.Time, span time.Duration) plan
}

// ScenarioInfo names and describes a scenario.
type ScenarioInfo struct {
	Name        string
	Description string
}

// Scenarios lists the scenarios Generate knows, in a fixed order.
func Scenarios() []ScenarioInfo {
	out := make([]ScenarioInfo, len(scenarios))
	for i, s := range scenarios {
		out[i] = ScenarioInfo{s.name, s.description}
	}
	return out
}

func lookupScenario(name string) (scenario, bool) {
	i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })
	if i < 0 {
		return scenario{}, false
	}
	return scenarios[i], true
}

var scenarios = []scenario{
	{
		name:        "steady",
		description: "constant load with a few percent of noise",
		plan:        func(*rand.Rand, time.Time, time.Duration) plan { return steadyPlan },
	},
	{
		name:        "diurnal",
		description: "daily cycle from 0.3× at 04:00 to 1.6× at 16:00 UTC, weekends at 65%",
		plan:        diurnalPlan,
	},
	{
		name:        "spiky",
		description: "steady load with sudden spikes of 2.5–6× lasting 3–20 minutes, about 8 a day",
		plan:        spikyPlan,
	},
	{
		name:        "step",
		description: "load that steps between 0.4× and 3× every 6–18 hours",
		plan:        stepPlan,
	},
	{
		name:        "leak",
		description: "steady load; every request leaks 4 bytes, so the live heap grows ~50 MiB a day",
		service:     func(s *Service) { s.LeakBytesPerRequest = 4 },
		plan:        func(*rand.Rand, time.Time, time.Duration) plan { return steadyPlan },
	},
	{
		name:        "alloc-bursts",
		description: "steady load with 10–30 minute bursts of 100–300 MiB/s extra allocation and up to 120 MiB extra live heap, about 6 a day",
		plan:        allocBurstPlan,
	},
	{
		name:        "goroutine-storm",
		description: "steady load with storms of 4,000–12,000 goroutines stuck on a slow dependency for 10–40 minutes, about 2 a day",
		plan:        stormPlan,
	},
}

func steadyPlan(time.Duration) effects { return effects{load: 1} }

func diurnalPlan(_ *rand.Rand, start time.Time, _ time.Duration) plan {
	return func(at time.Duration) effects {
		t := start.Add(at).UTC()
		hour := float64(t.Hour()) + float64(t.Minute())/60 + float64(t.Second())/3600
		// 0 at 04:00, 1 at 16:00; the power narrows the peak.
		day := math.Pow((1-math.Cos(2*math.Pi*(hour-4)/24))/2, 1.5)
		load := 0.3 + 1.3*day
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			load *= 0.65
		}
		return effects{load: load}
	}
}

// event is one occurrence of a scenario's disturbance: it ramps up over
// rise, holds, then ramps down over fall (or decays with time constant fall
// when decay is set).
type event struct {
	at, rise, hold, fall time.Duration
	decay                bool
	size                 float64
	live                 float64 // alloc bursts: extra live heap at full size
}

// envelope is the event's strength at offset t, from 0 to 1.
func (e event) envelope(t time.Duration) float64 {
	d := t - e.at
	switch {
	case d < 0:
		return 0
	case d < e.rise:
		return float64(d) / float64(e.rise)
	case d < e.rise+e.hold:
		return 1
	case e.decay:
		return math.Exp(-float64(d-e.rise-e.hold) / float64(e.fall))
	case d < e.rise+e.hold+e.fall:
		return 1 - float64(d-e.rise-e.hold)/float64(e.fall)
	}
	return 0
}

// over reports whether the event no longer contributes at t (a decaying
// event after ten time constants).
func (e event) over(t time.Duration) bool {
	tail := e.fall
	if e.decay {
		tail = 10 * e.fall
	}
	return t > e.at+e.rise+e.hold+tail
}

// eventTimes draws event starts: gaps of at least minGap plus an
// exponential part, meanGap apart on average. The first event falls in the
// first third of the span (or of two mean gaps), so even a short trace shows
// the scenario.
func eventTimes(rng *rand.Rand, span, minGap, meanGap time.Duration) []time.Duration {
	first := time.Duration((0.1 + 0.25*rng.Float64()) * float64(min(span, 2*meanGap)))
	var out []time.Duration
	for at := first; at < span; at += minGap + time.Duration(rng.ExpFloat64()*float64(meanGap-minGap)) {
		out = append(out, at)
	}
	return out
}

func uniform(rng *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

func minutes(rng *rand.Rand, lo, hi float64) time.Duration {
	return time.Duration(uniform(rng, lo, hi) * float64(time.Minute))
}

// sum adds up the envelopes of the events active at t, each times its size
// (and its live heap); events are sorted by start.
func sum(events []event, t time.Duration) (size, live float64) {
	for _, e := range events {
		if e.at > t {
			break
		}
		if !e.over(t) {
			env := e.envelope(t)
			size += env * e.size
			live += env * e.live
		}
	}
	return size, live
}

func spikyPlan(rng *rand.Rand, _ time.Time, span time.Duration) plan {
	var spikes []event
	for _, at := range eventTimes(rng, span, 30*time.Minute, 3*time.Hour) {
		spikes = append(spikes, event{
			at: at, rise: minutes(rng, 0.5, 2), hold: minutes(rng, 1, 12), fall: minutes(rng, 2, 4), decay: true,
			size: uniform(rng, 1.5, 5), // load 1 + size: 2.5–6×
		})
	}
	return func(at time.Duration) effects {
		extra, _ := sum(spikes, at)
		return effects{load: 1 + extra}
	}
}

func stepPlan(rng *rand.Rand, _ time.Time, span time.Duration) plan {
	levels := []float64{0.4, 0.7, 1, 1.5, 2.2, 3}
	const ramp = 3 * time.Minute
	type step struct {
		at    time.Duration
		level float64
	}
	steps := []step{{0, 1}}
	for at := time.Duration((0.15 + 0.2*rng.Float64()) * float64(min(span, 12*time.Hour))); at < span; at += minutes(rng, 6*60, 18*60) {
		level := steps[len(steps)-1].level
		for level == steps[len(steps)-1].level {
			level = levels[rng.IntN(len(levels))]
		}
		steps = append(steps, step{at, level})
	}
	return func(at time.Duration) effects {
		i, _ := slices.BinarySearchFunc(steps, at, func(s step, t time.Duration) int { return cmp.Compare(s.at, t) })
		if i == len(steps) || steps[i].at > at {
			i--
		}
		cur := steps[i]
		if i == 0 || at-cur.at >= ramp {
			return effects{load: cur.level}
		}
		prev := steps[i-1].level
		return effects{load: prev + (cur.level-prev)*float64(at-cur.at)/float64(ramp)}
	}
}

func allocBurstPlan(rng *rand.Rand, _ time.Time, span time.Duration) plan {
	var bursts []event
	for _, at := range eventTimes(rng, span, time.Hour, 4*time.Hour) {
		bursts = append(bursts, event{
			at: at, rise: time.Minute, hold: minutes(rng, 8, 28), fall: time.Minute,
			size: uniform(rng, 100, 300) * MiB,
			live: uniform(rng, 40, 120) * MiB,
		})
	}
	// Allocating and filling 1 GiB takes about 0.25 s of CPU.
	const cpuSecondsPerAllocatedByte = 0.25 / (1 << 30)
	return func(at time.Duration) effects {
		alloc, live := sum(bursts, at)
		return effects{load: 1, allocBytesPerSecond: alloc, liveBytes: live, cpuCores: alloc * cpuSecondsPerAllocatedByte}
	}
}

func stormPlan(rng *rand.Rand, _ time.Time, span time.Duration) plan {
	var storms []event
	for _, at := range eventTimes(rng, span, 2*time.Hour, 12*time.Hour) {
		storms = append(storms, event{
			at: at, rise: minutes(rng, 5, 15), hold: minutes(rng, 5, 20), fall: 2 * time.Minute,
			size: math.Round(uniform(rng, 4000, 12000)),
		})
	}
	return func(at time.Duration) effects {
		stuck, _ := sum(storms, at)
		return effects{load: 1, stuckGoroutines: stuck}
	}
}
