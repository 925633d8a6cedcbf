package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	vpav1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	vpaclientset "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/client/clientset/versioned"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"

	"github.com/pacerdev/pacer/actuator/direct"
	"github.com/pacerdev/pacer/actuator/hpa"
	"github.com/pacerdev/pacer/actuator/metrics"
	"github.com/pacerdev/pacer/actuator/vpa"
	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
	"github.com/pacerdev/pacer/sources/kube"
)

// clusterEvaluator is the policy engine fed with what the cluster says:
// before each cycle it reads the inventory from the informer caches, and
// resolves every workload's policy again from its labels and annotations,
// so that a changed annotation takes effect at the next cycle.
type clusterEvaluator struct {
	set     *policy.Set
	watcher *kube.Watcher
	engine  *policy.Engine
	log     *slog.Logger

	mu  sync.RWMutex
	inv *kube.Inventory
}

var _ recommender.Evaluator = (*clusterEvaluator)(nil)

func newClusterEvaluator(set *policy.Set, watcher *kube.Watcher, log *slog.Logger) *clusterEvaluator {
	e := &clusterEvaluator{set: set, watcher: watcher, log: log}
	e.engine = policy.NewEngine(e.resolve)
	return e
}

func (e *clusterEvaluator) inventory() *kube.Inventory {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.inv
}

func (e *clusterEvaluator) resolve(w recommender.WorkloadRef) (policy.Policy, error) {
	if inv := e.inventory(); inv != nil {
		if k := inv.Workloads[w]; k != nil {
			return e.set.For(w, k.Labels, k.Annotations)
		}
	}
	return e.set.For(w, nil, nil)
}

func (e *clusterEvaluator) Observe(snap *recommender.Snapshot, workloadOf func(recommender.ContainerRef) recommender.WorkloadRef) error {
	inv, err := e.watcher.Inventory()
	if err != nil {
		return fmt.Errorf("reading the Kubernetes caches: %w", err)
	}
	e.mu.Lock()
	e.inv = inv
	e.mu.Unlock()
	e.engine.Reresolve(e.resolve)
	return e.engine.Observe(snap, workloadOf)
}

// Forget drops the engine's workloads without samples since before.
func (e *clusterEvaluator) Forget(before time.Time) int { return e.engine.Forget(before) }

func (e *clusterEvaluator) Recommend(now time.Time, current func(recommender.WorkloadRef) recommender.Current) []recommender.Recommendation {
	return e.engine.Recommend(now, current)
}

func (e *clusterEvaluator) workloadOf(r recommender.ContainerRef) recommender.WorkloadRef {
	if inv := e.inventory(); inv != nil {
		return inv.WorkloadOf(r)
	}
	return recommender.GuessWorkload(r.Namespace, r.Pod)
}

func (e *clusterEvaluator) current(w recommender.WorkloadRef) recommender.Current {
	if inv := e.inventory(); inv != nil {
		return inv.Current(w)
	}
	return recommender.Current{}
}

// actuators returns the writers serve publishes to while it leads: the
// status of VPAs that name pacer, the HPA targets of opted-in HPAs and,
// with --direct, the workloads themselves. Each reports what it did to the
// metrics and the log.
func (o *serveOptions) actuators(ctx context.Context, cfg *rest.Config, typed kubernetes.Interface, watcher *kube.Watcher, eval *clusterEvaluator,
	exporter *metrics.Exporter, log *slog.Logger) ([]recommender.Sink, error) {
	recorder, err := eventRecorder(ctx, typed, o.leader.replica())
	if err != nil {
		return nil, err
	}
	observe := func(a recommender.Actuation) {
		exporter.Observe(a)
		if a.Action != recommender.ActionSkipped && a.Action != recommender.ActionUnchanged {
			log.Info("actuation", "actuator", a.Actuator, "object", a.Object, "action", a.Action, "reason", a.Reason)
		}
	}
	sinks := []recommender.Sink{
		hpa.New(typed.AutoscalingV2(), hpa.ListerFunc(watcher.HPAs), hpa.Options{
			RateMetrics: o.rateMetrics, DryRun: o.dryRun, Log: log, Recorder: recorder, Observe: observe, Current: eval.current,
		}),
	}
	if watcher.VPAInstalled() {
		vpas, err := vpaclientset.NewForConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("VPA client: %w", err)
		}
		sinks = append(sinks, vpa.New(vpas.AutoscalingV1(), vpa.ClientLister(vpas.AutoscalingV1(), o.namespace), vpa.Options{
			RecommenderName: o.recommenderName, DryRun: o.dryRun, Log: log, Recorder: recorder, Observe: observe,
		}))
	} else {
		log.Warn("the VerticalPodAutoscaler API is not installed: pacer writes no VPA status (restart pacer after installing it)")
	}
	if o.direct {
		sinks = append(sinks, direct.New(typed, direct.Options{
			DryRun: o.dryRun, Log: log, Recorder: recorder, Observe: observe, Current: eval.current,
			// Any VPA rewrites pod requests at admission: direct mode leaves those workloads to it.
			Covered: func(w recommender.WorkloadRef) bool {
				inv := eval.inventory()
				return inv != nil && inv.Workloads[w] != nil && len(inv.Workloads[w].VPAs) > 0
			},
		}))
	}
	bound := make([]recommender.Sink, len(sinks))
	for i, s := range sinks {
		bound[i] = termBound{sink: s, lead: o.leader.leadership()}
	}
	return bound, nil
}

// termBound passes cycles to a writer only within a leadership term, and
// ends a write in flight when the term ends: a replica that fails to renew
// its lease stops writing at the renew deadline, before the lease expires
// and another replica may lead, even in the middle of a cycle's writes.
type termBound struct {
	sink recommender.Sink
	lead *leadership
}

func (b termBound) Publish(ctx context.Context, c *recommender.Cycle) error {
	term := b.lead.current()
	if term == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(term, cancel)()
	return b.sink.Publish(ctx, c)
}

// leadership holds the context of this replica's current leadership term.
type leadership struct {
	mu   sync.Mutex
	term context.Context // nil while this replica does not lead
}

// current returns the term's context, nil when this replica does not lead.
func (l *leadership) current() context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.term == nil || l.term.Err() != nil {
		return nil
	}
	return l.term
}

// start begins a term and tells onChange, unless the term is already
// over: client-go starts OnStartedLeading in a goroutine, which may run
// after OnStoppedLeading when the first renewal fails at once.
func (l *leadership) start(term context.Context, onChange func(bool)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if term.Err() != nil {
		return
	}
	l.term = term
	onChange(true)
}

func (l *leadership) stop(onChange func(bool)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.term = nil
	onChange(false)
}

// eventRecorder sends Kubernetes Events as component "pacer" from host
// replica, the identity this replica holds the leader Lease under: with
// several replicas, an Event says which one wrote, and that it led then.
func eventRecorder(ctx context.Context, client kubernetes.Interface, replica string) (record.EventRecorder, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := vpav1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	return broadcaster.NewRecorder(scheme, corev1.EventSource{Component: "pacer", Host: replica}), nil
}

// leaderOptions are the flags of leader election.
type leaderOptions struct {
	enabled       bool
	namespace     string
	id            string
	leaseDuration time.Duration
	renewDeadline time.Duration
	retryPeriod   time.Duration

	identity string      // this replica's, once replica has made it
	lead     *leadership // once leadership has made it
}

// leadership returns the record of this replica's leadership terms,
// which run keeps and the writers consult.
func (o *leaderOptions) leadership() *leadership {
	if o.lead == nil {
		o.lead = &leadership{}
	}
	return o.lead
}

// replica names this replica in the Lease and in its Events: the pod's
// name and the start time, so a restarted pod does not inherit a lease
// its previous life held.
func (o *leaderOptions) replica() string {
	if o.identity == "" {
		o.identity = hostname() + "_" + fmt.Sprint(time.Now().UnixNano())
	}
	return o.identity
}

func (o *leaderOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.enabled, "leader-elect", true, "elect a leader with a Lease: every replica computes and serves, only the leader writes")
	fs.StringVar(&o.namespace, "leader-elect-namespace", "", "namespace of the Lease (default: $POD_NAMESPACE)")
	fs.StringVar(&o.id, "leader-elect-id", "pacer", "name of the Lease")
	fs.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second, "how long a lease is valid without renewal")
	fs.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second, "how long the leader retries renewing before it gives up")
	fs.DurationVar(&o.retryPeriod, "leader-elect-retry-period", 2*time.Second, "time between tries to acquire or renew")
}

func (o *leaderOptions) validate() []error {
	if !o.enabled {
		return nil
	}
	var errs []error
	if o.namespace == "" {
		o.namespace = os.Getenv("POD_NAMESPACE")
	}
	if o.namespace == "" {
		errs = append(errs, errors.New("--leader-elect needs --leader-elect-namespace or $POD_NAMESPACE"))
	}
	if o.retryPeriod <= 0 || o.retryPeriod >= o.renewDeadline || o.renewDeadline >= o.leaseDuration {
		errs = append(errs, fmt.Errorf("leader election: want 0 < retry period %s < renew deadline %s < lease duration %s",
			o.retryPeriod, o.renewDeadline, o.leaseDuration))
	}
	return errs
}

// run elects a leader until ctx ends, telling onChange when this replica
// starts and stops leading. Without election, this replica always leads.
func (o *leaderOptions) run(ctx context.Context, client kubernetes.Interface, onChange func(bool), log *slog.Logger) error {
	lead := o.leadership()
	if !o.enabled {
		lead.start(ctx, onChange)
		<-ctx.Done()
		lead.stop(func(bool) {})
		return nil
	}
	identity := o.replica()
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, o.namespace, o.id,
		client.CoreV1(), client.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: identity})
	if err != nil {
		return fmt.Errorf("leader election lock: %w", err)
	}
	// A lost lease is not the end: stop writing and stand again, until ctx ends.
	for ctx.Err() == nil {
		leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
			Lock: lock, ReleaseOnCancel: true, Name: o.id,
			LeaseDuration: o.leaseDuration, RenewDeadline: o.renewDeadline, RetryPeriod: o.retryPeriod,
			Callbacks: leaderelection.LeaderCallbacks{
				// The term's context ends when renewal fails, before
				// OnStoppedLeading: writes in flight end with it.
				OnStartedLeading: func(term context.Context) { lead.start(term, onChange) },
				OnStoppedLeading: func() { lead.stop(onChange) },
				OnNewLeader: func(id string) {
					if id != identity {
						log.Info("another replica leads", "leader", id)
					}
				},
			},
		})
	}
	return nil
}
