package report_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pacerdev/pacer/actuator/report"
	"github.com/pacerdev/pacer/recommender"
)

// staticSource answers every query with the same snapshot.
type staticSource struct{ snap *recommender.Snapshot }

func (s staticSource) Fetch(context.Context, recommender.Query) (*recommender.Snapshot, error) {
	return s.snap, nil
}

func get(t *testing.T, h http.Handler, path string) (int, string, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, rec.Header().Get("Content-Type"), string(body)
}

func TestDashboard(t *testing.T) {
	in := fixture()
	d := report.NewDashboard(staticSource{in.Usage}, report.DashboardOptions{
		Heading: "pacer demo — live", Notice: "windows scaled down", Source: in.Source,
		WorkloadOf: in.WorkloadOf, Current: in.Current,
		Now: func() time.Time { return in.Window.End }, Refresh: 3 * time.Second,
	})
	h := d.Handler()

	if code, _, body := get(t, h, "/"); code != http.StatusServiceUnavailable || !strings.Contains(body, "first cycle") {
		t.Errorf("before the first cycle: %d %q", code, body)
	}
	if err := d.Publish(context.Background(), &recommender.Cycle{At: in.Window.End, Recommendations: in.Recommendations}); err != nil {
		t.Fatal(err)
	}

	code, ctype, page := get(t, h, "/")
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/html") {
		t.Fatalf("GET / = %d %s", code, ctype)
	}
	for _, want := range []string{
		"<h1>pacer demo — live</h1>", `<meta http-equiv="refresh" content="3">`, "windows scaled down",
		`href="report.html"`, "shop/payments", "<svg", "Goroutines", "Allocation rate", "Request rate",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("a container name reached the page unescaped")
	}

	code, _, file := get(t, h, "/report.html")
	if code != http.StatusOK || strings.Contains(file, "http-equiv=\"refresh\"") || !strings.Contains(file, "<h1>pacer report</h1>") {
		t.Errorf("GET /report.html = %d; want the report file without the refresh", code)
	}
	code, ctype, body := get(t, h, "/api/v1/report")
	var r report.Report
	if code != http.StatusOK || ctype != "application/json" || json.Unmarshal([]byte(body), &r) != nil || r.SchemaVersion != report.SchemaVersion {
		t.Errorf("GET /api/v1/report = %d %s, schema %q", code, ctype, r.SchemaVersion)
	}
	if code, _, _ := get(t, h, "/nope"); code != http.StatusNotFound {
		t.Errorf("GET /nope = %d", code)
	}
}
