package generate

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pacerdev/pacer/sources/scrape"
)

// TestWriteOpenMetricsIsWhatScrapeWrites serves every step of a trace as
// the pods' /metrics, scrapes it with pacer's scraper on the trace's clock,
// and checks that scrape.WriteSignalTrace writes the very bytes
// WriteOpenMetrics does.
func TestWriteOpenMetricsIsWhatScrapeWrites(t *testing.T) {
	tr := generate(t, Config{Scenario: "spiky", Seed: 2, Pods: 2, Duration: 30 * time.Minute, GOMEMLIMITBytes: 300 * MiB})
	var step atomic.Int64
	var targets []scrape.Target
	for i := range tr.Pods {
		pod := &tr.Pods[i]
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
			_, _ = w.Write(exposition(tr, &pod.Samples[step.Load()]))
		}))
		t.Cleanup(srv.Close)
		target, err := scrape.ParseTarget(srv.URL + "/metrics#namespace=" + tr.Config.Namespace + "&pod=" + pod.Name + "&container=" + Container)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, target)
	}
	s, err := scrape.New(scrape.Options{
		Targets: targets, Interval: tr.Config.Step, RateRange: 2 * tr.Config.Step, Retention: tr.Config.Duration + tr.Config.Step,
		Now: func() time.Time { return tr.At(int(step.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range tr.Config.Steps() {
		step.Store(int64(k))
		s.ScrapeOnce(context.Background())
		for _, h := range s.Health() {
			if h.LastError != nil {
				t.Fatalf("step %d: %v", k, h.LastError)
			}
		}
	}
	var scraped, written bytes.Buffer
	if err := scrape.WriteSignalTrace(&scraped, s.Store()); err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteOpenMetrics(&written); err != nil {
		t.Fatal(err)
	}
	if scraped.String() != written.String() {
		a, b := strings.Split(scraped.String(), "\n"), strings.Split(written.String(), "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("line %d differs:\nscrape.WriteSignalTrace: %s\nWriteOpenMetrics:        %s", i+1, a[i], b[i])
			}
		}
		t.Fatalf("scrape.WriteSignalTrace wrote %d lines, WriteOpenMetrics %d", len(a), len(b))
	}
}

// exposition is what a pod's /metrics would serve at one step, in OpenMetrics.
func exposition(tr *Trace, s *Sample) []byte {
	var b bytes.Buffer
	for _, f := range families {
		b.WriteString("# TYPE " + f.name + " " + f.typ + "\n" + f.sample)
		if f.labels != "" {
			b.WriteString("{" + strings.TrimSuffix(f.labels, ",") + "}")
		}
		b.WriteString(" " + strconv.FormatFloat(f.value(tr, s), 'g', -1, 64) + "\n")
	}
	b.WriteString("# EOF\n")
	return b.Bytes()
}

func TestWriteOpenMetricsShape(t *testing.T) {
	tr := generate(t, Config{Scenario: "steady", Seed: 1, Pods: 3, Duration: 10 * time.Minute})
	var buf bytes.Buffer
	if err := tr.WriteOpenMetrics(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if want := SeriesPerPod * (1 + 3*tr.Config.Steps()); len(lines) != want+1 {
		t.Errorf("%d lines, want %d: a TYPE line per family, a sample per pod and step, # EOF", len(lines), want+1)
	}
	if last := lines[len(lines)-1]; last != "# EOF" {
		t.Errorf("last line %q, want # EOF", last)
	}
	if first, want := lines[1], `container_cpu_cfs_periods_total{container="app",namespace="synthetic",pod="`+tr.Pods[0].Name+`"} 0 1767571200`; first != want {
		t.Errorf("first sample\n got %s\nwant %s", first, want)
	}
}
