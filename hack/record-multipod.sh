#!/usr/bin/env bash
# Records testdata/traces/multipod-20m.om: a multi-pod, multi-container
# workload set in namespace "shop", scraped by `pacer record`.
#
#   deployment  api     3 pods; container "app" diurnal (10m period, rps 120/150/180)
#                       and container "sidecar" steady (rps 10) in each pod
#   deployment  worker  2 pods, container "app": one alloc-heavy, one steady
#   statefulset queue   queue-0, queue-1: 800 goroutines held plus a leak of 2/s
#
# Every workload is a local pacer-demo-app; pod names are shaped like the
# pods of their controller so pacer's workload heuristics group them. Every
# process started here is stopped on exit, whatever the exit.
#
# Usage: hack/record-multipod.sh [OUTPUT]   (run from anywhere in the repo)
# Env:   DURATION (default 20m), SCRAPE_INTERVAL (default 15s), GO (default go),
#        PACER / PACER_DEMO_APP: prebuilt binaries to use instead of building them
set -euo pipefail

cd "$(dirname "$0")/.."
out=${1:-testdata/traces/multipod-20m.om}
duration=${DURATION:-20m}
interval=${SCRAPE_INTERVAL:-15s}
go=${GO:-go}
ns=shop

work=$(mktemp -d)
pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pacer=${PACER:-}
app=${PACER_DEMO_APP:-}
if [ -z "$pacer" ]; then
  pacer=$work/pacer
  "$go" build -o "$pacer" ./cmd/pacer
fi
if [ -z "$app" ]; then
  app=$work/pacer-demo-app
  "$go" build -o "$app" ./cmd/pacer-demo-app
fi

targets=()
# start POD CONTAINER APP-FLAGS...: runs one demo app on a free port and adds
# it as a scrape target labelled with POD and CONTAINER.
start() {
  local pod=$1 container=$2
  shift 2
  local log="$work/$pod.$container"
  "$app" --listen 127.0.0.1:0 "$@" >"$log.out" 2>"$log.err" &
  pids+=($!)
  local url="" i
  for i in $(seq 100); do
    url=$(head -n1 "$log.out" 2>/dev/null || true)
    [ -n "$url" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log.err" >&2; echo "record-multipod: $pod/$container exited" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$url" ] || { echo "record-multipod: $pod/$container printed no URL" >&2; exit 1; }
  targets+=(--scrape "$url/metrics#namespace=$ns&pod=$pod&container=$container")
  echo "record-multipod: $ns/$pod/$container at $url ($*)" >&2
}

rps=(120 150 180)
i=0
for pod in api-7d9f8b6c5d-x2k4p api-7d9f8b6c5d-m8q7r api-7d9f8b6c5d-z5v9w; do
  start "$pod" app --profile diurnal --diurnal-period 10m --rps "${rps[i]}"
  start "$pod" sidecar --profile steady --rps 10 --workers 2
  i=$((i + 1))
done
start worker-5c8d7f9b4b-h6t2n app --profile alloc --alloc-rate 24MiB --retain 8MiB
start worker-5c8d7f9b4b-r4w8s app --profile steady
start queue-0 app --profile goroutines --goroutines 800 --goroutine-leak-rate 2
start queue-1 app --profile goroutines --goroutines 800 --goroutine-leak-rate 2

mkdir -p "$(dirname "$out")"
"$pacer" record -o "$out" --duration "$duration" --scrape-interval "$interval" "${targets[@]}" &
pids+=($!)
# wait (rather than a foreground run) lets INT/TERM reach the traps at once.
wait "${pids[-1]}"
echo "record-multipod: wrote $out ($(wc -c <"$out") bytes)" >&2
