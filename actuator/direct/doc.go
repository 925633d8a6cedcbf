// Package direct is pacer's direct mode, for clusters without VPA: it sets
// a workload's container requests and limits and its GOMEMLIMIT and
// GOMAXPROCS env itself, by server-side apply under the field manager
// "pacer", bounded and rate-limited. It is off unless `pacer serve
// --direct` turns it on.
//
// # Which workloads
//
// A Deployment, StatefulSet or DaemonSet whose recommendation is in mode
// apply (its pacer.dev/mode annotation or its policy) and ready, and that
// no VerticalPodAutoscaler acts for (Options.Covered): where a VPA acts,
// its updater and admission controller set the pods' requests, and direct
// mode stays out of its way. Every other recommendation is reported as
// skipped with the reason, and so is every recommendation of a cycle that
// failed to fetch fresh data.
//
// # What is set
//
// For each container of the pod template (spec.template.spec.containers;
// init containers are not sized) that the recommendation names, from its
// target:
//
//   - requests and limits of cpu and memory, rounded up to whole
//     millicores and MiB, as `pacer report -o patch` writes them;
//   - the env GOMEMLIMIT (rounded down to whole MiB, in Go's own syntax,
//     "460MiB") and GOMAXPROCS.
//
// A zero in the target means "not recommended", and pacer never writes a
// zero: the field is left as it is. For a limit, zero means "no limit
// recommended": an existing limit stays, because pacer does not remove a
// field it does not own; remove it in the workload's manifest. Env set
// with valueFrom (a ConfigMap, a Secret, the downward API) is left alone
// and the outcome says so. A change that would put a request above its
// limit, or GOMEMLIMIT above the memory limit, because the recommendation
// sizes one and not the other, is not made.
//
// The policy already bounds each step (its maxChangePercent, minAllowed
// and maxAllowed). Direct mode adds two brakes, since every change rolls
// the pods:
//
//   - A workload is changed only when some field moves by at least
//     Options.MinChangePercent (10%) of its current value, or is set where
//     it was not; otherwise the outcome is unchanged. When it is changed,
//     every recommended field is brought to its target.
//   - At most one change per workload per Options.MinInterval (1h). The
//     time of the change is remembered in memory and written, in the same
//     apply, to the workload's annotation pacer.dev/last-applied-at
//     (RFC 3339), so a restarted pacer or a new leader keeps the limit.
//
// # Ownership
//
// pacer applies without force. Where another field manager owns a field
// pacer would change (kubectl, Helm, a GitOps controller: whoever wrote the
// value), the API server refuses the apply with a conflict, and pacer
// reports ActionConflict, emits a Warning event DirectApplyConflict naming
// the fields and their managers, and backs off for MinInterval. pacer
// never takes a field from its owner. A field the manifest does not set is
// free: pacer sets it, and a later client-side kubectl apply or Helm
// upgrade of that manifest leaves it alone. To let pacer size a field,
// take it out of what the owner applies (or have the owner ignore it:
// Argo CD's ignoreDifferences with managedFieldsManagers: [pacer]); to
// stop pacer trying, set pacer.dev/mode: recommend on the workload.
//
// A server-side apply removes the fields its manager applied before and
// leaves out now. So every apply carries, besides what pacer sets now,
// the fields pacer owns (per managedFields) at their live values, and the
// annotation. One consequence of shared ownership: a person who removes a
// container pacer sizes with their own server-side apply keeps pacer's
// fields of it; set the workload to mode recommend first.
//
// # Events and dry run
//
// A change emits a Normal event ResourcesUpdated with old → new per
// container and the rules behind the targets; a failed apply a Warning
// event DirectApplyFailed. In dry-run mode nothing is written at all: no
// apply (not even a server-side dry run), no annotation, no event; the
// outcome is ActionDryRun with the change that would be made and the
// fields whose owners, by managedFields, would refuse it.
//
// The serving process needs, in the namespaces it covers: get and patch on
// deployments, statefulsets and daemonsets in the apps group, and create
// and patch on events.
package direct
