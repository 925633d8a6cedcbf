package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/validation"
	externalv1beta1 "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"
)

// errNoData is an empty query result: no value, never 0.
var errNoData = errors.New("the query returned no data")

// queryFunc runs an instant PromQL query and returns its one value.
type queryFunc func(ctx context.Context, query string) (float64, error)

// newHandler answers each external metric request with one query: the
// template filled with the namespace and the Deployment the labelSelector names.
func newHandler(query queryFunc, template string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /apis/external.metrics.k8s.io/v1beta1/namespaces/{namespace}/{metric}", func(w http.ResponseWriter, r *http.Request) {
		namespace, metric := r.PathValue("namespace"), r.PathValue("metric")
		deployment, err := deploymentOf(r.URL.Query().Get("labelSelector"))
		if err == nil && len(validation.IsDNS1123Label(namespace)) > 0 {
			err = fmt.Errorf("namespace %q is not a DNS label", namespace)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		value, err := query(r.Context(), fmt.Sprintf(template, namespace, deployment))
		switch {
		case errors.Is(err, errNoData):
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		list := externalv1beta1.ExternalMetricValueList{
			TypeMeta: metav1.TypeMeta{APIVersion: "external.metrics.k8s.io/v1beta1", Kind: "ExternalMetricValueList"},
			Items: []externalv1beta1.ExternalMetricValue{{
				MetricName:   metric,
				MetricLabels: map[string]string{"deployment": deployment},
				Timestamp:    metav1.NewTime(time.Now()),
				Value:        *resource.NewMilliQuantity(int64(math.Round(value*1000)), resource.DecimalSI),
			}},
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&list)
	})
	return mux
}

// deploymentOf reads the one Deployment a selector such as
// deployment=checkout names.
func deploymentOf(selector string) (string, error) {
	sel, err := labels.Parse(selector)
	if err != nil {
		return "", fmt.Errorf("labelSelector: %w", err)
	}
	reqs, _ := sel.Requirements()
	if len(reqs) != 1 || reqs[0].Key() != "deployment" || reqs[0].Operator() != selection.Equals && reqs[0].Operator() != selection.DoubleEquals {
		return "", fmt.Errorf("labelSelector %q: want deployment=NAME", selector)
	}
	name, _ := reqs[0].Values().PopAny()
	if len(validation.IsDNS1123Label(name)) > 0 {
		return "", fmt.Errorf("deployment %q is not a DNS label", name)
	}
	return name, nil
}

// prometheus runs instant queries with client_golang's API client: one
// HTTP round trip to Prometheus per call.
type prometheus struct {
	api v1.API
}

// query runs one instant query whose result is a vector of one sample.
func (p *prometheus) query(ctx context.Context, query string) (float64, error) {
	value, _, _, err := p.api.Query(ctx, query, time.Time{}) // the zero time: now
	if err != nil {
		return 0, fmt.Errorf("querying Prometheus: %w", err)
	}
	vector, ok := value.(model.Vector)
	if !ok {
		return 0, fmt.Errorf("prometheus answered a %s, want a vector", value.Type())
	}
	if len(vector) == 0 {
		return 0, errNoData
	}
	return float64(vector[0].Value), nil
}
