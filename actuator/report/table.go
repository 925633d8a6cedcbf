package report

import (
	"bufio"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pacerdev/pacer/recommender"
)

// ANSI styles of the table; used only with WriteOptions.Color.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// cell is one table cell: its text and an optional ANSI style.
type cell struct {
	text  string
	style string
}

func writeTable(w *bufio.Writer, r *Report, o WriteOptions) {
	paint := func(style, s string) string {
		if !o.Color || style == "" {
			return s
		}
		return style + s + ansiReset
	}
	w.WriteString(paint(ansiBold, printable(headerLine(r))) + "\n")
	for _, line := range summaryLines(r) {
		w.WriteString(printable(line) + "\n")
	}
	w.WriteString("\n")

	header := []cell{{"NAMESPACE", ""}, {"WORKLOAD", ""}, {"CONTAINER", ""}, {"STATUS", ""}, {"REPLICAS", ""}}
	for _, c := range resourceColumns {
		header = append(header, cell{c.header, ""})
	}
	header = append(header, cell{"FLAGS", ""}, cell{"WHY", ""})
	rows := [][]cell{header}
	for _, wl := range r.Workloads {
		containers := wl.Containers
		if len(containers) == 0 {
			containers = []Container{{Name: defaultText}}
		}
		for _, c := range containers {
			rows = append(rows, tableRow(wl, c))
		}
	}
	alignCells(w, rows, paint)
	w.WriteString("\n" + paint(ansiDim, "? unknown · ~ pods seen in the data · none: no limit · -: runtime default or nothing · reasons: -o markdown, html or json") + "\n")
}

func tableRow(w Workload, c Container) []cell {
	status := cell{outcomeText(w.Outcome), ""}
	switch w.Outcome {
	case recommender.OutcomeReady:
		status.style = ansiGreen
	case recommender.OutcomeInsufficientData:
		status.style = ansiYellow
	default:
		status.style = ansiDim
	}
	row := []cell{{w.Namespace, ""}, {workloadName(w), ""}, {c.Name, ""}, status, {replicasText(w.Replicas), ""}}
	for _, col := range resourceColumns {
		text, d := col.change(c.Current, c.Recommended)
		row = append(row, cell{text, directionStyle[d]})
	}
	flags := cell{flagsText(w.Flags), ""}
	if len(w.Flags) > 0 {
		flags.style = ansiRed
	}
	return append(row, flags, cell{why(w, c), ansiDim})
}

var directionStyle = map[direction]string{unchanged: "", down: ansiGreen, up: ansiYellow, changed: ansiCyan}

// alignCells writes rows as columns two spaces apart, padding by the
// visible width of the text so that colors do not shift columns.
func alignCells(w *bufio.Writer, rows [][]cell, paint func(style, s string) string) {
	var widths []int
	for _, row := range rows {
		for i := range row {
			row[i].text = printable(row[i].text)
			c := row[i]
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	for _, row := range rows {
		var line strings.Builder
		for i, c := range row {
			line.WriteString(paint(c.style, c.text))
			if i < len(row)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)+2))
			}
		}
		w.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// printable escapes control characters, so that a name read from a trace
// or a cluster cannot move the cursor or change colors in a terminal.
func printable(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }
