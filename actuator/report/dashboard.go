package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pacerdev/pacer/recommender"
)

// DashboardOptions configure a Dashboard. Zero fields take the defaults named.
type DashboardOptions struct {
	// Heading is the page's title (default "pacer — live").
	Heading string
	// Notice is shown under the heading, e.g. that a demo's windows are
	// scaled down.
	Notice string
	// Source names where the signals come from, for the header.
	Source     string
	PolicyFile string
	// ChartWindow is the span the charts show (default 15m) at ChartStep
	// (default 10s), read from the source when a page is asked for.
	ChartWindow time.Duration
	ChartStep   time.Duration
	// Refresh is how often the page reloads itself (default 5s).
	Refresh    time.Duration
	WorkloadOf func(recommender.ContainerRef) recommender.WorkloadRef
	Current    func(recommender.WorkloadRef) recommender.Current
	Now        func() time.Time
}

// Dashboard is the live view of a running loop: it keeps the newest
// cycle (it is a recommender.Sink) and serves it as the HTML report page,
// reloading itself, with the charts read fresh from the source; the same
// data as a report file and as JSON.
type Dashboard struct {
	source recommender.Source
	o      DashboardOptions

	mu    sync.RWMutex
	cycle *recommender.Cycle
}

var _ recommender.Sink = (*Dashboard)(nil)

// NewDashboard returns a dashboard whose charts read from source.
func NewDashboard(source recommender.Source, o DashboardOptions) *Dashboard {
	if o.Heading == "" {
		o.Heading = "pacer — live"
	}
	if o.ChartWindow == 0 {
		o.ChartWindow = 15 * time.Minute
	}
	if o.ChartStep == 0 {
		o.ChartStep = 10 * time.Second
	}
	if o.Refresh == 0 {
		o.Refresh = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Dashboard{source: source, o: o}
}

// Publish keeps the cycle for the next page.
func (d *Dashboard) Publish(_ context.Context, c *recommender.Cycle) error {
	d.mu.Lock()
	d.cycle = c
	d.mu.Unlock()
	return nil
}

// Handler serves GET / (the dashboard), /report.html (the same as a
// self-contained report file), /api/v1/report (the report as JSON),
// /api/v1/recommendations (filtered by ?namespace= and ?workload=) and
// /api/v1/workloads/{namespace}/{kind}/{name}.
func (d *Dashboard) Handler() http.Handler {
	r := chi.NewRouter()
	r.Get("/", d.page(FormatHTML, true))
	r.Get("/report.html", d.page(FormatHTML, false))
	r.Get("/api/v1/report", d.page(FormatJSON, false))
	r.Get("/api/v1/recommendations", d.recommendations)
	r.Get("/api/v1/workloads/{namespace}/{kind}/{name}", d.workload)
	return r
}

// Recommendations returns the newest cycle's recommendations; nil before the first.
func (d *Dashboard) Recommendations() []recommender.Recommendation {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.cycle == nil {
		return nil
	}
	return d.cycle.Recommendations
}

func (d *Dashboard) recommendations(w http.ResponseWriter, req *http.Request) {
	d.mu.RLock()
	c := d.cycle
	d.mu.RUnlock()
	if c == nil {
		http.Error(w, errNoCycle.Error(), http.StatusServiceUnavailable)
		return
	}
	ns, name := req.URL.Query().Get("namespace"), req.URL.Query().Get("workload")
	items := []recommender.Recommendation{}
	for _, r := range c.Recommendations {
		if (ns == "" || r.Workload.Namespace == ns) && (name == "" || r.Workload.Name == name) {
			items = append(items, r)
		}
	}
	respondJSON(w, http.StatusOK, struct {
		Kind  string                       `json:"kind"`
		At    time.Time                    `json:"at"`
		Items []recommender.Recommendation `json:"items"`
	}{"RecommendationList", c.At, items})
}

func (d *Dashboard) workload(w http.ResponseWriter, req *http.Request) {
	ns, kind, name := chi.URLParam(req, "namespace"), chi.URLParam(req, "kind"), chi.URLParam(req, "name")
	for _, r := range d.Recommendations() {
		if r.Workload.Namespace == ns && strings.EqualFold(string(r.Workload.Kind), kind) && r.Workload.Name == name {
			respondJSON(w, http.StatusOK, r)
			return
		}
	}
	respondJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no recommendation for %s/%s/%s", ns, kind, name)})
}

func respondJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (d *Dashboard) page(format Format, live bool) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		rep, err := d.report(req.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		var buf bytes.Buffer
		switch {
		case live:
			page := htmlView(rep)
			page.Title, page.Heading = d.o.Heading, d.o.Heading
			page.Live = &htmlLive{Notice: d.o.Notice, RefreshSeconds: max(1, int(d.o.Refresh/time.Second)),
				Links: []htmlLink{{"report.html", "HTML report"}, {"api/v1/report", "JSON"}}}
			err = htmlTemplate.Execute(&buf, page)
		default:
			err = Write(&buf, rep, format, WriteOptions{})
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		contentType := "text/html; charset=utf-8"
		if format == FormatJSON {
			contentType = "application/json"
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(buf.Bytes())
	}
}

// errNoCycle is answered until the loop's first cycle is done.
var errNoCycle = errors.New("no recommendations yet: the first cycle has not finished")

// report builds the report of the newest cycle, with the chart window read
// from the source now.
func (d *Dashboard) report(ctx context.Context) (*Report, error) {
	d.mu.RLock()
	c := d.cycle
	d.mu.RUnlock()
	if c == nil {
		return nil, errNoCycle
	}
	end := d.o.Now().Truncate(d.o.ChartStep)
	window := recommender.Window{End: end, Range: d.o.ChartWindow, Step: d.o.ChartStep}
	usage, err := d.source.Fetch(ctx, recommender.Query{Window: window})
	if err != nil {
		usage = nil // the recommendations still stand; the charts say there is no data
	}
	// Charts span the data the source holds, up to the chart window.
	if first, ok := earliest(usage); ok && first.After(window.Start()) {
		window.Range = max(window.Step, end.Sub(first))
	}
	return Build(Input{
		GeneratedAt: d.o.Now().UTC(), Source: d.o.Source, Window: window, PolicyFile: d.o.PolicyFile,
		Recommendations: c.Recommendations, Current: d.o.Current, Usage: usage, WorkloadOf: d.o.WorkloadOf,
	}), nil
}

// earliest returns the time of a snapshot's first sample.
func earliest(snap *recommender.Snapshot) (time.Time, bool) {
	var first time.Time
	if snap == nil {
		return first, false
	}
	for _, series := range snap.Series {
		for _, s := range series {
			if len(s.Samples) > 0 && (first.IsZero() || s.Samples[0].At.Before(first)) {
				first = s.Samples[0].At
			}
		}
	}
	return first, !first.IsZero()
}
