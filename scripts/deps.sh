#!/usr/bin/env bash
# deps.sh: installs the Debian 12 packages streamvisor builds, tests and demos with. Idempotent.
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# libcaf-dev is CAF 0.17.6, libwebsockets-dev 4.1.6; libtomlplusplus-dev parses the config;
# openssl (CLI) makes test certificates; curl is for the demo's final API calls;
# python3-websockets is the independent WebSocket server of tests/integration/oversize_frame_test.py;
# clang-format and clang-tidy (14) are the house's static checks (scripts/lint.sh);
# clang-14 and libclang-rt-14-dev (libFuzzer and the sanitizer runtimes) build fuzz/ (scripts/fuzz.sh);
# systemd brings systemd-analyze, which checks config/streamvisor.service (tests/app);
# dpkg-dev (dpkg-shlibdeps) and lintian make and check the .deb (scripts/package.sh);
# prometheus brings promtool (lints /metrics) and the server the scrape test runs.
$sudo apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build ccache make \
  libcaf-dev libwebsockets-dev libssl-dev rapidjson-dev catch2 libtomlplusplus-dev \
  openssl ca-certificates curl python3 python3-websockets clang-format clang-tidy systemd \
  dpkg-dev lintian prometheus \
  clang-14 libclang-rt-14-dev >/dev/null
echo "deps: installed"
