package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Requests and limits are written as Kubernetes quantities rounded up to
// whole millicores and MiB, and GOMEMLIMIT rounded down to whole MiB, so
// that what a person reads is what the patch applies and GOMEMLIMIT stays
// below the limit.

const bytesPerMiB = 1 << 20

// epsilon absorbs float error before rounding up: 0.25 cores × 1000 is
// 250.00000000000003, which must be 250m, not 251m.
const epsilon = 1e-6

func milliCores(cores float64) int64 { return int64(math.Ceil(cores*1000 - epsilon)) }

func mebibytes(bytes float64) int64 { return int64(math.Ceil(bytes/bytesPerMiB - epsilon)) }

// cpuQuantity is the Kubernetes quantity of a CPU request or limit: "250m", "2".
func cpuQuantity(cores float64) string {
	return resource.NewMilliQuantity(milliCores(cores), resource.DecimalSI).String()
}

// memoryQuantity is the Kubernetes quantity of a memory request or limit,
// in whole MiB: "512Mi", "1Gi".
func memoryQuantity(bytes float64) string {
	return resource.NewQuantity(mebibytes(bytes)*bytesPerMiB, resource.BinarySI).String()
}

// gomemlimitValue is a GOMEMLIMIT setting as Go reads it: whole MiB, or
// bytes below one MiB.
func gomemlimitValue(bytes float64) string {
	if mib := int64(bytes / bytesPerMiB); mib > 0 {
		return strconv.FormatInt(mib, 10) + "MiB"
	}
	return strconv.FormatInt(int64(bytes), 10)
}

// formatCPU renders cores compactly for people: "250m", "1.5".
func formatCPU(cores float64) string {
	if cores == 0 {
		return "0"
	}
	m := milliCores(cores)
	if m < 1000 {
		return strconv.FormatInt(m, 10) + "m"
	}
	return strconv.FormatFloat(float64(m)/1000, 'f', -1, 64)
}

// formatMemory renders bytes compactly for people, rounded up like
// memoryQuantity below 1Gi: "900Ki", "512Mi", "1.5Gi".
func formatMemory(bytes float64) string {
	switch mib := mebibytes(bytes); {
	case bytes == 0:
		return "0"
	case bytes < bytesPerMiB:
		return strconv.FormatInt(int64(math.Ceil(bytes/1024-epsilon)), 10) + "Ki"
	case mib < 1024:
		return strconv.FormatInt(mib, 10) + "Mi"
	default:
		return trimZeros(fmt.Sprintf("%.2f", float64(mib)/1024)) + "Gi"
	}
}

// formatGOMEMLIMIT renders GOMEMLIMIT rounded down, as the patch writes it.
func formatGOMEMLIMIT(bytes float64) string {
	if mib := int64(bytes / bytesPerMiB); mib > 0 {
		return formatMemory(float64(mib) * bytesPerMiB)
	}
	return formatMemory(bytes)
}

// signedCores renders a CPU delta: "-1.25 cores".
func signedCores(v float64) string {
	return signed(v, 3) + " cores"
}

// signedGiB renders a memory delta in GiB: "+0.5 GiB".
func signedGiB(bytes float64) string {
	return signed(bytes/bytesPerGiB, 3) + " GiB"
}

// signedMoney renders a cost delta: "-45.12 USD".
func signedMoney(v float64, currency string) string {
	return fmt.Sprintf("%+.2f %s", v, currency)
}

func money(v float64, currency string) string {
	return fmt.Sprintf("%.2f %s", v, currency)
}

func signed(v float64, decimals int) string {
	s := trimZeros(strconv.FormatFloat(v, 'f', decimals, 64))
	switch {
	case s == "0" || s == "-0":
		return "±0"
	case strings.HasPrefix(s, "-"):
		return s
	}
	return "+" + s
}

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// formatCount renders a count or a rate for people: "12", "1.5", "3.2k".
func formatCount(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return trimZeros(fmt.Sprintf("%.1f", v/1e6)) + "M"
	case a >= 1e4:
		return trimZeros(fmt.Sprintf("%.1f", v/1e3)) + "k"
	case a >= 10 || a == 0:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	return trimZeros(fmt.Sprintf("%.2f", v))
}
