package main

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// tick is how often the load generator, allocator and leaker act.
const tick = 10 * time.Millisecond

// generateLoad sends requests to url at the profile's rate through a fixed
// pool of workers on keep-alive connections, so the goroutine count of the
// load itself stays flat. Requests the pool cannot take are dropped and counted.
func (a *app) generateLoad(ctx context.Context, url string) {
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: a.cfg.workers, MaxConnsPerHost: a.cfg.workers},
	}
	defer client.CloseIdleConnections()
	tokens := make(chan struct{}, a.cfg.workers)
	var wg sync.WaitGroup
	for range a.cfg.workers {
		wg.Go(func() {
			for range tokens {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if err != nil {
					continue
				}
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		})
	}
	defer wg.Wait()
	defer close(tokens)

	start := time.Now()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	due, last := 0.0, start
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C:
			due += a.cfg.rateAt(now.Sub(start)) * now.Sub(last).Seconds()
			last = now
			for ; due >= 1; due-- {
				select {
				case tokens <- struct{}{}:
				default:
					a.dropped.Add(1)
				}
			}
		}
	}
}

// allocate allocates at the configured bytes per second in 64 KiB chunks and
// keeps the newest retainBytes of them reachable, so both the allocation rate
// and the live heap move.
func (a *app) allocate(ctx context.Context) {
	if a.cfg.allocBytesPerSecond <= 0 {
		return
	}
	const chunk = 64 << 10
	keep := max(a.cfg.retainBytes/chunk, 1)
	a.retained = make([][]byte, keep)
	start := time.Now()
	var allocated float64
	next := 0
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			a.retained = nil
			return
		case now := <-ticker.C:
			target := a.cfg.allocBytesPerSecond * now.Sub(start).Seconds()
			for ; allocated+chunk <= target; allocated += chunk {
				b := make([]byte, chunk)
				b[0], b[chunk-1] = 1, 1
				a.retained[next] = b
				next = (next + 1) % keep
			}
		}
	}
}

// holdGoroutines starts the configured fixed goroutines at once and leaks
// more at the leak rate up to its cap; all of them are parked until ctx ends.
func (a *app) holdGoroutines(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	park := func() {
		a.leaked.Add(1)
		wg.Go(func() {
			<-ctx.Done()
			a.leaked.Add(-1)
		})
	}
	for range a.cfg.goroutines {
		park()
	}
	if a.cfg.goroutineLeakPerSec <= 0 {
		<-ctx.Done()
		return
	}
	start := time.Now()
	leaked := 0
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C:
			target := min(int(a.cfg.goroutineLeakPerSec*now.Sub(start).Seconds()), a.cfg.goroutineLeakMaxCount)
			for ; leaked < target; leaked++ {
				park()
			}
		}
	}
}
