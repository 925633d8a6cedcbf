package policy

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestDefaultBehavior(t *testing.T) {
	b := DefaultBehavior()
	if err := b.Validate(); err != nil {
		t.Fatalf("DefaultBehavior().Validate() = %v", err)
	}
	up, down := b.ScaleUp, b.ScaleDown
	if up.StabilizationWindow != 0 || up.Select != SelectMax || len(up.Policies) != 2 ||
		up.Policies[0] != (ScalingPolicy{PercentPolicy, 100, 15 * time.Second}) ||
		up.Policies[1] != (ScalingPolicy{PodsPolicy, 4, 15 * time.Second}) {
		t.Errorf("scale-up rules = %+v, want no window, max(100%%, 4 pods) per 15s", up)
	}
	if down.StabilizationWindow != 300*time.Second || down.Select != SelectMax || len(down.Policies) != 1 ||
		down.Policies[0] != (ScalingPolicy{PercentPolicy, 100, 15 * time.Second}) {
		t.Errorf("scale-down rules = %+v, want a 300s window, 100%% per 15s", down)
	}
}

func TestBehaviorValidate(t *testing.T) {
	with := func(f func(*Behavior)) Behavior { b := DefaultBehavior(); f(&b); return b }
	tests := []struct {
		name     string
		behavior Behavior
		wantErrs []string // substrings; none means valid
	}{
		{name: "default", behavior: DefaultBehavior()},
		{name: "empty select means Max", behavior: with(func(b *Behavior) { b.ScaleUp.Select = "" })},
		{name: "disabled without policies", behavior: with(func(b *Behavior) {
			b.ScaleDown = ScalingRules{Select: SelectDisabled}
		})},
		{name: "longest window and period", behavior: with(func(b *Behavior) {
			b.ScaleDown.StabilizationWindow = time.Hour
			b.ScaleDown.Policies[0].Period = 30 * time.Minute
		})},
		{name: "negative window", behavior: with(func(b *Behavior) { b.ScaleUp.StabilizationWindow = -time.Second }),
			wantErrs: []string{"scaleUp: stabilizationWindow -1s"}},
		{name: "window over an hour", behavior: with(func(b *Behavior) { b.ScaleDown.StabilizationWindow = 61 * time.Minute }),
			wantErrs: []string{"scaleDown: stabilizationWindow 1h1m0s"}},
		{name: "unknown select", behavior: with(func(b *Behavior) { b.ScaleUp.Select = "Most" }),
			wantErrs: []string{`scaleUp: select "Most"`}},
		{name: "no policies", behavior: with(func(b *Behavior) { b.ScaleDown.Policies = nil }),
			wantErrs: []string{"scaleDown: policies: at least one"}},
		{name: "unknown type", behavior: with(func(b *Behavior) { b.ScaleUp.Policies[1].Type = "Replicas" }),
			wantErrs: []string{`scaleUp: policies[1].type "Replicas"`}},
		{name: "zero value", behavior: with(func(b *Behavior) { b.ScaleUp.Policies[0].Value = 0 }),
			wantErrs: []string{"scaleUp: policies[0].value 0"}},
		{name: "zero period", behavior: with(func(b *Behavior) { b.ScaleDown.Policies[0].Period = 0 }),
			wantErrs: []string{"scaleDown: policies[0].period 0s"}},
		{name: "period over 30m", behavior: with(func(b *Behavior) { b.ScaleDown.Policies[0].Period = 31 * time.Minute }),
			wantErrs: []string{"scaleDown: policies[0].period 31m0s"}},
		{name: "several errors in both directions", behavior: with(func(b *Behavior) {
			b.ScaleUp.StabilizationWindow = -time.Second
			b.ScaleDown.Policies[0].Value = -1
		}), wantErrs: []string{"scaleUp: stabilizationWindow", "scaleDown: policies[0].value -1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.behavior.Validate()
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if _, err := NewReplicaStabilizer(tt.behavior); err != nil {
					t.Fatalf("NewReplicaStabilizer() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors %q", tt.wantErrs)
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %q, want it to contain %q", err, want)
				}
			}
			if _, err := NewReplicaStabilizer(tt.behavior); err == nil || !strings.Contains(err.Error(), tt.wantErrs[0]) {
				t.Errorf("NewReplicaStabilizer() = %v, want an error containing %q", err, tt.wantErrs[0])
			}
		})
	}
}

func newTestStabilizer(t testing.TB, b Behavior) *ReplicaStabilizer {
	t.Helper()
	s, err := NewReplicaStabilizer(b)
	if err != nil {
		t.Fatalf("NewReplicaStabilizer: %v", err)
	}
	return s
}

// stabilizerStep is one call to Next and what it should return.
type stabilizerStep struct {
	after               time.Duration // since the previous step
	current, desired    int32         // current < 0 means "the previous result"
	minReplicas, maxRep int32
	want                int32
	wantReason          string
}

func runStabilizerSteps(t *testing.T, s *ReplicaStabilizer, steps []stabilizerStep) {
	t.Helper()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var previous int32
	for i, st := range steps {
		now = now.Add(st.after)
		current := st.current
		if current < 0 {
			current = previous
		}
		got, reason := s.Next(now, current, st.desired, st.minReplicas, st.maxRep)
		if got != st.want || reason != st.wantReason {
			t.Fatalf("step %d: Next(current %d, desired %d) = %d, %q; want %d, %q",
				i, current, st.desired, got, reason, st.want, st.wantReason)
		}
		previous = got
	}
}

func TestReplicaStabilizerNext(t *testing.T) {
	const prev = -1
	minute := time.Minute
	disabledDown := DefaultBehavior()
	disabledDown.ScaleDown = ScalingRules{Select: SelectDisabled}
	upWindow := DefaultBehavior()
	upWindow.ScaleUp.StabilizationWindow = time.Minute
	noDownWindow := DefaultBehavior()
	noDownWindow.ScaleDown.StabilizationWindow = 0
	minSelect := DefaultBehavior()
	minSelect.ScaleUp.Select = SelectMin
	tests := []struct {
		name     string
		behavior Behavior
		steps    []stabilizerStep
	}{
		{name: "default scale-up: max of 100% and 4 pods per 15s", behavior: DefaultBehavior(), steps: []stabilizerStep{
			{current: 1, desired: 100, minReplicas: 1, maxRep: 100, want: 5, wantReason: "scale-up policy Pods 4 per 15s limited 100 to 5"},
			{after: 5 * time.Second, current: prev, desired: 100, minReplicas: 1, maxRep: 100, want: 5, wantReason: "scale-up policy Pods 4 per 15s limited 100 to 5"},
			{after: 10 * time.Second, current: prev, desired: 100, minReplicas: 1, maxRep: 100, want: 10, wantReason: "scale-up policy Percent 100% per 15s limited 100 to 10"},
			{after: 15 * time.Second, current: prev, desired: 100, minReplicas: 1, maxRep: 100, want: 20, wantReason: "scale-up policy Percent 100% per 15s limited 100 to 20"},
			{after: 15 * time.Second, current: prev, desired: 100, minReplicas: 1, maxRep: 100, want: 40, wantReason: "scale-up policy Percent 100% per 15s limited 100 to 40"},
			{after: 15 * time.Second, current: prev, desired: 100, minReplicas: 1, maxRep: 100, want: 80, wantReason: "scale-up policy Percent 100% per 15s limited 100 to 80"},
			{after: 15 * time.Second, current: prev, desired: 100, minReplicas: 1, maxRep: 100, want: 100},
		}},
		{name: "select Min takes the smaller policy", behavior: minSelect, steps: []stabilizerStep{
			{current: 10, desired: 100, minReplicas: 1, maxRep: 100, want: 14, wantReason: "scale-up policy Pods 4 per 15s limited 100 to 14"},
			{after: 15 * time.Second, current: 2, desired: 100, minReplicas: 1, maxRep: 100, want: 4, wantReason: "scale-up policy Percent 100% per 15s limited 100 to 4"},
		}},
		{name: "default scale-down waits out the 5m window", behavior: DefaultBehavior(), steps: []stabilizerStep{
			{current: 10, desired: 10, minReplicas: 1, maxRep: 20, want: 10},
			{after: minute, current: prev, desired: 8, minReplicas: 1, maxRep: 20, want: 10, wantReason: "scale-down stabilization 5m0s held 10 replicas"},
			{after: minute, current: prev, desired: 5, minReplicas: 1, maxRep: 20, want: 10, wantReason: "scale-down stabilization 5m0s held 10 replicas"},
			{after: 2*minute + 59*time.Second, current: prev, desired: 5, minReplicas: 1, maxRep: 20, want: 10, wantReason: "scale-down stabilization 5m0s held 10 replicas"},
			// 5m after the 10, it has left the window; the 8 has not.
			{after: time.Second, current: prev, desired: 5, minReplicas: 1, maxRep: 20, want: 8, wantReason: "scale-down stabilization 5m0s held 8 replicas"},
			{after: 30 * time.Second, current: prev, desired: 5, minReplicas: 1, maxRep: 20, want: 8, wantReason: "scale-down stabilization 5m0s held 8 replicas"},
			{after: 30 * time.Second, current: prev, desired: 5, minReplicas: 1, maxRep: 20, want: 5},
		}},
		{name: "a new stabilizer does not scale down at once", behavior: DefaultBehavior(), steps: []stabilizerStep{
			{current: 10, desired: 2, minReplicas: 1, maxRep: 20, want: 10, wantReason: "scale-down stabilization 5m0s held 10 replicas"},
			{after: 5 * minute, current: prev, desired: 2, minReplicas: 1, maxRep: 20, want: 2},
		}},
		{name: "scale-up window ignores a spike", behavior: upWindow, steps: []stabilizerStep{
			{current: 5, desired: 5, minReplicas: 1, maxRep: 20, want: 5},
			{after: 30 * time.Second, current: prev, desired: 12, minReplicas: 1, maxRep: 20, want: 5, wantReason: "scale-up stabilization 1m0s held 5 replicas"},
			{after: 30 * time.Second, current: prev, desired: 6, minReplicas: 1, maxRep: 20, want: 6},
			{after: 30 * time.Second, current: prev, desired: 12, minReplicas: 1, maxRep: 20, want: 6, wantReason: "scale-up stabilization 1m0s held 6 replicas"},
			{after: 59 * time.Second, current: prev, desired: 12, minReplicas: 1, maxRep: 20, want: 12},
		}},
		{name: "stabilization and policy both reported", behavior: upWindow, steps: []stabilizerStep{
			{current: 1, desired: 1, minReplicas: 1, maxRep: 50, want: 1},
			{after: 30 * time.Second, current: prev, desired: 30, minReplicas: 1, maxRep: 50, want: 1, wantReason: "scale-up stabilization 1m0s held 1 replicas"},
			{after: 30 * time.Second, current: prev, desired: 40, minReplicas: 1, maxRep: 50, want: 5,
				wantReason: "scale-up stabilization 1m0s held 30 replicas; scale-up policy Pods 4 per 15s limited 30 to 5"},
		}},
		{name: "scale-down disabled", behavior: disabledDown, steps: []stabilizerStep{
			{current: 10, desired: 3, minReplicas: 1, maxRep: 20, want: 10, wantReason: "scale-down disabled limited 3 to 10"},
			{after: 10 * minute, current: prev, desired: 3, minReplicas: 1, maxRep: 20, want: 10, wantReason: "scale-down disabled limited 3 to 10"},
			{after: minute, current: prev, desired: 15, minReplicas: 1, maxRep: 20, want: 15},
		}},
		{name: "maxReplicas caps", behavior: DefaultBehavior(), steps: []stabilizerStep{
			{current: 5, desired: 50, minReplicas: 1, maxRep: 8, want: 8, wantReason: "maxReplicas limited 50 to 8"},
		}},
		{name: "minReplicas floors", behavior: noDownWindow, steps: []stabilizerStep{
			{current: 5, desired: 0, minReplicas: 2, maxRep: 8, want: 2, wantReason: "minReplicas limited 0 to 2"},
		}},
		{name: "current above maxReplicas goes straight down", behavior: DefaultBehavior(), steps: []stabilizerStep{
			{current: 30, desired: 30, minReplicas: 1, maxRep: 10, want: 10, wantReason: "current 30 above maxReplicas 10"},
		}},
		{name: "current below minReplicas goes straight up", behavior: DefaultBehavior(), steps: []stabilizerStep{
			{current: 1, desired: 1, minReplicas: 20, maxRep: 30, want: 20, wantReason: "current 1 below minReplicas 20"},
		}},
		{name: "current 0 with minReplicas > 0 disables scaling", behavior: DefaultBehavior(), steps: []stabilizerStep{
			{current: 0, desired: 5, minReplicas: 1, maxRep: 10, want: 0, wantReason: "scaling disabled: current replicas is 0"},
		}},
		{name: "scale from 0 with minReplicas 0", behavior: DefaultBehavior(), steps: []stabilizerStep{
			{current: 0, desired: 3, minReplicas: 0, maxRep: 10, want: 3},
		}},
		{name: "minReplicas above maxReplicas: max wins", behavior: DefaultBehavior(), steps: []stabilizerStep{
			{current: 5, desired: 5, minReplicas: 8, maxRep: 6, want: 6, wantReason: "current 5 below minReplicas 6"},
		}},
		{name: "negative counts are 0", behavior: noDownWindow, steps: []stabilizerStep{
			{current: 3, desired: -4, minReplicas: -1, maxRep: 10, want: 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runStabilizerSteps(t, newTestStabilizer(t, tt.behavior), tt.steps)
		})
	}
}

// TestReplicaStabilizerHPADocsScaleDown reproduces the example in the HPA
// docs (configurable scaling behavior): scale-down policies of 4 pods and of
// 10% per 60s, the larger change selected; going from 80 to 10 replicas, the
// first step removes 8, the next 10% of 72 (7.2) rounded up to 8, and below
// 40 replicas the Pods policy removes 4 at a time. Calls every 15s show the
// period: one step per minute. No stabilization window, to isolate the rate.
func TestReplicaStabilizerHPADocsScaleDown(t *testing.T) {
	b := DefaultBehavior()
	b.ScaleDown = ScalingRules{Policies: []ScalingPolicy{
		{Type: PodsPolicy, Value: 4, Period: 60 * time.Second},
		{Type: PercentPolicy, Value: 10, Period: 60 * time.Second},
	}}
	s := newTestStabilizer(t, b)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	current := int32(80)
	var perMinute []int32
	for i := 0; current > 10; i++ {
		got, _ := s.Next(now, current, 10, 1, 100)
		if i%4 == 0 {
			perMinute = append(perMinute, got)
		} else if got != current {
			t.Fatalf("at %s: scaled from %d to %d within the 60s period", time.Duration(i)*15*time.Second, current, got)
		}
		current = got
		now = now.Add(15 * time.Second)
	}
	want := []int32{72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10}
	if !slicesEqualInt32(perMinute, want) {
		t.Errorf("replicas per minute = %v, want %v", perMinute, want)
	}
}

func slicesEqualInt32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReplicaStabilizerPoliciesCopied: changing the Behavior passed in
// does not change a running stabilizer.
func TestReplicaStabilizerPoliciesCopied(t *testing.T) {
	b := DefaultBehavior()
	s := newTestStabilizer(t, b)
	b.ScaleUp.Policies[1].Value = 1000
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if got, _ := s.Next(now, 1, 100, 1, 100); got != 5 {
		t.Errorf("Next = %d, want 5: the stabilizer saw a change to the caller's Behavior", got)
	}
}

// TestReplicaStabilizerBoundedHistory: history never outlives the longest
// window or period, over a day of calls every 15s.
func TestReplicaStabilizerBoundedHistory(t *testing.T) {
	s := newTestStabilizer(t, DefaultBehavior())
	rng := rand.New(rand.NewPCG(29, 31))
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	current := int32(10)
	for range 24 * 60 * 4 {
		now = now.Add(15 * time.Second)
		current, _ = s.Next(now, current, int32(1+rng.IntN(50)), 1, 50)
	}
	// 300s window at 15s steps holds 20 recommendations; events last 15s.
	if n := len(s.recommendations); n > 20 {
		t.Errorf("%d recommendations kept, want at most 20", n)
	}
	if n := len(s.upEvents) + len(s.downEvents); n > 2 {
		t.Errorf("%d scale events kept, want at most 2", n)
	}
}

// randomBehavior returns a valid behavior with random windows and 1 to 3
// random policies per direction; one direction in ten is disabled.
func randomBehavior(rng *rand.Rand) Behavior {
	rules := func(maxWindow time.Duration) ScalingRules {
		r := ScalingRules{
			StabilizationWindow: time.Duration(rng.Int64N(int64(maxWindow))).Truncate(time.Second),
			Select:              []SelectPolicy{SelectMax, SelectMin, ""}[rng.IntN(3)],
		}
		if rng.IntN(10) == 0 {
			r.Select = SelectDisabled
		}
		for range 1 + rng.IntN(3) {
			p := ScalingPolicy{Type: PodsPolicy, Value: int32(1 + rng.IntN(10)), Period: time.Duration(15+rng.IntN(300)) * time.Second}
			if rng.IntN(2) == 0 {
				p.Type, p.Value = PercentPolicy, int32(1+rng.IntN(200))
			}
			r.Policies = append(r.Policies, p)
		}
		return r
	}
	return Behavior{ScaleUp: rules(2 * time.Minute), ScaleDown: rules(10 * time.Minute)}
}

// TestReplicaStabilizerProperties runs random behaviors over random
// sequences of desired counts, applying each result, and checks every step:
// the result is within [min, max]; a change satisfies at least one policy
// (Select Max) or every policy (Select Min) given the scale events in each
// policy's period, and never happens in a disabled direction; no scale-down
// happens while a higher recommendation is inside the scale-down window, and
// no scale-up while a lower one is inside the scale-up window.
func TestReplicaStabilizerProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 41))
	type record struct {
		at       time.Time
		replicas int32 // a recommendation, or a signed change for events
	}
	for c := range 300 {
		b := randomBehavior(rng)
		s := newTestStabilizer(t, b)
		minR := int32(1 + rng.IntN(3))
		maxR := minR + int32(rng.IntN(60))
		current := minR + int32(rng.IntN(int(maxR-minR)+1))
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		recommendations := []record{{now, current}} // the first call records current
		var events []record
		for step := range 200 {
			if step > 0 {
				now = now.Add(time.Duration(1+rng.IntN(60)) * time.Second)
			}
			desired := int32(rng.IntN(int(maxR) + 10))
			recommendations = append(recommendations, record{now, desired})
			got, reason := s.Next(now, current, desired, minR, maxR)
			fail := func(format string, args ...any) {
				t.Helper()
				t.Fatalf("case %d step %d (%+v, current %d, desired %d, range [%d, %d]) = %d %q: "+format,
					append([]any{c, step, b, current, desired, minR, maxR, got, reason}, args...)...)
			}
			if got < minR || got > maxR {
				fail("outside [min, max]")
			}
			if got == current {
				continue
			}
			up := got > current
			rules := b.ScaleDown
			if up {
				rules = b.ScaleUp
			}
			if rules.Select == SelectDisabled {
				fail("scaled in a disabled direction")
			}
			allowedBy := 0
			for _, p := range rules.Policies {
				var added, deleted int32
				for _, e := range events {
					if e.at.After(now.Add(-p.Period)) {
						if e.replicas > 0 {
							added += e.replicas
						} else {
							deleted -= e.replicas
						}
					}
				}
				start := float64(current - added + deleted)
				switch {
				case up && p.Type == PodsPolicy && float64(got) <= start+float64(p.Value),
					up && p.Type == PercentPolicy && float64(got) <= math.Ceil(start*(1+float64(p.Value)/100)),
					!up && p.Type == PodsPolicy && float64(got) >= start-float64(p.Value),
					!up && p.Type == PercentPolicy && float64(got) >= math.Trunc(start*(1-float64(p.Value)/100)):
					allowedBy++
				}
			}
			if allowedBy == 0 || (rules.Select == SelectMin && allowedBy < len(rules.Policies)) {
				fail("allowed by %d of %d policies (select %q)", allowedBy, len(rules.Policies), rules.Select)
			}
			window := b.ScaleDown.StabilizationWindow
			if up {
				window = b.ScaleUp.StabilizationWindow
			}
			for _, r := range recommendations {
				if r.at.After(now.Add(-window)) && ((!up && r.replicas > got) || (up && r.replicas < got)) {
					fail("recommendation %d at %s is inside the %s window", r.replicas, now.Sub(r.at), window)
				}
			}
			events = append(events, record{now, got - current})
			current = got
		}
	}
}

// TestReplicaStabilizerWaitsForTheScaleToHappen: a result the caller has not
// applied yet (an HPA syncs later) uses none of the rate budget, so the
// recommendation holds steady instead of swinging back to current.
func TestReplicaStabilizerWaitsForTheScaleToHappen(t *testing.T) {
	s, err := NewReplicaStabilizer(DefaultBehavior())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var got []int32
	for i := range 6 {
		next, _ := s.Next(t0.Add(time.Duration(i)*2*time.Second), 3, 10, 1, 100)
		got = append(got, next)
	}
	for i, n := range got {
		if n != got[0] || n <= 3 {
			t.Fatalf("call %d: %v; want the same scale-up every call while current stays 3", i, got)
		}
	}
	// Once the HPA scales to that count, the change counts against the budget.
	next, why := s.Next(t0.Add(13*time.Second), got[0], 40, 1, 100)
	if next >= 40 || why == "" {
		t.Errorf("after scaling 3 → %d within the period: Next = %d %q, want a rate limit", got[0], next, why)
	}
}
