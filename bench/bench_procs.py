"""bench_procs: what the benchmark drivers share: a process's CPU and memory from /proc,
waiting for a condition with a deadline, a histogram's buckets from /metrics and a
quantile of the samples between two reads, and stopping the processes a run started."""

import os
import re
import subprocess
import sys
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_sample(pid):
    """(CPU seconds, user + system; resident memory in KiB) of `pid`."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return (int(fields[11]) + int(fields[12])) / CLK_TCK, rss


def wait_for(what, check, timeout_s=20, poll_s=0.05, errors=()):
    """check() until it returns something true (returned); exits the program naming
    `what` at the deadline. An exception in `errors` from check() means not yet."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            value = check()
        except errors:
            value = None
        if value:
            return value
        time.sleep(poll_s)
    sys.exit(f"{os.path.basename(sys.argv[0])}: timed out waiting for {what}")


def histogram_buckets(port, family):
    """The cumulative buckets {le: count} of histogram `family` in streamvisor's /metrics."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    out = {}
    for m in re.finditer(re.escape(family) + r'_bucket\{le="([^"]+)"\} (\d+)', text):
        out[float("inf") if m.group(1) == "+Inf" else float(m.group(1))] = int(m.group(2))
    return out


def bucket_quantile(before, after, q):
    """The upper bound of the bucket holding quantile q of the samples in between."""
    les = sorted(after)
    total = after[les[-1]] - before.get(les[-1], 0)
    if total <= 0:
        return None
    for le in les:
        if after[le] - before.get(le, 0) >= q * total:
            return le
    return None


def built_firehose(shared_dir, bin_dir):
    """The firehose (shared_dir/bench/firehose.c) built into bin_dir unless it is
    there and newer than its source; its path."""
    source = os.path.join(shared_dir, "bench", "firehose.c")
    binary = os.path.join(bin_dir, "firehose")
    if not os.path.exists(binary) or os.path.getmtime(source) > os.path.getmtime(binary):
        subprocess.check_call(["gcc", "-O2", "-o", binary, source,
                               "-lcrypto", "-lpthread", "-lm"])
    return binary


def stop_all(procs, timeout_s=10):
    """SIGTERM to every process still running, last started first; SIGKILL after."""
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            p.kill()
