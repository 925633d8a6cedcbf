// Command pacer-demo-app is a small Go HTTP service with a built-in load
// generator, used by pacer's demo and integration tests. It exposes
// client_golang's Go and process collectors (with the runtime/metrics that
// pacer reads) and an http_requests_total counter, and its runtime really
// moves with the selected load profile: steady, diurnal, spiky,
// allocation-heavy or goroutine growth.
//
// It prints the URL it serves on as the first line of standard output and
// logs to standard error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pacer-demo-app:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, log); err != nil {
		log.Error("demo app failed", "err", err)
		stop()
		os.Exit(1) //nolint:gocritic // stop() ran above
	}
}
