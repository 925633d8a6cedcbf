package sim

import (
	"math"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// numSignals is the size of recommender's signal catalogue, so that a
// minute's values are an array (a test checks it).
const numSignals = 13

// signalIndex numbers the signals in catalogue order.
var signalIndex = func() map[recommender.Signal]int {
	m := map[recommender.Signal]int{}
	for i, s := range recommender.Signals() {
		m[s] = i
	}
	return m
}()

// PodMinute is one pod's container in one simulated step: what monitoring
// would have shown had the pod run with Resources. CPU is the CPU it got
// (capped by its limit), Memory its working set, HeapGoal, GCCPU and GCRate
// what the Go GC did under its GOMEMLIMIT; the other signals are as recorded.
type PodMinute struct {
	Ref recommender.ContainerRef
	At  time.Time
	// Resources are what the container ran with.
	Resources recommender.Resources
	// OOMKilled: the container exceeded its memory limit in this step and
	// was restarted.
	OOMKilled bool
	values    [numSignals]float64
}

func newPodMinute(ref recommender.ContainerRef, at time.Time) PodMinute {
	m := PodMinute{Ref: ref, At: at}
	for i := range m.values {
		m.values[i] = math.NaN()
	}
	return m
}

// Value returns a signal's value, and false when there is none.
func (m *PodMinute) Value(sig recommender.Signal) (float64, bool) {
	v := m.values[signalIndex[sig]]
	return v, !math.IsNaN(v)
}

// Set records a signal's value; NaN clears it.
func (m *PodMinute) Set(sig recommender.Signal, v float64) {
	if i, ok := signalIndex[sig]; ok {
		m.values[i] = v
	}
}
