package policy

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the nodes a decoder visits. Aliases let a small file
// stand for a huge tree; a real policy file has a few hundred nodes.
const maxNodes = 100_000

// maxEntries bounds a list or map setting such as selector.namespaces.
const maxEntries = 1000

// decoder sets Go values from YAML nodes as yaml.v3 does, following aliases
// and merge keys (<<), but reports every unknown field and bad value with
// the path of its field, and remembers the line each field was written on.
type decoder struct {
	nodesLeft int
	errs      []*FieldError
	// lines maps the path of each field found to the line of its key.
	lines map[string]int
	// merging holds the mappings whose merge keys are being followed, so a
	// mapping that merges itself is refused instead of looping.
	merging map[*yaml.Node]bool
}

func newDecoder() *decoder {
	return &decoder{nodesLeft: maxNodes, lines: map[string]int{}, merging: map[*yaml.Node]bool{}}
}

func (d *decoder) fail(line int, path, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{Line: line, Field: path, Msg: fmt.Sprintf(format, args...)})
}

// spend takes n nodes from the budget and reports whether any were left.
func (d *decoder) spend(n int) bool {
	if d.nodesLeft <= 0 {
		return false
	}
	d.nodesLeft -= n
	if d.nodesLeft <= 0 {
		d.fail(0, "", "the file holds more than %d YAML nodes once its aliases are expanded", maxNodes)
		return false
	}
	return true
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && n.ShortTag() == "!!merge"
}

// pair is one key of a mapping with the node that holds its value.
type pair struct{ key, value *yaml.Node }

// pairs lists the keys of a mapping as yaml.v3 applies them: its own keys
// first, then those its merge keys bring in that are not set yet, so a key
// written in the mapping wins over a merged one, and of merged mappings the
// earlier wins. A key written twice in one mapping is an error.
func (d *decoder) pairs(m *yaml.Node, path string) []pair {
	var out []pair
	d.collect(m, path, map[string]bool{}, &out)
	return out
}

func (d *decoder) collect(m *yaml.Node, path string, set map[string]bool, out *[]pair) {
	if d.merging[m] {
		d.fail(m.Line, path, "a merge key (<<) brings in the mapping that holds it")
		return
	}
	d.merging[m] = true
	defer delete(d.merging, m)
	written := map[string]int{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !d.spend(1) {
			return
		}
		k, v := m.Content[i], m.Content[i+1]
		merge := isMergeKey(k)
		k = resolve(k) // a key may be an alias too
		if k.Kind == yaml.ScalarNode {
			if line, dup := written[k.Value]; dup {
				d.fail(k.Line, join(path, k.Value), "written twice in one mapping (first at line %d)", line)
				continue
			}
			written[k.Value] = k.Line
		}
		switch {
		case merge:
			merges = append(merges, v)
		case !set[k.Value]:
			set[k.Value] = true
			*out = append(*out, pair{k, v})
		}
	}
	for _, v := range merges {
		from := []*yaml.Node{v}
		if r := resolve(v); r.Kind == yaml.SequenceNode {
			from = r.Content
		}
		for _, src := range from {
			if r := resolve(src); r.Kind == yaml.MappingNode {
				d.collect(r, path, set, out)
			} else {
				d.fail(src.Line, join(path, "<<"), "a merge key takes a mapping or a list of mappings")
			}
		}
	}
}

// decode sets v, which must be addressable, from n: a struct field by
// field, keeping the value of every field n leaves out; a list or a map
// entry by entry, replacing the old one; a single value through yaml.v3.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if !d.spend(1) {
		return
	}
	r := resolve(n)
	t := v.Type()
	switch {
	case isNull(r) && t.Kind() != reflect.Slice && t.Kind() != reflect.Map:
		return // an empty setting keeps its default, as in yaml.v3
	case isStruct(t):
		d.decodeStruct(r, v, path)
	case t.Kind() == reflect.Slice:
		d.decodeList(r, v, path)
	case t.Kind() == reflect.Map:
		d.decodeMap(r, v, path)
	default:
		d.decodeValue(n, r, v, path)
	}
}

// isStruct reports whether t is a struct decoded field by field, not one
// that reads itself such as Quantity.
func isStruct(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]())
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	fields, names := fieldsOf(v.Type())
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, path, "want a mapping of settings (%s)", strings.Join(names, ", "))
		return
	}
	for _, kv := range d.pairs(n, path) {
		field := join(path, kv.key.Value)
		i, ok := fields[kv.key.Value]
		if !ok || kv.key.Kind != yaml.ScalarNode {
			d.fail(kv.key.Line, field, "unknown field (known: %s)", strings.Join(names, ", "))
			continue
		}
		d.lines[field] = kv.key.Line
		d.decode(kv.value, v.Field(i), field)
	}
}

func (d *decoder) decodeList(n *yaml.Node, v reflect.Value, path string) {
	switch {
	case isNull(n):
		v.SetZero()
		return
	case n.Kind != yaml.SequenceNode:
		d.fail(n.Line, path, "want a list")
		return
	case len(n.Content) > maxEntries:
		d.fail(n.Line, path, "more than %d entries", maxEntries)
		return
	}
	list := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, e := range n.Content {
		elem := fmt.Sprintf("%s[%d]", path, i)
		d.lines[elem] = e.Line
		if isNull(resolve(e)) {
			// yaml.v3 would drop the entry without a word; say so instead.
			d.fail(e.Line, elem, "an empty entry: write a value or remove the line")
			continue
		}
		d.decode(e, list.Index(i), elem)
	}
	v.Set(list)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	switch {
	case isNull(n):
		v.SetZero()
		return
	case n.Kind != yaml.MappingNode:
		d.fail(n.Line, path, "want a mapping")
		return
	case len(n.Content) > 2*maxEntries:
		d.fail(n.Line, path, "more than %d entries", maxEntries)
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, kv := range d.pairs(n, path) {
		if kv.key.Kind != yaml.ScalarNode {
			d.fail(kv.key.Line, path, "want plain keys")
			continue
		}
		field := join(path, kv.key.Value)
		key := reflect.New(v.Type().Key()).Elem()
		d.decodeValue(kv.key, kv.key, key, field)
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(kv.value, elem, field)
		m.SetMapIndex(key, elem)
	}
	v.Set(m)
}

// decodeValue sets a single value from r, which n (maybe an alias) names.
func (d *decoder) decodeValue(n, r *yaml.Node, v reflect.Value, path string) {
	_, reads := v.Addr().Interface().(yaml.Unmarshaler)
	if r.Kind != yaml.ScalarNode && !reads {
		d.fail(n.Line, path, "want %s, not a list or mapping", valueKind(v.Kind()))
		return
	}
	err := r.Decode(v.Addr().Interface())
	if err == nil {
		return
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		d.fail(n.Line, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	for _, msg := range te.Errors {
		line, text := splitLine(msg)
		if line == 0 || n.Kind == yaml.AliasNode {
			line = n.Line
		}
		d.fail(line, path, "%s", text)
	}
}

func valueKind(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	default:
		return "a number"
	}
}

// fieldsOf maps the yaml name of each field of a struct type to its index,
// and lists the names in order.
func fieldsOf(t reflect.Type) (map[string]int, []string) {
	fields := map[string]int{}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = i
			names = append(names, name)
		}
	}
	return fields, names
}

// lineOf returns the line of the field at path, or of its nearest parent
// that the file wrote, or def.
func (d *decoder) lineOf(path string, def int) int {
	for path != "" {
		if line, ok := d.lines[path]; ok {
			return line
		}
		i := strings.LastIndex(path, ".")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return def
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// splitLine splits yaml.v3's "line N: message" into N and the message.
func splitLine(msg string) (int, string) {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if after, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(after, ": "); ok {
			if l, err := strconv.Atoi(num); err == nil {
				return l, text
			}
		}
	}
	return 0, msg
}
