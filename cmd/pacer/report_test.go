package main

import (
	"strings"
	"testing"
)

const (
	demo30Trace    = "../../testdata/traces/demo-30m.om"
	multipodTrace  = "../../testdata/traces/multipod-20m.om"
	reportEpoch    = "1795651200" // 2026-11-26 00:00 UTC
	multipodPolicy = "../../testdata/policies/multipod.yaml"
)

func TestReportFromTraces(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", reportEpoch)
	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"report-demo30.txt", []string{"report", "--trace", demo30Trace, "--policy", demoPolicy, "--step", "1m"}},
		{"report-demo30.md", []string{"report", "--trace", demo30Trace, "--policy", demoPolicy, "--step", "1m", "-o", "markdown"}},
		{"report-demo30-patch.yaml", []string{"report", "--trace", demo30Trace, "--policy", demoPolicy, "--step", "1m", "-o", "patch"}},
		{"report-multipod.txt", []string{"report", "--trace", multipodTrace, "--policy", multipodPolicy, "--step", "1m"}},
		{"report-multipod.json", []string{"report", "--trace", multipodTrace, "--policy", multipodPolicy, "--step", "1m", "-o", "json"}},
		{"report-multipod.csv", []string{"report", "--trace", multipodTrace, "--policy", multipodPolicy, "--step", "1m", "-o", "csv", "-n", "shop"}},
		// The default policy wants a day of history: every workload says how much more.
		{"report-default.txt", []string{"report", "--trace", demoTrace}},
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

func TestReportRefusesBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "no source"},
		{[]string{"report", "--trace", demoTrace, "-o", "pdf"}, `unknown report format "pdf"`},
		{[]string{"report", "--trace", demoTrace, "--step", "0s"}, "want a positive step"},
		{[]string{"report", "--trace", demoTrace, "-l", "team=pay"}, "--selector selects by workload labels"},
		{[]string{"report", "--trace", demoTrace, "-l", "a b"}, `--selector "a b"`},
		{[]string{"report", "--trace", demoTrace, "-A", "-n", "shop"}, "exclude each other"},
		{[]string{"report", "--trace", demoTrace, "--price-per-core-hour", "-1"}, "must not be negative"},
		{[]string{"report", "--prometheus-url", "http://127.0.0.1:1", "--no-kube", "--kubeconfig", "x"}, "--no-kube excludes"},
	} {
		_, err := runPacer(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("pacer %v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}
