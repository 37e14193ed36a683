#!/usr/bin/env bash
# lint.sh: the house's static checks. First every tracked C++ file against
# .clang-format (fails on any difference; fix with `clang-format -i FILE`), then
# clang-tidy (.clang-tidy) over every translation unit of build/ci, whose findings
# must all be in scripts/tidy-baseline.txt (see scripts/tidy_findings.py).
#   scripts/lint.sh            both (needs build/ci/compile_commands.json: cmake --preset ci)
#   scripts/lint.sh --format   the formatting check only (seconds)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== lint: clang-format $(clang-format --version | grep -o '[0-9][0-9.]*' | head -1)"
git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run --Werror
echo "lint: formatting ok"
[ "${1:-}" = "--format" ] && exit 0

echo "== lint: clang-tidy over build/ci"
log="build/ci/clang-tidy.log"
# run-clang-tidy's own exit status is non-zero whenever any finding exists, baseline
# or not: the baseline comparison below is what decides.
run-clang-tidy -p build/ci -j "${JOBS:-$(nproc)}" -quiet >"$log" 2>&1 || true
if grep -q "Error while processing\|error: unable to\|fatal error:" "$log"; then
  grep "Error while processing\|error: unable to\|fatal error:" "$log" | head -20
  echo "lint: clang-tidy could not process every file (see $log)"
  exit 1
fi
python3 scripts/tidy_findings.py "$log"
