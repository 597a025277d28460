#!/usr/bin/env bash
# Builds the release binary and runs `cdp serve` with its RocksDB in ./data. Installs missing
# Debian packages first. Extra arguments go to `cdp serve` (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target cdp
exec ./build/release/tools/cdp serve --data ./data "$@"
