// Package demo starts pacer's demo workloads (cmd/pacer-demo-app) as child
// processes and reads their own account of themselves. `pacer demo` and the
// integration suite use it; each process is a real Go service whose runtime
// signals move with its load profile.
package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// AppBinary is the demo workload's executable name.
const AppBinary = "pacer-demo-app"

// Workload is one demo workload to start: a name that becomes its
// Deployment's name and the flags of its load profile.
type Workload struct {
	Name string
	Args []string
}

// DefaultWorkloads are the profiles `pacer demo` runs.
func DefaultWorkloads() []Workload {
	return []Workload{
		{Name: "checkout", Args: []string{"--profile", "steady", "--rps", "150"}},
		{Name: "search", Args: []string{"--profile", "diurnal", "--diurnal-period", "5m"}},
		{Name: "ingest", Args: []string{"--profile", "spiky"}},
		{Name: "thumbnails", Args: []string{"--profile", "alloc", "--alloc-rate", "48MiB"}},
		{Name: "notifier", Args: []string{"--profile", "goroutines", "--goroutine-leak-rate", "25"}},
	}
}

// Stats is what a demo workload reports about itself on /stats.
type Stats struct {
	Profile                       string  `json:"profile"`
	UptimeSeconds                 float64 `json:"uptime_seconds"`
	Goroutines                    int     `json:"goroutines"`
	RequestsServed                uint64  `json:"requests_served"`
	RequestsDropped               uint64  `json:"requests_dropped"`
	AllocatedBytes                uint64  `json:"allocated_bytes"`
	ConfiguredRPS                 float64 `json:"configured_rps"`
	ConfiguredAllocBytesPerSecond float64 `json:"configured_alloc_bytes_per_second"`
	LeakedGoroutines              int64   `json:"leaked_goroutines"`
}

// Process is a running demo workload.
type Process struct {
	Workload Workload
	// URL is the base URL it serves on; metrics are at URL + "/metrics".
	URL  string
	cmd  *exec.Cmd
	done chan error
}

// FindBinary returns the demo workload's executable: next to the running
// executable (where `make` puts both), else on PATH.
func FindBinary() (string, error) {
	if self, err := os.Executable(); err == nil {
		candidate := filepath.Join(filepath.Dir(self), AppBinary)
		if info, err := os.Stat(candidate); err == nil && !info.IsDir() {
			return candidate, nil
		}
	}
	path, err := exec.LookPath(AppBinary)
	if err != nil {
		return "", fmt.Errorf("%s is neither next to this executable nor on PATH (build it with make build): %w", AppBinary, err)
	}
	return path, nil
}

// Start runs a workload and waits until it prints the URL it serves on. The
// process gets SIGTERM when ctx ends or Stop is called, and the kernel
// sends it SIGTERM if this process dies first, so none is left behind.
func Start(ctx context.Context, binary string, w Workload, stderr io.Writer) (*Process, error) {
	cmd := exec.CommandContext(ctx, binary, append([]string{"--listen", "127.0.0.1:0"}, w.Args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("demo workload %s: %w", w.Name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting demo workload %s: %w", w.Name, err)
	}
	p := &Process{Workload: w, cmd: cmd, done: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
		p.done <- cmd.Wait()
	}()
	select {
	case line, ok := <-lines:
		if ok && strings.HasPrefix(line, "http://") {
			p.URL = line
			return p, nil
		}
		_ = p.Stop()
		return nil, fmt.Errorf("demo workload %s printed %q instead of its URL", w.Name, line)
	case <-time.After(30 * time.Second):
		_ = p.Stop()
		return nil, fmt.Errorf("demo workload %s did not print its URL within 30s", w.Name)
	}
}

// Stop sends SIGTERM and waits for the process to exit.
func (p *Process) Stop() error {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	err := <-p.done
	p.done <- err // later calls see the same outcome
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() {
		return nil // ended by our signal
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil // ended by the signal its context's end sent
	}
	return err
}

// Stats reads the workload's own account of itself.
func (p *Process) Stats(ctx context.Context) (Stats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/stats", nil)
	if err != nil {
		return Stats{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Stats{}, fmt.Errorf("stats of %s: %w", p.Workload.Name, err)
	}
	defer func() { _ = resp.Body.Close() }()
	var s Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return Stats{}, fmt.Errorf("stats of %s: %w", p.Workload.Name, err)
	}
	return s, nil
}

// PodName gives a workload's demo pod a name shaped like a Deployment's pod
// (name-<template hash>-<suffix>), derived from the name so it is stable.
func PodName(workload string) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	h := uint64(14695981039346656037)
	for i := 0; i < len(workload); i++ {
		h = (h ^ uint64(workload[i])) * 1099511628211
	}
	var b strings.Builder
	b.WriteString(workload)
	b.WriteByte('-')
	for i := range 15 {
		if i == 10 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[h%uint64(len(alphabet))])
		h = h/uint64(len(alphabet)) ^ (h * 31)
	}
	return b.String()
}
