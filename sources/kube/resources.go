package kube

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/pacerdev/pacer/recommender"
)

// resourcesOf reads a container's requests and limits, and GOMEMLIMIT and
// GOMAXPROCS when its env sets them to literal values.
func resourcesOf(c corev1.Container) recommender.Resources {
	var r recommender.Resources
	if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
		r.CPURequestCores = q.AsApproximateFloat64()
	}
	if q, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		r.CPULimitCores = q.AsApproximateFloat64()
	}
	if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
		r.MemoryRequestBytes = q.AsApproximateFloat64()
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		r.MemoryLimitBytes = q.AsApproximateFloat64()
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			continue
		}
		switch e.Name {
		case "GOMEMLIMIT":
			if v, err := recommender.ParseGOMEMLIMIT(e.Value); err == nil {
				r.GOMEMLIMITBytes = v
			}
		case "GOMAXPROCS":
			if v, err := strconv.Atoi(e.Value); err == nil && v > 0 {
				r.GOMAXPROCS = v
			}
		}
	}
	return r
}
