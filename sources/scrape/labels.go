package scrape

import (
	"slices"
	"strings"
)

// label is one label pair of a sample.
type label struct{ name, value string }

// labels is a label set sorted by name.
type labels []label

func (ls labels) sort() {
	slices.SortFunc(ls, func(a, b label) int { return strings.Compare(a.name, b.name) })
}

// get returns the value of a label, or "".
func (ls labels) get(name string) string {
	for _, l := range ls {
		if l.name == name {
			return l.value
		}
	}
	return ""
}

// without returns the labels except the named ones.
func (ls labels) without(names ...string) labels {
	out := make(labels, 0, len(ls))
	for _, l := range ls {
		if !slices.Contains(names, l.name) {
			out = append(out, l)
		}
	}
	return out
}

// key is a canonical string for the set; \xff never occurs in valid UTF-8.
func (ls labels) key() string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.name)
		b.WriteByte('\xff')
		b.WriteString(l.value)
		b.WriteByte('\xff')
	}
	return b.String()
}

// String renders the set as PromQL/OpenMetrics does: {a="1",b="2"}.
func (ls labels) String() string {
	if len(ls) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.name)
		b.WriteString(`="`)
		b.WriteString(escapeLabelValue(l.value))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelValueEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabelValue(v string) string { return labelValueEscaper.Replace(v) }
