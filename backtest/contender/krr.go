package contender

import (
	"math"
	"slices"
	"time"

	"github.com/pacerdev/pacer/backtest/sim"
	"github.com/pacerdev/pacer/recommender"
)

// KRRSettings are the settings of krr's simple strategy.
type KRRSettings struct {
	// CPUPercentile of each pod's CPU usage; the request is the largest
	// over the pods (krr: cpu_percentile, default 95).
	CPUPercentile float64
	// MemoryBufferPercent is added to the largest working set of any pod;
	// the result is both request and limit (memory_buffer_percentage, 15).
	MemoryBufferPercent float64
	// PointsRequired is how many samples (over all pods) a resource needs
	// before krr recommends it (points_required, 100).
	PointsRequired int
	// History is how far back krr looks (history_duration, 336h).
	History time.Duration
	// MinCPUCores and MinMemoryBytes are krr's floors (cpu_min_value 10m,
	// memory_min_value 100 MiB).
	MinCPUCores, MinMemoryBytes float64
}

// KRRDefaults are krr's defaults for the simple strategy.
var KRRDefaults = KRRSettings{
	CPUPercentile: 95, MemoryBufferPercent: 15, PointsRequired: 100, History: 336 * time.Hour,
	MinCPUCores: 0.010, MinMemoryBytes: 100 << 20,
}

// KRR is krr's simple strategy, as krr documents and implements it: CPU
// request = the largest over the pods of each pod's CPU percentile over the
// history, no CPU limit; memory request = limit = the largest working set
// of any pod × (1 + buffer). CPU is rounded up to millicores and memory up
// to MiB, as krr rounds; a resource with too few samples gets no
// recommendation. It is fed each step's CPU usage and working set, as
// krr's Prometheus queries would have read them.
func KRR(s KRRSettings) sim.NewVertical {
	return func(recommender.WorkloadRef, map[string]recommender.Resources) (sim.Vertical, error) {
		return &krr{settings: s, pods: map[recommender.ContainerRef]*krrPod{}}, nil
	}
}

type krr struct {
	settings KRRSettings
	pods     map[recommender.ContainerRef]*krrPod
}

var _ sim.Vertical = (*krr)(nil)

// krrPod holds one pod's container's samples within the history: CPU in
// arrival order and sorted, the working set in arrival order and as a
// monotonic queue of its running maximum.
type krrPod struct {
	cpu, memory []timedValue
	sortedCPU   []float64
	maxMemory   []timedValue
}

type timedValue struct {
	at time.Time
	v  float64
}

func (k *krr) Observe(at time.Time, pods []sim.PodMinute) error {
	for i := range pods {
		pm := &pods[i]
		p := k.pods[pm.Ref]
		if p == nil {
			p = &krrPod{}
			k.pods[pm.Ref] = p
		}
		if v, ok := pm.Value(recommender.CPU); ok {
			p.cpu = append(p.cpu, timedValue{at, v})
			j, _ := slices.BinarySearch(p.sortedCPU, v)
			p.sortedCPU = slices.Insert(p.sortedCPU, j, v)
		}
		if v, ok := pm.Value(recommender.Memory); ok {
			p.memory = append(p.memory, timedValue{at, v})
			for len(p.maxMemory) > 0 && p.maxMemory[len(p.maxMemory)-1].v <= v {
				p.maxMemory = p.maxMemory[:len(p.maxMemory)-1]
			}
			p.maxMemory = append(p.maxMemory, timedValue{at, v})
		}
	}
	return nil
}

// forget drops the samples older than the history.
func (p *krrPod) forget(cutoff time.Time) {
	n := 0
	for n < len(p.cpu) && !p.cpu[n].at.After(cutoff) {
		j, _ := slices.BinarySearch(p.sortedCPU, p.cpu[n].v)
		p.sortedCPU = slices.Delete(p.sortedCPU, j, j+1)
		n++
	}
	p.cpu = p.cpu[n:]
	n = 0
	for n < len(p.memory) && !p.memory[n].at.After(cutoff) {
		n++
	}
	p.memory = p.memory[n:]
	n = 0
	for n < len(p.maxMemory) && !p.maxMemory[n].at.After(cutoff) {
		n++
	}
	p.maxMemory = p.maxMemory[n:]
}

func (k *krr) Recommend(now time.Time, _ recommender.Current) map[string]recommender.Resources {
	type containerAcc struct {
		cpu, memory             float64
		cpuPoints, memoryPoints int
	}
	acc := map[string]*containerAcc{}
	for ref, p := range k.pods {
		p.forget(now.Add(-k.settings.History))
		a := acc[ref.Container]
		if a == nil {
			a = &containerAcc{}
			acc[ref.Container] = a
		}
		a.cpuPoints += len(p.sortedCPU)
		a.memoryPoints += len(p.memory)
		if len(p.sortedCPU) > 0 {
			a.cpu = max(a.cpu, percentile(p.sortedCPU, k.settings.CPUPercentile))
		}
		if len(p.maxMemory) > 0 {
			a.memory = max(a.memory, p.maxMemory[0].v)
		}
	}
	out := map[string]recommender.Resources{}
	for name, a := range acc {
		if a.cpuPoints < k.settings.PointsRequired || a.memoryPoints < k.settings.PointsRequired {
			continue
		}
		memory := max(a.memory*(1+k.settings.MemoryBufferPercent/100), k.settings.MinMemoryBytes)
		memory = math.Ceil(memory/(1<<20)) * (1 << 20)
		out[name] = recommender.Resources{
			CPURequestCores:    math.Ceil(max(a.cpu, k.settings.MinCPUCores)*1000) / 1000,
			MemoryRequestBytes: memory,
			MemoryLimitBytes:   memory,
		}
	}
	return out
}

// percentile is numpy's default percentile (linear interpolation between
// the closest ranks) of sorted values, p in [0, 100].
func percentile(sorted []float64, p float64) float64 {
	rank := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(rank))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (rank-float64(lo))*(sorted[hi]-sorted[lo])
}
