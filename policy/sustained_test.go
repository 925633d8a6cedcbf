package policy

import (
	"math"
	"testing"
	"time"
)

func TestSustainedEvaluate(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// series returns one point a minute from t0.
	series := func(values ...float64) []Point {
		points := make([]Point, len(values))
		for i, v := range values {
			points[i] = Point{At: t0.Add(time.Duration(i) * time.Minute), Value: v}
		}
		return points
	}
	fiveMinutes := Sustained{Threshold: 5000, For: 5 * time.Minute, MaxGap: 2 * time.Minute}
	minute := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	tests := []struct {
		name   string
		rule   Sustained
		points []Point
		want   SustainedState
	}{
		{name: "no points", rule: fiveMinutes, want: SustainedState{}},
		{name: "never above", rule: fiveMinutes, points: series(1, 2, 3), want: SustainedState{}},
		{name: "equal to threshold is not above", rule: fiveMinutes, points: series(5000, 5000, 5000, 5000, 5000, 5000)},
		{name: "one point above", rule: fiveMinutes, points: series(6000),
			want: SustainedState{Since: t0}},
		{name: "above for 4 minutes is not enough", rule: fiveMinutes, points: series(6000, 6000, 6000, 6000, 6000),
			want: SustainedState{Since: t0, Length: 4 * time.Minute}},
		{name: "above for exactly 5 minutes", rule: fiveMinutes, points: series(6000, 6000, 6000, 6000, 6000, 6000),
			want: SustainedState{Active: true, Since: t0, Length: 5 * time.Minute}},
		{name: "a dip ends the run", rule: fiveMinutes, points: series(6000, 6000, 6000, 100, 6000, 6000, 6000),
			want: SustainedState{Since: minute(4), Length: 2 * time.Minute}},
		{name: "ending below clears the state", rule: fiveMinutes, points: series(6000, 6000, 6000, 6000, 6000, 6000, 1),
			want: SustainedState{}},
		{name: "gap within MaxGap keeps the run", rule: fiveMinutes,
			points: []Point{{minute(0), 6000}, {minute(2), 6000}, {minute(4), 6000}, {minute(5), 6000}},
			want:   SustainedState{Active: true, Since: t0, Length: 5 * time.Minute}},
		{name: "gap beyond MaxGap restarts the run", rule: fiveMinutes,
			points: []Point{{minute(0), 6000}, {minute(2), 6000}, {minute(5), 6000}, {minute(6), 6000}},
			want:   SustainedState{Since: minute(5), Length: time.Minute}},
		{name: "zero MaxGap: any gap is fine", rule: Sustained{Threshold: 5000, For: 5 * time.Minute},
			points: []Point{{minute(0), 6000}, {minute(10), 6000}},
			want:   SustainedState{Active: true, Since: t0, Length: 10 * time.Minute}},
		{name: "zero For is active at once", rule: Sustained{Threshold: 1}, points: series(2),
			want: SustainedState{Active: true, Since: t0}},
		{name: "NaN is no observation", rule: fiveMinutes, points: series(6000, math.NaN(), 6000, 6000, 6000, 6000),
			want: SustainedState{Active: true, Since: t0, Length: 5 * time.Minute}},
		{name: "NaNs leave a gap", rule: fiveMinutes, points: series(6000, math.NaN(), math.NaN(), math.NaN(), 6000),
			want: SustainedState{Since: minute(4)}},
		{name: "+Inf is above", rule: fiveMinutes, points: series(math.Inf(1), math.Inf(1)),
			want: SustainedState{Since: t0, Length: time.Minute}},
		{name: "out-of-order point ignored", rule: fiveMinutes,
			points: []Point{{minute(0), 6000}, {minute(2), 6000}, {minute(1), 1}, {minute(4), 6000}, {minute(5), 6000}},
			want:   SustainedState{Active: true, Since: t0, Length: 5 * time.Minute}},
		{name: "duplicate time below ends the run", rule: fiveMinutes,
			points: []Point{{minute(0), 6000}, {minute(3), 6000}, {minute(3), 1}},
			want:   SustainedState{}},
		{name: "negative threshold", rule: Sustained{Threshold: -1, For: time.Minute}, points: series(0, 0),
			want: SustainedState{Active: true, Since: t0, Length: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rule.Evaluate(tt.points); got != tt.want {
				t.Errorf("Evaluate() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSustainedObserveZeroTime: the zero time cannot start a run, since a
// zero Since means "not above".
func TestSustainedObserveZeroTime(t *testing.T) {
	rule := Sustained{Threshold: 1, For: time.Minute}
	if got := rule.Observe(SustainedState{}, time.Time{}, 5); got != (SustainedState{}) {
		t.Errorf("Observe at the zero time = %+v, want the empty state", got)
	}
}
