package vpa

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	vpav1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	vpaclient "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/client/clientset/versioned/typed/autoscaling.k8s.io/v1"
)

// Lister lists the VerticalPodAutoscalers pacer may write to. The Writer
// only reads what it returns; objects from an informer's cache are safe.
type Lister interface {
	List(ctx context.Context) ([]*vpav1.VerticalPodAutoscaler, error)
}

// ListerFunc is a function that lists VPAs.
type ListerFunc func(ctx context.Context) ([]*vpav1.VerticalPodAutoscaler, error)

// List calls f.
func (f ListerFunc) List(ctx context.Context) ([]*vpav1.VerticalPodAutoscaler, error) { return f(ctx) }

// ClientLister lists the VPAs in namespace ("" for all) through the API,
// 500 at a time, on every call: for one-shot runs. A long-running process
// should use an informer and CacheLister.
func ClientLister(client vpaclient.VerticalPodAutoscalersGetter, namespace string) Lister {
	return ListerFunc(func(ctx context.Context) ([]*vpav1.VerticalPodAutoscaler, error) {
		var out []*vpav1.VerticalPodAutoscaler
		opts := metav1.ListOptions{Limit: 500}
		for {
			list, err := client.VerticalPodAutoscalers(namespace).List(ctx, opts)
			if err != nil {
				where := "all namespaces"
				if namespace != "" {
					where = "namespace " + namespace
				}
				return nil, fmt.Errorf("listing VerticalPodAutoscalers in %s: %w", where, err)
			}
			for i := range list.Items {
				out = append(out, &list.Items[i])
			}
			if list.Continue == "" {
				return out, nil
			}
			opts.Continue = list.Continue
		}
	})
}

// selectorLister is what an informer's lister offers, e.g. the VPA
// module's listers.VerticalPodAutoscalerLister.
type selectorLister interface {
	List(selector labels.Selector) ([]*vpav1.VerticalPodAutoscaler, error)
}

// CacheLister lists every VPA in an informer's cache.
func CacheLister(l selectorLister) Lister {
	return ListerFunc(func(context.Context) ([]*vpav1.VerticalPodAutoscaler, error) {
		vpas, err := l.List(labels.Everything())
		if err != nil {
			return nil, fmt.Errorf("listing cached VerticalPodAutoscalers: %w", err)
		}
		return vpas, nil
	})
}
