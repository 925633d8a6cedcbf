package kube

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/pacerdev/pacer/recommender"
)

// WithResourceMetrics returns a source that reads everything from src and,
// when src has no container CPU or memory (a Prometheus without cAdvisor
// metrics, say), fills them from the resource metrics API
// (metrics.k8s.io, served by metrics-server): each container's newest
// usage, as one sample at the window's end. The metrics API keeps no
// history, so over time the policy state fills one cycle at a time.
func WithResourceMetrics(src recommender.Source, client metricsclient.Interface) recommender.Source {
	return &resourceMetrics{src: src, client: client}
}

type resourceMetrics struct {
	src    recommender.Source
	client metricsclient.Interface
}

func (r *resourceMetrics) Fetch(ctx context.Context, q recommender.Query) (*recommender.Snapshot, error) {
	snap, err := r.src.Fetch(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(snap.Series[recommender.CPU]) > 0 && len(snap.Series[recommender.Memory]) > 0 {
		return snap, nil
	}
	namespaces := q.Selector.Namespaces
	if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	cpu, memory := map[recommender.ContainerRef]float64{}, map[recommender.ContainerRef]float64{}
	for _, ns := range namespaces {
		list, err := r.client.MetricsV1beta1().PodMetricses(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			// The resource metrics API is a fallback: its failure leaves the
			// signals as the source left them, with both reasons.
			for _, sig := range []recommender.Signal{recommender.CPU, recommender.Memory} {
				if len(snap.Series[sig]) == 0 {
					snap.Problems[sig] = fmt.Errorf("%w; the resource metrics API failed too: %w", orNoData(snap.Problems[sig], sig), err)
				}
			}
			return snap, nil
		}
		for _, pm := range list.Items {
			for _, c := range pm.Containers {
				ref := recommender.ContainerRef{Namespace: pm.Namespace, Pod: pm.Name, Container: c.Name}
				if !q.Selector.Matches(ref) {
					continue
				}
				if q := c.Usage[corev1.ResourceCPU]; !q.IsZero() {
					cpu[ref] = q.AsApproximateFloat64()
				}
				if q := c.Usage[corev1.ResourceMemory]; !q.IsZero() {
					memory[ref] = q.AsApproximateFloat64()
				}
			}
		}
	}
	for sig, values := range map[recommender.Signal]map[recommender.ContainerRef]float64{recommender.CPU: cpu, recommender.Memory: memory} {
		if len(snap.Series[sig]) > 0 || len(values) == 0 {
			continue
		}
		refs := slices.SortedFunc(maps.Keys(values), recommender.ContainerRef.Compare)
		for _, ref := range refs {
			snap.Series[sig] = append(snap.Series[sig], recommender.Series{Ref: ref, Samples: []recommender.Sample{{At: q.Window.End, Value: values[ref]}}})
		}
		delete(snap.Problems, sig)
	}
	return snap, nil
}

func orNoData(err error, sig recommender.Signal) error {
	if err != nil {
		return err
	}
	return &recommender.NoDataError{Signal: sig, Where: "the source", Reason: "no series"}
}
