package recommender

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSource answers every query with one sample per step of one container
// and remembers the windows it was asked for.
type fakeSource struct {
	mu      sync.Mutex
	windows []Window
	err     error
}

func (f *fakeSource) Fetch(_ context.Context, q Query) (*Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.windows = append(f.windows, q.Window)
	if f.err != nil {
		return nil, f.err
	}
	snap := NewSnapshot(q.Window)
	s := Series{Ref: ContainerRef{Namespace: "shop", Pod: "api-0", Container: "app"}}
	if q.Window.Instant() {
		s.Samples = []Sample{{At: q.Window.End, Value: 1}}
	}
	for t := q.Window.Start(); q.Window.Step > 0 && !t.After(q.Window.End); t = t.Add(q.Window.Step) {
		s.Samples = append(s.Samples, Sample{At: t, Value: 1})
	}
	snap.Series[CPU] = []Series{s}
	return snap, nil
}

type fakeEvaluator struct {
	observed []*Snapshot
}

func (f *fakeEvaluator) Observe(snap *Snapshot, _ func(ContainerRef) WorkloadRef) error {
	f.observed = append(f.observed, snap)
	return nil
}

func (f *fakeEvaluator) Recommend(now time.Time, _ func(WorkloadRef) Current) []Recommendation {
	return []Recommendation{{At: now, Outcome: OutcomeReady}}
}

type recordingSink struct{ cycles []*Cycle }

func (r *recordingSink) Publish(_ context.Context, c *Cycle) error {
	r.cycles = append(r.cycles, c)
	return nil
}

func newTestLoop(t *testing.T, src Source, now *time.Time, o LoopOptions) (*Loop, *fakeEvaluator, *recordingSink) {
	t.Helper()
	eval, sink := &fakeEvaluator{}, &recordingSink{}
	o.Now = func() time.Time { return *now }
	l, err := NewLoop(src, eval, o, sink)
	if err != nil {
		t.Fatal(err)
	}
	return l, eval, sink
}

func TestLoopFetchesWhatIsNew(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 30, 0, time.UTC)
	src := &fakeSource{}
	l, eval, sink := newTestLoop(t, src, &now, LoopOptions{Interval: time.Minute, Lookback: time.Hour})

	l.RunCycle(context.Background())
	now = now.Add(time.Minute)
	l.RunCycle(context.Background())
	now = now.Add(3 * time.Hour) // down for longer than the lookback
	l.RunCycle(context.Background())

	want := []Window{
		{End: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), Range: time.Hour, Step: time.Minute},
		{End: time.Date(2026, 11, 1, 12, 1, 0, 0, time.UTC), Range: time.Minute, Step: time.Minute},
		{End: time.Date(2026, 11, 1, 15, 1, 0, 0, time.UTC), Range: time.Hour, Step: time.Minute},
	}
	if len(src.windows) != len(want) {
		t.Fatalf("windows %v, want %v", src.windows, want)
	}
	for i := range want {
		if src.windows[i] != want[i] {
			t.Errorf("cycle %d fetched %+v, want %+v", i, src.windows[i], want[i])
		}
	}
	if len(eval.observed) != 3 || len(sink.cycles) != 3 || sink.cycles[2].Recommendations[0].At != want[2].End {
		t.Errorf("observed %d, published %d cycles", len(eval.observed), len(sink.cycles))
	}
}

func TestLoopFailedFetchIsRetriedFromTheSamePoint(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	src := &fakeSource{}
	l, eval, sink := newTestLoop(t, src, &now, LoopOptions{Interval: time.Minute, Lookback: time.Hour})
	l.RunCycle(context.Background())

	src.err = errors.New("connection refused")
	now = now.Add(time.Minute)
	c := l.RunCycle(context.Background())
	if c.Err == nil || !strings.Contains(c.Err.Error(), "connection refused") || c.Snapshot != nil {
		t.Fatalf("cycle %+v, want the fetch error", c)
	}
	if len(c.Recommendations) != 1 || len(sink.cycles) != 2 {
		t.Errorf("a failed cycle still recommends from older data and is published")
	}

	src.err = nil
	now = now.Add(time.Minute)
	l.RunCycle(context.Background())
	if got := src.windows[2]; got.Range != 2*time.Minute {
		t.Errorf("after a failure the loop fetched %s, want the 2m since the last success", got.Range)
	}
	if len(eval.observed) != 2 {
		t.Errorf("observed %d snapshots, want 2", len(eval.observed))
	}
}

func TestLoopSplitsLongWindows(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	src := &fakeSource{}
	l, eval, _ := newTestLoop(t, src, &now, LoopOptions{Interval: time.Minute, Lookback: 14 * 24 * time.Hour})
	c := l.RunCycle(context.Background())
	if c.Err != nil {
		t.Fatal(c.Err)
	}
	if len(src.windows) != 2 {
		t.Fatalf("%d fetches for 14 days at 1m, want 2", len(src.windows))
	}
	for _, w := range src.windows {
		if err := w.Validate(); err != nil {
			t.Errorf("window %+v: %v", w, err)
		}
	}
	samples := eval.observed[0].Series[CPU][0].Samples
	if want := 14*24*60 + 1; len(samples) != want {
		t.Errorf("%d samples, want %d, each once", len(samples), want)
	}
	for i := 1; i < len(samples); i++ {
		if !samples[i].At.After(samples[i-1].At) {
			t.Fatalf("sample %d at %s is not after %s", i, samples[i].At, samples[i-1].At)
		}
	}
}

func TestLoopAliveAndRun(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	l, _, _ := newTestLoop(t, &fakeSource{}, &now, LoopOptions{Interval: time.Minute})
	if l.Alive(now) {
		t.Error("alive before any cycle")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want canceled", err)
	}
	if !l.Alive(now.Add(time.Minute)) || l.Alive(now.Add(2*time.Minute)) || l.Last() == nil {
		t.Error("alive means a cycle started within 1.5 intervals")
	}
}

func TestNewLoopRefusesBadOptions(t *testing.T) {
	_, err := NewLoop(&fakeSource{}, &fakeEvaluator{}, LoopOptions{Interval: -time.Second, Step: 2 * time.Hour, Lookback: time.Hour})
	if err == nil || !strings.Contains(err.Error(), "interval -1s is negative") || !strings.Contains(err.Error(), "step 2h0m0s is longer than the lookback") {
		t.Errorf("err = %v", err)
	}
}

// blockingSource answers only when its context ends, like a Prometheus
// that accepted the connection and never replied.
type blockingSource struct{}

func (blockingSource) Fetch(ctx context.Context, _ Query) (*Snapshot, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// ctxSink records whether each cycle's context was still live when published.
type ctxSink struct{ errs []error }

func (s *ctxSink) Publish(ctx context.Context, _ *Cycle) error {
	s.errs = append(s.errs, ctx.Err())
	return nil
}

func TestLoopSlowSourceLeavesTheSinksTimeToPublish(t *testing.T) {
	sink := &ctxSink{}
	l, err := NewLoop(blockingSource{}, &fakeEvaluator{}, LoopOptions{Interval: time.Second, Timeout: 200 * time.Millisecond}, sink)
	if err != nil {
		t.Fatal(err)
	}
	c := l.RunCycle(context.Background())
	if !errors.Is(c.Err, context.DeadlineExceeded) {
		t.Fatalf("cycle error %v, want the fetch's deadline", c.Err)
	}
	if len(sink.errs) != 1 || sink.errs[0] != nil {
		t.Errorf("the sink was published to with context error %v, want a live context", sink.errs)
	}
	if len(c.Recommendations) != 1 {
		t.Error("a timed-out cycle still recommends from older data")
	}
}

// problemSource answers with one signal refused and one without data.
type problemSource struct{}

func (problemSource) Fetch(_ context.Context, q Query) (*Snapshot, error) {
	snap := NewSnapshot(q.Window)
	snap.Problems[Goroutines] = errors.New("query for goroutines failed (bad_response): invalid character '<'")
	snap.Problems[CPUThrottled] = &NoDataError{Signal: CPUThrottled, Where: "test", Reason: "the query returned no series"}
	return snap, nil
}

func TestLoopLogsRefusedSignalsOnly(t *testing.T) {
	var logs strings.Builder
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	l, _, _ := newTestLoop(t, problemSource{}, &now, LoopOptions{Interval: time.Minute, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if c := l.RunCycle(context.Background()); c.Err != nil {
		t.Fatalf("a refused signal failed the cycle: %v", c.Err)
	}
	if !strings.Contains(logs.String(), "signal=goroutines") || !strings.Contains(logs.String(), "bad_response") {
		t.Errorf("the refused signal is not logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "cpu_throttled") {
		t.Errorf("a signal without data is logged as refused:\n%s", logs.String())
	}
}

// failAfter fails every fetch after the first n.
type failAfter struct {
	fakeSource
	n int
}

func (f *failAfter) Fetch(ctx context.Context, q Query) (*Snapshot, error) {
	f.mu.Lock()
	fail := len(f.windows) >= f.n
	f.mu.Unlock()
	if fail {
		f.mu.Lock()
		f.windows = append(f.windows, q.Window)
		f.mu.Unlock()
		return nil, errors.New("prometheus went away")
	}
	return f.fakeSource.Fetch(ctx, q)
}

// observedSamples lists the CPU sample times the evaluator saw, in order.
func observedSamples(eval *fakeEvaluator) []time.Time {
	var out []time.Time
	for _, snap := range eval.observed {
		for _, s := range snap.Series[CPU] {
			for _, smp := range s.Samples {
				out = append(out, smp.At)
			}
		}
	}
	return out
}

// TestLoopFoldsLongWindowsInPieces: with PieceSamples the lookback is
// fetched and folded piece by piece, ten steps first, then sized from the
// series seen; every sample is folded once, none is skipped, and the
// cycle keeps the newest piece.
func TestLoopFoldsLongWindowsInPieces(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	src := &fakeSource{}
	l, eval, _ := newTestLoop(t, src, &now, LoopOptions{Interval: time.Minute, Lookback: 3 * time.Hour, PieceSamples: 60})
	c := l.RunCycle(context.Background())
	if c.Err != nil {
		t.Fatal(c.Err)
	}
	// 10 steps, then 60 a piece (one series): 3h = 11 + 61 + 61 + 48 points.
	if len(src.windows) != 4 || src.windows[0].Range != 10*time.Minute || src.windows[1].Range != 60*time.Minute {
		t.Fatalf("pieces %+v, want 10m, then 1h each", src.windows)
	}
	got := observedSamples(eval)
	if want := 3*60 + 1; len(got) != want {
		t.Fatalf("%d samples folded, want %d", len(got), want)
	}
	for i, at := range got {
		if want := now.Add(-3 * time.Hour).Add(time.Duration(i) * time.Minute); !at.Equal(want) {
			t.Fatalf("sample %d at %s, want %s: each step once, in order", i, at, want)
		}
	}
	if c.Snapshot != eval.observed[len(eval.observed)-1] {
		t.Error("the cycle does not keep the newest piece")
	}
	now = now.Add(time.Minute)
	src.windows = nil
	if c := l.RunCycle(context.Background()); c.Err != nil || len(src.windows) != 1 || src.windows[0].Range != time.Minute {
		t.Errorf("next cycle: err %v, windows %+v; want one fetch of the last minute", c.Err, src.windows)
	}
}

// TestLoopResumesACatchUpCutShort: a cycle whose source fails half-way
// keeps the pieces it folded, and the next one starts where it stopped.
func TestLoopResumesACatchUpCutShort(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	src := &failAfter{n: 2}
	l, eval, _ := newTestLoop(t, src, &now, LoopOptions{Interval: time.Minute, Lookback: 3 * time.Hour, PieceSamples: 60})
	c := l.RunCycle(context.Background())
	if c.Err == nil || !strings.Contains(c.Err.Error(), "the next cycle resumes there") {
		t.Fatalf("cycle error %v, want one that says where it stopped", c.Err)
	}
	folded := len(observedSamples(eval))
	if folded != 11+61 {
		t.Fatalf("%d samples folded before the failure, want the first two pieces' 72", folded)
	}
	src.n = 1000
	src.windows = nil
	now = now.Add(time.Minute)
	if c := l.RunCycle(context.Background()); c.Err != nil {
		t.Fatal(c.Err)
	}
	if start, want := src.windows[0].Start(), time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC).Add(71*time.Minute); !start.Equal(want) {
		t.Errorf("resumed at %s, want %s, where the last folded piece ended", start, want)
	}
	got := observedSamples(eval)
	if last, want := got[len(got)-1], now; !last.Equal(want) {
		t.Errorf("newest sample %s, want %s", last, want)
	}
}

// forgettingEvaluator records the cut each Forget was given.
type forgettingEvaluator struct {
	fakeEvaluator
	cuts []time.Time
}

func (f *forgettingEvaluator) Forget(before time.Time) int {
	f.cuts = append(f.cuts, before)
	return 0
}

// TestLoopForgetsAfterEachGoodCycle: an evaluator that can forget is asked
// to after every cycle that fetched, with ForgetAfter before the window's
// end (8 days by default), and not after a failed one.
func TestLoopForgetsAfterEachGoodCycle(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	src := &fakeSource{}
	eval := &forgettingEvaluator{}
	l, err := NewLoop(src, eval, LoopOptions{Interval: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	l.RunCycle(context.Background())
	src.err = errors.New("down")
	l.RunCycle(context.Background())
	if len(eval.cuts) != 1 || !eval.cuts[0].Equal(now.Add(-8*24*time.Hour)) {
		t.Errorf("forget cuts %v, want one, 8 days before %s", eval.cuts, now)
	}
}
