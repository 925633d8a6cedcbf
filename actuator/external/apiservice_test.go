package external

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

func apiService(namespace, name string) *unstructured.Unstructured {
	spec := map[string]any{"group": "external.metrics.k8s.io", "version": "v1beta1"}
	if name != "" {
		spec["service"] = map[string]any{"namespace": namespace, "name": name, "port": int64(443)}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": APIServiceName},
		"spec":     spec,
		"status": map[string]any{"conditions": []any{
			map[string]any{"type": "Available", "status": "True", "message": "all checks passed"},
		}},
	}}
}

func TestCheckAPIService(t *testing.T) {
	ours := ServiceRef{Namespace: "pacer-system", Name: "pacer"}
	for _, tt := range []struct {
		name     string
		objects  []runtime.Object
		want     Ownership
		ownerHas string
	}{
		{"none", nil, Ownership{}, ""},
		{"pacer's", []runtime.Object{apiService("pacer-system", "pacer")},
			Ownership{Registered: true, Service: ours, Ours: true, Available: "True", Message: "all checks passed"}, ""},
		{"KEDA's", []runtime.Object{apiService("keda", "keda-operator-metrics-apiserver")}, Ownership{Registered: true}, "KEDA"},
		{"prometheus-adapter's", []runtime.Object{apiService("monitoring", "prometheus-adapter")}, Ownership{Registered: true}, "prometheus-adapter"},
		{"pacer's in another namespace", []runtime.Object{apiService("other", "pacer")}, Ownership{Registered: true}, "another server (other/pacer)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
				map[schema.GroupVersionResource]string{apiServices: "APIServiceList"}, tt.objects...)
			got, err := CheckAPIService(context.Background(), client, ours)
			if err != nil {
				t.Fatal(err)
			}
			if tt.ownerHas != "" {
				if got.Ours || !got.Registered || !strings.Contains(got.Owner, tt.ownerHas) {
					t.Errorf("got %+v, want another owner naming %q", got, tt.ownerHas)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
