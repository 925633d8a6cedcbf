package hpa

import (
	"context"
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	autoscalingv2client "k8s.io/client-go/kubernetes/typed/autoscaling/v2"
)

// Lister lists the HPAs pacer may patch. The Patcher only reads what it
// returns, managedFields included; objects from an informer's cache are
// safe, as long as the informer keeps managedFields.
type Lister interface {
	List(ctx context.Context) ([]*autoscalingv2.HorizontalPodAutoscaler, error)
}

// ListerFunc is a function that lists HPAs.
type ListerFunc func(ctx context.Context) ([]*autoscalingv2.HorizontalPodAutoscaler, error)

// List calls f.
func (f ListerFunc) List(ctx context.Context) ([]*autoscalingv2.HorizontalPodAutoscaler, error) {
	return f(ctx)
}

// ClientLister lists the HPAs in namespace ("" for all) through the API,
// 500 at a time, on every call: for one-shot runs. A long-running process
// should use an informer and CacheLister.
func ClientLister(client autoscalingv2client.HorizontalPodAutoscalersGetter, namespace string) Lister {
	return ListerFunc(func(ctx context.Context) ([]*autoscalingv2.HorizontalPodAutoscaler, error) {
		var out []*autoscalingv2.HorizontalPodAutoscaler
		opts := metav1.ListOptions{Limit: 500}
		for {
			list, err := client.HorizontalPodAutoscalers(namespace).List(ctx, opts)
			if err != nil {
				where := "all namespaces"
				if namespace != "" {
					where = "namespace " + namespace
				}
				return nil, fmt.Errorf("listing HorizontalPodAutoscalers in %s: %w", where, err)
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

// selectorLister is what an informer's lister offers, e.g. client-go's
// listers/autoscaling/v2.HorizontalPodAutoscalerLister.
type selectorLister interface {
	List(selector labels.Selector) ([]*autoscalingv2.HorizontalPodAutoscaler, error)
}

// CacheLister lists every HPA in an informer's cache.
func CacheLister(l selectorLister) Lister {
	return ListerFunc(func(context.Context) ([]*autoscalingv2.HorizontalPodAutoscaler, error) {
		hpas, err := l.List(labels.Everything())
		if err != nil {
			return nil, fmt.Errorf("listing cached HorizontalPodAutoscalers: %w", err)
		}
		return hpas, nil
	})
}
