// Package kube reads what Kubernetes knows about workloads: which pods
// belong to which Deployment, StatefulSet or DaemonSet (through owner
// references), what their containers request and limit, the GOMEMLIMIT and
// GOMAXPROCS they set, how many replicas they run, the HPAs and VPAs that
// target them, and recent OOM kills.
package kube

import (
	"context"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/pacerdev/pacer/recommender"
)

// Options choose what is read.
type Options struct {
	// Namespaces to read; empty reads all.
	Namespaces []string
	// Selector selects workloads by their labels; nil selects all.
	Selector labels.Selector
}

// Workload is what Kubernetes says about one workload.
type Workload struct {
	Ref         recommender.WorkloadRef
	Labels      map[string]string
	Annotations map[string]string
	// Replicas is the desired count (a DaemonSet's: the nodes it should run on).
	Replicas int32
	// Containers holds each container's requests, limits, GOMEMLIMIT and
	// GOMAXPROCS from the pod template.
	Containers map[string]recommender.Resources
	// OOMKills counts, per container, the pods whose last termination was an OOM kill.
	OOMKills map[string]int
	HPA      *HPA
	// VPAs names the VerticalPodAutoscalers that target the workload.
	VPAs []string
}

// HPA is the part of a HorizontalPodAutoscaler a report shows.
type HPA struct {
	Name        string
	MinReplicas int32
	MaxReplicas int32
}

// Inventory is a read of the cluster's workloads at one time.
type Inventory struct {
	Workloads map[recommender.WorkloadRef]*Workload
	// pods maps namespace/pod to the workload that owns it.
	pods map[string]recommender.WorkloadRef
	// all is false when a label selector left workloads out.
	all bool
	// Warnings are things that could not be read but did not stop the read
	// (VPAs when the CRD is not installed, say).
	Warnings []string
}

// VPAResource is the VerticalPodAutoscaler API.
var VPAResource = schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalers"}

// objects are the API objects an inventory is built from.
type objects struct {
	deployments  []*appsv1.Deployment
	statefulSets []*appsv1.StatefulSet
	daemonSets   []*appsv1.DaemonSet
	replicaSets  []*appsv1.ReplicaSet
	pods         []*corev1.Pod
	hpas         []*autoscalingv2.HorizontalPodAutoscaler
	vpas         []*unstructured.Unstructured
}

// Load lists the workloads, their pods, HPAs and (when dyn is not nil) VPAs.
func Load(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, o Options) (*Inventory, error) {
	namespaces := o.Namespaces
	if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	var objs objects
	var warnings []string
	for _, ns := range namespaces {
		w, err := objs.list(ctx, client, dyn, ns)
		if err != nil {
			return nil, err
		}
		warnings = append(warnings, w...)
	}
	inv := build(&objs, o.Selector)
	inv.Warnings = warnings
	return inv, nil
}

func ptrs[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

func (o *objects) list(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, ns string) ([]string, error) {
	apps := client.AppsV1()
	deployments, err := listAll(ctx, "deployments", ns, apps.Deployments(ns).List, func(l *appsv1.DeploymentList) ([]appsv1.Deployment, string) { return l.Items, l.Continue })
	if err != nil {
		return nil, err
	}
	statefulSets, err := listAll(ctx, "statefulsets", ns, apps.StatefulSets(ns).List, func(l *appsv1.StatefulSetList) ([]appsv1.StatefulSet, string) { return l.Items, l.Continue })
	if err != nil {
		return nil, err
	}
	daemonSets, err := listAll(ctx, "daemonsets", ns, apps.DaemonSets(ns).List, func(l *appsv1.DaemonSetList) ([]appsv1.DaemonSet, string) { return l.Items, l.Continue })
	if err != nil {
		return nil, err
	}
	replicaSets, err := listAll(ctx, "replicasets", ns, apps.ReplicaSets(ns).List, func(l *appsv1.ReplicaSetList) ([]appsv1.ReplicaSet, string) { return l.Items, l.Continue })
	if err != nil {
		return nil, err
	}
	pods, err := listAll(ctx, "pods", ns, client.CoreV1().Pods(ns).List, func(l *corev1.PodList) ([]corev1.Pod, string) { return l.Items, l.Continue })
	if err != nil {
		return nil, err
	}
	hpas, err := listAll(ctx, "horizontalpodautoscalers", ns, client.AutoscalingV2().HorizontalPodAutoscalers(ns).List,
		func(l *autoscalingv2.HorizontalPodAutoscalerList) ([]autoscalingv2.HorizontalPodAutoscaler, string) {
			return l.Items, l.Continue
		})
	if err != nil {
		return nil, err
	}
	o.deployments = append(o.deployments, ptrs(deployments)...)
	o.statefulSets = append(o.statefulSets, ptrs(statefulSets)...)
	o.daemonSets = append(o.daemonSets, ptrs(daemonSets)...)
	o.replicaSets = append(o.replicaSets, ptrs(replicaSets)...)
	o.pods = append(o.pods, ptrs(pods)...)
	o.hpas = append(o.hpas, ptrs(hpas)...)
	if dyn == nil {
		return nil, nil
	}
	list, err := dyn.Resource(VPAResource).Namespace(ns).List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return []string{"VerticalPodAutoscalers: the autoscaling.k8s.io/v1 API is not installed"}, nil
	case err != nil:
		return []string{fmt.Sprintf("VerticalPodAutoscalers in %q: %v", ns, err)}, nil
	}
	o.vpas = append(o.vpas, ptrs(list.Items)...)
	return nil, nil
}

// build maps the objects into workloads: each pod to its controller (a
// ReplicaSet's pods to its Deployment), each HPA and VPA to its target.
func build(o *objects, sel labels.Selector) *Inventory {
	inv := &Inventory{Workloads: map[recommender.WorkloadRef]*Workload{}, pods: map[string]recommender.WorkloadRef{}, all: sel == nil || sel.Empty()}
	for _, d := range o.deployments {
		inv.add(recommender.KindDeployment, d.ObjectMeta, replicasOf(d.Spec.Replicas), d.Spec.Template.Spec, sel)
	}
	for _, s := range o.statefulSets {
		inv.add(recommender.KindStatefulSet, s.ObjectMeta, replicasOf(s.Spec.Replicas), s.Spec.Template.Spec, sel)
	}
	for _, d := range o.daemonSets {
		inv.add(recommender.KindDaemonSet, d.ObjectMeta, d.Status.DesiredNumberScheduled, d.Spec.Template.Spec, sel)
	}
	rsOwner := map[string]recommender.WorkloadRef{}
	for _, rs := range o.replicaSets {
		if owner, ok := controllerOf(rs.ObjectMeta); ok {
			rsOwner[rs.Namespace+"/"+rs.Name] = owner
		}
	}
	for _, p := range o.pods {
		owner, ok := controllerOf(p.ObjectMeta)
		if !ok {
			continue
		}
		if owner.Kind == "ReplicaSet" {
			if owner, ok = rsOwner[p.Namespace+"/"+owner.Name]; !ok {
				continue // a bare ReplicaSet: not a workload pacer sizes
			}
		}
		inv.pods[p.Namespace+"/"+p.Name] = owner
		if w := inv.Workloads[owner]; w != nil {
			for _, s := range p.Status.ContainerStatuses {
				if t := s.LastTerminationState.Terminated; t != nil && t.Reason == "OOMKilled" {
					w.OOMKills[s.Name]++
				}
			}
		}
	}
	for _, h := range o.hpas {
		ref := recommender.WorkloadRef{Namespace: h.Namespace, Kind: recommender.WorkloadKind(h.Spec.ScaleTargetRef.Kind), Name: h.Spec.ScaleTargetRef.Name}
		if w := inv.Workloads[ref]; w != nil {
			w.HPA = &HPA{Name: h.Name, MinReplicas: replicasOf(h.Spec.MinReplicas), MaxReplicas: h.Spec.MaxReplicas}
		}
	}
	for _, v := range o.vpas {
		kind, _, _ := unstructured.NestedString(v.Object, "spec", "targetRef", "kind")
		name, _, _ := unstructured.NestedString(v.Object, "spec", "targetRef", "name")
		ref := recommender.WorkloadRef{Namespace: v.GetNamespace(), Kind: recommender.WorkloadKind(kind), Name: name}
		if w := inv.Workloads[ref]; w != nil {
			w.VPAs = append(w.VPAs, v.GetName())
			slices.Sort(w.VPAs)
		}
	}
	return inv
}

func (inv *Inventory) add(kind recommender.WorkloadKind, meta metav1.ObjectMeta, replicas int32, spec corev1.PodSpec, sel labels.Selector) {
	if sel != nil && !sel.Matches(labels.Set(meta.Labels)) {
		return
	}
	ref := recommender.WorkloadRef{Namespace: meta.Namespace, Kind: kind, Name: meta.Name}
	w := &Workload{Ref: ref, Labels: meta.Labels, Annotations: meta.Annotations, Replicas: replicas,
		Containers: map[string]recommender.Resources{}, OOMKills: map[string]int{}}
	for _, c := range spec.Containers {
		w.Containers[c.Name] = resourcesOf(c)
	}
	inv.Workloads[ref] = w
}

// controllerOf returns the controlling owner of an object.
func controllerOf(meta metav1.ObjectMeta) (recommender.WorkloadRef, bool) {
	for _, o := range meta.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			return recommender.WorkloadRef{Namespace: meta.Namespace, Kind: recommender.WorkloadKind(o.Kind), Name: o.Name}, true
		}
	}
	return recommender.WorkloadRef{}, false
}

func replicasOf(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// WorkloadOf maps a container to its workload: by owner references when
// the pod was listed, else by the shape of its name.
func (inv *Inventory) WorkloadOf(ref recommender.ContainerRef) recommender.WorkloadRef {
	if w, ok := inv.pods[ref.Namespace+"/"+ref.Pod]; ok {
		return w
	}
	return recommender.GuessWorkload(ref.Namespace, ref.Pod)
}

// Selected reports whether a workload passes the label selector. A
// workload Kubernetes does not know passes only when there is no selector.
func (inv *Inventory) Selected(w recommender.WorkloadRef) bool {
	_, ok := inv.Workloads[w]
	return ok || inv.all
}

// Current returns what a workload runs with, as far as Kubernetes says.
func (inv *Inventory) Current(ref recommender.WorkloadRef) recommender.Current {
	w, ok := inv.Workloads[ref]
	if !ok {
		return recommender.Current{}
	}
	return recommender.Current{Replicas: w.Replicas, Containers: w.Containers, OOMKills: w.OOMKills}
}

// listAll pages through a list call, 500 objects at a time.
func listAll[L any, T any](ctx context.Context, what, ns string, list func(context.Context, metav1.ListOptions) (L, error), items func(L) ([]T, string)) ([]T, error) {
	var out []T
	opts := metav1.ListOptions{Limit: 500}
	for {
		l, err := list(ctx, opts)
		if err != nil {
			where := "all namespaces"
			if ns != "" {
				where = "namespace " + ns
			}
			return nil, fmt.Errorf("listing %s in %s: %w", what, where, err)
		}
		page, next := items(l)
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		opts.Continue = next
	}
}
