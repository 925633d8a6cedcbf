package vpa

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	vpav1 "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1"
	"k8s.io/autoscaler/vertical-pod-autoscaler/pkg/client/clientset/versioned/fake"
	vpalisters "k8s.io/autoscaler/vertical-pod-autoscaler/pkg/client/listers/autoscaling.k8s.io/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/pacerdev/pacer/recommender"
)

func names(vpas []*vpav1.VerticalPodAutoscaler) string {
	var out []string
	for _, v := range vpas {
		out = append(out, v.Namespace+"/"+v.Name)
	}
	slices.Sort(out)
	return fmt.Sprint(out)
}

func TestClientListerListsOneNamespaceOrAll(t *testing.T) {
	other := vpaFor("db", "db", "pacer")
	other.Namespace = "data"
	client := fake.NewSimpleClientset(vpaFor("web", "web", "pacer"), other)
	for namespace, want := range map[string]string{"": "[data/db shop/web]", "shop": "[shop/web]"} {
		vpas, err := ClientLister(client.AutoscalingV1(), namespace).List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := names(vpas); got != want {
			t.Errorf("namespace %q: listed %s, want %s", namespace, got, want)
		}
	}
}

// An informer's objects are shared: the Writer must never change them.
func TestCacheListerObjectsAreNotChanged(t *testing.T) {
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	cached := vpaFor("web", "web", "pacer")
	if err := indexer.Add(cached); err != nil {
		t.Fatal(err)
	}
	before := cached.DeepCopy()
	client := fake.NewSimpleClientset(cached.DeepCopy())
	w := New(client.AutoscalingV1(), CacheLister(vpalisters.NewVerticalPodAutoscalerLister(indexer)), Options{})
	err := w.Publish(context.Background(), &recommender.Cycle{Recommendations: []recommender.Recommendation{
		ready("web", recommender.ModeRecommend, sized("app", 0.25, 512)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(client.Actions()) != 1 || client.Actions()[0].GetVerb() != "update" {
		t.Errorf("actions %v, want one update", client.Actions())
	}
	if !reflect.DeepEqual(cached, before) {
		t.Errorf("the cached VPA was changed")
	}
}

func TestMissingMessageIsBoundedAndStable(t *testing.T) {
	var missing []recommender.Missing
	for i := range 8 {
		missing = append(missing, recommender.Missing{Signal: recommender.CPU, Rule: fmt.Sprintf("c%d", i),
			Reason: "stale: newest sample at " + t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), Have: time.Duration(i) * time.Minute, Need: time.Hour})
	}
	got := missingMessage(missing)
	if strings.Count(got, ";") != maxMissingInMessage || !strings.HasSuffix(got, "and 3 more") || strings.Contains(got, "newest") {
		t.Errorf("message %q: want %d entries without times, then \"and 3 more\"", got, maxMissingInMessage)
	}
}
