package prometheus

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var labelNamePattern = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// validLabelName checks a label name before it is written into PromQL, where
// it appears unquoted.
func validLabelName(name string) error {
	if !labelNamePattern.MatchString(name) {
		return fmt.Errorf("label name %q is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)", name)
	}
	return nil
}

// quote renders any string as a PromQL double-quoted string literal whose
// value is exactly s. PromQL reads string escapes as Go does, so Go's quoting
// is a faithful encoding: quotes, backslashes, newlines and invalid UTF-8
// are all escaped, and the literal always ends where it should.
func quote(s string) string { return strconv.Quote(s) }

// matcher renders a label matcher selecting any of the values exactly. One
// value is an equality matcher; several become an anchored alternation of
// regexp-escaped values, so no value is read as a pattern.
func matcher(label string, values []string) string {
	if len(values) == 1 {
		return label + "=" + quote(values[0])
	}
	escaped := make([]string, len(values))
	for i, v := range values {
		escaped[i] = regexp.QuoteMeta(v)
	}
	return label + "=~" + quote(strings.Join(escaped, "|"))
}
