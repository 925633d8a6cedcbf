package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/pacerdev/pacer/actuator/external"
	"github.com/pacerdev/pacer/recommender"
)

// reviewQPS and reviewBurst rate-limit the TokenReviews and
// SubjectAccessReviews of external metrics callers, as k8s.io/apiserver
// limits its own delegated authentication and authorization clients.
const reviewQPS, reviewBurst = 200, 400

// externalOptions are the flags of the external metrics API: the
// aggregated API server for HPAs, and the same values as JSON and on
// /metrics for KEDA and prometheus-adapter.
type externalOptions struct {
	listen           string
	certDir          string
	service          string
	staleAfter       time.Duration
	fallbackReplicas int32

	// store is what every cycle updates and every reader reads; start sets it.
	store *external.Store
}

func (o *externalOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.listen, "external-metrics-listen", ":6443",
		"address of the external.metrics.k8s.io API server (TLS) for HPAs; empty turns it off, and the values stay on the JSON endpoint and /metrics")
	fs.StringVar(&o.certDir, "external-metrics-cert-dir", "",
		"directory with the external metrics server's tls.crt and tls.key, reloaded when they change; where they are missing a self-signed pair is written there (default: self-signed, in memory)")
	fs.StringVar(&o.service, "external-metrics-service", "",
		"namespace/name of pacer's Service that the external metrics APIService should route to, checked at start and named in the self-signed certificate (default: $POD_NAMESPACE/pacer, else pacer-system/pacer)")
	fs.DurationVar(&o.staleAfter, "external-metrics-stale-after", 5*time.Minute,
		"a value older than this is not served: the request fails, and an HPA keeps its replicas")
	fs.Int32Var(&o.fallbackReplicas, "external-metrics-fallback-replicas", 0,
		"when positive, answer pacer_recommended_replicas with this count once a workload's value is stale, like KEDA's fallback (default: fail the request)")
}

// validate checks the flags against the loop's interval: a value must
// outlive the time between two cycles.
func (o *externalOptions) validate(interval time.Duration) error {
	var errs []error
	if o.listen != "" {
		if _, _, err := net.SplitHostPort(o.listen); err != nil {
			errs = append(errs, fmt.Errorf("--external-metrics-listen %q: %w", o.listen, err))
		}
	}
	if o.staleAfter <= interval {
		errs = append(errs, fmt.Errorf("--external-metrics-stale-after %s is not longer than --interval %s: every value would go stale between cycles",
			o.staleAfter, interval))
	}
	if o.fallbackReplicas < 0 {
		errs = append(errs, fmt.Errorf("--external-metrics-fallback-replicas %d is negative", o.fallbackReplicas))
	}
	if _, err := o.serviceRef(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (o *externalOptions) serviceRef() (external.ServiceRef, error) {
	if o.service == "" {
		ns := os.Getenv("POD_NAMESPACE")
		if ns == "" {
			ns = "pacer-system"
		}
		return external.ServiceRef{Namespace: ns, Name: "pacer"}, nil
	}
	ns, name, ok := strings.Cut(o.service, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return external.ServiceRef{}, fmt.Errorf("--external-metrics-service %q: want namespace/name", o.service)
	}
	return external.ServiceRef{Namespace: ns, Name: name}, nil
}

// startExternal makes the store that every cycle updates, exposes its
// values on /metrics, checks who owns the external metrics APIService, and
// starts the aggregated API server until ctx ends unless it is turned off.
// It returns sinks with the store added.
func (o *serveOptions) startExternal(ctx context.Context, sinks []recommender.Sink, cfg *rest.Config, client kubernetes.Interface, dyn dynamic.Interface,
	reg prometheus.Registerer, workloadOf func(recommender.ContainerRef) recommender.WorkloadRef, log *slog.Logger) ([]recommender.Sink, error) {
	e := &o.external
	if err := e.validate(o.interval); err != nil {
		return nil, err
	}
	svc, _ := e.serviceRef()
	store, err := external.NewStore(external.Options{
		StaleAfter: e.staleAfter, FallbackReplicas: e.fallbackReplicas, WorkloadOf: workloadOf,
	})
	if err != nil {
		return nil, err
	}
	// pacer_recommended_replicas is the recommendation exporter's already.
	var exported []external.Metric
	for _, m := range external.Metrics() {
		if m != external.RecommendedReplicas {
			exported = append(exported, m)
		}
	}
	if err := reg.Register(external.NewCollector(store, exported...)); err != nil {
		return nil, fmt.Errorf("registering the external metrics gauges: %w", err)
	}
	e.store = store
	go checkAPIService(ctx, dyn, svc, e.listen != "", log)
	if e.listen == "" {
		return append(sinks, store), nil
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", e.listen)
	if err != nil {
		return nil, fmt.Errorf("--external-metrics-listen: %w", err)
	}
	klog.SetSlogLogger(log) // the Kubernetes server libraries log through klog
	// Reviews get a client of their own, with the rate limit
	// k8s.io/apiserver gives its delegated authn/authz clients: behind the
	// shared client's 5 a second, the reviews of one cache expiry queued
	// for seconds, and leader election renewals queued behind them.
	reviewCfg := rest.CopyConfig(cfg)
	reviewCfg.QPS, reviewCfg.Burst = reviewQPS, reviewBurst
	reviews, err := kubernetes.NewForConfig(reviewCfg)
	if err != nil {
		return nil, fmt.Errorf("the external metrics review client: %w", err)
	}
	server, err := external.NewServer(ctx, store, external.ServerOptions{
		Listener: ln, CertDir: e.certDir, Client: client, ReviewClient: reviews,
		CertNames: []string{svc.Name, svc.Name + "." + svc.Namespace, svc.Name + "." + svc.Namespace + ".svc",
			svc.Name + "." + svc.Namespace + ".svc.cluster.local"},
	})
	switch {
	case apierrors.IsForbidden(err):
		_ = ln.Close()
		log.Error("external metrics API server off: pacer may not read the front proxy's settings; apply deploy/external-metrics, or set --external-metrics-listen= to silence this",
			"err", err)
		return append(sinks, store), nil
	case err != nil:
		_ = ln.Close()
		return nil, err
	}
	go func() {
		if err := server.Run(ctx); err != nil {
			log.Error("external metrics API server stopped", "err", err)
		}
	}()
	log.Info("external metrics API serving", "addr", ln.Addr().String(), "stale_after", e.staleAfter,
		"fallback_replicas", e.fallbackReplicas)
	return append(sinks, store), nil
}

// routeExternal serves the store as JSON on the main HTTP port, for KEDA's
// metrics-api scaler.
func (o *serveOptions) routeExternal(r chi.Router) {
	if o.external.store != nil {
		r.Handle(external.JSONPath+"*", external.JSONHandler(o.external.store, time.Now))
	}
}

// checkAPIService says in the log who serves external metrics to HPAs:
// only one server can, per cluster.
func checkAPIService(ctx context.Context, dyn dynamic.Interface, ours external.ServiceRef, serving bool, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	own, err := external.CheckAPIService(ctx, dyn, ours)
	switch {
	case err != nil:
		log.Warn("could not check who serves external metrics", "apiservice", external.APIServiceName, "err", err)
	case !own.Registered:
		log.Info("no APIService routes external metrics: apply deploy/external-metrics for HPAs to reach pacer",
			"apiservice", external.APIServiceName)
	case !own.Ours:
		log.Warn("another server owns the external metrics APIService: HPAs reach it, not pacer; pacer serves its values as JSON for KEDA's metrics-api scaler and on /metrics for prometheus-adapter",
			"apiservice", external.APIServiceName, "owner", own.Owner, "pacer_service", ours.String())
	case !serving:
		log.Warn("the external metrics APIService routes to pacer, but --external-metrics-listen is empty: HPAs on pacer's metrics get errors",
			"apiservice", external.APIServiceName, "service", ours.String())
	default:
		log.Info("the external metrics APIService routes to pacer", "apiservice", external.APIServiceName,
			"service", ours.String(), "available", own.Available, "message", own.Message)
	}
}
