package external

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/pacerdev/pacer/recommender"
)

// JSONPath is where JSONHandler serves: GET JSONPath/{namespace}/{metric}
// with a labelSelector parameter, and GET JSONPath for the list of metrics.
const JSONPath = "/api/v1/external"

// JSONValue is the JSON answer for one metric of one workload. KEDA's
// metrics-api scaler reads it with valueLocation: value.
type JSONValue struct {
	Metric    Metric                  `json:"metric"`
	Workload  recommender.WorkloadRef `json:"workload"`
	Value     float64                 `json:"value"`
	Timestamp time.Time               `json:"timestamp"`
	// AgeSeconds is how old the value was when served.
	AgeSeconds float64 `json:"ageSeconds"`
	// Fallback reports that the configured fallback stands in for a
	// stale recommendation.
	Fallback bool `json:"fallback,omitempty"`
}

// jsonError is the JSON answer for a failed query.
type jsonError struct {
	Error  string `json:"error"`
	Reason Reason `json:"reason"`
}

// JSONHandler serves the store as JSON for scalers that cannot use the
// external metrics API, such as KEDA's metrics-api scaler. It answers the
// same values and errors as the API: a stale or missing value is an error
// status, never a zero. now is the clock the ages are measured by.
func JSONHandler(s *Store, now func() time.Time) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+JSONPath, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string][]Metric{"metrics": Metrics()})
	})
	mux.HandleFunc("GET "+JSONPath+"/{namespace}/{metric}", func(w http.ResponseWriter, r *http.Request) {
		sel, err := labels.Parse(r.URL.Query().Get("labelSelector"))
		if err != nil {
			writeError(w, badRequest("labelSelector: %v; %s", err, selectorUsage))
			return
		}
		v, err := s.Get(r.PathValue("namespace"), r.PathValue("metric"), sel)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, JSONValue{Metric: v.Metric, Workload: v.Workload, Value: v.Value,
			Timestamp: v.At.UTC(), AgeSeconds: now().Sub(v.At).Seconds(), Fallback: v.Fallback})
	})
	return mux
}

func writeError(w http.ResponseWriter, err error) {
	var qe *QueryError
	if !errors.As(err, &qe) {
		writeJSON(w, http.StatusInternalServerError, jsonError{Error: err.Error()})
		return
	}
	writeJSON(w, qe.HTTPStatus(), jsonError{Error: qe.Message, Reason: qe.Reason})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
