#!/usr/bin/env bash
# fuzz.sh: builds the fuzz preset (clang 14, libFuzzer + ASan + UBSan) and runs each fuzz
# target for SECONDS over its corpora; exits non-zero if any target crashes or finds a
# violated property, naming the input and how to replay it.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (targets: see `targets` below)
#   FUZZ_RUNS=10000000 scripts/fuzz.sh 7200 rest_decoder   (stop at N executions or the
#   time limit, whichever comes first: the long offline runs)
# Corpora: a writable scratch corpus build/fuzz/corpus/<target> (new inputs go there and
# are kept between runs), the committed seeds fuzz/corpus/<target>, and seeds cut from
# the Binance captures in $SV_SHARED_DIR/fixtures/binance (default ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
jobs="${JOBS:-$(nproc)}"
shared="${SV_SHARED_DIR:-$(pwd)/../shared}"
fixtures="$shared/fixtures/binance"

# target -> longest input libFuzzer generates (a frame, a REST body holding the
# 5000-level snapshot capture, config/streamvisor.toml with room, a request target,
# a control message).
declare -A max_len=(
  [frame_decoder]=4096
  [depth_decoder]=16384
  [rest_decoder]=65536
  [config_file]=16384
  [http_query]=2048
  [ws_control]=4096
)
targets=(frame_decoder depth_decoder rest_decoder config_file http_query ws_control)
if [ $# -gt 0 ]; then targets=("$@"); fi

cmake --preset fuzz -DSV_SHARED_DIR="$shared" >/dev/null
cmake --build --preset fuzz -j "$jobs"

out=build/fuzz
mkdir -p "$out/artifacts"
# Seeds from the captures, one payload per file; never copied into the repository.
if [ -d "$fixtures" ]; then
  python3 - "$fixtures" "$out/seeds" <<'PY'
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
def put(target, name, text):
    os.makedirs(os.path.join(dst, target), exist_ok=True)
    with open(os.path.join(dst, target, name), "w") as f:
        f.write(text)
def lines(target, file):
    with open(os.path.join(src, file)) as f:
        for i, line in enumerate(f):
            if line.strip():
                put(target, "%s-%d" % (file, i + 1), line.rstrip("\n"))
for f in ("aggTrade-samples.jsonl", "combined-stream-samples.jsonl",
          "bookTicker-samples.jsonl", "trade-samples.jsonl"):
    lines("frame_decoder", f)
for f in ("depthUpdate-samples.jsonl", "depthUpdate-samples-BADGERBTC.jsonl",
          "partial-depth-samples.jsonl"):
    lines("depth_decoder", f)
for f in ("aggTrades-rest-response.json", "depth-snapshot-BTCUSDT-limit10.json",
          "depth-snapshot-NKNUSDT-limit1000.json",
          "depth-snapshot-BADGERBTC-limit5000.json"):
    with open(os.path.join(src, f)) as g:
        put("rest_decoder", f, g.read())
with open(os.path.join(src, "error-responses.json")) as g:
    for i, entry in enumerate(json.load(g)):
        if isinstance(entry, dict) and "body" in entry:
            body = entry["body"]
            put("rest_decoder", "error-%d" % i,
                body if isinstance(body, str) else json.dumps(body))
            if entry.get("transport", "").startswith("WS"):
                put("ws_control", "error-%d" % i, json.dumps(body))
with open(os.path.join(src, "ws-control-messages.json")) as g:
    for name, example in json.load(g).items():
        if isinstance(example, dict) and "request" in example:
            put("ws_control", name + "-request", json.dumps(example["request"]))
            put("ws_control", name + "-response", json.dumps(example["response"]))
PY
else
  echo "fuzz: no captures in $fixtures; running on the committed seeds only"
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$(pwd)/fuzz/ubsan.supp"
failed=()
for t in "${targets[@]}"; do
  bin="$out/fuzz/${t}_fuzz"
  [ -x "$bin" ] || { echo "fuzz: unknown target $t"; exit 2; }
  corpus="$out/corpus/$t"
  mkdir -p "$corpus"
  dirs=("$corpus" "fuzz/corpus/$t")
  if [ -d "$out/seeds/$t" ]; then dirs+=("$out/seeds/$t"); fi
  # The shipped config files seed the loader.
  if [ "$t" = config_file ]; then dirs+=(config); fi
  dict=()
  runs=()
  if [ -n "${FUZZ_RUNS:-}" ]; then runs=(-runs="$FUZZ_RUNS"); fi
  if [ -f "fuzz/$t.dict" ]; then dict=(-dict="fuzz/$t.dict"); fi
  echo "== fuzz $t: ${seconds}s, max_len ${max_len[$t]}"
  log="$out/artifacts/$t.log"
  if "$bin" -max_total_time="$seconds" -max_len="${max_len[$t]}" "${dict[@]}" "${runs[@]}" \
      -artifact_prefix="$out/artifacts/$t-" -print_final_stats=1 "${dirs[@]}" \
      >"$log" 2>&1; then
    grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" || true
  else
    tail -n 40 "$log"
    crash=$(ls -t "$out/artifacts/$t-"* 2>/dev/null | head -n 1 || true)
    echo "fuzz: $t FAILED; input: ${crash:-(see $log)}"
    echo "replay: UBSAN_OPTIONS=$UBSAN_OPTIONS $bin ${crash:-<input>}"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets clean after ${seconds}s each"
