package policy

import (
	"math"
	"time"
)

// Sustained detects "above Threshold for For": a value that stays strictly
// above Threshold across observations spanning at least For. Gaps are
// explicit: observations further apart than MaxGap do not count as one run.
type Sustained struct {
	Threshold float64
	For       time.Duration // how long the value must stay above Threshold
	MaxGap    time.Duration // a gap between observations longer than this breaks the run (0 = any gap breaks nothing)
}

// SustainedState is the run of observations above the threshold so far.
type SustainedState struct {
	Active bool          // above Threshold continuously for at least For
	Since  time.Time     // start of the current run above threshold (zero when not above)
	Length time.Duration // length of the current run
}

// Observe feeds one observation, in time order, and returns the new state:
// Observe(prev, at, v). A value <= Threshold ends the run. A value above it
// extends the run to at, unless the gap since the run's last observation
// (prev.Since + prev.Length) exceeds MaxGap, which ends the run and starts a
// new one at at. A NaN value is no observation: prev is returned, and the
// MaxGap rule judges the silence at the next observation. An observation
// earlier than the run's last one is out of order and is ignored, as is an
// at equal to the zero time.
func (s Sustained) Observe(prev SustainedState, at time.Time, v float64) SustainedState {
	running := !prev.Since.IsZero()
	last := prev.Since.Add(prev.Length)
	if math.IsNaN(v) || at.IsZero() || (running && at.Before(last)) {
		return prev
	}
	if !(v > s.Threshold) {
		return SustainedState{}
	}
	if !running || (s.MaxGap > 0 && at.Sub(last) > s.MaxGap) {
		return SustainedState{Active: s.For <= 0, Since: at}
	}
	length := at.Sub(prev.Since)
	return SustainedState{Active: length >= s.For, Since: prev.Since, Length: length}
}

// Evaluate runs Observe over points in order, from an empty state, and
// returns the final state.
func (s Sustained) Evaluate(points []Point) SustainedState {
	var state SustainedState
	for _, p := range points {
		state = s.Observe(state, p.At, p.Value)
	}
	return state
}
