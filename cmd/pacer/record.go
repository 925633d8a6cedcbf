package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pacerdev/pacer/sources/scrape"
)

type recordOptions struct {
	output         string
	targets        []string
	demo           bool
	appBinary      string
	duration       time.Duration
	scrapeInterval time.Duration
	allMetrics     bool
}

func newRecordCommand(g *globalOptions) *cobra.Command {
	o := &recordOptions{}
	cmd := &cobra.Command{
		Use:   "record -o FILE (--scrape URL... | --demo)",
		Short: "Scrape targets for a while and write what was scraped as a trace",
		Long: `record scrapes its targets with pacer's built-in scraper for --duration (or
until interrupted) and writes an OpenMetrics trace: the format --trace reads and
promtool tsdb create-blocks-from openmetrics backfills. By default only the
metrics pacer's signals are derived from are written.`,
		Example: `  pacer record --demo --duration 10m -o testdata/traces/demo.om
  pacer record --scrape 'http://127.0.0.1:8080/metrics#namespace=shop&pod=api-0' --duration 1h -o api.om`,
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
	fs.StringVarP(&o.output, "output", "o", "", "trace file to write (required)")
	fs.StringArrayVar(&o.targets, "scrape", nil, "target URL, with an optional #namespace=…&pod=…&container=… fragment (repeatable)")
	fs.BoolVar(&o.demo, "demo", false, "record the demo workloads that pacer demo runs")
	fs.StringVar(&o.appBinary, "app-binary", "", "demo workload executable, with --demo")
	fs.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to record")
	fs.DurationVar(&o.scrapeInterval, "scrape-interval", 15*time.Second, "scrape interval")
	fs.BoolVar(&o.allMetrics, "all-metrics", false, "write every scraped metric, not only those signals read")
	return cmd
}

func (o *recordOptions) validate() error {
	var errs []error
	if o.output == "" {
		errs = append(errs, errors.New("--output is required"))
	}
	if o.demo == (len(o.targets) > 0) {
		errs = append(errs, errors.New("give either --scrape targets or --demo"))
	}
	if o.duration <= 0 {
		errs = append(errs, fmt.Errorf("--duration %s must be positive", o.duration))
	}
	return errors.Join(errs...)
}

func (o *recordOptions) run(ctx context.Context, stderr io.Writer, log *slog.Logger) error {
	if err := o.validate(); err != nil {
		return err
	}
	targets := o.targets
	if o.demo {
		binary, err := demoBinary(o.appBinary)
		if err != nil {
			return err
		}
		_, demoTargets, stop, err := startDemoWorkloads(ctx, binary, log)
		defer stop()
		if err != nil {
			return err
		}
		targets = demoTargets
	}
	so := scrape.Options{Interval: o.scrapeInterval, Retention: o.duration + o.scrapeInterval, RateRange: 2 * o.scrapeInterval, Logger: log}
	for _, raw := range targets {
		t, err := scrape.ParseTarget(raw)
		if err != nil {
			return err
		}
		so.Targets = append(so.Targets, t)
	}
	s, err := scrape.New(so)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "pacer record: scraping %d targets every %s for %s into %s\n", len(so.Targets), o.scrapeInterval, o.duration, o.output)
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	if err := s.Run(runCtx); err != nil {
		return err
	}
	series, points := s.Store().Stats()
	log.Info("recorded", "series", series, "samples", points)
	return writeFileAtomic(o.output, func(w io.Writer) error {
		if o.allMetrics {
			return scrape.WriteTrace(w, s.Store())
		}
		return scrape.WriteSignalTrace(w, s.Store())
	})
}

// writeFileAtomic writes through a temporary file in the same directory and
// renames it into place, so a failed write leaves no half-written file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if err := write(tmp); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { //nolint:gosec // a trace is meant to be shared
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
