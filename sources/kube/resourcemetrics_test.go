package kube

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"

	"github.com/pacerdev/pacer/recommender"
)

// goOnly answers with Go signals but no container CPU or memory, as a
// Prometheus without cAdvisor metrics does.
type goOnly struct{}

func (goOnly) Fetch(_ context.Context, q recommender.Query) (*recommender.Snapshot, error) {
	snap := recommender.NewSnapshot(q.Window)
	ref := recommender.ContainerRef{Namespace: "shop", Pod: "api-0", Container: "app"}
	snap.Series[recommender.Goroutines] = []recommender.Series{{Ref: ref, Samples: []recommender.Sample{{At: q.Window.End, Value: 40}}}}
	for _, sig := range []recommender.Signal{recommender.CPU, recommender.Memory} {
		snap.Problems[sig] = &recommender.NoDataError{Signal: sig, Where: "prometheus", Reason: "container_cpu_usage_seconds_total is missing"}
	}
	return snap, nil
}

func podMetrics(ns, pod, container, cpu, memory string) *metricsv1beta1.PodMetrics {
	return &metricsv1beta1.PodMetrics{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: pod},
		Containers: []metricsv1beta1.ContainerMetrics{{Name: container, Usage: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)}}}}
}

func TestResourceMetricsFillCPUAndMemory(t *testing.T) {
	client := metricsfake.NewSimpleClientset()
	// The fake's tracker files PodMetrics under "podmetricses"; the client lists "pods".
	gvr := schema.GroupVersionResource{Group: "metrics.k8s.io", Version: "v1beta1", Resource: "pods"}
	for _, pm := range []*metricsv1beta1.PodMetrics{podMetrics("shop", "api-0", "app", "250m", "128Mi"), podMetrics("other", "x-0", "app", "1", "1Gi")} {
		if err := client.Tracker().Create(gvr, pm, pm.Namespace); err != nil {
			t.Fatal(err)
		}
	}
	end := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	snap, err := WithResourceMetrics(goOnly{}, client).Fetch(context.Background(), recommender.Query{
		Window: recommender.Window{End: end}, Selector: recommender.Selector{Namespaces: []string{"shop"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := recommender.ContainerRef{Namespace: "shop", Pod: "api-0", Container: "app"}
	for sig, want := range map[recommender.Signal]float64{recommender.CPU: 0.25, recommender.Memory: 128 << 20} {
		s, ok := snap.Lookup(sig, ref)
		if !ok || len(s.Samples) != 1 || s.Samples[0].Value != want || !s.Samples[0].At.Equal(end) {
			t.Errorf("%s: %+v, want %v at the window's end", sig, s, want)
		}
		if len(snap.Series[sig]) != 1 {
			t.Errorf("%s: %d series; the other namespace leaked in", sig, len(snap.Series[sig]))
		}
		if snap.Problems[sig] != nil {
			t.Errorf("%s still has a problem: %v", sig, snap.Problems[sig])
		}
	}
}

func TestResourceMetricsFailureKeepsBothReasons(t *testing.T) {
	client := metricsfake.NewSimpleClientset()
	client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("metrics.k8s.io is not available")
	})
	snap, err := WithResourceMetrics(goOnly{}, client).Fetch(context.Background(), recommender.Query{Window: recommender.Window{End: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	msg := snap.Problems[recommender.CPU].Error()
	if !strings.Contains(msg, "container_cpu_usage_seconds_total is missing") || !strings.Contains(msg, "metrics.k8s.io is not available") ||
		!errors.Is(snap.Problems[recommender.CPU], recommender.ErrNoData) {
		t.Errorf("problem %q", msg)
	}
}
