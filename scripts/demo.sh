#!/usr/bin/env bash
# demo.sh: installs, builds, then runs streamvisor against the built-in simulator over TLS on
# loopback and shows the live per-symbol table. Runs DEMO_SECONDS (default 30; 0 = until
# Ctrl-C), then shuts down with SIGTERM and prints what the API says.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target streamvisor streamvisor-sim

seconds="${DEMO_SECONDS:-30}"
rate="${DEMO_RATE:-200}"
api="${DEMO_API:-127.0.0.1:8089}"
bin=build/dev/app
work="$(mktemp -d -t streamvisor-demo.XXXXXX)"
sim_pid=""
sv_pid=""
cleanup() {
  [ -n "$sv_pid" ] && kill -TERM "$sv_pid" 2>/dev/null && wait "$sv_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
}
trap cleanup EXIT

# A certificate for localhost made for this run; streamvisor trusts it through --ca-file,
# so TLS verification stays on exactly as against the real exchange.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
  -days 1 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null

"$bin/sim/streamvisor-sim" --cert "$work/cert.pem" --key "$work/key.pem" --port 0 \
  --port-file "$work/port" --rate "$rate" --log-level warn >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port="$(cat "$work/port")"
echo "simulator: wss://localhost:$port ($rate trades/s per symbol); logs in $work"

"$bin/streamvisor" --config config/demo.toml --endpoint "wss://localhost:$port" \
  --rest-endpoint "https://localhost:$port" \
  --ca-file "$work/cert.pem" --http "$api" --table 2>"$work/streamvisor.log" &
sv_pid=$!

if [ "$seconds" = "0" ]; then
  wait "$sv_pid" || true
else
  sleep "$seconds"
  echo
  echo "--- GET /health";  curl -s "http://$api/health"; echo
  echo "--- GET /status";  curl -s "http://$api/status"; echo
  echo "--- GET /metrics (Prometheus; streams by state)"; curl -s "http://$api/metrics" | grep '^streamvisor_streams{'
  echo "--- GET /symbols/BTCUSDT/metrics"; curl -s "http://$api/symbols/BTCUSDT/metrics"; echo
  echo "--- GET /symbols/BTCUSDT/trades?limit=3"; curl -s "http://$api/symbols/BTCUSDT/trades?limit=3"; echo
  echo "--- GET /symbols/BTCUSDT/book?depth=3"; curl -s "http://$api/symbols/BTCUSDT/book?depth=3"; echo
  kill -TERM "$sv_pid"
  status=0
  wait "$sv_pid" || status=$?
  sv_pid=""
  echo "--- streamvisor exited with $status after SIGTERM; its last log lines:"
  tail -n 4 "$work/streamvisor.log"
fi
