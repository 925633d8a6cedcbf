package policy

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// cpuHistogramOptions are VPA-like options for CPU cores.
var cpuHistogramOptions = HistogramOptions{First: 0.001, Ratio: 1.05, Max: 1000, HalfLife: 24 * time.Hour}

func newTestHistogram(t testing.TB, o HistogramOptions) *DecayingHistogram {
	t.Helper()
	h, err := NewDecayingHistogram(o)
	if err != nil {
		t.Fatalf("NewDecayingHistogram(%+v): %v", o, err)
	}
	return h
}

func TestHistogramOptionsValidate(t *testing.T) {
	ok := HistogramOptions{First: 1, Ratio: 2, Max: 100, HalfLife: time.Hour}
	with := func(f func(*HistogramOptions)) HistogramOptions { o := ok; f(&o); return o }
	tests := []struct {
		name    string
		opts    HistogramOptions
		wantErr string // substring; "" means valid
	}{
		{name: "valid", opts: ok},
		{name: "valid without decay", opts: with(func(o *HistogramOptions) { o.HalfLife = 0 })},
		{name: "valid VPA CPU", opts: cpuHistogramOptions},
		{name: "valid VPA memory", opts: HistogramOptions{First: 1 << 20, Ratio: 1.05, Max: 1 << 40}},
		{name: "First zero", opts: with(func(o *HistogramOptions) { o.First = 0 }), wantErr: "First"},
		{name: "First negative", opts: with(func(o *HistogramOptions) { o.First = -1 }), wantErr: "First"},
		{name: "First NaN", opts: with(func(o *HistogramOptions) { o.First = math.NaN() }), wantErr: "First"},
		{name: "First Inf", opts: with(func(o *HistogramOptions) { o.First = math.Inf(1) }), wantErr: "First"},
		{name: "Ratio one", opts: with(func(o *HistogramOptions) { o.Ratio = 1 }), wantErr: "Ratio"},
		{name: "Ratio below one", opts: with(func(o *HistogramOptions) { o.Ratio = 0.5 }), wantErr: "Ratio"},
		{name: "Ratio Inf", opts: with(func(o *HistogramOptions) { o.Ratio = math.Inf(1) }), wantErr: "Ratio"},
		{name: "Max equal First", opts: with(func(o *HistogramOptions) { o.Max = 1 }), wantErr: "Max"},
		{name: "Max below First", opts: with(func(o *HistogramOptions) { o.Max = 0.5 }), wantErr: "Max"},
		{name: "Max Inf", opts: with(func(o *HistogramOptions) { o.Max = math.Inf(1) }), wantErr: "Max"},
		{name: "HalfLife negative", opts: with(func(o *HistogramOptions) { o.HalfLife = -time.Second }), wantErr: "HalfLife"},
		{name: "too many buckets", opts: HistogramOptions{First: 1e-9, Ratio: 1.0001, Max: 1e9}, wantErr: "buckets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want an error about %s", err, tt.wantErr)
			}
			if _, err := NewDecayingHistogram(tt.opts); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewDecayingHistogram() = %v, want an error about %s", err, tt.wantErr)
			}
		})
	}
}

func TestDecayingHistogramSingleValues(t *testing.T) {
	// First 1, Ratio 2: buckets [0,1) [1,3) [3,7) [7,15) [15,31) [31,63) [63,127)
	// ...; Max 100 lies in [63,127), the last bucket.
	opts := HistogramOptions{First: 1, Ratio: 2, Max: 100}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value float64
		want  float64 // upper bound of the bucket
	}{
		{name: "zero", value: 0, want: 1},
		{name: "negative counts as zero", value: -5, want: 1},
		{name: "below First", value: 0.5, want: 1},
		{name: "exactly First starts bucket 1", value: 1, want: 3},
		{name: "inside bucket 2", value: 4, want: 7},
		{name: "just below a boundary", value: 6.999999, want: 7},
		{name: "exactly a boundary", value: 7, want: 15},
		{name: "below Max in the last bucket", value: 70, want: 127},
		{name: "Max", value: 100, want: 127},
		{name: "far above Max saturates", value: 1e12, want: 127},
		{name: "+Inf saturates", value: math.Inf(1), want: 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHistogram(t, opts)
			h.Add(tt.value, 1, at)
			for _, p := range []float64{0, 0.5, 1} {
				if got, ok := h.Percentile(p); !ok || got != tt.want {
					t.Errorf("after Add(%v): Percentile(%v) = %v, %v; want %v, true", tt.value, p, got, ok, tt.want)
				}
			}
		})
	}
}

func TestDecayingHistogramIgnoredSamples(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		value, weight float64
	}{
		{name: "NaN value", value: math.NaN(), weight: 1},
		{name: "zero weight", value: 1, weight: 0},
		{name: "negative weight", value: 1, weight: -1},
		{name: "NaN weight", value: 1, weight: math.NaN()},
		{name: "Inf weight", value: 1, weight: math.Inf(1)},
		{name: "huge weight", value: 1, weight: 1e21},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHistogram(t, cpuHistogramOptions)
			h.Add(tt.value, tt.weight, at)
			if !h.Empty() {
				t.Errorf("Add(%v, %v) was not ignored", tt.value, tt.weight)
			}
			if got := h.TotalWeight(at); got != 0 {
				t.Errorf("TotalWeight = %v, want 0", got)
			}
			if got, ok := h.Percentile(0.5); ok {
				t.Errorf("Percentile(0.5) on an empty histogram = %v, true", got)
			}
		})
	}
}

func TestDecayingHistogramPercentileArgs(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newTestHistogram(t, HistogramOptions{First: 1, Ratio: 2, Max: 100})
	if !h.Empty() {
		t.Fatal("new histogram is not empty")
	}
	if _, ok := h.Percentile(0.5); ok {
		t.Fatal("Percentile of an empty histogram is ok")
	}
	h.Add(0.5, 1, at) // bucket [0,1)
	h.Add(4, 2, at)   // bucket [3,7)
	h.Add(20, 1, at)  // bucket [15,31)
	tests := []struct {
		p      float64
		want   float64
		wantOK bool
	}{
		{p: -0.1}, {p: 1.1}, {p: math.NaN()},
		{p: 0, want: 1, wantOK: true},
		{p: 0.25, want: 1, wantOK: true},
		{p: 0.26, want: 7, wantOK: true},
		{p: 0.75, want: 7, wantOK: true},
		{p: 0.76, want: 31, wantOK: true},
		{p: 1, want: 31, wantOK: true},
	}
	for _, tt := range tests {
		if got, ok := h.Percentile(tt.p); ok != tt.wantOK || got != tt.want {
			t.Errorf("Percentile(%v) = %v, %v; want %v, %v", tt.p, got, ok, tt.want, tt.wantOK)
		}
	}
	if got := h.TotalWeight(at.Add(1000 * time.Hour)); got != 4 {
		t.Errorf("TotalWeight without decay = %v, want 4", got)
	}
}

func TestDecayingHistogramDecay(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	halfLife := time.Hour
	h := newTestHistogram(t, HistogramOptions{First: 1, Ratio: 2, Max: 100, HalfLife: halfLife})
	h.Add(0.5, 1, t0)               // bucket [0,1), weight 0.5 at t0+1h
	h.Add(4, 0.9, t0.Add(halfLife)) // bucket [3,7), weight 0.9
	for _, tt := range []struct {
		at   time.Time
		want float64
	}{
		{at: t0, want: 1 + 1.8},
		{at: t0.Add(halfLife), want: 1.4},
		{at: t0.Add(3 * halfLife), want: 0.35},
	} {
		if got := h.TotalWeight(tt.at); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("TotalWeight(%s) = %v, want %v", tt.at.Sub(t0), got, tt.want)
		}
	}
	// 0.5 of 1.4 is reached only in the second bucket; without decay the
	// first bucket (weight 1 of 1.9) would hold the median.
	if got, _ := h.Percentile(0.5); got != 7 {
		t.Errorf("Percentile(0.5) = %v, want 7", got)
	}
	if got, _ := h.Percentile(0.35); got != 1 {
		t.Errorf("Percentile(0.35) = %v, want 1", got)
	}
}

// TestDecayingHistogramRenormalizes adds one sample per half-life for 1000
// half-lives, far past the 2^40 reference shift and the float32 range
// (2^128): the total weight must stay the geometric sum, the two buckets in
// use must keep their relative weights (4/3 and 2/3), and the first, high
// sample must be dropped once its weight underflows.
func TestDecayingHistogramRenormalizes(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newTestHistogram(t, HistogramOptions{First: 1, Ratio: 2, Max: 1e6, HalfLife: time.Minute})
	var at time.Time
	for i := range 1000 {
		at = t0.Add(time.Duration(i) * time.Minute)
		switch {
		case i == 0:
			h.Add(1e5, 1, at)
		case i%2 == 0:
			h.Add(0, 1, at) // bucket [0,1)
		default:
			h.Add(10, 1, at) // bucket [7,15), the last sample's
		}
	}
	if got := h.TotalWeight(at); math.Abs(got-2) > 1e-9 {
		t.Errorf("TotalWeight after 1000 half-lives = %v, want 2 (1 + 1/2 + 1/4 + ...)", got)
	}
	for _, w := range h.weights {
		if math.IsInf(float64(w), 0) || math.IsNaN(float64(w)) {
			t.Fatalf("stored weights overflowed: %v", h.weights)
		}
	}
	for _, tt := range []struct{ p, want float64 }{{0.33, 1}, {0.34, 15}, {1, 15}} {
		if got, ok := h.Percentile(tt.p); !ok || got != tt.want {
			t.Errorf("Percentile(%v) = %v, %v; want %v (the old high sample should have decayed away)", tt.p, got, ok, tt.want)
		}
	}
	if lo, n := h.lo, len(h.weights); lo != 0 || n != 4 {
		t.Errorf("buckets %d..%d kept, want 0..3 once the old high one underflowed", lo, lo+n-1)
	}
}

// TestHistogramBucketBoundaries: every bucket's lower bound lands in that
// bucket and the float64 just below it in the one before, despite the
// rounding of the logarithm that finds the bucket.
func TestHistogramBucketBoundaries(t *testing.T) {
	for _, o := range []HistogramOptions{
		cpuHistogramOptions,
		{First: 1 << 20, Ratio: 1.05, Max: 1 << 40},
		{First: 1, Ratio: 2, Max: 1e9},
		{First: 0.01, Ratio: 1.1, Max: 1e4},
	} {
		last := o.expBucket(o.Max)
		for i := 1; i <= last; i++ {
			start := o.bucketStart(i)
			if got := o.expBucket(start); got != i {
				t.Fatalf("%+v: bucket of %v (start of bucket %d) = %d", o, start, i, got)
			}
			if got := o.expBucket(math.Nextafter(start, 0)); got != i-1 {
				t.Fatalf("%+v: bucket of just below %v (start of bucket %d) = %d", o, start, i, got)
			}
		}
	}
}

// TestDecayingHistogramOutOfOrder: an older sample weighs less, wherever it
// arrives in the sequence.
func TestDecayingHistogramOutOfOrder(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	opts := HistogramOptions{First: 1, Ratio: 2, Max: 100, HalfLife: time.Hour}
	inOrder, reversed := newTestHistogram(t, opts), newTestHistogram(t, opts)
	inOrder.Add(4, 1, t0)
	inOrder.Add(20, 1, t0.Add(2*time.Hour))
	reversed.Add(20, 1, t0.Add(2*time.Hour))
	reversed.Add(4, 1, t0)
	end := t0.Add(2 * time.Hour)
	if a, b := inOrder.TotalWeight(end), reversed.TotalWeight(end); math.Abs(a-1.25) > 1e-12 || math.Abs(b-1.25) > 1e-12 {
		t.Errorf("TotalWeight = %v in order, %v reversed; want 1.25", a, b)
	}
	for _, p := range []float64{0, 0.2, 0.21, 1} {
		a, _ := inOrder.Percentile(p)
		b, _ := reversed.Percentile(p)
		if a != b {
			t.Errorf("Percentile(%v) = %v in order, %v reversed", p, a, b)
		}
	}
}

// batchBucketWeights is the reference the property test compares against,
// computed by bucket directly in float64: every sample gets its decayed
// weight 2^-(age/halfLife) explicitly and is put in its bucket, found by a
// linear scan of the bucket bounds. It returns the weight per bucket and the
// bucket bounds function.
func batchBucketWeights(o HistogramOptions, samples []histogramSample, now time.Time) ([]float64, func(int) float64) {
	start := func(i int) float64 { return o.First * (math.Pow(o.Ratio, float64(i)) - 1) / (o.Ratio - 1) }
	last := 0
	for start(last+1) <= o.Max {
		last++
	}
	weights := make([]float64, last+1)
	for _, s := range samples {
		i := 0
		for i < last && max(s.value, 0) >= start(i+1) {
			i++
		}
		w := s.weight
		if o.HalfLife > 0 {
			w *= math.Exp2(-now.Sub(s.at).Seconds() / o.HalfLife.Seconds())
		}
		weights[i] += w
	}
	return weights, start
}

// batchPercentile returns the upper bound of the first bucket where the
// cumulative weight reaches p of the total.
func batchPercentile(weights []float64, start func(int) float64, p float64) float64 {
	var total, cumulative float64
	for _, w := range weights {
		total += w
	}
	answer := 0
	for i, w := range weights {
		if w == 0 {
			continue
		}
		cumulative += w
		answer = i
		if cumulative >= p*total && p < 1 {
			break // in exact arithmetic, p = 1 is reached at the top bucket
		}
	}
	return start(answer + 1)
}

type histogramSample struct {
	value, weight float64
	at            time.Time
}

// TestDecayingHistogramMatchesBatch is the property test: over random
// options, values, weights and times (some out of order, spans up to 100
// half-lives), Percentile equals the batch computation and is
// monotonic in p. float32 storage may move a quantile that sits on a bucket
// boundary (to within 1e-5 of p); anything else is a failure.
func TestDecayingHistogramMatchesBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const cases, tolerance = 300, 1e-5
	exact, checks := 0, 0
	for c := range cases {
		o := HistogramOptions{
			First: []float64{0.001, 0.01, 1}[rng.IntN(3)],
			Ratio: []float64{1.05, 1.1, 1.5, 2}[rng.IntN(4)],
		}
		o.Max = o.First * math.Pow(10, 2+4*rng.Float64())
		if rng.IntN(4) > 0 {
			o.HalfLife = time.Duration(1+rng.IntN(120)) * time.Minute
		}
		h := newTestHistogram(t, o)
		// Values log-uniform over a random factor around a random level,
		// sometimes past Max or below zero.
		level, spread := o.First*math.Pow(10, 3*rng.Float64()), math.Pow(10, 2*rng.Float64())
		// Up to 100 half-lives: past the 2^40 reference shift, short of
		// float32 underflow (2^-149), where the histogram drops old buckets.
		samples := make([]histogramSample, 1+rng.IntN(400))
		unit := o.HalfLife
		if unit == 0 {
			unit = time.Hour
		}
		span := time.Duration(100 * rng.Float64() * float64(unit))
		step := span / time.Duration(len(samples))
		now := t0
		for i := range samples {
			at := t0.Add(time.Duration(i) * step)
			if rng.IntN(10) == 0 {
				at = at.Add(-time.Duration(rng.IntN(20)) * step) // out of order
			}
			s := histogramSample{value: level * math.Pow(spread, rng.Float64()), weight: 0.1 + 10*rng.Float64(), at: at}
			switch rng.IntN(50) {
			case 0:
				s.value = -s.value
			case 1:
				s.value = o.Max * 2
			}
			samples[i] = s
			h.Add(s.value, s.weight, s.at)
			if at.After(now) {
				now = at
			}
		}
		weights, start := batchBucketWeights(o, samples, now)
		ps := []float64{0, 1}
		for range 30 {
			ps = append(ps, rng.Float64())
		}
		slices.Sort(ps)
		prev := math.Inf(-1)
		for _, p := range ps {
			got, ok := h.Percentile(p)
			if !ok {
				t.Fatalf("case %d: Percentile(%v) not ok with %d samples", c, p, len(samples))
			}
			want := batchPercentile(weights, start, p)
			checks++
			if got == want {
				exact++
			} else {
				lo := batchPercentile(weights, start, max(p-tolerance, 0))
				hi := batchPercentile(weights, start, min(p+tolerance, 1))
				if got < lo || got > hi {
					t.Fatalf("case %d (%+v, %d samples over %s): Percentile(%v) = %v, batch computation %v",
						c, o, len(samples), now.Sub(t0), p, got, want)
				}
			}
			if got < prev {
				t.Fatalf("case %d: Percentile not monotonic: p=%v gives %v < %v", c, p, got, prev)
			}
			prev = got
		}
	}
	t.Logf("%d of %d percentiles equal the batch computation exactly; the rest are within %v of p", exact, checks, tolerance)
	if exact < checks*99/100 {
		t.Errorf("only %d of %d percentiles equal the batch computation exactly", exact, checks)
	}
}

// TestDecayingHistogramSizeBytes: a week of 1-minute CPU samples spanning a
// factor of 20 stays under 1 KiB, and Add does not allocate once the range
// of buckets is known.
func TestDecayingHistogramSizeBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newTestHistogram(t, cpuHistogramOptions)
	empty := h.SizeBytes()
	const samples = 7 * 24 * 60
	var at time.Time
	for i := range samples {
		at = t0.Add(time.Duration(i) * time.Minute)
		h.Add(0.1*math.Pow(20, rng.Float64()), 1, at) // 0.1 to 2 cores
	}
	size := h.SizeBytes()
	t.Logf("empty %d B; after %d samples spanning 20x: %d B, %d buckets", empty, samples, size, len(h.weights))
	if size >= 1024 {
		t.Errorf("SizeBytes() = %d, want under 1 KiB", size)
	}
	if want := int(math.Ceil(math.Log(20) / math.Log(1.05))); len(h.weights) > want+1 {
		t.Errorf("%d buckets stored, want about %d", len(h.weights), want)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		at = at.Add(time.Minute)
		h.Add(0.1*math.Pow(20, rng.Float64()), 1, at)
	})
	if allocs != 0 {
		t.Errorf("Add allocates %v times per call in steady state, want 0", allocs)
	}
}
