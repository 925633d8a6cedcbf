package scrape

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// metricType is the type a TYPE line declares for a metric family.
type metricType string

const (
	typeCounter   metricType = "counter"
	typeGauge     metricType = "gauge"
	typeSummary   metricType = "summary"
	typeHistogram metricType = "histogram"
	typeUnknown   metricType = "unknown"
)

var knownTypes = map[string]metricType{
	"counter": typeCounter, "gauge": typeGauge, "summary": typeSummary,
	"histogram": typeHistogram, "unknown": typeUnknown, "untyped": typeUnknown,
	"gaugehistogram": typeUnknown, "stateset": typeUnknown, "info": typeUnknown,
}

// suffixes a sample name may add to its family's name, per family type.
var familySuffixes = map[metricType][]string{
	typeCounter:   {"_total", "_created"},
	typeSummary:   {"_count", "_sum", "_created"},
	typeHistogram: {"_bucket", "_count", "_sum", "_created"},
}

// ParseError says where in its input a body or trace is malformed.
type ParseError struct {
	Source string
	Line   int
	Msg    string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, e.Msg) }

// omSample is one parsed sample line.
type omSample struct {
	name   string
	family string
	typ    metricType
	labels labels
	value  float64
	// timestampMs is set when hasTimestamp; OpenMetrics writes seconds.
	timestampMs  int64
	hasTimestamp bool
}

// maxLineBytes bounds one line, so a hostile body cannot make a line buffer grow without end.
const maxLineBytes = 1 << 20

// parseOpenMetrics reads OpenMetrics 1.0 text line by line and calls fn for
// every sample. It is written for traces of millions of lines, where expfmt's
// grammar-driven OpenMetrics parser is three orders of magnitude slower
// (BenchmarkOpenMetricsParsers; BENCHMARKS.md). The input must end with
// "# EOF", so a truncated trace is an error rather than a shorter trace.
func parseOpenMetrics(r io.Reader, source string, fn func(line int, s omSample) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxLineBytes+1) // +1: the newline
	var (
		line      int
		family    string
		famType   = typeUnknown
		sawEOF    bool
		errorf    = func(format string, a ...any) error { return &ParseError{source, line, fmt.Sprintf(format, a...)} }
		sample    omSample
		lineBytes []byte
	)
	for sc.Scan() {
		line++
		lineBytes = sc.Bytes()
		if sawEOF {
			return errorf("data after # EOF")
		}
		if len(lineBytes) == 0 {
			return errorf("empty line")
		}
		if lineBytes[0] == '#' {
			text := string(lineBytes)
			if text == "# EOF" {
				sawEOF = true
				continue
			}
			fields := strings.SplitN(text, " ", 4)
			if len(fields) < 3 || fields[0] != "#" {
				return errorf("malformed comment %q: want # TYPE, # HELP, # UNIT or # EOF", truncate(text))
			}
			name := fields[2]
			if !validMetricName(name) {
				return errorf("invalid metric name %q", truncate(name))
			}
			switch fields[1] {
			case "TYPE":
				if len(fields) != 4 {
					return errorf("TYPE line for %s has no type", name)
				}
				t, ok := knownTypes[fields[3]]
				if !ok {
					return errorf("unknown type %q for %s", truncate(fields[3]), name)
				}
				// A second TYPE line for a name starts a new family: client_golang
				// writes go_memstats_alloc_bytes both as a gauge and as a counter.
				family, famType = name, t
			case "HELP", "UNIT":
				if name != family {
					// HELP and UNIT may also come first; the TYPE that follows sets the family.
					family, famType = name, typeUnknown
				}
			default:
				return errorf("unknown comment %q: want # TYPE, # HELP, # UNIT or # EOF", truncate(fields[1]))
			}
			continue
		}
		if err := parseSampleLine(lineBytes, &sample); err != nil {
			return errorf("%v", err)
		}
		sample.family, sample.typ = sample.name, typeUnknown
		if belongsTo(sample.name, family, famType) {
			sample.family, sample.typ = family, famType
			if sample.name == family+"_created" {
				continue // a creation time is not a signal
			}
		}
		if err := fn(line, sample); err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				return err
			}
			return errorf("%v", err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &ParseError{source, line + 1, fmt.Sprintf("line longer than %d bytes", maxLineBytes)}
		}
		return fmt.Errorf("reading %s: %w", source, err)
	}
	if !sawEOF {
		return &ParseError{source, line, "input ends without # EOF (truncated?)"}
	}
	return nil
}

func belongsTo(name, family string, t metricType) bool {
	if family == "" {
		return false
	}
	if name == family {
		return t != typeCounter // an OpenMetrics counter's samples always carry a suffix
	}
	for _, suffix := range familySuffixes[t] {
		if name == family+suffix {
			return true
		}
	}
	return false
}

// parseSampleLine parses `name{labels} value [timestamp] [# exemplar]`.
func parseSampleLine(b []byte, s *omSample) error {
	i := 0
	for i < len(b) && b[i] != '{' && b[i] != ' ' {
		i++
	}
	name := string(b[:i])
	if !validMetricName(name) {
		return fmt.Errorf("invalid metric name %q", truncate(name))
	}
	s.name = name
	s.labels = s.labels[:0]
	if i < len(b) && b[i] == '{' {
		n, err := parseLabels(b[i:], &s.labels)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		i += n
	}
	if i >= len(b) || b[i] != ' ' {
		return fmt.Errorf("%s: want a space and a value after the name and labels", name)
	}
	rest := string(b[i+1:])
	if j := strings.Index(rest, " # "); j >= 0 {
		rest = rest[:j] // exemplars are not signals
	}
	valueText, tsText, hasTS := strings.Cut(rest, " ")
	v, err := parseValue(valueText)
	if err != nil {
		return fmt.Errorf("%s: value %q: %w", name, truncate(valueText), err)
	}
	s.value = v
	s.hasTimestamp = hasTS
	s.timestampMs = 0
	if hasTS {
		ts, err := strconv.ParseFloat(tsText, 64)
		if err != nil || math.IsNaN(ts) || math.IsInf(ts, 0) || math.Abs(ts) > 1e14 {
			return fmt.Errorf("%s: timestamp %q is not a number of seconds", name, truncate(tsText))
		}
		s.timestampMs = int64(math.Round(ts * 1000))
	}
	s.labels.sort()
	for k := 1; k < len(s.labels); k++ {
		if s.labels[k].name == s.labels[k-1].name {
			return fmt.Errorf("%s: label %s appears twice", name, s.labels[k].name)
		}
	}
	return nil
}

// parseLabels parses {a="1",b="2"} at the start of b and returns its length.
func parseLabels(b []byte, out *labels) (int, error) {
	i := 1 // past '{'
	for {
		if i >= len(b) {
			return 0, errors.New("labels not closed with }")
		}
		if b[i] == '}' {
			return i + 1, nil
		}
		start := i
		for i < len(b) && b[i] != '=' {
			i++
		}
		name := string(b[start:i])
		if !validLabelName(name) {
			return 0, fmt.Errorf("invalid label name %q", truncate(name))
		}
		if i+1 >= len(b) || b[i+1] != '"' {
			return 0, fmt.Errorf("label %s: want =\"value\"", name)
		}
		i += 2
		var value bytes.Buffer
		closed := false
		for i < len(b) && !closed {
			switch c := b[i]; c {
			case '"':
				closed = true
			case '\\':
				if i+1 >= len(b) {
					return 0, fmt.Errorf("label %s: escape at end of line", name)
				}
				switch b[i+1] {
				case '\\':
					value.WriteByte('\\')
				case '"':
					value.WriteByte('"')
				case 'n':
					value.WriteByte('\n')
				default:
					return 0, fmt.Errorf("label %s: unknown escape \\%c", name, b[i+1])
				}
				i++
			default:
				value.WriteByte(c)
			}
			i++
		}
		if !closed {
			return 0, fmt.Errorf("label %s: value not closed with \"", name)
		}
		*out = append(*out, label{name, value.String()})
		if i < len(b) && b[i] == ',' {
			i++
		} else if i >= len(b) || b[i] != '}' {
			return 0, fmt.Errorf("label %s: want , or } after the value", name)
		}
	}
}

func parseValue(s string) (float64, error) {
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "+Inf", "Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	}
	if s == "" || strings.ContainsAny(s, "_xXpPiInN") {
		return 0, errors.New("not a decimal number")
	}
	return strconv.ParseFloat(s, 64)
}

func validMetricName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		digit := i > 0 && c >= '0' && c <= '9'
		if !letter && !digit {
			return false
		}
	}
	return true
}

func validLabelName(s string) bool {
	return s != "" && !strings.Contains(s, ":") && validMetricName(s)
}

func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
