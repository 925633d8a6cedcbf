package external

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/metrics/pkg/apis/external_metrics"
	cmprovider "sigs.k8s.io/custom-metrics-apiserver/pkg/provider"
)

// provider answers the external metrics API from the store.
type provider struct{ store *Store }

var _ cmprovider.ExternalMetricsProvider = provider{}

// GetExternalMetric returns exactly one item, or a Kubernetes status
// error whose code says what was wrong (400, 404, 503), never a 500.
func (p provider) GetExternalMetric(_ context.Context, namespace string, sel labels.Selector, info cmprovider.ExternalMetricInfo) (*external_metrics.ExternalMetricValueList, error) {
	v, err := p.store.Get(namespace, info.Metric, sel)
	if err != nil {
		return nil, statusError(info.Metric, err)
	}
	metricLabels := map[string]string{"kind": strings.ToLower(string(v.Workload.Kind)), "workload": v.Workload.Name}
	if v.Fallback {
		metricLabels["fallback"] = "true"
	}
	return &external_metrics.ExternalMetricValueList{Items: []external_metrics.ExternalMetricValue{{
		MetricName:   string(v.Metric),
		MetricLabels: metricLabels,
		Timestamp:    metav1.NewTime(v.At),
		Value:        quantity(v.Value),
	}}}, nil
}

// ListAllExternalMetrics lists every metric, whether or not the store has
// values yet: discovery that comes and goes makes the kube-apiserver
// report the group version as stale.
func (p provider) ListAllExternalMetrics() []cmprovider.ExternalMetricInfo {
	out := make([]cmprovider.ExternalMetricInfo, 0, len(metricOrder))
	for _, m := range metricOrder {
		out = append(out, cmprovider.ExternalMetricInfo{Metric: string(m)})
	}
	return out
}

// statusError turns a query error into the Kubernetes status it is served as.
func statusError(metric string, err error) error {
	var qe *QueryError
	if !errors.As(err, &qe) {
		return apierrors.NewInternalError(err)
	}
	reason := map[int]metav1.StatusReason{
		http.StatusBadRequest:         metav1.StatusReasonBadRequest,
		http.StatusNotFound:           metav1.StatusReasonNotFound,
		http.StatusServiceUnavailable: metav1.StatusReasonServiceUnavailable,
	}[qe.HTTPStatus()]
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    int32(qe.HTTPStatus()), //nolint:gosec // an HTTP status code fits
		Reason:  reason,
		Message: qe.Message,
		Details: &metav1.StatusDetails{Group: external_metrics.GroupName, Kind: metric},
	}}
}

// quantity renders a value as the HPA reads it: whole numbers exactly,
// fractions to the milli-unit the HPA computes with, within ±10^15 so
// that the milli-value fits an int64.
func quantity(v float64) resource.Quantity {
	const largest = 1e15
	v = math.Max(-largest, math.Min(largest, v))
	if v == math.Trunc(v) {
		return *resource.NewQuantity(int64(v), resource.DecimalSI)
	}
	return *resource.NewMilliQuantity(int64(math.Round(v*1000)), resource.DecimalSI)
}
