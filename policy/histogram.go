package policy

import (
	"fmt"
	"math"
	"reflect"
	"time"
)

const (
	// maxHistogramBuckets bounds the bucket count HistogramOptions may imply,
	// so that a histogram touching every bucket still stays small (40 KiB).
	maxHistogramBuckets = 10_000
	// histogramRenormalizeExponent: when a new sample's weight factor
	// 2^((at-ref)/halfLife) would exceed 2^histogramRenormalizeExponent, the
	// reference time moves to the sample's time and all weights are rescaled.
	histogramRenormalizeExponent = 40
	// maxHistogramSampleWeight is the largest weight Add accepts; with the
	// renormalization bound it keeps float32 bucket weights far from overflow.
	maxHistogramSampleWeight = 1e20
	// float32Bytes is the size of one stored bucket weight.
	float32Bytes = 4
)

// HistogramOptions shape a DecayingHistogram. Bucket i covers
// [start(i), start(i+1)) with start(i) = First·(Ratio^i − 1)/(Ratio − 1), so
// bucket 0 is [0, First) and each bucket is Ratio times wider than the one
// before. The bucket holding Max is the last one and takes every larger value.
type HistogramOptions struct {
	First    float64       // upper bound of the first bucket, > 0 (e.g. 0.001 cores or 1 MiB)
	Ratio    float64       // each bucket is Ratio times wider than the previous, > 1 (e.g. 1.05)
	Max      float64       // values at or above go to the last bucket; > First
	HalfLife time.Duration // a sample's weight halves every HalfLife; 0 = no decay
}

// Validate says which field is wrong and why, or returns nil.
func (o HistogramOptions) Validate() error {
	switch {
	case !(o.First > 0) || math.IsInf(o.First, 1):
		return fmt.Errorf("histogram First is %v, want a finite value > 0", o.First)
	case !(o.Ratio > 1) || math.IsInf(o.Ratio, 1):
		return fmt.Errorf("histogram Ratio is %v, want a finite value > 1", o.Ratio)
	case !(o.Max > o.First) || math.IsInf(o.Max, 1):
		return fmt.Errorf("histogram Max is %v, want a finite value > First (%v)", o.Max, o.First)
	case o.HalfLife < 0:
		return fmt.Errorf("histogram HalfLife is %s, want >= 0 (0 means no decay)", o.HalfLife)
	}
	if n := math.Log(o.Max*(o.Ratio-1)/o.First+1) / math.Log(o.Ratio); !(n < maxHistogramBuckets) {
		return fmt.Errorf("histogram First %v, Ratio %v and Max %v make %.0f buckets, want at most %d: raise First or Ratio, or lower Max",
			o.First, o.Ratio, o.Max, math.Ceil(n), maxHistogramBuckets)
	}
	return nil
}

// bucketStart returns the lower bound of bucket i (the upper bound of i−1).
func (o HistogramOptions) bucketStart(i int) float64 {
	if i <= 0 {
		return 0
	}
	return o.First * (math.Pow(o.Ratio, float64(i)) - 1) / (o.Ratio - 1)
}

// expBucket returns the index of the exponential bucket holding the finite
// value v >= 0, ignoring Max. The logarithm gives the index; the two loops
// correct rounding so that the result agrees with bucketStart exactly.
func (o HistogramOptions) expBucket(v float64) int {
	if v < o.First {
		return 0
	}
	i := int(math.Log(v*(o.Ratio-1)/o.First+1) / math.Log(o.Ratio))
	for i > 0 && v < o.bucketStart(i) {
		i--
	}
	for v >= o.bucketStart(i+1) {
		i++
	}
	return i
}

// DecayingHistogram is an exponentially decaying histogram with exponential
// buckets, updated incrementally as VPA's recommender does. Weights are
// stored relative to a reference time (weight × 2^((at−ref)/HalfLife)), so
// Add is O(1) and decay never walks the history; when that factor would pass
// 2^40 the reference moves forward and the weights are rescaled once.
//
// Storage is sparse: float32 weights are kept only for the contiguous range
// of buckets touched so far, so a signal spanning a factor of 10 with
// Ratio 1.05 holds about 50 buckets. A DecayingHistogram is not safe for
// concurrent use.
type DecayingHistogram struct {
	opts            HistogramOptions
	lastBucket      int     // index of the bucket holding opts.Max
	halfLifeSeconds float64 // 0 means no decay
	ref             time.Time
	hasRef          bool
	lo              int       // bucket index of weights[0]
	weights         []float32 // buckets lo .. lo+len(weights)-1, relative to ref
	total           float64   // sum of the stored weights, relative to ref
}

// NewDecayingHistogram returns an empty histogram, or an error if o is invalid.
func NewDecayingHistogram(o HistogramOptions) (*DecayingHistogram, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("new decaying histogram: %w", err)
	}
	return &DecayingHistogram{
		opts:            o,
		lastBucket:      o.expBucket(o.Max),
		halfLifeSeconds: o.HalfLife.Seconds(),
	}, nil
}

// Add records value with weight at time at. A negative value counts as 0, a
// value at or above Max goes to the last bucket, and a NaN value is ignored.
// A weight that is <= 0, not finite or above 1e20 is ignored. Samples may
// arrive out of time order; an older sample simply weighs less.
func (h *DecayingHistogram) Add(value, weight float64, at time.Time) {
	if math.IsNaN(value) || !(weight > 0) || !(weight <= maxHistogramSampleWeight) {
		return
	}
	stored := weight * h.weightFactor(at)
	if float32(stored) == 0 {
		return // too old to register next to the reference
	}
	i := h.lastBucket
	if value < h.opts.Max {
		i = h.opts.expBucket(max(value, 0))
	}
	h.cover(i)
	h.weights[i-h.lo] += float32(stored)
	h.total += stored
}

// weightFactor returns 2^((at−ref)/halfLife), first moving the reference to
// at if the factor would exceed 2^histogramRenormalizeExponent.
func (h *DecayingHistogram) weightFactor(at time.Time) float64 {
	if h.halfLifeSeconds == 0 {
		return 1
	}
	if !h.hasRef {
		h.ref, h.hasRef = at, true
	}
	exponent := at.Sub(h.ref).Seconds() / h.halfLifeSeconds
	if exponent > histogramRenormalizeExponent {
		h.rescale(math.Exp2(-exponent))
		h.ref = at
		exponent = 0
	}
	return math.Exp2(exponent)
}

// rescale multiplies every stored weight by scale and drops buckets at
// either end whose weight underflowed to zero.
func (h *DecayingHistogram) rescale(scale float64) {
	first, last := -1, -1
	for k, w := range h.weights {
		h.weights[k] = float32(float64(w) * scale)
		if h.weights[k] > 0 {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	h.total *= scale
	switch {
	case first < 0:
		h.weights, h.lo, h.total = nil, 0, 0
	case first > 0 || last < len(h.weights)-1:
		trimmed := make([]float32, last-first+1)
		copy(trimmed, h.weights[first:last+1])
		h.weights, h.lo = trimmed, h.lo+first
	}
}

// cover grows the stored range, at either end, to include bucket i.
func (h *DecayingHistogram) cover(i int) {
	if len(h.weights) == 0 {
		h.weights, h.lo = make([]float32, 1), i
		return
	}
	hi := h.lo + len(h.weights) - 1
	if i >= h.lo && i <= hi {
		return
	}
	lo := min(h.lo, i)
	grown := make([]float32, max(hi, i)-lo+1)
	copy(grown[h.lo-lo:], h.weights)
	h.weights, h.lo = grown, lo
}

// Percentile returns the upper bound of the first bucket at which the
// cumulative weight reaches p (0 <= p <= 1) of the total weight. Buckets
// without weight are skipped, so p = 0 gives the upper bound of the lowest
// bucket holding any weight and p = 1 that of the highest (even when its
// weight is too small to change the float64 total). A value in the last bucket is reported as that
// bucket's upper bound even when it exceeds it: the histogram saturates
// there. ok is false when the histogram is empty or p is outside [0, 1].
// Decay scales all weights alike, so the answer does not depend on the time.
func (h *DecayingHistogram) Percentile(p float64) (float64, bool) {
	if !(p >= 0 && p <= 1) {
		return 0, false
	}
	var total float64
	for _, w := range h.weights {
		total += float64(w)
	}
	if !(total > 0) {
		return 0, false
	}
	threshold := p * total
	var cumulative float64
	last := 0
	for k, w := range h.weights {
		if w <= 0 {
			continue
		}
		cumulative += float64(w)
		last = k
		if cumulative >= threshold && p < 1 {
			break // p = 1 goes on to the top bucket, however small its weight
		}
	}
	return h.opts.bucketStart(h.lo + last + 1), true
}

// TotalWeight returns the sum of all sample weights, each decayed from the
// time it was added to at.
func (h *DecayingHistogram) TotalWeight(at time.Time) float64 {
	if h.halfLifeSeconds == 0 || h.total == 0 {
		return h.total
	}
	return h.total * math.Exp2(-at.Sub(h.ref).Seconds()/h.halfLifeSeconds)
}

// Empty reports whether the histogram holds no weight: nothing was added, or
// everything added has decayed below what float32 can hold.
func (h *DecayingHistogram) Empty() bool {
	for _, w := range h.weights {
		if w > 0 {
			return false
		}
	}
	return true
}

// SizeBytes returns the approximate heap bytes the histogram holds: the
// struct and its bucket weights.
func (h *DecayingHistogram) SizeBytes() int {
	return int(reflect.TypeFor[DecayingHistogram]().Size()) + cap(h.weights)*float32Bytes
}

// Clone returns an independent copy of the histogram.
func (h *DecayingHistogram) Clone() *DecayingHistogram {
	c := *h
	c.weights = append([]float32(nil), h.weights...)
	return &c
}
