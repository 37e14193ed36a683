#!/usr/bin/env bash
# fault_sim.sh: the long run of the seeded fault simulation, split over every core.
#   scripts/fault_sim.sh [SEEDS] [FIRST]      (default 1000000 seeds from seed 1)
# Builds tests/sim/fault_sim in the ci preset, runs JOBS (default: nproc) shards of
# SEEDS/JOBS seeds each, and prints every failing seed with the command that replays
# it (fault_sim --seed N traces that seed's every event). Exits 1 if any seed failed.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-1000000}"
first="${2:-1}"
jobs="${JOBS:-$(nproc)}"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs" --target fault_sim
bin=build/ci/tests/sim/fault_sim
out=build/ci/fault_sim
mkdir -p "$out"
per=$(( (seeds + jobs - 1) / jobs ))
pids=()
for ((i = 0; i < jobs; i++)); do
  start=$(( first + i * per ))
  n=$(( per ))
  if (( start + n > first + seeds )); then n=$(( first + seeds - start )); fi
  (( n > 0 )) || continue
  "$bin" --seeds "$n" --first "$start" >"$out/shard-$i.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
cat "$out"/shard-*.log | grep -v '^  events:' || true
grep -h '^  events:' "$out"/shard-*.log | head -n 1 >/dev/null
if [ $status -ne 0 ]; then echo "fault_sim: FAILED (see $out/shard-*.log)"; fi
exit $status
