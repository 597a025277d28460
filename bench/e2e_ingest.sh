#!/usr/bin/env bash
# End-to-end ingest benchmark (docs/BENCHMARKS.md): starts a fresh `cdp serve` (durable,
# default config, identity graph on) in a temporary data directory, runs `cdp loadgen` over
# HTTP (4 and 16 connections) and the WebSocket stream, prints each run's summary line and the
# server's ingest and identity metrics, then stops the server.
#
#   bench/e2e_ingest.sh [BUILD_DIR] [PORT]     (defaults: build/release, 18097)
set -euo pipefail
build=${1:-build/release}
port=${2:-18097}
cdp="$build/tools/cdp"
[[ -x "$cdp" ]] || { echo "no $cdp: build the release preset first" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$cdp" serve --data "$work/data" --listen "127.0.0.1:$port" > "$work/serve.out" 2> "$work/serve.err" &
server=$!
for _ in $(seq 50); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.2; done
key=$(awk '/write key/ {print $3}' "$work/serve.out")
run() {
  echo "=== loadgen $*"
  "$cdp" loadgen --target "127.0.0.1:$port" --key "$key" "$@" 2> /dev/null |
    grep -o '"events_per_s":[0-9.]*,"bytes_per_s":[0-9]*,"p50_ms":[0-9.]*,"p90_ms":[0-9.]*,"p99_ms":[0-9.]*'
}
run --mode http --connections 4 --batch-size 100 --warmup 5 --duration 60
run --mode http --connections 16 --batch-size 100 --warmup 3 --duration 30
run --mode ws --connections 4 --window 8 --batch-size 100 --warmup 5 --duration 30
curl -s "127.0.0.1:$port/metrics" |
  grep -E '^(cdp_identity_|cdp_events_stored|cdp_ingest_group_events_(sum|count)|cdp_ingest_commit_latency_seconds_(sum|count))'
