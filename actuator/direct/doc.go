// Package direct is pacer's direct mode, for clusters without VPA: it sets
// a workload's container requests and limits and its GOMEMLIMIT and
// GOMAXPROCS env itself, by server-side apply under the field manager
// "pacer", bounded and rate-limited, and backs off for good from a field a
// person changed after it. It is off unless `pacer serve --direct` turns
// it on.
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
//     apply, to pacer's record on the workload (see Ownership), so a
//     restarted pacer or a new leader keeps the limit.
//
// # Ownership
//
// pacer.dev/mode: apply on a workload, with `pacer serve --direct`, is the
// owner's consent for pacer to manage the fields it sets, including those
// a kubectl apply, Helm chart or GitOps repository wrote. pacer takes them
// over once, records what it set, and from then on never overrides a
// person:
//
//  1. Taking over. A workload without the annotation
//     pacer.dev/applied-resources is applied with Force, the first time
//     pacer would change it: pacer takes the fields it sets from their
//     owners, and only those. The apply carries the resourceVersion pacer
//     read, so an edit made in between fails the write (retried next
//     cycle) instead of being overwritten. In the same apply pacer writes
//     the annotation, a compact JSON of the time and of every field it
//     holds with its value, e.g.
//     {"at":"2026-03-01T12:00:00Z","containers":{"app":{"env.GOMAXPROCS":"2","requests.cpu":"250m"}}}
//     A field already at pacer's value that another manager owns is left
//     to that manager (a forced apply would share it, not take it), and
//     is not recorded.
//  2. In control. While every recorded field still has its recorded value
//     and managedFields show pacer as its only owner, pacer applies
//     without Force, within all the rules above. A field pacer did not set
//     before (a limit the policy starts to recommend, say) and another
//     manager owns is taken over as in step 1, forced.
//  3. Backing off. When a recorded field has another value, or another
//     manager owns it too (kubectl edit or apply, Helm, a GitOps
//     controller, an SSA with --force-conflicts), a person or controller
//     took it after pacer: pacer writes nothing to the workload, emits a
//     Warning event DirectApplyConflict naming the fields, their managers
//     and how to hand them back, and reports ActionConflict. It stays so
//     every cycle, whatever it recommends, with one event per back-off:
//     pacer never forces a field it lost. A non-forced apply the API
//     server refuses with a field-manager conflict ends the same way.
//  4. Handing back. Removing the annotation gives the fields back to
//     pacer, which takes them over at the next change as in step 1, from
//     the values the person left.
//
// To hand a workload's fields back after a conflict:
//
//	kubectl annotate deployment -n NAMESPACE NAME pacer.dev/applied-resources-
//
// To keep pacer off a workload instead, set pacer.dev/mode: recommend (or
// off) on it. pacer still owns its fields in managedFields then, so a
// server-side apply by someone else needs --force-conflicts; kubectl edit,
// client-side kubectl apply and Helm take the fields without.
//
// A GitOps controller that re-applies its manifest (Argo CD's sync, Flux's
// reconcile) puts its values back over pacer's and so puts the workload
// in step 3 at its next sync, and pacer reports it. To let pacer manage the
// fields, take them out of the manifest, or have the controller ignore
// them (Argo CD: ignoreDifferences with managedFieldsManagers: [pacer],
// and the sync option RespectIgnoreDifferences=true so that a sync leaves
// them too), then hand them back.
//
// The back-off is read from the workload each cycle: a container removed
// from the pod template is not a conflict (its fields leave the record),
// but an edit is seen only when pacer reads the workload, which it does not
// within MinInterval of its own change, nor while Options.Current shows
// nothing to change; once seen, the workload is read and reported every
// cycle until it is handed back.
//
// A server-side apply removes the fields its manager applied before and
// leaves out now. So every apply carries, besides what pacer sets now,
// the fields pacer holds at their live values. One consequence of shared
// ownership: a person who removes a container pacer sizes with their own
// server-side apply keeps pacer's fields of it; set the workload to mode
// recommend first.
//
// # Events and dry run
//
// A change emits a Normal event ResourcesUpdated with old → new per
// container and the rules behind the targets; a failed apply a Warning
// event DirectApplyFailed. In dry-run mode nothing is written at all: no
// apply (not even a server-side dry run), no annotation, no event; the
// outcome is ActionDryRun with the change that would be made and the
// fields it would take over from other managers, by managedFields. With
// nothing written, every dry run is a takeover.
//
// The serving process needs, in the namespaces it covers: get and patch on
// deployments, statefulsets and daemonsets in the apps group, and create
// and patch on events.
package direct
