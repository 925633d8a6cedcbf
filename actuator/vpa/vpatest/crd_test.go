package vpatest

import (
	"bytes"
	"context"
	"testing"
)

func TestCRDYAMLHoldsTheVPACRDWithItsStatusSubresource(t *testing.T) {
	data, err := CRDYAML(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"name: verticalpodautoscalers.autoscaling.k8s.io",
		"name: verticalpodautoscalercheckpoints.autoscaling.k8s.io",
		"kind: CustomResourceDefinition",
		"status: {}",
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("the CRD manifest lacks %q", want)
		}
	}
}
