package scrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// Options configures a Scraper. Zero fields take the defaults New fills.
type Options struct {
	Targets []Target
	// Interval between scrapes of every target (default 15s).
	Interval time.Duration
	// Timeout bounds one scrape (default: the interval, at most 10s).
	Timeout time.Duration
	// MaxBodyBytes refuses larger scrape bodies (default 16 MiB).
	MaxBodyBytes int64
	// Retention is how much history each series keeps (default 1h).
	Retention time.Duration
	// MaxSeries caps the number of series held (default 200,000).
	MaxSeries int
	// MaxSeriesPerTarget caps the series one target may hold (default
	// 10,000, at most MaxSeries): a Go service with client_golang's default
	// metrics exposes about 100, so only a label explosion (a request ID or
	// a raw URL path as a label) reaches it. A scrape that would pass it is
	// refused whole, as Prometheus does with sample_limit, and the other
	// targets keep their room.
	MaxSeriesPerTarget int
	// RateRange is the window of rates (default 1m); Lookback is how old the
	// last sample of a gauge may be (default 5m).
	RateRange time.Duration
	Lookback  time.Duration
	// Metrics renames the metrics a signal is read from.
	Metrics map[recommender.Signal][]string
	Client  *http.Client
	Logger  *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *Options) applyDefaults() {
	if o.Interval == 0 {
		o.Interval = 15 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = min(o.Interval, 10*time.Second)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 16 << 20
	}
	if o.Retention == 0 {
		o.Retention = time.Hour
	}
	if o.MaxSeries == 0 {
		o.MaxSeries = 200_000
	}
	if o.MaxSeriesPerTarget == 0 {
		o.MaxSeriesPerTarget = min(10_000, o.MaxSeries)
	}
	if o.RateRange == 0 {
		o.RateRange = time.Minute
	}
	if o.Lookback == 0 {
		o.Lookback = 5 * time.Minute
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Validate reports every problem with the options.
func (o Options) Validate() []error {
	o.applyDefaults()
	var errs []error
	if len(o.Targets) == 0 {
		errs = append(errs, errors.New("no scrape target"))
	}
	seen := map[recommender.ContainerRef]string{}
	urls := map[string]bool{}
	for _, t := range o.Targets {
		if prev, dup := seen[t.Ref]; dup {
			errs = append(errs, fmt.Errorf("targets %s and %s are both container %s", prev, t.URL, t.Ref))
		}
		if urls[t.URL] {
			errs = append(errs, fmt.Errorf("target %s is listed twice", t.URL))
		}
		seen[t.Ref], urls[t.URL] = t.URL, true
	}
	for name, d := range map[string]time.Duration{
		"interval": o.Interval, "timeout": o.Timeout, "retention": o.Retention,
		"rate range": o.RateRange, "lookback": o.Lookback,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %s is negative", name, d))
		}
	}
	if o.Interval > 0 && o.Interval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("interval %s is shorter than 100ms", o.Interval))
	}
	if o.RateRange < 2*o.Interval {
		errs = append(errs, fmt.Errorf("rate range %s must cover at least two scrapes (interval %s)", o.RateRange, o.Interval))
	}
	if o.Retention < o.RateRange {
		errs = append(errs, fmt.Errorf("retention %s is shorter than the rate range %s", o.Retention, o.RateRange))
	}
	if o.MaxBodyBytes < 0 || o.MaxSeries < 0 || o.MaxSeriesPerTarget < 0 {
		errs = append(errs, errors.New("body and series limits must not be negative"))
	}
	if o.MaxSeries > 0 && o.MaxSeriesPerTarget > o.MaxSeries {
		errs = append(errs, fmt.Errorf("series limit per target %d is above the limit of the whole store %d", o.MaxSeriesPerTarget, o.MaxSeries))
	}
	if _, err := newEvaluator(nil, "", o.Metrics, o.RateRange, o.Lookback); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// TargetHealth is the outcome of a target's last scrape.
type TargetHealth struct {
	Target       Target
	LastScrape   time.Time
	LastDuration time.Duration
	LastError    error
	Samples      int
	// Succeeded counts the successful scrapes so far.
	Succeeded int
	// SeriesLimitHits counts the scrapes refused because they would have
	// passed a series limit: a label explosion at the target, or a store full.
	SeriesLimitHits int
}

var _ recommender.Source = (*Scraper)(nil)

// Scraper scrapes its targets into a Store and derives signals from it.
type Scraper struct {
	opts   Options
	store  *Store
	eval   *evaluator
	mu     sync.Mutex
	health map[string]*TargetHealth
}

// New validates the options and returns a scraper that has not scraped yet.
func New(o Options) (*Scraper, error) {
	if errs := o.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("scrape options: %w", errors.Join(errs...))
	}
	o.applyDefaults()
	store := NewStore(o.Retention, o.MaxSeries)
	store.LimitPerContainer(o.MaxSeriesPerTarget)
	eval, err := newEvaluator(store, fmt.Sprintf("scrape of %d targets", len(o.Targets)), o.Metrics, o.RateRange, o.Lookback)
	if err != nil {
		return nil, err
	}
	s := &Scraper{opts: o, store: store, eval: eval, health: map[string]*TargetHealth{}}
	for _, t := range o.Targets {
		s.health[t.URL] = &TargetHealth{Target: t}
	}
	return s, nil
}

// Run scrapes every interval until ctx ends, starting at once.
func (s *Scraper) Run(ctx context.Context) error {
	ticker := time.NewTicker(s.opts.Interval)
	defer ticker.Stop()
	for {
		s.ScrapeOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// ScrapeOnce scrapes every target once, concurrently, and drops series that
// have had no sample for a whole retention.
func (s *Scraper) ScrapeOnce(ctx context.Context) {
	var wg sync.WaitGroup
	for _, t := range s.opts.Targets {
		wg.Go(func() { s.scrapeTarget(ctx, t) })
	}
	wg.Wait()
	s.store.Forget(s.opts.Now().Add(-s.opts.Retention))
}

func (s *Scraper) scrapeTarget(ctx context.Context, t Target) {
	start := s.opts.Now()
	n, err := s.scrape(ctx, t, start)
	if ctx.Err() != nil {
		return // stopping: a scrape cut short is no failure of the target
	}
	elapsed := s.opts.Now().Sub(start)
	s.mu.Lock()
	h := s.health[t.URL]
	h.LastScrape, h.LastDuration, h.LastError, h.Samples = start, elapsed, err, n
	limited := errors.Is(err, ErrTooManySeries)
	switch {
	case err == nil:
		h.Succeeded++
	case limited:
		h.SeriesLimitHits++
	}
	s.mu.Unlock()
	if limited {
		// Its own message, so that an operator can alert on it: the target's
		// series stop updating until the excess series go stale.
		s.opts.Logger.Warn("scrape refused: series limit reached", "target", t.URL, "container", t.Ref.String(),
			"limit_per_target", s.opts.MaxSeriesPerTarget, "limit", s.opts.MaxSeries, "err", err)
		return
	}
	if err != nil {
		s.opts.Logger.Warn("scrape failed", "target", t.URL, "container", t.Ref.String(), "err", err)
		return
	}
	s.opts.Logger.Debug("scraped", "target", t.URL, "samples", n, "duration", elapsed)
}

// scrape fetches and stores one target's samples: all of them or, when the
// body is bad, none.
func (s *Scraper) scrape(ctx context.Context, t Target, at time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return 0, fmt.Errorf("scrape %s: %w", t.URL, err)
	}
	req.Header.Set("Accept", acceptHeader)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(s.opts.Timeout.Seconds(), 'f', -1, 64))
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("scrape %s: %w", t.URL, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("scrape %s: HTTP status %s", t.URL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.opts.MaxBodyBytes+1))
	if err != nil {
		return 0, fmt.Errorf("scrape %s: reading body: %w", t.URL, err)
	}
	if int64(len(body)) > s.opts.MaxBodyBytes {
		return 0, fmt.Errorf("scrape %s: body larger than %d bytes", t.URL, s.opts.MaxBodyBytes)
	}
	samples, err := decodeBody(resp.Header, body, t.URL)
	if err != nil {
		return 0, fmt.Errorf("scrape %s: %w", t.URL, err)
	}
	return s.store.appendScrape(t.Ref, samples, at.UnixMilli(), t.URL)
}

// Fetch derives signals from what has been scraped. It fails only when no
// target has ever been scraped successfully.
func (s *Scraper) Fetch(ctx context.Context, q recommender.Query) (*recommender.Snapshot, error) {
	s.mu.Lock()
	var errs []error
	ok := false
	for _, h := range s.health {
		ok = ok || h.Succeeded > 0
		if h.LastError != nil {
			errs = append(errs, h.LastError)
		}
	}
	s.mu.Unlock()
	if !ok {
		if len(errs) == 0 {
			return nil, fmt.Errorf("no scrape of %d targets has finished yet", len(s.opts.Targets))
		}
		return nil, fmt.Errorf("no scrape of %d targets has succeeded: %w", len(s.opts.Targets), errors.Join(errs...))
	}
	return s.eval.Fetch(ctx, q)
}

// Health returns the last scrape outcome of every target, in target order.
func (s *Scraper) Health() []TargetHealth {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]TargetHealth, 0, len(s.opts.Targets))
	for _, t := range s.opts.Targets {
		out = append(out, *s.health[t.URL])
	}
	return out
}

// Store returns the scraper's store, e.g. to write it as a trace.
func (s *Scraper) Store() *Store { return s.store }
