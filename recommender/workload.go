package recommender

import (
	"regexp"
)

// WorkloadKind is the kind of object that owns a workload's pods.
type WorkloadKind string

// Workload kinds pacer knows.
const (
	KindDeployment  WorkloadKind = "Deployment"
	KindStatefulSet WorkloadKind = "StatefulSet"
	KindDaemonSet   WorkloadKind = "DaemonSet"
	KindPod         WorkloadKind = "Pod"
)

// WorkloadRef identifies a workload: the controller that owns a set of pods.
type WorkloadRef struct {
	Namespace string       `json:"namespace"`
	Kind      WorkloadKind `json:"kind"`
	Name      string       `json:"name"`
}

func (w WorkloadRef) String() string {
	return w.Namespace + "/" + string(w.Kind) + "/" + w.Name
}

// Kubernetes builds generated name suffixes from this alphabet (no vowels and
// no characters that read alike), so a suffix drawn from it is a strong hint.
const generatedChars = `[bcdfghjklmnpqrstvwxz2456789]`

var (
	deploymentPod  = regexp.MustCompile(`^(.+)-` + generatedChars + `{6,10}-` + generatedChars + `{5}$`)
	statefulSetPod = regexp.MustCompile(`^(.+)-(0|[1-9][0-9]*)$`)
	daemonSetPod   = regexp.MustCompile(`^(.+)-` + generatedChars + `{5}$`)
)

// GuessWorkload infers a pod's workload from the shape of its name, for
// sources that have no access to owner references (Prometheus alone, the
// scraper, traces). With a Kubernetes API at hand, owner references are used
// instead. A name that fits no pattern is its own workload of kind Pod.
func GuessWorkload(namespace, pod string) WorkloadRef {
	if m := deploymentPod.FindStringSubmatch(pod); m != nil {
		return WorkloadRef{namespace, KindDeployment, m[1]}
	}
	if m := statefulSetPod.FindStringSubmatch(pod); m != nil {
		return WorkloadRef{namespace, KindStatefulSet, m[1]}
	}
	if m := daemonSetPod.FindStringSubmatch(pod); m != nil {
		return WorkloadRef{namespace, KindDaemonSet, m[1]}
	}
	return WorkloadRef{namespace, KindPod, pod}
}
