package policy

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Percentile returns the p-quantile (0 <= p <= 1) of values: the empirical
// quantile as gonum's stat.Quantile(p, stat.Empirical, sorted, nil) defines
// it, that is the smallest value v such that at least a fraction p of the
// values are <= v (p = 0 gives the minimum, p = 1 the maximum).
//
// NaN and ±Inf values are skipped. ok is false when no finite value remains
// or p is outside [0, 1]. values is not modified: Percentile sorts a copy.
func Percentile(values []float64, p float64) (v float64, ok bool) {
	if !(p >= 0 && p <= 1) {
		return 0, false
	}
	sorted := make([]float64, 0, len(values))
	for _, x := range values {
		if isFiniteFloat(x) {
			sorted = append(sorted, x)
		}
	}
	if len(sorted) == 0 {
		return 0, false
	}
	slices.Sort(sorted)
	return stat.Quantile(p, stat.Empirical, sorted, nil), true
}

// isFiniteFloat reports whether x is neither NaN nor ±Inf.
func isFiniteFloat(x float64) bool {
	return !math.IsNaN(x) && !math.IsInf(x, 0)
}
