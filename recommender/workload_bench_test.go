package recommender

import "testing"

// BenchmarkGuessWorkload maps one Deployment pod to its workload, as the
// loop's default WorkloadOf does for every container of every cycle.
func BenchmarkGuessWorkload(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if w := GuessWorkload("shop", "checkout-7d9f8b6c5d-x2x4z"); w.Kind != KindDeployment {
			b.Fatalf("guessed %v", w)
		}
	}
}
