package external

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

func get(t *testing.T, s *Store, metric, sel string) (Value, *QueryError) {
	t.Helper()
	v, err := s.Get(ns, metric, selector(t, sel))
	if err == nil {
		return v, nil
	}
	var qe *QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("Get(%s, %s): %v is not a *QueryError", metric, sel, err)
	}
	return v, qe
}

func publish(t testing.TB, s *Store, c *recommender.Cycle) {
	t.Helper()
	if err := s.Publish(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func TestStoreServesEachMetricPerWorkload(t *testing.T) {
	c := &clock{t0}
	s := newStore(t, c, Options{})
	cpu, gc := recommender.CPU, recommender.GCCPU
	publish(t, s, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 3, 240, 310)}, map[recommender.Signal][]recommender.Series{
		recommender.Goroutines: {
			series("checkout-1", at(t0.Add(-time.Minute), 90), at(t0, 100)), // the newest sample counts
			series("checkout-2", at(t0.Add(-10*time.Second), 50)),
			series("ledger-0", at(t0, 7)),
			series("gone-1", at(t0.Add(-time.Hour), 1000)), // older than the staleness limit: left out
		},
		recommender.AllocRate: {series("checkout-1", at(t0, 1<<20)), series("checkout-2", at(t0, 3<<20))},
		recommender.LiveHeap:  {series("checkout-1", at(t0, 10<<20)), series("checkout-2", at(t0, 30<<20))},
		cpu:                   {series("checkout-1", at(t0, 0.5)), series("checkout-2", at(t0, 0.25)), series("ledger-0", at(t0, 0))},
		gc:                    {series("checkout-1", at(t0, 0.05)), series("checkout-2", at(t0, 0.075)), series("ledger-0", at(t0, 0.01))},
	}))
	c.now = t0.Add(30 * time.Second)

	tests := []struct {
		metric Metric
		sel    string
		want   float64
		at     time.Time
	}{
		{RecommendedReplicas, "deployment=checkout", 3, t0},
		{RequestRate, "deployment=checkout", 240, t0},
		{RequestRateForecast, "workload=checkout", 310, t0},
		{Goroutines, "deployment=checkout", 150, t0.Add(-10 * time.Second)}, // as old as its oldest sample
		{Goroutines, "statefulset=ledger", 7, t0},
		{AllocBytesPerSecond, "deployment=checkout", 4 << 20, t0},
		{LiveHeapBytes, "workload=checkout,kind=Deployment", 40 << 20, t0},
		{GCCPUShare, "deployment=checkout", (0.1 + 0.3) / 2, t0}, // the mean of 10% and 30%
	}
	for _, tt := range tests {
		v, qe := get(t, s, string(tt.metric), tt.sel)
		if qe != nil || math.Abs(v.Value-tt.want) > 1e-9 || !v.At.Equal(tt.at) || v.Fallback {
			t.Errorf("%s{%s} = %+v, %v; want %g at %s", tt.metric, tt.sel, v, qe, tt.want, tt.at)
		}
	}
	// A container without CPU use has no GC share; no data is never 0.
	if _, qe := get(t, s, string(GCCPUShare), "statefulset=ledger"); qe == nil || qe.Reason != ReasonNoData {
		t.Errorf("GC share of a workload with no CPU: %v, want no data", qe)
	}
	if _, qe := get(t, s, string(RecommendedReplicas), "statefulset=ledger"); qe == nil || qe.Reason != ReasonNoData {
		t.Errorf("replicas of a workload without a recommendation: %v, want no data", qe)
	}
}

func TestStoreErrors(t *testing.T) {
	c := &clock{t0}
	s := newStore(t, c, Options{})
	other := recommender.WorkloadRef{Namespace: ns, Kind: recommender.KindStatefulSet, Name: "checkout"}
	publish(t, s, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 3, 240, 0), ready(other, t0, 1, 5, 0)}, nil))

	tests := []struct {
		namespace, metric, sel string
		reason                 Reason
		status                 int
		says                   string
	}{
		{ns, "pacer_bogus", "deployment=checkout", ReasonUnknownMetric, 404, "pacer serves pacer_recommended_replicas, pacer_request_rate"},
		{ns, string(RecommendedReplicas), "app=checkout", ReasonBadRequest, 400, `knows no label "app"`},
		{ns, string(RecommendedReplicas), "workload=checkout", ReasonBadRequest, 400, "add kind=KIND"},
		{"", string(RecommendedReplicas), "deployment=checkout", ReasonBadRequest, 400, "namespaced"},
		{ns, string(RecommendedReplicas), "deployment=nope", ReasonNoData, 404, "no data for shop/Deployment/nope"},
		{"elsewhere", string(RecommendedReplicas), "workload=checkout", ReasonNoData, 404, "no data for elsewhere/checkout"},
		{ns, string(RequestRateForecast), "deployment=checkout", ReasonNoData, 404, "no pacer_request_rate_forecast"},
	}
	for _, tt := range tests {
		_, err := s.Get(tt.namespace, tt.metric, selector(t, tt.sel))
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Reason != tt.reason || qe.HTTPStatus() != tt.status || !strings.Contains(qe.Message, tt.says) {
			t.Errorf("%s %s{%s}: %v; want %s (%d) saying %q", tt.namespace, tt.metric, tt.sel, err, tt.reason, tt.status, tt.says)
		}
	}
}

func TestStoreStaleness(t *testing.T) {
	c := &clock{t0}
	s := newStore(t, c, Options{StaleAfter: time.Minute})
	publish(t, s, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 4, 300, 0)}, nil))

	c.now = t0.Add(time.Minute)
	if v, qe := get(t, s, string(RecommendedReplicas), "deployment=checkout"); qe != nil || v.Value != 4 {
		t.Fatalf("at the limit: %+v, %v", v, qe)
	}
	// A failed cycle refreshes nothing.
	publish(t, s, &recommender.Cycle{At: t0.Add(time.Minute), Err: errors.New("prometheus is down"),
		Recommendations: []recommender.Recommendation{ready(checkout, t0.Add(time.Minute), 9, 900, 0)}})
	c.now = t0.Add(time.Minute + time.Second)
	_, qe := get(t, s, string(RecommendedReplicas), "deployment=checkout")
	if qe == nil || qe.Reason != ReasonStale || qe.HTTPStatus() != 503 || !strings.Contains(qe.Message, "older than the limit of 1m0s") {
		t.Fatalf("past the limit: %v, want stale", qe)
	}
	// A recommendation that is not ready keeps the old value, and says why.
	notReady := recommender.Recommendation{Workload: checkout, At: c.now, Mode: recommender.ModeRecommend, Outcome: recommender.OutcomeInsufficientData,
		Missing: []recommender.Missing{{Signal: recommender.RequestRate, Rule: "horizontal", Reason: "stale: newest sample 2m ago"}}}
	publish(t, s, cycle(c.now, []recommender.Recommendation{notReady}, nil))
	if _, qe := get(t, s, string(RequestRate), "deployment=checkout"); qe == nil || qe.Reason != ReasonStale ||
		!strings.Contains(qe.Message, "insufficient_data") || !strings.Contains(qe.Message, "newest sample 2m ago") {
		t.Errorf("stale after a not-ready recommendation: %v", qe)
	}
	// A fresh recommendation is served again.
	publish(t, s, cycle(c.now, []recommender.Recommendation{ready(checkout, c.now, 2, 100, 0)}, nil))
	if v, qe := get(t, s, string(RecommendedReplicas), "deployment=checkout"); qe != nil || v.Value != 2 {
		t.Errorf("after a fresh cycle: %+v, %v", v, qe)
	}
	// Long gone workloads are forgotten.
	later := t0.Add(forgetAfter*time.Minute + 2*time.Minute)
	publish(t, s, cycle(later, nil, nil))
	c.now = later
	if _, qe := get(t, s, string(RecommendedReplicas), "deployment=checkout"); qe == nil || qe.Reason != ReasonNoData {
		t.Errorf("after %d staleness limits: %v, want no data", forgetAfter, qe)
	}
}

func TestStoreFallback(t *testing.T) {
	c := &clock{t0}
	s := newStore(t, c, Options{StaleAfter: time.Minute, FallbackReplicas: 5})
	publish(t, s, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 2, 100, 0)}, nil))
	c.now = t0.Add(2 * time.Minute)
	v, qe := get(t, s, string(RecommendedReplicas), "deployment=checkout")
	if qe != nil || v.Value != 5 || !v.Fallback || !v.At.Equal(c.now) {
		t.Errorf("stale replicas with a fallback: %+v, %v; want 5, marked as the fallback", v, qe)
	}
	// Only the replicas have a fallback; other metrics stay stale.
	if _, qe := get(t, s, string(RequestRate), "deployment=checkout"); qe == nil || qe.Reason != ReasonStale {
		t.Errorf("stale request rate with a replicas fallback: %v", qe)
	}
	// A workload pacer never had a value for gets no fallback.
	if _, qe := get(t, s, string(RecommendedReplicas), "deployment=other"); qe == nil || qe.Reason != ReasonNoData {
		t.Errorf("unknown workload with a fallback: %v, want no data", qe)
	}
}

func TestStoreModeOff(t *testing.T) {
	c := &clock{t0}
	s := newStore(t, c, Options{})
	publish(t, s, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 2, 100, 0)}, nil))
	off := ready(checkout, t0, 6, 600, 0)
	off.Mode = recommender.ModeOff
	publish(t, s, cycle(t0, []recommender.Recommendation{off}, nil))
	if _, qe := get(t, s, string(RecommendedReplicas), "deployment=checkout"); qe == nil || qe.Reason != ReasonNoData || !strings.Contains(qe.Message, "mode is off") {
		t.Errorf("replicas in mode off: %v, want no data saying why", qe)
	}
	// What pacer measured is served whatever the mode.
	if v, qe := get(t, s, string(RequestRate), "deployment=checkout"); qe != nil || v.Value != 600 {
		t.Errorf("request rate in mode off: %+v, %v", v, qe)
	}
}

func TestStoreDropsNonFiniteValues(t *testing.T) {
	c := &clock{t0}
	s := newStore(t, c, Options{})
	publish(t, s, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 2, math.NaN(), math.Inf(1))}, nil))
	for _, m := range []Metric{RequestRate, RequestRateForecast} {
		if _, qe := get(t, s, string(m), "deployment=checkout"); qe == nil || qe.Reason != ReasonNoData {
			t.Errorf("%s of NaN or Inf: %v, want no data", m, qe)
		}
	}
}

func TestNewStoreValidates(t *testing.T) {
	if _, err := NewStore(Options{StaleAfter: -time.Second, FallbackReplicas: -1}); err == nil ||
		!strings.Contains(err.Error(), "negative") {
		t.Errorf("err = %v", err)
	}
}
