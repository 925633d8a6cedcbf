package recommender

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestGOMEMLIMITBounds(t *testing.T) {
	for _, bad := range []string{"9223372036854775808", "8388608TiB", "18446744073709551615B", "9007199254740992KiB"} {
		if v, err := ParseGOMEMLIMIT(bad); err == nil || !strings.Contains(err.Error(), strconv.Quote(bad)) {
			t.Errorf("ParseGOMEMLIMIT(%q) = %v, %v; want an error naming the value", bad, v, err)
		}
	}
	if v, err := ParseGOMEMLIMIT("9223372036854775807"); err != nil || v != math.MaxInt64 {
		t.Errorf("the largest limit the runtime reads: %v, %v", v, err)
	}
	for in, want := range map[float64]string{math.NaN(): "0", -5: "0", math.Inf(1): "9223372036854775807", 1e300: "9223372036854775807", 1.9: "1"} {
		if got := FormatGOMEMLIMIT(in); got != want {
			t.Errorf("FormatGOMEMLIMIT(%v) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseGOMEMLIMIT: any string is either refused with an error that
// quotes it, or read as a whole byte count the runtime accepts, which
// FormatGOMEMLIMIT writes back to the same count; whatever Format writes,
// Parse reads.
func FuzzParseGOMEMLIMIT(f *testing.F) {
	for _, s := range []string{"off", "0", "123", "512B", "64KiB", "100MiB", "2GiB", "1TiB", "8388607TiB",
		"9223372036854775807", "9223372036854775808", "-1", "1.5GiB", "1GB", "GiB", " 1", "1\n", "0x10", "1_000"} {
		f.Add(s, 0.0)
	}
	f.Add("", 1.5e9)
	f.Add("", math.Inf(1))
	f.Fuzz(func(t *testing.T, s string, bytes float64) {
		v, err := ParseGOMEMLIMIT(s)
		switch {
		case err != nil:
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("ParseGOMEMLIMIT(%q): error %q does not quote the value", s, err)
			}
		case v < 0 || v > math.MaxInt64 || v != math.Trunc(v):
			t.Fatalf("ParseGOMEMLIMIT(%q) = %v, not a byte count the runtime reads", s, v)
		default:
			// Counts above 2^53 are not exact in a float64; compare the text's reading.
			text := FormatGOMEMLIMIT(v)
			back, err := ParseGOMEMLIMIT(text)
			if err != nil || back != v && v <= 1<<53 {
				t.Fatalf("ParseGOMEMLIMIT(%q) = %v; written as %q, it reads back as %v, %v", s, v, text, back, err)
			}
		}
		text := FormatGOMEMLIMIT(bytes)
		back, err := ParseGOMEMLIMIT(text)
		if err != nil {
			t.Fatalf("FormatGOMEMLIMIT(%v) = %q, which does not parse: %v", bytes, text, err)
		}
		if bytes >= 0 && bytes < 1<<53 && back != math.Trunc(bytes) {
			t.Fatalf("FormatGOMEMLIMIT(%v) = %q reads back as %v", bytes, text, back)
		}
	})
}
