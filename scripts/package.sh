#!/usr/bin/env bash
# package.sh: installs the Debian 12 packages, builds the optimized tree (preset ci) and
# makes the Debian package build/ci/streamvisor_<version>-1_<arch>.deb with cpack
# (cmake/Packaging.cmake). Install it with `apt install ./build/ci/streamvisor_*.deb`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci --target streamvisor streamvisor-sim sv_deb_changelog
(cd build/ci && cpack -G DEB)
ls -l build/ci/streamvisor_*.deb
