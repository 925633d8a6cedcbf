package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Format is an output format of a report.
type Format string

// The formats Write knows.
const (
	FormatTable    Format = "table"
	FormatJSON     Format = "json"
	FormatYAML     Format = "yaml"
	FormatMarkdown Format = "markdown"
	FormatCSV      Format = "csv"
	FormatHTML     Format = "html"
	FormatPatch    Format = "patch"
)

// Formats lists every format, in the order help texts show them.
func Formats() []Format {
	return []Format{FormatTable, FormatJSON, FormatYAML, FormatMarkdown, FormatCSV, FormatHTML, FormatPatch}
}

// ParseFormat returns the format with the given name.
func ParseFormat(s string) (Format, error) {
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
		names = append(names, string(f))
	}
	return "", fmt.Errorf("unknown report format %q: want one of %s", s, strings.Join(names, ", "))
}

// WriteOptions tune the human formats.
type WriteOptions struct {
	// Color adds ANSI colors to the table format; set it only for a terminal.
	Color bool
}

// Write renders the report in the format.
func Write(w io.Writer, r *Report, format Format, o WriteOptions) error {
	if r == nil {
		return fmt.Errorf("writing %s report: no report", format)
	}
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case FormatTable:
		writeTable(bw, r, o)
	case FormatJSON:
		err = writeJSON(bw, r)
	case FormatYAML:
		err = writeYAML(bw, r)
	case FormatMarkdown:
		writeMarkdown(bw, r)
	case FormatCSV:
		err = writeCSV(bw, r)
	case FormatHTML:
		err = writeHTML(bw, r)
	case FormatPatch:
		err = writePatch(bw, r)
	default:
		_, err = ParseFormat(string(format))
	}
	if err != nil {
		return fmt.Errorf("writing %s report: %w", format, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s report: %w", format, err)
	}
	return nil
}
