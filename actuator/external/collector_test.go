package external

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pacerdev/pacer/recommender"
)

func TestCollector(t *testing.T) {
	c := &clock{t0}
	s := newStore(t, c, Options{StaleAfter: time.Minute})
	stale := recommender.WorkloadRef{Namespace: ns, Kind: recommender.KindDeployment, Name: "old"}
	publish(t, s, cycle(t0.Add(-2*time.Minute), []recommender.Recommendation{ready(stale, t0.Add(-2*time.Minute), 2, 50, 0)}, nil))
	publish(t, s, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 3, 240, 0)}, map[recommender.Signal][]recommender.Series{
		recommender.Goroutines: {series("ledger-0", at(t0, 7))},
	}))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(s, RequestRate, Goroutines))
	want := `
# HELP pacer_goroutines Goroutines of the workload, summed over its containers.
# TYPE pacer_goroutines gauge
pacer_goroutines{kind="statefulset",namespace="shop",workload="ledger"} 7
# HELP pacer_request_rate Requests per second the workload serves in total, averaged over the policy's rate window.
# TYPE pacer_request_rate gauge
pacer_request_rate{kind="deployment",namespace="shop",workload="checkout"} 240
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err) // the stale workload and the metrics not asked for are left out
	}
	if n := len(NewCollector(s).descs); n != len(Metrics()) {
		t.Errorf("a collector of no metrics named exposes %d, want all %d", n, len(Metrics()))
	}
}
