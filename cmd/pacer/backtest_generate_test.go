package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pacerdev/pacer/backtest/generate"
	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/scrape"
)

// runGenerate runs pacer backtest generate with the arguments and returns
// what it printed to stderr.
func runGenerate(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := newBacktestGenerateCommand()
	cmd.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	cmd.SetOut(io.Discard)
	cmd.SetErr(&stderr)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return stderr.String(), err
}

// syntheticTrace is the checked-in synthetic trace: three hours of one pod
// with an allocation burst. go test -update rewrites it and its truth.
const syntheticTrace = "../../testdata/traces/synthetic/alloc-bursts-3h.om"

func TestBacktestGenerate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "alloc-bursts-3h.om")
	stderr, err := runGenerate(t, "--scenario", "alloc-bursts", "--days", "0.125", "--pods", "1", "--seed", "1", "-o", out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "alloc-bursts, 1 pods, 3h0m0s in 181 steps of 1m0s: wrote " + out + " and " + out + ".truth.json"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	for _, pair := range [][2]string{{out, syntheticTrace}, {generate.TruthPath(out), generate.TruthPath(syntheticTrace)}} {
		got, err := os.ReadFile(pair[0])
		if err != nil {
			t.Fatal(err)
		}
		goldenFile(t, pair[1], got)
	}

	// pacer reads the trace back and derives every signal from it.
	tr, err := scrape.OpenTrace(syntheticTrace, scrape.TraceOptions{RateRange: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	start, end := tr.Span()
	snap, err := tr.Fetch(context.Background(), recommender.Query{Window: recommender.Window{End: end, Range: end.Sub(start) - time.Minute, Step: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range recommender.Signals() {
		if err := snap.Problems[sig]; err != nil {
			t.Errorf("signal %s: %v", sig, err)
		} else if n := len(snap.Series[sig][0].Samples); n != 180 {
			t.Errorf("signal %s: %d samples, want 180", sig, n)
		}
	}
	f, err := os.Open(generate.TruthPath(syntheticTrace))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	truth, err := generate.ReadTruth(f)
	if err != nil {
		t.Fatal(err)
	}
	if pod := snap.Containers()[0].Pod; truth.Steps != 181 || len(truth.Pods) != 1 || truth.Pods[0].Pod != pod {
		t.Errorf("truth has %d steps of pods %+v, want 181 of %s", truth.Steps, truth.Pods, pod)
	}
}

// goldenFile compares got with a checked-in file, or rewrites it with -update.
func goldenFile(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/pacer -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("generated output differs from %s: the model or the format changed (go test ./cmd/pacer -update refreshes it)", path)
	}
}

func TestBacktestGenerateOptions(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "leak.om")
	if _, err := runGenerate(t, "--scenario", "leak", "--days", "0.01", "--pods", "2", "--gogc", "off", "--gomemlimit", "450Mi",
		"--cpu-limit", "3.5", "--start", "2026-03-01T12:00:00+01:00", "-n", "shop", "--step", "30s", "-o", out); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(generate.TruthPath(out))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	truth, err := generate.ReadTruth(f)
	if err != nil {
		t.Fatal(err)
	}
	gc := truth.Service.GC
	if gc.GOGC != -1 || gc.MemoryLimitBytes != 450<<20 || gc.GOMAXPROCS != 4 || truth.Service.CPULimitCores != 3.5 ||
		truth.StepSeconds != 30 || truth.Steps != 29 || !truth.Start.Equal(time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)) ||
		truth.Workload.Namespace != "shop" || len(truth.Pods) != 2 {
		t.Errorf("flags did not reach the trace: truth %+v %d steps of %gs from %s, service %+v", truth.Workload, truth.Steps, truth.StepSeconds, truth.Start, truth.Service)
	}
}

func TestBacktestGenerateRefusesBadFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.om")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "--output is required"},
		{[]string{"-o", out, "--scenario", "sawtooth"}, `unknown scenario "sawtooth" (known: steady, diurnal, spiky, step, leak, alloc-bursts, goroutine-storm)`},
		{[]string{"-o", out, "--days", "0"}, "--days 0: want more than 0"},
		{[]string{"-o", out, "--pods", "0"}, "--pods 0: want at least 1"},
		{[]string{"-o", out, "--gogc", "fast"}, `--gogc "fast": want a percentage of at least 1, or off`},
		{[]string{"-o", out, "--gogc", "off"}, "GOGC off needs GOMEMLIMIT"},
		{[]string{"-o", out, "--gomemlimit", "lots"}, `--gomemlimit "lots": want a positive quantity`},
		{[]string{"-o", out, "--start", "yesterday"}, `--start "yesterday": want RFC 3339`},
		{[]string{"-o", out, "--cpu-limit", "0"}, "--cpu-limit 0: want more than 0 cores"},
		{[]string{"-o", filepath.Join(out, "missing", "x.om"), "--days", "0.01"}, "writing " + filepath.Join(out, "missing", "x.om")},
	} {
		if _, err := runGenerate(t, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("generate %s: err = %v, want %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused run left %s behind (%v)", out, err)
	}
}
