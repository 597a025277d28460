#!/usr/bin/env bash
# Formats every C++ file of the project in place with .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
find cdp storage ingest api tools tests bench \( -name '*.h' -o -name '*.cc' \) \
  -not -path '*/layering_fixture/*' -print0 | xargs -0 clang-format -i
