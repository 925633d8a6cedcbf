package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/prometheus"
	"github.com/pacerdev/pacer/sources/scrape"
)

type topOptions struct {
	sources       sourceOptions
	output        string
	namespaces    []string
	allNamespaces bool
	pods          bool
	watch         bool
	interval      time.Duration
	duration      time.Duration
	at            string
}

func newTopCommand(g *globalOptions) *cobra.Command {
	o := &topOptions{}
	cmd := &cobra.Command{
		Use:   "top",
		Short: "Show the live Go runtime signals of each workload",
		Long: `top shows, per workload, the Go runtime signals pacer reads: goroutines,
allocation rate, live heap, GC cycles per minute, request rate, CPU and memory.
Signals come from Prometheus (--prometheus-url), from pacer's own scraper
(--scrape URL, repeatable) or from a recorded trace (--trace FILE).
A dash means no data, never zero; the reasons are printed on stderr.`,
		Example: `  pacer top --prometheus-url http://prometheus:9090 -n shop
  pacer top --scrape 'http://127.0.0.1:8080/metrics#namespace=shop&pod=checkout-7d9f8b6c5d-x2x4z' --watch
  pacer top --trace testdata/traces/demo.om -o json`,
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
	fs.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	fs.StringArrayVarP(&o.namespaces, "namespace", "n", nil, "only this namespace (repeatable)")
	fs.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "all namespaces (the default when -n is not given)")
	fs.BoolVar(&o.pods, "pods", false, "one row per pod and container instead of per workload")
	fs.BoolVarP(&o.watch, "watch", "w", false, "refresh every --interval until interrupted")
	fs.DurationVar(&o.interval, "interval", 5*time.Second, "refresh interval with --watch")
	fs.DurationVar(&o.duration, "duration", 0, "with --watch, stop after this long (0: until interrupted)")
	fs.StringVar(&o.at, "at", "", "with --trace or --prometheus-url: the instant to show, RFC 3339 (default: the trace's end or now)")
	return cmd
}

func (o *topOptions) validate() error {
	var errs []error
	if o.output != "table" && o.output != "json" {
		errs = append(errs, fmt.Errorf("--output %q: want table or json", o.output))
	}
	if o.allNamespaces && len(o.namespaces) > 0 {
		errs = append(errs, errors.New("--all-namespaces and --namespace exclude each other"))
	}
	if o.interval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("--interval %s is shorter than 100ms", o.interval))
	}
	if o.duration < 0 {
		errs = append(errs, fmt.Errorf("--duration %s is negative", o.duration))
	}
	kind, err := o.sources.kind()
	if err != nil {
		errs = append(errs, err)
	}
	if kind == "--trace" && o.watch {
		errs = append(errs, errors.New("--watch needs a live source, not --trace"))
	}
	if kind == "--scrape" && o.at != "" {
		errs = append(errs, errors.New("--at needs --trace or --prometheus-url"))
	}
	return errors.Join(errs...)
}

// topSource is a source plus what top must do before each look at it.
type topSource struct {
	src     recommender.Source
	where   string
	refresh func(ctx context.Context) error
	at      func() time.Time
}

func (o *topOptions) source(ctx context.Context, log *slog.Logger) (*topSource, error) {
	kind, _ := o.sources.kind()
	fixed, err := o.fixedTime()
	if err != nil {
		return nil, err
	}
	now := func() time.Time { return fixed.Or(time.Now()) }
	switch kind {
	case "--prometheus-url":
		po, err := o.sources.prometheusOptions()
		if err != nil {
			return nil, err
		}
		src, err := prometheus.New(po)
		if err != nil {
			return nil, err
		}
		return &topSource{src: src, where: po.RedactedURL(), refresh: noRefresh, at: now}, nil
	case "--scrape":
		so, err := o.sources.scrapeOptions(log)
		if err != nil {
			return nil, err
		}
		s, err := scrape.New(so)
		if err != nil {
			return nil, err
		}
		// Rates need two scrapes: take the first one now, the next before each look.
		s.ScrapeOnce(ctx)
		if err := sleep(ctx, so.Interval); err != nil {
			return nil, err
		}
		return &topSource{src: s, where: fmt.Sprintf("%d scrape targets", len(so.Targets)),
			refresh: func(ctx context.Context) error { s.ScrapeOnce(ctx); return nil }, at: time.Now}, nil
	default:
		t, err := scrape.OpenTrace(o.sources.trace, scrape.TraceOptions{
			NamespaceLabel: o.sources.labels.Namespace, PodLabel: o.sources.labels.Pod,
			ContainerLabel: o.sources.labels.Container, RateRange: o.sources.rateRange,
		})
		if err != nil {
			return nil, err
		}
		_, end := t.Span()
		return &topSource{src: t, where: o.sources.trace, refresh: noRefresh,
			at: func() time.Time { return fixed.Or(end) }}, nil
	}
}

func noRefresh(context.Context) error { return nil }

func (o *topOptions) run(ctx context.Context, stdout, stderr io.Writer, log *slog.Logger) error {
	if err := o.validate(); err != nil {
		return err
	}
	src, err := o.source(ctx, log)
	if err != nil {
		return err
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	view := newTopView(stdout, stderr, o.output, o.pods, o.watch)
	for {
		if err := src.refresh(ctx); err != nil {
			return err
		}
		snap, err := src.src.Fetch(ctx, recommender.Query{
			Window:   recommender.Window{End: src.at()},
			Selector: recommender.Selector{Namespaces: o.namespaces},
		})
		switch {
		case err != nil && !o.watch:
			return fmt.Errorf("reading signals from %s: %w", src.where, err)
		case err != nil:
			log.Warn("reading signals failed", "source", src.where, "err", err)
		default:
			if err := view.show(snap, src.where); err != nil {
				return err
			}
		}
		if !o.watch {
			return nil
		}
		if err := sleep(ctx, o.interval); err != nil {
			return nil // interrupted or --duration reached: a clean stop
		}
	}
}

// sleep waits for d or until ctx ends, and says which.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// optionalTime is a time that may be unset.
type optionalTime struct {
	t   time.Time
	set bool
}

func (f optionalTime) Or(def time.Time) time.Time {
	if f.set {
		return f.t
	}
	return def
}

func (o *topOptions) fixedTime() (optionalTime, error) {
	if o.at == "" {
		return optionalTime{}, nil
	}
	t, err := time.Parse(time.RFC3339, o.at)
	if err != nil {
		return optionalTime{}, fmt.Errorf("--at %q: %w", o.at, err)
	}
	return optionalTime{t, true}, nil
}
