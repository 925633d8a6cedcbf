//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPacerDemo runs `pacer demo` as make demo does, for a few refreshes,
// and checks that it shows live signals of every demo workload and leaves
// no process behind.
func TestPacerDemo(t *testing.T) {
	cmd := exec.Command(pacerBinary, "demo", "--duration", "8s", "--scrape-interval", "1s", "-o", "json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pacer demo: %v\n%s", err, stderr.String())
	}
	var last map[string]any
	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines++
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			t.Fatalf("line %d is not JSON: %v", lines, err)
		}
	}
	if lines < 3 {
		t.Fatalf("%d refreshes in 8 s at 1 s, want several:\n%s", lines, out)
	}
	rows, _ := last["rows"].([]any)
	if len(rows) != 5 {
		t.Fatalf("last refresh has %d rows, want the 5 demo workloads: %v", len(rows), last)
	}
	for _, r := range rows {
		row := r.(map[string]any)
		signals := row["signals"].(map[string]any)
		for _, sig := range []string{"goroutines", "alloc_rate", "live_heap", "gc_rate", "request_rate", "cpu", "memory"} {
			if _, ok := signals[sig]; !ok {
				t.Errorf("workload %v has no %s", row["workload"], sig)
			}
		}
	}
	if !strings.Contains(stderr.String(), "5 Go workloads running") {
		t.Errorf("pacer demo did not say what it runs; stderr:\n%s", stderr.String())
	}
	if leftovers := processesOf(t, demoBinary); len(leftovers) > 0 {
		t.Errorf("pacer demo left demo workloads running: pids %v", leftovers)
	}
}

// processesOf lists the pids whose executable is binary.
func processesOf(t *testing.T, binary string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, e := range entries {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && exe == binary {
			pids = append(pids, e.Name())
		}
	}
	return pids
}
