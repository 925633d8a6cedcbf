package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FieldError is one problem with a policy file, located by file, line and field.
type FieldError struct {
	Source string
	Line   int
	// Field is the path of the setting, e.g. policies[0].cpu.percentile.
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	loc := e.Source
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// maxPolicyBytes bounds a policy file; a larger one is surely not a policy.
const maxPolicyBytes = 1 << 20

// Parse reads a policy file. Unknown fields are refused, every setting left
// out keeps its default, and every problem is reported with its line and
// field; a file with any problem yields no Set.
func Parse(data []byte, source string) (*Set, error) {
	if len(data) > maxPolicyBytes {
		return nil, &FieldError{Source: source, Msg: fmt.Sprintf("file is larger than %d bytes", maxPolicyBytes)}
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FieldError{Source: source, Msg: "file is empty"}
		}
		return nil, yamlError(source, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &FieldError{Source: source, Line: extra.Line, Msg: "more than one YAML document; a policy file holds one"}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, &FieldError{Source: source, Line: doc.Line, Msg: "want a mapping with apiVersion, kind and policies"}
	}
	set := &Set{}
	var errs []error
	policiesNode := (*yaml.Node)(nil)
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, val := doc.Content[i], doc.Content[i+1]
		switch key.Value {
		case "apiVersion":
			set.APIVersion = val.Value
		case "kind":
			set.Kind = val.Value
		case "policies":
			policiesNode = val
		default:
			errs = append(errs, &FieldError{source, key.Line, key.Value, "unknown field (want apiVersion, kind, policies)"})
		}
	}
	if set.APIVersion != APIVersion {
		errs = append(errs, &FieldError{source, lineOf(doc, "apiVersion"), "apiVersion", fmt.Sprintf("%q is not %q", set.APIVersion, APIVersion)})
	}
	if set.Kind != Kind {
		errs = append(errs, &FieldError{source, lineOf(doc, "kind"), "kind", fmt.Sprintf("%q is not %q", set.Kind, Kind)})
	}
	switch {
	case policiesNode == nil:
		errs = append(errs, &FieldError{source, doc.Line, "policies", "missing: a file needs at least one policy"})
	case policiesNode.Kind != yaml.SequenceNode:
		errs = append(errs, &FieldError{source, policiesNode.Line, "policies", "want a list of policies"})
	default:
		for i, pn := range policiesNode.Content {
			field := fmt.Sprintf("policies[%d]", i)
			p := Default()
			p.Name = ""
			for _, fe := range decodeStrict(pn, &p) {
				fe.Source, fe.Field = source, field+"."+fe.Field
				errs = append(errs, fe)
			}
			for _, fe := range p.validate() {
				fe.Source = source
				fe.Line = lineOfPath(pn, fe.Field)
				fe.Field = field + "." + fe.Field
				errs = append(errs, fe)
			}
			set.Policies = append(set.Policies, p)
		}
	}
	names := map[string]int{}
	for i, p := range set.Policies {
		if prev, dup := names[p.Name]; dup && p.Name != "" {
			errs = append(errs, &FieldError{source, lineOfPath(policiesNode.Content[i], "name"), fmt.Sprintf("policies[%d].name", i),
				fmt.Sprintf("%q is already the name of policies[%d]", p.Name, prev)})
		}
		names[p.Name] = i
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return set, nil
}

// decodeStrict decodes a node onto v, which keeps what the node leaves
// out. Unknown fields and bad values are all reported, each with its line
// and the path of its field.
func decodeStrict(n *yaml.Node, v any) []*FieldError {
	errs := unknownFields(n, reflect.TypeOf(v).Elem(), "")
	if err := n.Decode(v); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return append(errs, &FieldError{Line: n.Line, Msg: err.Error()})
		}
		for _, msg := range te.Errors {
			line, rest := 0, msg
			if after, ok := strings.CutPrefix(msg, "line "); ok {
				if num, text, ok := strings.Cut(after, ": "); ok {
					if l, err := strconv.Atoi(num); err == nil {
						line, rest = l, text
					}
				}
			}
			errs = append(errs, &FieldError{Line: line, Field: pathAtLine(n, line, ""), Msg: rest})
		}
	}
	return errs
}

// unknownFields reports every mapping key that names no field of t, by the
// yaml tags of t's fields, with its line.
func unknownFields(n *yaml.Node, t reflect.Type, path string) []*FieldError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct || t == reflect.TypeOf(Quantity{}) {
		return nil
	}
	fields := map[string]reflect.Type{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = f.Type
			names = append(names, name)
		}
	}
	var errs []*FieldError
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		ft, ok := fields[key]
		if !ok {
			errs = append(errs, &FieldError{Line: n.Content[i].Line, Field: join(path, key),
				Msg: fmt.Sprintf("unknown field (known: %s)", strings.Join(names, ", "))})
			continue
		}
		errs = append(errs, unknownFields(n.Content[i+1], ft, join(path, key))...)
	}
	return errs
}

// pathAtLine returns the path of the deepest key on the given line.
func pathAtLine(n *yaml.Node, line int, path string) string {
	if n.Kind != yaml.MappingNode {
		return path
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Line == line && (v.Kind != yaml.MappingNode || len(v.Content) == 0 || v.Content[0].Line != line) {
			return join(path, k.Value)
		}
		if p := pathAtLine(v, line, join(path, k.Value)); p != join(path, k.Value) || k.Line == line {
			return p
		}
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func yamlError(source string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if after, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(after, ": "); ok {
			if l, convErr := strconv.Atoi(num); convErr == nil {
				return &FieldError{Source: source, Line: l, Msg: text}
			}
		}
	}
	return &FieldError{Source: source, Msg: msg}
}

// lineOf returns the line of a key in a mapping node, or the node's own line.
func lineOf(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return m.Line
}

// lineOfPath follows a dotted path of keys (cpu.percentile) as far as the
// file spells it and returns the line found: a setting the file leaves out
// is reported at its nearest written parent.
func lineOfPath(n *yaml.Node, path string) int {
	line := n.Line
	for _, key := range strings.Split(path, ".") {
		if n.Kind != yaml.MappingNode {
			break
		}
		i := slices.IndexFunc(n.Content, func(c *yaml.Node) bool { return c.Value == key })
		if i < 0 || i%2 == 1 || i+1 >= len(n.Content) {
			break
		}
		line, n = n.Content[i].Line, n.Content[i+1]
	}
	return line
}
