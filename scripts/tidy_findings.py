#!/usr/bin/env python3
"""tidy_findings.py: compares clang-tidy's findings with the accepted baseline.

clang-tidy runs over the whole tree with WarningsAsErrors, but the tree predates the
check set: the findings it had when the checks were introduced are listed, one per
line, in scripts/tidy-baseline.txt as `path: [check] message` (no line numbers, so
edits elsewhere in a file do not disturb them). A finding that is not in the
baseline fails the check; that is how a change is held to the checks while the old
findings are paid down. A baseline entry that no longer occurs is reported, so the
list only shrinks (remove it with --update).

Usage: tidy_findings.py LOG [--update]   (LOG: run-clang-tidy's output)
"""
import collections
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
BASELINE = os.path.join(ROOT, "scripts", "tidy-baseline.txt")
FINDING = re.compile(r"^(/[^:]+):\d+:\d+: (?:error|warning): (.*) \[([^\]]+)\]$")


def findings(log_path):
    """The distinct findings in the log as a multiset of 'path: [check] message'."""
    seen = set()
    out = collections.Counter()
    with open(log_path, errors="replace") as log:
        for raw in log:
            line = re.sub(r"\x1b\[[0-9;]*m", "", raw.rstrip("\n"))
            m = FINDING.match(line)
            if not m:
                continue
            path, message, checks = m.groups()
            path = os.path.realpath(path)
            if not path.startswith(ROOT + "/"):
                continue  # system headers: not ours to fix
            # A header's finding repeats once per file that includes it.
            if line in seen:
                continue
            seen.add(line)
            check = checks.replace(",-warnings-as-errors", "")
            # Scores and sizes in messages ("cognitive complexity of 31") change with
            # any edit of the function; the finding is the same one.
            message = re.sub(r"\d+", "#", message)
            out[f"{os.path.relpath(path, ROOT)}: [{check}] {message}"] += 1
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    current = findings(sys.argv[1])
    if "--update" in sys.argv[2:]:
        with open(BASELINE, "w") as f:
            f.write("# clang-tidy findings accepted when the checks were introduced; see\n"
                    "# scripts/tidy_findings.py. This list may only shrink.\n")
            for key in sorted(current.elements()):
                f.write(key + "\n")
        print(f"tidy: baseline written, {sum(current.values())} findings")
        return 0
    baseline = collections.Counter()
    with open(BASELINE) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                baseline[line.rstrip("\n")] += 1
    if baseline and not current:
        # Not a clean tree but a log that is not ours (another checkout's paths, or
        # clang-tidy did not run): passing here would hide every finding.
        print(f"tidy: no finding of this checkout ({ROOT}) in {sys.argv[1]}")
        return 1
    new = current - baseline
    gone = baseline - current
    for key in sorted(new.elements()):
        print("tidy: new finding: " + key)
    for key in sorted(gone.elements()):
        print("tidy: fixed, remove from scripts/tidy-baseline.txt: " + key)
    print(f"tidy: {sum(current.values())} findings, {sum(new.values())} new, "
          f"{sum(gone.values())} fixed (baseline {sum(baseline.values())})")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
