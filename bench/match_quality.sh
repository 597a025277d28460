#!/usr/bin/env bash
# Match quality through the real server (docs/BENCHMARKS.md, Probabilistic matching): for each
# input, fits the match model with `cdp train` into a fresh data directory (on a separate
# generated set for the synthetic stream; on the records themselves, labels unused, for the
# labelled data sets), starts `cdp serve` on it, sends the records with `cdp eval` and prints
# its result line. Usage:
#   bench/match_quality.sh [--people N] [--link-threshold T] [--linkage DIR] [--cdp PATH]
# The labelled data sets are read from DIR (default ../shared/data/linkage); they are skipped
# when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
people=20000
threshold=8
linkage=../shared/data/linkage
cdp=build/release/tools/cdp
while [ $# -gt 0 ]; do
  case "$1" in
    --people) people=$2; shift 2 ;;
    --link-threshold) threshold=$2; shift 2 ;;
    --linkage) linkage=$2; shift 2 ;;
    --cdp) cdp=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))
# The Spanish stream runs with the defaults; the labelled data sets, whose errors replace
# given names and garble birth dates and which hold no households, with "given_must_agree" and
# "birth_must_agree" false (CONFIG.md).
cat > "$work/config-gen.json" <<JSON
{"keys": [{"key": "ak_eval", "scopes": ["read", "write", "admin"]}],
 "matching": {"link_threshold": $threshold}}
JSON
cat > "$work/config-labelled.json" <<JSON
{"keys": [{"key": "ak_eval", "scopes": ["read", "write", "admin"]}],
 "matching": {"link_threshold": $threshold, "given_must_agree": false,
              "birth_must_agree": false}}
JSON

# run NAME TRAIN_ARGS... -- EVAL_ARGS...
run() {
  local name=$1; shift
  local train=() eval_args=()
  while [ "$1" != "--" ]; do train+=("$1"); shift; done
  shift
  eval_args=("$@")
  local data="$work/data-$name"
  local config="$work/config-labelled.json"
  [ "$name" = gen ] && config="$work/config-gen.json"
  "$cdp" train "${train[@]}" --data "$data" --no-progress > "$work/train-$name.log"
  "$cdp" serve --data "$data" --listen "127.0.0.1:$port" --config "$config" \
    > "$work/serve-$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break
    sleep 0.2
  done
  printf '%-14s ' "$name"
  "$cdp" eval --url "http://127.0.0.1:$port" --key ak_eval "${eval_args[@]}" --no-progress \
    --examples 0 | tail -n 1
  kill "$pid"; wait "$pid" || true
}

"$cdp" gen --people "$people" --seed 2 --out "$work/train.ndjson" --truth "$work/train.csv" \
  --no-progress > /dev/null
"$cdp" gen --people "$people" --seed 1 --out "$work/test.ndjson" --truth "$work/test.csv" \
  --no-progress > /dev/null
run gen --events "$work/train.ndjson" --truth "$work/train.csv" -- \
  --events "$work/test.ndjson" --truth "$work/test.csv"
if [ -d "$linkage" ]; then
  for f in febrl/dataset3.csv splink_fake_1000/fake_1000.csv rldata/RLdata10000.csv; do
    run "$(basename "$f" .csv)" --csv "$linkage/$f" -- --csv "$linkage/$f"
  done
  run febrl4 --csv "$linkage/febrl/dataset4a.csv" --csv "$linkage/febrl/dataset4b.csv" -- \
    --csv "$linkage/febrl/dataset4a.csv" --csv "$linkage/febrl/dataset4b.csv"
else
  echo "no labelled data sets in $linkage: skipped"
fi
