package recommender

import "testing"

func TestGuessWorkload(t *testing.T) {
	tests := []struct {
		pod  string
		want WorkloadRef
	}{
		{"checkout-7d9f8b6c5d-x2x4z", WorkloadRef{"shop", KindDeployment, "checkout"}},
		{"my-api-v2-5f4c9b7d8-k9z2q", WorkloadRef{"shop", KindDeployment, "my-api-v2"}},
		{"redis-0", WorkloadRef{"shop", KindStatefulSet, "redis"}},
		{"kafka-12", WorkloadRef{"shop", KindStatefulSet, "kafka"}},
		{"node-exporter-8x7qz", WorkloadRef{"shop", KindDaemonSet, "node-exporter"}},
		{"standalone", WorkloadRef{"shop", KindPod, "standalone"}},
		{"web-01", WorkloadRef{"shop", KindPod, "web-01"}},       // leading zero: not an ordinal
		{"api-aeiou", WorkloadRef{"shop", KindPod, "api-aeiou"}}, // vowels never appear in generated suffixes
	}
	for _, tt := range tests {
		if got := GuessWorkload("shop", tt.pod); got != tt.want {
			t.Errorf("GuessWorkload(%q) = %v, want %v", tt.pod, got, tt.want)
		}
	}
}
