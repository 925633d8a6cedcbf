package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pacerdev/pacer/backtest/report"
)

const demo30m = "../../testdata/traces/demo-30m.om"

// runBacktest runs the command line as main would, with the backtest
// command registered.
func runBacktest(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := newRootCommand(&out, io.Discard)
	if cmd, _, err := root.Find([]string{"backtest"}); err != nil || cmd == root {
		root.AddCommand(newBacktestCommand())
	}
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// TestBacktestDemo replays the recorded 30-minute demo at 1-minute steps
// with the demo policy's short windows, so pacer is ready within it.
func TestBacktestDemo(t *testing.T) {
	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"backtest-demo.txt", []string{"backtest", "run", "--trace", demo30m, "--policy", demoPolicy}},
		{"backtest-demo.json", []string{"backtest", "run", "--trace", demo30m, "--policy", demoPolicy, "-o", "json"}},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			out, err := runBacktest(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, []byte(out))
		})
	}
}

func TestBacktestJSONShape(t *testing.T) {
	out, err := runBacktest(t, "backtest", "run", "--trace", demo30m, "--policy", demoPolicy, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var doc report.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Kind != report.Kind || len(doc.Traces) != 1 {
		t.Fatalf("kind %q with %d traces", doc.Kind, len(doc.Traces))
	}
	r := doc.Traces[0]
	var names []string
	for _, v := range r.Vertical {
		names = append(names, v.Contender)
	}
	for _, h := range r.Horizontal {
		names = append(names, h.Contender)
	}
	if got := strings.Join(names, ","); got != "pacer,vpa,krr,oracle,pacer,hpa,oracle" {
		t.Errorf("contenders %s", got)
	}
	if r.Workloads != 5 || len(r.PerWorkload) != 5 {
		t.Errorf("%d workloads, %d results: want the demo's 5", r.Workloads, len(r.PerWorkload))
	}
	oracle := r.Vertical[len(r.Vertical)-1]
	if oracle.CPU.RelativeSlack != 0 || oracle.Memory.RelativeSlack != 0 || oracle.OOMKills != 0 {
		t.Errorf("the oracle is not the floor: %+v", oracle)
	}
}

// TestBacktestHTML: one self-contained page, a chart per container and
// resource and per workload's replicas.
func TestBacktestHTML(t *testing.T) {
	out, err := runBacktest(t, "backtest", "run", "--trace", demo30m, "--policy", demoPolicy, "-o", "html")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", "demo-30m.om", "demo/checkout", "app: CPU", "app: memory", "replicas (a pod serves", "</html>"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if n := strings.Count(out, "<svg"); n != 15 {
		t.Errorf("%d charts, want 15 (5 workloads × CPU, memory, replicas)", n)
	}
	for _, banned := range []string{"<script", "http://", "https://", "<link", "<img"} {
		if strings.Contains(out, banned) {
			t.Errorf("HTML is not self-contained: it holds %q", banned)
		}
	}
}

// TestBacktestSyntheticWithTruth generates a short synthetic trace with
// its truth and replays it: the truth is read, the default rate range of
// two steps gives every step a rate.
func TestBacktestSyntheticWithTruth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spiky.om")
	if _, err := runBacktest(t, "backtest", "generate", "--scenario", "spiky", "--days", "0.25", "--pods", "2", "-o", path); err != nil {
		t.Fatal(err)
	}
	out, err := runBacktest(t, "backtest", "run", "--trace", path, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var doc report.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	r := doc.Traces[0]
	if r.Trace != "spiky.om" || r.Containers != 1 || len(r.Horizontal) != 3 {
		t.Fatalf("trace %s: %d containers, %d horizontal scores", r.Trace, r.Containers, len(r.Horizontal))
	}
	oracle := r.Vertical[len(r.Vertical)-1]
	if oracle.OOMKills != 0 || oracle.ThrottledMinutes != 0 || oracle.CPU.Usage <= 0 {
		t.Errorf("oracle %+v: want no OOM, no throttling, and the CPU demand", oracle)
	}
}

func TestBacktestRefusesBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"backtest", "run"}, "--trace is required"},
		{[]string{"backtest", "run", "--trace", demo30m, "-o", "yaml"}, `--output "yaml"`},
		{[]string{"backtest", "run", "--trace", demo30m, "--interval", "90s"}, "--interval 1m30s must be a whole number of --step 1m0s"},
		{[]string{"backtest", "run", "--trace", demo30m, "--apply-delay", "-1m"}, "--apply-delay -1m0s must not be negative"},
		{[]string{"backtest", "run", "--trace", demo30m, "--initial-headroom", "0.5"}, "--initial-headroom 0.5"},
		{[]string{"backtest", "run", "--trace", demo30m, "--initial-cpu-limit-ratio", "0.5"}, "--initial-cpu-limit-ratio 0.5"},
		{[]string{"backtest", "run", "--trace", "no-such.om"}, "no-such.om"},
		{[]string{"backtest", "run", "--trace", demo30m, "--policy", "../../testdata/policies/invalid.yaml"}, "invalid.yaml:6: policies[0].cpu.percentile"},
	} {
		_, err := runBacktest(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("pacer %s: err = %v, want %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}
}
