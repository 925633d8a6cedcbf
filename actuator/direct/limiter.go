package direct

import (
	"sync"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// limiter remembers when pacer changed each workload, to rate-limit
// changes, and which workloads it reported backing off from, to warn once
// per back-off.
type limiter struct {
	interval time.Duration

	mu        sync.Mutex
	applied   map[recommender.WorkloadRef]time.Time
	backedOff map[recommender.WorkloadRef]backOff
}

// backOff is why pacer backs off from a workload.
type backOff struct {
	// record is the value of the record annotation pacer backs off over.
	record string
	reason string
	// refused is set when the API server refused pacer's apply although
	// the workload, as read, was in pacer's control: only this memory
	// keeps pacer from trying again.
	refused bool
}

func newLimiter(interval time.Duration) *limiter {
	return &limiter{interval: interval, applied: map[recommender.WorkloadRef]time.Time{}, backedOff: map[recommender.WorkloadRef]backOff{}}
}

// waiting returns when pacer last changed a workload, if that is less than
// the interval before now, as far as this process remembers.
func (l *limiter) waiting(ref recommender.WorkloadRef, now time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.applied[ref]
	return at, ok && l.within(at, now)
}

// waitingFor returns the time pacer's record gives, if that is less than
// the interval before now: the rate limit holds across restarts and leader
// changes. A time further ahead than the interval is not one pacer wrote
// (or a clock far off) and is ignored, so that it cannot hold a workload
// forever.
func (l *limiter) waitingFor(r *record, now time.Time) (time.Time, bool) {
	if r == nil || r.At.After(now.Add(l.interval)) {
		return time.Time{}, false
	}
	return r.At, l.within(r.At, now)
}

func (l *limiter) within(at, now time.Time) bool { return now.Before(at.Add(l.interval)) }

// changed records a change pacer made.
func (l *limiter) changed(ref recommender.WorkloadRef, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.applied[ref] = at
	delete(l.backedOff, ref)
}

// backingOff reports whether pacer last found a workload taken from it.
func (l *limiter) backingOff(ref recommender.WorkloadRef) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.backedOff[ref]
	return ok
}

// backOff records that pacer backs off from a workload, and reports
// whether that is news: the first time, or over another record.
func (l *limiter) backOff(ref recommender.WorkloadRef, b backOff) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev, ok := l.backedOff[ref]
	b.refused = b.refused || ok && prev.refused && prev.record == b.record
	l.backedOff[ref] = b
	return !ok || prev.record != b.record
}

// refused returns why pacer backs off from a workload whose apply the API
// server refused, while the workload still has the record it had then.
func (l *limiter) refused(ref recommender.WorkloadRef, record string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.backedOff[ref]
	return b.reason, ok && b.refused && b.record == record
}

// inControl forgets a back-off: the workload is pacer's again, or gone.
func (l *limiter) inControl(ref recommender.WorkloadRef) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.backedOff, ref)
}

// expire drops what no longer holds anything back, so that the maps do
// not grow with workloads deleted or left alone: changes older than the
// interval, and back-offs from workloads the cycle does not recommend for.
func (l *limiter) expire(now time.Time, recommended map[recommender.WorkloadRef]bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ref, at := range l.applied {
		if !l.within(at, now) {
			delete(l.applied, ref)
		}
	}
	for ref := range l.backedOff {
		if !recommended[ref] {
			delete(l.backedOff, ref)
		}
	}
}
