package prometheus

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestClientSendsCredentialsAndHeaders(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got http.Header
	last := func() http.Header { mu.Lock(); defer mu.Unlock(); return got }
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
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
	if h := last(); h.Get("Authorization") != "Bearer s3cret" || h.Get("X-Scope-OrgID") != "tenant-1" {
		t.Errorf("headers sent: %v", h)
	}

	// A rotated token is used from the next request on.
	if err := os.WriteFile(token, []byte("rotated"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Fetch(context.Background(), instant()); err != nil {
		t.Fatal(err)
	}
	if h := last(); h.Get("Authorization") != "Bearer rotated" {
		t.Errorf("Authorization after rotation: %q", h.Get("Authorization"))
	}
}

func TestClientBasicAuth(t *testing.T) {
	password := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(password, []byte("pw"), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	sent := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		mu.Lock()
		sent[user+":"+pass] = true
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(vector().body))
	}))
	defer srv.Close()
	src := newTestSource(t, srv.URL, func(o *Options) {
		o.Client = ClientOptions{BasicAuthUser: "pacer", BasicAuthPasswordFile: password}
	})
	if _, err := src.Fetch(context.Background(), instant()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 1 || !sent["pacer:pw"] {
		t.Errorf("basic auth sent %v, want only pacer:pw", sent)
	}
}

func TestClientRefusesUnknownCA(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the point
	srv.StartTLS()
	defer srv.Close()
	_, err := newTestSource(t, srv.URL, nil).Fetch(context.Background(), instant())
	if err == nil {
		t.Fatal("a server with an unknown CA was trusted")
	}
}

func pemOf(t *testing.T, srv *httptest.Server) []byte {
	t.Helper()
	cert := srv.Certificate()
	return pemEncode(cert.Raw)
}
