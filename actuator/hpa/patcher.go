package hpa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	acv2 "k8s.io/client-go/applyconfigurations/autoscaling/v2"
	autoscalingv2client "k8s.io/client-go/kubernetes/typed/autoscaling/v2"

	"github.com/pacerdev/pacer/recommender"
)

// DefaultFieldManager names pacer's applies in managedFields.
const DefaultFieldManager = "pacer"

// Event reasons on an HPA.
const (
	EventTargetUpdated      = "TargetUpdated"
	EventTargetConflict     = "HPATargetConflict"
	EventTargetUpdateFailed = "TargetUpdateFailed"
)

// actuatorName names this actuator in its Actuation records.
const actuatorName = "hpa"

// Recorder emits Kubernetes events; client-go's record.EventRecorder is one.
type Recorder interface {
	Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

// Options configure a Patcher. Zero fields take the defaults named.
type Options struct {
	// FieldManager is the field manager pacer applies as (default "pacer").
	FieldManager string
	// RateMetrics name the per-pod request-rate metrics whose targets pacer
	// sets: Pods metrics, or External or Object metrics of that name
	// (default http_requests_per_second and pacer_request_rate).
	RateMetrics []string
	// DryRun computes and reports every outcome and sends nothing to the
	// API server, events included.
	DryRun bool
	Log    *slog.Logger
	// Recorder receives events on the HPAs; nil sends none.
	Recorder Recorder
	// Observe is told the outcome for every HPA pacer has a say on (one
	// with a pacer.dev/mode annotation, or whose workload has a
	// recommendation), once per cycle; nil tells no one.
	Observe func(recommender.Actuation)
	// Current says what requests a workload's pods run with now, for the
	// CPU utilization rule; nil knows nothing, and leaves CPU utilization
	// targets alone.
	Current func(recommender.WorkloadRef) recommender.Current
}

// Patcher sets the metric targets of opted-in HPAs: a recommender.Sink.
type Patcher struct {
	client  autoscalingv2client.HorizontalPodAutoscalersGetter
	lister  Lister
	o       Options
	planner planner
}

var _ recommender.Sink = (*Patcher)(nil)

// New returns a Patcher that finds HPAs with lister and applies through
// client (a clientset's AutoscalingV2()).
func New(client autoscalingv2client.HorizontalPodAutoscalersGetter, lister Lister, o Options) *Patcher {
	if o.FieldManager == "" {
		o.FieldManager = DefaultFieldManager
	}
	if o.RateMetrics == nil {
		o.RateMetrics = []string{"http_requests_per_second", "pacer_request_rate"}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Patcher{client: client, lister: lister, o: o,
		planner: planner{fieldManager: o.FieldManager, rateMetrics: slices.Clone(o.RateMetrics)}}
}

// Publish brings the targets of every opted-in HPA up to date with the
// cycle's recommendations. One HPA failing does not stop the others; the
// error joins the failures that were not expected (a conflict, a stale
// read and an HPA deleted meanwhile are reported, not returned).
func (p *Patcher) Publish(ctx context.Context, c *recommender.Cycle) error {
	hpas, err := p.lister.List(ctx)
	if err != nil {
		return fmt.Errorf("publishing to HorizontalPodAutoscalers: %w", err)
	}
	recs := make(map[recommender.WorkloadRef]*recommender.Recommendation, len(c.Recommendations))
	for i := range c.Recommendations {
		r := &c.Recommendations[i]
		if _, dup := recs[r.Workload]; !dup {
			recs[r.Workload] = r
		}
	}
	hpas = slices.Clone(hpas)
	slices.SortFunc(hpas, func(a, b *autoscalingv2.HorizontalPodAutoscaler) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	var errs []error
	for _, h := range hpas {
		rec := recs[targetOf(h)]
		if !relevant(h, rec) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, fmt.Errorf("publishing to HorizontalPodAutoscalers: %w", err))...)
		}
		a, err := p.sync(ctx, h, rec)
		p.report(a)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// applyAttempts bounds the applies per HPA per cycle when the HPA keeps
// changing between pacer's read and its forced apply (409 Conflict on the
// resourceVersion). Only a takeover carries a resourceVersion; ordinary
// applies merge with other writers' changes and cannot meet this.
const applyAttempts = 3

// sync plans one HPA and carries the plan out. When the HPA changed after
// it was read, it reads it again and plans anew from what is there now, so
// that the retry never overwrites a change pacer has not seen.
func (p *Patcher) sync(ctx context.Context, h *autoscalingv2.HorizontalPodAutoscaler, rec *recommender.Recommendation) (recommender.Actuation, error) {
	a := recommender.Actuation{Actuator: actuatorName, Workload: targetOf(h), Object: objectName(h)}
	var cur recommender.Current
	if p.o.Current != nil {
		cur = p.o.Current(a.Workload)
	}
	for attempt := 1; ; attempt++ {
		pl := p.planner.plan(h, rec, cur)
		switch {
		case pl.action == recommender.ActionConflict:
			p.event(h, corev1.EventTypeWarning, EventTargetConflict, "%s", pl.reason)
			return outcome(a, pl.action, pl.reason), nil
		case pl.action != recommender.ActionWritten:
			return outcome(a, pl.action, pl.reason), nil
		case p.o.DryRun:
			return outcome(a, recommender.ActionDryRun, "would set "+pl.reason+takeover(pl)), nil
		}
		done, stale, err := p.apply(ctx, a, h, rec, pl)
		if !stale {
			return done, err
		}
		if attempt == applyAttempts {
			return outcome(a, recommender.ActionFailed, fmt.Sprintf(
				"the HorizontalPodAutoscaler changed after pacer read it, before each of %d applies; the next cycle tries again", applyAttempts)), nil
		}
		p.o.Log.Debug("HPA changed under pacer; re-reading it", "hpa", h.Namespace+"/"+h.Name, "attempt", attempt)
		fresh, err := p.client.HorizontalPodAutoscalers(h.Namespace).Get(ctx, h.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return outcome(a, recommender.ActionSkipped, "the HorizontalPodAutoscaler was deleted"), nil
		case err != nil:
			return p.failed(a, h, fmt.Errorf("re-reading HorizontalPodAutoscaler %s/%s after a conflict: %w", h.Namespace, h.Name, err))
		}
		h = fresh
	}
}

// apply sends the plan: the whole metrics list and the record, forced
// only when taking over, and then with the resourceVersion read. stale
// says the HPA changed since it was read: nothing was written, and the
// caller may read it again and retry.
func (p *Patcher) apply(ctx context.Context, a recommender.Actuation, h *autoscalingv2.HorizontalPodAutoscaler, rec *recommender.Recommendation, pl plan) (_ recommender.Actuation, stale bool, _ error) {
	ac, err := applyConfiguration(h, pl)
	if err != nil {
		done, err := p.failed(a, h, err)
		return done, false, err
	}
	_, err = p.client.HorizontalPodAutoscalers(h.Namespace).Apply(ctx, ac, metav1.ApplyOptions{FieldManager: p.o.FieldManager, Force: pl.force})
	switch {
	case err == nil:
		p.event(h, corev1.EventTypeNormal, EventTargetUpdated, "pacer set %s; %s%s", pl.reason, ruleText(rec, pl.changes), takeover(pl))
		return outcome(a, recommender.ActionWritten, pl.reason+takeover(pl)), false, nil
	case apierrors.IsNotFound(err):
		return outcome(a, recommender.ActionSkipped, "the HorizontalPodAutoscaler was deleted"), false, nil
	case isFieldConflict(err):
		reason := fmt.Sprintf("the API server refused pacer's apply (%s); pacer would set %s. %s", statusMessage(err), pl.reason, handBack(h))
		p.event(h, corev1.EventTypeWarning, EventTargetConflict, "%s", reason)
		return outcome(a, recommender.ActionConflict, reason), false, nil
	case apierrors.IsConflict(err):
		return a, true, nil
	default:
		done, err := p.failed(a, h, fmt.Errorf("applying the metric targets of HorizontalPodAutoscaler %s/%s: %w", h.Namespace, h.Name, err))
		return done, false, err
	}
}

// applyConfiguration is what pacer applies: spec.metrics, whole, and the
// record annotation. A forced apply carries the resourceVersion read, so
// that it cannot overwrite a change pacer has not seen.
func applyConfiguration(h *autoscalingv2.HorizontalPodAutoscaler, pl plan) (*acv2.HorizontalPodAutoscalerApplyConfiguration, error) {
	raw, err := json.Marshal(pl.metrics)
	if err != nil {
		return nil, fmt.Errorf("encoding the metrics of HorizontalPodAutoscaler %s/%s: %w", h.Namespace, h.Name, err)
	}
	spec := acv2.HorizontalPodAutoscalerSpec()
	if err := json.Unmarshal(raw, &spec.Metrics); err != nil {
		return nil, fmt.Errorf("encoding the metrics of HorizontalPodAutoscaler %s/%s: %w", h.Namespace, h.Name, err)
	}
	ac := acv2.HorizontalPodAutoscaler(h.Name, h.Namespace).
		WithAnnotations(map[string]string{AppliedMetricsAnnotation: pl.record.String()}).
		WithSpec(spec)
	if pl.force && h.ResourceVersion != "" {
		ac.WithResourceVersion(h.ResourceVersion)
	}
	return ac, nil
}

// isFieldConflict reports whether an apply was refused because another
// manager owns a field (not because the object changed).
func isFieldConflict(err error) bool {
	var status apierrors.APIStatus
	if !apierrors.IsConflict(err) || !errors.As(err, &status) || status.Status().Details == nil {
		return false
	}
	return slices.ContainsFunc(status.Status().Details.Causes, func(c metav1.StatusCause) bool {
		return c.Type == metav1.CauseTypeFieldManagerConflict
	})
}

func statusMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Message
	}
	return err.Error()
}

// ruleText names the rules behind the changes for an event.
func ruleText(rec *recommender.Recommendation, changes []change) string {
	if r := rules(rec, changes); len(r) > 0 {
		return "rules: " + strings.Join(r, ", ")
	}
	return fmt.Sprintf("no rule moved the targets of policy %q", rec.Policy)
}

// takeover says whom a forced apply takes spec.metrics from.
func takeover(pl plan) string {
	if !pl.force || len(pl.from) == 0 {
		return ""
	}
	return "; taking spec.metrics over from " + names(pl.from)
}

func (p *Patcher) failed(a recommender.Actuation, h *autoscalingv2.HorizontalPodAutoscaler, err error) (recommender.Actuation, error) {
	p.event(h, corev1.EventTypeWarning, EventTargetUpdateFailed, "pacer could not set the metric targets: %v", err)
	return outcome(a, recommender.ActionFailed, err.Error()), err
}

func outcome(a recommender.Actuation, action recommender.Action, reason string) recommender.Actuation {
	a.Action, a.Reason = action, reason
	return a
}

// report logs an outcome and passes it on.
func (p *Patcher) report(a recommender.Actuation) {
	attrs := []any{"hpa", a.Object, "workload", a.Workload.String(), "action", a.Action, "reason", a.Reason}
	switch a.Action {
	case recommender.ActionWritten:
		p.o.Log.Info("HPA targets applied", attrs...)
	case recommender.ActionFailed, recommender.ActionConflict:
		p.o.Log.Warn("HPA targets not applied", attrs...)
	default:
		p.o.Log.Debug("HPA targets", attrs...)
	}
	if p.o.Observe != nil {
		p.o.Observe(a)
	}
}

// event records an event on an HPA; none in dry-run mode. The copy
// carries its kind, so any recorder can reference it.
func (p *Patcher) event(h *autoscalingv2.HorizontalPodAutoscaler, eventtype, reason, format string, args ...any) {
	if p.o.Recorder == nil || p.o.DryRun {
		return
	}
	obj := h.DeepCopy()
	obj.APIVersion, obj.Kind = autoscalingv2.SchemeGroupVersion.String(), "HorizontalPodAutoscaler"
	p.o.Recorder.Eventf(obj, eventtype, reason, format, args...)
}

func objectName(h *autoscalingv2.HorizontalPodAutoscaler) string {
	return "HorizontalPodAutoscaler/" + h.Namespace + "/" + h.Name
}
