package vpa

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	vpav1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	vpaclient "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/client/clientset/versioned/typed/autoscaling.k8s.io/v1"

	"github.com/pacerdev/pacer/recommender"
)

// DefaultRecommenderName is the name a VPA's spec.recommenders gives pacer.
const DefaultRecommenderName = "pacer"

// FieldManager names pacer's status writes in managedFields.
const FieldManager = "pacer"

// Event reasons on a VPA.
const (
	EventRecommendationUpdated     = "RecommendationUpdated"
	EventRecommendationWriteFailed = "RecommendationWriteFailed"
)

// actuatorName names this actuator in its Actuation records.
const actuatorName = "vpa"

// writeAttempts bounds the status writes per VPA per cycle when the VPA
// keeps changing under pacer (409 Conflict).
const writeAttempts = 3

// Recorder emits Kubernetes events; client-go's record.EventRecorder is one.
type Recorder interface {
	Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

// Options configure a Writer. Zero fields take the defaults named.
type Options struct {
	// RecommenderName is the name a VPA must list in spec.recommenders for
	// pacer to write to it (default "pacer").
	RecommenderName string
	// DryRun computes and reports every outcome and sends no write at all,
	// not even a server-side dry run (which needs write permission).
	DryRun bool
	Now    func() time.Time
	Log    *slog.Logger
	// Recorder receives events on the VPAs written; nil sends none.
	Recorder Recorder
	// Observe is told the outcome for every VPA that names pacer, once per
	// cycle; nil tells no one.
	Observe func(recommender.Actuation)
}

// Writer writes pacer's recommendations into the status of the VPAs that
// name pacer as their recommender.
type Writer struct {
	client vpaclient.VerticalPodAutoscalersGetter
	lister Lister
	o      Options
}

var _ recommender.Sink = (*Writer)(nil)

// New returns a Writer that finds VPAs with lister and writes through
// client (a VPA clientset's AutoscalingV1()).
func New(client vpaclient.VerticalPodAutoscalersGetter, lister Lister, o Options) *Writer {
	if o.RecommenderName == "" {
		o.RecommenderName = DefaultRecommenderName
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Writer{client: client, lister: lister, o: o}
}

// Publish brings the status of every VPA that names pacer up to date with
// the cycle's recommendations. One VPA failing does not stop the others;
// the error joins the failures that were not expected (a conflict that
// outlasts the retries and a VPA deleted meanwhile are reported, not
// returned).
func (w *Writer) Publish(ctx context.Context, c *recommender.Cycle) error {
	vpas, err := w.lister.List(ctx)
	if err != nil {
		return fmt.Errorf("publishing to VerticalPodAutoscalers: %w", err)
	}
	recs := make(map[recommender.WorkloadRef]*recommender.Recommendation, len(c.Recommendations))
	for i := range c.Recommendations {
		r := &c.Recommendations[i]
		if _, dup := recs[r.Workload]; !dup {
			recs[r.Workload] = r
		}
	}
	lookup := func(ref recommender.WorkloadRef) *recommender.Recommendation { return recs[ref] }
	vpas = slices.Clone(vpas)
	slices.SortFunc(vpas, func(a, b *vpav1.VerticalPodAutoscaler) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})

	var errs []error
	for _, v := range vpas {
		if !w.namesPacer(v) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, fmt.Errorf("publishing to VerticalPodAutoscalers: %w", err))...)
		}
		a, err := w.sync(ctx, v, lookup, c.Err != nil)
		w.report(a)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// namesPacer reports whether a VPA lists pacer among its recommenders. A
// VPA that lists none belongs to the default recommender.
func (w *Writer) namesPacer(v *vpav1.VerticalPodAutoscaler) bool {
	return slices.ContainsFunc(v.Spec.Recommenders, func(r *vpav1.VerticalPodAutoscalerRecommenderSelector) bool {
		return r != nil && r.Name == w.o.RecommenderName
	})
}

// sync brings one VPA's status up to date: plan, compare, write, and on a
// conflict re-read and start over.
func (w *Writer) sync(ctx context.Context, v *vpav1.VerticalPodAutoscaler, lookup func(recommender.WorkloadRef) *recommender.Recommendation, cycleFailed bool) (recommender.Actuation, error) {
	a := recommender.Actuation{Actuator: actuatorName, Object: objectName(v)}
	for attempt := 1; ; attempt++ {
		p := planFor(v, lookup, cycleFailed, w.o.Now())
		a.Workload = p.ref
		switch {
		case p.skip != "":
			return w.outcome(a, recommender.ActionSkipped, p.skip), nil
		case apiequality.Semantic.DeepEqual(v.Status, p.status):
			if p.withheld != "" {
				return w.outcome(a, recommender.ActionSkipped, p.withheld), nil
			}
			return w.outcome(a, recommender.ActionUnchanged, p.summary), nil
		case w.o.DryRun:
			if p.withheld != "" {
				return w.outcome(a, recommender.ActionSkipped, p.withheld), nil
			}
			return w.outcome(a, recommender.ActionDryRun, p.summary), nil
		}

		updated := v.DeepCopy()
		updated.Status = *p.status.DeepCopy()
		_, err := w.client.VerticalPodAutoscalers(v.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: FieldManager})
		switch {
		case err == nil:
			return w.written(a, v, p), nil
		case apierrors.IsNotFound(err):
			return w.outcome(a, recommender.ActionSkipped, "the VerticalPodAutoscaler was deleted"), nil
		case apierrors.IsConflict(err) && attempt < writeAttempts:
			w.o.Log.Debug("VPA changed under pacer; re-reading it", "vpa", v.Namespace+"/"+v.Name, "attempt", attempt)
			fresh, err := w.client.VerticalPodAutoscalers(v.Namespace).Get(ctx, v.Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				return w.outcome(a, recommender.ActionSkipped, "the VerticalPodAutoscaler was deleted"), nil
			case err != nil:
				return w.failed(a, v, fmt.Errorf("re-reading VerticalPodAutoscaler %s/%s after a conflict: %w", v.Namespace, v.Name, err))
			case !w.namesPacer(fresh):
				return w.outcome(a, recommender.ActionSkipped, "the VerticalPodAutoscaler no longer names "+w.o.RecommenderName), nil
			}
			v = fresh
		case apierrors.IsConflict(err):
			return w.outcome(a, recommender.ActionConflict,
				fmt.Sprintf("the VerticalPodAutoscaler changed during each of %d writes; next cycle tries again", writeAttempts)), nil
		default:
			return w.failed(a, v, fmt.Errorf("writing the status of VerticalPodAutoscaler %s/%s: %w", v.Namespace, v.Name, err))
		}
	}
}

// written reports a status write: a new recommendation (with an event
// when a target moved), or only a condition while it is withheld.
func (w *Writer) written(a recommender.Actuation, old *vpav1.VerticalPodAutoscaler, p plan) recommender.Actuation {
	if p.withheld != "" {
		w.o.Log.Info("VPA condition written", "vpa", a.Object, "reason", p.withheld)
		return w.outcome(a, recommender.ActionSkipped, p.withheld)
	}
	if targetsChanged(old.Status.Recommendation, p.status.Recommendation) {
		w.event(old, corev1.EventTypeNormal, EventRecommendationUpdated, "pacer recommends %s", p.summary)
	}
	return w.outcome(a, recommender.ActionWritten, p.summary)
}

func (w *Writer) failed(a recommender.Actuation, v *vpav1.VerticalPodAutoscaler, err error) (recommender.Actuation, error) {
	w.event(v, corev1.EventTypeWarning, EventRecommendationWriteFailed, "pacer could not write the recommendation: %v", err)
	return w.outcome(a, recommender.ActionFailed, err.Error()), err
}

func (w *Writer) outcome(a recommender.Actuation, action recommender.Action, reason string) recommender.Actuation {
	a.Action, a.Reason = action, reason
	return a
}

// report logs an outcome and passes it on.
func (w *Writer) report(a recommender.Actuation) {
	attrs := []any{"vpa", a.Object, "workload", a.Workload.String(), "action", a.Action, "reason", a.Reason}
	switch a.Action {
	case recommender.ActionWritten:
		w.o.Log.Info("VPA recommendation written", attrs...)
	case recommender.ActionFailed, recommender.ActionConflict:
		w.o.Log.Warn("VPA recommendation not written", attrs...)
	default:
		w.o.Log.Debug("VPA recommendation", attrs...)
	}
	if w.o.Observe != nil {
		w.o.Observe(a)
	}
}

// event records an event on a VPA. The copy carries its kind, so any
// recorder can reference it, whatever its scheme knows.
func (w *Writer) event(v *vpav1.VerticalPodAutoscaler, eventtype, reason, format string, args ...any) {
	if w.o.Recorder == nil || w.o.DryRun {
		return
	}
	obj := v.DeepCopy()
	obj.APIVersion, obj.Kind = vpav1.SchemeGroupVersion.String(), "VerticalPodAutoscaler"
	w.o.Recorder.Eventf(obj, eventtype, reason, format, args...)
}

// targetsChanged reports whether any container's target differs.
func targetsChanged(old, updated *vpav1.RecommendedPodResources) bool {
	targets := func(r *vpav1.RecommendedPodResources) map[string]corev1.ResourceList {
		out := map[string]corev1.ResourceList{}
		if r != nil {
			for _, c := range r.ContainerRecommendations {
				out[c.ContainerName] = c.Target
			}
		}
		return out
	}
	return !apiequality.Semantic.DeepEqual(targets(old), targets(updated))
}

func objectName(v *vpav1.VerticalPodAutoscaler) string {
	return "VerticalPodAutoscaler/" + v.Namespace + "/" + v.Name
}
