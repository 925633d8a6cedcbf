package policy

import (
	"math"
	"testing"
	"time"
)

func TestEWMA(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := t0.Add
	type update struct {
		v  float64
		at time.Time
	}
	tests := []struct {
		name     string
		halfLife time.Duration
		updates  []update
		want     float64
		wantOK   bool
	}{
		{name: "no updates", halfLife: time.Minute},
		{name: "only non-finite", halfLife: time.Minute,
			updates: []update{{math.NaN(), t0}, {math.Inf(1), t0}, {math.Inf(-1), t0}}},
		{name: "first update sets the value", halfLife: time.Minute,
			updates: []update{{42, t0}}, want: 42, wantOK: true},
		{name: "one half-life halves the old weight", halfLife: time.Minute,
			updates: []update{{10, t0}, {20, at(time.Minute)}}, want: 15, wantOK: true},
		{name: "two half-lives keep a quarter", halfLife: time.Minute,
			updates: []update{{10, t0}, {20, at(2 * time.Minute)}}, want: 17.5, wantOK: true},
		{name: "two steps of one half-life", halfLife: time.Minute,
			updates: []update{{0, t0}, {8, at(time.Minute)}, {0, at(2 * time.Minute)}}, want: 2, wantOK: true},
		{name: "NaN and Inf ignored between", halfLife: time.Minute,
			updates: []update{{10, t0}, {math.NaN(), at(time.Minute)}, {math.Inf(1), at(time.Minute)}, {20, at(time.Minute)}},
			want:    15, wantOK: true},
		{name: "same time is zero elapsed: no change", halfLife: time.Minute,
			updates: []update{{10, t0}, {20, t0}}, want: 10, wantOK: true},
		{name: "earlier time is zero elapsed and keeps the last time", halfLife: time.Minute,
			updates: []update{{10, at(time.Minute)}, {99, t0}, {20, at(2 * time.Minute)}}, want: 15, wantOK: true},
		{name: "long gap forgets the old value", halfLife: time.Minute,
			updates: []update{{10, t0}, {20, at(time.Hour)}}, want: 20, wantOK: true},
		{name: "zero half-life is the latest value", halfLife: 0,
			updates: []update{{10, t0}, {20, t0}, {30, at(time.Second)}}, want: 30, wantOK: true},
		{name: "negative half-life is the latest value", halfLife: -time.Minute,
			updates: []update{{10, t0}, {20, at(time.Second)}}, want: 20, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEWMA(tt.halfLife)
			for _, u := range tt.updates {
				e.Update(u.v, u.at)
			}
			got, ok := e.Value()
			if ok != tt.wantOK || math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Value() = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestEWMAIrregularSpacing: one update after 2 half-lives equals two
// updates of the same value one half-life apart.
func TestEWMAIrregularSpacing(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	one, two := NewEWMA(time.Minute), NewEWMA(time.Minute)
	one.Update(100, t0)
	two.Update(100, t0)
	one.Update(4, t0.Add(2*time.Minute))
	two.Update(4, t0.Add(time.Minute))
	two.Update(4, t0.Add(2*time.Minute))
	a, _ := one.Value()
	b, _ := two.Value()
	if math.Abs(a-b) > 1e-9 || math.Abs(a-28) > 1e-9 {
		t.Errorf("one update after 2 half-lives gives %v, two updates give %v; want 28", a, b)
	}
}
