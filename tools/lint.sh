#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) over the project's sources with the compile commands of a
# build (default: build/asan, configured if missing). Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/asan}
if [ ! -f "$build/compile_commands.json" ]; then
  cmake --preset "$(basename "$build")" >/dev/null
fi
# Generated sources (openapi.cc) are not linted.
find cdp storage ingest api tools tests bench -name '*.cc' -not -path '*/layering_fixture/*' -print0 |
  xargs -0 -n 4 -P "$(nproc)" clang-tidy -p "$build" --quiet
echo "lint: ok"
