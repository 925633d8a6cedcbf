//go:build integration

package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pacerdev/pacer/demo"
)

// demoBinary is the demo workload and pacerBinary pacer itself, built once
// for the suite into one directory, as make build does.
var demoBinary, pacerBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pacer-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	demoBinary = filepath.Join(dir, demo.AppBinary)
	pacerBinary = filepath.Join(dir, "pacer")
	build := exec.Command("go", "build", "-o", dir+"/", "github.com/pacerdev/pacer/cmd/...")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	code := 1
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the demo workload:", err)
	} else {
		code = m.Run()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// startDemo starts a demo workload and stops it when the test ends.
func startDemo(t *testing.T, w demo.Workload) *demo.Process {
	t.Helper()
	p, err := demo.Start(context.Background(), demoBinary, w, testWriter{t, w.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("stopping %s: %v", w.Name, err)
		}
	})
	return p
}

// tool finds a Debian-packaged binary; make test installs them.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run `make test`, which installs Debian's prometheus package (%v)", name, err)
	}
	return path
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// scrapeTarget is one demo workload as Prometheus should label it.
type scrapeTarget struct {
	url                       string
	namespace, pod, container string
}

// prometheusConfig writes a config that scrapes each target every second
// with its namespace, pod and container labels, as kubernetes_sd relabeling would.
func prometheusConfig(targets []scrapeTarget) string {
	var b strings.Builder
	b.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: demo\n    static_configs:\n")
	for _, t := range targets {
		fmt.Fprintf(&b, "      - targets: [%q]\n        labels: {namespace: %q, pod: %q, container: %q}\n",
			strings.TrimPrefix(t.url, "http://"), t.namespace, t.pod, t.container)
	}
	return b.String()
}

// startPrometheus runs Debian's prometheus on a free loopback port over
// dataDir with the given config, waits until it is ready and stops it when
// the test ends. It returns the base URL.
func startPrometheus(t *testing.T, config, dataDir string) string {
	t.Helper()
	bin := tool(t, "prometheus")
	cfgPath := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+dataDir,
		"--storage.tsdb.retention.time=100y",
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = testWriter{t, "prometheus"}, testWriter{t, "prometheus"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Logf("prometheus exited: %v", err)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Logf("prometheus killed after 20s: %v", <-exited)
		}
	})
	url := "http://" + addr
	waitFor(t, 30*time.Second, "prometheus to become ready", func() (bool, error) {
		select {
		case err := <-exited:
			return false, fmt.Errorf("prometheus exited: %w", err)
		default:
		}
		resp, err := http.Get(url + "/-/ready")
		if err != nil {
			return false, nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	return url
}

// waitFor polls cond every 250ms until it holds, fails, or the timeout
// passes. It waits on external processes, never on the test's own goroutines.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// testWriter sends a child process's output to the test log.
type testWriter struct {
	t    *testing.T
	name string
}

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s: %s", w.name, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = testWriter{}
