package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// TestHandler: one query per request, filled with the namespace and the
// Deployment; a bad selector is a 400, no data a 404 (never 0), a failed
// query a 503.
func TestHandler(t *testing.T) {
	const template = `q{namespace="%[1]s",deployment="%[2]s"}`
	for _, tt := range []struct {
		name, namespace, selector string
		value                     float64
		err                       error
		wantStatus                int
		wantQuery                 string
	}{
		{"a value", "demo", "deployment=steady", 3, nil, http.StatusOK, `q{namespace="demo",deployment="steady"}`},
		{"no data", "demo", "deployment=steady", 0, errNoData, http.StatusNotFound, `q{namespace="demo",deployment="steady"}`},
		{"prometheus down", "demo", "deployment=steady", 0, errors.New("connection refused"), http.StatusServiceUnavailable, `q{namespace="demo",deployment="steady"}`},
		{"another label", "demo", "app=steady", 0, nil, http.StatusBadRequest, ""},
		{"two deployments", "demo", "deployment in (a,b)", 0, nil, http.StatusBadRequest, ""},
		{"not a selector", "demo", "deployment==", 0, nil, http.StatusBadRequest, ""},
		{"a namespace that is no label", "Demo", "deployment=steady", 0, nil, http.StatusBadRequest, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var queries []string
			h := newHandler(func(_ context.Context, q string) (float64, error) {
				queries = append(queries, q)
				return tt.value, tt.err
			}, template)
			rec := httptest.NewRecorder()
			target := "/apis/external.metrics.k8s.io/v1beta1/namespaces/" + tt.namespace + "/m?labelSelector=" + url.QueryEscape(tt.selector)
			h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, http.NoBody))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantQuery == "" && len(queries) != 0 || tt.wantQuery != "" && (len(queries) != 1 || queries[0] != tt.wantQuery) {
				t.Errorf("queries %q, want one: %q", queries, tt.wantQuery)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			var list struct {
				Items []struct {
					MetricName   string            `json:"metricName"`
					MetricLabels map[string]string `json:"metricLabels"`
					Value        string            `json:"value"`
				} `json:"items"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
				t.Fatal(err)
			}
			if len(list.Items) != 1 || list.Items[0].MetricName != "m" || list.Items[0].Value != "3" || list.Items[0].MetricLabels["deployment"] != "steady" {
				t.Errorf("answer %s, want one item of m = 3 for deployment steady", rec.Body)
			}
		})
	}
}
