package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/scrape"
)

type recommendOptions struct {
	trace      string
	policyFile string
	step       time.Duration
	interval   time.Duration
	output     string
	rateRange  time.Duration
}

func newRecommendCommand() *cobra.Command {
	o := &recommendOptions{}
	cmd := &cobra.Command{
		Use:   "recommend --trace FILE",
		Short: "Evaluate a policy on a recorded trace and print its recommendations",
		Long: `recommend replays a recorded trace through a policy (the built-in default, or
--policy FILE) as pacer's loop would have seen it: every --interval it folds in
the new samples (at --step resolution) and recommends, so stabilization and
rate limits act as they would in a cluster. It prints the recommendation for
each workload at the trace's end, with the rules that fired and the numbers
they fired on. It needs no cluster.`,
		Example: `  pacer recommend --trace testdata/traces/demo-10m.om --policy testdata/policies/demo.yaml
  pacer recommend --trace recorded.om -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.trace, "trace", "", "recorded OpenMetrics trace (required)")
	fs.StringVar(&o.policyFile, "policy", "", "policy file (default: the built-in policy)")
	fs.DurationVar(&o.step, "step", time.Minute, "resolution the trace is read at")
	fs.DurationVar(&o.interval, "interval", time.Minute, "how often the replayed loop recommends (as pacer serve --interval)")
	fs.DurationVar(&o.rateRange, "rate-range", time.Minute, "range counters are turned into per-second rates over (as rate(x[1m]) in PromQL)")
	fs.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	return cmd
}

// Validate reports every bad flag at once.
func (o *recommendOptions) Validate() error {
	var errs []error
	if o.trace == "" {
		errs = append(errs, errors.New("--trace is required"))
	}
	if o.output != "table" && o.output != "json" {
		errs = append(errs, fmt.Errorf("--output %q: want table or json", o.output))
	}
	for _, d := range []struct {
		flag  string
		value time.Duration
	}{{"--step", o.step}, {"--interval", o.interval}, {"--rate-range", o.rateRange}} {
		if d.value <= 0 {
			errs = append(errs, fmt.Errorf("%s %s must be positive", d.flag, d.value))
		}
	}
	if o.step > 0 && o.interval > 0 && (o.interval < o.step || o.interval/o.step > maxReplaySteps) {
		errs = append(errs, fmt.Errorf("--interval %s holds %d steps of %s: want 1 to %d", o.interval, o.interval/o.step, o.step, maxReplaySteps))
	}
	return errors.Join(errs...)
}

func (o *recommendOptions) run(ctx context.Context, stdout io.Writer) error {
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
	tr, err := scrape.OpenTrace(o.trace, scrape.TraceOptions{RateRange: o.rateRange})
	if err != nil {
		return err
	}
	recs, err := replay(ctx, tr, set, o.step, o.interval)
	if err != nil {
		return err
	}
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Kind  string                       `json:"kind"`
			Items []recommender.Recommendation `json:"items"`
		}{"RecommendationList", recs})
	}
	return recommendationTable(stdout, recs)
}

// maxReplaySteps is the most points one fetch may return per series, as
// for every source.
const maxReplaySteps = 10_000

// replay runs the loop over a trace: every interval it folds in the new
// samples at step resolution and recommends, with the replicas it last
// recommended taken as applied. It returns the recommendations at the end.
func replay(ctx context.Context, tr *scrape.Trace, set *policy.Set, step, interval time.Duration) ([]recommender.Recommendation, error) {
	engine := policy.NewEngine(func(w recommender.WorkloadRef) (policy.Policy, error) { return set.For(w, nil, nil) })
	start, end := tr.Span()
	workloadOf := func(r recommender.ContainerRef) recommender.WorkloadRef {
		return recommender.GuessWorkload(r.Namespace, r.Pod)
	}
	replicas := map[recommender.WorkloadRef]int32{}
	current := func(w recommender.WorkloadRef) recommender.Current { return recommender.Current{Replicas: replicas[w]} }
	var recs []recommender.Recommendation
	for from := start; ; from = from.Add(interval) {
		to := from.Add(interval)
		if to.After(end) {
			to = end
		}
		snap, err := tr.Fetch(ctx, recommender.Query{Window: recommender.Window{End: to, Range: to.Sub(from), Step: step}})
		if err != nil {
			return nil, err
		}
		if err := engine.Observe(snap, workloadOf); err != nil {
			return nil, err
		}
		recs = engine.Recommend(to, current)
		for _, r := range recs {
			if r.Horizontal != nil {
				replicas[r.Workload] = r.Horizontal.DesiredReplicas
			}
		}
		if !to.Before(end) {
			return recs, nil
		}
	}
}

func recommendationTable(w io.Writer, recs []recommender.Recommendation) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tWORKLOAD\tCONTAINER\tOUTCOME\tCPU\tMEMORY\tLIMIT\tGOMEMLIMIT\tGOMAXPROCS\tREPLICAS\tFLAGS")
	for _, r := range recs {
		workload := strings.ToLower(string(r.Workload.Kind)) + "/" + r.Workload.Name
		replicas := "-"
		if r.Horizontal != nil {
			replicas = fmt.Sprintf("%d→%d", r.Horizontal.CurrentReplicas, r.Horizontal.DesiredReplicas)
		}
		flags := "-"
		if len(r.Flags) > 0 {
			parts := make([]string, len(r.Flags))
			for i, f := range r.Flags {
				parts[i] = string(f)
			}
			flags = strings.Join(parts, ",")
		}
		if len(r.Containers) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t%s\t-\t-\t-\t-\t-\t%s\t%s\n", r.Workload.Namespace, workload, r.Outcome, replicas, flags)
		}
		for _, c := range r.Containers {
			t := c.Target
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Workload.Namespace, workload, c.Container, r.Outcome,
				formatSignal(recommender.CPU, t.CPURequestCores, true), formatSignal(recommender.Memory, t.MemoryRequestBytes, true),
				formatSignal(recommender.Memory, t.MemoryLimitBytes, true), formatSignal(recommender.Memory, t.GOMEMLIMITBytes, true),
				t.GOMAXPROCS, replicas, flags)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range recs {
		fmt.Fprintf(w, "\n%s/%s (policy %s): %s\n", r.Workload.Namespace, r.Workload.Name, r.Policy, r.Outcome)
		for _, m := range r.Missing {
			fmt.Fprintf(w, "  missing  %s\n", m)
		}
		for _, c := range r.Containers {
			for _, reason := range c.Reasons {
				fmt.Fprintf(w, "  %-8s %-24s %s\n", c.Container, reason.Rule, reason.Message)
			}
		}
		if r.Horizontal != nil {
			for _, reason := range r.Horizontal.Reasons {
				fmt.Fprintf(w, "  %-8s %-24s %s\n", "replicas", reason.Rule, reason.Message)
			}
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  %-8s %-24s %s\n", "note", n.Rule, n.Message)
		}
	}
	return nil
}
