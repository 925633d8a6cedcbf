package direct

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pacerdev/pacer/recommender"
)

// AppliedResourcesAnnotation records, on a workload, the fields pacer
// applied, their values and when. pacer writes it in the same apply as
// the fields; removing it hands the fields back to pacer.
const AppliedResourcesAnnotation = "pacer.dev/applied-resources"

// record is the value of AppliedResourcesAnnotation, e.g.
// {"at":"2026-03-01T12:00:00Z","containers":{"app":{"env.GOMAXPROCS":"2","requests.cpu":"250m"}}}.
type record struct {
	// At is when pacer last changed the workload, for the rate limit.
	At time.Time `json:"at"`
	// Containers holds, per container, the value of every field pacer
	// applied, by field key ("requests.cpu", "env.GOMEMLIMIT").
	Containers map[string]map[string]string `json:"containers"`
}

// key names a field in the record, as a path under the container.
func (f field) key() string {
	switch {
	case f.env() != "":
		return "env." + f.env()
	case f.isLimit():
		return "limits." + string(f.resource())
	}
	return "requests." + string(f.resource())
}

// fieldOf reads a field key.
func fieldOf(key string) (field, bool) {
	for f := range numFields {
		if f.key() == key {
			return f, true
		}
	}
	return 0, false
}

// newRecord records the fields an apply sets.
func newRecord(containers []containerPlan, at time.Time) record {
	r := record{At: at.UTC().Truncate(time.Second), Containers: map[string]map[string]string{}}
	for _, c := range containers {
		fields := map[string]string{}
		for f, s := range c.fields {
			if s != nil {
				fields[field(f).key()] = s.text
			}
		}
		r.Containers[c.name] = fields
	}
	return r
}

// readRecord reads the annotation: nil when there is none.
func readRecord(annotations map[string]string) (*record, error) {
	v, ok := annotations[AppliedResourcesAnnotation]
	if !ok {
		return nil, nil
	}
	var r record
	if err := json.Unmarshal([]byte(v), &r); err != nil || r.validate() != nil {
		return nil, fmt.Errorf("annotation %s %q is not what pacer writes", AppliedResourcesAnnotation, v)
	}
	return &r, nil
}

// validate says what in a record pacer would not have written.
func (r record) validate() error {
	if r.At.IsZero() {
		return errors.New("no time")
	}
	for _, fields := range r.Containers {
		for key := range fields {
			if _, ok := fieldOf(key); !ok {
				return fmt.Errorf("no field %q", key)
			}
		}
	}
	return nil
}

func (r record) String() string {
	b, err := json.Marshal(r)
	if err != nil { // a time and maps of strings: cannot fail
		panic(err)
	}
	return string(b)
}

// has reports whether pacer recorded a field of a container.
func (r *record) has(container string, f field) bool {
	if r == nil {
		return false
	}
	_, ok := r.Containers[container][f.key()]
	return ok
}

// lostField is a field pacer recorded that is no longer as pacer left it.
type lostField struct {
	container string
	field     field
	recorded  string
	// now is the live value, "" when it is the recorded one.
	now string
	// owners are the other managers of the field now.
	owners []string
}

func (l lostField) String() string {
	s := fmt.Sprintf("container %s %s", l.container, l.field)
	switch {
	case l.now != "" && len(l.owners) > 0:
		return fmt.Sprintf("%s %s → %s (%s)", s, l.recorded, l.now, strings.Join(l.owners, ", "))
	case l.now != "":
		return fmt.Sprintf("%s %s → %s", s, l.recorded, l.now)
	case len(l.owners) > 0:
		return fmt.Sprintf("%s %s, now also owned by %s", s, l.recorded, strings.Join(l.owners, ", "))
	}
	return fmt.Sprintf("%s %s, no longer owned by pacer", s, l.recorded)
}

// lost lists the recorded fields a person or controller took after pacer
// applied them: the live value is not the recorded one, or another
// manager owns the field, or (when managedFields are known) pacer does
// not. A container no longer in the pod template was removed, not taken,
// and is passed over.
func (r *record) lost(containers []namedLive, own owners) []lostField {
	if r == nil {
		return nil
	}
	var out []lostField
	for _, c := range containers {
		fields, ok := r.Containers[c.name]
		if !ok {
			continue
		}
		for f := range numFields {
			recorded, ok := fields[f.key()]
			if !ok {
				continue
			}
			l := lostField{container: c.name, field: f, recorded: recorded, owners: own.others[c.name][f]}
			switch {
			case !matches(f, c.live.values[f], recorded):
				l.now = liveText(c.live, f)
			case len(l.owners) == 0 && (!own.known || own.pacer[c.name][f]):
				continue
			}
			out = append(out, l)
		}
	}
	return out
}

// matches reports whether a live value is the one recorded: the same
// quantity for a request or limit, the same text for an env value.
func matches(f field, live *setting, recorded string) bool {
	switch {
	case live == nil:
		return false
	case f.env() != "":
		return live.text == recorded
	}
	q, err := resource.ParseQuantity(recorded)
	return err == nil && live.qty.Cmp(q) == 0
}

// liveText writes a live value for a message.
func liveText(l live, f field) string {
	switch {
	case l.fromRef[f]:
		return "valueFrom"
	case l.values[f] == nil:
		return "unset"
	case l.values[f].text == "":
		return `""`
	}
	return l.values[f].text
}

// handBack tells a person how to give a workload's fields back to pacer.
func handBack(ref recommender.WorkloadRef) string {
	return fmt.Sprintf("pacer writes nothing to the workload until the %s annotation is removed, which hands the fields back: kubectl annotate %s -n %s %s %s-",
		AppliedResourcesAnnotation, strings.ToLower(string(ref.Kind)), ref.Namespace, ref.Name, AppliedResourcesAnnotation)
}
