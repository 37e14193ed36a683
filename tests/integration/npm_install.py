"""npm_install: installs pinned npm packages into a cache folder for the tests that run
a client nobody here wrote under node (tests/integration/npm_*), once, and reuses them.
Without node, npm or the packages a test is skipped (exit 77), or fails where
SV_NPM_REQUIRED=1 (CI, which reaches the npm registry)."""

import json
import os
import shutil
import subprocess
import sys

NPM_TIMEOUT_S = 60  # leaves a test room under CTest's 120 s on a first install


def skip_or_fail(why):
    """Without node, npm or the package: skip (77), or fail where SV_NPM_REQUIRED=1."""
    if os.environ.get("SV_NPM_REQUIRED") == "1":
        print("FAIL: %s (SV_NPM_REQUIRED=1)" % why)
        sys.exit(1)
    print("SKIP: %s" % why)
    sys.exit(77)


def installed_versions(prefix, pinned):
    """{package: version} of `pinned`'s packages under prefix/node_modules."""
    out = {}
    for name in pinned:
        try:
            with open(os.path.join(prefix, "node_modules", name, "package.json")) as f:
                out[name] = json.load(f).get("version")
        except (OSError, ValueError):
            out[name] = None
    return out


def node_binary(node_major_min):
    """node's path, if it and npm are there and node is at least node_major_min."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        skip_or_fail("node or npm is not on PATH (node %s, npm %s)" % (node, npm))
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
        major = int(version.lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        skip_or_fail("node --version failed: %s" % e)
    if major < node_major_min:
        skip_or_fail("node %s is older than %d" % (version, node_major_min))
    return node


def install(cache_dir, folder, pinned):
    """cache_dir/folder holding `pinned` ({package: version}), installed by npm unless
    already there."""
    npm = shutil.which("npm")
    prefix = os.path.join(os.path.abspath(cache_dir), folder)
    if installed_versions(prefix, pinned) == pinned:
        return prefix
    # Installed beside it and renamed, so an interrupted install is never reused.
    os.makedirs(cache_dir, exist_ok=True)
    staging = "%s.tmp-%d" % (prefix, os.getpid())
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    cmd = [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", staging]
    cmd += ["%s@%s" % kv for kv in pinned.items()]
    print("installing: %s" % " ".join(cmd))
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
        ok, output = r.returncode == 0, r.stdout + r.stderr
    except (OSError, subprocess.SubprocessError) as e:
        ok, output = False, str(e)
    got = installed_versions(staging, pinned)
    if not ok or got != pinned:
        shutil.rmtree(staging, ignore_errors=True)
        skip_or_fail("npm could not install %s (installed %s):\n%s"
                     % (pinned, got, output[-2000:]))
    shutil.rmtree(prefix, ignore_errors=True)
    os.rename(staging, prefix)
    return prefix
