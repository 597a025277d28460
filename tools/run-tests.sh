#!/usr/bin/env bash
# Builds and runs the whole test suite: the release build's tests, then the ASan+UBSan build's
# tests (with short fuzz runs). Installs missing Debian packages first. Warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
jobs=$(nproc)
for preset in release asan; do
  echo "=== ${preset}: configure and build"
  cmake --preset "${preset}" -DCDP_WERROR=ON >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
  echo "=== ${preset}: test"
  ctest --preset "${preset}" -j "${jobs}"
done
