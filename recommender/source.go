package recommender

import (
	"context"
	"errors"
	"fmt"
)

// Source reads Go runtime signals for many containers at once.
//
// Fetch returns an error only when nothing could be read at all; a signal
// that failed or had no data is recorded in Snapshot.Problems, so a partial
// answer is usable and says what it lacks.
type Source interface {
	Fetch(ctx context.Context, q Query) (*Snapshot, error)
}

// ErrNoData is matched (errors.Is) by every NoDataError.
var ErrNoData = errors.New("no data")

// NoDataError says that a source answered but had no usable data for a
// signal. It is the explicit "no data" outcome: never replaced by a zero.
type NoDataError struct {
	Signal Signal
	// Where names what was asked: a PromQL query, a scrape target, a trace file.
	Where string
	// Reason says why there was nothing, e.g. which metric is missing.
	Reason string
}

func (e *NoDataError) Error() string {
	return fmt.Sprintf("no data for %s from %s: %s", e.Signal, e.Where, e.Reason)
}

// Is makes errors.Is(err, ErrNoData) true.
func (e *NoDataError) Is(target error) bool { return target == ErrNoData }
