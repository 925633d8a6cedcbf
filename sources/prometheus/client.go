package prometheus

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// ClientOptions says how to reach a Prometheus-compatible API: credentials,
// TLS and extra headers (e.g. X-Scope-OrgID for Mimir and Cortex).
type ClientOptions struct {
	// BearerTokenFile is read on every request, so rotated tokens are picked up.
	BearerTokenFile string
	// BasicAuthUser with the password read from BasicAuthPasswordFile.
	BasicAuthUser         string
	BasicAuthPasswordFile string
	// CAFile holds PEM certificates to trust in addition to the system pool.
	CAFile             string
	InsecureSkipVerify bool
	// Headers are added to every request.
	Headers map[string]string
}

func (c ClientOptions) validate() []error {
	var errs []error
	if c.BearerTokenFile != "" && c.BasicAuthUser != "" {
		errs = append(errs, errors.New("bearer token file and basic auth are both set; choose one"))
	}
	if (c.BasicAuthUser == "") != (c.BasicAuthPasswordFile == "") {
		errs = append(errs, errors.New("basic auth needs both a user and a password file"))
	}
	for _, f := range []struct{ field, path string }{
		{"bearer token file", c.BearerTokenFile},
		{"basic auth password file", c.BasicAuthPasswordFile},
		{"CA file", c.CAFile},
	} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.field, err))
		}
	}
	for name := range c.Headers {
		if name == "" || strings.ContainsAny(name, " :\r\n") {
			errs = append(errs, fmt.Errorf("header name %q is not a valid HTTP header name", name))
		}
		if strings.EqualFold(name, "Authorization") && (c.BearerTokenFile != "" || c.BasicAuthUser != "") {
			errs = append(errs, errors.New("header Authorization conflicts with the bearer token or basic auth setting"))
		}
	}
	return errs
}

// roundTripper builds the transport: TLS settings on a clone of the default
// transport, then credentials and headers on every request.
func (c ClientOptions) roundTripper() (http.RoundTripper, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	if c.CAFile != "" || c.InsecureSkipVerify {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // opt-in by flag
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("reading CA file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("CA file %s holds no PEM certificate", c.CAFile)
			}
			cfg.RootCAs = pool
		}
		base.TLSClientConfig = cfg
	}
	return &authTransport{opts: c, next: base}, nil
}

type authTransport struct {
	opts ClientOptions
	next http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for name, value := range t.opts.Headers {
		req.Header.Set(name, value)
	}
	switch {
	case t.opts.BearerTokenFile != "":
		token, err := readSecret(t.opts.BearerTokenFile)
		if err != nil {
			return nil, fmt.Errorf("bearer token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	case t.opts.BasicAuthUser != "":
		password, err := readSecret(t.opts.BasicAuthPasswordFile)
		if err != nil {
			return nil, fmt.Errorf("basic auth password: %w", err)
		}
		req.SetBasicAuth(t.opts.BasicAuthUser, password)
	}
	return t.next.RoundTrip(req)
}

// readSecret reads a credential file; the error names the file, never its content.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("file %s is empty", path)
	}
	return s, nil
}
