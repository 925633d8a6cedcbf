package recommender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Evaluator turns observed signals into recommendations: the policy engine.
// The loop is its only caller, so it need not be safe for concurrent use.
type Evaluator interface {
	Observe(snap *Snapshot, workloadOf func(ContainerRef) WorkloadRef) error
	Recommend(now time.Time, current func(WorkloadRef) Current) []Recommendation
}

// Forgetter is an Evaluator that can drop the workloads that have had no
// sample since a time, so its state does not grow with every workload a
// cluster ever ran.
type Forgetter interface {
	Forget(before time.Time) int
}

// Sink receives the result of every cycle: an actuator, a dashboard.
type Sink interface {
	Publish(ctx context.Context, c *Cycle) error
}

// Cycle is what one run of the loop fetched and recommended.
type Cycle struct {
	// At is the cycle's evaluation time: the end of the window it fetched.
	At       time.Time
	Window   Window
	Duration time.Duration
	// Snapshot is what the source returned; nil when fetching failed. A
	// loop that folds long windows in pieces (LoopOptions.PieceSamples)
	// keeps only the newest piece.
	Snapshot        *Snapshot
	Recommendations []Recommendation
	// Err says why the cycle failed; a failed cycle fetched nothing new and
	// its recommendations are the evaluator's view of older data.
	Err error
}

// LoopOptions configure a Loop. Zero fields take the defaults named.
type LoopOptions struct {
	// Interval between cycles (default 1m).
	Interval time.Duration
	// Timeout is each cycle's deadline (default: the interval). The fetch
	// may use three quarters of it; the rest is the sinks'.
	Timeout time.Duration
	// Step is the resolution signals are fetched at (default: the interval).
	Step time.Duration
	// Lookback is the history the first cycle fetches, and the most any
	// later cycle fetches after a gap (default 1h).
	Lookback time.Duration
	// PieceSamples, when set, has a window longer than one step (the first
	// cycle, a catch-up after a gap) fetched and folded in pieces of about
	// this many samples in all, so memory holds one piece rather than the
	// whole lookback, and a cycle its deadline cuts short keeps what it
	// folded: the next one resumes there. The first piece is ten steps; the
	// next are sized from the series the previous one returned. 0 fetches
	// the window whole and keeps it in the cycle's Snapshot, as a report
	// needs.
	PieceSamples int
	// ForgetAfter: an evaluator that is a Forgetter drops, after each
	// cycle, the workloads with no sample for this long (default 8 days, as
	// long as the VPA recommender keeps a vanished workload's checkpoint,
	// or the lookback when longer).
	ForgetAfter time.Duration
	// Selector narrows what is fetched.
	Selector Selector
	// WorkloadOf maps a container to its workload (default: GuessWorkload).
	WorkloadOf func(ContainerRef) WorkloadRef
	// Current says what a workload runs with now (default: nothing known).
	Current func(WorkloadRef) Current
	Now     func() time.Time
	Log     *slog.Logger
}

// Loop fetches signals every interval, folds them into the evaluator and
// publishes the recommendations. One loop owns its evaluator.
type Loop struct {
	source Source
	eval   Evaluator
	sinks  []Sink
	o      LoopOptions

	mu        sync.RWMutex
	fetched   time.Time // end of the newest window fetched successfully
	last      *Cycle
	lastStart time.Time
}

// NewLoop returns a loop over source and eval that publishes to sinks.
func NewLoop(source Source, eval Evaluator, o LoopOptions, sinks ...Sink) (*Loop, error) {
	if o.Interval == 0 {
		o.Interval = time.Minute
	}
	if o.Timeout == 0 {
		o.Timeout = o.Interval
	}
	if o.Step == 0 {
		o.Step = o.Interval
	}
	if o.Lookback == 0 {
		o.Lookback = time.Hour
	}
	if o.ForgetAfter == 0 {
		o.ForgetAfter = max(8*24*time.Hour, o.Lookback)
	}
	if o.WorkloadOf == nil {
		o.WorkloadOf = func(r ContainerRef) WorkloadRef { return GuessWorkload(r.Namespace, r.Pod) }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	var errs []error
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"interval", o.Interval}, {"timeout", o.Timeout}, {"step", o.Step}, {"lookback", o.Lookback}, {"forget-after", o.ForgetAfter}} {
		if d.value < 0 {
			errs = append(errs, fmt.Errorf("loop %s %s is negative", d.name, d.value))
		}
	}
	if o.PieceSamples < 0 {
		errs = append(errs, fmt.Errorf("loop piece of %d samples is negative", o.PieceSamples))
	}
	if o.Step > o.Lookback {
		errs = append(errs, fmt.Errorf("loop step %s is longer than the lookback %s", o.Step, o.Lookback))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Loop{source: source, eval: eval, sinks: sinks, o: o}, nil
}

// Run runs a cycle now and then every interval until ctx ends. A failed
// cycle is logged and published; the loop goes on.
func (l *Loop) Run(ctx context.Context) error {
	ticker := time.NewTicker(l.o.Interval)
	defer ticker.Stop()
	for {
		l.RunCycle(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// RunCycle runs one cycle under its own deadline: fetch what is new since
// the last successful fetch (at most the lookback), fold it in, recommend,
// publish.
func (l *Loop) RunCycle(ctx context.Context) *Cycle {
	start := l.o.Now()
	l.mu.Lock()
	l.lastStart = start
	from := l.fetched
	l.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, l.o.Timeout)
	defer cancel()
	// The fetch gets only part of the cycle's deadline: a source that
	// answers slowly or not at all must leave the sinks time to publish,
	// or the actuators would see an expired context and the failure would
	// never reach the cluster, the dashboard or the log.
	fetchCtx, cancelFetch := context.WithTimeout(ctx, l.o.Timeout*fetchShareNum/fetchShareDen)
	defer cancelFetch()
	end := start.Truncate(l.o.Step)
	if from.IsZero() || end.Sub(from) > l.o.Lookback {
		from = end.Add(-l.o.Lookback)
	}
	c := &Cycle{At: end, Window: Window{End: end, Range: end.Sub(from), Step: l.o.Step}}
	if c.Window.Range == 0 {
		c.Window.Step = 0
	}
	if l.o.PieceSamples > 0 && c.Window.Range > c.Window.Step {
		c.Snapshot, c.Err = l.foldInPieces(fetchCtx, c.Window)
	} else {
		c.Snapshot, c.Err = l.fetch(fetchCtx, c.Window)
		if c.Err == nil {
			c.Err = l.fold(c.Snapshot, end)
		}
	}
	cancelFetch()
	if f, ok := l.eval.(Forgetter); ok && c.Err == nil {
		if n := f.Forget(end.Add(-l.o.ForgetAfter)); n > 0 {
			l.o.Log.Info("forgot workloads without samples", "workloads", n, "for", l.o.ForgetAfter)
		}
	}
	current := l.o.Current
	if current == nil {
		current = func(WorkloadRef) Current { return Current{} }
	}
	c.Recommendations = l.eval.Recommend(end, current)
	c.Duration = l.o.Now().Sub(start)
	for _, s := range l.sinks {
		if err := s.Publish(ctx, c); err != nil {
			l.o.Log.Warn("publishing a cycle failed", "err", err)
		}
	}
	if c.Err != nil {
		l.o.Log.Warn("cycle failed", "err", c.Err, "window_end", end, "window_range", c.Window.Range)
	} else {
		l.o.Log.Debug("cycle done", "duration", c.Duration, "workloads", len(c.Recommendations))
	}
	l.mu.Lock()
	l.last = c
	l.mu.Unlock()
	return c
}

// fold folds a snapshot fetched up to end into the evaluator and moves the
// point the next fetch starts from there.
func (l *Loop) fold(snap *Snapshot, end time.Time) error {
	l.logProblems(snap)
	err := l.eval.Observe(snap, l.o.WorkloadOf)
	l.mu.Lock()
	l.fetched = end
	l.mu.Unlock()
	return err
}

// firstPieceSteps is the first piece of a window folded in pieces, before
// the loop knows how many series an answer holds.
const firstPieceSteps = 10

// foldInPieces fetches and folds w oldest piece first, each sized so the
// answer holds about PieceSamples samples. It returns the newest piece.
// A failure keeps what was folded before it: the next cycle resumes there.
func (l *Loop) foldInPieces(ctx context.Context, w Window) (*Snapshot, error) {
	steps := firstPieceSteps
	var last *Snapshot
	for from := w.Start(); from.Before(w.End); {
		to := from.Add(time.Duration(steps) * w.Step)
		if to.After(w.End) {
			to = w.End
		}
		piece := Window{End: to, Range: to.Sub(from), Step: w.Step}
		snap, err := l.fetch(ctx, piece)
		if err == nil {
			err = l.fold(snap, to)
		}
		if err != nil {
			if !from.Equal(w.Start()) {
				err = fmt.Errorf("folded history up to %s of %s, the next cycle resumes there: %w", from.Format(time.RFC3339), w.End.Format(time.RFC3339), err)
			}
			return last, err
		}
		last = snap
		// The next piece starts a step after this one ended (a window
		// holds both of its ends), sized from the series just seen.
		from = to.Add(w.Step)
		steps = max(1, min(maxPointsPerSeries-1, l.o.PieceSamples/max(1, snap.seriesCount())))
	}
	return last, nil
}

// fetchShareNum/fetchShareDen is the part of the cycle deadline the fetch
// may use; the rest is kept for evaluating and publishing.
const fetchShareNum, fetchShareDen = 3, 4

// logProblems logs the signals the source refused (a malformed answer, a
// failed query): the cycle goes on with the others, and the refused
// signals keep their last good values until those go stale. A signal with
// no data is not news and is left to the dashboard and /metrics.
func (l *Loop) logProblems(snap *Snapshot) {
	for _, sig := range Signals() {
		if err, bad := snap.Problems[sig]; bad && !errors.Is(err, ErrNoData) {
			l.o.Log.Warn("source answer refused; the signal keeps its last good values", "signal", sig, "err", err)
		}
	}
}

// fetch reads the window in pieces of at most maxPointsPerSeries steps.
func (l *Loop) fetch(ctx context.Context, w Window) (*Snapshot, error) {
	if w.Range <= time.Duration(maxPointsPerSeries-1)*w.Step || w.Instant() {
		snap, err := l.source.Fetch(ctx, Query{Window: w, Selector: l.o.Selector})
		if err != nil {
			return nil, fmt.Errorf("fetching %s before %s: %w", w.Range, w.End.Format(time.RFC3339), err)
		}
		return snap, nil
	}
	out := NewSnapshot(w)
	chunk := time.Duration(maxPointsPerSeries-1) * w.Step
	for from := w.Start(); from.Before(w.End); from = from.Add(chunk + w.Step) {
		to := from.Add(chunk)
		if to.After(w.End) {
			to = w.End
		}
		part, err := l.fetch(ctx, Window{End: to, Range: to.Sub(from), Step: w.Step})
		if err != nil {
			return nil, err
		}
		out.Merge(part)
	}
	return out, nil
}

// Last returns the newest cycle, nil before the first.
func (l *Loop) Last() *Cycle {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.last
}

// Alive reports whether the loop started a cycle within 1.5 intervals of now.
func (l *Loop) Alive(now time.Time) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return !l.lastStart.IsZero() && now.Sub(l.lastStart) < l.o.Interval*3/2
}
