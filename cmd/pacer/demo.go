package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/pacerdev/pacer/demo"
)

type demoOptions struct {
	appBinary      string
	duration       time.Duration
	scrapeInterval time.Duration
	output         string
}

func newDemoCommand(g *globalOptions) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run demo Go workloads locally and show their live signals",
		Long: `demo starts several demo Go services with different load profiles (steady,
diurnal, spiky, allocation-heavy, goroutine-leaking) on loopback, scrapes them
with pacer's built-in scraper and shows their signals as pacer top does.
No cluster and no Prometheus are needed. Ctrl-C stops everything.`,
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
	fs.StringVar(&o.appBinary, "app-binary", "", "demo workload executable (default: "+demo.AppBinary+" next to pacer, else on PATH)")
	fs.DurationVar(&o.duration, "duration", 0, "stop after this long (0: until interrupted)")
	fs.DurationVar(&o.scrapeInterval, "scrape-interval", 2*time.Second, "interval of the built-in scraper and of the refresh")
	fs.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	return cmd
}

func (o *demoOptions) run(ctx context.Context, stdout, stderr io.Writer, log *slog.Logger) error {
	if o.duration < 0 {
		return fmt.Errorf("--duration %s is negative", o.duration)
	}
	binary, err := demoBinary(o.appBinary)
	if err != nil {
		return err
	}
	top := &topOptions{
		output: o.output, watch: true, interval: o.scrapeInterval, duration: o.duration,
		sources: sourceOptions{scrapeInterval: o.scrapeInterval, rateRange: 30 * time.Second},
	}
	procs, targets, stop, err := startDemoWorkloads(ctx, binary, log)
	defer stop()
	if err != nil {
		return err
	}
	top.sources.scrapeTargets = targets
	fmt.Fprintf(stderr, "pacer demo: %d Go workloads running; scraping every %s, rates over %s. Ctrl-C stops.\n",
		len(procs), o.scrapeInterval, top.sources.rateRange)
	err = top.run(ctx, stdout, stderr, log)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// logWriter turns a child's stderr lines into log records.
type logWriter struct {
	log      *slog.Logger
	workload string
}

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Debug("demo workload output", "workload", w.workload, "line", string(p))
	return len(p), nil
}

// demoBinary returns the demo workload executable: the flag's, else found.
func demoBinary(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	return demo.FindBinary()
}

// startDemoWorkloads starts the default demo workloads and returns them with
// their scrape targets. stop ends every process started, also after an error.
func startDemoWorkloads(ctx context.Context, binary string, log *slog.Logger) (procs []*demo.Process, targets []string, stop func(), err error) {
	stop = func() {
		for _, p := range procs {
			if err := p.Stop(); err != nil {
				log.Warn("demo workload did not stop cleanly", "workload", p.Workload.Name, "err", err)
			}
		}
	}
	for _, w := range demo.DefaultWorkloads() {
		p, err := demo.Start(ctx, binary, w, logWriter{log, w.Name})
		if err != nil {
			return procs, nil, stop, err
		}
		procs = append(procs, p)
		targets = append(targets, p.URL+"/metrics#"+url.Values{
			"namespace": {"demo"}, "pod": {demo.PodName(w.Name)}, "container": {"app"},
		}.Encode())
		log.Info("demo workload started", "workload", w.Name, "url", p.URL, "args", w.Args)
	}
	return procs, targets, stop, nil
}
