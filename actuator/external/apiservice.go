package external

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// APIServiceName is the APIService that routes external metrics.
const APIServiceName = "v1beta1.external.metrics.k8s.io"

var apiServices = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// ServiceRef names a Service.
type ServiceRef struct {
	Namespace, Name string
}

func (s ServiceRef) String() string { return s.Namespace + "/" + s.Name }

// Ownership is who serves external metrics in the cluster, as far as the
// APIService says.
type Ownership struct {
	// Registered is false when there is no APIService.
	Registered bool
	// Service is the Service it routes to; empty when served locally.
	Service ServiceRef
	// Ours reports whether that is pacer's Service.
	Ours bool
	// Owner names the other server in words, e.g. "KEDA".
	Owner string
	// Available is the APIService's Available condition, with its message.
	Available, Message string
}

// CheckAPIService reads the external metrics APIService and says whether
// it routes to ours. Only one server can own it per cluster.
func CheckAPIService(ctx context.Context, client dynamic.Interface, ours ServiceRef) (Ownership, error) {
	obj, err := client.Resource(apiServices).Get(ctx, APIServiceName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Ownership{}, nil
	}
	if err != nil {
		return Ownership{}, fmt.Errorf("reading APIService %s: %w", APIServiceName, err)
	}
	o := Ownership{Registered: true}
	o.Service.Namespace, _, _ = unstructured.NestedString(obj.Object, "spec", "service", "namespace")
	o.Service.Name, _, _ = unstructured.NestedString(obj.Object, "spec", "service", "name")
	o.Ours = o.Service == ours
	if !o.Ours {
		o.Owner = guessOwner(o.Service)
	}
	conditions, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conditions {
		if c, ok := c.(map[string]any); ok && c["type"] == "Available" {
			o.Available, _ = c["status"].(string)
			o.Message, _ = c["message"].(string)
		}
	}
	return o, nil
}

// guessOwner names the usual owners of the external metrics APIService
// from their Services' customary names.
func guessOwner(s ServiceRef) string {
	name := strings.ToLower(s.String())
	switch {
	case s.Name == "":
		return "the kube-apiserver itself (a local APIService)"
	case strings.Contains(name, "keda"):
		return "KEDA (" + s.String() + ")"
	case strings.Contains(name, "prometheus-adapter"), strings.Contains(name, "custom-metrics"):
		return "prometheus-adapter (" + s.String() + ")"
	case strings.Contains(name, "datadog"):
		return "the Datadog Cluster Agent (" + s.String() + ")"
	}
	return "another server (" + s.String() + ")"
}
