//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// reportPolicy is the default policy with windows short enough for the
// suite's half minute of history.
const reportPolicy = `apiVersion: pacer.dev/v1alpha1
kind: PolicySet
policies:
  - name: suite
    history: {minimum: 10s, halfLife: 1m, staleAfter: 30s}
    horizontal: {targetRequestRatePerPod: 50, scaleDownBelowRequestRatePerPod: 15, rateWindow: 10s}
`

// runReport runs pacer report against the fixture's Prometheus.
func (f *fixture) runReport(t *testing.T, policyFile string, args ...string) string {
	t.Helper()
	cmd := exec.Command(pacerBinary, append([]string{"report", "--prometheus-url", f.promURL, "--no-kube",
		"--window", "30s", "--step", "1s", "--rate-range", rateRange.String(), "--policy", policyFile}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pacer report %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// testReport runs pacer report end to end against a real Prometheus
// scraping the demo workloads, in the machine formats and as HTML in a browser.
func (f *fixture) testReport(t *testing.T) {
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(reportPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	var r struct {
		SchemaVersion string `json:"schemaVersion"`
		Workloads     []struct {
			Namespace, Name, Outcome string
			Containers               []struct {
				Name        string
				Recommended *struct {
					CPURequestCores    float64 `json:"cpuRequestCores"`
					MemoryRequestBytes float64 `json:"memoryRequestBytes"`
					GOMEMLIMITBytes    float64 `json:"gomemlimitBytes"`
				} `json:"recommended"`
			}
		}
	}
	if err := json.Unmarshal([]byte(f.runReport(t, policyFile, "-o", "json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.SchemaVersion != "pacer.dev/report/v1" || len(r.Workloads) != len(workloads) {
		t.Fatalf("schema %q with %d workloads, want %d", r.SchemaVersion, len(r.Workloads), len(workloads))
	}
	for _, w := range r.Workloads {
		if w.Namespace != "demo" || w.Outcome != "ready" || len(w.Containers) != 1 || w.Containers[0].Recommended == nil {
			t.Errorf("workload %s/%s: %s with %+v", w.Namespace, w.Name, w.Outcome, w.Containers)
			continue
		}
		rec := w.Containers[0].Recommended
		if rec.CPURequestCores <= 0 || rec.MemoryRequestBytes < 32<<20 || rec.GOMEMLIMITBytes <= 0 || rec.GOMEMLIMITBytes >= rec.MemoryRequestBytes {
			t.Errorf("workload %s: recommended %+v", w.Name, rec)
		}
	}

	patch := f.runReport(t, policyFile, "-o", "patch")
	if n := strings.Count(patch, "kind: Deployment"); n != len(workloads) {
		t.Errorf("the patch holds %d Deployments, want %d:\n%s", n, len(workloads), patch)
	}

	html := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(html, []byte(f.runReport(t, policyFile, "-o", "html")), 0o644); err != nil {
		t.Fatal(err)
	}
	checkInChromium(t, "file://"+html, []string{"demo/steady", "demo/alloc", "demo/goroutines", "demo/spiky"})
}
