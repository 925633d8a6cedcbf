package external

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// BenchmarkStoreGet is the work behind every request: a map lookup under
// a read lock, with 1,000 workloads in the store.
func BenchmarkStoreGet(b *testing.B) {
	c := &clock{t0}
	s := newStore(b, c, Options{})
	var recs []recommender.Recommendation
	for i := range 1000 {
		w := checkout
		w.Name += string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		recs = append(recs, ready(w, t0, 3, 240, 300))
	}
	recs = append(recs, ready(checkout, t0, 3, 240, 300))
	publish(b, s, cycle(t0, recs, nil))
	sel := selector(b, "deployment=checkout")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ns, string(RecommendedReplicas), sel); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServerGet measures external metric requests sent directly to
// the server over TLS, as the aggregator sends them: the front proxy's
// client certificate, the HPA controller's identity in headers (its
// SubjectAccessReview answered once, then cached). "serial" is one
// request at a time; "parallel" keeps GOMAXPROCS×4 in flight. Both report
// the p50 and p99 latency.
func BenchmarkServerGet(b *testing.B) {
	s := startServer(b)
	publish(b, s.store, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 3, 240, 0)}, nil))
	s.clock.now = t0.Add(time.Second)
	url := s.url + metricPath(string(RecommendedReplicas), "deployment=checkout")
	transport := &http.Transport{
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &s.front, nil }},
		MaxIdleConnsPerHost: 256,
	}
	b.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	get := func(tb testing.TB) time.Duration {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, http.NoBody)
		if err != nil {
			tb.Fatal(err)
		}
		req.Header.Set("X-Remote-User", hpaUser)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		took := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			tb.Fatalf("status %d", resp.StatusCode)
		}
		return took
	}
	get(b) // authorizes once, fills the decision cache

	b.Run("serial", func(b *testing.B) {
		var took []time.Duration
		for b.Loop() {
			took = append(took, get(b))
		}
		reportPercentiles(b, took)
	})
	b.Run("parallel", func(b *testing.B) {
		var mu sync.Mutex
		var took []time.Duration
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for pb.Next() {
				mine = append(mine, get(b))
			}
			mu.Lock()
			took = append(took, mine...)
			mu.Unlock()
		})
		reportPercentiles(b, took)
	})
}

func reportPercentiles(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
