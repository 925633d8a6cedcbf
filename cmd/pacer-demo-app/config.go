package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// config is the demo app's settings; a profile fills defaults, flags override.
type config struct {
	listen  string
	profile string

	// Load: requests per second, shaped by the profile.
	requestsPerSecond float64
	workers           int
	cpuPerRequest     time.Duration
	bytesPerRequest   int
	diurnalPeriod     time.Duration
	spikeEvery        time.Duration
	spikeFor          time.Duration
	spikeFactor       float64

	// Background allocation, bytes per second, and how much of it stays live.
	allocBytesPerSecond float64
	retainBytes         int

	// Goroutines held: a fixed number, or a leak growing per second up to a cap.
	goroutines            int
	goroutineLeakPerSec   float64
	goroutineLeakMaxCount int
}

var profiles = map[string]config{
	"steady":     {requestsPerSecond: 100},
	"diurnal":    {requestsPerSecond: 100, diurnalPeriod: 10 * time.Minute},
	"spiky":      {requestsPerSecond: 50, spikeEvery: 30 * time.Second, spikeFor: 5 * time.Second, spikeFactor: 5},
	"alloc":      {requestsPerSecond: 50, allocBytesPerSecond: 32 << 20, retainBytes: 16 << 20},
	"goroutines": {requestsPerSecond: 50, goroutineLeakPerSec: 20, goroutineLeakMaxCount: 20000},
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("pacer-demo-app", flag.ContinueOnError)
	profile := fs.String("profile", "steady", "load profile: steady, diurnal, spiky, alloc or goroutines")
	listen := fs.String("listen", "127.0.0.1:0", "address to serve on (port 0 picks a free port)")
	rps := fs.Float64("rps", -1, "base requests per second (default: the profile's)")
	workers := fs.Int("workers", 8, "concurrent load-generator workers")
	cpu := fs.Duration("cpu-per-request", 200*time.Microsecond, "CPU time each request burns")
	reqBytes := fs.Int("bytes-per-request", 4096, "bytes each request allocates")
	period := fs.Duration("diurnal-period", -1, "period of the diurnal profile (compressed day)")
	spikeEvery := fs.Duration("spike-every", -1, "spiky profile: time between spikes")
	spikeFor := fs.Duration("spike-for", -1, "spiky profile: spike length")
	spikeFactor := fs.Float64("spike-factor", -1, "spiky profile: load multiplier during a spike")
	alloc := fs.String("alloc-rate", "", "background allocation rate, e.g. 32MiB (per second)")
	retain := fs.String("retain", "", "how much of the background allocation stays live, e.g. 16MiB")
	goroutines := fs.Int("goroutines", -1, "extra goroutines to hold")
	leak := fs.Float64("goroutine-leak-rate", -1, "goroutines leaked per second")
	leakMax := fs.Int("goroutine-leak-max", -1, "stop leaking at this many leaked goroutines")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg, ok := profiles[*profile]
	if !ok {
		return config{}, fmt.Errorf("unknown profile %q (steady, diurnal, spiky, alloc, goroutines)", *profile)
	}
	cfg.profile, cfg.listen = *profile, *listen
	cfg.workers, cfg.cpuPerRequest, cfg.bytesPerRequest = *workers, *cpu, *reqBytes
	override(&cfg.requestsPerSecond, *rps)
	override(&cfg.diurnalPeriod, *period)
	override(&cfg.spikeEvery, *spikeEvery)
	override(&cfg.spikeFor, *spikeFor)
	override(&cfg.spikeFactor, *spikeFactor)
	override(&cfg.goroutines, *goroutines)
	override(&cfg.goroutineLeakPerSec, *leak)
	override(&cfg.goroutineLeakMaxCount, *leakMax)
	for _, b := range []struct {
		text string
		into func(int64)
	}{
		{*alloc, func(n int64) { cfg.allocBytesPerSecond = float64(n) }},
		{*retain, func(n int64) { cfg.retainBytes = int(n) }},
	} {
		if b.text == "" {
			continue
		}
		n, err := parseBytes(b.text)
		if err != nil {
			return config{}, err
		}
		b.into(n)
	}
	return cfg, cfg.validate()
}

// override sets *dst when the flag was given (flags default to -1 = unset).
func override[T int | float64 | time.Duration](dst *T, v T) {
	if v >= 0 {
		*dst = v
	}
}

func (c config) validate() error {
	var errs []error
	if c.workers < 1 {
		errs = append(errs, fmt.Errorf("workers %d: want at least 1", c.workers))
	}
	if c.bytesPerRequest < 0 || c.cpuPerRequest < 0 {
		errs = append(errs, errors.New("per-request CPU and bytes must not be negative"))
	}
	if c.spikeEvery > 0 && (c.spikeFor <= 0 || c.spikeFor >= c.spikeEvery) {
		errs = append(errs, fmt.Errorf("spike-for %s must be positive and shorter than spike-every %s", c.spikeFor, c.spikeEvery))
	}
	if c.goroutineLeakPerSec > 0 && c.goroutineLeakMaxCount <= 0 {
		errs = append(errs, errors.New("a goroutine leak needs --goroutine-leak-max"))
	}
	return errors.Join(errs...)
}

// parseBytes reads sizes like 512, 64KiB, 32MiB, 1GiB, 10MB.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		factor float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	factor := 1.0
	num := s
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			num, factor = strings.TrimSuffix(s, u.suffix), u.factor
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("size %q: want a non-negative number with an optional unit (KiB, MiB, GiB, KB, MB, GB)", s)
	}
	return int64(v * factor), nil
}
