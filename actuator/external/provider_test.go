package external

import (
	"context"
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	cmprovider "sigs.k8s.io/custom-metrics-apiserver/pkg/provider"

	"github.com/pacerdev/pacer/recommender"
)

func TestQuantity(t *testing.T) {
	for _, tt := range []struct {
		v     float64
		want  string
		milli int64
	}{
		{3, "3", 3000},
		{0, "0", 0},
		{240.5, "240500m", 240500},
		{0.0004, "0", 0},
		{0.25, "250m", 250},
		{1 << 40, "1099511627776", 1 << 40 * 1000},
		{1e300, "1P", 1e18},
		{-2.5, "-2500m", -2500},
	} {
		q := quantity(tt.v)
		if q.String() != tt.want || q.MilliValue() != tt.milli {
			t.Errorf("quantity(%g) = %s (%d m), want %s (%d m)", tt.v, q.String(), q.MilliValue(), tt.want, tt.milli)
		}
	}
}

func TestProviderStatus(t *testing.T) {
	c := &clock{t0}
	p := provider{newStore(t, c, Options{})}
	publish(t, p.store, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 3, 240, 0)}, nil))
	list, err := p.GetExternalMetric(context.Background(), ns, selector(t, "deployment=checkout"), cmprovider.ExternalMetricInfo{Metric: string(RecommendedReplicas)})
	if err != nil || len(list.Items) != 1 || list.Items[0].Value.Value() != 3 || list.Items[0].MetricLabels["kind"] != "deployment" {
		t.Fatalf("%+v, %v", list, err)
	}
	for metric, check := range map[string]func(error) bool{
		"pacer_bogus":               apierrors.IsNotFound,
		string(RequestRateForecast): apierrors.IsNotFound,
	} {
		_, err := p.GetExternalMetric(context.Background(), ns, selector(t, "deployment=checkout"), cmprovider.ExternalMetricInfo{Metric: metric})
		if !check(err) {
			t.Errorf("%s: %v", metric, err)
		}
	}
	_, err = p.GetExternalMetric(context.Background(), ns, selector(t, "app=x"), cmprovider.ExternalMetricInfo{Metric: string(RecommendedReplicas)})
	if !apierrors.IsBadRequest(err) {
		t.Errorf("bad selector: %v", err)
	}
	if err := statusError("m", errors.New("boom")); !apierrors.IsInternalError(err) {
		t.Errorf("an unexpected error: %v", err)
	}
	if got := p.ListAllExternalMetrics(); len(got) != len(Metrics()) {
		t.Errorf("discovery lists %d metrics with one workload known, want %d", len(got), len(Metrics()))
	}
}
