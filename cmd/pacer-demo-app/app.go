package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pacerdev/pacer/demo"
)

// app is one running demo service.
type app struct {
	cfg      config
	started  time.Time
	served   atomic.Uint64
	leaked   atomic.Int64
	dropped  atomic.Uint64
	sink     atomic.Uint64 // keeps per-request work from being optimized away
	retained [][]byte
}

func run(ctx context.Context, cfg config, stdout io.Writer, log *slog.Logger) error {
	a := &app{cfg: cfg, started: time.Now()}
	reg, requests, err := newRegistry()
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	mux.Handle("GET /work", promhttp.InstrumentHandlerCounter(
		requests.MustCurryWith(prometheus.Labels{"handler": "/work"}), http.HandlerFunc(a.work)))
	mux.HandleFunc("GET /stats", a.stats)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.listen, err)
	}
	url := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if _, err := fmt.Fprintln(stdout, url); err != nil {
		return fmt.Errorf("printing the URL: %w", err)
	}
	log.Info("serving", "url", url, "profile", cfg.profile, "rps", cfg.requestsPerSecond,
		"alloc_bytes_per_second", cfg.allocBytesPerSecond, "goroutines", cfg.goroutines,
		"goroutine_leak_per_second", cfg.goroutineLeakPerSec)

	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.generateLoad(loadCtx, url+"/work") })
	wg.Go(func() { a.allocate(loadCtx) })
	wg.Go(func() { a.holdGoroutines(loadCtx) })

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopLoad()
		wg.Wait()
		return fmt.Errorf("serving: %w", err)
	}
	stopLoad()
	wg.Wait()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutting down: %w", err)
	}
	log.Info("stopped", "served", a.served.Load())
	return nil
}

// newRegistry exposes what a well-instrumented Go service exposes: the Go
// collector with the runtime/metrics pacer reads (live heap, heap goal,
// GOGC, GOMEMLIMIT, GOMAXPROCS, GC CPU), the process collector and a request counter.
func newRegistry() (*prometheus.Registry, *prometheus.CounterVec, error) {
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "HTTP requests served, by handler, method and status code.",
	}, []string{"handler", "method", "code"})
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.MetricsGC,
			collectors.MetricsScheduler,
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/cpu/classes/gc/`)},
		)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		requests,
	} {
		if err := reg.Register(c); err != nil {
			return nil, nil, fmt.Errorf("registering a collector: %w", err)
		}
	}
	return reg, requests, nil
}

// work is the request handler: it burns the configured CPU and allocates the
// configured bytes, so CPU and allocation follow the request rate.
func (a *app) work(w http.ResponseWriter, _ *http.Request) {
	buf := make([]byte, a.cfg.bytesPerRequest)
	var h uint64 = 14695981039346656037
	for deadline := time.Now().Add(a.cfg.cpuPerRequest); time.Now().Before(deadline); {
		for i := range 64 {
			h = (h ^ uint64(i)) * 1099511628211
		}
	}
	if len(buf) > 0 {
		buf[len(buf)-1] = byte(h & 0xff)
		h += uint64(buf[len(buf)-1])
	}
	a.sink.Add(h & 1)
	a.served.Add(1)
	_, _ = io.WriteString(w, "ok\n")
}

func (a *app) stats(w http.ResponseWriter, _ *http.Request) {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(sample)
	var allocated uint64
	if sample[0].Value.Kind() == metrics.KindUint64 {
		allocated = sample[0].Value.Uint64()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(demo.Stats{
		Profile:                       a.cfg.profile,
		UptimeSeconds:                 time.Since(a.started).Seconds(),
		Goroutines:                    runtime.NumGoroutine(),
		RequestsServed:                a.served.Load(),
		RequestsDropped:               a.dropped.Load(),
		AllocatedBytes:                allocated,
		ConfiguredRPS:                 a.cfg.requestsPerSecond,
		ConfiguredAllocBytesPerSecond: a.cfg.allocBytesPerSecond,
		LeakedGoroutines:              a.leaked.Load(),
	})
}

// rateAt is the target request rate at an offset from the start.
func (c config) rateAt(elapsed time.Duration) float64 {
	r := c.requestsPerSecond
	if c.diurnalPeriod > 0 {
		// A compressed day: from 10% of the base at night to 190% at noon.
		phase := 2 * math.Pi * float64(elapsed) / float64(c.diurnalPeriod)
		r *= 1 - 0.9*math.Cos(phase)
	}
	if c.spikeEvery > 0 && elapsed%c.spikeEvery < c.spikeFor {
		r *= c.spikeFactor
	}
	return r
}
