package external

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/pacerdev/pacer/recommender"
)

const ns = "shop"

var (
	t0       = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	checkout = recommender.WorkloadRef{Namespace: ns, Kind: recommender.KindDeployment, Name: "checkout"}
	ledger   = recommender.WorkloadRef{Namespace: ns, Kind: recommender.KindStatefulSet, Name: "ledger"}
)

// clock is a settable clock for the store.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// pods maps the test's pods to workloads: checkout-1 and checkout-2 to
// Deployment checkout, ledger-0 to StatefulSet ledger.
func workloadOf(r recommender.ContainerRef) recommender.WorkloadRef {
	switch r.Pod {
	case "checkout-1", "checkout-2":
		return checkout
	case "ledger-0":
		return ledger
	}
	return recommender.GuessWorkload(r.Namespace, r.Pod)
}

func newStore(t testing.TB, c *clock, o Options) *Store {
	t.Helper()
	o.Now, o.WorkloadOf = c.Now, workloadOf
	s, err := NewStore(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ready returns a ready recommendation with a horizontal part.
func ready(w recommender.WorkloadRef, at time.Time, replicas int32, rate, forecast float64) recommender.Recommendation {
	h := &recommender.HorizontalRecommendation{DesiredReplicas: replicas, RequestRate: rate}
	if forecast > 0 {
		h.ForecastRequestRate, h.ForecastHorizon = forecast, time.Minute
	}
	return recommender.Recommendation{Workload: w, At: at, Mode: recommender.ModeRecommend, Outcome: recommender.OutcomeReady, Horizontal: h}
}

// series is one container's samples of a signal.
func series(pod string, samples ...recommender.Sample) recommender.Series {
	return recommender.Series{Ref: recommender.ContainerRef{Namespace: ns, Pod: pod, Container: "app"}, Samples: samples}
}

func at(t time.Time, v float64) recommender.Sample { return recommender.Sample{At: t, Value: v} }

// cycle returns a successful cycle at t with the recommendations and signals.
func cycle(t time.Time, recs []recommender.Recommendation, signals map[recommender.Signal][]recommender.Series) *recommender.Cycle {
	snap := recommender.NewSnapshot(recommender.Window{End: t, Range: time.Minute, Step: 15 * time.Second})
	for sig, s := range signals {
		snap.Series[sig] = s
	}
	return &recommender.Cycle{At: t, Snapshot: snap, Recommendations: recs}
}

func selector(t testing.TB, s string) labels.Selector {
	t.Helper()
	sel, err := labels.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}
