package external

import "net/http"

// Reason says why a query has no fresh value.
type Reason string

// Reasons a query fails; each maps to one HTTP status.
const (
	// ReasonBadRequest: the namespace or label selector does not name
	// exactly one workload (400).
	ReasonBadRequest Reason = "bad_request"
	// ReasonUnknownMetric: pacer serves no metric of that name (404).
	ReasonUnknownMetric Reason = "unknown_metric"
	// ReasonNoData: pacer has no value for the workload: it has not
	// recommended for it yet, the workload exports no such signal, or its
	// mode is off (404). Never served as 0.
	ReasonNoData Reason = "no_data"
	// ReasonStale: the newest value is older than the staleness limit and
	// no fallback applies (503): an HPA keeps its replicas.
	ReasonStale Reason = "stale"
)

// QueryError says why a query has no fresh value, in words for the person
// who wrote the HPA.
type QueryError struct {
	Reason  Reason
	Message string
}

func (e *QueryError) Error() string { return e.Message }

// HTTPStatus is the status code the error is served with.
func (e *QueryError) HTTPStatus() int {
	switch e.Reason {
	case ReasonBadRequest:
		return http.StatusBadRequest
	case ReasonUnknownMetric, ReasonNoData:
		return http.StatusNotFound
	default:
		return http.StatusServiceUnavailable
	}
}
