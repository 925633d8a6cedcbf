package prometheus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/pacerdev/pacer/recommender"
)

// querier is the part of the Prometheus API the source uses. The client's
// v1.API satisfies it; tests fake it.
type querier interface {
	Query(ctx context.Context, query string, ts time.Time, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error)
	QueryRange(ctx context.Context, query string, r v1.Range, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error)
}

var _ recommender.Source = (*Source)(nil)

// Source reads signals from a Prometheus-compatible API.
type Source struct {
	api         querier
	where       string
	labels      Labels
	rateRange   time.Duration
	timeout     time.Duration
	parallelism int
	queries     map[recommender.Signal]*template.Template
	// metrics lists, for signals on their default query, the metrics read.
	metrics map[recommender.Signal][]string
}

// New validates the options and returns a source that talks to o.URL.
func New(o Options) (*Source, error) {
	if errs := o.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("prometheus source options: %w", errors.Join(errs...))
	}
	rt, err := o.Client.roundTripper()
	if err != nil {
		return nil, fmt.Errorf("prometheus client: %w", err)
	}
	client, err := api.NewClient(api.Config{Address: o.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", o.RedactedURL(), err)
	}
	return newSource(v1.NewAPI(client), o)
}

// newSource builds a source over any querier; o must have passed Validate.
func newSource(q querier, o Options) (*Source, error) {
	o.applyDefaults()
	s := &Source{
		api:         q,
		where:       o.RedactedURL(),
		labels:      o.Labels,
		rateRange:   o.RateRange,
		timeout:     o.Timeout,
		parallelism: o.Parallelism,
		queries:     map[recommender.Signal]*template.Template{},
		metrics:     map[recommender.Signal][]string{},
	}
	for _, sig := range recommender.Signals() {
		text, custom := o.Queries[sig]
		if !custom {
			text = defaultQueries[sig].template
			s.metrics[sig] = defaultQueries[sig].metrics
		}
		t, err := parseQueryTemplate(sig, text)
		if err != nil {
			return nil, err
		}
		s.queries[sig] = t
	}
	return s, nil
}

// Render returns the PromQL a fetch with this selector sends for a signal.
func (s *Source) Render(sig recommender.Signal, sel recommender.Selector) (string, error) {
	t, ok := s.queries[sig]
	if !ok {
		return "", fmt.Errorf("no query for signal %q", sig)
	}
	if err := sel.Validate(); err != nil {
		return "", err
	}
	var matchers []string
	if len(sel.Namespaces) > 0 {
		matchers = append(matchers, matcher(s.labels.Namespace, sel.Namespaces))
	}
	if len(sel.Pods) > 0 {
		matchers = append(matchers, matcher(s.labels.Pod, sel.Pods))
	}
	data := TemplateData{
		Selector: "{" + strings.Join(matchers, ",") + "}",
		Range:    model.Duration(s.rateRange).String(),
		By:       strings.Join([]string{s.labels.Namespace, s.labels.Pod, s.labels.Container}, ", "),
	}
	if len(matchers) > 0 {
		data.Matchers = "," + strings.Join(matchers, ",")
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("rendering query for %s: %w", sig, err)
	}
	return b.String(), nil
}

// Fetch runs one query per signal for every selected container.
func (s *Source) Fetch(ctx context.Context, q recommender.Query) (*recommender.Snapshot, error) {
	if err := q.Window.Validate(); err != nil {
		return nil, fmt.Errorf("prometheus fetch: %w", err)
	}
	if err := q.Selector.Validate(); err != nil {
		return nil, fmt.Errorf("prometheus fetch: %w", err)
	}
	signals := recommender.Signals()
	results := make([]signalResult, len(signals))
	var wg sync.WaitGroup
	slots := make(chan struct{}, s.parallelism)
	for i, sig := range signals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			results[i] = s.fetchSignal(ctx, sig, q)
		}()
	}
	wg.Wait()

	snap := recommender.NewSnapshot(q.Window)
	var failures []error
	var missing []recommender.Signal
	for i, sig := range signals {
		r := results[i]
		switch {
		case r.err == nil:
			snap.Series[sig] = r.series
		case errors.Is(r.err, recommender.ErrNoData):
			snap.Problems[sig] = r.err
			missing = append(missing, sig)
		default:
			snap.Problems[sig] = r.err
			failures = append(failures, r.err)
		}
	}
	if len(failures) == len(signals) {
		return nil, fmt.Errorf("prometheus %s: every query failed: %w", s.where, errors.Join(failures...))
	}
	if len(missing) > 0 {
		s.explainMissing(ctx, snap, missing, q.Selector)
	}
	return snap, nil
}

type signalResult struct {
	series []recommender.Series
	err    error
}

func (s *Source) fetchSignal(ctx context.Context, sig recommender.Signal, q recommender.Query) signalResult {
	query, err := s.Render(sig, q.Selector)
	if err != nil {
		return signalResult{err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var value model.Value
	var warnings v1.Warnings
	if q.Window.Instant() {
		value, warnings, _, err = s.api.Query(ctx, query, q.Window.End)
	} else {
		value, warnings, _, err = s.api.QueryRange(ctx, query, v1.Range{
			Start: q.Window.Start(), End: q.Window.End, Step: q.Window.Step,
		})
	}
	if err != nil {
		return signalResult{err: &QueryError{Signal: sig, Query: query, Kind: classify(ctx, err), Err: err}}
	}
	if err := partial(warnings); err != nil {
		return signalResult{err: &QueryError{Signal: sig, Query: query, Kind: KindPartial, Err: err}}
	}
	series, dropped, err := s.toSeries(value)
	if err != nil {
		return signalResult{err: &QueryError{Signal: sig, Query: query, Kind: KindBadResponse, Err: err}}
	}
	if len(series) == 0 {
		reason := "the query returned no series"
		if dropped > 0 {
			reason = fmt.Sprintf("all %d samples were NaN or infinite", dropped)
		}
		return signalResult{err: &recommender.NoDataError{Signal: sig, Where: query, Reason: reason}}
	}
	return signalResult{series: series}
}

// partial refuses an answer that came with warnings. A Thanos or Mimir
// querier that could not reach every store, or a Prometheus that hit a
// limit, answers "success" with what it had and a warning: sizing a
// workload from some of its pods, or some of its history, would be sizing
// it wrong. Informational notes ("PromQL info: ...", which Prometheus 2.46
// to 2.50 sent as warnings) are not a sign of missing data and pass.
func partial(warnings v1.Warnings) error {
	var serious []string
	for _, w := range warnings {
		if !strings.HasPrefix(w, "PromQL info:") {
			serious = append(serious, w)
		}
	}
	if len(serious) == 0 {
		return nil
	}
	return fmt.Errorf("the answer may be partial: %d warnings: %s", len(serious), strings.Join(serious, "; "))
}

// toSeries converts a query answer, dropping NaN and infinite samples (they
// are never data) and refusing answers that do not identify containers.
func (s *Source) toSeries(value model.Value) (series []recommender.Series, dropped int, err error) {
	// Sized from the answer: at 10k pods a query returns some 10k series,
	// and growing from empty was a sixth of what a cycle allocates.
	var n int
	switch v := value.(type) {
	case model.Vector:
		n = len(v)
	case model.Matrix:
		n = len(v)
	}
	seen := make(map[recommender.ContainerRef]bool, n)
	series = make([]recommender.Series, 0, n)
	add := func(metric model.Metric, samples []recommender.Sample) error {
		ref, err := s.ref(metric)
		if err != nil {
			return err
		}
		if seen[ref] {
			return fmt.Errorf("two series for container %s: the query must aggregate by %s", ref,
				strings.Join([]string{s.labels.Namespace, s.labels.Pod, s.labels.Container}, ", "))
		}
		seen[ref] = true
		if len(samples) > 0 {
			series = append(series, recommender.Series{Ref: ref, Samples: samples})
		}
		return nil
	}
	keep := func(t model.Time, v model.SampleValue) (recommender.Sample, bool) {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			dropped++
			return recommender.Sample{}, false
		}
		return recommender.Sample{At: t.Time().UTC(), Value: f}, true
	}
	switch v := value.(type) {
	case model.Vector:
		for _, one := range v {
			var samples []recommender.Sample
			if smp, ok := keep(one.Timestamp, one.Value); ok {
				samples = append(samples, smp)
			}
			if err := add(one.Metric, samples); err != nil {
				return nil, 0, err
			}
		}
	case model.Matrix:
		for _, one := range v {
			samples := make([]recommender.Sample, 0, len(one.Values))
			for _, p := range one.Values {
				if smp, ok := keep(p.Timestamp, p.Value); ok {
					samples = append(samples, smp)
				}
			}
			if err := add(one.Metric, samples); err != nil {
				return nil, 0, err
			}
		}
	case nil:
	default:
		return nil, 0, fmt.Errorf("answer of type %s, want a vector or matrix", value.Type())
	}
	slices.SortFunc(series, func(a, b recommender.Series) int { return a.Ref.Compare(b.Ref) })
	return series, dropped, nil
}

func (s *Source) ref(m model.Metric) (recommender.ContainerRef, error) {
	ref := recommender.ContainerRef{
		Namespace: string(m[model.LabelName(s.labels.Namespace)]),
		Pod:       string(m[model.LabelName(s.labels.Pod)]),
		Container: string(m[model.LabelName(s.labels.Container)]),
	}
	if ref.Pod == "" {
		return ref, fmt.Errorf("series %s has no %s label", m, s.labels.Pod)
	}
	return ref, nil
}
