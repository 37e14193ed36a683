#!/usr/bin/env bash
# run.sh: runs pipeline_bench against the loopback firehose and streamvisor-sim and prints a table of medians.
#
# Usage (from anywhere; the project must be built first):
#   cmake --preset dev && cmake --build --preset dev       # or any build dir, see BUILD_DIR
#   bench/run.sh                     # all workloads, 3 runs each
#   RUNS=5 WORKLOADS="fh-t1 fh-t2" bench/run.sh
#
# Environment:
#   BUILD_DIR   build directory holding bench/pipeline_bench and app/sim/streamvisor-sim
#               (default build/dev, relative to the repository root). The only thing this
#               script builds is the firehose feed server, into $BUILD_DIR/firehose.
#   SHARED_DIR  the project's shared folder with bench/firehose.c (default ../shared)
#   RUNS        runs per workload (default 3); the table shows the median of each column
#   WORKLOADS   space-separated subset of: fh-t1 fh-t2 fh-t4 fh-lat sim fh-combined
#               (default: all)
#   LAT_THREADS CAF worker threads for the latency and sim workloads (default 2)
#   NICE        if set (e.g. -10; needs root), feed and bench run under `nice -n $NICE`, which
#               shields them from other work on a shared machine (documented with the results)
#   OUT         file that receives every raw result line (default
#               $BUILD_DIR/bench-results/pipeline-<UTC time>.log)
#
# Every process is started under `timeout`, the firehose also with -T, and whatever is
# still running is killed on exit. Method and reference figures: docs/performance.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-build/dev}"
SHARED_DIR="${SHARED_DIR:-$ROOT/../shared}"
RUNS="${RUNS:-3}"
WORKLOADS="${WORKLOADS:-fh-t1 fh-t2 fh-t4 fh-lat sim fh-combined}"
LAT_THREADS="${LAT_THREADS:-2}"
BENCH="$BUILD_DIR/bench/pipeline_bench"
SIM="$BUILD_DIR/app/sim/streamvisor-sim"
FIREHOSE="$BUILD_DIR/firehose"

# Sizes of the workloads (docs/performance.md "Workloads").
FH_COUNT=2000000       # firehose, unlimited rate
LAT_RATE=20000         # latency mode: msgs/s
LAT_COUNT=200000       # latency mode: 10 s at 20k msgs/s
SIM_COUNT=1000000      # streamvisor-sim --rate 0
# Time bounds (seconds): feed lifetime and the bench's own deadline, per run.
FEED_LIFETIME_S=120
BENCH_TIMEOUT_S=90

die() {
  echo "run.sh: $*" >&2
  exit 2
}

[[ -x "$BENCH" ]] || die "$BENCH not found: build first (cmake --preset dev && cmake --build --preset dev) or set BUILD_DIR"
[[ -x "$SIM" ]] || die "$SIM not found: build streamvisor-sim first or set BUILD_DIR"
[[ -f "$SHARED_DIR/bench/firehose.c" ]] || die "$SHARED_DIR/bench/firehose.c not found: set SHARED_DIR"

if [[ ! -x "$FIREHOSE" || "$SHARED_DIR/bench/firehose.c" -nt "$FIREHOSE" ]]; then
  echo "building $FIREHOSE" >&2
  gcc -O2 -o "$FIREHOSE" "$SHARED_DIR/bench/firehose.c" -lcrypto -lpthread -lm
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/sv-bench.XXXXXX")"
OUT="${OUT:-$BUILD_DIR/bench-results/pipeline-$(date -u +%Y%m%dT%H%M%SZ).log}"
mkdir -p "$(dirname "$OUT")"
: >"$OUT"
FEED_PID=""
PRIO=()
if [[ -n "${NICE:-}" ]]; then
  PRIO=(nice -n "$NICE")
fi

cleanup() {
  if [[ -n "$FEED_PID" ]] && kill -0 "$FEED_PID" 2>/dev/null; then
    kill "$FEED_PID" 2>/dev/null || true
    wait "$FEED_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until file $1 holds a port number (at most 10 s); prints it.
wait_port() {
  local f="$1" i
  for ((i = 0; i < 100; ++i)); do
    if [[ -s "$f" ]] && grep -qE '^[0-9]+$' "$f"; then
      cat "$f"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# CPU seconds (user+sys) of process $1 so far, "-" if it is gone.
proc_cpu_s() {
  local stat
  if [[ -n "$1" ]] && stat="$(cat "/proc/$1/stat" 2>/dev/null)"; then
    # Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
    echo "${stat##*) }" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / hz }'
  else
    echo "-"
  fi
}

# Stops the feed of the current run (it may have exited on its own).
stop_feed() {
  if [[ -n "$FEED_PID" ]]; then
    kill "$FEED_PID" 2>/dev/null || true
    wait "$FEED_PID" 2>/dev/null || true
    FEED_PID=""
  fi
}

# run_one NAME FEED_KIND FEED_ARGS BENCH_ARGS: one run; appends "workload=NAME load1=.. <bench line>" to $OUT.
run_one() {
  local name="$1" kind="$2" feed_args="$3" bench_args="$4"
  local portfile="$TMP/port" port line load1 feed_child
  rm -f "$portfile" "$portfile.tmp"
  if [[ "$kind" == firehose ]]; then
    # shellcheck disable=SC2086
    "${PRIO[@]}" timeout -k 2 "$FEED_LIFETIME_S" "$FIREHOSE" $feed_args -k 1 -q -T "$FEED_LIFETIME_S" \
      -f "$portfile" >"$TMP/feed.log" 2>&1 &
  else
    # shellcheck disable=SC2086
    "${PRIO[@]}" timeout -k 2 "$FEED_LIFETIME_S" "$SIM" $feed_args --port 0 --port-file "$portfile" \
      --log-level warn >"$TMP/feed.log" 2>&1 &
  fi
  FEED_PID=$!
  if ! port="$(wait_port "$portfile")"; then
    echo "run.sh: $name: the $kind did not write its port; its output:" >&2
    cat "$TMP/feed.log" >&2
    stop_feed
    return 1
  fi
  load1="$(cut -d' ' -f1 /proc/loadavg)"
  # The feed itself (the child of `timeout`): its CPU is read when the bench is done.
  feed_child="$(pgrep -P "$FEED_PID" | head -1 || true)"
  # shellcheck disable=SC2086
  if line="$("${PRIO[@]}" timeout -k 2 $((BENCH_TIMEOUT_S + 15)) "$BENCH" --endpoint "ws://127.0.0.1:$port" \
    --timeout-s "$BENCH_TIMEOUT_S" $bench_args 2>"$TMP/bench.err")"; then
    echo "workload=$name load1=$load1 feed_cpu_s=$(proc_cpu_s "$feed_child") $line" >>"$OUT"
    echo "  $name: $line" >&2
  else
    echo "workload=$name load1=$load1 FAILED" >>"$OUT"
    echo "run.sh: $name failed:" >&2
    grep -v ' child_down ' "$TMP/bench.err" >&2 || true
  fi
  stop_feed
}

# Runs workload $1 $RUNS times.
run_workload() {
  local name="$1" i
  for ((i = 1; i <= RUNS; ++i)); do
    case "$name" in
      fh-t1 | fh-t2 | fh-t4)
        run_one "$name" firehose "-n $FH_COUNT" \
          "--source firehose --count $FH_COUNT --caf-threads ${name#fh-t}" ;;
      fh-lat)
        run_one "$name" firehose "-n $LAT_COUNT -r $LAT_RATE -L" \
          "--source firehose-20k --count $LAT_COUNT --latency --caf-threads $LAT_THREADS" ;;
      sim)
        run_one "$name" sim "--rate 0 --count $SIM_COUNT" \
          "--source sim --count $SIM_COUNT --latency --caf-threads $LAT_THREADS" ;;
      fh-combined)
        run_one "$name" firehose "-n $FH_COUNT -C" \
          "--source firehose-C --count $FH_COUNT --combined --caf-threads $LAT_THREADS" ;;
      *) die "unknown workload $name (known: fh-t1 fh-t2 fh-t4 fh-lat sim fh-combined)" ;;
    esac
  done
}

echo "priority: ${NICE:+nice -n $NICE}${NICE:-default}" >&2
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "raw results: $OUT" >&2
for w in $WORKLOADS; do
  echo "workload $w ($RUNS runs)" >&2
  run_workload "$w"
done

# Median of key $2 over the lines of workload $1 ("-" if absent).
median() {
  grep "^workload=$1 " "$OUT" | grep -v FAILED | tr ' ' '\n' | grep "^$2=" | cut -d= -f2 \
    | grep -E '^[0-9.]+$' | sort -g | awk '{v[NR] = $1} END {
        if (NR == 0) { print "-"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "pipeline_bench: medians of $RUNS runs per workload ($(nproc) cores${NICE:+, nice $NICE}; raw lines in $OUT)"
printf '%-12s %-12s %3s %8s %9s %8s %7s %7s %8s %7s %7s %8s %7s %5s %5s\n' \
  workload source caf msgs msgs/s cpu_s/1M rss_MiB lws_cpu feed_cpu p50_us p99_us \
  p999_us frm/bat ok load
for w in $WORKLOADS; do
  ok="$(grep "^workload=$w " "$OUT" | grep -vc FAILED || true)"
  total="$(grep -c "^workload=$w " "$OUT" || true)"
  src="$(grep "^workload=$w " "$OUT" | grep -v FAILED | head -1 | tr ' ' '\n' | grep '^source=' | cut -d= -f2 || true)"
  secs="$(median "$w" seconds)"
  lws="$(median "$w" cpu_lws_s)"
  # Share of the window the lws service thread was on a CPU (100% = transport-bound).
  lws_pct="$(awk -v l="$lws" -v s="$secs" 'BEGIN { if (s + 0 > 0 && l != "-") printf "%.0f%%", 100 * l / s; else print "-" }')"
  printf '%-12s %-12s %3s %8s %9s %8s %7s %7s %8s %7s %7s %8s %7s %5s %5s\n' \
    "$w" "${src:--}" "$(median "$w" caf_threads)" "$(median "$w" msgs)" \
    "$(median "$w" msgs_per_s)" "$(median "$w" cpu_s_per_million)" \
    "$(median "$w" peak_rss_mib)" "$lws_pct" "$(median "$w" feed_cpu_s)" \
    "$(median "$w" lat_p50_us)" \
    "$(median "$w" lat_p99_us)" "$(median "$w" lat_p999_us)" \
    "$(median "$w" frames_per_batch)" "$ok/$total" "$(median "$w" load1)"
done
echo "lws_cpu: share of the window the lws service thread ran (near 100% = transport-bound);"
echo "feed_cpu: CPU seconds of the feed process (\"-\" if it had exited); load: load1 before the runs"
echo "targets: >= 900000 msgs/s end to end (fh-*); p50 <= 20 us and p99 <= 200 us at 20000 msgs/s (fh-lat)"
