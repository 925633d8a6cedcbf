package policy

import "math"

// WithMargin returns v raised by fraction of itself: v·(1 + fraction), e.g.
// WithMargin(2, 0.15) = 2.3. A negative fraction lowers v.
func WithMargin(v, fraction float64) float64 {
	return v * (1 + fraction)
}

// Clamp limits v to [lo, hi]. A lo or hi of 0 means no bound on that side.
// If both are set and lo > hi, hi wins: the result is hi. A NaN v is
// returned unchanged.
func Clamp(v, lo, hi float64) float64 {
	if lo != 0 && v < lo {
		v = lo
	}
	if hi != 0 && v > hi {
		v = hi
	}
	return v
}

// LimitChange bounds a step from current to proposed: the result is at most
// current·(1 + maxIncrease) and at least current·(1 − maxDecrease), the
// fractions being of current (0.5 = ±50%). A fraction <= 0 (or NaN) means no
// limit on that side. A current <= 0 (or NaN) has no scale to limit against,
// so proposed is returned; a NaN proposed returns current (no change).
func LimitChange(current, proposed, maxIncrease, maxDecrease float64) float64 {
	if !(current > 0) {
		return proposed
	}
	if math.IsNaN(proposed) {
		return current
	}
	if maxIncrease > 0 {
		if highest := current * (1 + maxIncrease); proposed > highest {
			return highest
		}
	}
	if maxDecrease > 0 {
		if lowest := current * (1 - maxDecrease); proposed < lowest {
			return lowest
		}
	}
	return proposed
}
