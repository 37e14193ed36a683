#!/usr/bin/env python3
"""nats_publish.py: what publishing every trade to JetStream costs streamvisor, on loopback.

A benchmark program (issue 12, item 6), not a test. Starts Debian's nats-server with
JetStream (scratch file store, kernel-picked port of 127.0.0.1) and the firehose
(../shared/bench/firehose.c, built into BIN_DIR/firehose) for one symbol at --rate
messages per second (0: as fast as it can write), then streamvisor with --nats, and
measures over --seconds:
  - throughput: trades received and acks in from JetStream per second;
  - added latency: the publisher's own histogram of live trades from the transport's
    read of the frame to the JetStream ack (/status "nats" ack_latency_us: p50, p99,
    max; the histogram tops out at 10 ms), taken as the difference of /metrics'
    cumulative buckets over the window for the bucket bounds;
  - CPU: streamvisor's and nats-server's, one core = 100 %, and streamvisor's CPU per
    million published messages above the same run without --nats (--baseline runs it).

Usage (from the repository root, after building the dev or ci preset):
  bench/nats_publish.py --bin-dir build/ci --rate 20000 --seconds 20 --baseline
Options: --bin-dir [build/ci] --rate [20000] --seconds [20] --baseline
--nats-server [/usr/sbin/nats-server] --shared-dir [../shared].
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

from bench_procs import built_firehose, bucket_quantile, histogram_buckets, proc_sample, stop_all, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
#: What wait_for() takes as "not yet": a file or an answer still coming.
NOT_YET = (OSError, ValueError, KeyError, AttributeError)


def get(port, path):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read().decode()


def ack_buckets(port):
    return histogram_buckets(port, "streamvisor_nats_ack_latency_seconds")


def trades_in(port):
    return json.loads(get(port, "/symbols/BTCUSDT/metrics"))["trades"]


def run(args, firehose, work, nats_url):
    """One streamvisor run; returns its figures."""
    run_s = args.seconds + 30
    count = int(args.rate * run_s) if args.rate > 0 else 3_000_000
    port_file = os.path.join(work, "port")
    if os.path.exists(port_file):
        os.remove(port_file)
    procs = []
    try:
        fh = subprocess.Popen([firehose, "-r", str(args.rate), "-k", "0", "-q", "-n", str(count),
                               "-T", str(int(run_s + 30)), "-f", port_file])
        procs.append(fh)
        fh_port = int(wait_for("the firehose's port", lambda: open(port_file).read().strip(),
                                    30, errors=NOT_YET))
        log = os.path.join(work, "streamvisor.log")
        argv = [os.path.join(args.bin_dir, "app", "streamvisor"), "--symbols", "BTCUSDT",
                "--streams", "aggTrade", "--endpoint", f"ws://127.0.0.1:{fh_port}",
                "--rest-endpoint", f"http://127.0.0.1:{fh_port}", "--warmup-s", "0",
                "--http", "127.0.0.1:0", "--lock-file", os.path.join(work, "lock")]
        if nats_url:
            argv += ["--nats", nats_url, "--nats-buffer-max", str(max(count, 1000000))]
        sv = subprocess.Popen(argv, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        procs.append(sv)

        def port():
            m = re.search(r"api_listening listen=127\.0\.0\.1:(\d+)", open(log).read())
            return int(m.group(1)) if m else None
        sv_port = wait_for("streamvisor's API", port, 30, errors=NOT_YET)
        wait_for("trades", lambda: trades_in(sv_port) > 0, 30, errors=NOT_YET)
        time.sleep(1)
        nats0 = json.loads(get(sv_port, "/status")).get("nats") if nats_url else None
        hist0 = ack_buckets(sv_port) if nats_url else {}
        trades0, cpu0, t0 = trades_in(sv_port), proc_sample(sv.pid)[0], time.time()
        nats_cpu0 = proc_sample(args.nats_pid)[0] if nats_url else 0
        time.sleep(args.seconds)
        trades1, cpu1, t1 = trades_in(sv_port), proc_sample(sv.pid)[0], time.time()
        nats_cpu1 = proc_sample(args.nats_pid)[0] if nats_url else 0
        wall = t1 - t0
        out = {"trades_per_s": (trades1 - trades0) / wall,
               "cpu_pct": 100 * (cpu1 - cpu0) / wall, "rss_mib": proc_sample(sv.pid)[1] / 1024,
               "cpu_s": cpu1 - cpu0, "wall": wall}
        if nats_url:
            nats1 = json.loads(get(sv_port, "/status"))["nats"]
            hist1 = ack_buckets(sv_port)
            out.update({
                "acked_per_s": (nats1["acked"] - nats0["acked"]) / wall,
                "published": nats1["published"] - nats0["published"],
                "nats_cpu_pct": 100 * (nats_cpu1 - nats_cpu0) / wall,
                "latency": nats1["ack_latency_us"],
                "p50_le": bucket_quantile(hist0, hist1, 0.5),
                "p99_le": bucket_quantile(hist0, hist1, 0.99),
                "p90_le": bucket_quantile(hist0, hist1, 0.9),
                "buckets": {le: hist1[le] - hist0.get(le, 0) for le in sorted(hist1)},
                "queued": nats1["queued"], "dropped": nats1["dropped"],
                "ack_errors": nats1["ack_errors"]})
        return out
    finally:
        stop_all(procs, timeout_s=20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default="build/ci")
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--baseline", action="store_true",
                    help="also run without --nats, for the CPU per million")
    ap.add_argument("--nats-server", default="/usr/sbin/nats-server")
    ap.add_argument("--buckets", action="store_true",
                    help="print the window's ack latency buckets")
    ap.add_argument("--shared-dir", default=os.path.join(HERE, "..", "..", "shared"))
    args = ap.parse_args()
    firehose = built_firehose(args.shared_dir, args.bin_dir)
    work = tempfile.mkdtemp(prefix="nats_publish.")
    nats = None
    try:
        nats_log = os.path.join(work, "nats.log")
        nats = subprocess.Popen([args.nats_server, "-js", "-a", "127.0.0.1", "-p", "-1",
                                 "-sd", os.path.join(work, "store")],
                                stdout=open(nats_log, "wb"), stderr=subprocess.STDOUT)
        args.nats_pid = nats.pid
        nats_port = int(wait_for("nats-server listening", lambda: re.search(
            r"client connections on 127\.0\.0\.1:(\d+)", open(nats_log).read()).group(1),
            30, errors=NOT_YET))
        with_nats = run(args, firehose, work, f"nats://127.0.0.1:{nats_port}")
        lat = with_nats["latency"]
        rate = "firehose" if args.rate == 0 else str(args.rate)
        print(f"nats  rate={rate} trades_per_s={with_nats['trades_per_s']:.0f} "
              f"acked_per_s={with_nats['acked_per_s']:.0f} queued_at_end={with_nats['queued']} "
              f"dropped={with_nats['dropped']} ack_errors={with_nats['ack_errors']}")
        print(f"nats  ack_latency_us p50={lat['p50']} p99={lat['p99']} max={lat['max']} "
              f"(since start; 10000 = at least 10 ms) window_bucket_le_us "
              f"p50={with_nats['p50_le'] * 1e6:.0f} p90={with_nats['p90_le'] * 1e6:.0f} "
              f"p99={with_nats['p99_le'] * 1e6:.0f}")
        if args.buckets:
            print("nats  window buckets (le_us: cumulative count):",
                  " ".join(f"{le * 1e6:.0f}:{n}" for le, n in with_nats["buckets"].items()))
        print(f"nats  streamvisor_cpu_pct={with_nats['cpu_pct']:.1f} "
              f"rss_mib={with_nats['rss_mib']:.1f} nats_server_cpu_pct="
              f"{with_nats['nats_cpu_pct']:.1f}")
        if args.baseline:
            base = run(args, firehose, work, None)
            print(f"base  rate={rate} trades_per_s={base['trades_per_s']:.0f} "
                  f"streamvisor_cpu_pct={base['cpu_pct']:.1f} rss_mib={base['rss_mib']:.1f}")
            # What the run with --nats spent beyond what the run without spends on
            # the same number of trades received, per message JetStream acked.
            base_per_trade = base["cpu_s"] / max(1, base["trades_per_s"] * base["wall"])
            ingest_share = base_per_trade * with_nats["trades_per_s"] * with_nats["wall"]
            acked = max(1, with_nats["acked_per_s"] * with_nats["wall"])
            print(f"cost  streamvisor_cpu_s_per_million_published="
                  f"{(with_nats['cpu_s'] - ingest_share) / acked * 1e6:.2f} (beyond the "
                  f"run without --nats for the same trades received)")
    finally:
        if nats is not None and nats.poll() is None:
            nats.terminate()
            nats.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
