// Package generate makes seeded synthetic traces of Go request servers for
// backtests: a Deployment's pods over days, at one sample a step (a minute
// by default), under one of a few scenarios (steady, diurnal, spiky, step,
// leak, alloc-bursts, goroutine-storm), with Go runtime signals that are
// consistent with each other because they come from one small model.
//
// # The model
//
// Per pod and step, with r the pod's request rate and L the request
// latency (Service holds every constant, DefaultService their values):
//
//	r            = base rate × scenario load factor × pod's share × (1 + noise)
//	in flight    = r × L                                        (Little's law)
//	goroutines   = base + in flight (± √in flight) + stuck goroutines of a storm
//	alloc rate   = base + r × bytes per request (+ bursts)
//	live heap    = base + r × live bytes per request/s + leaked bytes
//	               + stuck goroutines × retained bytes (+ bursts)
//	non-heap     = runtime overhead + goroutines × 8 KiB of stack
//	heap goal    = max(live × (1 + GOGC/100), 4 MiB × GOGC/100),
//	               capped at GOMEMLIMIT − non-heap when GOMEMLIMIT is set
//	GC cycles/s  = max(alloc rate / (heap goal − live), 1/120)   (the runtime forces a GC every 2 min)
//	GC CPU       = GC cycles/s × (per-cycle cost + live × mark cost per byte)
//	CPU demand   = base + r × CPU per request × (1 + noise) + bursts + GC CPU
//	CPU usage    = min(CPU demand, CPU limit); GOMAXPROCS = max(2, ⌈CPU limit⌉)
//	throttled    = share of CFS periods: ((demand/limit − 0.6) / 0.4)², clamped to [0, 1]
//	working set  = non-heap + live + f × (peak heap − live)
//
// where f is the fractional part of the GC count: how far the current cycle
// has come from live heap towards its peak, which is the heap goal unless
// the forced GC comes first. A tight GOMEMLIMIT shrinks the headroom, so GC
// runs more often; when GC CPU would exceed half of GOMAXPROCS, the GC CPU
// limiter holds it there and the heap overshoots: the goal reported is then
// live + alloc rate / cycles, where the heap really peaks. Noise comes from
// the seed: slow AR(1) wander on load, CPU, allocation and live heap, and
// the √n spread of a count of in-flight requests.
//
// Counters (requests, allocated bytes, GC cycles, GC and container CPU
// seconds, CFS periods) integrate the rates from zero at the trace's start;
// rates are over the step ending at a sample, so rate() over a range of two
// steps returns them.
//
// # Output
//
// Trace.WriteOpenMetrics writes the trace in the format scrape.OpenTrace
// reads; Trace.WriteTruth writes what the trace can only hint at (the CPU
// demand before the limit capped it, the memory each pod needs, the model's
// constants) as JSON for the simulator. docs/backtest.md, section
// "Synthetic traces", documents both.
package generate
