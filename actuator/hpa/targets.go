package hpa

import (
	"fmt"
	"maps"
	"math"
	"slices"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pacerdev/pacer/recommender"
)

// change is one target pacer moves.
type change struct {
	Key, From, To string
	// Note explains a CPU utilization change.
	Note string
	cpu  bool
}

func (c change) String() string {
	s := fmt.Sprintf("%s %s → %s", c.Key, c.From, c.To)
	if c.Note != "" {
		s += " (" + c.Note + ")"
	}
	return s
}

// desired is spec.metrics as pacer wants it.
type desired struct {
	metrics []autoscalingv2.MetricSpec
	// targets holds every target pacer manages, changed or not, by key.
	targets map[string]string
	// scaleAt holds the CPU scaling points in cores, by key.
	scaleAt map[string]float64
	changes []change
}

// desire returns the live metrics with pacer's targets: the request-rate
// target on the rate metrics and the CPU utilization that keeps the
// scaling point (prev's, else the live one). A target that already has
// the value is left as it is written.
func desire(live []autoscalingv2.MetricSpec, rateMetrics []string, rec *recommender.Recommendation, cur recommender.Current, prev record) desired {
	d := desired{metrics: make([]autoscalingv2.MetricSpec, len(live)), targets: map[string]string{}, scaleAt: map[string]float64{}}
	for i := range live {
		d.metrics[i] = *live[i].DeepCopy()
	}
	rate, rateOK := milli(rec.Horizontal.TargetPerPod)
	for i := range d.metrics {
		m := &d.metrics[i]
		if key, t := rateTarget(m, rateMetrics); t != nil {
			d.setRate(key, t, rate, rateOK)
			continue
		}
		if key, container, t := cpuTarget(m); t != nil {
			d.setCPU(key, t, container, rec, cur, prev)
		}
	}
	return d
}

// setRate sets an AverageValue or Value target to the per-pod rate.
func (d *desired) setRate(key string, t *autoscalingv2.MetricTarget, rate resource.Quantity, ok bool) {
	field := &t.AverageValue
	switch t.Type {
	case autoscalingv2.AverageValueMetricType:
	case autoscalingv2.ValueMetricType:
		field = &t.Value
	default:
		return // a Utilization target on a rate metric is not valid; not pacer's to fix
	}
	if ok && (*field == nil || (*field).Cmp(rate) != 0) {
		from := "unset"
		if *field != nil {
			from = (*field).String()
		}
		q := rate.DeepCopy()
		*field = &q
		d.changes = append(d.changes, change{Key: key, From: from, To: q.String()})
	}
	if *field != nil {
		d.targets[key] = (*field).String()
	}
}

// setCPU keeps a CPU utilization target's scaling point in cores when the
// recommendation changes the request it is measured against.
func (d *desired) setCPU(key string, t *autoscalingv2.MetricTarget, container string, rec *recommender.Recommendation, cur recommender.Current, prev record) {
	live := *t.AverageUtilization
	oldRequest, newRequest := cpuRequests(cur, rec, container)
	scaleAt, ok := prev.ScaleAtCores[key]
	if !ok || scaleAt <= 0 {
		// to the microcore, so that the record reads 0.32, not 0.32000000000000006
		scaleAt, ok = math.Round(float64(live)*oldRequest*1e4)/1e6, oldRequest > 0
	}
	if ok {
		d.scaleAt[key] = scaleAt
	}
	if ok && newRequest > 0 {
		if u := utilizationAt(scaleAt, newRequest); u != live {
			per := "pod"
			if container != "" {
				per = "container " + container
			}
			note := fmt.Sprintf("CPU request per %s %s → %s, scaling at %s", per, cores(oldRequest), cores(newRequest), cores(scaleAt))
			if oldRequest == 0 {
				note = fmt.Sprintf("CPU request per %s → %s, scaling at %s", per, cores(newRequest), cores(scaleAt))
			}
			d.changes = append(d.changes, change{Key: key, From: percent(live), To: percent(u), Note: note, cpu: true})
			t.AverageUtilization = &u
		}
	}
	d.targets[key] = percent(*t.AverageUtilization)
}

// utilizationAt is the utilization percentage of request at which a pod
// uses scaleAt cores, within 1..100.
func utilizationAt(scaleAt, request float64) int32 {
	return int32(min(max(math.Round(scaleAt/request*100), 1), 100))
}

// cpuRequests returns the CPU request in cores the pods run with and the
// one the recommendation gives them: per pod (the sum over the pod's
// containers) when container is empty, else that container's. Zero is
// unknown: the new request is unknown when the recommendation sizes the
// CPU of none of the containers counted, the old one when a container
// has no CPU request.
func cpuRequests(cur recommender.Current, rec *recommender.Recommendation, container string) (oldCores, newCores float64) {
	recommended := map[string]float64{}
	for _, c := range rec.Containers {
		if c.Target.CPURequestCores > 0 {
			recommended[c.Container] = c.Target.CPURequestCores
		}
	}
	if container != "" {
		return cur.Containers[container].CPURequestCores, recommended[container]
	}
	sized := false
	for _, name := range slices.Sorted(maps.Keys(cur.Containers)) {
		r := cur.Containers[name].CPURequestCores
		if r <= 0 {
			return 0, 0
		}
		oldCores += r
		if v, ok := recommended[name]; ok {
			newCores += v
			sized = true
		} else {
			newCores += r
		}
	}
	if !sized {
		return oldCores, 0
	}
	return oldCores, newCores
}

// rateTarget returns the target of a request-rate metric pacer sets.
func rateTarget(m *autoscalingv2.MetricSpec, rateMetrics []string) (string, *autoscalingv2.MetricTarget) {
	switch {
	case m.Type == autoscalingv2.PodsMetricSourceType && m.Pods != nil && slices.Contains(rateMetrics, m.Pods.Metric.Name):
		return "pods/" + m.Pods.Metric.Name, &m.Pods.Target
	case m.Type == autoscalingv2.ExternalMetricSourceType && m.External != nil && slices.Contains(rateMetrics, m.External.Metric.Name):
		return "external/" + m.External.Metric.Name, &m.External.Target
	case m.Type == autoscalingv2.ObjectMetricSourceType && m.Object != nil && slices.Contains(rateMetrics, m.Object.Metric.Name):
		return "object/" + m.Object.Metric.Name, &m.Object.Target
	}
	return "", nil
}

// cpuTarget returns the target of a CPU utilization metric, and the
// container it measures (empty for the whole pod).
func cpuTarget(m *autoscalingv2.MetricSpec) (key, container string, t *autoscalingv2.MetricTarget) {
	utilization := func(t *autoscalingv2.MetricTarget) bool {
		return t.Type == autoscalingv2.UtilizationMetricType && t.AverageUtilization != nil
	}
	switch {
	case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil &&
		m.Resource.Name == corev1.ResourceCPU && utilization(&m.Resource.Target):
		return "resource/cpu", "", &m.Resource.Target
	case m.Type == autoscalingv2.ContainerResourceMetricSourceType && m.ContainerResource != nil &&
		m.ContainerResource.Name == corev1.ResourceCPU && utilization(&m.ContainerResource.Target):
		c := m.ContainerResource.Container
		return "containerresource/cpu/" + c, c, &m.ContainerResource.Target
	}
	return "", "", nil
}

// milli is a rate as a quantity to the milli; ok is false for a rate that
// is not a positive finite number.
func milli(v float64) (q resource.Quantity, ok bool) {
	m := math.Round(v * 1000)
	if math.IsNaN(m) || m <= 0 || m >= math.MaxInt64 {
		return resource.Quantity{}, false
	}
	return *resource.NewMilliQuantity(int64(m), resource.DecimalSI), true
}

// cores prints cores as a CPU quantity: 350m, 1, 1500m.
func cores(v float64) string {
	return resource.NewMilliQuantity(int64(math.Round(v*1000)), resource.DecimalSI).String()
}

func percent(u int32) string { return fmt.Sprintf("%d%%", u) }
