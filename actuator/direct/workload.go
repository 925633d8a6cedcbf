package direct

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pacerdev/pacer/recommender"
)

// object is a Deployment, StatefulSet or DaemonSet as read from the API
// server, seen through what pacer needs of it.
type object struct {
	// obj is the typed object with its kind set, for events.
	obj  runtime.Object
	meta *metav1.ObjectMeta
	pod  *corev1.PodSpec
}

// supported reports whether direct mode can change a workload of kind k.
func supported(k recommender.WorkloadKind) bool {
	return k == recommender.KindDeployment || k == recommender.KindStatefulSet || k == recommender.KindDaemonSet
}

// getObject reads a workload.
func getObject(ctx context.Context, client kubernetes.Interface, ref recommender.WorkloadRef) (object, error) {
	apps := client.AppsV1()
	opts := metav1.GetOptions{}
	switch ref.Kind {
	case recommender.KindDeployment:
		d, err := apps.Deployments(ref.Namespace).Get(ctx, ref.Name, opts)
		if err != nil {
			return object{}, err
		}
		d.APIVersion, d.Kind = appsv1.SchemeGroupVersion.String(), string(ref.Kind)
		return object{obj: d, meta: &d.ObjectMeta, pod: &d.Spec.Template.Spec}, nil
	case recommender.KindStatefulSet:
		s, err := apps.StatefulSets(ref.Namespace).Get(ctx, ref.Name, opts)
		if err != nil {
			return object{}, err
		}
		s.APIVersion, s.Kind = appsv1.SchemeGroupVersion.String(), string(ref.Kind)
		return object{obj: s, meta: &s.ObjectMeta, pod: &s.Spec.Template.Spec}, nil
	case recommender.KindDaemonSet:
		d, err := apps.DaemonSets(ref.Namespace).Get(ctx, ref.Name, opts)
		if err != nil {
			return object{}, err
		}
		d.APIVersion, d.Kind = appsv1.SchemeGroupVersion.String(), string(ref.Kind)
		return object{obj: d, meta: &d.ObjectMeta, pod: &d.Spec.Template.Spec}, nil
	}
	return object{}, fmt.Errorf("direct mode cannot change a %s", ref.Kind)
}

// applyRequest is what pacer applies to a workload.
type applyRequest struct {
	annotations map[string]string
	pod         *corev1ac.PodSpecApplyConfiguration
	// resourceVersion, when set, makes the apply fail if the workload is
	// no longer at it.
	resourceVersion string
}

// applyObject server-side applies pacer's annotations and pod template
// fields to a workload.
func applyObject(ctx context.Context, client kubernetes.Interface, ref recommender.WorkloadRef, req applyRequest, opts metav1.ApplyOptions) error {
	apps := client.AppsV1()
	template := corev1ac.PodTemplateSpec().WithSpec(req.pod)
	var rv *string
	if req.resourceVersion != "" {
		rv = &req.resourceVersion
	}
	var err error
	switch ref.Kind {
	case recommender.KindDeployment:
		ac := appsv1ac.Deployment(ref.Name, ref.Namespace).WithAnnotations(req.annotations).WithSpec(appsv1ac.DeploymentSpec().WithTemplate(template))
		ac.ResourceVersion = rv
		_, err = apps.Deployments(ref.Namespace).Apply(ctx, ac, opts)
	case recommender.KindStatefulSet:
		ac := appsv1ac.StatefulSet(ref.Name, ref.Namespace).WithAnnotations(req.annotations).WithSpec(appsv1ac.StatefulSetSpec().WithTemplate(template))
		ac.ResourceVersion = rv
		_, err = apps.StatefulSets(ref.Namespace).Apply(ctx, ac, opts)
	case recommender.KindDaemonSet:
		ac := appsv1ac.DaemonSet(ref.Name, ref.Namespace).WithAnnotations(req.annotations).WithSpec(appsv1ac.DaemonSetSpec().WithTemplate(template))
		ac.ResourceVersion = rv
		_, err = apps.DaemonSets(ref.Namespace).Apply(ctx, ac, opts)
	default:
		err = fmt.Errorf("direct mode cannot change a %s", ref.Kind)
	}
	return err
}

// podApplyConfiguration is the part of the pod template pacer applies:
// per container its name, the requests and limits it sets, and its
// GOMEMLIMIT and GOMAXPROCS env entries.
func podApplyConfiguration(containers []containerPlan) *corev1ac.PodSpecApplyConfiguration {
	pod := corev1ac.PodSpec()
	for _, c := range containers {
		ac := corev1ac.Container().WithName(c.name)
		requests, limits := corev1.ResourceList{}, corev1.ResourceList{}
		for f, s := range c.fields {
			f := field(f)
			switch {
			case s == nil:
			case f.env() != "":
				ac.WithEnv(corev1ac.EnvVar().WithName(f.env()).WithValue(s.text))
			case f.isLimit():
				limits[f.resource()] = s.qty
			default:
				requests[f.resource()] = s.qty
			}
		}
		if len(requests) > 0 || len(limits) > 0 {
			rr := corev1ac.ResourceRequirements()
			if len(requests) > 0 {
				rr.WithRequests(requests)
			}
			if len(limits) > 0 {
				rr.WithLimits(limits)
			}
			ac.WithResources(rr)
		}
		pod.WithContainers(ac)
	}
	return pod
}
