//go:build integration

package integration

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/pacerdev/pacer/actuator/metrics"
	"github.com/pacerdev/pacer/test/kube"
)

// The names deploy/ gives pacer.
const (
	deployNamespace      = "pacer-system"
	deployServiceAccount = "system:serviceaccount:pacer-system:pacer"
	// deployExamplesNamespace is where the examples are tried; it warns on
	// pods that break the restricted Pod Security Standard.
	deployExamplesNamespace = "pacer-examples"
	// vpaModule holds the VPA CRD the examples need, in deploy/.
	vpaModule = "k8s.io/autoscaler/vertical-pod-autoscaler@v1.8.1"
)

// TestDeploy checks what deploy/ ships, without a container runtime. It
// renders the kustomize base and overlays and deploy/monitoring with the
// cluster's kubectl and the Helm chart with Helm (a Go tool in
// hack/helmtools), and checks that every object passes a server-side dry
// run on a real kube-apiserver without a warning (pacer-system enforces the
// restricted Pod Security Standard); that the Deployment is locked down and
// sizes its Go runtime to its limits; that the RBAC has no wildcard and no
// secret, and, applied for real, lets pacer's service account do what it
// needs and no more; that the shipped policy is the built-in one; that the
// alert rules and dashboard queries are valid PromQL over pacer's real
// metric names; that the image builds from what the Docker context holds;
// and that every flag the manifests pass is one `pacer serve` has.
func TestDeploy(t *testing.T) {
	d := &deployFixture{t: t, root: deployRepoRoot(t), cluster: kube.Start(t, kube.Options{})}
	d.installCRDs()
	d.render()
	d.kubectl(t, strings.NewReader(d.objects(t, "kustomize/base", "Namespace", deployNamespace)), "apply", "-f", "-")
	d.kubectl(t, strings.NewReader(examplesNamespace), "apply", "-f", "-")

	t.Run("server dry run", d.testServerDryRun)
	t.Run("deployment", d.testDeployments)
	t.Run("rbac", d.testRBAC)
	t.Run("can-i", d.testCanI)
	t.Run("policy", d.testPolicy)
	t.Run("helm chart", d.testChart)
	t.Run("monitoring", d.testMonitoring)
	t.Run("image", d.testImage)
}

// deployFixture holds the cluster and what deploy/ renders to.
type deployFixture struct {
	t       *testing.T
	root    string
	cluster *kube.Cluster
	// rendered maps a name (kustomize/base, helm/default, ...) to its
	// objects; namespaces maps the names that need one to the namespace
	// they are applied in.
	rendered   map[string][]*unstructured.Unstructured
	manifests  map[string]string
	namespaces map[string]string
}

const examplesNamespace = `apiVersion: v1
kind: Namespace
metadata:
  name: ` + deployExamplesNamespace + `
  labels:
    pod-security.kubernetes.io/warn: restricted
`

// helmSets are the chart's renderings: the defaults, dry run, and every
// option on.
var helmSets = map[string][]string{
	"helm/default": nil,
	"helm/dry-run": {"dryRun=true"},
	"helm/everything": {"direct=true", "externalMetrics.enabled=true", "serviceMonitor.enabled=true", "prometheusRule.enabled=true",
		"prometheus.bearerToken.secretName=prometheus-token", "prometheus.ca.configMapName=prometheus-ca", "pprof=true",
		"resources.limits.cpu=2", "resources.requests.memory=1Gi", "resources.limits.memory=1Gi"},
}

func (d *deployFixture) render() {
	t := d.t
	t.Helper()
	d.rendered, d.manifests = map[string][]*unstructured.Unstructured{}, map[string]string{}
	d.namespaces = map[string]string{"examples": deployExamplesNamespace}
	for _, dir := range []string{"kustomize/base", "kustomize/overlays/dry-run", "kustomize/overlays/apply", "monitoring", "external-metrics"} {
		d.add(dir, d.kubectl(t, nil, "kustomize", filepath.Join(d.root, "deploy", dir)))
	}
	for name, sets := range helmSets {
		args := []string{"template", "pacer", filepath.Join(d.root, "deploy/helm/pacer"), "--namespace", deployNamespace, "--kube-version", kube.Version}
		d.add(name, d.helm(t, append(args, setFlags(sets)...)...))
	}
	var examples strings.Builder
	files, err := filepath.Glob(filepath.Join(d.root, "deploy/examples/*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("deploy/examples: %v files, %v", len(files), err)
	}
	for _, f := range files {
		examples.WriteString("---\n" + d.read(t, f) + "\n")
	}
	d.add("examples", examples.String())
}

func (d *deployFixture) add(name, manifest string) {
	d.t.Helper()
	objs, err := decodeObjects(manifest)
	if err != nil {
		d.t.Fatalf("%s: %v", name, err)
	}
	if len(objs) == 0 {
		d.t.Fatalf("%s rendered no object", name)
	}
	d.rendered[name], d.manifests[name] = objs, manifest
}

// objects returns the rendering's objects of a kind, as YAML; name "" takes all.
func (d *deployFixture) objects(t testing.TB, render, kind, name string) string {
	var out []string
	for _, o := range d.rendered[render] {
		if o.GetKind() == kind && (name == "" || o.GetName() == name) {
			b, err := yaml.Marshal(o.Object)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no %s %s", render, kind, name)
	}
	return strings.Join(out, "---\n")
}

func (d *deployFixture) testServerDryRun(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(d.manifests)) {
		t.Run(name, func(t *testing.T) {
			args := []string{"apply", "--dry-run=server", "-f", "-"}
			if ns := d.namespaces[name]; ns != "" {
				args = append(args, "-n", ns)
			}
			stdout, stderr, err := d.cluster.KubectlWithInput(t.Context(), strings.NewReader(d.manifests[name]), args...)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(stderr, "Warning") {
				t.Errorf("the apiserver warned:\n%s", stderr)
			}
			if got, want := strings.Count(stdout, "(server dry run)"), len(d.rendered[name]); got != want {
				t.Errorf("%d objects passed the dry run, want %d:\n%s", got, want, stdout)
			}
		})
	}
}

// notPacer are the renderings that do not run pacer.
var notPacer = []string{"monitoring", "examples"}

func (d *deployFixture) testDeployments(t *testing.T) {
	for name, objs := range d.rendered {
		if slices.Contains(notPacer, name) {
			continue
		}
		deps := typed[appsv1.Deployment](t, objs, "Deployment")
		if len(deps) != 1 {
			t.Fatalf("%s has %d Deployments, want pacer's", name, len(deps))
		}
		want, not := d.flagsOf(name)
		t.Run(name, func(t *testing.T) { checkPacerDeployment(t, deps[0], objs, want, not) })
	}
}

// flagsOf says which mode flags a rendering's pacer runs with.
func (d *deployFixture) flagsOf(name string) (want, not []string) {
	switch name {
	case "kustomize/overlays/dry-run", "helm/dry-run":
		return []string{"--dry-run"}, []string{"--direct"}
	case "kustomize/overlays/apply", "helm/everything":
		return []string{"--direct"}, []string{"--dry-run"}
	}
	return nil, []string{"--dry-run", "--direct"}
}

func checkPacerDeployment(t *testing.T, dep *appsv1.Deployment, objs []*unstructured.Unstructured, want, not []string) {
	spec := dep.Spec.Template.Spec
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", dep.Spec.Replicas)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want pacer alone", len(spec.Containers))
	}
	c := spec.Containers[0]
	if len(c.Command) > 0 {
		t.Errorf("command %q replaces the image's entrypoint /pacer serve", c.Command)
	}
	if !strings.HasPrefix(c.Image, "ghcr.io/pacerdev/pacer:v") {
		t.Errorf("image %s, want ghcr.io/pacerdev/pacer:<version>", c.Image)
	}
	if len(c.Args) == 0 || !strings.HasPrefix(c.Args[0], "--prometheus-url=") {
		t.Errorf("args %q do not start with --prometheus-url, which deploy/README.md tells kustomize users to patch", c.Args)
	}
	args := strings.Join(c.Args, " ")
	for _, f := range append([]string{"--listen=:8080", "--policy=/etc/pacer/policy.yaml", "--prometheus-url=http", "--leader-elect=true"}, want...) {
		if !strings.Contains(args, f) {
			t.Errorf("args %q lack %s", args, f)
		}
	}
	for _, f := range not {
		if slices.Contains(c.Args, f) {
			t.Errorf("args %q have %s", args, f)
		}
	}
	checkSecurity(t, spec)
	checkGoRuntime(t, c)
	checkProbesAndPorts(t, dep, objs)
	if env := envVar(c, "POD_NAMESPACE"); env == nil || env.ValueFrom == nil || env.ValueFrom.FieldRef == nil || env.ValueFrom.FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("POD_NAMESPACE %+v, want the downward API's metadata.namespace", env)
	}
	spread := slices.ContainsFunc(spec.TopologySpreadConstraints, func(c corev1.TopologySpreadConstraint) bool {
		return c.TopologyKey == "kubernetes.io/hostname"
	})
	if !spread && (spec.Affinity == nil || spec.Affinity.PodAntiAffinity == nil) {
		t.Error("nothing spreads the replicas over nodes")
	}
	checkPolicyVolume(t, spec, objs)
}

func checkSecurity(t *testing.T, spec corev1.PodSpec) {
	pod, c := spec.SecurityContext, spec.Containers[0].SecurityContext
	if pod == nil || c == nil {
		t.Fatal("the pod or the container has no securityContext")
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		t.Error("the pod shares a host namespace")
	}
	if spec.AutomountServiceAccountToken == nil || !*spec.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken is not true: pacer talks to the apiserver")
	}
	if spec.ServiceAccountName == "" || spec.ServiceAccountName == "default" {
		t.Errorf("service account %q, want pacer's own", spec.ServiceAccountName)
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			t.Errorf("volume %s is a hostPath", v.Name)
		}
	}
	isTrue := func(b *bool) bool { return b != nil && *b }
	if !isTrue(pod.RunAsNonRoot) && !isTrue(c.RunAsNonRoot) {
		t.Error("runAsNonRoot is not set")
	}
	for _, uid := range []*int64{pod.RunAsUser, c.RunAsUser} {
		if uid != nil && *uid != 65532 {
			t.Errorf("runAsUser %d, want 65532 (distroless nonroot)", *uid)
		}
	}
	if pod.RunAsUser == nil && c.RunAsUser == nil {
		t.Error("runAsUser is not set")
	}
	if !isTrue(c.ReadOnlyRootFilesystem) {
		t.Error("the root filesystem is writable")
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if isTrue(c.Privileged) {
		t.Error("the container is privileged")
	}
	if c.Capabilities == nil || !slices.Equal(c.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(c.Capabilities.Add) > 0 {
		t.Errorf("capabilities %+v, want drop ALL and add none", c.Capabilities)
	}
	seccomp := c.SeccompProfile
	if seccomp == nil {
		seccomp = pod.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccomp profile %+v, want RuntimeDefault", seccomp)
	}
}

// checkGoRuntime checks that pacer is sized as it sizes Go services:
// memory limit = request, GOMEMLIMIT about 90% of the limit, and GOMAXPROCS
// set when there is no CPU limit (Go derives it from a limit).
func checkGoRuntime(t *testing.T, c corev1.Container) {
	req, lim := c.Resources.Requests, c.Resources.Limits
	if req.Cpu().IsZero() || req.Memory().IsZero() {
		t.Errorf("requests %v, want CPU and memory", req)
	}
	memLimit, ok := lim[corev1.ResourceMemory]
	if !ok {
		t.Fatal("no memory limit")
	}
	if memLimit.Cmp(*req.Memory()) != 0 {
		t.Errorf("memory limit %s ≠ request %s", memLimit.String(), req.Memory().String())
	}
	env := envVar(c, "GOMEMLIMIT")
	if env == nil {
		t.Fatal("GOMEMLIMIT is not set")
	}
	gomemlimit, err := parseGOMEMLIMIT(env.Value)
	if err != nil {
		t.Fatal(err)
	}
	if ratio := float64(gomemlimit) / float64(memLimit.Value()); ratio < 0.85 || ratio > 0.95 {
		t.Errorf("GOMEMLIMIT %s is %.1f%% of the memory limit %s, want about 90%%", env.Value, 100*ratio, memLimit.String())
	}
	procs := envVar(c, "GOMAXPROCS")
	cpuLimit, limited := lim[corev1.ResourceCPU]
	switch {
	case limited && procs != nil:
		want := max(2, int64(math.Ceil(cpuLimit.AsApproximateFloat64())))
		if procs.Value != strconv.FormatInt(want, 10) {
			t.Errorf("GOMAXPROCS %s with a CPU limit of %s, want %d", procs.Value, cpuLimit.String(), want)
		}
	case !limited && procs == nil:
		t.Error("no CPU limit and no GOMAXPROCS: Go would run a thread per node core")
	case !limited:
		if n, err := strconv.Atoi(procs.Value); err != nil || n < 1 {
			t.Errorf("GOMAXPROCS %q", procs.Value)
		}
	}
}

// parseGOMEMLIMIT reads GOMEMLIMIT as the Go runtime does: bytes with an
// optional B, KiB, MiB, GiB or TiB.
func parseGOMEMLIMIT(s string) (int64, error) {
	m := regexp.MustCompile(`^([0-9]+)(B|KiB|MiB|GiB|TiB)?$`).FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("GOMEMLIMIT %q is not a size the Go runtime reads", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	shift := map[string]int{"": 0, "B": 0, "KiB": 10, "MiB": 20, "GiB": 30, "TiB": 40}[m[2]]
	return n << shift, err
}

func checkProbesAndPorts(t *testing.T, dep *appsv1.Deployment, objs []*unstructured.Unstructured) {
	c := dep.Spec.Template.Spec.Containers[0]
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["http"] != 8080 {
		t.Errorf("container ports %v, want http on 8080", ports)
	}
	for probe, path := range map[*corev1.Probe]string{c.LivenessProbe: "/healthz", c.ReadinessProbe: "/readyz"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != path || probe.HTTPGet.Port.String() != "http" {
			t.Errorf("probe %+v, want GET %s on port http", probe, path)
		}
	}
	svcs := typed[corev1.Service](t, objs, "Service")
	if len(svcs) != 1 {
		t.Fatalf("%d Services, want 1", len(svcs))
	}
	svc := svcs[0]
	for k, v := range svc.Spec.Selector {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("the Service selects %s=%s, which the pods lack", k, v)
		}
	}
	want := map[string]string{"http": "8080→8080", "external-metrics": "443→6443"}
	got := map[string]string{}
	for _, p := range svc.Spec.Ports {
		got[p.Name] = fmt.Sprintf("%d→%d", p.Port, ports[p.TargetPort.String()])
	}
	if !maps.Equal(got, want) {
		t.Errorf("Service ports %v, want %v", got, want)
	}
	pdbs := typed[policyv1.PodDisruptionBudget](t, objs, "PodDisruptionBudget")
	if len(pdbs) != 1 || pdbs[0].Spec.MinAvailable == nil || pdbs[0].Spec.MinAvailable.IntValue() != 1 ||
		!maps.Equal(pdbs[0].Spec.Selector.MatchLabels, dep.Spec.Selector.MatchLabels) {
		t.Errorf("PodDisruptionBudgets %+v, want one with minAvailable 1 over pacer's pods", pdbs)
	}
}

// checkPolicyVolume checks that /etc/pacer/policy.yaml comes from a
// ConfigMap of the same rendering holding the default policy.
func checkPolicyVolume(t *testing.T, spec corev1.PodSpec, objs []*unstructured.Unstructured) {
	i := slices.IndexFunc(spec.Containers[0].VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/etc/pacer" })
	if i < 0 {
		t.Fatal("nothing is mounted at /etc/pacer")
	}
	name := spec.Containers[0].VolumeMounts[i].Name
	v := spec.Volumes[slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == name })]
	if v.ConfigMap == nil {
		t.Fatalf("volume %s is not a ConfigMap", name)
	}
	for _, cm := range typed[corev1.ConfigMap](t, objs, "ConfigMap") {
		if cm.Name == v.ConfigMap.Name {
			if cm.Data["policy.yaml"] == "" {
				t.Errorf("ConfigMap %s has no policy.yaml", cm.Name)
			}
			return
		}
	}
	t.Errorf("no ConfigMap %s in the rendering", v.ConfigMap.Name)
}

func envVar(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

// pacerRules are the rights pacer needs, as verb group/resource: all of
// them and no more, in recommend and dry-run mode.
var pacerRules = []string{
	"create /events", "patch /events", "create events.k8s.io/events", "patch events.k8s.io/events",
	"get /pods", "list /pods", "watch /pods",
	"get apps/daemonsets", "list apps/daemonsets", "watch apps/daemonsets",
	"get apps/deployments", "list apps/deployments", "watch apps/deployments",
	"get apps/replicasets", "list apps/replicasets", "watch apps/replicasets",
	"get apps/statefulsets", "list apps/statefulsets", "watch apps/statefulsets",
	"get autoscaling/horizontalpodautoscalers", "list autoscaling/horizontalpodautoscalers",
	"watch autoscaling/horizontalpodautoscalers", "patch autoscaling/horizontalpodautoscalers",
	"get autoscaling.k8s.io/verticalpodautoscalers", "list autoscaling.k8s.io/verticalpodautoscalers",
	"watch autoscaling.k8s.io/verticalpodautoscalers",
	"get autoscaling.k8s.io/verticalpodautoscalers/status", "update autoscaling.k8s.io/verticalpodautoscalers/status",
	"patch autoscaling.k8s.io/verticalpodautoscalers/status",
	"get metrics.k8s.io/pods", "list metrics.k8s.io/pods",
	"create coordination.k8s.io/leases", "get coordination.k8s.io/leases/pacer", "update coordination.k8s.io/leases/pacer",
}

// directRules are what --direct adds.
var directRules = []string{"patch apps/daemonsets", "patch apps/deployments", "patch apps/statefulsets"}

// externalMetricsRules are what the external metrics API server adds to
// read the APIService that routes to it; the rest it is bound to, in
// delegationRoles.
var externalMetricsRules = []string{"get apiregistration.k8s.io/apiservices/v1beta1.external.metrics.k8s.io"}

// delegationRoles are the roles the external metrics API server is bound to.
var delegationRoles = []string{"system:auth-delegator", "extension-apiserver-authentication-reader"}

// rightsOf says what a rendering's roles grant, and whether it binds pacer
// to delegationRoles.
func rightsOf(name string) (rules []string, delegates bool) {
	switch name {
	case "external-metrics":
		return slices.Concat(pacerRules, externalMetricsRules), true
	case "kustomize/overlays/apply":
		return slices.Concat(pacerRules, directRules), false
	case "helm/everything":
		return slices.Concat(pacerRules, directRules, externalMetricsRules), true
	}
	return pacerRules, false
}

// testRBAC checks, in every rendering, that the roles bound to pacer's
// service account grant exactly what pacer needs, and that nothing else is
// granted, save the HPA controller's reading of external metrics.
func (d *deployFixture) testRBAC(t *testing.T) {
	for name, objs := range d.rendered {
		if slices.Contains(notPacer, name) {
			continue
		}
		want, delegates := rightsOf(name)
		t.Run(name, func(t *testing.T) {
			roles := map[string][]rbacv1.PolicyRule{}
			for _, r := range typed[rbacv1.ClusterRole](t, objs, "ClusterRole") {
				roles["ClusterRole/"+r.Name] = r.Rules
			}
			for _, r := range typed[rbacv1.Role](t, objs, "Role") {
				roles["Role/"+r.Name] = r.Rules
			}
			bindings := typed[rbacv1.ClusterRoleBinding](t, objs, "ClusterRoleBinding")
			for _, b := range typed[rbacv1.RoleBinding](t, objs, "RoleBinding") {
				bindings = append(bindings, &rbacv1.ClusterRoleBinding{ObjectMeta: b.ObjectMeta, RoleRef: b.RoleRef, Subjects: b.Subjects})
			}
			var granted []string
			bound := map[string]bool{}
			for _, b := range bindings {
				role := b.RoleRef.Kind + "/" + b.RoleRef.Name
				rules, ours := roles[role]
				bound[role] = true
				switch {
				case len(b.Subjects) != 1:
					t.Errorf("binding %s binds %+v, want one subject", b.Name, b.Subjects)
				case b.Subjects[0] == rbacv1.Subject{Kind: "ServiceAccount", Name: "pacer", Namespace: deployNamespace}:
					if ours {
						granted = append(granted, flattenRules(t, rules)...)
					} else if !delegates || !slices.Contains(delegationRoles, b.RoleRef.Name) {
						t.Errorf("binding %s grants pacer %s, which is not pacer's", b.Name, role)
					}
				case b.Subjects[0] == rbacv1.Subject{Kind: "ServiceAccount", Name: "horizontal-pod-autoscaler", Namespace: "kube-system"} &&
					ours && readsExternalMetrics(rules):
				default:
					t.Errorf("binding %s grants %s to %+v", b.Name, role, b.Subjects)
				}
			}
			for role := range roles {
				if !bound[role] {
					t.Errorf("%s is bound to nobody", role)
				}
			}
			want := slices.Sorted(slices.Values(want))
			slices.Sort(granted)
			if !slices.Equal(granted, want) {
				t.Errorf("pacer's roles grant\n  %s\nwant\n  %s", strings.Join(granted, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// readsExternalMetrics reports whether rules only read external metrics.
func readsExternalMetrics(rules []rbacv1.PolicyRule) bool {
	for _, r := range rules {
		if !slices.Equal(r.APIGroups, []string{"external.metrics.k8s.io"}) ||
			slices.ContainsFunc(r.Verbs, func(v string) bool { return !slices.Contains([]string{"get", "list", "watch"}, v) }) {
			return false
		}
	}
	return len(rules) > 0
}

// flattenRules lists a role's rules as verb group/resource[/name], failing
// on wildcards, secrets and non-resource URLs.
func flattenRules(t *testing.T, rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		all := slices.Concat(r.APIGroups, r.Resources, r.Verbs, r.ResourceNames)
		if slices.ContainsFunc(all, func(s string) bool { return strings.Contains(s, "*") }) {
			t.Errorf("rule %+v has a wildcard", r)
		}
		if slices.ContainsFunc(r.Resources, func(s string) bool { return strings.HasPrefix(s, "secrets") }) {
			t.Errorf("rule %+v grants secrets", r)
		}
		if len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %+v grants non-resource URLs", r)
		}
		names := r.ResourceNames
		if len(names) == 0 {
			names = []string{""}
		}
		for _, v := range r.Verbs {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, n := range names {
						out = append(out, strings.TrimSuffix(fmt.Sprintf("%s %s/%s/%s", v, g, res, n), "/"))
					}
				}
			}
		}
	}
	return out
}

// testCanI applies the base's RBAC for real, asks the apiserver what
// pacer's service account may do, then adds the apply overlay's.
func (d *deployFixture) testCanI(t *testing.T) {
	rbac := func(render string) string {
		return strings.Join([]string{d.objects(t, render, "ServiceAccount", ""), d.objects(t, render, "ClusterRole", ""),
			d.objects(t, render, "ClusterRoleBinding", ""), d.objects(t, render, "Role", ""), d.objects(t, render, "RoleBinding", "")}, "---\n")
	}
	d.kubectl(t, strings.NewReader(rbac("kustomize/base")), "apply", "-f", "-")
	allowed := [][]string{
		{"list", "pods", "-A"}, {"watch", "deployments.apps", "-A"}, {"get", "replicasets.apps", "-n", "shop"},
		{"watch", "statefulsets.apps", "-A"}, {"list", "daemonsets.apps", "-A"},
		{"list", "horizontalpodautoscalers.autoscaling", "-A"}, {"patch", "horizontalpodautoscalers.autoscaling", "-n", "shop"},
		{"watch", "verticalpodautoscalers.autoscaling.k8s.io", "-A"},
		{"update", "verticalpodautoscalers.autoscaling.k8s.io", "--subresource=status", "-n", "shop"},
		{"patch", "verticalpodautoscalers.autoscaling.k8s.io", "--subresource=status", "-n", "shop"},
		{"create", "events", "-n", "shop"}, {"patch", "events.events.k8s.io", "-n", "shop"},
		{"create", "leases.coordination.k8s.io", "-n", deployNamespace},
		{"update", "leases.coordination.k8s.io/pacer", "-n", deployNamespace},
	}
	denied := [][]string{
		{"get", "secrets", "-n", deployNamespace}, {"list", "secrets", "-A"}, {"list", "configmaps", "-A"},
		{"patch", "deployments.apps", "-n", "shop"}, {"update", "deployments.apps", "-n", "shop"},
		{"create", "pods", "-n", "shop"}, {"delete", "pods", "-n", "shop"}, {"create", "pods", "--subresource=exec", "-n", "shop"},
		{"update", "verticalpodautoscalers.autoscaling.k8s.io", "-n", "shop"},
		{"delete", "horizontalpodautoscalers.autoscaling", "-n", "shop"}, {"update", "horizontalpodautoscalers.autoscaling", "-n", "shop"},
		{"update", "leases.coordination.k8s.io/kube-controller-manager", "-n", deployNamespace},
		{"create", "leases.coordination.k8s.io", "-n", "kube-system"},
		{"create", "clusterrolebindings.rbac.authorization.k8s.io"}, {"impersonate", "serviceaccounts", "-A"},
	}
	d.checkCanI(t, allowed, denied)
	// kubectl auth can-i asks discovery for the resource first, and no
	// metrics-server serves metrics.k8s.io here: ask the apiserver directly.
	for _, verb := range []string{"get", "list"} {
		review := `{"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": {"user": "` + deployServiceAccount +
			`", "resourceAttributes": {"group": "metrics.k8s.io", "resource": "pods", "verb": "` + verb + `", "namespace": "shop"}}}`
		if allowed := d.kubectl(t, strings.NewReader(review), "create", "-f", "-", "-o", "jsonpath={.status.allowed}"); allowed != "true" {
			t.Errorf("can pacer %s pods.metrics.k8s.io? %s, want true", verb, allowed)
		}
	}

	d.kubectl(t, strings.NewReader(rbac("kustomize/overlays/apply")), "apply", "-f", "-")
	d.checkCanI(t, [][]string{{"patch", "deployments.apps", "-n", "shop"}, {"patch", "statefulsets.apps", "-A"}, {"patch", "daemonsets.apps", "-A"}},
		[][]string{{"update", "deployments.apps", "-n", "shop"}, {"delete", "deployments.apps", "-n", "shop"}, {"get", "secrets", "-A"}})

	ext := strings.Join([]string{d.objects(t, "external-metrics", "ClusterRole", ""), d.objects(t, "external-metrics", "ClusterRoleBinding", ""),
		d.objects(t, "external-metrics", "RoleBinding", "")}, "---\n")
	d.kubectl(t, strings.NewReader(ext), "apply", "-f", "-")
	d.checkCanI(t, [][]string{
		{"get", "apiservices.apiregistration.k8s.io/v1beta1.external.metrics.k8s.io"},
		{"create", "tokenreviews.authentication.k8s.io"}, {"create", "subjectaccessreviews.authorization.k8s.io"},
		{"get", "configmaps/extension-apiserver-authentication", "-n", "kube-system"},
	}, [][]string{
		{"get", "apiservices.apiregistration.k8s.io/v1beta1.metrics.k8s.io"}, {"update", "apiservices.apiregistration.k8s.io/v1beta1.external.metrics.k8s.io"},
		{"get", "configmaps/coredns", "-n", "kube-system"}, {"get", "secrets", "-n", "kube-system"},
	})
}

func (d *deployFixture) checkCanI(t *testing.T, allowed, denied [][]string) {
	t.Helper()
	for want, cases := range map[string][][]string{"yes": allowed, "no": denied} {
		for _, c := range cases {
			args := append([]string{"auth", "can-i", "--as=" + deployServiceAccount}, c...)
			stdout, _, err := d.cluster.Kubectl(t.Context(), args...)
			got := strings.TrimSpace(stdout)
			var exit *exec.ExitError
			answeredNo := errors.As(err, &exit) && got == "no" // can-i exits 1 on no
			if err != nil && !answeredNo {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("can pacer %s? %s, want %s", strings.Join(c, " "), got, want)
			}
		}
	}
}

// testPolicy checks that deploy/ ships the built-in policy, which
// `pacer policy check` accepts.
func (d *deployFixture) testPolicy(t *testing.T) {
	builtIn, err := exec.CommandContext(t.Context(), pacerBinary, "policy", "default").Output()
	if err != nil {
		t.Fatal(err)
	}
	const regenerate = "run hack/gen-deploy.sh"
	base := filepath.Join(d.root, "deploy/kustomize/base/policy.yaml")
	if d.read(t, base) != string(builtIn) {
		t.Errorf("deploy/kustomize/base/policy.yaml is not `pacer policy default`: %s", regenerate)
	}
	var values struct{ Policy string }
	if err := yaml.Unmarshal([]byte(d.read(t, filepath.Join(d.root, "deploy/helm/pacer/values.yaml"))), &values); err != nil {
		t.Fatal(err)
	}
	if values.Policy != string(builtIn) {
		t.Errorf("the chart's default policy is not `pacer policy default`: %s", regenerate)
	}
	if out, err := exec.CommandContext(t.Context(), pacerBinary, "policy", "check", base).CombinedOutput(); err != nil {
		t.Errorf("pacer policy check %s: %v\n%s", base, err, out)
	}
	for _, name := range []string{"kustomize/base", "helm/default"} {
		cms := typed[corev1.ConfigMap](t, d.rendered[name], "ConfigMap")
		if len(cms) != 1 || cms[0].Data["policy.yaml"] != string(builtIn) {
			t.Errorf("%s: the policy ConfigMap does not hold the built-in policy", name)
		}
	}
}

// testChart lints the chart, and checks it runs the image kustomize does,
// renders the same ClusterRole and refuses values it does not know.
func (d *deployFixture) testChart(t *testing.T) {
	chart := filepath.Join(d.root, "deploy/helm/pacer")
	d.helm(t, "lint", "--strict", chart)
	d.helm(t, append([]string{"lint", "--strict", chart}, setFlags(helmSets["helm/everything"])...)...)

	var meta struct {
		AppVersion string `yaml:"appVersion"`
	}
	if err := yaml.Unmarshal([]byte(d.read(t, filepath.Join(chart, "Chart.yaml"))), &meta); err != nil {
		t.Fatal(err)
	}
	image := typed[appsv1.Deployment](t, d.rendered["kustomize/base"], "Deployment")[0].Spec.Template.Spec.Containers[0].Image
	if want := "ghcr.io/pacerdev/pacer:" + meta.AppVersion; image != want {
		t.Errorf("kustomize runs %s, the chart %s", image, want)
	}
	rules := func(name string) []rbacv1.PolicyRule {
		for _, r := range typed[rbacv1.ClusterRole](t, d.rendered[name], "ClusterRole") {
			if r.Name == "pacer" {
				return r.Rules
			}
		}
		t.Fatalf("%s has no ClusterRole pacer", name)
		return nil
	}
	if !reflect.DeepEqual(rules("kustomize/base"), rules("helm/default")) {
		t.Error("the chart's ClusterRole differs from the kustomize base's")
	}
	for _, bad := range []string{"dryrun=true", "dryRun=true,direct=true", "resources.limits.memory=lots"} {
		args := []string{"template", "pacer", chart, "--set", bad}
		if out, err := d.helmCommand(t, args...).CombinedOutput(); err == nil {
			t.Errorf("helm template --set %s rendered; want an error", bad)
		} else if !strings.Contains(string(out), "Error") {
			t.Errorf("helm template --set %s: %v\n%s", bad, err, out)
		}
	}
	var values map[string]any
	if err := yaml.Unmarshal([]byte(d.read(t, filepath.Join(chart, "values.yaml"))), &values); err != nil {
		t.Fatal(err)
	}
	readme := d.read(t, filepath.Join(chart, "README.md"))
	for key := range values {
		if !strings.Contains(readme, "`"+key) {
			t.Errorf("the chart's README.md does not document %s", key)
		}
	}
}

func setFlags(sets []string) []string {
	var args []string
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return args
}

// testMonitoring checks the alert rules and the dashboard's queries with
// promtool, against the names of the metrics pacer exports.
func (d *deployFixture) testMonitoring(t *testing.T) {
	known := pacerMetricNames(t)
	var rule struct {
		Spec struct {
			Groups []any `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(d.read(t, filepath.Join(d.root, "deploy/monitoring/prometheusrule.yaml"))), &rule); err != nil {
		t.Fatal(err)
	}
	var chartRules struct {
		Groups []any `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(d.read(t, filepath.Join(d.root, "deploy/helm/pacer/files/prometheus-rules.yaml"))), &chartRules); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rule.Spec.Groups, chartRules.Groups) {
		t.Error("the chart's files/prometheus-rules.yaml is not deploy/monitoring/prometheusrule.yaml's spec: run hack/gen-deploy.sh")
	}
	rulesYAML, err := yaml.Marshal(map[string]any{"groups": rule.Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	d.promtoolCheckRules(t, "prometheusrule.yaml", rulesYAML)
	checkMetricNames(t, "the alert rules", string(rulesYAML), known)

	var dash struct {
		Panels     []dashboardPanel
		Templating struct {
			List []struct{ Name, Type, Query any }
		}
	}
	raw := d.read(t, filepath.Join(d.root, "deploy/monitoring/grafana-dashboard.json"))
	if err := json.Unmarshal([]byte(raw), &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	// The dashboard's variables, as a user would pick them.
	vars := map[string]string{"$__rate_interval": "5m", "$namespace": "shop", "$kind": "deployment", "$workload": "checkout"}
	for _, v := range dash.Templating.List {
		if v.Type == "constant" {
			vars["$"+fmt.Sprint(v.Name)] = fmt.Sprint(v.Query)
		}
	}
	var exprs []string
	var walk func([]dashboardPanel)
	walk = func(panels []dashboardPanel) {
		for _, p := range panels {
			for _, target := range p.Targets {
				exprs = append(exprs, target.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	if len(exprs) < 10 {
		t.Fatalf("the dashboard has %d queries", len(exprs))
	}
	groups := []map[string]any{{"name": "dashboard", "rules": []map[string]string{}}}
	for i, e := range exprs {
		for k, v := range vars {
			e = strings.ReplaceAll(e, k, v)
		}
		if strings.Contains(e, "$") && !strings.Contains(e, `"$1"`) {
			t.Errorf("query %d uses a variable the dashboard does not define: %s", i, e)
		}
		groups[0]["rules"] = append(groups[0]["rules"].([]map[string]string), map[string]string{"record": fmt.Sprintf("dashboard:query_%d", i), "expr": e})
	}
	dashYAML, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		t.Fatal(err)
	}
	d.promtoolCheckRules(t, "dashboard.yaml", dashYAML)
	checkMetricNames(t, "the dashboard", raw, known)
	for _, m := range []string{"container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "pacer_recommendation_cpu_cores", "pacer_cycles_total"} {
		if !strings.Contains(raw, m) {
			t.Errorf("the dashboard does not show %s", m)
		}
	}
}

type dashboardPanel struct {
	Title   string
	Targets []struct{ Expr string }
	Panels  []dashboardPanel
}

func (d *deployFixture) promtoolCheckRules(t *testing.T, name string, rules []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, rules, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(t.Context(), tool(t, "promtool"), "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules %s: %v\n%s\n%s", name, err, out, rules)
	}
}

// pacerMetricNames are the names of the metrics pacer's exporter registers.
func pacerMetricNames(t *testing.T) map[string]bool {
	reg := &descRecorder{names: map[string]bool{}}
	if _, err := metrics.New(reg); err != nil {
		t.Fatal(err)
	}
	if len(reg.names) < 8 {
		t.Fatalf("pacer registers %d metrics", len(reg.names))
	}
	return reg.names
}

// descRecorder is a prometheus.Registerer that keeps the names of what it is given.
type descRecorder struct{ names map[string]bool }

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *descRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		if m := fqName.FindStringSubmatch(desc.String()); m != nil {
			r.names[m[1]] = true
		}
	}
	return nil
}

func (r *descRecorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (r *descRecorder) Unregister(prometheus.Collector) bool { return false }

var _ prometheus.Registerer = (*descRecorder)(nil)

// checkMetricNames fails on a pacer_ metric that pacer does not export;
// a histogram's series carry _bucket, _sum and _count.
func checkMetricNames(t *testing.T, what, text string, known map[string]bool) {
	t.Helper()
	for _, name := range regexp.MustCompile(`\bpacer_[a-z_]+`).FindAllString(text, -1) {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if !known[name] && !known[base] {
			t.Errorf("%s: pacer exports no %s", what, name)
		}
	}
}

// testImage checks the Dockerfile and builds pacer, as it does, from the
// files the .dockerignore leaves in the context: a static binary whose
// `serve` takes every flag the manifests pass.
func (d *deployFixture) testImage(t *testing.T) {
	dockerfile := d.read(t, filepath.Join(d.root, "Dockerfile"))
	for _, want := range []string{"FROM --platform=$BUILDPLATFORM golang:1.26 AS build", "CGO_ENABLED=0", "-trimpath",
		"FROM gcr.io/distroless/static:nonroot", "COPY --from=build /out/pacer /pacer", "USER 65532:65532", `ENTRYPOINT ["/pacer", "serve"]`} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("the Dockerfile lacks %s", want)
		}
	}
	if strings.Contains(dockerfile, "/bin/sh") || strings.Contains(dockerfile, "ENTRYPOINT [\"sh") {
		t.Error("the Dockerfile runs a shell; the image has none")
	}
	context := d.dockerContext(t)
	binary := filepath.Join(t.TempDir(), "pacer")
	build := exec.CommandContext(t.Context(), "go", "build", "-trimpath", "-ldflags=-s -w", "-o", binary, "./cmd/pacer")
	build.Dir = context
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building pacer from the Docker context: %v\n%s", err, out)
	}
	f, err := elf.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("pacer is dynamically linked; distroless/static has no libc")
		}
	}
	help, err := exec.CommandContext(t.Context(), binary, "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("pacer serve --help: %v\n%s", err, help)
	}
	for _, name := range slices.Sorted(maps.Keys(d.rendered)) {
		for _, dep := range typed[appsv1.Deployment](t, d.rendered[name], "Deployment") {
			if dep.Name != "pacer" {
				continue
			}
			for _, arg := range dep.Spec.Template.Spec.Containers[0].Args {
				flag, _, _ := strings.Cut(arg, "=")
				switch {
				case regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(flag) + `\s`).Match(help):
				case strings.HasPrefix(flag, "--external-metrics-"):
					t.Logf("%s: pacer serve has no %s yet (the external metrics API server comes later)", name, flag)
				default:
					t.Errorf("%s passes %s, which pacer serve does not take", name, arg)
				}
			}
		}
	}
}

// dockerContext copies the repository, less what .dockerignore excludes,
// into a temporary directory. It knows the patterns the file uses: names
// and globs from the root, and **/ before a name or glob for any depth.
func (d *deployFixture) dockerContext(t *testing.T) string {
	var patterns []string
	for line := range strings.Lines(d.read(t, filepath.Join(d.root, ".dockerignore"))) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore: exceptions (%s) are beyond this test", line)
		}
		patterns = append(patterns, line)
	}
	excluded := func(rel string) bool {
		for _, p := range patterns {
			if rest, anyDepth := strings.CutPrefix(p, "**/"); anyDepth {
				if ok, _ := filepath.Match(rest, filepath.Base(rel)); ok {
					return true
				}
			} else if ok, _ := filepath.Match(p, rel); ok {
				return true
			}
		}
		return false
	}
	dst := t.TempDir()
	err := filepath.WalkDir(d.root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.root, path)
		if err != nil || rel == "." {
			return err
		}
		switch {
		case excluded(rel) && e.IsDir():
			return filepath.SkipDir
		case excluded(rel), !e.IsDir() && !e.Type().IsRegular():
			return nil
		case e.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"bin", "test", "deploy", ".git"} {
		if _, err := os.Stat(filepath.Join(dst, gone)); err == nil {
			t.Errorf("the Docker context holds %s", gone)
		}
	}
	return dst
}

// installCRDs installs the CRDs of what deploy/ creates besides core
// objects: the VPA's, from the VPA module pacer builds against, and
// minimal ones of the Prometheus Operator's ServiceMonitor and
// PrometheusRule with the fields deploy/ uses, so a misspelt field fails
// strict validation.
func (d *deployFixture) installCRDs() {
	t := d.t
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", "mod", "download", "-json", vpaModule).Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", vpaModule, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download %s: %v: %s", vpaModule, err, out)
	}
	vpa := d.read(t, filepath.Join(mod.Dir, "deploy/vpa-v1-crd-gen.yaml"))
	d.kubectl(t, strings.NewReader(vpa+"\n---\n"+monitoringCRDs), "apply", "--server-side", "-f", "-")
	d.kubectl(t, nil, "wait", "--for=condition=Established", "--timeout=60s",
		"crd/verticalpodautoscalers.autoscaling.k8s.io", "crd/servicemonitors.monitoring.coreos.com", "crd/prometheusrules.monitoring.coreos.com")
}

const monitoringCRDs = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [selector, endpoints]
              properties:
                selector:
                  type: object
                  properties:
                    matchLabels: {type: object, additionalProperties: {type: string}}
                namespaceSelector:
                  type: object
                  properties:
                    any: {type: boolean}
                    matchNames: {type: array, items: {type: string}}
                endpoints:
                  type: array
                  minItems: 1
                  items:
                    type: object
                    properties:
                      port: {type: string}
                      path: {type: string}
                      scheme: {type: string, enum: [http, https]}
                      interval: {type: string, pattern: '^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$'}
                      honorLabels: {type: boolean}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: prometheusrules.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: PrometheusRule, listKind: PrometheusRuleList, plural: prometheusrules, singular: prometheusrule}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                groups:
                  type: array
                  items:
                    type: object
                    required: [name]
                    properties:
                      name: {type: string, minLength: 1}
                      interval: {type: string}
                      rules:
                        type: array
                        items:
                          type: object
                          required: [expr]
                          properties:
                            alert: {type: string}
                            record: {type: string}
                            expr: {x-kubernetes-int-or-string: true}
                            for: {type: string}
                            labels: {type: object, additionalProperties: {type: string}}
                            annotations: {type: object, additionalProperties: {type: string}}
`

// kubectl runs the cluster's kubectl and returns its output, failing the test on an error.
func (d *deployFixture) kubectl(t testing.TB, stdin io.Reader, args ...string) string {
	t.Helper()
	stdout, _, err := d.cluster.KubectlWithInput(t.Context(), stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return stdout
}

// helmCommand runs Helm as the Go tool of hack/helmtools, with its
// configuration and caches in the test's temporary directory.
func (d *deployFixture) helmCommand(t testing.TB, args ...string) *exec.Cmd {
	home := t.TempDir()
	cmd := exec.CommandContext(t.Context(), "go", append([]string{"tool", "helm"}, args...)...)
	cmd.Dir = filepath.Join(d.root, "hack/helmtools")
	cmd.Env = append(os.Environ(), "GOWORK=off",
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"), "HELM_CONFIG_HOME="+filepath.Join(home, "config"), "HELM_DATA_HOME="+filepath.Join(home, "data"))
	return cmd
}

func (d *deployFixture) helm(t testing.TB, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := d.helmCommand(t, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String()
}

func (d *deployFixture) read(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// deployRepoRoot is the repository's root: the test runs in test/integration.
func deployRepoRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "deploy")); err != nil {
		t.Fatal(err)
	}
	return root
}

// decodeObjects splits a YAML stream into objects, leaving out empty documents.
func decodeObjects(manifest string) ([]*unstructured.Unstructured, error) {
	dec := k8syaml.NewYAMLOrJSONDecoder(strings.NewReader(manifest), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, err
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

// typed converts the objects of a kind.
func typed[T any](t *testing.T, objs []*unstructured.Unstructured, kind string) []*T {
	t.Helper()
	var out []*T
	for _, o := range objs {
		if o.GetKind() != kind {
			continue
		}
		v := new(T)
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, v); err != nil {
			t.Fatalf("%s %s: %v", kind, o.GetName(), err)
		}
		out = append(out, v)
	}
	return out
}
