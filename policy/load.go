package policy

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"

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

// maxProblems bounds the problems one error lists; the rest are counted.
const maxProblems = 50

// Parse reads a policy file. Unknown fields are refused, every setting left
// out keeps its default, and every problem is reported with its line and
// field; a file with any problem yields no Set. Aliases and merge keys (<<)
// are followed as yaml.v3 follows them, and checked as if written out.
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
		line, msg := splitLine(err.Error())
		return nil, &FieldError{Source: source, Line: line, Msg: msg}
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
	d := newDecoder()
	set := &Set{}
	policies := d.header(doc, set)
	d.policies(policies, doc.Line, set)
	if len(d.errs) == 0 {
		return set, nil
	}
	// In file order, after those of the whole file (line 0).
	slices.SortStableFunc(d.errs, func(a, b *FieldError) int { return cmp.Compare(a.Line, b.Line) })
	if n := len(d.errs); n > maxProblems {
		d.errs = append(d.errs[:maxProblems], &FieldError{Msg: fmt.Sprintf("%d more problems not shown", n-maxProblems)})
	}
	errs := make([]error, len(d.errs))
	for i, fe := range d.errs {
		fe.Source = source
		errs[i] = fe
	}
	return nil, errors.Join(errs...)
}

// header decodes apiVersion and kind, checks them, and returns the node
// of the policies list (nil when the file has none).
func (d *decoder) header(doc *yaml.Node, set *Set) *yaml.Node {
	var policies *yaml.Node
	for _, kv := range d.pairs(doc, "") {
		d.lines[kv.key.Value] = kv.key.Line
		switch kv.key.Value {
		case "apiVersion":
			d.decode(kv.value, reflect.ValueOf(&set.APIVersion).Elem(), "apiVersion")
		case "kind":
			d.decode(kv.value, reflect.ValueOf(&set.Kind).Elem(), "kind")
		case "policies":
			policies = kv.value
		default:
			d.fail(kv.key.Line, kv.key.Value, "unknown field (want apiVersion, kind, policies)")
		}
	}
	if set.APIVersion != APIVersion {
		d.fail(d.lineOf("apiVersion", doc.Line), "apiVersion", "%q is not %q", set.APIVersion, APIVersion)
	}
	if set.Kind != Kind {
		d.fail(d.lineOf("kind", doc.Line), "kind", "%q is not %q", set.Kind, Kind)
	}
	return policies
}

// policies decodes and validates each policy of the list n onto the
// defaults, and checks that their names differ.
func (d *decoder) policies(n *yaml.Node, docLine int, set *Set) {
	if n == nil {
		d.fail(docLine, "policies", "missing: a file needs at least one policy")
		return
	}
	list := resolve(n)
	switch {
	case isNull(list) || list.Kind == yaml.SequenceNode && len(list.Content) == 0:
		d.fail(n.Line, "policies", "no policies: a file needs at least one")
		return
	case list.Kind != yaml.SequenceNode:
		d.fail(n.Line, "policies", "want a list of policies")
		return
	}
	names := map[string]int{}
	for i, pn := range list.Content {
		if !d.spend(1) {
			return
		}
		field := fmt.Sprintf("policies[%d]", i)
		d.lines[field] = pn.Line
		p := Default()
		p.Name = ""
		d.decode(pn, reflect.ValueOf(&p).Elem(), field)
		if r := resolve(pn); r.Kind != yaml.MappingNode && !isNull(r) {
			continue // not a policy at all: its defaults are no news
		}
		for _, pr := range p.validate() {
			path := field + "." + pr.field
			d.fail(d.lineOf(path, pn.Line), path, "%s", pr.msg)
		}
		if prev, dup := names[p.Name]; dup && p.Name != "" {
			d.fail(d.lineOf(field+".name", pn.Line), field+".name", "%q is already the name of policies[%d]", p.Name, prev)
		}
		names[p.Name] = i
		set.Policies = append(set.Policies, p)
	}
}
