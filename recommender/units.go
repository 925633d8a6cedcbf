package recommender

import (
	"fmt"
	"math"
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
