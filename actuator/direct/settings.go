package direct

import (
	"math"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pacerdev/pacer/recommender"
)

// field is one setting of a container that pacer sizes.
type field int

const (
	cpuRequest field = iota
	cpuLimit
	memoryRequest
	memoryLimit
	goMemLimit
	goMaxProcs
	numFields
)

var fieldNames = [numFields]string{"cpu request", "cpu limit", "memory request", "memory limit", "GOMEMLIMIT", "GOMAXPROCS"}

func (f field) String() string { return fieldNames[f] }

// env names the environment variable a field is set through; empty for a
// request or limit.
func (f field) env() string {
	switch f {
	case goMemLimit:
		return "GOMEMLIMIT"
	case goMaxProcs:
		return "GOMAXPROCS"
	}
	return ""
}

// resource names the resource of a request or limit.
func (f field) resource() corev1.ResourceName {
	if f == cpuRequest || f == cpuLimit {
		return corev1.ResourceCPU
	}
	return corev1.ResourceMemory
}

func (f field) isLimit() bool { return f == cpuLimit || f == memoryLimit }

// setting is the value of a field: as written in the pod template, and as
// an amount in the field's unit (cores, bytes, threads). An amount of zero
// with a text is a value pacer cannot read.
type setting struct {
	text   string
	amount float64
	// qty is the quantity of a request or limit.
	qty resource.Quantity
}

// quantitySetting is the setting of a request or limit.
func quantitySetting(q resource.Quantity) *setting {
	return &setting{text: q.String(), amount: q.AsApproximateFloat64(), qty: q}
}

// Requests and limits are written rounded up to whole millicores and MiB,
// GOMEMLIMIT rounded down to whole MiB, the way pacer's report and its
// patch output write them, so that GOMEMLIMIT stays below the limit.

const bytesPerMiB = 1 << 20

// epsilon absorbs float error before rounding: 0.25 cores × 1000 is
// 250.00000000000003, which must be 250m, not 251m.
const epsilon = 1e-6

// desired is what a recommendation's target sets a field to; nil when the
// target leaves the field at zero, which pacer reads as "not recommended"
// (for a limit: "no limit recommended") and never writes.
func desired(target recommender.Resources, f field) *setting {
	switch f {
	case cpuRequest, cpuLimit:
		cores := target.CPURequestCores
		if f == cpuLimit {
			cores = target.CPULimitCores
		}
		if !usable(cores) {
			return nil
		}
		return quantitySetting(*resource.NewMilliQuantity(int64(math.Ceil(cores*1000-epsilon)), resource.DecimalSI))
	case memoryRequest, memoryLimit:
		bytes := target.MemoryRequestBytes
		if f == memoryLimit {
			bytes = target.MemoryLimitBytes
		}
		if !usable(bytes) {
			return nil
		}
		return quantitySetting(*resource.NewQuantity(int64(math.Ceil(bytes/bytesPerMiB-epsilon))*bytesPerMiB, resource.BinarySI))
	case goMemLimit:
		bytes := target.GOMEMLIMITBytes
		if !usable(bytes) || bytes < 1 {
			return nil
		}
		if mib := math.Floor(bytes / bytesPerMiB); mib > 0 {
			bytes = mib * bytesPerMiB
		}
		bytes = math.Floor(bytes)
		return &setting{text: recommender.FormatGOMEMLIMIT(bytes), amount: bytes}
	case goMaxProcs:
		if target.GOMAXPROCS <= 0 {
			return nil
		}
		return &setting{text: strconv.Itoa(target.GOMAXPROCS), amount: float64(target.GOMAXPROCS)}
	}
	return nil
}

// usable reports whether a recommended amount can be written: positive,
// and far from overflowing a quantity (NaN and infinities are not).
func usable(v float64) bool { return v > 0 && v < 1<<53 }

// live is what a container of the pod template sets now.
type live struct {
	values [numFields]*setting
	// fromRef marks the env fields set with valueFrom, which pacer leaves alone.
	fromRef [numFields]bool
}

// liveOf reads a container's requests, limits, and its GOMEMLIMIT and
// GOMAXPROCS env. The last entry of a name counts, as for the kubelet.
func liveOf(c *corev1.Container) live {
	var l live
	for f := range numFields {
		if f.env() != "" {
			continue
		}
		list := c.Resources.Requests
		if f.isLimit() {
			list = c.Resources.Limits
		}
		if q, ok := list[f.resource()]; ok {
			l.values[f] = quantitySetting(q)
		}
	}
	for _, e := range c.Env {
		f := goMemLimit
		switch e.Name {
		case goMemLimit.env():
		case goMaxProcs.env():
			f = goMaxProcs
		default:
			continue
		}
		if e.ValueFrom != nil {
			l.values[f], l.fromRef[f] = nil, true
			continue
		}
		l.values[f], l.fromRef[f] = &setting{text: e.Value, amount: envAmount(f, e.Value)}, false
	}
	return l
}

// envAmount reads a GOMEMLIMIT or GOMAXPROCS value; zero when Go would not
// accept it (or it is "off").
func envAmount(f field, value string) float64 {
	if f == goMemLimit {
		v, err := recommender.ParseGOMEMLIMIT(value)
		if err != nil {
			return 0
		}
		return v
	}
	v, err := strconv.Atoi(value)
	if err != nil || v <= 0 {
		return 0
	}
	return float64(v)
}

// liveOfCurrent reads what the inventory says a container runs with; a
// zero there is unknown, so it is no value.
func liveOfCurrent(r recommender.Resources) live {
	var l live
	amounts := [numFields]float64{r.CPURequestCores, r.CPULimitCores, r.MemoryRequestBytes, r.MemoryLimitBytes, r.GOMEMLIMITBytes, float64(r.GOMAXPROCS)}
	for f, v := range amounts {
		if v > 0 {
			l.values[f] = &setting{text: formatAmount(field(f), v), amount: v}
		}
	}
	return l
}

// formatAmount writes an amount for people, for a value that has no text.
func formatAmount(f field, v float64) string {
	switch f {
	case cpuRequest, cpuLimit:
		return resource.NewMilliQuantity(int64(math.Ceil(v*1000-epsilon)), resource.DecimalSI).String()
	case memoryRequest, memoryLimit:
		return resource.NewQuantity(int64(math.Ceil(v)), resource.BinarySI).String()
	case goMemLimit:
		return recommender.FormatGOMEMLIMIT(v)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// changePercent is how far to moves from from, in percent of from; +Inf
// when there was no value, or none pacer can read.
func changePercent(from *setting, to setting) float64 {
	if from == nil || !(from.amount > 0) {
		return math.Inf(1)
	}
	return math.Abs(to.amount-from.amount) / from.amount * 100
}

// same reports whether a live value already holds a desired one.
func same(from *setting, to setting) bool {
	if from == nil {
		return false
	}
	if from.text == to.text {
		return true
	}
	return from.amount > 0 && math.Abs(from.amount-to.amount) <= epsilon*math.Max(1, to.amount)
}
