#!/usr/bin/env bash
# test.sh: installs what is needed, builds the optimized (warnings are errors) and the
# ASan+UBSan configurations, and runs every test of both through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs="${JOBS:-$(nproc)}"

echo "== ci: optimized build, -Werror"
cmake --preset ci
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"

echo "== asan: AddressSanitizer + UndefinedBehaviorSanitizer"
cmake --preset asan
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"
