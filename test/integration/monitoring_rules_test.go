//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestAlertRules proves the alerts of deploy/monitoring/prometheusrule.yaml
// fire: promtool checks them and runs the unit tests in
// deploy/monitoring/rules-test.yaml on them, every alert has a test in
// which it fires, the chart's copy is the same, and the rules and
// docs/operations.md name only metrics pacer exports. It needs promtool
// and nothing else, so it is quick; TestDeploy checks the rest of deploy/.
func TestAlertRules(t *testing.T) {
	root := deployRepoRoot(t)
	var rule struct {
		Spec struct {
			Groups []ruleGroup `yaml:"groups"`
		} `yaml:"spec"`
	}
	readYAML(t, filepath.Join(root, "deploy/monitoring/prometheusrule.yaml"), &rule)
	var chart struct {
		Groups []ruleGroup `yaml:"groups"`
	}
	readYAML(t, filepath.Join(root, "deploy/helm/pacer/files/prometheus-rules.yaml"), &chart)
	if !reflect.DeepEqual(rule.Spec.Groups, chart.Groups) {
		t.Error("the chart's files/prometheus-rules.yaml is not deploy/monitoring/prometheusrule.yaml's spec: run hack/gen-deploy.sh")
	}

	// The unit tests name the chart's copy by a relative path: lay out the
	// PrometheusRule's own spec there, so what is tested is the source.
	dir := t.TempDir()
	rules, err := yaml.Marshal(map[string]any{"groups": rule.Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	rulesPath := filepath.Join(dir, "helm/pacer/files/prometheus-rules.yaml")
	testsPath := filepath.Join(dir, "monitoring/rules-test.yaml")
	tests, err := os.ReadFile(filepath.Join(root, "deploy/monitoring/rules-test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string][]byte{rulesPath: rules, testsPath: tests} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	promtool := tool(t, "promtool")
	for _, args := range [][]string{{"check", "rules", rulesPath}, {"test", "rules", testsPath}} {
		out, err := exec.CommandContext(t.Context(), promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s %s: %v\n%s", args[0], args[1], err, out)
		}
	}

	var unit struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			Name          string `yaml:"name"`
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	readYAML(t, filepath.Join(root, "deploy/monitoring/rules-test.yaml"), &unit)
	if !slices.Equal(unit.RuleFiles, []string{"../helm/pacer/files/prometheus-rules.yaml"}) {
		t.Errorf("rules-test.yaml tests %v, want the chart's copy of the rules", unit.RuleFiles)
	}
	fires := map[string]bool{}
	for _, tc := range unit.Tests {
		for _, a := range tc.AlertRuleTest {
			fires[a.Alertname] = fires[a.Alertname] || len(a.ExpAlerts) > 0
		}
	}
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			if name, _ := r["alert"].(string); name != "" && !fires[name] {
				t.Errorf("alert %s has no test in deploy/monitoring/rules-test.yaml in which it fires", name)
			}
		}
	}

	known := pacerMetricNames(t)
	checkMetricNames(t, "the alert rules", string(rules), known)
	ops, err := os.ReadFile(filepath.Join(root, "docs/operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	checkMetricNames(t, "docs/operations.md", string(ops), known)
}

// ruleGroup is a Prometheus rule group, its rules kept as they are.
type ruleGroup struct {
	Name  string           `yaml:"name"`
	Rules []map[string]any `yaml:"rules"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
