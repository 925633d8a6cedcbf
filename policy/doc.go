// Package policy will hold pacer's policies: pure functions from windows of
// signals to recommendations with their reasons (percentiles, decaying
// histograms, sustained thresholds, trends, margins, bounds, rate limits and
// stabilization), with no I/O, no clock and no globals. It is empty until the
// policy engine lands; see DESIGN.md, section Policies.
package policy
