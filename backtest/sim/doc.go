// Package sim replays a trace minute by minute as if each recommender's
// advice had been followed, and scores what would have happened.
//
// For every workload of a trace and every recommender (a Vertical for
// container resources, a Horizontal for replicas), the simulation:
//
//   - starts every pod with the same initial resources (the first day's
//     peak usage with headroom);
//   - feeds the recommender each step with what monitoring would have shown
//     under the resources the pods ran with: the CPU they got, the working
//     set and heap goal the Go GC kept under their GOMEMLIMIT, OOM kills;
//   - applies a recommendation as a cluster would: a pod gets it at the next
//     restart, or after ApplyDelay once it moved more than MinChange; new
//     replicas serve after ReplicaDelay;
//   - models the Go GC (heap goal from GOGC, capped by GOMEMLIMIT, at the
//     cost of GC CPU, with the GC CPU limiter), OOM kills when the working
//     set exceeds the memory limit, throttling when CPU demand exceeds the
//     limit or GOMAXPROCS, and overload when the load per running pod
//     exceeds what a pod serves at its CPU limit or request;
//   - scores it with Autopilot's metrics: relative and absolute slack, OOM
//     kills, throttled and overload minutes, replica-minutes and changes
//     per day, next to a perfect-hindsight oracle.
//
// The model moves the recorded point rather than rebuilding it: with the
// settings the trace was recorded with, every recorded value comes out
// unchanged. docs/backtest.md gives the equations.
package sim
