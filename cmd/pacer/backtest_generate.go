package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pacerdev/pacer/backtest/generate"
)

type backtestGenerateOptions struct {
	output     string
	scenario   string
	days       float64
	seed       uint64
	pods       int
	step       time.Duration
	start      string
	namespace  string
	gogc       string
	gomemlimit string
	cpuLimit   float64
}

func newBacktestGenerateCommand() *cobra.Command {
	o := &backtestGenerateOptions{}
	var scenarios strings.Builder
	for _, s := range generate.Scenarios() {
		fmt.Fprintf(&scenarios, "  %-16s %s\n", s.Name, s.Description)
	}
	cmd := &cobra.Command{
		Use:   "generate -o FILE --scenario NAME",
		Short: "Generate a seeded synthetic Go-service trace and its truth",
		Long: `generate writes a synthetic trace of one Deployment's pods: the metrics pacer's
signals come from, one sample a step, in the OpenMetrics format --trace reads.
The Go runtime signals come from one small model (docs/backtest.md, section
"Synthetic traces"), so they agree with each other: GC rate follows allocation
rate over heap headroom, working set follows the heap goal, CPU follows request
rate plus GC CPU, goroutines follow Little's law. The same seed gives the same
bytes.

Next to FILE it writes FILE.truth.json: per step and pod, the CPU demand and
memory need the trace can only hint at, for the backtest's oracle.

Rates in the trace are per step: read it with a rate range of two steps
(--rate-range 2m at the default step of 1m).

Scenarios:
` + scenarios.String(),
		Example: `  pacer backtest generate --scenario diurnal --days 7 --pods 3 --seed 1 -o diurnal.om
  pacer backtest generate --scenario leak --gomemlimit 450Mi -o leak.om`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.ErrOrStderr())
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.output, "output", "o", "", "trace file to write (required); the truth goes to FILE.truth.json")
	fs.StringVar(&o.scenario, "scenario", "steady", "scenario (see above)")
	fs.Float64Var(&o.days, "days", 7, "span of the trace in days (0.25 is six hours)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of every random draw")
	fs.IntVar(&o.pods, "pods", 3, "pods of the Deployment")
	fs.DurationVar(&o.step, "step", time.Minute, "time between samples")
	fs.StringVar(&o.start, "start", generate.DefaultStart.Format(time.RFC3339), "time of the first sample (RFC 3339)")
	fs.StringVarP(&o.namespace, "namespace", "n", "synthetic", "namespace of the pods")
	fs.StringVar(&o.gogc, "gogc", "100", "GOGC the pods run with, or off (needs --gomemlimit)")
	fs.StringVar(&o.gomemlimit, "gomemlimit", "", "GOMEMLIMIT the pods run with, as a quantity such as 450Mi (default unset)")
	fs.Float64Var(&o.cpuLimit, "cpu-limit", 2, "CPU limit in cores the pods run under; GOMAXPROCS follows it")
	return cmd
}

// config turns the flags into a generator config, reporting every bad flag
// at once; the generator validates the rest.
func (o *backtestGenerateOptions) config() (generate.Config, error) {
	c := generate.Config{
		Scenario: o.scenario, Seed: o.seed, Pods: o.pods, Step: o.step,
		Namespace: o.namespace, CPULimitCores: o.cpuLimit,
	}
	var errs []error
	if o.output == "" {
		errs = append(errs, errors.New("--output is required"))
	}
	if o.pods < 1 {
		errs = append(errs, fmt.Errorf("--pods %d: want at least 1", o.pods))
	}
	if !(o.cpuLimit > 0) {
		errs = append(errs, fmt.Errorf("--cpu-limit %g: want more than 0 cores", o.cpuLimit))
	}
	daysOK := o.days > 0 && o.days <= 366
	if !daysOK {
		errs = append(errs, fmt.Errorf("--days %g: want more than 0, at most 366", o.days))
	} else if o.step > 0 {
		c.Duration = time.Duration(o.days * float64(24*time.Hour)).Truncate(o.step)
	}
	start, err := time.Parse(time.RFC3339, o.start)
	if err != nil {
		errs = append(errs, fmt.Errorf("--start %q: want RFC 3339, such as 2026-01-05T00:00:00Z", o.start))
	}
	c.Start = start
	switch gogc, err := strconv.Atoi(o.gogc); {
	case o.gogc == "off":
		c.GOGC = -1
	case err != nil || gogc < 1:
		errs = append(errs, fmt.Errorf("--gogc %q: want a percentage of at least 1, or off", o.gogc))
	default:
		c.GOGC = gogc
	}
	if o.gomemlimit != "" {
		q, err := resource.ParseQuantity(o.gomemlimit)
		if err != nil || q.Sign() <= 0 {
			errs = append(errs, fmt.Errorf("--gomemlimit %q: want a positive quantity of bytes, such as 450Mi", o.gomemlimit))
		} else {
			c.GOMEMLIMITBytes = q.Value()
		}
	}
	if daysOK {
		errs = append(errs, c.Validate())
	}
	return c, errors.Join(errs...)
}

func (o *backtestGenerateOptions) run(stderr io.Writer) error {
	c, err := o.config()
	if err != nil {
		return err
	}
	tr, err := generate.Generate(c)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(o.output, tr.WriteOpenMetrics); err != nil {
		return err
	}
	truth := generate.TruthPath(o.output)
	if err := writeFileAtomic(truth, tr.WriteTruth); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "pacer backtest generate: %s, %d pods, %s in %d steps of %s: wrote %s and %s\n",
		c.Scenario, c.Pods, c.Duration, c.Steps(), c.Step, o.output, truth)
	return nil
}
