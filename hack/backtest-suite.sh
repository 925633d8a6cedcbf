#!/usr/bin/env bash
# Generates the seven synthetic Go-service scenarios (7 days, 3 pods, seed 1)
# and runs pacer backtest over all of them in one run: the numbers in
# BENCHMARKS.md, section "Recommendation quality". The first day is a
# warm-up every recommender reads as history (pacer serve reads 24h of
# --lookback on start); WARMUP=0 scores it too. Extra arguments go to
# `pacer backtest run` (e.g. -o json, --policy FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
$GO build -o "$dir/pacer" ./cmd/pacer
traces=()
for s in steady diurnal spiky step leak alloc-bursts goroutine-storm; do
  "$dir/pacer" backtest generate --scenario "$s" --days 7 --pods 3 --seed 1 -o "$dir/$s.om"
  traces+=(--trace "$dir/$s.om")
done
"$dir/pacer" backtest run --warmup "${WARMUP:-24h}" "${traces[@]}" "$@"
