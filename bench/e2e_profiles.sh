#!/usr/bin/env bash
# End-to-end profile-read benchmark (docs/BENCHMARKS.md): fills a fresh data directory with
# about PROFILES profiles (loadgen's users u0000000.., EVENTS_PER_USER events each on average),
# starts `cdp serve` on it (durable, default config), then runs
#   (a) profile reads alone (`cdp loadgen --mode profiles`): closed loop, then open loop at
#       READ_RATE (default: half the closed-loop rate, so that latency is not measured at
#       saturation);
#   (b) the same open-loop reads while a second `cdp loadgen` ingests through /v1/batch at
#       INGEST_RATE events/s over the same users;
#   (c) the change feed from the start (`cdp loadgen --mode changes`, pages of 10,000);
# and prints each run's summary under the command that produced it. Server and load
# generators are not pinned to CPUs (as in e2e_ingest.sh): all share the machine's cores.
#
#   bench/e2e_profiles.sh [BUILD_DIR] [PORT] [PROFILES] [INGEST_RATE]
#       defaults: build/release, 18098, 1000000, 50000
#   environment: DURATION (30) and WARMUP (5) seconds of each run, CONNECTIONS (4) of the
#   reads, READ_RATE (half), EVENTS_PER_USER (6: 1 - e^(-0.8*6) = 99.2% of the users get a
#   user id; 80% of loadgen's events carry one), FILL (loadgen or import, below).
#
# Fill: FILL=loadgen (the default) sends PROFILES * EVENTS_PER_USER events (seed 1) through
# `cdp loadgen --mode http --connections 4 --batch-size 500` to the running server; FILL=import
# pipes the same events from `cdp loadgen --dump` into `cdp import` before the server starts
# (at most 10,000,000 events, --dump's limit). Neither is clearly faster on the 2-core VM: for
# 300,000 events (50,000 users), run alternately, import took 8.4 and 8.6 s (35,783 and
# 34,848 lines/s, one thread), loadgen 7.1 and 9.4 s (42,229 and 31,814 events/s).
set -euo pipefail
build=${1:-build/release}
port=${2:-18098}
profiles=${3:-1000000}
ingest_rate=${4:-50000}
duration=${DURATION:-30}
warmup=${WARMUP:-5}
connections=${CONNECTIONS:-4}
read_rate=${READ_RATE:-half}
events_per_user=${EVENTS_PER_USER:-6}
fill=${FILL:-loadgen}
cdp="$build/tools/cdp"
[[ -x "$cdp" ]] || { echo "no $cdp: build the release preset first" >&2; exit 2; }
[[ "$fill" == import || "$fill" == loadgen ]] || { echo "FILL must be import or loadgen" >&2; exit 2; }
events=$((profiles * events_per_user))
if [[ "$fill" == import && $events -gt 10000000 ]]; then
  echo "PROFILES * EVENTS_PER_USER = $events is over --dump's 10,000,000: use FILL=loadgen" >&2
  exit 2
fi
work=$(mktemp -d)
server=
trap '[[ -n "$server" ]] && { kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }; rm -rf "$work"' EXIT
target="127.0.0.1:$port"
started=$SECONDS

start_server() {
  "$cdp" serve --data "$work/data" --listen "$target" > "$work/serve.out" 2> "$work/serve.err" &
  server=$!
  # Loading a large identity graph takes a while before the server listens.
  for _ in $(seq 600); do grep -q "listening on" "$work/serve.out" 2>/dev/null && return; sleep 0.2; done
  echo "cdp serve did not start:" >&2
  cat "$work/serve.err" >&2
  exit 1
}

# Prints the command, runs it (progress to a log), prints its summary, keeps its result line.
run() {
  local name=$1
  shift
  echo "\$ cdp loadgen $*"
  local rc=0
  "$cdp" loadgen "$@" > "$work/$name.out" 2> "$work/$name.err" || rc=$?
  grep -v '^loadgen-result' "$work/$name.out" | sed 's/^/    /' || true
  grep '^loadgen-result' "$work/$name.out" | sed 's/^/    /' || true
  if ((rc != 0)); then
    echo "    (exit code $rc; the end of its stderr:)"
    tail -5 "$work/$name.err" | sed 's/^/    /'
    return "$rc"
  fi
}

# The number after "NAME": in the result line of run NAME.
field() { grep -o "\"$2\":[0-9.]*" "$work/$1.out" | head -1 | cut -d: -f2; }

echo "=== fill: $profiles users, $events events (seed 1), FILL=$fill"
t0=$SECONDS
if [[ "$fill" == import ]]; then
  echo "\$ cdp loadgen --dump $events --population $profiles --seed 1 | cdp import /dev/stdin --data DIR --no-progress"
  "$cdp" loadgen --dump "$events" --population "$profiles" --seed 1 |
    "$cdp" import /dev/stdin --data "$work/data" --no-progress | sed 's/^/    /'
  start_server
else
  start_server
fi
read_key=$(awk '/read key/ {print $3}' "$work/serve.out")
write_key=$(awk '/write key/ {print $3}' "$work/serve.out")
if [[ "$fill" == loadgen ]]; then
  run fill --target "$target" --key "$write_key" --mode http --connections 4 --batch-size 500 \
    --warmup 0 --count "$events" --population "$profiles" --seed 1
fi
fill_s=$((SECONDS - t0))
echo "    fill and server start: $fill_s s"
curl -s "$target/metrics" | grep -E '^(cdp_events_stored|cdp_identity_(profiles|identifiers)) ' |
  sed 's/^/    /' || true

echo "=== (a) profile reads alone, closed loop"
run reads_closed --target "$target" --key "$read_key" --mode profiles --connections "$connections" \
  --population "$profiles" --warmup "$warmup" --duration "$duration"
if [[ "$read_rate" == half ]]; then
  read_rate=$(awk -v r="$(field reads_closed requests_per_s)" 'BEGIN { printf "%d", r / 2 }')
fi
echo "=== (a) profile reads alone, open loop at $read_rate requests/s"
run reads_open --target "$target" --key "$read_key" --mode profiles --connections "$connections" \
  --population "$profiles" --warmup "$warmup" --duration "$duration" --rate "$read_rate"

echo "=== (b) profile reads at $read_rate requests/s while ingesting $ingest_rate events/s"
ingest_args=(--target "$target" --key "$write_key" --mode http --connections 16 --batch-size 100
  --rate "$ingest_rate" --population "$profiles" --seed 2 --warmup 0
  --duration $((warmup + duration + 4)))
"$cdp" loadgen "${ingest_args[@]}" > "$work/ingest.out" 2> "$work/ingest.err" &
ingest=$!
sleep 2
run reads_ingest --target "$target" --key "$read_key" --mode profiles --connections "$connections" \
  --population "$profiles" --warmup "$warmup" --duration "$duration" --rate "$read_rate" || true
wait "$ingest" || echo "    (the ingest loadgen exited with $?)"
echo "\$ cdp loadgen ${ingest_args[*]}    (in parallel, started 2 s before the reads)"
grep -v '^loadgen-result' "$work/ingest.out" | sed 's/^/    /'
grep '^loadgen-result' "$work/ingest.out" | sed 's/^/    /'

echo "=== (c) the change feed from the start"
run changes --target "$target" --key "$read_key" --mode changes --page-size 10000 --duration 600

echo "=== summary ($profiles users, $events fill events, FILL=$fill: $fill_s s; $((SECONDS - started)) s in all)"
printf '(a) closed loop:           %10s requests/s  p50 %s  p99 %s  p99.9 %s ms; 404 %s\n' \
  "$(field reads_closed requests_per_s)" "$(field reads_closed p50_ms)" \
  "$(field reads_closed p99_ms)" "$(field reads_closed p999_ms)" "$(field reads_closed http_404)"
printf '(a) open loop at %-8s  %10s requests/s  p50 %s  p99 %s  p99.9 %s ms\n' "$read_rate" \
  "$(field reads_open requests_per_s)" "$(field reads_open p50_ms)" "$(field reads_open p99_ms)" \
  "$(field reads_open p999_ms)"
printf '(b) with ingest:           %10s requests/s  p50 %s  p99 %s  p99.9 %s ms; %s requests never started; ingest %s events/s acked\n' \
  "$(field reads_ingest requests_per_s)" "$(field reads_ingest p50_ms)" \
  "$(field reads_ingest p99_ms)" "$(field reads_ingest p999_ms)" \
  "$(field reads_ingest unsent_requests)" "$(field ingest events_per_s)"
printf '(c) change feed:           %10s changes/s  %s pages/s  %s bytes/s; %s changes, page p50 %s  p99 %s ms\n' \
  "$(field changes changes_per_s)" "$(field changes pages_per_s)" "$(field changes bytes_per_s)" \
  "$(field changes changes)" "$(field changes p50_ms)" "$(field changes p99_ms)"
curl -s "$target/metrics" | grep -E '^(cdp_events_stored|cdp_identity_(profiles|identifiers)) ' || true
