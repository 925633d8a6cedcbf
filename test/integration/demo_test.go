//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPacerDemo runs `pacer demo` as make demo does, until its first
// recommendations are in, opens the dashboard in headless Chromium, and
// checks that it leaves no process behind.
func TestPacerDemo(t *testing.T) {
	cmd := exec.Command(pacerBinary, "demo", "--duration", "65s", "--scrape-interval", "1s", "--interval", "2s",
		"-o", "json", "--listen", "127.0.0.1:0")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// The dashboard's address is on stderr; the rest of stderr is kept for failures.
	urls := make(chan string, 1)
	var logged bytes.Buffer
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			logged.WriteString(line + "\n")
			logMu.Unlock()
			if _, rest, ok := strings.Cut(line, "dashboard at "); ok {
				urls <- strings.Fields(rest)[0]
			}
		}
	}()
	var url string
	select {
	case url = <-urls:
	case <-time.After(30 * time.Second):
		t.Fatal("pacer demo printed no dashboard address in 30 s")
	}

	// The demo policy wants 45 s of history: look after a minute.
	waitFor(t, 90*time.Second, "ready recommendations on the dashboard", func() (bool, error) {
		body, err := httpGet(url + "api/v1/report")
		return err == nil && strings.Contains(body, `"ready": 5`), nil
	})
	page, err := httpGet(url)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"demo/checkout", "demo/search", "demo/ingest", "demo/thumbnails", "demo/notifier"} {
		if !strings.Contains(page, name) {
			t.Errorf("the dashboard does not name %s", name)
		}
	}
	checkInChromium(t, url, []string{"demo/checkout", "demo/notifier", "Goroutines"})

	if err := cmd.Wait(); err != nil {
		logMu.Lock()
		t.Fatalf("pacer demo: %v\n%s", err, logged.String())
	}
	// One JSON report per cycle on stdout; the last has every workload ready.
	var last struct {
		Summary struct {
			ByOutcome map[string]int `json:"byOutcome"`
		} `json:"summary"`
		Workloads []struct {
			Name    string `json:"name"`
			Outcome string `json:"outcome"`
		} `json:"workloads"`
	}
	lines := 0
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		lines++
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			t.Fatalf("line %d is not a JSON report: %v", lines, err)
		}
	}
	if lines < 10 || len(last.Workloads) != 5 || last.Summary.ByOutcome["ready"] != 5 {
		t.Errorf("%d cycles; the last has %d workloads, %v", lines, len(last.Workloads), last.Summary.ByOutcome)
	}
	if leftovers := processesOf(t, demoBinary); len(leftovers) > 0 {
		t.Errorf("pacer demo left demo workloads running: pids %v", leftovers)
	}
}

func httpGet(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(body), err
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
