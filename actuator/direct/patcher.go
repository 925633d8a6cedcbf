package direct

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/pacerdev/pacer/recommender"
)

// DefaultFieldManager names pacer's applies in managedFields.
const DefaultFieldManager = "pacer"

// Defaults of Options.
const (
	DefaultMinInterval      = time.Hour
	DefaultMinChangePercent = 10.0
)

// Event reasons on a workload.
const (
	EventResourcesUpdated = "ResourcesUpdated"
	EventApplyConflict    = "DirectApplyConflict"
	EventApplyFailed      = "DirectApplyFailed"
)

// actuatorName names this actuator in its Actuation records.
const actuatorName = "direct"

// Recorder emits Kubernetes events; client-go's record.EventRecorder is one.
type Recorder interface {
	Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

// Options configure a Patcher. Zero fields take the defaults named.
type Options struct {
	// FieldManager is the field manager pacer applies as (default "pacer").
	FieldManager string
	// DryRun computes and reports every outcome and sends no write at all:
	// no apply (not even a server-side dry run) and no event.
	DryRun bool
	// MinInterval is the least time between two changes pacer makes to one
	// workload (default 1h).
	MinInterval time.Duration
	// MinChangePercent: a workload is changed only when some field moves
	// by at least this much, in percent of its current value; a field
	// set where it was not counts as a change of any size (default 10;
	// a negative value acts on every difference).
	MinChangePercent float64
	// Covered reports whether a VerticalPodAutoscaler acts for a workload;
	// direct mode leaves such a workload to it. nil covers none.
	Covered func(recommender.WorkloadRef) bool
	// Current says what a workload runs with, as the inventory knows it.
	// When it shows that nothing would move by MinChangePercent, the
	// workload is not read from the API server; nil reads every workload.
	// What is written is always decided on the object read.
	Current func(recommender.WorkloadRef) recommender.Current
	Now     func() time.Time
	Log     *slog.Logger
	// Recorder receives events on the workloads; nil sends none.
	Recorder Recorder
	// Observe is told the outcome for every workload of every cycle; nil
	// tells no one.
	Observe func(recommender.Actuation)
}

// Patcher sets the requests, limits, GOMEMLIMIT and GOMAXPROCS of
// workloads in mode apply: a recommender.Sink.
type Patcher struct {
	client  kubernetes.Interface
	o       Options
	planner planner
	limits  *limiter
}

var _ recommender.Sink = (*Patcher)(nil)

// New returns a Patcher that reads and applies through client.
func New(client kubernetes.Interface, o Options) *Patcher {
	if o.FieldManager == "" {
		o.FieldManager = DefaultFieldManager
	}
	if o.MinInterval <= 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.MinChangePercent == 0 {
		o.MinChangePercent = DefaultMinChangePercent
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Patcher{client: client, o: o, planner: planner{minChangePercent: o.MinChangePercent}, limits: newLimiter(o.MinInterval)}
}

// Publish brings the workloads in mode apply up to date with the cycle's
// recommendations. One workload failing does not stop the others; the
// error joins the failures that were not expected (a conflict, a stale
// read and a workload deleted meanwhile are reported, not returned).
func (p *Patcher) Publish(ctx context.Context, c *recommender.Cycle) error {
	var recs []*recommender.Recommendation
	seen := map[recommender.WorkloadRef]bool{}
	for i := range c.Recommendations {
		r := &c.Recommendations[i]
		if !seen[r.Workload] {
			seen[r.Workload] = true
			recs = append(recs, r)
		}
	}
	p.limits.expire(p.o.Now(), seen)
	slices.SortFunc(recs, func(a, b *recommender.Recommendation) int {
		return strings.Compare(a.Workload.String(), b.Workload.String())
	})
	var errs []error
	for _, rec := range recs {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, fmt.Errorf("publishing direct changes: %w", err))...)
		}
		a, err := p.sync(ctx, rec, c.Err)
		p.report(a)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// sync decides on one workload and carries the decision out. The checks
// that need no read come first, except for a workload pacer backs off
// from: that one is read every cycle, to report it and to see it handed
// back.
func (p *Patcher) sync(ctx context.Context, rec *recommender.Recommendation, cycleErr error) (recommender.Actuation, error) {
	ref := rec.Workload
	a := recommender.Actuation{Actuator: actuatorName, Workload: ref, Object: objectName(ref)}
	if why := p.excluded(rec, cycleErr); why != "" {
		return outcome(a, recommender.ActionSkipped, why), nil
	}
	now := p.o.Now()
	if !p.limits.backingOff(ref) {
		if at, ok := p.limits.waiting(ref, now); ok {
			return outcome(a, recommender.ActionSkipped, p.rateLimited(at)), nil
		}
		if reason, ok := p.unchangedByCurrent(rec); ok {
			return outcome(a, recommender.ActionUnchanged, reason), nil
		}
	}
	obj, err := getObject(ctx, p.client, ref)
	switch {
	case apierrors.IsNotFound(err):
		p.limits.inControl(ref)
		return outcome(a, recommender.ActionSkipped, "the workload was deleted"), nil
	case err != nil:
		err = fmt.Errorf("reading %s %s/%s: %w", ref.Kind, ref.Namespace, ref.Name, err)
		return outcome(a, recommender.ActionFailed, err.Error()), err
	}
	prev, err := readRecord(obj.meta.Annotations)
	if err != nil {
		return outcome(a, recommender.ActionSkipped, err.Error()+"; "+handBack(ref)), nil
	}
	pl := p.planner.plan(rec, templateContainers(obj.pod), ownersOf(obj.meta.ManagedFields, p.o.FieldManager), prev)
	recorded := obj.meta.Annotations[AppliedResourcesAnnotation]
	if pl.action == recommender.ActionConflict {
		p.backOff(obj, ref, backOff{record: recorded, reason: pl.reason})
		return outcome(a, pl.action, withNotes(pl.reason, pl.notes)), nil
	}
	if reason, ok := p.limits.refused(ref, recorded); ok {
		return outcome(a, recommender.ActionConflict, "backing off: "+reason), nil
	}
	p.limits.inControl(ref)
	if at, ok := p.limits.waitingFor(prev, now); ok {
		return outcome(a, recommender.ActionSkipped, p.rateLimited(at)), nil
	}
	switch {
	case pl.action != recommender.ActionWritten:
		return outcome(a, pl.action, withNotes(pl.reason, pl.notes)), nil
	case p.o.DryRun:
		return outcome(a, recommender.ActionDryRun, withNotes("would set "+pl.reason+takeover(pl, "would take"), pl.notes)), nil
	}
	return p.apply(ctx, a, rec, obj, pl, now)
}

// backOff reports that pacer backs off from a workload: a Warning event
// the first time, or when the record changed since.
func (p *Patcher) backOff(obj object, ref recommender.WorkloadRef, b backOff) {
	if p.limits.backOff(ref, b) {
		p.event(obj, corev1.EventTypeWarning, EventApplyConflict, "%s", b.reason)
	}
}

// excluded says why direct mode leaves a recommendation alone; empty when
// it may act on it.
func (p *Patcher) excluded(rec *recommender.Recommendation, cycleErr error) string {
	switch {
	case rec.Mode != recommender.ModeApply:
		return fmt.Sprintf("mode %q: direct mode changes only workloads in mode apply", rec.Mode)
	case !supported(rec.Workload.Kind):
		return "direct mode changes only Deployments, StatefulSets and DaemonSets"
	case p.o.Covered != nil && p.o.Covered(rec.Workload):
		return "a VerticalPodAutoscaler acts for the workload, so direct mode leaves it alone"
	case rec.Outcome != recommender.OutcomeReady:
		return fmt.Sprintf("outcome %s: pacer acts only on a ready recommendation", rec.Outcome)
	case cycleErr != nil:
		return fmt.Sprintf("the cycle failed (%v); pacer changes workloads only after a cycle that fetched fresh data", cycleErr)
	}
	return ""
}

// unchangedByCurrent tells, without reading the workload, that nothing
// would move enough: when the inventory knows every recommended value.
func (p *Patcher) unchangedByCurrent(rec *recommender.Recommendation) (string, bool) {
	if p.o.Current == nil {
		return "", false
	}
	containers := currentContainers(rec, p.o.Current(rec.Workload))
	if len(containers) != len(rec.Containers) {
		return "", false
	}
	pl := p.planner.plan(rec, containers, owners{}, nil)
	return pl.reason, pl.action == recommender.ActionUnchanged
}

func (p *Patcher) rateLimited(at time.Time) string {
	return fmt.Sprintf("rate limit: pacer changed the workload at %s and changes it at most once per %s, next after %s",
		at.UTC().Format(time.RFC3339), p.o.MinInterval, at.Add(p.o.MinInterval).UTC().Format(time.RFC3339))
}

func outcome(a recommender.Actuation, action recommender.Action, reason string) recommender.Actuation {
	a.Action, a.Reason = action, reason
	return a
}

// withNotes appends what pacer left alone to a reason.
func withNotes(reason string, notes []string) string {
	if len(notes) == 0 {
		return reason
	}
	return reason + "; " + strings.Join(notes, "; ")
}

// report logs an outcome and passes it on.
func (p *Patcher) report(a recommender.Actuation) {
	attrs := []any{"object", a.Object, "action", a.Action, "reason", a.Reason}
	switch a.Action {
	case recommender.ActionWritten:
		p.o.Log.Info("workload resources applied", attrs...)
	case recommender.ActionFailed, recommender.ActionConflict:
		p.o.Log.Warn("workload resources not applied", attrs...)
	default:
		p.o.Log.Debug("workload resources", attrs...)
	}
	if p.o.Observe != nil {
		p.o.Observe(a)
	}
}

// event records an event on a workload; none in dry-run mode.
func (p *Patcher) event(obj object, eventtype, reason, format string, args ...any) {
	if p.o.Recorder == nil || p.o.DryRun {
		return
	}
	p.o.Recorder.Eventf(obj.obj, eventtype, reason, format, args...)
}

func objectName(ref recommender.WorkloadRef) string {
	return string(ref.Kind) + "/" + ref.Namespace + "/" + ref.Name
}
