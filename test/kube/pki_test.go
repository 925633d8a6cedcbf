package kube

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestPKIChains(t *testing.T) {
	p, err := writePKI(t.TempDir(), net.ParseIP(ServiceIP))
	if err != nil {
		t.Fatal(err)
	}
	clusterCA := pool(t, p.CACert)
	frontProxyCA := pool(t, p.FrontProxyCACert)

	serving := readCert(t, p.ServingCert)
	for _, name := range []string{"127.0.0.1", "localhost", ServiceIP, "kubernetes.default.svc"} {
		if _, err := serving.Verify(x509.VerifyOptions{Roots: clusterCA, DNSName: name}); err != nil {
			t.Errorf("serving certificate for %s: %v", name, err)
		}
	}

	clients := []struct {
		path   string
		roots  *x509.CertPool
		cn     string
		groups []string
	}{
		{p.AdminCert, clusterCA, "pacer-test-admin", []string{"system:masters"}},
		{p.ControllerManagerCert, clusterCA, "system:kube-controller-manager", nil},
		{p.FrontProxyClientCert, frontProxyCA, FrontProxyClientName, nil},
	}
	clientAuth := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	for _, c := range clients {
		cert := readCert(t, c.path)
		if _, err := cert.Verify(x509.VerifyOptions{Roots: c.roots, KeyUsages: clientAuth}); err != nil {
			t.Errorf("%s: %v", c.cn, err)
		}
		if cert.Subject.CommonName != c.cn || !slices.Equal(cert.Subject.Organization, c.groups) {
			t.Errorf("%s: subject %v, want CN %s O %v", c.path, cert.Subject, c.cn, c.groups)
		}
	}
	// The apiserver must not take a front-proxy client certificate as a user's.
	if _, err := readCert(t, p.FrontProxyClientCert).Verify(x509.VerifyOptions{Roots: clusterCA, KeyUsages: clientAuth}); err == nil {
		t.Error("the cluster CA verifies the front-proxy client certificate")
	}
}

func TestFindBinariesNamesTheMakeTarget(t *testing.T) {
	t.Setenv("PACER_KUBE_BIN", t.TempDir())
	_, err := FindBinaries()
	if err == nil || !strings.Contains(err.Error(), "make kube-binaries") {
		t.Fatalf("FindBinaries in an empty directory: %v, want an error naming make kube-binaries", err)
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s holds no PEM", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func pool(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	p.AddCert(readCert(t, path))
	return p
}
