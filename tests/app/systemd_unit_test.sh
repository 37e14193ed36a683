#!/usr/bin/env bash
# systemd_unit_test.sh UNIT BINARY: config/streamvisor.service passes
# `systemd-analyze verify` without a single warning (with ExecStart pointed at the
# built BINARY, since verify checks that it is executable), and
# `systemd-analyze security --offline` scores its exposure 2.0 or lower ("OK"),
# and `systemctl reload` sends SIGHUP.
# Exit 77 (a skip for CTest) where systemd-analyze is not installed.
set -euo pipefail
unit="$1"
binary="$2"
if ! command -v systemd-analyze >/dev/null; then
  echo "skipped: systemd-analyze not found (Debian package systemd)"
  exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s|/usr/bin/streamvisor|$binary|" "$unit" >"$work/streamvisor.service"
out="$(systemd-analyze verify "$work/streamvisor.service" 2>&1)" || {
  echo "systemd-analyze verify failed:"; echo "$out"; exit 1; }
if [[ -n "$out" ]]; then
  echo "systemd-analyze verify warned:"; echo "$out"; exit 1
fi
# systemctl reload must reach streamvisor's SIGHUP handler (the config reload).
grep -qx 'ExecReload=/bin/kill -HUP \$MAINPID' "$unit" || {
  echo "the unit has no ExecReload sending SIGHUP"; exit 1; }
score="$(systemd-analyze security --offline=yes "$work/streamvisor.service" 2>&1 |
  sed -n 's/.*Overall exposure level for streamvisor.service: \([0-9.]*\).*/\1/p')"
if [[ -z "$score" ]]; then
  echo "systemd-analyze security gave no score"; exit 1
fi
echo "exposure: $score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || {
  echo "exposure $score is above 2.0"; exit 1; }
