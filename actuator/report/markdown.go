package report

import (
	"bufio"
	"fmt"
	"strings"
)

func writeMarkdown(w *bufio.Writer, r *Report) {
	fmt.Fprintf(w, "# %s\n\n", mdText(headerLine(r)))
	fmt.Fprintf(w, "Generated %s.\n\n", r.GeneratedAt.Format(timeLayout))
	for _, line := range summaryLines(r) {
		fmt.Fprintf(w, "- %s\n", mdText(line))
	}
	w.WriteString("\n")

	header := []string{"Namespace", "Workload", "Container", "Status", "Replicas"}
	for _, c := range resourceColumns {
		header = append(header, c.header)
	}
	header = append(header, "Flags", "Why")
	w.WriteString("| " + strings.Join(header, " | ") + " |\n")
	w.WriteString("|" + strings.Repeat(" --- |", len(header)) + "\n")
	for _, wl := range r.Workloads {
		containers := wl.Containers
		if len(containers) == 0 {
			containers = []Container{{Name: defaultText}}
		}
		for _, c := range containers {
			cells := []string{wl.Namespace, workloadName(wl), c.Name, outcomeText(wl.Outcome), replicasText(wl.Replicas)}
			for _, col := range resourceColumns {
				text, _ := col.change(c.Current, c.Recommended)
				cells = append(cells, text)
			}
			cells = append(cells, flagsText(wl.Flags), why(wl, c))
			for i := range cells {
				cells[i] = mdText(cells[i])
			}
			w.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		}
	}
	w.WriteString("\n`?` unknown · `~` pods seen in the data · `none` no limit · `-` runtime default or nothing\n")

	for _, wl := range r.Workloads {
		writeMarkdownWorkload(w, wl, r.Prices)
	}
}

func writeMarkdownWorkload(w *bufio.Writer, wl Workload, prices *Prices) {
	fmt.Fprintf(w, "\n## %s/%s: %s\n\n", mdText(wl.Namespace), mdText(workloadName(wl)), outcomeText(wl.Outcome))
	item := func(format string, args ...any) { fmt.Fprintf(w, "- "+format+"\n", args...) }
	item("policy: %s", mdCode(wl.Policy))
	item("replicas: %s", mdText(replicasText(wl.Replicas)))
	if wl.Horizontal != nil {
		item("%s", mdText(horizontalText(wl.Horizontal)))
	}
	if len(wl.Flags) > 0 {
		item("flags: %s", mdCode(flagsText(wl.Flags)))
	}
	if d := workloadDelta(wl, prices); d != "" {
		item("requests change over all replicas: %s", mdText(d))
	}
	if c := costText(wl, prices); c != "" {
		item("cost: %s", mdText(c))
	}
	for _, m := range wl.Missing {
		item("missing: %s", mdText(missingLine(m)))
	}
	for _, c := range wl.Containers {
		fmt.Fprintf(w, "\n### Container %s\n\n", mdCode(c.Name))
		item("usage: %s", mdText(usageText(c.Usage)))
		if c.LowerBound != nil && c.UpperBound != nil {
			item("bounds: CPU request %s..%s, memory request %s..%s",
				formatCPU(c.LowerBound.CPURequestCores), formatCPU(c.UpperBound.CPURequestCores),
				formatMemory(c.LowerBound.MemoryRequestBytes), formatMemory(c.UpperBound.MemoryRequestBytes))
		}
		if c.OOMKills > 0 {
			item("OOM kills: %d", c.OOMKills)
		}
		writeMarkdownReasons(w, c.Reasons)
	}
	if wl.Horizontal != nil && len(wl.Horizontal.Reasons) > 0 {
		w.WriteString("\n### Replicas\n")
		writeMarkdownReasons(w, wl.Horizontal.Reasons)
	}
	if len(wl.Notes) > 0 {
		w.WriteString("\n### Notes\n")
		writeMarkdownReasons(w, wl.Notes)
	}
}

func writeMarkdownReasons(w *bufio.Writer, reasons []Reason) {
	if len(reasons) == 0 {
		return
	}
	w.WriteString("\n")
	for i, r := range reasons {
		fmt.Fprintf(w, "%d. %s %s\n", i+1, mdCode(r.Rule), mdText(r.Message))
	}
}

// mdEscaper makes text from names and messages inert in GitHub-flavored
// markdown: no emphasis, links, HTML or table breaks.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "[", `\[`, "]", `\]`,
	"|", `\|`, "<", "&lt;", ">", "&gt;", "&", "&amp;", "\n", " ", "\r", " ",
)

func mdText(s string) string { return mdEscaper.Replace(printable(s)) }

// mdCode renders s as inline code; backticks inside become quotes.
func mdCode(s string) string {
	if s == "" {
		return "-"
	}
	s = strings.NewReplacer("`", "'", "\n", " ", "\r", " ").Replace(printable(s))
	return "`" + s + "`"
}
