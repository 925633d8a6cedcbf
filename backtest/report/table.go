package report

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/pacerdev/pacer/backtest/sim"
	"github.com/pacerdev/pacer/recommender"
)

// Table writes, per trace, the vertical and horizontal scores of every
// recommender over the whole trace, then per workload container.
func Table(w io.Writer, results []*sim.Result) error {
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := traceTable(w, r); err != nil {
			return err
		}
	}
	return nil
}

func traceTable(w io.Writer, r *sim.Result) error {
	fmt.Fprintf(w, "TRACE %s: %s, %d workloads, %d containers\n\n", r.Trace, formatSpan(r), r.Workloads, r.Containers)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERTICAL\tCPU SLACK\tCPU SLACK (cores)\tMEMORY SLACK\tMEMORY SLACK (bytes)\tOOM KILLS\tTHROTTLED MIN\tCHANGES/DAY\tEXTRA GC CPU")
	for _, s := range r.Vertical {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%.1f\t%s\n", s.Contender,
			formatPercent(s.CPU.RelativeSlack), formatCores(s.CPU.AbsoluteSlack),
			formatPercent(s.Memory.RelativeSlack), recommender.FormatBytes(s.Memory.AbsoluteSlack),
			s.OOMKills, formatCount(s.ThrottledMinutes), s.ChangesPerDay, formatCores(s.ExtraGCCPUCores))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Horizontal) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "HORIZONTAL\tOVERLOAD MIN\tREPLICA-MIN\tMEAN REPLICAS\tCHANGES/DAY")
		for _, s := range r.Horizontal {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.1f\n", s.Contender, formatCount(s.OverloadMinutes), formatCount(s.ReplicaMinutes), s.MeanReplicas, s.ChangesPerDay)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tCONTAINER\tRECOMMENDER\tCPU SLACK\tMEMORY SLACK\tOOM KILLS\tTHROTTLED MIN\tCHANGES/DAY")
	for _, wr := range r.PerWorkload {
		for _, c := range wr.Containers {
			for _, s := range c.Vertical {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%.1f\n", workloadName(wr.Workload), c.Name, s.Contender,
					formatPercent(s.CPU.RelativeSlack), formatPercent(s.Memory.RelativeSlack), s.OOMKills,
					formatCount(s.ThrottledMinutes), s.ChangesPerDay)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tCAPACITY/POD\tRECOMMENDER\tOVERLOAD MIN\tREPLICA-MIN\tMEAN REPLICAS\tCHANGES/DAY")
	for _, wr := range r.PerWorkload {
		if wr.HorizontalSkipped != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t%s\n", workloadName(wr.Workload), wr.HorizontalSkipped)
			continue
		}
		for _, s := range wr.Horizontal {
			fmt.Fprintf(tw, "%s\t%.1f/s\t%s\t%s\t%s\t%.2f\t%.1f\n", workloadName(wr.Workload), wr.CapacityPerPod, s.Contender,
				formatCount(s.OverloadMinutes), formatCount(s.ReplicaMinutes), s.MeanReplicas, s.ChangesPerDay)
		}
	}
	return tw.Flush()
}
