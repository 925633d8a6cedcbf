//go:build integration

package integration

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pacerdev/pacer/test/kube"
)

// TestServeSecretsNotLogged runs pacer serve at debug level with every
// credential it takes: a kubeconfig with a bearer token, and Prometheus
// behind a proxy that wants a bearer token, basic auth, or a user and
// password in the URL. The proxy first refuses and then fails a few
// requests, so the error paths log too, and then lets pacer through, so the
// credentials were used for real. No credential, nor its base64 form, may
// appear in pacer's log, its /metrics, its dashboard or its API.
func TestServeSecretsNotLogged(t *testing.T) {
	f := setUp(t)
	kubeToken := secret(t)
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte(kubeToken+`,pacer-token-user,pacer-token-uid,"system:masters"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := kube.Start(t, kube.Options{APIServerFlags: []string{"--token-auth-file=" + tokens}})
	playPods(t, c, f)
	kubeconfig := tokenKubeconfig(t, c, kubeToken)

	cases := []struct {
		name string
		// auth returns the flags that give pacer the credential, and the
		// Authorization header the proxy wants.
		auth func(t *testing.T, secret, proxy string) (flags []string, want string)
	}{
		{name: "bearer token file", auth: func(t *testing.T, secret, proxy string) ([]string, string) {
			return []string{"--prometheus-url", proxy, "--prometheus-bearer-token-file", writeSecret(t, secret)}, "Bearer " + secret
		}},
		{name: "basic auth password file", auth: func(t *testing.T, secret, proxy string) ([]string, string) {
			return []string{"--prometheus-url", proxy, "--prometheus-basic-auth-user", "pacer", "--prometheus-basic-auth-password-file", writeSecret(t, secret)},
				basicAuth("pacer", secret)
		}},
		{name: "password in the URL", auth: func(t *testing.T, secret, proxy string) ([]string, string) {
			u, err := url.Parse(proxy)
			if err != nil {
				t.Fatal(err)
			}
			u.User = url.UserPassword("pacer", secret)
			return []string{"--prometheus-url", u.String()}, basicAuth("pacer", secret)
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			promSecret := secret(t)
			proxy := &authProxy{target: f.promURL}
			srv := httptest.NewServer(proxy)
			t.Cleanup(srv.Close)
			flags, want := tc.auth(t, promSecret, srv.URL)
			proxy.want = want
			// Wrong answers first, enough that whole cycles fail, not only some signals.
			proxy.refuse.Store(60)

			flags = append(flags, "--kubeconfig", kubeconfig, "--log-level", "debug", "--dry-run",
				"--leader-elect-id", fmt.Sprintf("pacer-secrets-%d", i))
			s := startServeFrom(t, c, nil, append(flags, leaseFlags...)...)
			s.waitReady(t)
			if proxy.authorized.Load() == 0 {
				t.Fatal("pacer never sent the credential the proxy wants")
			}
			if proxy.refuse.Load() > 0 {
				t.Fatal("the proxy did not refuse pacer before letting it through")
			}
			pages := map[string]string{"log": ""}
			for _, path := range []string{"/metrics", "/", "/api/v1/report", "/api/v1/recommendations"} {
				body, err := httpGet(s.url(path))
				if err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				pages[path] = body
			}
			s.stop(t)
			pages["log"] = s.logs()
			if !strings.Contains(pages["log"], `"level":"DEBUG"`) || !strings.Contains(pages["log"], `"level":"WARN"`) {
				t.Errorf("the log has no debug or no warning lines, so it proves little:\n%s", pages["log"])
			}
			for where, text := range pages {
				for name, value := range map[string]string{
					"the Kubernetes token":           kubeToken,
					"the Prometheus secret":          promSecret,
					"the Authorization header value": strings.TrimPrefix(strings.TrimPrefix(want, "Bearer "), "Basic "),
				} {
					if strings.Contains(text, value) {
						t.Errorf("%s holds %s:\n%s", where, name, excerpt(text, value))
					}
				}
			}
		})
	}
}

// authProxy stands in front of Prometheus and wants one Authorization
// header. While refuse is positive it answers wrongly, counting down:
// a 401 or a 500, in turn.
type authProxy struct {
	target     string
	want       string
	refuse     atomic.Int64
	authorized atomic.Int64
}

func (p *authProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != p.want {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	p.authorized.Add(1)
	if n := p.refuse.Add(-1); n >= 0 {
		if n%2 == 0 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		} else {
			http.Error(w, "upstream failed", http.StatusInternalServerError)
		}
		return
	}
	target, err := url.Parse(p.target)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	r.Header.Del("Authorization")
	httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
}

// secret returns a random credential that no other text contains by chance.
func secret(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "pacer-secret-" + hex.EncodeToString(b)
}

func writeSecret(t *testing.T, s string) string {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// tokenKubeconfig writes a kubeconfig that reaches the cluster with a
// bearer token instead of the admin's client certificate.
func tokenKubeconfig(t *testing.T, c *kube.Cluster, token string) string {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: %q, certificate-authority: %q}
users:
- name: token
  user: {token: %q}
contexts:
- name: token
  context: {cluster: test, user: token}
current-context: token
`, c.Server, c.PKI.CACert, token)
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// excerpt returns the lines of text that hold s.
func excerpt(text, s string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
