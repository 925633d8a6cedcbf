package kube

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI names the files of a cluster's certificates and keys, all PEM. The
// cluster CA signs the serving certificate and the client certificates the
// apiserver accepts; the front-proxy CA signs only the client certificate
// the apiserver presents to aggregated API servers, which trust it through
// the kube-system/extension-apiserver-authentication ConfigMap.
type PKI struct {
	Dir string

	CACert, CAKey string
	// ServingCert is the apiserver's (and the controller-manager's) for
	// 127.0.0.1, localhost and the kubernetes.default.svc names.
	ServingCert, ServingKey string
	// AdminCert is a client certificate in the system:masters group.
	AdminCert, AdminKey string
	// ControllerManagerCert is system:kube-controller-manager's client certificate.
	ControllerManagerCert, ControllerManagerKey string
	// ServiceAccountKey signs service account tokens; ServiceAccountPub verifies them.
	ServiceAccountKey, ServiceAccountPub string

	FrontProxyCACert, FrontProxyCAKey string
	// FrontProxyClientCert has the CN front-proxy-client, the one name
	// --requestheader-allowed-names admits.
	FrontProxyClientCert, FrontProxyClientKey string
}

// FrontProxyClientName is the CN of the front-proxy client certificate.
const FrontProxyClientName = "front-proxy-client"

// authority is a CA that can sign certificates.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// writePKI generates every certificate and key a cluster needs into dir.
// serviceIP is the first address of the service range, which names the
// kubernetes Service.
func writePKI(dir string, serviceIP net.IP) (PKI, error) {
	p := PKI{Dir: dir}
	ca, err := newAuthority(dir, "pacer-test-ca", &p.CACert, &p.CAKey)
	if err != nil {
		return PKI{}, err
	}
	frontProxy, err := newAuthority(dir, "pacer-test-front-proxy-ca", &p.FrontProxyCACert, &p.FrontProxyCAKey)
	if err != nil {
		return PKI{}, err
	}
	serving := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, serviceIP},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default",
			"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
	}
	issued := []struct {
		ca                authority
		template          *x509.Certificate
		name              string
		certPath, keyPath *string
	}{
		{ca, serving, "apiserver", &p.ServingCert, &p.ServingKey},
		{ca, clientTemplate("pacer-test-admin", "system:masters"), "admin", &p.AdminCert, &p.AdminKey},
		{ca, clientTemplate("system:kube-controller-manager"), "controller-manager", &p.ControllerManagerCert, &p.ControllerManagerKey},
		{frontProxy, clientTemplate(FrontProxyClientName), "front-proxy-client", &p.FrontProxyClientCert, &p.FrontProxyClientKey},
	}
	for _, c := range issued {
		if err := c.ca.issue(dir, c.name, c.template, c.certPath, c.keyPath); err != nil {
			return PKI{}, err
		}
	}
	if err := writeServiceAccountKey(dir, &p); err != nil {
		return PKI{}, err
	}
	return p, nil
}

func clientTemplate(user string, groups ...string) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: user, Organization: groups},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// newAuthority creates a self-signed CA and writes it to dir as name.crt and name.key.
func newAuthority(dir, name string, certPath, keyPath *string) (authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return authority{}, fmt.Errorf("generating the key of %s: %w", name, err)
	}
	template := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	cert, err := sign(template, template, key.Public(), key)
	if err != nil {
		return authority{}, fmt.Errorf("signing %s: %w", name, err)
	}
	if err := writePair(dir, name, cert, key, certPath, keyPath); err != nil {
		return authority{}, err
	}
	return authority{cert: cert, key: key}, nil
}

// issue signs template with a fresh key and writes it to dir as name.crt and name.key.
func (a authority) issue(dir, name string, template *x509.Certificate, certPath, keyPath *string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating the key of %s: %w", name, err)
	}
	template.KeyUsage = x509.KeyUsageDigitalSignature
	cert, err := sign(template, a.cert, key.Public(), a.key)
	if err != nil {
		return fmt.Errorf("signing %s: %w", name, err)
	}
	return writePair(dir, name, cert, key, certPath, keyPath)
}

// sign fills in the serial number and a validity around now, and signs.
func sign(template, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	template.SerialNumber = serial
	template.NotBefore = time.Now().Add(-time.Hour)
	template.NotAfter = time.Now().Add(7 * 24 * time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func writePair(dir, name string, cert *x509.Certificate, key *ecdsa.PrivateKey, certPath, keyPath *string) error {
	*certPath = filepath.Join(dir, name+".crt")
	*keyPath = filepath.Join(dir, name+".key")
	if err := writePEM(*certPath, "CERTIFICATE", cert.Raw); err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encoding the key of %s: %w", name, err)
	}
	return writePEM(*keyPath, "PRIVATE KEY", der)
}

func writeServiceAccountKey(dir string, p *PKI) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating the service account key: %w", err)
	}
	private, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encoding the service account key: %w", err)
	}
	public, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return fmt.Errorf("encoding the service account public key: %w", err)
	}
	p.ServiceAccountKey = filepath.Join(dir, "service-account.key")
	p.ServiceAccountPub = filepath.Join(dir, "service-account.pub")
	if err := writePEM(p.ServiceAccountKey, "PRIVATE KEY", private); err != nil {
		return err
	}
	return writePEM(p.ServiceAccountPub, "PUBLIC KEY", public)
}

func writePEM(path, blockType string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
