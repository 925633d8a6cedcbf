package policy

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestWithMargin(t *testing.T) {
	tests := []struct{ v, fraction, want float64 }{
		{v: 2, fraction: 0.15, want: 2.3},
		{v: 2, fraction: 0, want: 2},
		{v: 100, fraction: 1, want: 200},
		{v: 100, fraction: -0.1, want: 90},
		{v: 0, fraction: 0.5, want: 0},
	}
	for _, tt := range tests {
		if got := WithMargin(tt.v, tt.fraction); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("WithMargin(%v, %v) = %v, want %v", tt.v, tt.fraction, got, tt.want)
		}
	}
}

func TestClamp(t *testing.T) {
	tests := []struct {
		name          string
		v, lo, hi     float64
		want          float64
		wantNaNResult bool
	}{
		{name: "inside", v: 5, lo: 1, hi: 10, want: 5},
		{name: "below", v: 0.5, lo: 1, hi: 10, want: 1},
		{name: "above", v: 11, lo: 1, hi: 10, want: 10},
		{name: "at lo", v: 1, lo: 1, hi: 10, want: 1},
		{name: "at hi", v: 10, lo: 1, hi: 10, want: 10},
		{name: "no lo", v: -5, lo: 0, hi: 10, want: -5},
		{name: "no hi", v: 1e9, lo: 1, hi: 0, want: 1e9},
		{name: "no bounds", v: -3, want: -3},
		{name: "negative lo is a bound", v: -5, lo: -2, hi: 0, want: -2},
		// lo > hi: hi wins, whatever v is.
		{name: "crossed, v below both", v: 1, lo: 10, hi: 5, want: 5},
		{name: "crossed, v between", v: 7, lo: 10, hi: 5, want: 5},
		{name: "crossed, v above both", v: 20, lo: 10, hi: 5, want: 5},
		{name: "NaN v", v: math.NaN(), lo: 1, hi: 10, wantNaNResult: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clamp(tt.v, tt.lo, tt.hi)
			if tt.wantNaNResult {
				if !math.IsNaN(got) {
					t.Errorf("Clamp(%v, %v, %v) = %v, want NaN", tt.v, tt.lo, tt.hi, got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("Clamp(%v, %v, %v) = %v, want %v", tt.v, tt.lo, tt.hi, got, tt.want)
			}
		})
	}
}

// TestClampProperties: the result is never outside a set bound (hi when
// they cross), and equals v when v is within them.
func TestClampProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	for range 500 {
		v, lo, hi := 100*rng.NormFloat64(), 100*rng.NormFloat64(), 100*rng.NormFloat64()
		switch rng.IntN(4) {
		case 0:
			lo = 0
		case 1:
			hi = 0
		}
		got := Clamp(v, lo, hi)
		if hi != 0 && got > hi {
			t.Fatalf("Clamp(%v, %v, %v) = %v, above hi", v, lo, hi, got)
		}
		if lo != 0 && got < lo && !(hi != 0 && lo > hi) {
			t.Fatalf("Clamp(%v, %v, %v) = %v, below lo", v, lo, hi, got)
		}
		if lo != 0 && hi != 0 && lo > hi && got != hi {
			t.Fatalf("Clamp(%v, %v, %v) = %v, want hi when bounds cross", v, lo, hi, got)
		}
		if (lo == 0 || v >= lo) && (hi == 0 || v <= hi) && got != v {
			t.Fatalf("Clamp(%v, %v, %v) = %v, want v unchanged", v, lo, hi, got)
		}
	}
}

func TestLimitChange(t *testing.T) {
	tests := []struct {
		name                                        string
		current, proposed, maxIncrease, maxDecrease float64
		want                                        float64
	}{
		{name: "within", current: 100, proposed: 120, maxIncrease: 0.5, maxDecrease: 0.5, want: 120},
		{name: "increase capped", current: 100, proposed: 300, maxIncrease: 0.5, maxDecrease: 0.5, want: 150},
		{name: "decrease capped", current: 100, proposed: 10, maxIncrease: 0.5, maxDecrease: 0.5, want: 50},
		{name: "at the cap", current: 100, proposed: 150, maxIncrease: 0.5, want: 150},
		{name: "no increase limit", current: 100, proposed: 1e6, maxDecrease: 0.1, want: 1e6},
		{name: "no decrease limit", current: 100, proposed: 1, maxIncrease: 0.1, want: 1},
		{name: "no limits", current: 100, proposed: 0, want: 0},
		{name: "negative fraction is no limit", current: 100, proposed: 500, maxIncrease: -1, want: 500},
		{name: "decrease of 100%", current: 100, proposed: -5, maxDecrease: 1, want: 0},
		{name: "current zero returns proposed", current: 0, proposed: 7, maxIncrease: 0.1, maxDecrease: 0.1, want: 7},
		{name: "current negative returns proposed", current: -1, proposed: 7, maxIncrease: 0.1, want: 7},
		{name: "current NaN returns proposed", current: math.NaN(), proposed: 7, maxIncrease: 0.1, want: 7},
		{name: "proposed NaN keeps current", current: 100, proposed: math.NaN(), maxIncrease: 0.1, want: 100},
		{name: "proposed +Inf capped", current: 100, proposed: math.Inf(1), maxIncrease: 0.2, want: 120},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LimitChange(tt.current, tt.proposed, tt.maxIncrease, tt.maxDecrease); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("LimitChange(%v, %v, %v, %v) = %v, want %v", tt.current, tt.proposed, tt.maxIncrease, tt.maxDecrease, got, tt.want)
			}
		})
	}
}

// TestLimitChangeProperties: the result never moves further from current
// than the allowed fractions, and is proposed when that is within them.
func TestLimitChangeProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 23))
	for range 500 {
		current := 1000 * rng.Float64()
		proposed := current * 4 * rng.Float64()
		up, down := rng.Float64(), rng.Float64()
		switch rng.IntN(4) {
		case 0:
			up = 0
		case 1:
			down = 0
		}
		got := LimitChange(current, proposed, up, down)
		if up > 0 && got > current*(1+up) {
			t.Fatalf("LimitChange(%v, %v, %v, %v) = %v, more than +%v", current, proposed, up, down, got, up)
		}
		if down > 0 && got < current*(1-down) {
			t.Fatalf("LimitChange(%v, %v, %v, %v) = %v, more than -%v", current, proposed, up, down, got, down)
		}
		within := (up == 0 || proposed <= current*(1+up)) && (down == 0 || proposed >= current*(1-down))
		if within && got != proposed {
			t.Fatalf("LimitChange(%v, %v, %v, %v) = %v, want proposed", current, proposed, up, down, got)
		}
		if (got-current)*(proposed-current) < 0 {
			t.Fatalf("LimitChange(%v, %v, %v, %v) = %v moves the other way", current, proposed, up, down, got)
		}
	}
}
