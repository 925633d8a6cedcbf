//go:build integration

package integration

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/pacerdev/pacer/actuator/external"
	"github.com/pacerdev/pacer/test/kube"
)

// externalPolicy scales the demo workloads to 40 requests/s per pod, and
// lets a recommendation come down within seconds, so that a test sees an
// HPA go up and down in a minute or two.
const externalPolicy = `apiVersion: pacer.dev/v1alpha1
kind: PolicySet
policies:
  - name: suite
    history: {minimum: 10s, halfLife: 1m, staleAfter: 30s}
    horizontal:
      targetRequestRatePerPod: 40
      scaleDownBelowRequestRatePerPod: 35
      rateWindow: 10s
      scaleDownStabilization: 4s
      scaleDownMaxPercent: 100
      scaleDownPeriod: 2s
`

const (
	externalNamespace = "pacer-system"
	externalPath      = "/apis/external.metrics.k8s.io/v1beta1"
	// steadyReplicas is what pacer recommends for the steady workload at
	// its own 100 requests/s: 100 / 40 per pod, rounded up.
	steadyReplicas = 3
)

// TestExternalMetrics runs pacer serve with its external metrics API
// behind the real aggregation layer of a real kube-apiserver, and the real
// HPA controller of kube-controller-manager scaling a demo workload's
// Deployment on pacer_recommended_replicas as the test raises and drops the
// workload's load.
//
// The APIService reaches pacer on loopback through a Service of type
// ExternalName to localhost, which the kube-apiserver resolves only with
// --enable-aggregator-routing=false: with routing on it takes an
// endpoint's IP instead, and an EndpointSlice may not hold a loopback
// address.
func TestExternalMetrics(t *testing.T) {
	start := time.Now()
	f := setUp(t)
	c := kube.Start(t, kube.Options{
		ControllerManager: true,
		// Only the HPA controller: the pods are API objects that
		// playPods made, which a deployment controller would replace.
		Controllers:    []string{"horizontal-pod-autoscaler-controller"},
		APIServerFlags: []string{"--enable-aggregator-routing=false"},
		// The HPA applies pacer's recommendation before pacer's next
		// cycle (every 2s): pacer's scale-up rate limit counts from the
		// replicas it recommended, as if applied at once.
		ControllerManagerFlags: []string{"--horizontal-pod-autoscaler-sync-period=1s"},
	})
	e, certDir := startExternalServe(t, f, c)
	s := e.s
	t.Logf("control plane and pacer up after %s; external metrics on %s", time.Since(start).Round(time.Second), e.addr)
	waitFor(t, 30*time.Second, "pacer to say no APIService routes external metrics", func() (bool, error) {
		return strings.Contains(s.logs(), "no APIService routes external metrics"), nil
	})

	e.registerAPIService(certDir)
	t.Logf("APIService available after %s", time.Since(start).Round(time.Second))
	e.createHPA()
	steady := "deployment=steady"

	// Through the aggregator: discovery, in the aggregated format kubectl
	// reads, lists every metric; an admin reads one item.
	out, _, err := c.Kubectl(context.Background(), "api-resources", "--api-group=external.metrics.k8s.io", "-o", "name")
	if err != nil || strings.Count(out, "pacer_") != 7 {
		t.Errorf("kubectl api-resources lists %q: %v", out, err)
	}
	// pacer recommends 100 requests/s / 40 per pod, rounded up, once the
	// rate window holds only the workload's steady load.
	waitFor(t, 60*time.Second, fmt.Sprintf("%d replicas for steady through the aggregator", steadyReplicas), func() (bool, error) {
		out, _, err := c.Kubectl(context.Background(), "get", "--raw", metricURL("pacer_recommended_replicas", steady))
		if err != nil {
			return false, nil // no ready recommendation yet
		}
		value, err := itemValue(out)
		return value == steadyReplicas, err
	})
	e.checkErrors(steady)
	e.checkAccess(steady)
	e.checkCoexistence(steady)

	// The HPA follows pacer: up to the baseline, up under load, down after.
	e.waitReplicas("the baseline", func(n int32) bool { return n == steadyReplicas }, 60*time.Second)
	t.Logf("HPA at the baseline of %d after %s", steadyReplicas, time.Since(start).Round(time.Second))
	// 300 more requests/s make 400, for which pacer recommends 10; the
	// test waits for 6, which a loaded machine's lesser load still reaches.
	stopLoad := e.load(f.procs["steady"].URL+"/work", 300)
	e.waitReplicas("the scale-up under about 400 requests/s", func(n int32) bool { return n >= 6 }, 60*time.Second)
	t.Logf("HPA scaled up after %s", time.Since(start).Round(time.Second))
	stopLoad()
	e.waitReplicas("the scale-down after the load", func(n int32) bool { return n == steadyReplicas }, 75*time.Second)
	t.Logf("HPA back at %d after %s", steadyReplicas, time.Since(start).Round(time.Second))
}

// externalFixture is the cluster and pacer of TestExternalMetrics.
type externalFixture struct {
	t    *testing.T
	c    *kube.Cluster
	s    *pacerServe
	addr string // pacer's external metrics API, host:port
}

// startExternalServe plays the demo pods into c and starts pacer serve
// with the external metrics API on a loopback port and its certificate in
// the directory it returns.
func startExternalServe(t *testing.T, f *fixture, c *kube.Cluster) (*externalFixture, string) {
	t.Helper()
	playPods(t, c, f)
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(externalPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	certDir := t.TempDir()
	s := startServe(t, f, c, "--policy", policyFile, "--external-metrics-listen", "127.0.0.1:0",
		"--external-metrics-cert-dir", certDir, "--external-metrics-stale-after", "1m")
	return &externalFixture{t: t, c: c, s: s, addr: s.externalAddr(t)}, certDir
}

// externalAddr reads where pacer serves the external metrics API from its log.
func (s *pacerServe) externalAddr(t *testing.T) string {
	t.Helper()
	var addr string
	waitFor(t, 60*time.Second, "pacer to serve the external metrics API", func() (bool, error) {
		for line := range strings.Lines(s.logs()) {
			var entry struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "external metrics API serving" {
				addr = entry.Addr
				return true, nil
			}
		}
		return false, nil
	})
	return addr
}

func metricURL(metric, selector string) string {
	return externalPath + "/namespaces/demo/" + metric + "?labelSelector=" + url.QueryEscape(selector)
}

// itemValue reads the one item of an ExternalMetricValueList.
func itemValue(body string) (float64, error) {
	var list struct {
		Items []struct {
			Value resource.Quantity `json:"value"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		return 0, fmt.Errorf("%w: %s", err, body)
	}
	if len(list.Items) != 1 {
		return 0, fmt.Errorf("%d items, want exactly 1: %s", len(list.Items), body)
	}
	return list.Items[0].Value.AsApproximateFloat64(), nil
}

// registerAPIService routes external.metrics.k8s.io to pacer: a Service of
// type ExternalName to localhost, and the APIService with pacer's
// self-signed certificate as its caBundle, so the kube-apiserver verifies
// pacer as pacer.pacer-system.svc. It waits until the APIService is available.
func (e *externalFixture) registerAPIService(certDir string) {
	t, ctx := e.t, context.Background()
	client := e.c.Client()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: externalNamespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Services(externalNamespace).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "pacer"},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	caBundle, err := os.ReadFile(filepath.Join(certDir, "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	_, portText, _ := net.SplitHostPort(e.addr)
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	apiServices := dynamicClient(t, e.c).Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"})
	_, err = apiServices.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": "v1beta1.external.metrics.k8s.io"},
		"spec": map[string]any{
			"group": "external.metrics.k8s.io", "version": "v1beta1",
			"service":              map[string]any{"namespace": externalNamespace, "name": "pacer", "port": int64(port)},
			"caBundle":             caBundle, // []byte: base64 in JSON, as the API wants
			"groupPriorityMinimum": int64(100), "versionPriority": int64(100),
		},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the APIService to become available", func() (bool, error) {
		obj, err := apiServices.Get(ctx, "v1beta1.external.metrics.k8s.io", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		conditions, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
		for _, c := range conditions {
			if c, ok := c.(map[string]any); ok && c["type"] == "Available" {
				return c["status"] == "True", nil
			}
		}
		return false, nil
	})
}

func dynamicClient(t *testing.T, c *kube.Cluster) dynamic.Interface {
	t.Helper()
	d, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// createHPA scales the steady workload's Deployment on pacer's recommended
// replicas: an External metric with an AverageValue target of 1, so the
// HPA wants exactly as many replicas as the value (a Value target would
// multiply it by the current replicas). Scale-down stabilization is short
// because pacer's recommendation is already stabilized.
func (e *externalFixture) createHPA() {
	one, ten, stabilization := int32(1), int32(10), int32(5)
	target := resource.MustParse("1")
	_, err := e.c.Client().AutoscalingV2().HorizontalPodAutoscalers("demo").Create(context.Background(), &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "steady"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "steady"},
			MinReplicas:    &one, MaxReplicas: ten,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
				Metric: autoscalingv2.MetricIdentifier{Name: "pacer_recommended_replicas",
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"deployment": "steady"}}},
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &target},
			}}},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &stabilization},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
}

// waitReplicas waits until the HPA has set the steady Deployment's
// replicas to a count that ok accepts. It logs each change of the replicas
// and of what pacer recommends.
func (e *externalFixture) waitReplicas(what string, ok func(int32) bool, timeout time.Duration) {
	e.t.Helper()
	var last int32
	var lastValue float64
	waitFor(e.t, timeout, "the HPA to reach "+what, func() (bool, error) {
		d, err := e.c.Client().AppsV1().Deployments("demo").Get(context.Background(), "steady", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		var v struct{ Value float64 }
		if body, err := httpGet(e.s.url("/api/v1/external/demo/pacer_recommended_replicas?labelSelector=deployment%3Dsteady")); err == nil {
			_ = json.Unmarshal([]byte(body), &v)
		}
		if r := *d.Spec.Replicas; r != last || v.Value != lastValue {
			e.t.Logf("steady: %d replicas, pacer recommends %g", r, v.Value)
			last, lastValue = r, v.Value
		}
		return ok(last), nil
	})
}

// load sends about perSecond extra requests per second to url until the
// returned function is called, which waits for the senders to stop.
func (e *externalFixture) load(url string, perSecond int) func() {
	ctx, cancel := context.WithCancel(context.Background())
	client := &http.Client{Timeout: 2 * time.Second}
	const workers = 10 // each waits for its answer; more of them keep the rate when answers are slow
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			tick := time.NewTicker(time.Second * workers / time.Duration(perSecond))
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
				if err != nil {
					return
				}
				if resp, err := client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
			}
		})
	}
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	e.t.Cleanup(stop)
	return stop
}

// checkErrors: a bad selector and an unknown metric are 4xx with a
// message, through the aggregator.
func (e *externalFixture) checkErrors(steady string) {
	for _, tt := range []struct {
		path, says string
	}{
		{metricURL("pacer_recommended_replicas", "app=steady"), `pacer knows no label "app"`},
		{metricURL("pacer_recommended_replicas", "deployment in (steady,alloc)"), "exactly one workload"},
		{metricURL("pacer_bogus", steady), "unknown metric"},
		{metricURL("pacer_recommended_replicas", "deployment=nope"), "no data"},
	} {
		_, stderr, err := e.c.Kubectl(context.Background(), "get", "--raw", tt.path)
		if err == nil || !strings.Contains(stderr, tt.says) || strings.Contains(stderr, "InternalError") {
			e.t.Errorf("GET %s: %v, want an error saying %q", tt.path, err, tt.says)
		}
	}
}

// checkAccess: a service account without permission gets 403 from the
// aggregator, and from pacer itself, which delegates the decision to the
// kube-apiserver; one with permission gets the value both ways.
func (e *externalFixture) checkAccess(steady string) {
	t, ctx, client := e.t, context.Background(), e.c.Client()
	token := func(name string) string {
		if _, err := client.CoreV1().ServiceAccounts("demo").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := client.CoreV1().ServiceAccounts("demo").CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	nosy, reader := token("nosy"), token("metrics-reader")
	if _, err := client.RbacV1().Roles("demo").Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "external-metrics-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"external.metrics.k8s.io"}, Resources: []string{"*"}, Verbs: []string{"get", "list"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.RbacV1().RoleBindings("demo").Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "external-metrics-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "external-metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "metrics-reader", Namespace: "demo"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	path := metricURL("pacer_recommended_replicas", steady)
	aggregator, err := rest.TransportFor(rest.AnonymousClientConfig(e.c.RESTConfig()))
	if err != nil {
		t.Fatal(err)
	}
	through := func(token string) (int, string) { return getWithToken(t, aggregator, e.c.Server+path, token) }
	pacer := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}} // pacer's self-signed certificate; the aggregator verifies it with the caBundle
	defer pacer.CloseIdleConnections()
	direct := func(token string) (int, string) { return getWithToken(t, pacer, "https://"+e.addr+path, token) }
	for _, tt := range []struct {
		name, token string
		status      int
		get         func(string) (int, string)
	}{
		{"through the aggregator without permission", nosy, http.StatusForbidden, through},
		{"through the aggregator with permission", reader, http.StatusOK, through},
		{"directly to pacer without permission", nosy, http.StatusForbidden, direct},
		{"directly to pacer with permission", reader, http.StatusOK, direct},
	} {
		// RBAC changes reach the authorizer's cache within a few seconds.
		waitFor(t, 20*time.Second, tt.name, func() (bool, error) {
			status, body := tt.get(tt.token)
			if status == tt.status {
				return true, nil
			}
			t.Logf("%s: %d %s", tt.name, status, strings.TrimSpace(body))
			return false, nil
		})
	}
}

// getWithToken GETs url with a bearer token.
func getWithToken(t *testing.T, rt http.RoundTripper, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Transport: rt, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// checkCoexistence: the same values as JSON for KEDA's metrics-api scaler
// and on /metrics for prometheus-adapter.
func (e *externalFixture) checkCoexistence(steady string) {
	t := e.t
	body, err := httpGet(e.s.url("/api/v1/external/demo/pacer_recommended_replicas?labelSelector=" + url.QueryEscape(steady)))
	var v struct {
		Value     float64   `json:"value"`
		Timestamp time.Time `json:"timestamp"`
	}
	if err != nil || json.Unmarshal([]byte(body), &v) != nil || v.Value != steadyReplicas || v.Timestamp.IsZero() {
		t.Errorf("JSON endpoint: %v %s", err, body)
	}
	metrics, err := httpGet(e.s.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`pacer_request_rate{kind="deployment",namespace="demo",workload="steady"}`,
		`pacer_goroutines{kind="deployment",namespace="demo",workload="goroutines"}`,
		`pacer_recommended_replicas{kind="deployment",namespace="demo",workload="steady"} 3`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestExternalMetricsManifests applies deploy/external-metrics to a real
// kube-apiserver and checks that pacer's service account may do what an
// aggregated API server does and no more, that the APIService routes to
// pacer, and that the example HPA is valid.
func TestExternalMetricsManifests(t *testing.T) {
	c := kube.Start(t, kube.Options{})
	ctx := context.Background()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	rendered, _, err := c.Kubectl(ctx, "kustomize", filepath.Join(root, "deploy", "external-metrics"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.KubectlWithInput(ctx, strings.NewReader(rendered), "apply", "--server-side", "-f", "-"); err != nil {
		t.Fatal(err)
	}

	own, err := external.CheckAPIService(ctx, dynamicClient(t, c), external.ServiceRef{Namespace: externalNamespace, Name: "pacer"})
	if err != nil || !own.Registered || !own.Ours {
		t.Errorf("the applied APIService: %+v, %v; want it to route to pacer-system/pacer", own, err)
	}
	canI := func(as string, args ...string) string {
		out, _, _ := c.Kubectl(ctx, append([]string{"auth", "can-i", "--as", as}, args...)...) // "no" exits 1
		return strings.TrimSpace(out)
	}
	const pacerSA = "system:serviceaccount:pacer-system:pacer"
	for _, tt := range []struct {
		as   string
		args []string
		want string
	}{
		{pacerSA, []string{"create", "tokenreviews.authentication.k8s.io"}, "yes"},
		{pacerSA, []string{"create", "subjectaccessreviews.authorization.k8s.io"}, "yes"},
		{pacerSA, []string{"get", "configmap/extension-apiserver-authentication", "-n", "kube-system"}, "yes"},
		{pacerSA, []string{"get", "apiservices.apiregistration.k8s.io/v1beta1.external.metrics.k8s.io"}, "yes"},
		{pacerSA, []string{"get", "configmap/kube-proxy", "-n", "kube-system"}, "no"},
		{pacerSA, []string{"update", "apiservices.apiregistration.k8s.io/v1beta1.external.metrics.k8s.io"}, "no"},
		{pacerSA, []string{"get", "secrets", "-n", "kube-system"}, "no"},
	} {
		if got := canI(tt.as, tt.args...); got != tt.want {
			t.Errorf("%s can %v: %q, want %q", tt.as, tt.args, got, tt.want)
		}
	}
	// The HPA controller may read pacer's metrics.
	sar, err := c.Client().AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "shop", Verb: "get",
			Group: "external.metrics.k8s.io", Resource: "pacer_recommended_replicas"},
	}}, metav1.CreateOptions{})
	if err != nil || !sar.Status.Allowed {
		t.Errorf("the HPA controller reading pacer_recommended_replicas: %+v, %v", sar.Status, err)
	}
	if _, stderr, err := c.Kubectl(ctx, "apply", "--dry-run=server", "-n", "default", "-f", filepath.Join(root, "deploy", "external-metrics", "hpa-example.yaml")); err != nil || stderr != "" {
		t.Errorf("the example HPA: %v %s", err, stderr)
	}
}
