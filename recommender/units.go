package recommender

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// FormatBytes renders a byte count for people in the binary units of
// Kubernetes quantities: 512B, 64.0Ki, 17.5Mi, 1.5Gi.
func FormatBytes(v float64) string {
	units := []string{"", "Ki", "Mi", "Gi", "Ti", "Pi"}
	i := 0
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0fB", v)
	}
	return fmt.Sprintf("%.1f%s", v, units[i])
}

// ParseGOMEMLIMIT reads GOMEMLIMIT as the Go runtime does: a byte count
// with an optional B, KiB, MiB, GiB or TiB suffix, or "off" (returned as 0,
// no limit). Like the runtime, it refuses a limit that does not fit in an
// int64: the runtime would fail to start with it, so pacer must not take it
// for a real setting.
func ParseGOMEMLIMIT(s string) (float64, error) {
	if s == "off" {
		return 0, nil
	}
	units := []struct {
		suffix string
		factor uint64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	factor, number := uint64(1), s
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			factor, number = u.factor, n
			break
		}
	}
	v, err := strconv.ParseUint(number, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("GOMEMLIMIT %q: want a byte count with an optional B, KiB, MiB, GiB or TiB suffix, or off", s)
	}
	if v > math.MaxInt64/factor {
		return 0, fmt.Errorf("GOMEMLIMIT %q: more than %d bytes, which the Go runtime refuses", s, int64(math.MaxInt64))
	}
	return float64(v * factor), nil
}

// FormatGOMEMLIMIT writes a byte count the way the Go runtime reads it, in
// the largest binary unit that divides it. The count is truncated to whole
// bytes; NaN and negative counts are written as 0 and counts past the
// largest limit the runtime reads as that limit, so the text is always one
// the runtime accepts.
func FormatGOMEMLIMIT(bytes float64) string {
	var v uint64
	switch {
	case bytes >= math.MaxInt64: // float64(MaxInt64) is 2^63, one past it
		v = math.MaxInt64
	case bytes > 0:
		v = uint64(bytes)
	}
	for _, u := range []struct {
		suffix string
		factor uint64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v >= u.factor && v%u.factor == 0 {
			return strconv.FormatUint(v/u.factor, 10) + u.suffix
		}
	}
	return strconv.FormatUint(v, 10)
}
