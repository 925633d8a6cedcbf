package contender

import (
	"sync"
	"time"

	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/logic"
	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/model"

	"github.com/pacerdev/pacer/backtest/sim"
	"github.com/pacerdev/pacer/recommender"
)

// VPADefaults is the VPA recommender's default recommendation
// configuration: the values of DefaultRecommenderConfig in
// k8s.io/autoscaler/vertical-pod-autoscaler/pkg/recommender/config v1.8.1
// (that package cannot be imported: it drags in the recommender's
// Prometheus history provider). The histograms' half-lives, bucket sizes,
// memory aggregation interval and OOM bump-up come from the VPA's own
// model package defaults.
var VPADefaults = logic.RecommendationConfig{
	SafetyMarginFraction:       0.15,
	PodMinCPUMillicores:        25,
	PodMinMemoryMb:             250,
	TargetCPUPercentile:        0.9,
	LowerBoundCPUPercentile:    0.5,
	UpperBoundCPUPercentile:    0.95,
	ConfidenceIntervalCPU:      24 * time.Hour,
	TargetMemoryPercentile:     0.9,
	LowerBoundMemoryPercentile: 0.5,
	UpperBoundMemoryPercentile: 0.95,
	ConfidenceIntervalMemory:   24 * time.Hour,
}

// vpaConfigOnce initializes the VPA model's process-wide aggregation
// configuration before any simulation runs concurrently: the model
// creates it lazily, without a lock.
var vpaConfigOnce sync.Once

// VPA is the VPA recommender: per container name one aggregate container
// state (decaying CPU usage and memory peak histograms), per pod one
// container state feeding it, as the VPA recommender's cluster state
// does, and its pod resource recommender with the given configuration
// (VPADefaults). Each step gives every pod a CPU and a memory sample, and
// an OOM kill is recorded with the pod's memory request, as the VPA's OOM
// observer does. The target becomes the requests; limits keep the
// limit-to-request ratio of the initial pod spec, as the VPA's admission
// controller keeps it (controlledValues RequestsAndLimits).
func VPA(config logic.RecommendationConfig) sim.NewVertical {
	vpaConfigOnce.Do(func() { model.GetAggregationsConfig() })
	return func(_ recommender.WorkloadRef, initial map[string]recommender.Resources) (sim.Vertical, error) {
		return &vpa{
			recommender: logic.CreatePodResourceRecommender(config),
			aggregates:  model.ContainerNameToAggregateStateMap{},
			containers:  map[recommender.ContainerRef]*model.ContainerState{},
			initial:     initial,
		}, nil
	}
}

type vpa struct {
	recommender logic.PodResourceRecommender
	aggregates  model.ContainerNameToAggregateStateMap
	containers  map[recommender.ContainerRef]*model.ContainerState
	initial     map[string]recommender.Resources
}

var _ sim.Vertical = (*vpa)(nil)

func (v *vpa) Observe(at time.Time, pods []sim.PodMinute) error {
	for i := range pods {
		pm := &pods[i]
		agg := v.aggregates[pm.Ref.Container]
		if agg == nil {
			agg = model.NewAggregateContainerState()
			v.aggregates[pm.Ref.Container] = agg
		}
		c := v.containers[pm.Ref]
		if c == nil {
			c = model.NewContainerState(nil, agg)
			v.containers[pm.Ref] = c
		}
		c.Request = model.Resources{
			model.ResourceCPU:    model.CPUAmountFromCores(pm.Resources.CPURequestCores),
			model.ResourceMemory: model.MemoryAmountFromBytes(pm.Resources.MemoryRequestBytes),
		}
		if cores, ok := pm.Value(recommender.CPU); ok {
			c.AddSample(&model.ContainerUsageSample{MeasureStart: at, Usage: model.CPUAmountFromCores(cores), Resource: model.ResourceCPU})
		}
		if bytes, ok := pm.Value(recommender.Memory); ok {
			c.AddSample(&model.ContainerUsageSample{MeasureStart: at, Usage: model.MemoryAmountFromBytes(bytes), Resource: model.ResourceMemory})
		}
		if pm.OOMKilled {
			// The VPA logs and drops an OOM it cannot record; so does this.
			_ = c.RecordOOM(at, model.MemoryAmountFromBytes(pm.Resources.MemoryRequestBytes))
		}
	}
	return nil
}

func (v *vpa) Recommend(time.Time, recommender.Current) map[string]recommender.Resources {
	states := model.ContainerNameToAggregateStateMap{}
	for name, agg := range v.aggregates {
		if agg.TotalSamplesCount > 0 {
			states[name] = agg
		}
	}
	out := map[string]recommender.Resources{}
	for name, rec := range v.recommender.GetRecommendedPodResources(states) {
		r := recommender.Resources{
			CPURequestCores:    model.CoresFromCPUAmount(rec.Target[model.ResourceCPU]),
			MemoryRequestBytes: model.BytesFromMemoryAmount(rec.Target[model.ResourceMemory]),
		}
		spec := v.initial[name]
		if spec.CPULimitCores > 0 && spec.CPURequestCores > 0 {
			r.CPULimitCores = spec.CPULimitCores * r.CPURequestCores / spec.CPURequestCores
		}
		if spec.MemoryLimitBytes > 0 && spec.MemoryRequestBytes > 0 {
			r.MemoryLimitBytes = spec.MemoryLimitBytes * r.MemoryRequestBytes / spec.MemoryRequestBytes
		}
		out[name] = r
	}
	return out
}
