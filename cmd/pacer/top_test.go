package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// golden compares got with a file under testdata/golden, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "golden", name)
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
		t.Fatalf("%v (run make update-golden to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (make update-golden refreshes it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

const demoTrace = "../../testdata/traces/demo-10m.om"

// runPacer runs the command line as main would and returns its stdout.
func runPacer(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := newRootCommand(&out, io.Discard)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestTopFromTrace(t *testing.T) {
	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"top-trace.txt", []string{"top", "--trace", demoTrace}},
		{"top-trace-pods.txt", []string{"top", "--trace", demoTrace, "--pods", "-n", "demo"}},
		{"top-trace.json", []string{"top", "--trace", demoTrace, "-o", "json"}},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			stdout, err := runPacer(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, []byte(stdout))
		})
	}
}

func TestTopAtAnEarlierInstant(t *testing.T) {
	stdout, err := runPacer(t, "top", "--trace", demoTrace, "--at", "2000-01-01T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(stdout, "\n") != 1 {
		t.Errorf("before the trace starts there is no data, got:\n%s", stdout)
	}
}

func TestTopRefusesBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"top"}, "no source: give --prometheus-url, --scrape or --trace"},
		{[]string{"top", "--trace", demoTrace, "--prometheus-url", "http://x"}, "choose one source, not --prometheus-url and --trace"},
		{[]string{"top", "--trace", demoTrace, "-o", "yaml"}, `--output "yaml": want table or json`},
		{[]string{"top", "--trace", demoTrace, "--watch"}, "--watch needs a live source"},
		{[]string{"top", "--trace", demoTrace, "-A", "-n", "x"}, "exclude each other"},
		{[]string{"top", "--trace", demoTrace, "--at", "yesterday"}, `--at "yesterday"`},
		{[]string{"top", "--trace", "/nonexistent.om"}, "opening trace: open /nonexistent.om"},
		{[]string{"top", "--prometheus-url", "ftp://x"}, "want http:// or https://"},
		{[]string{"top", "--prometheus-url", "http://x", "--query", "cpus=x"}, `--query "cpus=x"`},
		{[]string{"top", "--prometheus-url", "http://x", "--prometheus-header", "novalue"}, "want NAME=VALUE"},
		{[]string{"top", "--scrape", "localhost:8080"}, "want an http:// or https:// URL"},
		{[]string{"top", "--trace", demoTrace, "--log-level", "loud"}, `--log-level "loud"`},
	} {
		_, err := runPacer(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("pacer %s: err = %v, want it to contain %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}
}

func TestTopRowsAggregatePerWorkload(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	snap := recommender.NewSnapshot(recommender.Window{End: at})
	pods := []recommender.ContainerRef{
		{Namespace: "shop", Pod: "api-7d9f8b6c5d-x2x4z", Container: "app"},
		{Namespace: "shop", Pod: "api-7d9f8b6c5d-k9z2q", Container: "app"},
		{Namespace: "shop", Pod: "db-0", Container: "app"},
	}
	for i, ref := range pods {
		v := float64(i + 1)
		snap.Series[recommender.Goroutines] = append(snap.Series[recommender.Goroutines], recommender.Series{Ref: ref, Samples: []recommender.Sample{{At: at, Value: 100 * v}}})
		snap.Series[recommender.GCRate] = append(snap.Series[recommender.GCRate], recommender.Series{Ref: ref, Samples: []recommender.Sample{{At: at, Value: v}}})
	}
	rows := topRows(snap, false)
	if len(rows) != 2 {
		t.Fatalf("rows: %+v", rows)
	}
	api := rows[0]
	if api.Workload != "api" || api.Kind != "Deployment" || api.Pods != 2 {
		t.Errorf("api row %+v", api)
	}
	if got := api.Signals[recommender.Goroutines].Value; got != 300 {
		t.Errorf("api goroutines %v, want the sum 300", got)
	}
	if got := api.Signals[recommender.GCRate].Value; got != 1.5 {
		t.Errorf("api GC rate %v, want the per-pod mean 1.5", got)
	}
	if _, ok := api.Signals[recommender.CPU]; ok {
		t.Error("a signal without data got a value")
	}
	if rows[1].Workload != "db" || rows[1].Kind != "StatefulSet" {
		t.Errorf("db row %+v", rows[1])
	}
	if len(topRows(snap, true)) != 3 {
		t.Error("--pods did not give one row per container")
	}
}

func TestFormatSignal(t *testing.T) {
	for _, tt := range []struct {
		sig  recommender.Signal
		v    float64
		ok   bool
		want string
	}{
		{recommender.CPU, 0.25, true, "250m"},
		{recommender.CPU, 1.5, true, "1.50"},
		{recommender.Memory, 64 << 20, true, "64.0Mi"},
		{recommender.Memory, 512, true, "512B"},
		{recommender.AllocRate, 1.5 * (1 << 30), true, "1.5Gi/s"},
		{recommender.GCRate, 2, true, "120.0"},
		{recommender.RequestRate, 99.94, true, "99.9"},
		{recommender.Goroutines, 1500, true, "1500"},
		{recommender.GOMEMLIMIT, 9.223372036854776e18, true, "off"},
		{recommender.CPUThrottled, 0.126, true, "13%"},
		{recommender.Goroutines, 0, false, "-"},
		{recommender.Goroutines, 0, true, "0"},
	} {
		if got := formatSignal(tt.sig, tt.v, tt.ok); got != tt.want {
			t.Errorf("formatSignal(%s, %v, %v) = %q, want %q", tt.sig, tt.v, tt.ok, got, tt.want)
		}
	}
}
