#!/usr/bin/env bash
# deps.sh: installs the Debian 12 packages streamvisor builds, tests and demos with. Idempotent.
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# libcaf-dev is CAF 0.17.6, libwebsockets-dev 4.1.6; libtomlplusplus-dev parses the config;
# openssl (CLI) makes test certificates; curl is for the demo's final API calls;
# python3-websockets is the independent WebSocket server of tests/integration/oversize_frame_test.py
# and the independent client of the feed's tests (tests/integration/feed_*_test.py);
# clang-format and clang-tidy (14) are the house's static checks (scripts/lint.sh);
# clang-14 and libclang-rt-14-dev (libFuzzer and the sanitizer runtimes) build fuzz/ (scripts/fuzz.sh);
# systemd brings systemd-analyze, which checks config/streamvisor.service (tests/app);
# dpkg-dev (dpkg-shlibdeps) and lintian make and check the .deb (scripts/package.sh);
# prometheus brings promtool (lints /metrics) and the server the scrape test runs;
# libnats-dev is the NATS C client the JetStream publisher uses (app/publish/) and
# nats-server the real JetStream server its tests start (tests/integration/nats_*).
$sudo apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build ccache make \
  libcaf-dev libwebsockets-dev libssl-dev rapidjson-dev catch2 libtomlplusplus-dev \
  openssl ca-certificates curl python3 python3-websockets clang-format clang-tidy systemd \
  dpkg-dev lintian prometheus libnats-dev nats-server \
  clang-14 libclang-rt-14-dev >/dev/null
# Node.js and npm run an unchanged npm Binance client against the feed
# (tests/integration/npm_connector_test.py, which installs @binance/connector from
# the npm registry into the build tree). A Node.js that is already installed (with
# its own npm) is kept; Debian's is taken only where there is none.
if ! command -v npm >/dev/null 2>&1; then
  $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
echo "deps: installed"
