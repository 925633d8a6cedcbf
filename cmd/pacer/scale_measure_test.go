package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pacerdev/pacer/policy"
	"github.com/pacerdev/pacer/recommender"
)

// What the scale benchmarks measure besides the time per cycle, each
// reported with b.ReportMetric in a unit benchstat understands.

// phases is the time a loop spent in each part of its cycles: fetching,
// folding the samples in (with resolving every workload's policy again,
// as serve does first), recommending. The rest is the sinks and the loop.
type phases struct{ fetch, observe, recommend time.Duration }

func (p phases) report(b *testing.B, cycles int) {
	n := float64(cycles)
	b.ReportMetric(float64(p.fetch.Nanoseconds())/n, "fetch-ns/op")
	b.ReportMetric(float64(p.observe.Nanoseconds())/n, "observe-ns/op")
	b.ReportMetric(float64(p.recommend.Nanoseconds())/n, "recommend-ns/op")
}

type timedSource struct {
	recommender.Source
	spent *time.Duration
}

func (t timedSource) Fetch(ctx context.Context, q recommender.Query) (*recommender.Snapshot, error) {
	defer addSince(t.spent, time.Now())
	return t.Source.Fetch(ctx, q)
}

// timedEvaluator is the policy engine as serve's clusterEvaluator drives
// it — every workload's policy resolved again before the samples are
// folded in — with the time of each phase counted.
type timedEvaluator struct {
	engine  *policy.Engine
	resolve policy.Resolver
	phases  *phases
}

var _ recommender.Evaluator = timedEvaluator{}

func (t timedEvaluator) Observe(snap *recommender.Snapshot, workloadOf func(recommender.ContainerRef) recommender.WorkloadRef) error {
	defer addSince(&t.phases.observe, time.Now())
	t.engine.Reresolve(t.resolve)
	return t.engine.Observe(snap, workloadOf)
}

func (t timedEvaluator) Recommend(now time.Time, current func(recommender.WorkloadRef) recommender.Current) []recommender.Recommendation {
	defer addSince(&t.phases.recommend, time.Now())
	return t.engine.Recommend(now, current)
}

func addSince(d *time.Duration, start time.Time) { *d += time.Since(start) }

// traffic is what the fake Prometheus had served at one point.
type traffic struct{ requests, wireBytes, jsonBytes int64 }

func (f *fakePrometheus) traffic() traffic {
	return traffic{f.requests.Load(), f.wireBytes.Load(), f.jsonBytes.Load()}
}

// report reports what was served since t, per cycle.
func (t traffic) report(b *testing.B, f *fakePrometheus, cycles int) {
	now, n := f.traffic(), float64(cycles)
	b.ReportMetric(float64(now.requests-t.requests)/n, "queries/op")
	b.ReportMetric(float64(now.wireBytes-t.wireBytes)/n, "rx-B/op")
	b.ReportMetric(float64(now.jsonBytes-t.jsonBytes)/n, "json-B/op")
}

// heapAfterGC is the heap in use after a collection that also returned
// the free pages to the OS: its objects, what the collection marked live
// (the two differ only by a little), and the process' resident set.
func heapAfterGC() heapUse {
	debug.FreeOSMemory()
	h := readHeap()
	h.rss, _ = readRSS()
	return h
}

type heapUse struct{ objects, live, rss uint64 }

func readHeap() heapUse {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return heapUse{objects: s[0].Value.Uint64(), live: s[1].Value.Uint64()}
}

// heapPeak samples the heap every millisecond while armed and keeps the
// largest values seen: of its objects (live and not yet swept: the peak
// heap under GOGC=100), and of what a collection marked live (what a
// GOMEMLIMIT could hold the heap down to). Where Linux offers it, it also
// keeps the kernel's high-water mark of the resident set while armed,
// which no sampling can miss.
type heapPeak struct {
	armed         atomic.Bool
	objects, live atomic.Uint64
	rss           uint64 // largest VmHWM seen at disarm
	rssErr        error  // why the resident set could not be measured
}

func startHeapPeak(tb testing.TB) *heapPeak {
	p := &heapPeak{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if p.armed.Load() {
					p.sample()
				}
			}
		}
	}()
	tb.Cleanup(func() { close(stop); <-done })
	return p
}

func (p *heapPeak) sample() {
	h := readHeap()
	raise(&p.objects, h.objects)
	raise(&p.live, h.live)
}

func raise(peak *atomic.Uint64, v uint64) {
	for {
		old := peak.Load()
		if v <= old || peak.CompareAndSwap(old, v) {
			return
		}
	}
}

func (p *heapPeak) arm() {
	if p.rssErr == nil {
		p.rssErr = resetRSSPeak()
	}
	p.sample()
	p.armed.Store(true)
}

func (p *heapPeak) disarm() {
	p.armed.Store(false)
	p.sample()
	if p.rssErr == nil {
		var hwm uint64
		if _, hwm, p.rssErr = readRSSPeak(); p.rssErr == nil {
			p.rss = max(p.rss, hwm)
		}
	}
}

// report reports the heap peaks above base, less what the fake Prometheus
// held, and the peak resident set of the whole process with the resident
// set before pacer was built: the process holds the fake Prometheus and
// the benchmark too, so peak-rss-B is an upper bound on pacer's own.
func (p *heapPeak) report(b *testing.B, base heapUse, fake uint64) {
	b.ReportMetric(float64(p.objects.Load())-float64(base.objects)-float64(fake), "peak-heap-B")
	b.ReportMetric(float64(p.live.Load())-float64(base.live)-float64(fake), "peak-live-B")
	if p.rssErr != nil {
		b.Logf("peak resident set not measured: %v", p.rssErr)
		return
	}
	b.ReportMetric(float64(p.rss), "peak-rss-B")
	b.ReportMetric(float64(base.rss), "base-rss-B")
}

// resetRSSPeak sets the kernel's high-water mark of the resident set
// (VmHWM) to the resident set now; see proc(5), /proc/pid/clear_refs.
func resetRSSPeak() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("resetting the resident set high-water mark: %w", err)
	}
	return nil
}

// readRSS returns the process' resident set in bytes.
func readRSS() (uint64, error) {
	rss, _, err := readRSSPeak()
	return rss, err
}

// readRSSPeak returns the resident set and its high-water mark in bytes,
// from /proc/self/status.
func readRSSPeak() (rss, hwm uint64, err error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, fmt.Errorf("reading the resident set: %w", err)
	}
	var haveRSS, haveHWM bool
	for line := range strings.Lines(string(status)) {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kib, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/self/status %s %q: %w", name, strings.TrimSpace(value), err)
		}
		if name == "VmRSS" {
			rss, haveRSS = kib<<10, true
		} else {
			hwm, haveHWM = kib<<10, true
		}
	}
	if !haveRSS || !haveHWM {
		return 0, 0, errors.New("/proc/self/status has no VmRSS or VmHWM")
	}
	return rss, hwm, nil
}

// scrapeMetrics serves the exporter's /metrics once, as Prometheus scrapes
// pacer, and returns how long it took and how many bytes it wrote.
func (s *scaleLoop) scrapeMetrics(tb testing.TB) (time.Duration, int) {
	h := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	took := time.Since(start)
	if rec.Code != http.StatusOK {
		tb.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	return took, rec.Body.Len()
}
