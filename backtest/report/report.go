package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/pacerdev/pacer/backtest/sim"
	"github.com/pacerdev/pacer/recommender"
)

// Kind names the JSON document.
const Kind = "BacktestResult"

// Settings are the replay's settings, as the JSON and HTML output state them.
type Settings struct {
	// Policy is the policy file pacer ran with, or "default".
	Policy               string  `json:"policy"`
	StepSeconds          float64 `json:"stepSeconds"`
	IntervalSeconds      float64 `json:"intervalSeconds"`
	ApplyDelaySeconds    float64 `json:"applyDelaySeconds"`
	ReplicaDelaySeconds  float64 `json:"replicaDelaySeconds"`
	MinChangePercent     float64 `json:"minChangePercent"`
	InitialHeadroom      float64 `json:"initialHeadroom"`
	InitialCPULimitRatio float64 `json:"initialCPULimitRatio"`
	// WarmupSeconds is the trace's first stretch read as history, unscored.
	WarmupSeconds float64 `json:"warmupSeconds"`
}

// Document is the JSON output.
type Document struct {
	Kind     string        `json:"kind"`
	Settings Settings      `json:"settings"`
	Traces   []*sim.Result `json:"traces"`
}

// JSON writes the results as one indented JSON document.
func JSON(w io.Writer, s Settings, results []*sim.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(Document{Kind: Kind, Settings: s, Traces: results})
}

// formatCores renders cores as Kubernetes writes them: 250m, 1.50.
func formatCores(v float64) string {
	switch milli := math.Round(v * 1000); {
	case math.IsNaN(v):
		return "-"
	case milli == 0:
		return "0m"
	case math.Abs(v) < 1:
		return fmt.Sprintf("%.0fm", milli)
	}
	return fmt.Sprintf("%.2f", v)
}

func formatPercent(v float64) string { return fmt.Sprintf("%.1f%%", v*100) }

// formatCount renders a count of minutes or events without a needless fraction.
func formatCount(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func formatSpan(r *sim.Result) string {
	step := time.Duration(r.StepSeconds * float64(time.Second))
	span := r.End.Sub(r.Start) + step
	return fmt.Sprintf("%s to %s (%s at %s steps)", r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339), formatDuration(span), formatDuration(step))
}

// formatDuration writes a span in days, hours, minutes and seconds,
// leaving out the units that are zero: 7d, 1d1h30m, 29m, 90s → 1m30s.
func formatDuration(d time.Duration) string {
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

func workloadName(w recommender.WorkloadRef) string {
	return w.Namespace + "/" + w.Name
}
