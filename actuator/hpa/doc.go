// Package hpa sets the metric targets of HorizontalPodAutoscalers
// (autoscaling/v2) from pacer's recommendations, by server-side apply under
// the field manager "pacer", and never fights a person over them.
//
// # Which HPAs
//
// An HPA is pacer's to change when it is opted in: its own pacer.dev/mode
// annotation says apply, or it has none and the recommendation for its
// scaleTargetRef workload is in mode apply (the workload's annotation or
// its policy). The HPA's annotation, when present, wins: pacer.dev/mode: off
// or recommend on an HPA keeps pacer off it whatever the workload says. An
// HPA in mode off or recommend, one whose workload has no recommendation,
// whose recommendation is not ready or has no horizontal part is skipped
// and nothing is written.
//
// # What is set
//
//   - The per-pod request-rate target: every metric in spec.metrics whose
//     name is one of Options.RateMetrics — a Pods metric (target
//     averageValue) or an External or Object metric (averageValue, or value
//     when that is the target's type) — gets the recommendation's
//     TargetPerPod, to the milli ("850", "850500m"). An AverageValue target
//     reads the metric as the workload's total rate, which the HPA divides
//     by the pod count; a Value target reads it as already per pod.
//   - CPU utilization: a Resource (or ContainerResource) cpu metric with an
//     averageUtilization target keeps the HPA's scaling point in cores when
//     the recommendation changes the CPU request: utilization × request per
//     pod stays constant, so new = round(old × oldRequest / newRequest),
//     clamped to 1..100. The old request is what the pods run with
//     (Options.Current, summed over the pod's containers), the new one the
//     recommendation's targets for them (the current request for a container
//     it does not size). The scaling point in cores is taken once, when pacer
//     takes an HPA over, and recorded, so repeated cycles never compound
//     rounding or a request that is slow to roll out. With either request
//     unknown the utilization is left as it is. The rule assumes the new
//     request reaches the pods (pacer's direct mode, or a VPA that applies
//     pacer's recommendation): until the pods restart with it, the HPA
//     measures the new utilization against the old request and scales
//     earlier (or later) than at the recorded point.
//
// Everything else is left alone: other metrics keep their targets (though
// they are part of what pacer applies, see below), and minReplicas,
// maxReplicas and behavior are never written: a recommendation carries no
// replica bounds, and the bounds are a person's budget.
//
// # Ownership
//
// spec.metrics is an atomic list (+listType=atomic): whoever applies it
// owns all of it, and managedFields record one owner set for the whole
// list. pacer therefore applies the whole list, as it is live with its
// targets changed, and the protocol is about that one field:
//
//  1. Taking over. An opted-in HPA without the pacer.dev/applied-metrics
//     annotation is applied with Force, the first time a target would
//     change: the opt-in is the owner's consent. The apply carries the
//     resourceVersion pacer read, so an edit made in between fails the
//     write (retried next cycle) instead of being overwritten. In the same
//     apply pacer writes the annotation pacer.dev/applied-metrics: a
//     compact JSON of a hash of the metrics list it applied, the targets it
//     set, and the CPU scaling points, e.g.
//     {"metrics":"sha256:…","targets":{"pods/http_requests_per_second":"850500m","resource/cpu":"35%"},"scaleAtCores":{"resource/cpu":0.35}}
//  2. In control. While the live list still hashes to what pacer recorded
//     and managedFields show pacer (operation Apply) as the list's only
//     owner, pacer applies without Force, and only when a target would
//     change. A write that would change nothing is not sent.
//  3. Backing off. When the live list differs from the record, or another
//     manager owns the list (kubectl edit, kubectl apply, Helm, a GitOps
//     controller, an SSA with --force-conflicts, or a co-owner who applied
//     pacer's values while pacer wants new ones), a person took the field:
//     pacer writes nothing to the HPA, emits a Warning event
//     HPATargetConflict naming the manager and the values, and reports
//     ActionConflict. It stays so, every cycle, whatever it recommends:
//     pacer never forces a field it lost. A non-forced apply the API
//     server refuses with a field-manager conflict ends the same way.
//  4. Handing back. Removing the annotation gives the metrics back to
//     pacer, which takes them over at the next change as in step 1, from
//     the values the person left.
//
// To hand an HPA's metrics back after a conflict:
//
//	kubectl annotate hpa -n NAMESPACE NAME pacer.dev/applied-metrics-
//
// To keep pacer off an HPA instead, annotate it pacer.dev/mode=off (or
// recommend). pacer still owns spec.metrics in managedFields then, so a
// server-side apply by someone else needs --force-conflicts; kubectl edit,
// client-side kubectl apply and Helm take the field without.
//
// A GitOps controller that re-applies the HPA's manifest puts it in step 3
// after its next sync; let pacer manage the targets by having the
// controller ignore spec.metrics (Argo CD: ignoreDifferences with
// managedFieldsManagers: [pacer]).
//
// Ownership is read from managedFields, so the Lister must return them
// (an informer must not strip managedFields); an HPA listed without any is
// judged by the recorded hash alone, and the API server's conflict check
// on the non-forced apply guards the rest.
//
// # Events and dry run
//
// Every write emits a Normal event TargetUpdated on the HPA with the old
// and new values and the names of the rules behind them; a failed write a
// Warning event TargetUpdateFailed. In dry-run mode nothing is sent to the
// API server at all (not even a server-side dry run, so a report-only
// install needs no write permission) and no event is emitted; the outcome
// is ActionDryRun with what would change.
//
// The serving process needs, in the namespaces it covers: get, list and
// watch on horizontalpodautoscalers.autoscaling, patch on them, and create
// and patch on events.
package hpa
