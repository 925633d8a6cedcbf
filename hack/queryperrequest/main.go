// Command queryperrequest answers external metric requests the way
// prometheus-adapter does: one PromQL query to Prometheus per request. It
// exists only as the baseline of pacer's external metrics benchmark
// (test/integration/external_bench_test.go, `make bench-external`), which
// measures it next to pacer's API, answered from memory.
//
// It serves GET /apis/external.metrics.k8s.io/v1beta1/namespaces/{namespace}/{metric}
// with a labelSelector of deployment=NAME over TLS (HTTP/2, a self-signed
// certificate made at start) with no authentication: a lower bound of
// what a query-per-request server built on the Kubernetes API server
// library costs.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"k8s.io/client-go/util/cert"
)

// options are the command line.
type options struct {
	listen        string
	prometheusURL string
	query         string
}

// defaultQuery is pacer_recommended_replicas as an adapter rule would
// compute it for the integration suite's demo workloads: their request
// rate over 10s over 40 requests/s per pod, rounded up. %[1]s is the
// namespace and %[2]s the Deployment.
const defaultQuery = `ceil(sum(rate(http_requests_total{namespace="%[1]s",pod=~"%[2]s-.+"}[10s])) / 40)`

func (o *options) validate() []error {
	var errs []error
	if u, err := url.Parse(o.prometheusURL); o.prometheusURL == "" || err != nil || u.Host == "" {
		errs = append(errs, fmt.Errorf("--prometheus-url %q: want an absolute URL such as http://127.0.0.1:9090", o.prometheusURL))
	}
	if !strings.Contains(o.query, "%[1]s") || !strings.Contains(o.query, "%[2]s") {
		errs = append(errs, fmt.Errorf("--query %q: want %%[1]s for the namespace and %%[2]s for the Deployment", o.query))
	}
	return errs
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	var o options
	flag.StringVar(&o.listen, "listen", "127.0.0.1:0", "address to serve TLS on")
	flag.StringVar(&o.prometheusURL, "prometheus-url", "", "Prometheus to query, e.g. http://127.0.0.1:9090")
	flag.StringVar(&o.query, "query", defaultQuery, "PromQL run for every request")
	flag.Parse()
	if errs := o.validate(); len(errs) > 0 {
		log.Error("invalid options", "err", errors.Join(errs...))
		os.Exit(2)
	}
	if err := runUntilSignal(log, o); err != nil {
		log.Error("queryperrequest failed", "err", err)
		os.Exit(1)
	}
}

// runUntilSignal runs the server until SIGINT or SIGTERM.
func runUntilSignal(log *slog.Logger, o options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, log, o)
}

// run serves until ctx ends.
func run(ctx context.Context, log *slog.Logger, o options) error {
	certPEM, keyPEM, err := cert.GenerateSelfSignedCertKey("localhost", []net.IP{net.IPv4(127, 0, 0, 1)}, nil)
	if err != nil {
		return fmt.Errorf("making a self-signed certificate: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("loading the self-signed certificate: %w", err)
	}
	client, err := api.NewClient(api.Config{
		Address: o.prometheusURL,
		// As many idle connections as Prometheus runs queries at once
		// (--query.max-concurrency, 20) and more: none is re-dialled under load.
		RoundTripper: &http.Transport{MaxIdleConnsPerHost: 64},
	})
	if err != nil {
		return fmt.Errorf("prometheus client for %s: %w", o.prometheusURL, err)
	}
	prom := &prometheus{api: v1.NewAPI(client)}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.listen, err)
	}
	srv := &http.Server{
		Handler:           newHandler(prom.query, o.query),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}},
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Info("serving external metrics, one query per request", "addr", ln.Addr().String(), "prometheus", o.prometheusURL)
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-done:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}
