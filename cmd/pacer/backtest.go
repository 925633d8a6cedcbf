package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pacerdev/pacer/backtest/contender"
	"github.com/pacerdev/pacer/backtest/generate"
	"github.com/pacerdev/pacer/backtest/report"
	"github.com/pacerdev/pacer/backtest/sim"
	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/scrape"
)

func newBacktestCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backtest",
		Short: "Replay traces through pacer and the recommenders people run today, and score them",
		Long: `backtest answers what would have happened had a recommender's advice been
followed. It replays recorded or synthetic traces minute by minute through
pacer's policy, the VPA recommender's own logic, krr's simple strategy, the
HPA on CPU, and a perfect-hindsight oracle, applies each one's decisions as a
cluster would, and scores the outcome with Autopilot's metrics.
docs/backtest.md describes the models and the scores.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newBacktestRunCommand(), newBacktestGenerateCommand())
	return cmd
}

type backtestRunOptions struct {
	traces               []string
	policyFile           string
	output               string
	step                 time.Duration
	interval             time.Duration
	applyDelay           time.Duration
	replicaDelay         time.Duration
	minChangePercent     float64
	initialHeadroom      float64
	initialCPULimitRatio float64
	rateRange            time.Duration
	warmup               time.Duration
}

func newBacktestRunCommand() *cobra.Command {
	o := &backtestRunOptions{}
	cmd := &cobra.Command{
		Use:   "run --trace FILE...",
		Short: "Score pacer, the VPA, krr, the HPA and the oracle on traces",
		Long: `run replays each trace (--trace, repeatable) minute by minute. Every
recommender starts from the same resources (the first day's peak usage ×
--initial-headroom) and sees what the pods would have shown under its own
earlier advice. A recommendation reaches a pod at its next restart (an OOM
kill restarts it) or --apply-delay after it moved more than --min-change;
new replicas serve after --replica-delay.

--warmup gives every recommender the trace's first stretch as history
before it acts, as pacer serve reads --lookback from Prometheus on start:
pods run with the initial resources meanwhile and the scores leave it out.
Without it, pacer waits out its policy's history.minimum (a day by
default) while the HPA acts from the first minute.

Vertical: pacer's policy (the built-in default, or --policy FILE), the VPA
recommender's logic with its defaults, krr's simple strategy, and the oracle
(exactly the need of every minute). Horizontal: pacer's request-rate policy,
the HPA on CPU at 70%, and the oracle. Scores: relative and absolute slack,
OOM kills, throttled minutes, overload minutes, replica-minutes and changes
per day.

-o html writes one self-contained page with a chart per workload container.`,
		Example: `  pacer backtest run --trace testdata/traces/demo-30m.om --policy testdata/policies/demo.yaml
  pacer backtest run --trace steady.om --trace leak.om -o json
  pacer backtest run --trace diurnal.om -o html > backtest.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	flags := cmd.Flags()
	flags.StringArrayVar(&o.traces, "trace", nil, "OpenMetrics trace to replay (required, repeatable)")
	flags.StringVar(&o.policyFile, "policy", "", "pacer's policy file (default: the built-in policy)")
	flags.StringVarP(&o.output, "output", "o", "table", "output format: table, json or html")
	flags.DurationVar(&o.step, "step", time.Minute, "resolution the traces are replayed at")
	flags.DurationVar(&o.interval, "interval", time.Minute, "how often every recommender recommends")
	flags.DurationVar(&o.applyDelay, "apply-delay", 10*time.Minute, "how long a changed recommendation takes to reach a running pod")
	flags.DurationVar(&o.replicaDelay, "replica-delay", 2*time.Minute, "how long a new replica takes to serve")
	flags.Float64Var(&o.minChangePercent, "min-change", 10, "percent a recommendation must move before it is rolled out (the VPA updater's threshold)")
	flags.Float64Var(&o.initialHeadroom, "initial-headroom", 1.5, "pods start with the first day's peak usage times this")
	flags.Float64Var(&o.initialCPULimitRatio, "initial-cpu-limit-ratio", 0, "pods start with a CPU limit of this times the request (0: no limit)")
	flags.DurationVar(&o.rateRange, "rate-range", 0, "range counters are turned into per-second rates over (default: two steps)")
	flags.DurationVar(&o.warmup, "warmup", 0, "the trace's first stretch every recommender reads as history before it acts; not scored (0: none)")
	return cmd
}

// Validate reports every bad flag at once.
func (o *backtestRunOptions) Validate() error {
	var errs []error
	if len(o.traces) == 0 {
		errs = append(errs, errors.New("--trace is required"))
	}
	switch o.output {
	case "table", "json", "html":
	default:
		errs = append(errs, fmt.Errorf("--output %q: want table, json or html", o.output))
	}
	for _, d := range []struct {
		flag  string
		value time.Duration
	}{{"--step", o.step}, {"--interval", o.interval}} {
		if d.value <= 0 {
			errs = append(errs, fmt.Errorf("%s %s must be positive", d.flag, d.value))
		}
	}
	if o.step > 0 && o.interval > 0 && o.interval%o.step != 0 {
		errs = append(errs, fmt.Errorf("--interval %s must be a whole number of --step %s", o.interval, o.step))
	}
	for _, d := range []struct {
		flag  string
		value time.Duration
	}{{"--apply-delay", o.applyDelay}, {"--replica-delay", o.replicaDelay}, {"--rate-range", o.rateRange}, {"--warmup", o.warmup}} {
		if d.value < 0 {
			errs = append(errs, fmt.Errorf("%s %s must not be negative", d.flag, d.value))
		}
	}
	if o.minChangePercent < 0 || o.minChangePercent > 1000 {
		errs = append(errs, fmt.Errorf("--min-change %g: want a percentage in [0, 1000]", o.minChangePercent))
	}
	if o.initialHeadroom < 1 || o.initialHeadroom > 100 {
		errs = append(errs, fmt.Errorf("--initial-headroom %g: want a factor in [1, 100]", o.initialHeadroom))
	}
	if o.initialCPULimitRatio != 0 && (o.initialCPULimitRatio < 1 || o.initialCPULimitRatio > 100) {
		errs = append(errs, fmt.Errorf("--initial-cpu-limit-ratio %g: want 0 (no limit) or a ratio in [1, 100]", o.initialCPULimitRatio))
	}
	return errors.Join(errs...)
}

func (o *backtestRunOptions) run(ctx context.Context, stdout io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if o.rateRange == 0 {
		o.rateRange = 2 * o.step
	}
	set, policyName := policy.DefaultSet(), "default"
	if o.policyFile != "" {
		var err error
		if set, err = loadPolicy(o.policyFile); err != nil {
			return err
		}
		policyName = o.policyFile
	}
	opts := o.simOptions(set)
	var results []*sim.Result
	for _, path := range o.traces {
		tr, err := o.load(ctx, path)
		if err != nil {
			return err
		}
		r, err := sim.Run(ctx, tr, opts)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	settings := report.Settings{
		Policy: policyName, StepSeconds: o.step.Seconds(), IntervalSeconds: o.interval.Seconds(),
		ApplyDelaySeconds: o.applyDelay.Seconds(), ReplicaDelaySeconds: o.replicaDelay.Seconds(),
		MinChangePercent: o.minChangePercent, InitialHeadroom: o.initialHeadroom, InitialCPULimitRatio: o.initialCPULimitRatio,
		WarmupSeconds: o.warmup.Seconds(),
	}
	switch o.output {
	case "json":
		return report.JSON(stdout, settings, results)
	case "html":
		return report.HTML(stdout, settings, results)
	}
	return report.Table(stdout, results)
}

// simOptions wires the contenders: pacer's policy, the VPA, krr and the HPA.
func (o *backtestRunOptions) simOptions(set *policy.Set) sim.Options {
	minChange := o.minChangePercent / 100
	if minChange == 0 {
		minChange = -1 // sim.Options: negative means every change
	}
	return sim.Options{
		Interval: o.interval, ApplyDelay: o.applyDelay, ReplicaDelay: o.replicaDelay, MinChange: minChange,
		InitialHeadroom: o.initialHeadroom, InitialCPULimitRatio: o.initialCPULimitRatio, Warmup: o.warmup,
		Timelines: o.output == "html",
		Vertical: []sim.VerticalContender{
			{Name: "pacer", New: contender.Pacer(set)},
			{Name: "vpa", New: contender.VPA(contender.VPADefaults)},
			{Name: "krr", New: contender.KRR(contender.KRRDefaults)},
		},
		Horizontal: []sim.HorizontalContender{
			{Name: "pacer", New: contender.PacerReplicas(set)},
			{Name: "hpa", New: contender.HPA(contender.HPADefaults())},
		},
	}
}

// load reads a trace onto the step grid from its second step (the first
// has no rates yet), pods grouped into workloads by the shape of their
// names, with the truth of a synthetic trace when FILE.truth.json exists.
func (o *backtestRunOptions) load(ctx context.Context, path string) (*sim.Trace, error) {
	tr, err := scrape.OpenTrace(path, scrape.TraceOptions{RateRange: o.rateRange})
	if err != nil {
		return nil, err
	}
	first, end := tr.Span()
	start := first.Add(o.step)
	if end.Before(start) {
		return nil, fmt.Errorf("trace %s: %s long, shorter than one --step %s", path, end.Sub(first), o.step)
	}
	t, err := sim.Load(ctx, tr, filepath.Base(path), start, end, o.step, func(r recommender.ContainerRef) recommender.WorkloadRef {
		return recommender.GuessWorkload(r.Namespace, r.Pod)
	})
	if err != nil {
		return nil, err
	}
	truth, err := readTruth(generate.TruthPath(path))
	if err != nil || truth == nil {
		return t, err
	}
	return t, t.SetTruth(truth)
}

// readTruth reads a synthetic trace's truth; nil when there is none.
func readTruth(path string) ([]sim.PodTruth, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening the truth: %w", err)
	}
	defer func() { _ = f.Close() }()
	truth, err := generate.ReadTruth(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	step := time.Duration(truth.StepSeconds * float64(time.Second))
	out := make([]sim.PodTruth, 0, len(truth.Pods))
	for _, p := range truth.Pods {
		out = append(out, sim.PodTruth{
			Ref:   recommender.ContainerRef{Namespace: truth.Workload.Namespace, Pod: p.Pod, Container: p.Container},
			Start: truth.Start, Step: step, CPUDemandCores: p.CPUDemandCores, PeakWorkingSetBytes: p.PeakWorkingSetBytes,
		})
	}
	return out, nil
}
