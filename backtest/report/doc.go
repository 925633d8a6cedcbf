// Package report renders backtest results: a table for people, JSON for
// programs (docs/backtest.md documents its fields), and a self-contained
// HTML page with an SVG chart per workload container (usage against each
// recommender's applied request and limit over time) and per workload
// (replicas against the replicas the load needed).
package report
