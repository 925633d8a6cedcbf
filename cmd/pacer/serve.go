package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/pacerdev/pacer/actuator/metrics"
	"github.com/pacerdev/pacer/actuator/report"
	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/kube"
	promsource "github.com/pacerdev/pacer/sources/prometheus"
	"github.com/pacerdev/pacer/sources/scrape"
)

// servePieceSamples bounds the history serve fetches and folds at once on
// start and after a gap: 24 hours of 10,000 pods at one sample a minute is
// tens of millions of samples, far more than one answer should hold. About
// a million samples is a piece of some 100 MiB while decoding; a start cut
// short by the cycle deadline resumes where it stopped.
const servePieceSamples = 1_000_000

type serveOptions struct {
	sources         sourceOptions
	kube            kubeOptions
	namespace       string
	policyFile      string
	interval        time.Duration
	step            time.Duration
	lookback        time.Duration
	cycleTimeout    time.Duration
	listen          string
	recommenderName string
	dryRun          bool
	direct          bool
	pprof           bool
	resourceMetrics bool
	rateMetrics     []string
	leader          leaderOptions
	external        externalOptions
}

func newServeCommand(g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run pacer in a cluster: recommend every interval, write VPA status and HPA targets, serve the API and dashboard",
		Long: `serve is pacer's in-cluster service. Every --interval it reads the new signals
(from Prometheus, or pacer's own scraper), folds them into the policy state,
recommends for every workload, and publishes: the status of VPAs that name
pacer (--recommender-name), the targets of HPAs opted in with
pacer.dev/mode: apply, the workloads themselves in --direct mode, and its own
HTTP API, dashboard and /metrics. Every replica computes and serves; only the
leader (a Lease) writes. --dry-run writes nothing anywhere.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			return o.run(cmd.Context(), cmd.ErrOrStderr(), log)
		},
	}
	fs := cmd.Flags()
	o.sources.addFlags(fs)
	o.kube.addFlags(fs)
	o.leader.addFlags(fs)
	o.external.addFlags(fs)
	fs.StringVar(&o.namespace, "watch-namespace", "", "only this namespace (default: all)")
	fs.StringVar(&o.policyFile, "policy", "", "policy file (default: the built-in policy)")
	fs.DurationVar(&o.interval, "interval", time.Minute, "time between cycles")
	fs.DurationVar(&o.step, "step", time.Minute, "resolution signals are read at")
	fs.DurationVar(&o.lookback, "lookback", 24*time.Hour, "history read at start, and at most after a gap")
	fs.DurationVar(&o.cycleTimeout, "cycle-timeout", 0, "deadline of each cycle (default: the interval)")
	fs.StringVar(&o.listen, "listen", ":8080", "address of the HTTP API, dashboard, /metrics, /healthz and /readyz")
	fs.StringVar(&o.recommenderName, "recommender-name", "pacer", "the VPA recommender name pacer answers to")
	fs.BoolVar(&o.dryRun, "dry-run", false, "compute, serve and report, but write nothing to the cluster")
	fs.BoolVar(&o.direct, "direct", false, "direct mode: patch the requests, limits and Go settings of workloads in apply mode that no VPA covers")
	fs.BoolVar(&o.pprof, "pprof", false, "serve Go's pprof profiles under /debug/pprof/")
	fs.BoolVar(&o.resourceMetrics, "resource-metrics-fallback", true, "read container CPU and memory from metrics.k8s.io when the source has none")
	fs.StringArrayVar(&o.rateMetrics, "hpa-rate-metric", []string{"http_requests_per_second", "pacer_request_rate"},
		"name of an HPA's per-pod request-rate metric whose target pacer sets (repeatable)")
	return cmd
}

// Validate reports every bad flag at once.
func (o *serveOptions) Validate() error {
	var errs []error
	kind, err := o.sources.kind()
	switch {
	case err != nil:
		errs = append(errs, err)
	case kind == "--trace":
		errs = append(errs, errors.New("serve needs a live source: --prometheus-url or --scrape, not --trace"))
	}
	if o.interval <= 0 || o.step <= 0 || o.lookback < o.step || o.cycleTimeout < 0 {
		errs = append(errs, fmt.Errorf("--interval %s, --step %s, --lookback %s, --cycle-timeout %s: want positive durations, a lookback of at least one step",
			o.interval, o.step, o.lookback, o.cycleTimeout))
	}
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		errs = append(errs, fmt.Errorf("--listen %q: %w", o.listen, err))
	}
	if o.recommenderName == "" {
		errs = append(errs, errors.New("--recommender-name is empty"))
	}
	errs = append(errs, o.leader.validate()...)
	return errors.Join(errs...)
}

func (o *serveOptions) run(ctx context.Context, stderr io.Writer, log *slog.Logger) error {
	if err := o.Validate(); err != nil {
		return err
	}
	set := policy.DefaultSet()
	if o.policyFile != "" {
		var err error
		if set, err = loadPolicy(o.policyFile); err != nil {
			return err
		}
	}
	cfg, clusterName, err := o.kube.config()
	if err != nil {
		return err
	}
	typed, dyn, err := clients(cfg)
	if err != nil {
		return err
	}
	watcher, err := kube.NewWatcher(typed, dyn, kube.WatchOptions{Namespace: o.namespace})
	if err != nil {
		return err
	}
	src, where, err := o.source(log)
	if err != nil {
		return err
	}
	scraper, _ := src.(*scrape.Scraper) // runs beside the loop, before any wrapping
	if o.resourceMetrics {
		mc, err := metricsclient.NewForConfig(cfg)
		if err != nil {
			return fmt.Errorf("resource metrics client: %w", err)
		}
		src = kube.WithResourceMetrics(src, mc)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := metrics.New(reg)
	if err != nil {
		return err
	}
	eval := newClusterEvaluator(set, watcher, log)
	dash := report.NewDashboard(src, report.DashboardOptions{
		Heading: "pacer — " + clusterName, Source: where, PolicyFile: orDefault(o.policyFile, "built-in default"),
		ChartWindow: 6 * time.Hour, ChartStep: max(o.step, time.Minute), Refresh: o.interval,
		WorkloadOf: eval.workloadOf, Current: eval.current,
	})
	leading := &atomic.Bool{}
	writers, err := o.actuators(ctx, cfg, typed, watcher, eval, exporter, log)
	if err != nil {
		return err
	}
	sinks := []recommender.Sink{exporter, dash}
	for _, w := range writers {
		sinks = append(sinks, leaderOnly{w, leading})
	}
	if sinks, err = o.startExternal(ctx, sinks, cfg, typed, dyn, reg, eval.workloadOf, log); err != nil {
		return err
	}
	loop, err := recommender.NewLoop(src, eval, recommender.LoopOptions{
		Interval: o.interval, Timeout: o.cycleTimeout, Step: o.step, Lookback: o.lookback, PieceSamples: servePieceSamples,
		Selector: selectorOf(o.namespace), WorkloadOf: eval.workloadOf, Current: eval.current, Log: log,
	}, sinks...)
	if err != nil {
		return err
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	srv := &http.Server{Handler: o.router(reg, dash, loop, watcher), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "pacer serve: cluster %s, signals from %s, HTTP on %s; dry run %t\n", clusterName, where, ln.Addr(), o.dryRun)

	g, ctx := errgroup.WithContext(ctx)
	watcher.Start(ctx)
	serveHTTP(ctx, g, srv, ln, "HTTP server", 10*time.Second)
	if scraper != nil {
		g.Go(func() error { return scraper.Run(ctx) })
	}
	g.Go(func() error {
		return o.leader.run(ctx, typed, func(lead bool) {
			leading.Store(lead)
			exporter.SetLeader(lead)
			log.Info("leadership changed", "leading", lead)
		}, log)
	})
	g.Go(func() error {
		if !watcher.WaitForSync(ctx) {
			return ctx.Err()
		}
		log.Info("caches synced; starting the loop")
		return loop.Run(ctx)
	})
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func selectorOf(namespace string) recommender.Selector {
	if namespace == "" {
		return recommender.Selector{}
	}
	return recommender.Selector{Namespaces: []string{namespace}}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// source opens the live signal source.
func (o *serveOptions) source(log *slog.Logger) (recommender.Source, string, error) {
	if kind, _ := o.sources.kind(); kind == "--scrape" {
		so, err := o.sources.scrapeOptions(log)
		if err != nil {
			return nil, "", err
		}
		so.Retention = max(so.Retention, o.lookback)
		s, err := scrape.New(so)
		if err != nil {
			return nil, "", err
		}
		return s, fmt.Sprintf("%d scrape targets", len(so.Targets)), nil
	}
	po, err := o.sources.prometheusOptions()
	if err != nil {
		return nil, "", err
	}
	src, err := promsource.New(po)
	if err != nil {
		return nil, "", err
	}
	return src, "Prometheus " + po.RedactedURL(), nil
}

// router serves health, metrics, pprof and the dashboard with its API.
func (o *serveOptions) router(reg *prometheus.Registry, dash *report.Dashboard, loop *recommender.Loop, watcher *kube.Watcher) http.Handler {
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !loop.Alive(time.Now()) && loop.Last() != nil {
			http.Error(w, "the loop has not started a cycle for 1.5 intervals", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if msg := readiness(watcher, loop); msg != "" {
			http.Error(w, msg, http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	r.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if o.pprof {
		r.HandleFunc("/debug/pprof/*", pprof.Index)
		r.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		r.HandleFunc("/debug/pprof/profile", pprof.Profile)
		r.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		r.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	o.routeExternal(r)
	r.Mount("/", dash.Handler())
	return r
}

// readiness says why pacer is not ready, or "" when it is: caches synced
// and the last cycle read from the source. A source that answers with no
// Go pods at all is ready (an empty cluster must still roll out); the
// PacerSourceNoData alert covers that case.
func readiness(watcher *kube.Watcher, loop *recommender.Loop) string {
	if !watcher.Synced() {
		return "the Kubernetes caches have not synced"
	}
	c := loop.Last()
	switch {
	case c == nil:
		return "no cycle has finished"
	case c.Err != nil || c.Snapshot == nil:
		return fmt.Sprintf("the last cycle failed: %v", c.Err)
	}
	return ""
}

// leaderOnly passes cycles to a writer only while this replica leads.
type leaderOnly struct {
	sink    recommender.Sink
	leading *atomic.Bool
}

func (l leaderOnly) Publish(ctx context.Context, c *recommender.Cycle) error {
	if !l.leading.Load() {
		return nil
	}
	return l.sink.Publish(ctx, c)
}

// hostname names this replica in the leader lease.
func hostname() string {
	if name := os.Getenv("POD_NAME"); name != "" {
		return name
	}
	name, err := os.Hostname()
	if err != nil {
		return "pacer"
	}
	return name
}
