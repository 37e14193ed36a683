#!/usr/bin/env bash
# test.sh: installs what is needed, checks formatting, builds the optimized (warnings
# are errors) and the ASan+UBSan configurations, runs clang-tidy over the optimized
# build (scripts/lint.sh), runs every test of both through ctest, then runs each fuzz
# target for FUZZ_SECONDS (default 15) with scripts/fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs="${JOBS:-$(nproc)}"

scripts/lint.sh --format

echo "== ci: optimized build, -Werror"
cmake --preset ci
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"

JOBS="$jobs" scripts/lint.sh

echo "== asan: AddressSanitizer + UndefinedBehaviorSanitizer"
cmake --preset asan
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"

echo "== fuzz: libFuzzer targets (clang 14), ${FUZZ_SECONDS:-15} s each"
JOBS="$jobs" scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
