package external

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/pacerdev/pacer/recommender"
)

// ca is a test certificate authority.
type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t testing.TB, name string) *ca {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &ca{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// client issues a client certificate for the common name.
func (c *ca) client(t testing.TB, commonName string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: commonName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// testServer is a running Server over a store, with a fake cluster that
// publishes a front proxy CA, authenticates the bearer token "hpa-token"
// as system:serviceaccount:kube-system:hpa and authorizes only that user.
type testServer struct {
	url   string
	store *Store
	clock *clock
	front tls.Certificate // the front proxy's client certificate
	certs string          // the CertDir
}

// review answers TokenReviews, authenticating "hpa-token" as hpaUser, and
// SubjectAccessReviews, allowing hpaUser only.
func review(w http.ResponseWriter, r *http.Request) {
	var out any
	switch r.URL.Path {
	case "/apis/authentication.k8s.io/v1/tokenreviews":
		var tr authenticationv1.TokenReview
		if err := json.NewDecoder(r.Body).Decode(&tr); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if tr.Spec.Token == "hpa-token" {
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{Username: hpaUser}}
		}
		out = &tr
	case "/apis/authorization.k8s.io/v1/subjectaccessreviews":
		var sar authorizationv1.SubjectAccessReview
		if err := json.NewDecoder(r.Body).Decode(&sar); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sar.Status.Allowed = sar.Spec.User == hpaUser
		out = &sar
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(out)
}

const (
	frontProxyName = "front-proxy-client"
	hpaUser        = "system:serviceaccount:kube-system:hpa"
)

func startServer(t testing.TB) *testServer {
	t.Helper()
	frontCA, clientCA := newCA(t, "front-proxy-ca"), newCA(t, "cluster-ca")
	cluster := fake.NewClientset(&corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: authConfigMapNamespace, Name: authConfigMapName},
		Data: map[string]string{
			"client-ca-file":                     string(clientCA.pem),
			"requestheader-client-ca-file":       string(frontCA.pem),
			"requestheader-username-headers":     `["X-Remote-User"]`,
			"requestheader-group-headers":        `["X-Remote-Group"]`,
			"requestheader-extra-headers-prefix": `["X-Remote-Extra-"]`,
			"requestheader-allowed-names":        `["` + frontProxyName + `"]`,
		},
	})
	reviews := httptest.NewServer(http.HandlerFunc(review))
	t.Cleanup(reviews.Close)
	remote, err := kubernetes.NewForConfig(&rest.Config{Host: reviews.URL})
	if err != nil {
		t.Fatal(err)
	}

	c := &clock{t0}
	store := newStore(t, c, Options{StaleAfter: time.Minute})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	certs := t.TempDir()
	// The reviews go to a test server through ReviewClient (the
	// delegating authenticator and authorizer post them with the REST
	// client, which a fake clientset does not have); a fake cluster's
	// answer would deny every caller.
	srv, err := NewServer(ctx, store, ServerOptions{Listener: ln, CertDir: certs, CertNames: []string{"pacer.pacer-system.svc"}, Client: cluster, ReviewClient: remote})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	s := &testServer{url: "https://" + ln.Addr().String(), store: store, clock: c, front: frontCA.client(t, frontProxyName), certs: certs}
	// The server is up when it has read the front proxy's CA from the
	// cluster and so knows the aggregator: until then it fails closed.
	admin := s.proxied("admin", "system:masters")
	for deadline := time.Now().Add(30 * time.Second); ; {
		status, _ := s.get(t, metricsPath, admin)
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not authenticate the front proxy within 30s: last status %d", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// as says how a request authenticates: a client certificate and headers.
type as struct {
	cert    *tls.Certificate
	headers map[string]string
	ca      []byte // trusted to verify the server; nil skips verification
}

// proxied is the aggregator's way: the front proxy's certificate and the
// user in headers.
func (s *testServer) proxied(user string, groups ...string) *as {
	h := map[string]string{"X-Remote-User": user}
	if len(groups) > 0 {
		h["X-Remote-Group"] = strings.Join(groups, ",")
	}
	return &as{cert: &s.front, headers: h}
}

func (s *testServer) get(t testing.TB, path string, who *as) (int, string) {
	t.Helper()
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}
	var headers map[string]string
	if who != nil {
		if cert := who.cert; cert != nil {
			// Always present it, even when the server names other CAs.
			tlsConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
		if who.ca != nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(who.ca)
			tlsConfig.RootCAs, tlsConfig.InsecureSkipVerify, tlsConfig.ServerName = pool, false, "pacer.pacer-system.svc"
		}
		headers = who.headers
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, s.url+path, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

const metricsPath = "/apis/external.metrics.k8s.io/v1beta1"

// metricPath is the path of a metric in the test's namespace.
func metricPath(metric, sel string) string {
	return metricsPath + "/namespaces/" + ns + "/" + metric + "?labelSelector=" + url.QueryEscape(sel)
}

func TestServer(t *testing.T) {
	s := startServer(t)
	admin := s.proxied("admin", "system:masters")

	// Discovery lists every metric, with nothing in the store yet, in both
	// formats the kube-apiserver reads.
	status, body := s.get(t, metricsPath, admin)
	var list metav1.APIResourceList
	if err := json.Unmarshal([]byte(body), &list); status != http.StatusOK || err != nil || len(list.APIResources) != len(Metrics()) {
		t.Fatalf("discovery: %d %v %s", status, err, body)
	}
	aggregated := &as{cert: admin.cert, headers: map[string]string{"X-Remote-User": "admin", "X-Remote-Group": "system:masters",
		"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}}
	status, body = s.get(t, "/apis", aggregated)
	if status != http.StatusOK || !strings.Contains(body, `"kind":"APIGroupDiscoveryList"`) ||
		strings.Count(body, `"kind":"ExternalMetricValueList"`) != len(Metrics()) {
		t.Errorf("aggregated discovery: %d %s", status, body)
	}

	// The kube-apiserver merges the OpenAPI documents of aggregated servers.
	for _, path := range []string{"/openapi/v2", "/openapi/v3/apis/external.metrics.k8s.io/v1beta1"} {
		if status, body := s.get(t, path, admin); status != http.StatusOK || !strings.Contains(body, "ExternalMetricValueList") {
			t.Errorf("GET %s: %d %.200s", path, status, body)
		}
	}

	publish(t, s.store, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 3, 240.5, 0)}, nil))
	status, body = s.get(t, metricPath(string(RecommendedReplicas), "deployment=checkout"), admin)
	if status != http.StatusOK || !strings.Contains(body, `"value":"3"`) || strings.Count(body, `"metricName"`) != 1 ||
		!strings.Contains(body, `"workload":"checkout"`) {
		t.Errorf("replicas: %d %s", status, body)
	}
	status, body = s.get(t, metricPath(string(RequestRate), "workload=checkout"), admin)
	if status != http.StatusOK || !strings.Contains(body, `"value":"240500m"`) {
		t.Errorf("request rate: %d %s", status, body)
	}

	// Every bad query is a 4xx that says what is wrong, a stale value a 503.
	for _, tt := range []struct {
		path   string
		status int
		says   string
	}{
		{metricPath("pacer_bogus", "deployment=checkout"), 404, "unknown metric"},
		{metricPath(string(RecommendedReplicas), "app=checkout"), 400, `knows no label \"app\"`},
		{metricPath(string(RecommendedReplicas), "deployment in (a,b)"), 400, "exactly one workload"},
		{metricPath(string(RecommendedReplicas), "deployment in ("), 400, ""},
		{metricPath(string(RecommendedReplicas), ""), 400, "labelSelector is required"},
		{metricPath(string(RecommendedReplicas), "deployment=nope"), 404, "no data"},
	} {
		if status, body := s.get(t, tt.path, admin); status != tt.status || !strings.Contains(body, tt.says) {
			t.Errorf("GET %s: %d %s; want %d saying %q", tt.path, status, body, tt.status, tt.says)
		}
	}
	s.clock.now = t0.Add(2 * time.Minute)
	if status, body := s.get(t, metricPath(string(RecommendedReplicas), "deployment=checkout"), admin); status != 503 || !strings.Contains(body, "stale") {
		t.Errorf("stale: %d %s", status, body)
	}
}

func TestServerAuth(t *testing.T) {
	s := startServer(t)
	publish(t, s.store, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 3, 240, 0)}, nil))
	path := metricPath(string(RecommendedReplicas), "deployment=checkout")
	stranger := newCA(t, "stranger")
	forged := stranger.client(t, frontProxyName)
	clusterCert := newCA(t, "not the cluster's").client(t, "admin")

	for _, tt := range []struct {
		name   string
		who    *as
		status int
	}{
		{"the aggregator for an admin", s.proxied("admin", "system:masters"), 200},
		{"the aggregator for the HPA controller", s.proxied(hpaUser), 200},
		{"the aggregator for a user without permission", s.proxied("system:serviceaccount:demo:nosy"), 403},
		{"a bearer token of an authorized service account", &as{headers: map[string]string{"Authorization": "Bearer hpa-token"}}, 200},
		{"an unknown bearer token", &as{headers: map[string]string{"Authorization": "Bearer guess"}}, 401},
		{"anonymous", nil, 403},
		{"headers without the front proxy's certificate", &as{headers: map[string]string{"X-Remote-User": "admin", "X-Remote-Group": "system:masters"}}, 403},
		{"a forged front proxy certificate", &as{cert: &forged, headers: map[string]string{"X-Remote-User": "admin", "X-Remote-Group": "system:masters"}}, 401},
		{"a client certificate of another CA", &as{cert: &clusterCert}, 401},
	} {
		if status, body := s.get(t, path, tt.who); status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, status, body, tt.status)
		}
	}
	// The health checks need no permission.
	if status, body := s.get(t, "/healthz", nil); status != 200 {
		t.Errorf("/healthz anonymously: %d %s", status, body)
	}
}

// TestServerCertDir: the self-signed certificate is written to the
// directory and names pacer's Service, so it can be an APIService's caBundle.
func TestServerCertDir(t *testing.T) {
	s := startServer(t)
	caBundle, err := os.ReadFile(filepath.Join(s.certs, "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.certs, "tls.key")); err != nil {
		t.Fatal(err)
	}
	verified := s.proxied("admin", "system:masters")
	verified.ca = caBundle
	if status, body := s.get(t, "/healthz", verified); status != 200 {
		t.Errorf("with tls.crt as the CA bundle and server name pacer.pacer-system.svc: %d %s", status, body)
	}
}
