// Package recommender is pacer's core: the domain types every other package
// speaks (containers and workloads, Go runtime signals with their units, series
// and snapshots of them), the small interfaces it consumes from the outside
// (a Source of signals), and, in later stages, the loop and its state.
//
// It imports no client library: sources translate wire formats into these
// types, actuators translate recommendations out of them.
package recommender
