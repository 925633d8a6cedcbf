package direct

import (
	"encoding/json"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// owners says, per container and field, who owns the fields pacer sizes,
// as the workload's managedFields record it.
type owners struct {
	// known is false when the workload came without managedFields.
	known bool
	// pacer holds the fields pacer's own applies own.
	pacer map[string][numFields]bool
	// others names the other managers of each field.
	others map[string][numFields][]string
}

// ownersOf reads managedFields for the owners of the container fields
// pacer sizes. An entry pacer wrote with another operation than Apply
// (there is none) counts as someone else's, as the API server would.
func ownersOf(entries []metav1.ManagedFieldsEntry, fieldManager string) owners {
	o := owners{known: len(entries) > 0, pacer: map[string][numFields]bool{}, others: map[string][numFields][]string{}}
	for _, e := range entries {
		if e.Subresource != "" || e.FieldsV1 == nil || !strings.HasPrefix(e.APIVersion, "apps/") {
			continue
		}
		mine := e.Manager == fieldManager && e.Operation == metav1.ManagedFieldsOperationApply
		for container, fields := range containerFields(e.FieldsV1.GetRawBytes()) {
			if mine {
				o.pacer[container] = fields
				continue
			}
			others := o.others[container]
			for f, owned := range fields {
				if owned {
					others[f] = append(others[f], e.Manager)
				}
			}
			o.others[container] = others
		}
	}
	return o
}

// fieldSet is a FieldsV1 set: "f:name" for a field, `k:{"name":"app"}`
// for a list item by key, "." for the item itself.
type fieldSet map[string]json.RawMessage

func (s fieldSet) child(key string) fieldSet {
	raw, ok := s[key]
	if !ok {
		return nil
	}
	var c fieldSet
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil
	}
	return c
}

func (s fieldSet) has(key string) bool {
	_, ok := s[key]
	return ok
}

// containerFields reads which of pacer's fields a FieldsV1 set owns in
// each container of the pod template (spec.template.spec.containers, the
// same path in Deployments, StatefulSets and DaemonSets).
func containerFields(raw []byte) map[string][numFields]bool {
	var root fieldSet
	if err := json.Unmarshal(raw, &root); err != nil {
		return nil
	}
	containers := root.child("f:spec").child("f:template").child("f:spec").child("f:containers")
	out := map[string][numFields]bool{}
	for key := range containers {
		name, ok := itemKey(key)
		if !ok {
			continue
		}
		c := containers.child(key)
		resources := c.child("f:resources")
		requests, limits, env := resources.child("f:requests"), resources.child("f:limits"), c.child("f:env")
		var fields [numFields]bool
		for f := range numFields {
			switch {
			case f.env() != "":
				fields[f] = env.child(`k:{"name":"` + f.env() + `"}`).has("f:value")
			case f.isLimit():
				fields[f] = limits.has("f:" + string(f.resource()))
			default:
				fields[f] = requests.has("f:" + string(f.resource()))
			}
		}
		out[name] = fields
	}
	return out
}

// itemKey reads the name from a list item key `k:{"name":"app"}`.
func itemKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "k:")
	if !ok {
		return "", false
	}
	var k struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(rest), &k); err != nil || k.Name == "" {
		return "", false
	}
	return k.Name, true
}
