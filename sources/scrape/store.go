package scrape

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/pacerdev/pacer/recommender"
)

// point is one raw sample; t is in Unix milliseconds.
type point struct {
	t int64
	v float64
}

// rawSeries is one scraped series: a metric name and labels of one container.
type rawSeries struct {
	name   string
	family string
	typ    metricType
	labels labels
	points []point
}

// container holds the raw series of one container, by metric name, then by
// label key.
type container struct {
	metrics   map[string]map[string]*rawSeries
	numSeries int
}

// ErrTooManySeries is returned when a new series would exceed the store's limit.
var ErrTooManySeries = errors.New("series limit reached")

// Store keeps a bounded window of raw samples per series: points older than
// the newest point minus the retention are dropped, and the number of series
// is capped, so memory is bounded by retention × scrape rate × series limit.
// A second cap per container keeps one target whose labels explode (a
// request ID or a URL path as a label) from taking the whole store's room
// and starving every other target of new series.
type Store struct {
	mu                    sync.RWMutex
	retention             time.Duration // 0 keeps everything (traces)
	maxSeries             int
	maxSeriesPerContainer int
	numSeries             int
	numPoints             int
	containers            map[recommender.ContainerRef]*container
}

// NewStore returns an empty store. A zero retention keeps every point; a
// zero maxSeries holds any number of series.
func NewStore(retention time.Duration, maxSeries int) *Store {
	return &Store{retention: retention, maxSeries: maxSeries, containers: map[recommender.ContainerRef]*container{}}
}

// LimitPerContainer caps the series one container may hold (0: no cap
// beyond the store's). Call it before the store is used.
func (s *Store) LimitPerContainer(maxSeries int) { s.maxSeriesPerContainer = maxSeries }

// errOutOfOrder is returned for a point not newer than its series' last point.
var errOutOfOrder = errors.New("sample is not newer than the previous sample of its series")

// append adds one sample at time tMs. Non-finite values are refused: they are
// never data.
func (s *Store) append(ref recommender.ContainerRef, smp *omSample, tMs int64) error {
	if math.IsNaN(smp.value) || math.IsInf(smp.value, 0) {
		return errNonFinite
	}
	c := s.containers[ref]
	if c == nil {
		c = &container{metrics: map[string]map[string]*rawSeries{}}
		s.containers[ref] = c
	}
	byLabels := c.metrics[smp.name]
	if byLabels == nil {
		byLabels = map[string]*rawSeries{}
		c.metrics[smp.name] = byLabels
	}
	key := smp.labels.key()
	rs := byLabels[key]
	if rs == nil {
		if s.maxSeries > 0 && s.numSeries >= s.maxSeries {
			return fmt.Errorf("%w: %d series held; %s%s refused", ErrTooManySeries, s.numSeries, smp.name, smp.labels)
		}
		if s.maxSeriesPerContainer > 0 && c.numSeries >= s.maxSeriesPerContainer {
			return fmt.Errorf("%w: container %s holds %d series, its limit; %s%s refused",
				ErrTooManySeries, ref, c.numSeries, smp.name, smp.labels)
		}
		rs = &rawSeries{name: smp.name, family: smp.family, typ: smp.typ, labels: append(labels(nil), smp.labels...)}
		byLabels[key] = rs
		s.numSeries++
		c.numSeries++
	}
	if n := len(rs.points); n > 0 && tMs <= rs.points[n-1].t {
		return errOutOfOrder
	}
	rs.points = append(rs.points, point{tMs, smp.value})
	s.numPoints++
	if s.retention > 0 {
		s.trim(rs, tMs-s.retention.Milliseconds())
	}
	return nil
}

var errNonFinite = errors.New("value is NaN or infinite")

// trim drops points older than cutoff, copying the rest down once more than
// half the backing array is dead, so a long-running series does not grow.
func (s *Store) trim(rs *rawSeries, cutoff int64) {
	i := 0
	for i < len(rs.points) && rs.points[i].t < cutoff {
		i++
	}
	if i == 0 {
		return
	}
	s.numPoints -= i
	if i > cap(rs.points)/2 {
		rs.points = append(make([]point, 0, len(rs.points)-i+16), rs.points[i:]...)
	} else {
		rs.points = rs.points[i:]
	}
}

// Forget drops every series whose newest point is older than cutoff, so
// departed targets and series do not hold memory.
func (s *Store) Forget(cutoff time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := cutoff.UnixMilli()
	for ref, ctr := range s.containers {
		for name, byLabels := range ctr.metrics {
			for key, rs := range byLabels {
				if len(rs.points) == 0 || rs.points[len(rs.points)-1].t < c {
					s.numSeries--
					ctr.numSeries--
					s.numPoints -= len(rs.points)
					delete(byLabels, key)
				}
			}
			if len(byLabels) == 0 {
				delete(ctr.metrics, name)
			}
		}
		if len(ctr.metrics) == 0 {
			delete(s.containers, ref)
		}
	}
}

// Stats reports how much the store holds.
func (s *Store) Stats() (series, points int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.numSeries, s.numPoints
}

// appendScrape stores one scrape's samples at scrapeMs, or samples with
// their own timestamp at that. A body with a duplicate series or a series
// over the limit is refused whole; samples whose explicit timestamp has not
// moved since the last scrape (cAdvisor repeats them) are skipped, and
// non-finite values are dropped. It returns how many samples were stored.
func (s *Store) appendScrape(ref recommender.ContainerRef, samples []omSample, scrapeMs int64, source string) (int, error) {
	seen := make(map[string]bool, len(samples))
	for i := range samples {
		samples[i].labels = exportTargetLabels(samples[i].labels)
		key := samples[i].name + "\xfe" + samples[i].labels.key()
		if seen[key] {
			return 0, fmt.Errorf("%s: duplicate series %s%s in one scrape", source, samples[i].name, samples[i].labels)
		}
		seen[key] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkRoom(ref, samples); err != nil {
		return 0, fmt.Errorf("%s: %w", source, err)
	}
	if err := s.checkTime(ref, samples, scrapeMs); err != nil {
		return 0, fmt.Errorf("%s: %w", source, err)
	}
	stored := 0
	for i := range samples {
		t := scrapeMs
		if samples[i].hasTimestamp {
			t = samples[i].timestampMs
		}
		switch err := s.append(ref, &samples[i], t); {
		case err == nil:
			stored++
		case errors.Is(err, errNonFinite), errors.Is(err, errOutOfOrder) && samples[i].hasTimestamp:
		default:
			return stored, fmt.Errorf("%s: %s%s: %w", source, samples[i].name, samples[i].labels, err)
		}
	}
	return stored, nil
}

// checkRoom refuses a batch whose new series would exceed the store's or
// the container's series limit.
func (s *Store) checkRoom(ref recommender.ContainerRef, samples []omSample) error {
	if s.maxSeries == 0 && s.maxSeriesPerContainer == 0 {
		return nil
	}
	fresh := 0
	c := s.containers[ref]
	for i := range samples {
		if math.IsNaN(samples[i].value) || math.IsInf(samples[i].value, 0) {
			continue // never stored
		}
		if c == nil || c.metrics[samples[i].name][samples[i].labels.key()] == nil {
			fresh++
		}
	}
	if s.maxSeries > 0 && s.numSeries+fresh > s.maxSeries {
		return fmt.Errorf("%w: %d series held, %d new ones would exceed %d", ErrTooManySeries, s.numSeries, fresh, s.maxSeries)
	}
	held := 0
	if c != nil {
		held = c.numSeries
	}
	if s.maxSeriesPerContainer > 0 && held+fresh > s.maxSeriesPerContainer {
		return fmt.Errorf("%w: container %s holds %d series, %d new ones would exceed its limit of %d",
			ErrTooManySeries, ref, held, fresh, s.maxSeriesPerContainer)
	}
	return nil
}

// checkTime refuses a scrape whose time is not after the last scrape of a
// series it carries: the clock stepped back, and storing part of the body
// would leave the series out of step with each other.
func (s *Store) checkTime(ref recommender.ContainerRef, samples []omSample, scrapeMs int64) error {
	c := s.containers[ref]
	if c == nil {
		return nil
	}
	for i := range samples {
		if samples[i].hasTimestamp {
			continue
		}
		rs := c.metrics[samples[i].name][samples[i].labels.key()]
		if rs != nil && len(rs.points) > 0 && rs.points[len(rs.points)-1].t >= scrapeMs {
			return fmt.Errorf("scrape at %s is not after the previous one of %s%s (clock stepped back?): %w",
				time.UnixMilli(scrapeMs).UTC().Format(time.RFC3339Nano), samples[i].name, samples[i].labels, errOutOfOrder)
		}
	}
	return nil
}

// targetLabels are the labels the store uses to identify a container.
var targetLabels = []string{"namespace", "pod", "container"}

// exportTargetLabels renames a scraped series' own namespace, pod and
// container labels to exported_namespace and so on, as Prometheus does
// without honor_labels, so they never clash with the target's.
func exportTargetLabels(ls labels) labels {
	clash := false
	for _, l := range ls {
		clash = clash || slices.Contains(targetLabels, l.name)
	}
	if !clash {
		return ls
	}
	out := make(labels, len(ls))
	for i, l := range ls {
		if slices.Contains(targetLabels, l.name) {
			l.name = "exported_" + l.name
		}
		out[i] = l
	}
	out.sort()
	return out
}
