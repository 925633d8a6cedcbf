package report

import (
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

func TestQuantities(t *testing.T) {
	for _, tt := range []struct {
		cores      float64
		quantity   string
		forReaders string
	}{
		{0.25, "250m", "250m"},
		{0.07167, "72m", "72m"},
		{1, "1", "1"},
		{1.5, "1500m", "1.5"},
		{12, "12", "12"},
		{0.0001, "1m", "1m"},
	} {
		if got := cpuQuantity(tt.cores); got != tt.quantity {
			t.Errorf("cpuQuantity(%g) = %q, want %q", tt.cores, got, tt.quantity)
		}
		if got := formatCPU(tt.cores); got != tt.forReaders {
			t.Errorf("formatCPU(%g) = %q, want %q", tt.cores, got, tt.forReaders)
		}
	}
	for _, tt := range []struct {
		bytes                            float64
		quantity, forReaders, gomemlimit string
	}{
		{512 << 20, "512Mi", "512Mi", "512MiB"},
		{1 << 30, "1Gi", "1Gi", "1024MiB"},
		{1.5 * (1 << 30), "1536Mi", "1.5Gi", "1536MiB"},
		{32<<20 + 4096, "33Mi", "33Mi", "32MiB"}, // limits round up, GOMEMLIMIT down: it stays below the limit
		{0.9 * (256 << 20), "231Mi", "231Mi", "230MiB"},
		{900 << 10, "1Mi", "900Ki", "921600"},
	} {
		if got := memoryQuantity(tt.bytes); got != tt.quantity {
			t.Errorf("memoryQuantity(%g) = %q, want %q", tt.bytes, got, tt.quantity)
		}
		if got := formatMemory(tt.bytes); got != tt.forReaders {
			t.Errorf("formatMemory(%g) = %q, want %q", tt.bytes, got, tt.forReaders)
		}
		if got := gomemlimitValue(tt.bytes); got != tt.gomemlimit {
			t.Errorf("gomemlimitValue(%g) = %q, want %q", tt.bytes, got, tt.gomemlimit)
		}
	}
}

func TestSigned(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{
		{-0.5, "-0.5 cores"}, {1.25, "+1.25 cores"}, {0, "±0 cores"}, {-0.0001, "±0 cores"}, {0.0285, "+0.029 cores"},
	} {
		if got := signedCores(tt.v); got != tt.want {
			t.Errorf("signedCores(%g) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestSummarizeSignalDownsamples(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(24 * time.Hour)
	var samples []recommender.Sample
	for at := start; !at.After(end); at = at.Add(15 * time.Second) {
		samples = append(samples, recommender.Sample{At: at, Value: float64(at.Sub(start) / time.Minute)})
	}
	u := summarizeSignal([]recommender.Series{{Samples: samples}}, start, end)
	if u.Samples != len(samples) {
		t.Errorf("%d samples, want %d", u.Samples, len(samples))
	}
	if len(u.Points) != MaxPoints {
		t.Fatalf("%d points, want %d", len(u.Points), MaxPoints)
	}
	// 24h in 120 buckets of 12m: the first holds minutes 0..11.75.
	if p := u.Points[0]; !p.At.Equal(start) || p.Max != 11 || p.Mean != 5.5 {
		t.Errorf("first point %+v, want at the start, max 11, mean 5.5", p)
	}
	if last := u.Points[MaxPoints-1]; last.Max != 24*60 {
		t.Errorf("last point %+v, want the sample at the end in it", last)
	}
	if u.Max != 24*60 || u.P50 != 12*60 {
		t.Errorf("max %g, P50 %g; want 1440 and 720", u.Max, u.P50)
	}
}

func TestPercentileInterpolates(t *testing.T) {
	sorted := []float64{1, 2, 3, 4, 5}
	for _, tt := range []struct{ p, want float64 }{{0, 1}, {0.5, 3}, {0.95, 4.8}, {1, 5}} {
		if got := percentile(sorted, tt.p); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("percentile(%g) = %g, want %g", tt.p, got, tt.want)
		}
	}
	if got := percentile([]float64{7}, 0.95); got != 7 {
		t.Errorf("percentile of one value = %g, want 7", got)
	}
}

func TestSamplesOutsideTheWindowAndNaNAreLeftOut(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	samples := []recommender.Sample{
		{At: start.Add(-time.Minute), Value: 100},
		{At: start, Value: 1},
		{At: start.Add(time.Minute), Value: nan()},
		{At: start.Add(2 * time.Minute), Value: 3},
		{At: start.Add(time.Hour), Value: 100},
	}
	u := summarizeSignal([]recommender.Series{{Samples: samples}}, start, start.Add(10*time.Minute))
	if u.Samples != 2 || u.Max != 3 {
		t.Errorf("%d samples, max %g; want 2 and 3", u.Samples, u.Max)
	}
	if summarizeSignal([]recommender.Series{{Samples: samples[:1]}}, start, start.Add(time.Minute)) != nil {
		t.Error("a signal without samples in the window has usage")
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

func TestPrintableEscapesControlCharacters(t *testing.T) {
	if got := printable("app\x1b[2J\nx"); got != `app\x1b[2J\nx` {
		t.Errorf("printable = %q", got)
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		20 * time.Minute: "20m", 90 * time.Minute: "1h30m", time.Hour: "1h", 45 * time.Second: "45s", 90 * time.Second: "1m30s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
