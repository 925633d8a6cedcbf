package direct

import (
	"sync"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// LastAppliedAnnotation on a workload records, in RFC 3339, when pacer last
// changed it. pacer writes it in the same apply as the change and reads it
// back, so that the rate limit holds across restarts and leader changes.
const LastAppliedAnnotation = "pacer.dev/last-applied-at"

// limiter remembers when pacer changed each workload and when an apply
// met a conflict, to rate-limit changes and back off.
type limiter struct {
	interval time.Duration

	mu        sync.Mutex
	applied   map[recommender.WorkloadRef]time.Time
	conflicts map[recommender.WorkloadRef]conflict
}

// conflict is an apply the API server refused because another manager
// owns a field.
type conflict struct {
	at     time.Time
	reason string
}

func newLimiter(interval time.Duration) *limiter {
	return &limiter{interval: interval, applied: map[recommender.WorkloadRef]time.Time{}, conflicts: map[recommender.WorkloadRef]conflict{}}
}

// waiting returns when pacer last changed a workload, if that is less than
// the interval before now, as far as this process remembers.
func (l *limiter) waiting(ref recommender.WorkloadRef, now time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.applied[ref]
	return at, ok && l.within(at, now)
}

// waitingFor returns the time an annotation records, if that is less than
// the interval before now. A time further ahead than the interval is not
// one pacer wrote (or a clock far off) and is ignored, so that it cannot
// hold a workload forever.
func (l *limiter) waitingFor(annotations map[string]string, now time.Time) (time.Time, bool) {
	v, ok := annotations[LastAppliedAnnotation]
	if !ok {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339, v)
	if err != nil || at.After(now.Add(l.interval)) {
		return time.Time{}, false
	}
	return at, l.within(at, now)
}

func (l *limiter) within(at, now time.Time) bool { return now.Before(at.Add(l.interval)) }

// backingOff returns the conflict a workload met, while it is less than
// the interval old.
func (l *limiter) backingOff(ref recommender.WorkloadRef, now time.Time) (conflict, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.conflicts[ref]
	if ok && !l.within(c.at, now) {
		delete(l.conflicts, ref)
		return conflict{}, false
	}
	return c, ok
}

// changed records a change pacer made.
func (l *limiter) changed(ref recommender.WorkloadRef, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.applied[ref] = at
	delete(l.conflicts, ref)
}

// refused records a conflict.
func (l *limiter) refused(ref recommender.WorkloadRef, c conflict) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conflicts[ref] = c
}

// expire drops what no longer holds anything back, so that the maps do
// not grow with workloads deleted or left alone.
func (l *limiter) expire(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ref, at := range l.applied {
		if !l.within(at, now) {
			delete(l.applied, ref)
		}
	}
	for ref, c := range l.conflicts {
		if !l.within(c.at, now) {
			delete(l.conflicts, ref)
		}
	}
}
