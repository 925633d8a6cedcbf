package external

import (
	"context"
	"errors"
	"net/http"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	cmprovider "sigs.k8s.io/custom-metrics-apiserver/pkg/provider"

	"github.com/pacerdev/pacer/recommender"
)

// The external metrics API builds no query: a request's namespace, metric
// name and labelSelector are looked up in the in-memory store. These tests
// check that hostile values in each one are refused or looked up literally,
// so no request reads a workload it does not name exactly.

// servingProvider is a provider whose store holds fresh values of
// Deployment checkout and StatefulSet ledger in namespace shop.
func servingProvider(tb testing.TB) provider {
	tb.Helper()
	s := newStore(tb, &clock{t0}, Options{})
	publish(tb, s, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 3, 240, 0), ready(ledger, t0, 2, 10, 0)},
		map[recommender.Signal][]recommender.Series{recommender.Goroutines: {series("checkout-1", at(t0, 100)), series("ledger-0", at(t0, 7))}}))
	return provider{s}
}

// checkAnswer fails unless a request is answered with the one value of a
// workload it names exactly, or refused with 400, 404 or 503, never 500.
func checkAnswer(t *testing.T, namespace, metric, selector string, sel labels.Selector, p provider) {
	t.Helper()
	list, err := p.GetExternalMetric(context.Background(), namespace, sel, cmprovider.ExternalMetricInfo{Metric: metric})
	if err != nil {
		var se *apierrors.StatusError
		if !errors.As(err, &se) {
			t.Fatalf("%s %s {%s}: %v is not a Kubernetes status", namespace, metric, selector, err)
		}
		switch code := se.ErrStatus.Code; code {
		case http.StatusBadRequest, http.StatusNotFound, http.StatusServiceUnavailable:
		default:
			t.Fatalf("%s %s {%s}: status %d (%s), want 400, 404 or 503", namespace, metric, selector, code, se.ErrStatus.Message)
		}
		return
	}
	if len(list.Items) != 1 {
		t.Fatalf("%s %s {%s}: %d items, want exactly one", namespace, metric, selector, len(list.Items))
	}
	item := list.Items[0]
	if namespace != ns || item.MetricName != metric {
		t.Fatalf("%s %s {%s}: answered %s of namespace %s", namespace, metric, selector, item.MetricName, ns)
	}
	name := item.MetricLabels["workload"]
	if name != checkout.Name && name != ledger.Name {
		t.Fatalf("%s %s {%s}: answered for unknown workload %q", namespace, metric, selector, name)
	}
	reqs, _ := sel.Requirements()
	named := false
	for _, r := range reqs {
		if r.Key() != keyKind && r.Values().Has(name) {
			named = true
		}
	}
	if !named {
		t.Fatalf("%s %s {%s}: answered for %s, which the selector does not name", namespace, metric, selector, name)
	}
}

func TestHostileExternalMetricRequests(t *testing.T) {
	p := servingProvider(t)
	selectors := []string{
		"deployment=checkout", "deployment=checkout,deployment=ledger", "deployment in (checkout,ledger)",
		"deployment in (checkout,checkout)", "deployment notin (ledger)", "deployment!=ledger", "deployment",
		"deployment=check", "deployment=checkout-1", "workload=ledger,kind=Deployment", "statefulset=checkout",
		"deployment=checkout,app=x", "deployment=checkout,deployment!=checkout", "workload=checkout,kind=pod",
	}
	for _, s := range selectors {
		checkAnswer(t, ns, string(RecommendedReplicas), s, selector(t, s), p)
	}
	// Values the selector grammar refuses never reach pacer; built
	// directly, they are looked up literally and found nowhere.
	for _, v := range []string{`checkout"} or vector(1)`, `checkout\`, "checkout\n", `.*`, `check.*`, `checkout|ledger`, "", "*"} {
		r, err := labels.NewRequirement(keyDeployment, "=", []string{v})
		if err != nil {
			continue // refused by the grammar, as labels.Parse would
		}
		checkAnswer(t, ns, string(RecommendedReplicas), "deployment="+v, labels.NewSelector().Add(*r), p)
	}
	for _, namespace := range []string{"", "shop ", "SHOP", "shop/..", "../shop", "*", `shop"}`, "shop\x00"} {
		checkAnswer(t, namespace, string(RecommendedReplicas), "deployment=checkout", selector(t, "deployment=checkout"), p)
	}
	for _, metric := range []string{"", "pacer_recommended_replicas ", "PACER_RECOMMENDED_REPLICAS", `pacer_recommended_replicas{a="b"}`, "pacer_.*"} {
		checkAnswer(t, ns, metric, "deployment=checkout", selector(t, "deployment=checkout"), p)
	}
}

// FuzzExternalMetricRequest: any namespace, metric name and selector the
// Kubernetes grammar accepts is answered with the value of a workload it
// names exactly, or refused with 400, 404 or 503; nothing panics.
func FuzzExternalMetricRequest(f *testing.F) {
	for _, s := range []string{"deployment=checkout", "workload=ledger,kind=StatefulSet", "deployment in (checkout,ledger)", "deployment!=x", "kind=pod"} {
		f.Add(ns, string(RecommendedReplicas), s)
	}
	f.Add("shop", "pacer_goroutines", "workload=checkout")
	f.Add("", "pacer_request_rate", "statefulset=ledger")
	p := servingProvider(f)
	f.Fuzz(func(t *testing.T, namespace, metric, selector string) {
		sel, err := labels.Parse(selector)
		if err != nil {
			return
		}
		checkAnswer(t, namespace, metric, selector, sel, p)
	})
}
