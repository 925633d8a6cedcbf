// Package backtest is the home of `pacer backtest`: what would have happened
// to a workload had a recommender's advice been followed, scored the same way
// for pacer and for the recommenders people run today. It holds no code of
// its own; its subpackages do one thing each:
//
//   - generate writes seeded synthetic Go-service traces (steady, diurnal,
//     spiky, leaks, storms) with Go runtime signals consistent with each other.
//   - sim replays a trace minute by minute, applies each recommender's
//     decisions as a cluster would (after a delay, or at the next restart),
//     models the Go GC, OOM kills, CPU throttling and overload, and scores
//     the result with Autopilot's metrics, against a perfect-hindsight oracle.
//   - contender adapts the recommenders compared to the simulator: pacer's
//     policy engine, the VPA recommender's own logic, krr's simple strategy
//     and the HPA's algorithm.
//   - report renders the scores as a table, JSON, or an HTML page with a
//     chart per workload.
//
// docs/backtest.md describes the trace format, the models and the scores.
package backtest
