// Package vpa makes pacer a named VerticalPodAutoscaler recommender.
//
// A VPA opts in by naming pacer in spec.recommenders:
//
//	spec:
//	  recommenders:
//	  - name: pacer
//
// For every such VPA, and for no other, the Writer (a recommender.Sink)
// writes what pacer recommends for the VPA's target (a Deployment,
// StatefulSet or DaemonSet in the VPA's namespace) into the VPA's status, as
// the stock VPA recommender would: status.recommendation with target,
// lowerBound, upperBound and uncappedTarget per container, and the
// RecommendationProvided condition. The stock VPA updater and admission
// controller then apply it according to the VPA's updatePolicy. A VPA
// without recommenders belongs to the default recommender and one naming
// another recommender to that one: pacer never touches either.
//
// The VPA's resourcePolicy is honored per container (by name, else the "*"
// policy): mode Off leaves the container out, controlledResources keeps only
// the resources named (cpu and memory by default), and minAllowed/maxAllowed
// clamp target, lowerBound and upperBound while uncappedTarget keeps pacer's
// raw number. CPU is written in millicores and memory in bytes, both rounded
// up. controlledValues needs nothing here: the status carries requests only,
// and the admission controller scales limits from them (RequestsAndLimits)
// or leaves them alone (RequestsOnly).
//
// What a VPA status cannot carry is not written anywhere: pacer's limits
// (the VPA keeps each pod's limit-to-request ratio instead), GOMEMLIMIT and
// GOMAXPROCS. They are in pacer's report and its direct mode.
//
// A workload in mode off is left alone entirely. A recommendation that is
// not ready (insufficient data, no Go metrics, no policy) is never written:
// the last good status.recommendation stays, as the VPA's own recommender
// keeps its last one, and RecommendationProvided turns False with a reason
// (InsufficientData, NoGoMetrics, NoPolicy, NoRecommendation,
// UnsupportedTarget) and a message that stays the same from cycle to cycle,
// so the status is not rewritten every cycle. Every write goes through the
// status subresource, only when the status would change, with the object's
// resourceVersion; a conflict re-reads the VPA and tries again, three
// attempts in all. A changed target is announced with a Normal event
// RecommendationUpdated on the VPA, a failed write with a Warning event
// RecommendationWriteFailed.
//
// In dry-run mode the Writer computes and reports everything and sends no
// write at all, not even a server-side dry run: a report-only install then
// needs no write permission, and "changes nothing" holds by construction.
//
// Subpackage vpatest finds the module's CRD manifest for tests that
// install it in a real API server.
//
// The serving process needs, in the namespaces it covers: get, list and
// watch on verticalpodautoscalers.autoscaling.k8s.io, update on
// verticalpodautoscalers/status, and create and patch on events.
package vpa
