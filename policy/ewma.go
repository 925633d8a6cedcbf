package policy

import (
	"math"
	"time"
)

// EWMA is a time-aware exponentially weighted moving average: at each update
// the old value keeps weight 2^(−elapsed/halfLife) and the new observation
// gets the rest, so irregularly spaced samples are smoothed by elapsed time,
// not by count. The zero value is not usable; call NewEWMA. An EWMA is not
// safe for concurrent use.
type EWMA struct {
	halfLife time.Duration
	value    float64
	last     time.Time
	set      bool
}

// NewEWMA returns an empty average whose old value's weight halves every
// halfLife of elapsed time between updates. A halfLife <= 0 means no
// smoothing: the value is always the latest observation.
func NewEWMA(halfLife time.Duration) *EWMA {
	return &EWMA{halfLife: halfLife}
}

// Update folds v, observed at at, into the average. The first update sets the
// value; NaN and ±Inf are ignored. An at not after the last update counts as
// zero elapsed time, so the old value keeps all its weight and v does not
// move the average (with a positive halfLife).
func (e *EWMA) Update(v float64, at time.Time) {
	if !isFiniteFloat(v) {
		return
	}
	if !e.set {
		e.value, e.last, e.set = v, at, true
		return
	}
	var elapsed time.Duration
	if at.After(e.last) {
		elapsed = at.Sub(e.last)
		e.last = at
	}
	if e.halfLife <= 0 {
		e.value = v
		return
	}
	keep := math.Exp2(-elapsed.Seconds() / e.halfLife.Seconds())
	e.value = keep*e.value + (1-keep)*v
}

// Value returns the average, and false before the first finite update.
func (e *EWMA) Value() (float64, bool) {
	return e.value, e.set
}
