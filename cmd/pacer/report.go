package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/pacerdev/pacer/actuator/report"
	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/kube"
	"github.com/pacerdev/pacer/sources/prometheus"
	"github.com/pacerdev/pacer/sources/scrape"
)

type reportOptions struct {
	sources        sourceOptions
	kube           kubeOptions
	noKube         bool
	namespaces     []string
	allNamespaces  bool
	selector       string
	window         time.Duration
	step           time.Duration
	at             string
	scrapeDuration time.Duration
	policyFile     string
	output         string
	prices         report.Prices
}

func newReportCommand(g *globalOptions) *cobra.Command {
	o := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Recommend CPU, memory, GOMEMLIMIT, GOMAXPROCS and replicas from history; changes nothing",
		Long: `report evaluates a policy (the built-in default, or --policy FILE) over the
history window of every workload and prints, per workload and container, the
current and recommended requests, limits, GOMEMLIMIT, GOMAXPROCS and replicas,
the reasons, the risks, and what the change saves or costs. It never writes
anything to a cluster.

Signals come from Prometheus (--prometheus-url), pacer's own scraper
(--scrape URL, repeatable; it scrapes for --scrape-duration first) or a
recorded trace (--trace FILE). What workloads run with now comes from
Kubernetes: with --prometheus-url the current kubeconfig context is used when
there is one (--no-kube reads Prometheus alone); with --scrape or --trace only
when --kubeconfig or --context is given. Without Kubernetes, workloads are
inferred from pod names and current values are shown as unknown.`,
		Example: `  pacer report --prometheus-url http://prometheus:9090 -n shop
  pacer report --prometheus-url http://prometheus:9090 -A -l team=payments -o html > report.html
  pacer report --trace testdata/traces/demo-30m.om --policy testdata/policies/demo.yaml -o markdown
  pacer report --prometheus-url http://prometheus:9090 -o patch | kubectl apply --server-side --field-manager=pacer -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), log)
		},
	}
	fs := cmd.Flags()
	o.sources.addFlags(fs)
	o.kube.addFlags(fs)
	fs.BoolVar(&o.noKube, "no-kube", false, "do not read workloads from Kubernetes")
	fs.StringArrayVarP(&o.namespaces, "namespace", "n", nil, "only this namespace (repeatable)")
	fs.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "all namespaces (the default when -n is not given)")
	fs.StringVarP(&o.selector, "selector", "l", "", "only workloads whose labels match this selector, e.g. team=payments (needs Kubernetes)")
	fs.DurationVar(&o.window, "window", 7*24*time.Hour, "history window the recommendation is computed over")
	fs.DurationVar(&o.step, "step", 5*time.Minute, "resolution of the history")
	fs.StringVar(&o.at, "at", "", "end of the window, RFC 3339 (default: now, or the trace's end)")
	fs.DurationVar(&o.scrapeDuration, "scrape-duration", time.Minute, "with --scrape: how long to scrape before reporting")
	fs.StringVar(&o.policyFile, "policy", "", "policy file (default: the built-in policy)")
	fs.StringVarP(&o.output, "output", "o", "table", "output format: table, json, yaml, markdown, csv, html or patch")
	fs.Float64Var(&o.prices.PerCoreHour, "price-per-core-hour", 0, "price of one CPU core for an hour, for costs in money")
	fs.Float64Var(&o.prices.PerGiBHour, "price-per-gib-hour", 0, "price of one GiB of memory for an hour")
	fs.StringVar(&o.prices.Currency, "currency", "USD", "currency the prices are in")
	return cmd
}

// Validate reports every bad flag at once.
func (o *reportOptions) Validate() error {
	var errs []error
	kind, err := o.sources.kind()
	if err != nil {
		errs = append(errs, err)
	}
	if _, err := report.ParseFormat(o.output); err != nil {
		errs = append(errs, fmt.Errorf("--output: %w", err))
	}
	if o.allNamespaces && len(o.namespaces) > 0 {
		errs = append(errs, errors.New("--all-namespaces and --namespace exclude each other"))
	}
	if o.step <= 0 || o.window < o.step {
		errs = append(errs, fmt.Errorf("--window %s and --step %s: want a positive step no longer than the window", o.window, o.step))
	}
	if o.prices.PerCoreHour < 0 || o.prices.PerGiBHour < 0 {
		errs = append(errs, errors.New("--price-per-core-hour and --price-per-gib-hour must not be negative"))
	}
	if kind == "--scrape" && o.scrapeDuration < 2*o.sources.scrapeInterval {
		errs = append(errs, fmt.Errorf("--scrape-duration %s: want at least two scrapes (2 × --scrape-interval %s)", o.scrapeDuration, o.sources.scrapeInterval))
	}
	if _, err := labels.Parse(o.selector); err != nil {
		errs = append(errs, fmt.Errorf("--selector %q: %w", o.selector, err))
	}
	if o.noKube && o.kube.explicit() {
		errs = append(errs, errors.New("--no-kube excludes --kubeconfig and --context"))
	}
	if o.selector != "" && (o.noKube || (kind != "--prometheus-url" && !o.kube.explicit())) {
		errs = append(errs, errors.New("--selector selects by workload labels, which come from Kubernetes: give --kubeconfig or --context"))
	}
	return errors.Join(errs...)
}

func (o *reportOptions) run(ctx context.Context, stdout, stderr io.Writer, log *slog.Logger) error {
	if err := o.Validate(); err != nil {
		return err
	}
	format, _ := report.ParseFormat(o.output)
	set := policy.DefaultSet()
	if o.policyFile != "" {
		var err error
		if set, err = loadPolicy(o.policyFile); err != nil {
			return err
		}
	}
	bar := newProgress(stderr)
	defer bar.Done()

	bar.Stage("reading workloads from Kubernetes")
	inv, err := o.inventory(ctx, log)
	if err != nil {
		return err
	}
	src, where, end, err := o.source(ctx, bar, log)
	if err != nil {
		return err
	}
	window := o.window
	if tr, ok := src.(*scrape.Trace); ok {
		start, _ := tr.Span()
		window = min(window, end.Sub(start).Truncate(o.step))
	}
	engine := policy.NewEngine(func(w recommender.WorkloadRef) (policy.Policy, error) {
		if inv == nil {
			return set.For(w, nil, nil)
		}
		k := inv.Workloads[w]
		if k == nil {
			return set.For(w, nil, nil)
		}
		return set.For(w, k.Labels, k.Annotations)
	})
	lo := recommender.LoopOptions{
		Interval: o.step, Step: o.step, Lookback: max(window, o.step), Timeout: 10 * time.Minute,
		Selector: recommender.Selector{Namespaces: o.namespaces},
		Now:      func() time.Time { return end }, Log: log,
	}
	if inv != nil {
		lo.WorkloadOf, lo.Current = inv.WorkloadOf, inv.Current
	}
	loop, err := recommender.NewLoop(src, engine, lo)
	if err != nil {
		return err
	}
	bar.Stage("reading %s of signals from %s", window, where)
	cycle := loop.RunCycle(ctx)
	if cycle.Err != nil {
		return fmt.Errorf("reading signals from %s: %w", where, cycle.Err)
	}
	recs := cycle.Recommendations
	if inv != nil {
		recs = slices.DeleteFunc(recs, func(r recommender.Recommendation) bool { return !inv.Selected(r.Workload) })
		for _, w := range inv.Warnings {
			log.Warn("reading Kubernetes", "warning", w)
		}
	}
	generated, err := generatedAt()
	if err != nil {
		return err
	}
	in := report.Input{
		GeneratedAt: generated, Source: where, Window: cycle.Window, PolicyFile: o.policyFile,
		Recommendations: recs, Usage: cycle.Snapshot,
	}
	if inv != nil {
		in.Current, in.WorkloadOf = inv.Current, inv.WorkloadOf
	}
	if o.prices.PerCoreHour > 0 || o.prices.PerGiBHour > 0 {
		prices := o.prices
		in.Prices = &prices
	}
	bar.Done()
	return report.Write(stdout, report.Build(in), format, report.WriteOptions{Color: isTerminal(stdout)})
}

// inventory reads the cluster when the flags and source call for it; nil
// when the report goes without Kubernetes.
func (o *reportOptions) inventory(ctx context.Context, log *slog.Logger) (*kube.Inventory, error) {
	kind, _ := o.sources.kind()
	if o.noKube || (kind != "--prometheus-url" && !o.kube.explicit()) {
		return nil, nil
	}
	cfg, name, err := o.kube.config()
	if errors.Is(err, errNoKubeconfig) && !o.kube.explicit() {
		log.Info("no kubeconfig: workloads are inferred from pod names and current values are unknown")
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	typed, dyn, err := clients(cfg)
	if err != nil {
		return nil, err
	}
	sel, _ := labels.Parse(o.selector)
	inv, err := kube.Load(ctx, typed, dyn, kube.Options{Namespaces: o.namespaces, Selector: sel})
	if err != nil {
		return nil, fmt.Errorf("reading workloads from Kubernetes context %q (--no-kube reads Prometheus alone): %w", name, err)
	}
	log.Debug("read workloads from Kubernetes", "context", name, "workloads", len(inv.Workloads))
	return inv, nil
}

// source opens the signal source and returns it, a name for it, and the
// window's end.
func (o *reportOptions) source(ctx context.Context, bar *progress, log *slog.Logger) (recommender.Source, string, time.Time, error) {
	kind, _ := o.sources.kind()
	at, err := parseAt(o.at)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	switch kind {
	case "--prometheus-url":
		po, err := o.sources.prometheusOptions()
		if err != nil {
			return nil, "", time.Time{}, err
		}
		src, err := prometheus.New(po)
		if err != nil {
			return nil, "", time.Time{}, err
		}
		return src, "Prometheus " + po.RedactedURL(), at.Or(time.Now()), nil
	case "--scrape":
		so, err := o.sources.scrapeOptions(log)
		if err != nil {
			return nil, "", time.Time{}, err
		}
		so.Retention = max(so.Retention, o.scrapeDuration+o.step)
		s, err := scrape.New(so)
		if err != nil {
			return nil, "", time.Time{}, err
		}
		bar.Stage("scraping %d targets for %s", len(so.Targets), o.scrapeDuration)
		scrapeCtx, cancel := context.WithTimeout(ctx, o.scrapeDuration)
		defer cancel()
		if err := s.Run(scrapeCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, "", time.Time{}, err
		}
		if err := ctx.Err(); err != nil {
			return nil, "", time.Time{}, err
		}
		return s, fmt.Sprintf("%d scrape targets", len(so.Targets)), at.Or(time.Now()), nil
	default:
		t, err := scrape.OpenTrace(o.sources.trace, scrape.TraceOptions{
			NamespaceLabel: o.sources.labels.Namespace, PodLabel: o.sources.labels.Pod,
			ContainerLabel: o.sources.labels.Container, RateRange: o.sources.rateRange,
		})
		if err != nil {
			return nil, "", time.Time{}, err
		}
		_, end := t.Span()
		return t, "trace " + o.sources.trace, at.Or(end), nil
	}
}

// generatedAt is now, or SOURCE_DATE_EPOCH when set: the reproducible
// builds convention, which makes a report byte-for-byte repeatable.
func generatedAt() (time.Time, error) {
	epoch := os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		return time.Now().UTC(), nil
	}
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970", epoch)
	}
	return time.Unix(sec, 0).UTC(), nil
}

func parseAt(s string) (optionalTime, error) {
	if s == "" {
		return optionalTime{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return optionalTime{}, fmt.Errorf("--at %q: %w", s, err)
	}
	return optionalTime{t, true}, nil
}
