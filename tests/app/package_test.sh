#!/usr/bin/env bash
# package_test.sh BUILD_DIR: `cpack -G DEB` of the build tree makes a package that
# holds the binaries, the config as a conffile, the unit and the docs, depends on the
# shared libraries it links (dpkg-shlibdeps), passes lintian without an error, and
# whose binaries run from a scratch root (dpkg -x) with --version and --help.
# Exit 77 (a skip for CTest) where cpack or dpkg-deb is missing.
set -euo pipefail
build="$1"
for tool in cpack dpkg-deb; do
  if ! command -v "$tool" >/dev/null; then
    echo "skipped: $tool not found"
    exit 77
  fi
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "package_test: $*"; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log"; fail "cpack failed"; }
deb="$(ls "$work"/out/streamvisor_*.deb)"
echo "package: $(basename "$deb") ($(stat -c %s "$deb") bytes)"

contents="$(dpkg-deb -c "$deb")"
for path in ./usr/bin/streamvisor ./usr/bin/streamvisor-sim \
            ./usr/bin/streamvisor-nats-tail ./usr/share/doc/streamvisor/scale-out.md \
            ./etc/streamvisor/streamvisor.toml \
            ./lib/systemd/system/streamvisor.service \
            ./usr/share/doc/streamvisor/copyright \
            ./usr/share/doc/streamvisor/changelog.Debian.gz \
            ./usr/share/doc/streamvisor/operations.md \
            ./usr/share/doc/streamvisor/prometheus-alerts.yml; do
  grep -q " $path\$" <<<"$contents" || fail "missing $path"
done
mkdir "$work/control"
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/streamvisor/streamvisor.toml "$work/control/conffiles" ||
  fail "the config is not a conffile"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "depends: $depends"
for lib in libcaf-core libwebsockets libtomlplusplus libnats; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib"
done

mkdir "$work/root"
dpkg -x "$deb" "$work/root"
version="$("$work/root/usr/bin/streamvisor" --version)"
echo "installed --version: $version"
upstream="$(dpkg-deb -f "$deb" Version)"
upstream="${upstream%-*}" # without the Debian revision
grep -q "streamvisor $upstream" <<<"$version" ||
  fail "--version does not name the package version"
"$work/root/usr/bin/streamvisor" --help | grep -q -- "--config" ||
  fail "--help does not list --config"
"$work/root/usr/bin/streamvisor-sim" --help >/dev/null ||
  fail "streamvisor-sim --help failed"

if command -v lintian >/dev/null; then
  # Errors fail; warnings (no manual page, ...) are listed.
  lintian --fail-on error --tag-display-limit 0 "$deb" || fail "lintian errors"
else
  echo "lintian not installed: its check was skipped"
fi
