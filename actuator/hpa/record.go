package hpa

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AppliedMetricsAnnotation records what pacer last applied to an HPA's
// spec.metrics. Removing it hands the metrics back to pacer.
const AppliedMetricsAnnotation = "pacer.dev/applied-metrics"

// record is the value of AppliedMetricsAnnotation.
type record struct {
	// Metrics is the hash of spec.metrics as pacer applied it.
	Metrics string `json:"metrics"`
	// Targets are the targets pacer applied, by metric key ("850500m", "35%").
	Targets map[string]string `json:"targets,omitempty"`
	// ScaleAtCores is, per CPU utilization metric, the CPU per pod (or per
	// container) in cores at which the HPA scales: utilization × request,
	// taken when pacer took the HPA over and kept since.
	ScaleAtCores map[string]float64 `json:"scaleAtCores,omitempty"`
}

// readRecord reads the annotation; ok is false when there is none.
func readRecord(annotations map[string]string) (r record, ok bool, err error) {
	v, ok := annotations[AppliedMetricsAnnotation]
	if !ok {
		return record{}, false, nil
	}
	if err := json.Unmarshal([]byte(v), &r); err != nil || r.Metrics == "" {
		return record{}, true, fmt.Errorf("annotation %s %q is not what pacer writes", AppliedMetricsAnnotation, v)
	}
	return r, true, nil
}

func (r record) String() string {
	b, err := json.Marshal(r)
	if err != nil { // a struct of strings and floats: cannot fail
		panic(err)
	}
	return string(b)
}

// hashMetrics identifies a metrics list by the SHA-256 of its JSON, in
// which quantities are canonical.
func hashMetrics(metrics []autoscalingv2.MetricSpec) string {
	b, err := json.Marshal(metrics)
	if err != nil { // API types always marshal
		panic(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// owner is a field manager that owns spec.metrics.
type owner struct {
	Manager   string
	Operation metav1.ManagedFieldsOperationType
	At        time.Time
}

func (o owner) String() string {
	s := fmt.Sprintf("%s (%s", o.Manager, o.Operation)
	if !o.At.IsZero() {
		s += " at " + o.At.UTC().Format(time.RFC3339)
	}
	return s + ")"
}

// ownership says who owns spec.metrics by managedFields.
type ownership struct {
	// known is false when the object came without managedFields.
	known bool
	pacer bool
	// others are the other owners, the latest first.
	others []owner
}

// metricsOwnership reads managedFields for the owners of spec.metrics
// (spec.targetCPUUtilizationPercentage in an autoscaling/v1 entry, the same
// field seen through the older API). Status entries do not count.
func metricsOwnership(entries []metav1.ManagedFieldsEntry, fieldManager string) ownership {
	o := ownership{known: len(entries) > 0}
	for _, e := range entries {
		if e.Subresource != "" || e.FieldsV1 == nil || !strings.HasPrefix(e.APIVersion, "autoscaling/") {
			continue
		}
		field := "f:metrics"
		if e.APIVersion == "autoscaling/v1" {
			field = "f:targetCPUUtilizationPercentage"
		}
		if !ownsSpecField(e.FieldsV1.GetRawBytes(), field) {
			continue
		}
		if e.Manager == fieldManager && e.Operation == metav1.ManagedFieldsOperationApply {
			o.pacer = true
			continue
		}
		w := owner{Manager: e.Manager, Operation: e.Operation}
		if e.Time != nil {
			w.At = e.Time.Time
		}
		o.others = append(o.others, w)
	}
	slices.SortStableFunc(o.others, func(a, b owner) int { return b.At.Compare(a.At) })
	return o
}

// ownsSpecField reports whether a FieldsV1 set holds spec.<field>.
func ownsSpecField(raw []byte, field string) bool {
	var set struct {
		Spec map[string]json.RawMessage `json:"f:spec"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return false
	}
	_, ok := set.Spec[field]
	return ok
}

// names lists the owners for a message.
func names(owners []owner) string {
	if len(owners) == 0 {
		return "an unknown manager (managedFields do not say)"
	}
	parts := make([]string, len(owners))
	for i, o := range owners {
		parts[i] = o.String()
	}
	return strings.Join(parts, ", ")
}
