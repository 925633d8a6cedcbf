package scrape

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// render writes a parsed sample in a form a table can spell out:
// name{label="value",…} value [@unixMilli] (family type).
func render(s omSample) string {
	var b strings.Builder
	b.WriteString(s.name)
	if len(s.labels) > 0 {
		parts := make([]string, len(s.labels))
		for i, l := range s.labels {
			parts[i] = l.name + "=" + strconv.Quote(l.value)
		}
		b.WriteString("{" + strings.Join(parts, ",") + "}")
	}
	b.WriteString(" " + strconv.FormatFloat(s.value, 'g', -1, 64))
	if s.hasTimestamp {
		fmt.Fprintf(&b, " @%d", s.timestampMs)
	}
	fmt.Fprintf(&b, " (%s %s)", s.family, s.typ)
	return b.String()
}

func parseAll(in string) ([]string, error) {
	var got []string
	err := parseOpenMetrics(strings.NewReader(in), "body", func(_ int, s omSample) error {
		got = append(got, render(s))
		return nil
	})
	return got, err
}

// validBodies are well-formed OpenMetrics inputs and the samples they hold.
var validBodies = []struct {
	name string
	in   string
	want []string
}{
	{
		name: "gauge with HELP, TYPE and UNIT",
		in: `# HELP go_gc_heap_live_bytes Live heap after the last GC.
# TYPE go_gc_heap_live_bytes gauge
# UNIT go_gc_heap_live_bytes bytes
go_gc_heap_live_bytes 4.2e+06
# EOF
`,
		want: []string{`go_gc_heap_live_bytes 4.2e+06 (go_gc_heap_live_bytes gauge)`},
	},
	{
		name: "counter samples carry _total; _created and exemplars are skipped",
		in: `# TYPE http_requests counter
http_requests_total{code="200"} 1027 # {trace_id="4bf92f"} 1 1700000000.1
http_requests_created{code="200"} 1.7e+09
http_requests_total{code="500"} 3
# EOF
`,
		want: []string{
			`http_requests_total{code="200"} 1027 (http_requests counter)`,
			`http_requests_total{code="500"} 3 (http_requests counter)`,
		},
	},
	{
		name: "summary",
		in: `# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0.5"} 0.0001
go_gc_duration_seconds{quantile="1"} 0.002
go_gc_duration_seconds_sum 0.25
go_gc_duration_seconds_count 1200
go_gc_duration_seconds_created 1.7e+09
# EOF
`,
		want: []string{
			`go_gc_duration_seconds{quantile="0.5"} 0.0001 (go_gc_duration_seconds summary)`,
			`go_gc_duration_seconds{quantile="1"} 0.002 (go_gc_duration_seconds summary)`,
			`go_gc_duration_seconds_sum 0.25 (go_gc_duration_seconds summary)`,
			`go_gc_duration_seconds_count 1200 (go_gc_duration_seconds summary)`,
		},
	},
	{
		name: "histogram",
		in: `# TYPE rpc_seconds histogram
rpc_seconds_bucket{le="0.1"} 8
rpc_seconds_bucket{le="+Inf"} 10
rpc_seconds_count 10
rpc_seconds_sum 1.5
# EOF
`,
		want: []string{
			`rpc_seconds_bucket{le="0.1"} 8 (rpc_seconds histogram)`,
			`rpc_seconds_bucket{le="+Inf"} 10 (rpc_seconds histogram)`,
			`rpc_seconds_count 10 (rpc_seconds histogram)`,
			`rpc_seconds_sum 1.5 (rpc_seconds histogram)`,
		},
	},
	{
		name: "escaped label values, labels sorted by name",
		in: `path{z="last",a="back\\slash \"quoted\" new\nline"} 1
# EOF
`,
		want: []string{`path{a="back\\slash \"quoted\" new\nline",z="last"} 1 (path unknown)`},
	},
	{
		name: "timestamps in seconds become milliseconds",
		in: `# TYPE up gauge
up 1 1700000000
up 1 1700000000.123
up 1 1.5 # {a="b"} 1 1.4
# EOF
`,
		want: []string{
			`up 1 @1700000000000 (up gauge)`,
			`up 1 @1700000000123 (up gauge)`,
			`up 1 @1500 (up gauge)`,
		},
	},
	{
		name: "special values",
		in: `a NaN
b +Inf
c -Inf
d -0.5
e 1e3
# EOF
`,
		want: []string{`a NaN (a unknown)`, `b +Inf (b unknown)`, `c -Inf (c unknown)`, `d -0.5 (d unknown)`, `e 1000 (e unknown)`},
	},
	{
		// client_golang writes go_memstats_alloc_bytes as a gauge family and
		// then again as a counter family; the second TYPE starts a new family.
		name: "a second TYPE line for a name starts a new family",
		in: `# HELP go_memstats_alloc_bytes Bytes in use.
# TYPE go_memstats_alloc_bytes gauge
go_memstats_alloc_bytes 321584.0
# HELP go_memstats_alloc_bytes Bytes allocated.
# TYPE go_memstats_alloc_bytes counter
go_memstats_alloc_bytes_total 921584.0
# EOF
`,
		want: []string{
			`go_memstats_alloc_bytes 321584 (go_memstats_alloc_bytes gauge)`,
			`go_memstats_alloc_bytes_total 921584 (go_memstats_alloc_bytes counter)`,
		},
	},
	{
		name: "HELP before TYPE; samples outside the family are untyped",
		in: `# HELP go_goroutines Goroutines.
# TYPE go_goroutines gauge
go_goroutines 12
go_threads 8
# EOF
`,
		want: []string{`go_goroutines 12 (go_goroutines gauge)`, `go_threads 8 (go_threads unknown)`},
	},
}

func TestParseOpenMetrics(t *testing.T) {
	for _, tt := range validBodies {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAll(tt.in)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("samples:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// upA is a sample line that is valid in a body and in a trace.
const upA = `up{pod="a"} 1 100`

// malformedBodies are inputs every reader must refuse, bodies and traces
// alike, with the line and the words the *ParseError must have.
var malformedBodies = []struct {
	name string
	in   string
	line int
	msg  string
}{
	{"empty input", "", 0, "ends without # EOF (truncated?)"},
	{"truncated", "# TYPE up gauge\n" + upA + "\n", 2, "ends without # EOF (truncated?)"},
	{"data after # EOF", upA + "\n# EOF\n" + upA + "\n", 3, "data after # EOF"},
	{"empty line", upA + "\n\n" + upA + "\n# EOF\n", 2, "empty line"},
	{"metric name starts with a digit", "1up 1\n# EOF\n", 1, `invalid metric name "1up"`},
	{"metric name with a dash", "up-time 1\n# EOF\n", 1, `invalid metric name "up-time"`},
	{"bad name in TYPE", "# TYPE up.time gauge\n# EOF\n", 1, `invalid metric name "up.time"`},
	{"TYPE without a type", "# TYPE up\n# EOF\n", 1, "TYPE line for up has no type"},
	{"unknown TYPE", "# TYPE up meter\n# EOF\n", 1, `unknown type "meter" for up`},
	{"unknown comment", "# NOTE up hello\n# EOF\n", 1, `unknown comment "NOTE"`},
	{"comment without space", "#up\n# EOF\n", 1, "malformed comment"},
	{"label value without quotes", "up{job=api} 1\n# EOF\n", 1, `label job: want ="value"`},
	{"labels without comma", `up{a="1" b="2"} 1` + "\n# EOF\n", 1, "label a: want , or } after the value"},
	{"labels not closed", `up{a="1"` + "\n# EOF\n", 1, "label a: want , or } after the value"},
	{"label value not closed", `up{a="1} 1` + "\n# EOF\n", 1, `label a: value not closed with "`},
	{"label name with a colon", `up{a:b="1"} 1` + "\n# EOF\n", 1, `invalid label name "a:b"`},
	{"unknown escape", `up{a="\t"} 1` + "\n# EOF\n", 1, `label a: unknown escape \t`},
	{"duplicate label", `up{a="1",a="2"} 1` + "\n# EOF\n", 1, "label a appears twice"},
	{"no value", "up\n# EOF\n", 1, "want a space and a value"},
	{"empty value", "up \n# EOF\n", 1, `value ""`},
	{"value with a comma", "up 1,5\n# EOF\n", 1, `value "1,5"`},
	{"hexadecimal value", "up 0x10\n# EOF\n", 1, `value "0x10": not a decimal number`},
	{"timestamp not a number", "up 1 yesterday\n# EOF\n", 1, `timestamp "yesterday" is not a number of seconds`},
	{"timestamp NaN", "up 1 NaN\n# EOF\n", 1, `timestamp "NaN"`},
	{"timestamp too large", "up 1 1e15\n# EOF\n", 1, `timestamp "1e15"`},
	{"two timestamps", "up 1 2 3\n# EOF\n", 1, `timestamp "2 3"`},
	{"over-long line", upA + "\n" + strings.Repeat("a", maxLineBytes) + " 1\n# EOF\n", 2, "line longer than 1048576 bytes"},
}

func TestParseOpenMetricsErrors(t *testing.T) {
	for _, tt := range malformedBodies {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseAll(tt.in)
			checkParseError(t, err, "body", tt.line, tt.msg)
		})
	}
}

// checkParseError requires err to be a *ParseError at source:line whose
// message contains msg.
func checkParseError(t *testing.T, err error, source string, line int, msg string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T), want a *ParseError", err, err)
	}
	if pe.Source != source || pe.Line != line || !strings.Contains(pe.Msg, msg) {
		t.Errorf("error = %q, want %s:%d and a message containing %q", err, source, line, msg)
	}
	if prefix := fmt.Sprintf("%s:%d: ", source, line); !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("error = %q, want it to start with %q", err, prefix)
	}
}

func FuzzParseOpenMetrics(f *testing.F) {
	for _, tt := range validBodies {
		f.Add([]byte(tt.in))
	}
	for _, tt := range malformedBodies {
		if len(tt.in) < 4096 {
			f.Add([]byte(tt.in))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		lines := bytes.Count(in, []byte("\n")) + 1
		err := parseOpenMetrics(bytes.NewReader(in), "fuzz", func(line int, s omSample) error {
			if !validMetricName(s.name) || !validMetricName(s.family) {
				t.Errorf("line %d: sample %q of family %q has an invalid name", line, s.name, s.family)
			}
			for i, l := range s.labels {
				if !validLabelName(l.name) || i > 0 && s.labels[i-1].name >= l.name {
					t.Errorf("line %d: labels %v are not valid, sorted and unique", line, s.labels)
				}
			}
			return nil
		})
		var pe *ParseError
		if err != nil && (!errors.As(err, &pe) || pe.Line < 0 || pe.Line > lines) {
			t.Errorf("error %v (%T) is not a *ParseError naming one of the %d lines", err, err, lines)
		}
	})
}
