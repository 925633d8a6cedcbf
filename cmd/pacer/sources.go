package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/prometheus"
	"github.com/pacerdev/pacer/sources/scrape"
)

// sourceOptions are the flags that choose where signals come from: a
// Prometheus API, the built-in scraper, or a recorded trace.
type sourceOptions struct {
	prometheusURL  string
	promTimeout    time.Duration
	promClient     prometheus.ClientOptions
	promHeaders    []string
	queries        []string
	labels         prometheus.Labels
	rateRange      time.Duration
	scrapeTargets  []string
	scrapeInterval time.Duration
	trace          string
}

func (o *sourceOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.prometheusURL, "prometheus-url", "", "base URL of a Prometheus-compatible API (Prometheus, Thanos, Mimir, VictoriaMetrics)")
	fs.DurationVar(&o.promTimeout, "prometheus-timeout", 30*time.Second, "timeout of each Prometheus query")
	fs.StringVar(&o.promClient.BearerTokenFile, "prometheus-bearer-token-file", "", "file with a bearer token for Prometheus, re-read on every request")
	fs.StringVar(&o.promClient.BasicAuthUser, "prometheus-basic-auth-user", "", "basic auth user for Prometheus")
	fs.StringVar(&o.promClient.BasicAuthPasswordFile, "prometheus-basic-auth-password-file", "", "file with the basic auth password for Prometheus")
	fs.StringVar(&o.promClient.CAFile, "prometheus-ca-file", "", "PEM file with CA certificates to trust for Prometheus")
	fs.BoolVar(&o.promClient.InsecureSkipVerify, "prometheus-insecure-skip-verify", false, "do not verify Prometheus' TLS certificate (unsafe)")
	fs.StringArrayVar(&o.promHeaders, "prometheus-header", nil, "extra header NAME=VALUE for every Prometheus request, e.g. X-Scope-OrgID=tenant (repeatable)")
	fs.StringArrayVar(&o.queries, "query", nil, "replace a signal's PromQL template: SIGNAL=TEMPLATE (repeatable; see docs)")
	fs.StringVar(&o.labels.Namespace, "namespace-label", "namespace", "Prometheus label holding the namespace")
	fs.StringVar(&o.labels.Pod, "pod-label", "pod", "Prometheus label holding the pod name")
	fs.StringVar(&o.labels.Container, "container-label", "container", "Prometheus label holding the container name")
	fs.DurationVar(&o.rateRange, "rate-range", time.Minute, "range over which rates are computed")
	fs.StringArrayVar(&o.scrapeTargets, "scrape", nil, "scrape this URL with the built-in scraper; a fragment names the container: URL#namespace=NS&pod=POD&container=C (repeatable)")
	fs.DurationVar(&o.scrapeInterval, "scrape-interval", 5*time.Second, "interval of the built-in scraper")
	fs.StringVar(&o.trace, "trace", "", "read signals from a recorded OpenMetrics trace file")
}

// kind says which source the flags chose.
func (o *sourceOptions) kind() (string, error) {
	var chosen []string
	if o.prometheusURL != "" {
		chosen = append(chosen, "--prometheus-url")
	}
	if len(o.scrapeTargets) > 0 {
		chosen = append(chosen, "--scrape")
	}
	if o.trace != "" {
		chosen = append(chosen, "--trace")
	}
	switch len(chosen) {
	case 0:
		return "", errors.New("no source: give --prometheus-url, --scrape or --trace")
	case 1:
		return chosen[0], nil
	}
	return "", fmt.Errorf("choose one source, not %s", strings.Join(chosen, " and "))
}

func (o *sourceOptions) prometheusOptions() (prometheus.Options, error) {
	po := prometheus.Options{
		URL: o.prometheusURL, Timeout: o.promTimeout, RateRange: o.rateRange,
		Labels: o.labels, Client: o.promClient,
	}
	var errs []error
	if len(o.promHeaders) > 0 {
		po.Client.Headers = map[string]string{}
	}
	for _, h := range o.promHeaders {
		name, value, ok := strings.Cut(h, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("--prometheus-header %q: want NAME=VALUE", h))
			continue
		}
		po.Client.Headers[name] = value
	}
	if len(o.queries) > 0 {
		po.Queries = map[recommender.Signal]string{}
	}
	for _, q := range o.queries {
		name, text, ok := strings.Cut(q, "=")
		sig, err := recommender.ParseSignal(name)
		if !ok || err != nil {
			errs = append(errs, fmt.Errorf("--query %q: want SIGNAL=TEMPLATE with a known signal: %w", q, err))
			continue
		}
		po.Queries[sig] = text
	}
	return po, errors.Join(append(errs, po.Validate()...)...)
}

func (o *sourceOptions) scrapeOptions(log *slog.Logger) (scrape.Options, error) {
	so := scrape.Options{Interval: o.scrapeInterval, RateRange: o.rateRange, Logger: log}
	var errs []error
	for _, raw := range o.scrapeTargets {
		t, err := scrape.ParseTarget(raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		so.Targets = append(so.Targets, t)
	}
	if len(errs) == 0 {
		errs = so.Validate()
	}
	return so, errors.Join(errs...)
}
