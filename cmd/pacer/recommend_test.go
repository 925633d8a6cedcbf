package main

import (
	"strings"
	"testing"
)

const demoPolicy = "../../testdata/policies/demo.yaml"

func TestRecommendFromTrace(t *testing.T) {
	for _, tt := range []struct {
		golden string
		args   []string
	}{
		// The demo policy's windows fit the ten-minute trace: every workload is ready.
		{"recommend-demo.txt", []string{"recommend", "--trace", demoTrace, "--policy", demoPolicy, "--step", "15s"}},
		{"recommend-demo.json", []string{"recommend", "--trace", demoTrace, "--policy", demoPolicy, "--step", "15s", "-o", "json"}},
		// The default policy wants a day of history: insufficient data, saying how much more.
		{"recommend-default.txt", []string{"recommend", "--trace", demoTrace}},
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

func TestPolicyCommands(t *testing.T) {
	out, err := runPacer(t, "policy", "check", demoPolicy)
	if err != nil || !strings.Contains(out, "demo.yaml: 1 policies, valid") {
		t.Errorf("policy check demo.yaml: %q, %v", out, err)
	}
	if _, err := runPacer(t, "policy", "check", "../../testdata/policies/invalid.yaml"); err == nil ||
		!strings.Contains(err.Error(), "1 of 1 policy files are invalid") {
		t.Errorf("policy check invalid.yaml: err = %v", err)
	}
	out, err = runPacer(t, "policy", "default")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "policy-default.yaml", []byte(out))
}

func TestRecommendRefusesBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"recommend"}, "--trace is required"},
		{[]string{"recommend", "--trace", demoTrace, "-o", "csv"}, `--output "csv"`},
		{[]string{"recommend", "--trace", demoTrace, "--step", "0s"}, "--step 0s must be positive"},
		{[]string{"recommend", "--trace", demoTrace, "--policy", "../../testdata/policies/invalid.yaml"}, "invalid.yaml:6: policies[0].cpu.percentile"},
	} {
		_, err := runPacer(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("pacer %s: err = %v, want %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}
}
