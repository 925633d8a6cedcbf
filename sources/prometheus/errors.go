package prometheus

import (
	"context"
	"errors"
	"fmt"
	"net"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/pacerdev/pacer/recommender"
)

// ErrorKind classifies why a query failed.
type ErrorKind string

// Kinds of query failure.
const (
	// KindUnreachable: the server could not be reached (DNS, connection refused, TLS).
	KindUnreachable ErrorKind = "unreachable"
	// KindTimeout: the query did not finish within its timeout.
	KindTimeout ErrorKind = "timeout"
	// KindHTTP: the server answered with an HTTP error status and no API error.
	KindHTTP ErrorKind = "http_status"
	// KindBadQuery: the server rejected the PromQL or failed to execute it.
	KindBadQuery ErrorKind = "bad_query"
	// KindBadResponse: the answer could not be used (malformed, wrong type,
	// duplicate or unlabeled series).
	KindBadResponse ErrorKind = "bad_response"
	// KindPartial: the server answered with warnings that the data may be
	// incomplete (a store unreachable, a limit hit); the answer is refused.
	KindPartial ErrorKind = "partial_response"
)

// QueryError says which query failed, how, and why.
type QueryError struct {
	Signal recommender.Signal
	Query  string
	Kind   ErrorKind
	Err    error
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("query for %s failed (%s): %v; query: %s", e.Signal, e.Kind, e.Err, e.Query)
}

func (e *QueryError) Unwrap() error { return e.Err }

// classify maps an error from the Prometheus client to a kind.
func classify(ctx context.Context, err error) ErrorKind {
	var apiErr *v1.Error
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return KindTimeout
	case errors.As(err, &apiErr):
		switch apiErr.Type {
		case v1.ErrBadData, v1.ErrExec:
			return KindBadQuery
		case v1.ErrTimeout, v1.ErrCanceled:
			return KindTimeout
		case v1.ErrServer, v1.ErrClient:
			return KindHTTP
		default:
			return KindBadResponse
		}
	case errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	default:
		return KindUnreachable
	}
}
