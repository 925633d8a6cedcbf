package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pacerdev/pacer/actuator/report"
	"github.com/pacerdev/pacer/recommender"
)

func render(t *testing.T, r *report.Report, f report.Format, o report.WriteOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, r, f, o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	r := report.Build(fixture())
	for _, tt := range []struct {
		file   string
		format report.Format
		color  bool
	}{
		{"report.txt", report.FormatTable, false},
		{"report-color.txt", report.FormatTable, true},
		{"report.json", report.FormatJSON, false},
		{"report.yaml", report.FormatYAML, false},
		{"report.md", report.FormatMarkdown, false},
		{"report.csv", report.FormatCSV, false},
		{"report.html", report.FormatHTML, false},
		{"report-patch.yaml", report.FormatPatch, false},
	} {
		t.Run(tt.file, func(t *testing.T) {
			golden(t, tt.file, render(t, r, tt.format, report.WriteOptions{Color: tt.color}))
		})
	}
}

func TestGoldenWithoutCurrentUsageOrPrices(t *testing.T) {
	in := fixture()
	in.Current, in.Usage, in.Prices = nil, nil, nil
	golden(t, "report-bare.txt", render(t, report.Build(in), report.FormatTable, report.WriteOptions{}))
}

func TestEmptyReportRendersInEveryFormat(t *testing.T) {
	r := report.Build(report.Input{})
	for _, f := range report.Formats() {
		if len(render(t, r, f, report.WriteOptions{Color: true})) == 0 {
			t.Errorf("%s: no output", f)
		}
	}
	if err := report.Write(io.Discard, nil, report.FormatJSON, report.WriteOptions{}); err == nil {
		t.Error("Write accepted a nil report")
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	want := render(t, report.Build(fixture()), report.FormatJSON, report.WriteOptions{})
	for range 5 {
		in := fixture()
		rand.Shuffle(len(in.Recommendations), func(i, j int) {
			in.Recommendations[i], in.Recommendations[j] = in.Recommendations[j], in.Recommendations[i]
		})
		if got := render(t, report.Build(in), report.FormatJSON, report.WriteOptions{}); !bytes.Equal(got, want) {
			t.Fatal("the report depends on the order of recommendations")
		}
	}
}

func workload(t *testing.T, r *report.Report, ref recommender.WorkloadRef) report.Workload {
	t.Helper()
	for _, w := range r.Workloads {
		if w.Ref() == ref {
			return w
		}
	}
	t.Fatalf("no workload %s in the report", ref)
	return report.Workload{}
}

func TestDeltasCountAllReplicas(t *testing.T) {
	r := report.Build(fixture())

	// checkout: 3 pods × (500m, 512Mi) now, 4 pods × (250m, 256Mi) recommended.
	w := workload(t, r, checkout)
	if got := *w.Delta.CPURequestCores; !near(got, 4*0.25-3*0.5) {
		t.Errorf("checkout CPU delta = %g cores, want -0.5", got)
	}
	if got := *w.Delta.MemoryRequestBytes; !near(got, 4*256*mi-3*512*mi) {
		t.Errorf("checkout memory delta = %g bytes, want %d", got, 4*256*mi-3*512*mi)
	}
	// payments: the istio-proxy sidecar has no recommendation and keeps its requests.
	w = workload(t, r, payments)
	if got := *w.Delta.CPURequestCores; !near(got, 0) {
		t.Errorf("payments CPU delta = %g cores, want 0 (only memory changes)", got)
	}
	if got := *w.Delta.MemoryRequestBytes; !near(got, 2*(384-256)*mi) {
		t.Errorf("payments memory delta = %g bytes, want %d", got, 2*(384-256)*mi)
	}
	wantCost := report.HoursPerMonth * (-0.5*0.0316 + float64(4*256-3*512+2*(384-256))/1024*0.0042)
	if got := *r.Summary.Delta.CostPerMonth; !near(got, wantCost) {
		t.Errorf("summary cost delta = %g, want %g", got, wantCost)
	}
	if r.Summary.DeltaWorkloads != 2 || r.Summary.UnknownDeltaWorkloads != 3 {
		t.Errorf("delta covers %d workloads and leaves out %d, want 2 and 3 (ledger, debug-shell, evil)",
			r.Summary.DeltaWorkloads, r.Summary.UnknownDeltaWorkloads)
	}
}

func near(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }

func TestUnknownIsNeverZero(t *testing.T) {
	in := fixture()
	in.Current = nil
	r := report.Build(in)
	if r.Summary.Delta.CPURequestCores != nil || r.Summary.Delta.MemoryRequestBytes != nil || r.Summary.Delta.CostPerMonth != nil {
		t.Errorf("summary delta = %+v without current values, want nulls", r.Summary.Delta)
	}
	w := workload(t, r, checkout)
	if w.Delta == nil || w.Delta.CPURequestCores != nil || w.DeltaUnknown == "" {
		t.Errorf("checkout delta = %+v (%q), want null fields and a reason", w.Delta, w.DeltaUnknown)
	}
	if w.Cost == nil || w.Cost.CurrentPerMonth != nil || w.Cost.RecommendedPerMonth == nil {
		t.Errorf("checkout cost = %+v, want an unknown current and a known recommended cost (4 replicas from the HPA recommendation)", w.Cost)
	}
	js := string(render(t, r, report.FormatJSON, report.WriteOptions{}))
	if !strings.Contains(js, `"cpuRequestCores": null`) {
		t.Error("JSON does not say null for the unknown delta")
	}
	table := string(render(t, r, report.FormatTable, report.WriteOptions{}))
	if !strings.Contains(table, "requests change: unknown") {
		t.Errorf("table does not say the change is unknown:\n%s", table)
	}
}

func TestRiskFlags(t *testing.T) {
	r := report.Build(fixture())
	if got := workload(t, r, checkout).Flags; !reflect.DeepEqual(got, []recommender.Flag{report.FlagCPUThrottling}) {
		t.Errorf("checkout flags = %v, want cpu_throttling (12%% of periods on average)", got)
	}
	want := []recommender.Flag{recommender.FlagGoroutinePressure, report.FlagOOMKills}
	if got := workload(t, r, payments).Flags; !reflect.DeepEqual(got, want) {
		t.Errorf("payments flags = %v, want %v (1%% throttling is not flagged)", got, want)
	}
	if r.Summary.ByFlag[report.FlagOOMKills] != 1 || r.Summary.ByFlag[report.FlagCPUThrottling] != 1 {
		t.Errorf("summary flags = %v", r.Summary.ByFlag)
	}
}

func TestWorkloadsWithoutRecommendationKeepTheirContainers(t *testing.T) {
	r := report.Build(fixture())
	fb := workload(t, r, fluentBit)
	if len(fb.Containers) != 1 || fb.Containers[0].Current == nil || fb.Containers[0].Usage == nil || fb.Containers[0].Recommended != nil {
		t.Fatalf("fluent-bit containers = %+v, want its one container with current values and usage, no recommendation", fb.Containers)
	}
	s := workload(t, r, search)
	if len(s.Missing) != 2 || s.Missing[0].MoreHistory.String() != "20m0s" {
		t.Errorf("search missing = %+v, want two signals needing 20m0s more", s.Missing)
	}
	table := string(render(t, r, report.FormatTable, report.WriteOptions{}))
	for _, want := range []string{"needs 20m more history: cpu,live_heap", "no Go runtime metrics"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

func TestUsageIsDownsampled(t *testing.T) {
	r := report.Build(fixture())
	c := workload(t, r, checkout).Containers[0]
	cpu := c.Usage.CPUCores
	if c.Usage.Pods != 3 || cpu.Samples != 3*31 {
		t.Errorf("usage of %d pods, %d samples; want 3 pods, 93 samples", c.Usage.Pods, cpu.Samples)
	}
	if n := len(cpu.Points); n != 31 {
		t.Errorf("%d points, want one per minute: 31", n)
	}
	if !(cpu.P50 <= cpu.P95 && cpu.P95 <= cpu.Max && near(cpu.Max, 0.4)) {
		t.Errorf("CPU P50 %g, P95 %g, max %g: want ordered, max 0.4", cpu.P50, cpu.P95, cpu.Max)
	}
	for _, p := range cpu.Points {
		if p.Mean > p.Max {
			t.Fatalf("point %+v has a mean above its max", p)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range report.Formats() {
		got, err := report.ParseFormat(string(f))
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	_, err := report.ParseFormat("xml")
	if err == nil || !strings.Contains(err.Error(), `"xml": want one of table, json, yaml, markdown, csv, html, patch`) {
		t.Errorf("ParseFormat(xml) error = %v, want one listing the formats", err)
	}
	if err := report.Write(io.Discard, report.Build(fixture()), "xml", report.WriteOptions{}); err == nil {
		t.Error("Write accepted an unknown format")
	}
}

func TestHTMLIsSelfContainedAndEscaped(t *testing.T) {
	page := string(render(t, report.Build(fixture()), report.FormatHTML, report.WriteOptions{}))
	for _, external := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)https?:`), regexp.MustCompile(`//[a-z0-9.-]+\.[a-z]`),
		regexp.MustCompile(`(?i)<(script|link|img|iframe|object|embed|image|use|foreignObject)\b`),
		regexp.MustCompile(`(?i)<[^>]*\s(src|xlink:href|srcset)=`), regexp.MustCompile(`(?i)<[^>]*\shref="[^#]`),
		regexp.MustCompile(`(?i)@import`), regexp.MustCompile(`(?i)url\(`),
	} {
		if loc := external.FindStringIndex(page); loc != nil {
			t.Errorf("page contains %q at %d: %q", external, loc[0], page[max(0, loc[0]-80):min(len(page), loc[1]+80)])
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",                 // container name
		"x&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",          // workload name
		"P90 is &lt;b&gt;bold&lt;/b&gt; &amp; &#34;quoted&#34;", // reason message
		"<svg", "</html>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestMarkdownEscapesNames(t *testing.T) {
	md := string(render(t, report.Build(fixture()), report.FormatMarkdown, report.WriteOptions{}))
	// Code spans show their content verbatim; everywhere else HTML must be escaped.
	text := regexp.MustCompile("`[^`]*`").ReplaceAllString(md, "")
	if strings.Contains(text, "<script>") || strings.Contains(text, "<img") || strings.Contains(text, "<b>") {
		t.Error("markdown passes HTML from names or messages through")
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 14 {
			t.Errorf("table row with a broken column count: %s", line)
		}
	}
}

func TestPatchParsesAsKubernetesObjects(t *testing.T) {
	out := render(t, report.Build(fixture()), report.FormatPatch, report.WriteOptions{})
	if !strings.Contains(string(out), "kubectl apply --server-side --field-manager=pacer -f -") {
		t.Error("patch header does not say how to apply it")
	}
	type container struct {
		Name      string
		Resources struct{ Requests, Limits map[string]string }
		Env       []struct{ Name, Value string }
	}
	type object struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string
		Metadata   struct{ Name, Namespace string }
		Spec       struct {
			Template struct {
				Spec struct{ Containers []container }
			}
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	got := map[string]object{}
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("patch does not parse: %v\n%s", err, out)
		}
		if o.APIVersion != "apps/v1" || (o.Kind != "Deployment" && o.Kind != "StatefulSet" && o.Kind != "DaemonSet") {
			t.Errorf("object %s %s/%s: want apps/v1 Deployment, StatefulSet or DaemonSet", o.APIVersion, o.Kind, o.Metadata.Name)
		}
		for _, c := range o.Spec.Template.Spec.Containers {
			for name, q := range c.Resources.Requests {
				if _, err := resource.ParseQuantity(q); err != nil {
					t.Errorf("%s/%s: request %s %q: %v", o.Metadata.Name, c.Name, name, q, err)
				}
			}
			for name, q := range c.Resources.Limits {
				if _, err := resource.ParseQuantity(q); err != nil {
					t.Errorf("%s/%s: limit %s %q: %v", o.Metadata.Name, c.Name, name, q, err)
				}
			}
		}
		got[o.Metadata.Namespace+"/"+o.Kind+"/"+o.Metadata.Name] = o
	}
	var names []string
	for n := range got {
		names = append(names, n)
	}
	want := []string{checkout.String(), evil.String(), ledger.String(), payments.String()}
	if len(got) != len(want) {
		t.Fatalf("patch has objects %v, want %v", names, want)
	}
	app := got[checkout.String()].Spec.Template.Spec.Containers[0]
	if app.Name != "app" || app.Resources.Requests["cpu"] != "250m" || app.Resources.Requests["memory"] != "256Mi" ||
		app.Resources.Limits["memory"] != "256Mi" || app.Resources.Limits["cpu"] != "" {
		t.Errorf("checkout app = %+v, want requests 250m/256Mi, memory limit 256Mi, no CPU limit", app)
	}
	if !reflect.DeepEqual(app.Env, []struct{ Name, Value string }{{"GOMEMLIMIT", "230MiB"}, {"GOMAXPROCS", "2"}}) {
		t.Errorf("checkout app env = %+v, want GOMEMLIMIT 230MiB and GOMAXPROCS 2", app.Env)
	}
	if got := got[evil.String()].Spec.Template.Spec.Containers[0].Name; got != evilContainer {
		t.Errorf("evil container name = %q, want it kept verbatim", got)
	}
	for _, skipped := range []string{"# skipped " + debugShell.String(), "# skipped " + search.String(), "# skipped " + fluentBit.String()} {
		if !strings.Contains(string(out), skipped) {
			t.Errorf("patch does not say %q", skipped)
		}
	}
}

func TestCSVParses(t *testing.T) {
	r := report.Build(fixture())
	rows, err := csv.NewReader(bytes.NewReader(render(t, r, report.FormatCSV, report.WriteOptions{}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	containers := 0
	for _, w := range r.Workloads {
		containers += max(1, len(w.Containers))
	}
	if len(rows) != 1+containers {
		t.Fatalf("%d rows, want a header and %d containers", len(rows), containers)
	}
	header := rows[0]
	for _, row := range rows[1:] {
		for i, cell := range row {
			name := header[i]
			if cell == "" || !numeric(name) {
				continue
			}
			if _, err := strconv.ParseFloat(cell, 64); err != nil {
				t.Errorf("%s = %q is not a number", name, cell)
			}
		}
	}
}

// numeric reports whether a csv column holds numbers.
func numeric(column string) bool {
	for _, suffix := range []string{"_cores", "_bytes", "_ratio", "_replicas", "gomaxprocs", "oom_kills", "_pods"} {
		if strings.HasSuffix(column, suffix) {
			return true
		}
	}
	return false
}

func TestJSONRoundTrips(t *testing.T) {
	r := report.Build(fixture())
	js := render(t, r, report.FormatJSON, report.WriteOptions{})
	var back report.Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Error("the report read back from JSON differs from the one written")
	}
	if again := render(t, &back, report.FormatJSON, report.WriteOptions{}); !bytes.Equal(again, js) {
		t.Error("JSON written from the report read back differs")
	}
}

func TestYAMLHasTheKeysOfJSON(t *testing.T) {
	r := report.Build(fixture())
	var fromJSON, fromYAML any
	if err := json.Unmarshal(render(t, r, report.FormatJSON, report.WriteOptions{}), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(render(t, r, report.FormatYAML, report.WriteOptions{}), &fromYAML); err != nil {
		t.Fatal(err)
	}
	// Through JSON once more, so that numbers are float64 on both sides.
	b, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	var yamlAsJSON any
	if err := json.Unmarshal(b, &yamlAsJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, yamlAsJSON) {
		t.Error("YAML and JSON carry different data")
	}
}
