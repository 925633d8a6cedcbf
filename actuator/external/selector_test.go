package external

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/pacerdev/pacer/recommender"
)

func TestParseSelector(t *testing.T) {
	tests := []struct {
		selector string
		want     target
		err      string // part of the message; empty for success
	}{
		{"deployment=checkout", target{recommender.KindDeployment, "checkout"}, ""},
		{"deployment==checkout", target{recommender.KindDeployment, "checkout"}, ""},
		{"deployment in (checkout)", target{recommender.KindDeployment, "checkout"}, ""},
		{"statefulset=ledger", target{recommender.KindStatefulSet, "ledger"}, ""},
		{"daemonset=agent", target{recommender.KindDaemonSet, "agent"}, ""},
		{"workload=checkout", target{"", "checkout"}, ""},
		{"workload=checkout,kind=deployment", target{recommender.KindDeployment, "checkout"}, ""},
		{"kind=StatefulSet,workload=ledger", target{recommender.KindStatefulSet, "ledger"}, ""},
		{"workload=web-0,kind=pod", target{recommender.KindPod, "web-0"}, ""},
		{"deployment=checkout,kind=Deployment", target{recommender.KindDeployment, "checkout"}, ""},
		{"", target{}, "a labelSelector is required"},
		{"deployment in (a,b)", target{}, `uses "in"`},
		{"deployment!=checkout", target{}, `uses "!="`},
		{"deployment", target{}, `uses "exists"`},
		{"!deployment", target{}, `uses "!"`},
		{"app=checkout", target{}, `pacer knows no label "app"`},
		{"kind=Deployment", target{}, "names no workload"},
		{"deployment=a,workload=b", target{}, "names a workload twice"},
		{"deployment=a,statefulset=b", target{}, "names a workload twice"},
		{"deployment=a,kind=StatefulSet", target{}, "contradicts kind=StatefulSet"},
		{"workload=a,kind=CronJob", target{}, `kind "CronJob"`},
		{"deployment=", target{}, "the workload name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.selector, func(t *testing.T) {
			got, err := parseSelector(selector(t, tt.selector))
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Reason != ReasonBadRequest || !strings.Contains(qe.Message, tt.err) {
				t.Fatalf("err = %v, want a bad request mentioning %q", err, tt.err)
			}
		})
	}
	if _, err := parseSelector(labels.Nothing()); err == nil {
		t.Error("a selector that selects nothing was accepted")
	}
	if _, err := parseSelector(nil); err == nil {
		t.Error("a nil selector was accepted")
	}
}

// FuzzParseSelector: any selector the Kubernetes parser accepts either
// names one workload or is a bad request; it never panics.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"deployment=checkout", "workload=a,kind=pod", "deployment in (a,b)", "x!=y", "!a", "kind=Deployment"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := labels.Parse(s)
		if err != nil {
			return
		}
		got, err := parseSelector(sel)
		var qe *QueryError
		switch {
		case err == nil && got.name == "":
			t.Fatalf("%q: no error and no workload name", s)
		case err != nil && (!errors.As(err, &qe) || qe.Reason != ReasonBadRequest):
			t.Fatalf("%q: %v is not a bad request", s, err)
		}
	})
}
