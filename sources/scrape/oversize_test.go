package scrape

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestCompressedBodyOverTheLimit: a target that answers with a small gzip
// body that inflates to 4 MiB is refused at the limit, counted on the
// inflated bytes, with an error naming the target; nothing is stored.
func TestCompressedBodyOverTheLimit(t *testing.T) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	chunk := bytes.Repeat([]byte("go_goroutines 7\n"), 1<<16) // 1 MiB
	for range 4 {
		_, _ = zw.Write(chunk)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("the scraper does not ask for gzip; the test proves nothing")
		}
		w.Header().Set("Content-Type", textFormat)
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(bomb.Bytes())
	}))
	s := newScraper(t, newClock(), func(o *Options) { o.MaxBodyBytes = 256 << 10 }, target(srv.URL+"/metrics", "bomb-0"))
	s.ScrapeOnce(context.Background())
	h := s.Health()[0]
	if h.LastError == nil || !strings.Contains(h.LastError.Error(), "body larger than 262144 bytes") || !strings.Contains(h.LastError.Error(), srv.URL) {
		t.Errorf("error = %v, want the body limit and the target", h.LastError)
	}
	if series, points := s.Store().Stats(); series != 0 || points != 0 {
		t.Errorf("the store holds %d series, %d points; want nothing", series, points)
	}
	t.Logf("%d bytes compressed, 4 MiB inflated: %v", bomb.Len(), h.LastError)
}
