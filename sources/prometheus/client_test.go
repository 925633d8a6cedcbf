package prometheus

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestClientSendsCredentialsAndHeaders(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var got http.Header
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
	}))
	defer srv.Close()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pemOf(t, srv), 0o600); err != nil {
		t.Fatal(err)
	}
	src := newTestSource(t, srv.URL, func(o *Options) {
		o.Client = ClientOptions{BearerTokenFile: token, CAFile: ca, Headers: map[string]string{"X-Scope-OrgID": "tenant-1"}}
	})
	if _, err := src.Fetch(context.Background(), instant()); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "Bearer s3cret" || got.Get("X-Scope-OrgID") != "tenant-1" {
		t.Errorf("headers sent: %v", got)
	}

	// A rotated token is used from the next request on.
	if err := os.WriteFile(token, []byte("rotated"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Fetch(context.Background(), instant()); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "Bearer rotated" {
		t.Errorf("Authorization after rotation: %q", got.Get("Authorization"))
	}
}

func TestClientBasicAuth(t *testing.T) {
	password := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(password, []byte("pw"), 0o600); err != nil {
		t.Fatal(err)
	}
	var user, pass string
	srv := fakeAPI(t, func(string) answer { return vector() })
	srv.Config.Handler = wrap(srv.Config.Handler, func(r *http.Request) { user, pass, _ = r.BasicAuth() })
	src := newTestSource(t, srv.URL, func(o *Options) {
		o.Client = ClientOptions{BasicAuthUser: "pacer", BasicAuthPasswordFile: password}
	})
	if _, err := src.Fetch(context.Background(), instant()); err != nil {
		t.Fatal(err)
	}
	if user != "pacer" || pass != "pw" {
		t.Errorf("basic auth sent %q:%q", user, pass)
	}
}

func TestClientRefusesUnknownCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := newTestSource(t, srv.URL, nil).Fetch(context.Background(), instant())
	if err == nil {
		t.Fatal("a server with an unknown CA was trusted")
	}
}

func wrap(h http.Handler, see func(*http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { see(r); h.ServeHTTP(w, r) })
}

func pemOf(t *testing.T, srv *httptest.Server) []byte {
	t.Helper()
	cert := srv.Certificate()
	return pemEncode(cert.Raw)
}
