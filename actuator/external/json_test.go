package external

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

func TestJSONHandler(t *testing.T) {
	c := &clock{t0}
	s := newStore(t, c, Options{StaleAfter: time.Minute})
	publish(t, s, cycle(t0, []recommender.Recommendation{ready(checkout, t0, 3, 240, 0)}, nil))
	c.now = t0.Add(10 * time.Second)
	h := JSONHandler(s, c.Now)

	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, http.NoBody))
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		return rec.Code, rec.Body.String()
	}

	status, body := get("/api/v1/external/shop/pacer_recommended_replicas?labelSelector=deployment%3Dcheckout")
	var v JSONValue
	if err := json.Unmarshal([]byte(body), &v); status != 200 || err != nil || v.Value != 3 || !v.Timestamp.Equal(t0) ||
		v.AgeSeconds != 10 || v.Workload != checkout || v.Fallback {
		t.Errorf("replicas: %d %s", status, body)
	}
	for _, tt := range []struct {
		path   string
		status int
		reason Reason
	}{
		{"/api/v1/external/shop/pacer_bogus?labelSelector=deployment%3Dcheckout", 404, ReasonUnknownMetric},
		{"/api/v1/external/shop/pacer_recommended_replicas?labelSelector=deployment+in+%28", 400, ReasonBadRequest},
		{"/api/v1/external/shop/pacer_recommended_replicas", 400, ReasonBadRequest},
		{"/api/v1/external/shop/pacer_recommended_replicas?labelSelector=deployment%3Dnope", 404, ReasonNoData},
	} {
		status, body := get(tt.path)
		var e jsonError
		if err := json.Unmarshal([]byte(body), &e); status != tt.status || err != nil || e.Reason != tt.reason || e.Error == "" {
			t.Errorf("GET %s: %d %s; want %d %s", tt.path, status, body, tt.status, tt.reason)
		}
	}
	c.now = t0.Add(2 * time.Minute)
	if status, body := get("/api/v1/external/shop/pacer_recommended_replicas?labelSelector=deployment%3Dcheckout"); status != 503 ||
		!strings.Contains(body, `"reason":"stale"`) {
		t.Errorf("stale: %d %s", status, body)
	}
	if status, body := get("/api/v1/external"); status != 200 || !strings.Contains(body, "pacer_live_heap_bytes") {
		t.Errorf("list: %d %s", status, body)
	}
}
