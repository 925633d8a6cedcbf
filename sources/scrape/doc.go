// Package scrape is pacer's built-in signal source: it scrapes Prometheus text
// and OpenMetrics from target URLs, keeps a bounded in-memory window of every
// series, derives the same typed signals as the Prometheus source (rates from
// counters, with reset handling), and loads and writes recorded traces in the
// OpenMetrics format that promtool backfills.
package scrape
