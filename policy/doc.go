// Package policy turns a workload's signals into recommendations, with no
// I/O, no clock and no globals. It has three layers:
//
//   - Primitives: percentiles, decaying histograms, EWMAs, sustained
//     thresholds, linear trends, margins, bounds, step limits and HPA-style
//     replica stabilization, each a small function or type.
//   - Configuration: a Policy holds every setting of the rules; Parse reads
//     a YAML file of them (a Set), and Set.For picks a workload's policy by
//     selector or annotation and applies its per-setting annotations.
//   - Engine: folds snapshots into decaying per-workload state and turns it
//     into recommendations, each carrying the rules that fired and why.
//
// docs/policy.md describes the rules and the file.
package policy
