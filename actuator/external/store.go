package external

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/pacerdev/pacer/recommender"
)

// Options configure a Store. Zero fields take the defaults named.
type Options struct {
	// StaleAfter: a value older than this is not served as fresh (default 5m).
	StaleAfter time.Duration
	// FallbackReplicas, when positive, answers pacer_recommended_replicas
	// with this count once the workload's value is stale, as KEDA's
	// fallback does; other metrics stay errors. A workload pacer never had a
	// value for gets no fallback.
	FallbackReplicas int32
	// WorkloadOf maps a container to its workload (default:
	// recommender.GuessWorkload); pass the loop's, so both agree.
	WorkloadOf func(recommender.ContainerRef) recommender.WorkloadRef
	Now        func() time.Time
}

// forgetAfter is how many staleness limits a value is kept for after its
// last update, so a stale workload says "stale" before it says "no data".
const forgetAfter = 10

// Store holds the newest value of every metric of every workload, as the
// cycles published them. It is a recommender.Sink and safe for concurrent
// use: the loop writes, any number of readers read.
type Store struct {
	o Options

	mu        sync.RWMutex
	workloads map[recommender.WorkloadRef]*entry
}

var _ recommender.Sink = (*Store)(nil)

// entry is what the store knows of one workload.
type entry struct {
	values map[Metric]sample
	// why says why the newest cycle brought no recommendation, for errors.
	why string
	// seen is the time of the newest cycle that mentioned the workload.
	seen time.Time
}

type sample struct {
	value float64
	at    time.Time
}

// NewStore returns an empty store.
func NewStore(o Options) (*Store, error) {
	if o.StaleAfter == 0 {
		o.StaleAfter = 5 * time.Minute
	}
	if o.WorkloadOf == nil {
		o.WorkloadOf = func(r recommender.ContainerRef) recommender.WorkloadRef {
			return recommender.GuessWorkload(r.Namespace, r.Pod)
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var errs []error
	if o.StaleAfter < 0 {
		errs = append(errs, fmt.Errorf("staleness limit %s is negative", o.StaleAfter))
	}
	if o.FallbackReplicas < 0 {
		errs = append(errs, fmt.Errorf("fallback replicas %d is negative", o.FallbackReplicas))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Store{o: o, workloads: map[recommender.WorkloadRef]*entry{}}, nil
}

// Publish takes in a cycle's recommendations and signals. A failed cycle
// brings nothing new: the values it would have refreshed age and go stale.
func (s *Store) Publish(_ context.Context, c *recommender.Cycle) error {
	if c.Err != nil || c.Snapshot == nil {
		return nil
	}
	signals := aggregate(c.Snapshot, c.At, s.o.StaleAfter, s.o.WorkloadOf)

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range c.Recommendations {
		e := s.entry(r.Workload, c.At)
		e.why = ""
		switch h := r.Horizontal; {
		case r.Outcome != recommender.OutcomeReady:
			e.why = notReady(r)
		case h == nil:
			e.why = "pacer makes no replica recommendation for it: it serves no requests pacer can see, or its policy turns horizontal scaling off"
		default:
			e.set(RequestRate, sample{h.RequestRate, r.At})
			if h.ForecastHorizon > 0 {
				e.set(RequestRateForecast, sample{h.ForecastRequestRate, r.At})
			}
			if r.Mode == recommender.ModeOff {
				delete(e.values, RecommendedReplicas)
				e.why = "its mode is off (policy or " + recommender.ModeAnnotation + " annotation), so pacer serves no recommendation for it"
			} else {
				e.set(RecommendedReplicas, sample{float64(h.DesiredReplicas), r.At})
			}
		}
	}
	for w, values := range signals {
		e := s.entry(w, c.At)
		for m, v := range values {
			e.set(m, v)
		}
	}
	s.forget(c.At.Add(-forgetAfter * s.o.StaleAfter))
	return nil
}

// entry returns the workload's entry, made if new, seen at the cycle's time.
func (s *Store) entry(w recommender.WorkloadRef, seen time.Time) *entry {
	e, ok := s.workloads[w]
	if !ok {
		e = &entry{values: map[Metric]sample{}}
		s.workloads[w] = e
	}
	e.seen = seen
	return e
}

// set records a new value; a value that is not a number replaces the old
// one with none: no number is better than a wrong one.
func (e *entry) set(m Metric, v sample) {
	if math.IsNaN(v.value) || math.IsInf(v.value, 0) {
		delete(e.values, m)
		return
	}
	e.values[m] = v
}

// forget drops values older than before, and workloads left with none.
func (s *Store) forget(before time.Time) {
	for w, e := range s.workloads {
		for m, v := range e.values {
			if v.at.Before(before) {
				delete(e.values, m)
			}
		}
		if len(e.values) == 0 && e.seen.Before(before) {
			delete(s.workloads, w)
		}
	}
}

func notReady(r recommender.Recommendation) string {
	msg := "its newest recommendation is not ready (" + string(r.Outcome) + ")"
	if len(r.Missing) > 0 {
		msg += ": " + r.Missing[0].String()
	}
	return msg
}

// Value is one metric of one workload as served.
type Value struct {
	Metric   Metric
	Workload recommender.WorkloadRef
	Value    float64
	// At is when the value was computed: the cycle's time, or the newest
	// sample the signal was read from; now for a fallback.
	At time.Time
	// Fallback reports that the value is the configured fallback standing
	// in for a stale recommendation.
	Fallback bool
}

// Get answers one query: the metric named for the one workload in
// namespace that the selector names. Every failure is a *QueryError.
func (s *Store) Get(namespace, metric string, sel labels.Selector) (Value, error) {
	if namespace == "" {
		return Value{}, badRequest("pacer's external metrics are namespaced: ask for /namespaces/NAMESPACE/%s", metric)
	}
	m, err := ParseMetric(metric)
	if err != nil {
		return Value{}, err
	}
	t, err := parseSelector(sel)
	if err != nil {
		return Value{}, err
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	w, e, err := s.resolve(namespace, t)
	if err != nil {
		return Value{}, err
	}
	v, ok := e.values[m]
	if !ok {
		why := e.why
		if why == "" {
			why = "the workload does not export the signal it comes from"
		}
		return Value{}, &QueryError{Reason: ReasonNoData, Message: fmt.Sprintf("no %s for %s: %s", m, w, why)}
	}
	now := s.o.Now()
	if age := now.Sub(v.at); age > s.o.StaleAfter {
		if m == RecommendedReplicas && s.o.FallbackReplicas > 0 {
			return Value{Metric: m, Workload: w, Value: float64(s.o.FallbackReplicas), At: now, Fallback: true}, nil
		}
		msg := fmt.Sprintf("%s for %s is stale: the newest value is from %s, %s ago, older than the limit of %s",
			m, w, v.at.UTC().Format(time.RFC3339), age.Round(time.Second), s.o.StaleAfter)
		if e.why != "" {
			msg += "; " + e.why
		}
		return Value{}, &QueryError{Reason: ReasonStale, Message: msg}
	}
	return Value{Metric: m, Workload: w, Value: v.value, At: v.at}, nil
}

// resolve finds the one known workload a target names.
func (s *Store) resolve(namespace string, t target) (recommender.WorkloadRef, *entry, error) {
	if t.kind != "" {
		w := recommender.WorkloadRef{Namespace: namespace, Kind: t.kind, Name: t.name}
		if e, ok := s.workloads[w]; ok {
			return w, e, nil
		}
		return w, nil, noWorkload(w.String())
	}
	var found []recommender.WorkloadRef
	for _, k := range kinds {
		if w := (recommender.WorkloadRef{Namespace: namespace, Kind: k, Name: t.name}); s.workloads[w] != nil {
			found = append(found, w)
		}
	}
	switch len(found) {
	case 0:
		return recommender.WorkloadRef{}, nil, noWorkload(namespace + "/" + t.name)
	case 1:
		return found[0], s.workloads[found[0]], nil
	}
	return recommender.WorkloadRef{}, nil, badRequest("workload=%s in %s is a %s and a %s: add kind=KIND to the labelSelector",
		t.name, namespace, found[0].Kind, found[1].Kind)
}

func noWorkload(what string) *QueryError {
	return &QueryError{Reason: ReasonNoData, Message: fmt.Sprintf(
		"pacer has no data for %s: it has not seen the workload in a successful cycle yet, or it exports no Go metrics", what)}
}

// Snapshot returns every fresh value, for the Prometheus collector.
func (s *Store) Snapshot() []Value {
	now := s.o.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Value
	for w, e := range s.workloads {
		for m, v := range e.values {
			if now.Sub(v.at) <= s.o.StaleAfter {
				out = append(out, Value{Metric: m, Workload: w, Value: v.value, At: v.at})
			}
		}
	}
	return out
}
