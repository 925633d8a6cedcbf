package prometheus

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

var at = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// answer is what the fake Prometheus API returns for a query.
type answer struct {
	status int
	body   string
	delay  time.Duration
}

func vector(samples ...string) answer {
	return answer{status: 200, body: `{"status":"success","data":{"resultType":"vector","result":[` + strings.Join(samples, ",") + `]}}`}
}

func sample(ns, pod, container, value string) string {
	return `{"metric":{"namespace":"` + ns + `","pod":"` + pod + `","container":"` + container + `"},"value":[` +
		jsonNumber(at.Unix()) + `,"` + value + `"]}`
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// fakeAPI serves /api/v1/query and /api/v1/query_range; route picks the
// answer from the query text.
func fakeAPI(t *testing.T, route func(query string) answer) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		a := route(r.Form.Get("query"))
		if a.delay > 0 {
			select {
			case <-time.After(a.delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newTestSource(t *testing.T, url string, mod func(*Options)) *Source {
	t.Helper()
	o := Options{URL: url, Timeout: 2 * time.Second}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func instant() recommender.Query { return recommender.Query{Window: recommender.Window{End: at}} }

func TestFetchMapsEverySignal(t *testing.T) {
	srv := fakeAPI(t, func(q string) answer {
		if strings.HasPrefix(q, "count by (__name__)") {
			return vector()
		}
		return vector(sample("shop", "checkout-7d9f8b6c5d-x2x4z", "app", "42"), sample("shop", "cart-0", "app", "7"))
	})
	snap, err := newTestSource(t, srv.URL, nil).Fetch(context.Background(), instant())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Problems) != 0 {
		t.Fatalf("problems: %v", snap.Problems)
	}
	for _, sig := range recommender.Signals() {
		series := snap.Series[sig]
		if len(series) != 2 {
			t.Fatalf("%s: %d series, want 2", sig, len(series))
		}
		if series[0].Ref.Pod != "cart-0" || series[0].Samples[0].Value != 7 || !series[0].Samples[0].At.Equal(at) {
			t.Errorf("%s: first series %+v", sig, series[0])
		}
	}
}

func TestFetchRange(t *testing.T) {
	srv := fakeAPI(t, func(q string) answer {
		return answer{status: 200, body: `{"status":"success","data":{"resultType":"matrix","result":[
			{"metric":{"namespace":"a","pod":"p","container":"c"},"values":[[1764072000,"1"],[1764072060,"NaN"],[1764072120,"3"]]}]}}`}
	})
	q := recommender.Query{Window: recommender.Window{End: at, Range: 2 * time.Minute, Step: time.Minute}}
	snap, err := newTestSource(t, srv.URL, nil).Fetch(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	got := snap.Series[recommender.Goroutines][0].Samples
	if len(got) != 2 || got[0].Value != 1 || got[1].Value != 3 {
		t.Fatalf("samples %+v, want the NaN dropped", got)
	}
}

func TestFetchProblems(t *testing.T) {
	tests := []struct {
		name     string
		answer   answer
		wantKind ErrorKind // empty: expect no-data
		wantText string
	}{
		{"server error", answer{status: 503, body: "overloaded"}, KindHTTP, "server error: 503"},
		{"client error", answer{status: 404, body: "no such path"}, KindHTTP, "client error: 404"},
		{"promql error", answer{status: 400, body: `{"status":"error","errorType":"bad_data","error":"parse error at char 5"}`}, KindBadQuery, "parse error"},
		{"garbage", answer{status: 200, body: `{"status":"success","data":{"resultType":"vector","result":[{`}, KindBadResponse, ""},
		{"slow", answer{status: 200, body: `{}`, delay: 5 * time.Second}, KindTimeout, ""},
		{"duplicate series", vector(sample("a", "p", "c", "1"), sample("a", "p", "c", "2")), KindBadResponse, "two series for container a/p/c"},
		{"no pod label", vector(`{"metric":{"namespace":"a"},"value":[1,"1"]}`), KindBadResponse, "has no pod label"},
		{"scalar", answer{status: 200, body: `{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}`}, KindBadResponse, "want a vector or matrix"},
		{"empty", vector(), "", "returned no series"},
		{"truncated body", answer{status: 200, body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"namespace":"a","pod":"p","container":"c"},"value":[1,"1`}, KindBadResponse, ""},
		{"not json", answer{status: 200, body: `<html><body>502 Bad Gateway</body></html>`}, KindBadResponse, ""},
		{"sample not a number", vector(sample("a", "p", "c", "many")), KindBadResponse, ""},
		{"partial response", answer{status: 200, body: `{"status":"success","warnings":["No StoreAPIs matched for this query"],"data":{"resultType":"vector","result":[` +
			sample("a", "p", "c", "1") + `]}}`}, KindPartial, "No StoreAPIs matched"},
		{"nan", vector(sample("a", "p", "c", "NaN"), sample("a", "q", "c", "+Inf")), "", "all 2 samples were NaN or infinite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeAPI(t, func(q string) answer {
				if strings.HasPrefix(q, "count by (__name__)") {
					return answer{status: 500, body: "detection fails too"}
				}
				if strings.Contains(q, "go_goroutines") {
					return tt.answer
				}
				return vector(sample("a", "p", "c", "1"))
			})
			src := newTestSource(t, srv.URL, func(o *Options) { o.Timeout = 200 * time.Millisecond })
			snap, err := src.Fetch(context.Background(), instant())
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := snap.Series[recommender.Goroutines]; ok {
				t.Fatalf("goroutines has series %v, want none", snap.Series[recommender.Goroutines])
			}
			problem := snap.Problems[recommender.Goroutines]
			if problem == nil {
				t.Fatal("no problem recorded for goroutines")
			}
			if !strings.Contains(problem.Error(), "go_goroutines") {
				t.Errorf("error %q does not name the query", problem)
			}
			if tt.wantText != "" && !strings.Contains(problem.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", problem, tt.wantText)
			}
			if tt.wantKind == "" {
				if !errors.Is(problem, recommender.ErrNoData) {
					t.Errorf("error %q is not no-data", problem)
				}
				return
			}
			var qe *QueryError
			if !errors.As(problem, &qe) || qe.Kind != tt.wantKind {
				t.Errorf("error %q: want a QueryError of kind %s", problem, tt.wantKind)
			}
			if _, ok := snap.Series[recommender.AllocRate]; !ok {
				t.Error("a failing signal took the other signals down")
			}
		})
	}
}

func TestFetchUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := newTestSource(t, url, nil).Fetch(context.Background(), instant())
	var qe *QueryError
	if err == nil || !errors.As(err, &qe) || qe.Kind != KindUnreachable {
		t.Fatalf("err = %v, want an unreachable QueryError", err)
	}
	if !strings.Contains(err.Error(), "every query failed") || !strings.Contains(err.Error(), url) {
		t.Errorf("error %q should say every query to %s failed", err, url)
	}
}

func TestMissingMetricIsExplained(t *testing.T) {
	srv := fakeAPI(t, func(q string) answer {
		switch {
		case strings.HasPrefix(q, "count by (__name__)"):
			return vector(`{"metric":{"__name__":"http_requests_total"},"value":[1,"3"]}`)
		case strings.Contains(q, "go_gc_heap_goal_bytes"), strings.Contains(q, "http_requests_total"):
			return vector()
		}
		return vector(sample("a", "p", "c", "1"))
	})
	snap, err := newTestSource(t, srv.URL, nil).Fetch(context.Background(), instant())
	if err != nil {
		t.Fatal(err)
	}
	goal := snap.Problems[recommender.HeapGoal]
	if goal == nil || !strings.Contains(goal.Error(), "metric go_gc_heap_goal_bytes is not present") ||
		!strings.Contains(goal.Error(), "WithGoCollectorRuntimeMetrics") {
		t.Errorf("heap goal problem = %v", goal)
	}
	req := snap.Problems[recommender.RequestRate]
	if req == nil || !strings.Contains(req.Error(), "too little history") {
		t.Errorf("request rate problem = %v, want the metric present but no rate", req)
	}
}

func TestCustomQueryAndLabels(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := fakeAPI(t, func(q string) answer {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, q)
		return vector(`{"metric":{"kubernetes_namespace":"a","kubernetes_pod_name":"p","ctr":"c"},"value":[1,"5"]}`)
	})
	src := newTestSource(t, srv.URL, func(o *Options) {
		o.Parallelism = 1
		o.Labels = Labels{Namespace: "kubernetes_namespace", Pod: "kubernetes_pod_name", Container: "ctr"}
		o.Queries = map[recommender.Signal]string{
			recommender.RequestRate: `sum by ({{.By}}) (rate(grpc_server_handled_total{{.Selector}}[{{.Range}}]))`,
		}
		o.RateRange = 30 * time.Second
	})
	q := instant()
	q.Selector.Namespaces = []string{"a"}
	snap, err := src.Fetch(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	want := `sum by (kubernetes_namespace, kubernetes_pod_name, ctr) (rate(grpc_server_handled_total{kubernetes_namespace="a"}[30s]))`
	mu.Lock()
	defer mu.Unlock()
	found := false
	for _, s := range seen {
		found = found || s == want
	}
	if !found {
		t.Errorf("custom query not sent; sent %q", seen)
	}
	if got := snap.Series[recommender.RequestRate][0].Ref; got != (recommender.ContainerRef{Namespace: "a", Pod: "p", Container: "c"}) {
		t.Errorf("ref %v", got)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no url", Options{}, "URL is empty"},
		{"bad scheme", Options{URL: "ftp://x"}, "want http:// or https://"},
		{"bad label", Options{URL: "http://x", Labels: Labels{Pod: "pod-name"}}, `pod label: label name "pod-name"`},
		{"short range", Options{URL: "http://x", RateRange: time.Millisecond}, "shorter than 1s"},
		{"bad template", Options{URL: "http://x", Queries: map[recommender.Signal]string{recommender.CPU: "{{.Nope}}"}}, "query template for signal cpu"},
		{"unknown signal", Options{URL: "http://x", Queries: map[recommender.Signal]string{"cpus": "x"}}, `unknown signal "cpus"`},
		{"two auths", Options{URL: "http://x", Client: ClientOptions{BearerTokenFile: "/dev/null", BasicAuthUser: "u", BasicAuthPasswordFile: "/dev/null"}}, "choose one"},
		{"missing token file", Options{URL: "http://x", Client: ClientOptions{BearerTokenFile: "/nonexistent/token"}}, "bearer token file: stat /nonexistent/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.o.Validate()
			if !strings.Contains(errors.Join(errs...).Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", errs, tt.want)
			}
		})
	}
	if errs := (Options{URL: "https://mimir.example/prometheus"}).Validate(); len(errs) != 0 {
		t.Errorf("valid options refused: %v", errs)
	}
}

func TestInformationalWarningsPass(t *testing.T) {
	srv := fakeAPI(t, func(string) answer {
		return answer{status: 200, body: `{"status":"success","warnings":["PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"go_goroutines\""],` +
			`"data":{"resultType":"vector","result":[` + sample("a", "p", "c", "1") + `]}}`}
	})
	snap, err := newTestSource(t, srv.URL, nil).Fetch(context.Background(), instant())
	if err != nil {
		t.Fatal(err)
	}
	if problem := snap.Problems[recommender.Goroutines]; problem != nil {
		t.Errorf("an informational note refused the answer: %v", problem)
	}
}
