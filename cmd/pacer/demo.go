package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/pacerdev/pacer/actuator/report"
	"github.com/pacerdev/pacer/demo"
	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/scrape"
)

type demoOptions struct {
	appBinary      string
	duration       time.Duration
	scrapeInterval time.Duration
	interval       time.Duration
	listen         string
	output         string
}

func newDemoCommand(g *globalOptions) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run demo Go workloads locally, recommend for them live, and serve the dashboard",
		Long: `demo is pacer's main job on its embedded default: it starts several demo Go
services with different load profiles (steady, diurnal, spiky,
allocation-heavy, goroutine-leaking) on loopback, scrapes them with pacer's
built-in scraper, evaluates the default policy continuously - with its windows
scaled down from days to minutes, so the first recommendations appear within a
minute - and serves a live dashboard: the workloads, their signals as charts,
each recommendation with its reasons, and the HTML report.
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
	fs.DurationVar(&o.scrapeInterval, "scrape-interval", 2*time.Second, "interval of the built-in scraper")
	fs.DurationVar(&o.interval, "interval", 5*time.Second, "how often the policy is evaluated and the screen refreshed")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "dashboard address; when taken, a free port on the same host")
	fs.StringVarP(&o.output, "output", "o", "table", "what the terminal shows each cycle: table, or json (one line per cycle)")
	return cmd
}

// Validate reports every bad flag at once.
func (o *demoOptions) Validate() error {
	var errs []error
	if o.duration < 0 {
		errs = append(errs, fmt.Errorf("--duration %s is negative", o.duration))
	}
	if o.scrapeInterval < 100*time.Millisecond || o.interval < o.scrapeInterval {
		errs = append(errs, fmt.Errorf("--scrape-interval %s and --interval %s: want at least 100ms, and an interval no shorter than the scrape interval", o.scrapeInterval, o.interval))
	}
	if o.output != "table" && o.output != "json" {
		errs = append(errs, fmt.Errorf("--output %q: want table or json", o.output))
	}
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		errs = append(errs, fmt.Errorf("--listen %q: %w", o.listen, err))
	}
	return errors.Join(errs...)
}

// demoRateRange is the range rates are computed over in the demo: short,
// so the first rates are there within seconds.
const demoRateRange = 30 * time.Second

func (o *demoOptions) run(ctx context.Context, stdout, stderr io.Writer, log *slog.Logger) error {
	if err := o.Validate(); err != nil {
		return err
	}
	binary, err := demoBinary(o.appBinary)
	if err != nil {
		return err
	}
	set, err := policy.Parse(demo.Policy, demo.PolicyName)
	if err != nil {
		return err
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	procs, targets, stop, err := startDemoWorkloads(ctx, binary, log)
	defer stop()
	if err != nil {
		return err
	}
	so := &sourceOptions{scrapeTargets: targets, scrapeInterval: o.scrapeInterval, rateRange: demoRateRange}
	scrapeOpts, err := so.scrapeOptions(log)
	if err != nil {
		return err
	}
	scrapeOpts.Retention = 30 * time.Minute
	scraper, err := scrape.New(scrapeOpts)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("%d demo workloads, built-in scraper every %s", len(procs), o.scrapeInterval)
	dash := report.NewDashboard(scraper, report.DashboardOptions{
		Heading: "pacer demo — live", Source: where, PolicyFile: demo.PolicyName,
		Notice: "A demo: the default policy's windows are scaled down from days to minutes (45 s of history, " +
			"a 5-minute half-life) so that recommendations appear within a minute. The rules and thresholds are the default's.",
		ChartWindow: 15 * time.Minute, ChartStep: o.scrapeInterval, Refresh: o.interval,
	})
	engine := policy.NewEngine(func(w recommender.WorkloadRef) (policy.Policy, error) { return set.For(w, nil, nil) })
	loop, err := recommender.NewLoop(scraper, engine, recommender.LoopOptions{
		Interval: o.interval, Step: o.scrapeInterval, Lookback: 15 * time.Minute, Log: log,
	}, dash, &demoScreen{w: stdout, format: o.output, tty: isTerminal(stdout), where: where})
	if err != nil {
		return err
	}

	ln, err := listen(ctx, o.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: dash.Handler(), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(stderr, "pacer demo: %d Go workloads running; scraping every %s, evaluating every %s.\n", len(procs), o.scrapeInterval, o.interval)
	fmt.Fprintf(stderr, "pacer demo: dashboard at http://%s/  (recommendations appear within a minute; Ctrl-C stops)\n", ln.Addr())

	scraper.ScrapeOnce(ctx) // the loop's first cycle finds data
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return scraper.Run(ctx) })
	g.Go(func() error { return loop.Run(ctx) })
	serveHTTP(ctx, g, srv, ln, "dashboard", 5*time.Second)
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// serveHTTP serves srv on ln in g until ctx ends, then shuts it down,
// giving requests in flight up to grace to finish.
func serveHTTP(ctx context.Context, g *errgroup.Group, srv *http.Server, ln net.Listener, what string, grace time.Duration) {
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
		defer cancel()
		return srv.Shutdown(shutdown)
	})
}

// listen binds the dashboard's address, or a free port on the same host
// when that one is taken.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err == nil {
		return ln, nil
	}
	host, _, _ := net.SplitHostPort(addr)
	if ln, err2 := lc.Listen(ctx, "tcp", net.JoinHostPort(host, "0")); err2 == nil {
		return ln, nil
	}
	return nil, fmt.Errorf("dashboard: %w", err)
}

// demoScreen shows each cycle on the terminal: the report table, redrawn
// in place on a terminal, or one JSON report per line.
type demoScreen struct {
	w      io.Writer
	format string
	tty    bool
	where  string
}

func (s *demoScreen) Publish(_ context.Context, c *recommender.Cycle) error {
	rep := report.Build(report.Input{GeneratedAt: c.At.UTC(), Source: s.where, Window: c.Window,
		PolicyFile: demo.PolicyName, Recommendations: c.Recommendations})
	if s.format == "json" {
		var buf bytes.Buffer
		if err := report.Write(&buf, rep, report.FormatJSON, report.WriteOptions{}); err != nil {
			return err
		}
		compact := &bytes.Buffer{}
		if err := json.Compact(compact, buf.Bytes()); err != nil {
			return err
		}
		compact.WriteByte('\n')
		_, err := s.w.Write(compact.Bytes())
		return err
	}
	if s.tty {
		fmt.Fprint(s.w, "\033[H\033[2J")
	}
	return report.Write(s.w, rep, report.FormatTable, report.WriteOptions{Color: s.tty})
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
