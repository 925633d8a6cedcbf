package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pacerdev/pacer/recommender"
)

func TestExporter(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	e, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	snap := recommender.NewSnapshot(recommender.Window{End: time.Unix(0, 0)})
	snap.Problems[recommender.CPUThrottled] = &recommender.NoDataError{Signal: recommender.CPUThrottled, Where: "q", Reason: "missing"}
	snap.Problems[recommender.CPU] = errors.New("timeout")
	api := recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindDeployment, Name: "api"}
	c := &recommender.Cycle{Duration: 250 * time.Millisecond, Snapshot: snap, Recommendations: []recommender.Recommendation{
		{Workload: api, Outcome: recommender.OutcomeReady, Flags: []recommender.Flag{recommender.FlagGCPressure},
			Containers: []recommender.ContainerRecommendation{{Container: "app",
				Target: recommender.Resources{CPURequestCores: 0.25, MemoryRequestBytes: 256 << 20, MemoryLimitBytes: 256 << 20, GOMEMLIMITBytes: 230 << 20, GOMAXPROCS: 2}}},
			Horizontal: &recommender.HorizontalRecommendation{DesiredReplicas: 3, TargetPerPod: 800}},
		{Workload: recommender.WorkloadRef{Namespace: "shop", Kind: recommender.KindStatefulSet, Name: "db"}, Outcome: recommender.OutcomeInsufficientData},
	}}
	if err := e.Publish(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	e.Observe(recommender.Actuation{Actuator: "vpa", Action: recommender.ActionWritten})
	e.SetLeader(true)

	want := `
# HELP pacer_recommended_replicas Recommended replicas of a workload.
# TYPE pacer_recommended_replicas gauge
pacer_recommended_replicas{kind="deployment",namespace="shop",workload="api"} 3
# HELP pacer_workloads Workloads at the last cycle, by outcome.
# TYPE pacer_workloads gauge
pacer_workloads{outcome="insufficient_data"} 1
pacer_workloads{outcome="no_go_metrics"} 0
pacer_workloads{outcome="no_policy"} 0
pacer_workloads{outcome="ready"} 1
# HELP pacer_source_errors_total Signals the source could not answer or had no data for, by signal and kind (no_data, error).
# TYPE pacer_source_errors_total counter
pacer_source_errors_total{kind="error",signal="cpu"} 1
pacer_source_errors_total{kind="no_data",signal="cpu_throttled"} 1
# HELP pacer_actuations_total What the actuators did, by actuator and action (written, unchanged, dry_run, skipped, conflict, failed).
# TYPE pacer_actuations_total counter
pacer_actuations_total{action="written",actuator="vpa"} 1
# HELP pacer_leader 1 when this replica holds the leader lease and writes; 0 when it only computes and serves.
# TYPE pacer_leader gauge
pacer_leader 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"pacer_recommended_replicas", "pacer_workloads", "pacer_source_errors_total", "pacer_actuations_total", "pacer_leader"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(e.recommendations, "pacer_recommendation_memory_bytes"); n != 2 {
		t.Errorf("%d memory series, want request and limit of the target only (bounds are zero)", n)
	}
	if got := testutil.ToFloat64(e.cycles.WithLabelValues("ok")); got != 1 {
		t.Errorf("ok cycles %v", got)
	}
}
