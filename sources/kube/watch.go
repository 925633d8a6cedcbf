package kube

import (
	"context"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Watcher keeps the objects an inventory is built from in informer caches,
// so that every cycle reads the cluster from memory.
type Watcher struct {
	factory    informers.SharedInformerFactory
	dynFactory dynamicinformer.DynamicSharedInformerFactory
	vpas       cache.GenericLister
	synced     []cache.InformerSynced
	selector   labels.Selector
	warnings   []string
}

// WatchOptions choose what is watched.
type WatchOptions struct {
	// Namespace to watch; empty watches all.
	Namespace string
	// Selector selects workloads by their labels; nil selects all.
	Selector labels.Selector
	// Resync is the informers' resync period (default 10m).
	Resync time.Duration
}

// NewWatcher prepares informers for workloads, ReplicaSets, pods, HPAs and,
// when the API is installed, VPAs. Start starts them.
func NewWatcher(client kubernetes.Interface, dyn dynamic.Interface, o WatchOptions) (*Watcher, error) {
	if o.Resync == 0 {
		o.Resync = 10 * time.Minute
	}
	w := &Watcher{selector: o.Selector,
		factory: informers.NewSharedInformerFactoryWithOptions(client, o.Resync, informers.WithNamespace(o.Namespace))}
	for _, inf := range []cache.SharedIndexInformer{
		w.factory.Apps().V1().Deployments().Informer(), w.factory.Apps().V1().StatefulSets().Informer(),
		w.factory.Apps().V1().DaemonSets().Informer(), w.factory.Apps().V1().ReplicaSets().Informer(),
		w.factory.Core().V1().Pods().Informer(), w.factory.Autoscaling().V2().HorizontalPodAutoscalers().Informer(),
	} {
		w.synced = append(w.synced, inf.HasSynced)
	}
	if dyn != nil {
		installed, err := vpaInstalled(client.Discovery())
		if err != nil {
			return nil, err
		}
		if installed {
			w.dynFactory = dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, o.Resync, o.Namespace, nil)
			inf := w.dynFactory.ForResource(VPAResource)
			w.vpas = inf.Lister()
			w.synced = append(w.synced, inf.Informer().HasSynced)
		} else {
			w.warnings = append(w.warnings, "VerticalPodAutoscalers: the autoscaling.k8s.io/v1 API is not installed")
		}
	}
	return w, nil
}

func vpaInstalled(d discovery.DiscoveryInterface) (bool, error) {
	resources, err := d.ServerResourcesForGroupVersion(VPAResource.GroupVersion().String())
	if err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("discovering %s: %w", VPAResource.GroupVersion(), err)
	}
	for _, r := range resources.APIResources {
		if r.Name == VPAResource.Resource {
			return true, nil
		}
	}
	return false, nil
}

// VPAInstalled reports whether the VerticalPodAutoscaler API was there
// when the watcher was made.
func (w *Watcher) VPAInstalled() bool { return w.vpas != nil }

// Start starts the informers; they stop when ctx ends.
func (w *Watcher) Start(ctx context.Context) {
	w.factory.Start(ctx.Done())
	if w.dynFactory != nil {
		w.dynFactory.Start(ctx.Done())
	}
}

// Synced reports whether every cache holds a full list.
func (w *Watcher) Synced() bool {
	for _, s := range w.synced {
		if !s() {
			return false
		}
	}
	return true
}

// WaitForSync waits until every cache is synced or ctx ends.
func (w *Watcher) WaitForSync(ctx context.Context) bool {
	return cache.WaitForCacheSync(ctx.Done(), w.synced...)
}

// Inventory builds an inventory from the caches.
func (w *Watcher) Inventory() (*Inventory, error) {
	var o objects
	var err error
	all := labels.Everything()
	if o.deployments, err = w.factory.Apps().V1().Deployments().Lister().List(all); err != nil {
		return nil, err
	}
	if o.statefulSets, err = w.factory.Apps().V1().StatefulSets().Lister().List(all); err != nil {
		return nil, err
	}
	if o.daemonSets, err = w.factory.Apps().V1().DaemonSets().Lister().List(all); err != nil {
		return nil, err
	}
	if o.replicaSets, err = w.factory.Apps().V1().ReplicaSets().Lister().List(all); err != nil {
		return nil, err
	}
	if o.pods, err = w.factory.Core().V1().Pods().Lister().List(all); err != nil {
		return nil, err
	}
	if o.hpas, err = w.factory.Autoscaling().V2().HorizontalPodAutoscalers().Lister().List(all); err != nil {
		return nil, err
	}
	if w.vpas != nil {
		vpas, err := w.vpas.List(all)
		if err != nil {
			return nil, err
		}
		for _, v := range vpas {
			if u, ok := v.(*unstructured.Unstructured); ok {
				o.vpas = append(o.vpas, u)
			}
		}
	}
	inv := build(&o, w.selector)
	inv.Warnings = w.warnings
	return inv, nil
}

// HPAs lists the cached HPAs, for the HPA actuator.
func (w *Watcher) HPAs(context.Context) ([]*autoscalingv2.HorizontalPodAutoscaler, error) {
	return w.factory.Autoscaling().V2().HorizontalPodAutoscalers().Lister().List(labels.Everything())
}
