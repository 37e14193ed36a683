#!/usr/bin/env python3
"""feed_fanout.py: many consumers of streamvisor's WebSocket feed, on loopback.

A benchmark program (issue 10, item 7), not a test. Starts the firehose
(../shared/bench/firehose.c, built into BIN/firehose) in latency mode, streamvisor
with --symbols symbols (one upstream connection each, --streams-per-connection 1, at
--rate messages per second each: the ingestion rate is symbols x rate), then
feed_fanout_bench with --consumers connections to streamvisor's feed: with --mode one,
consumer i reads symbol i mod symbols on /ws/<sym>@aggTrade; with --mode all, every
consumer reads every symbol on one /stream?streams=... connection. Prints the bench's
line (frames per second out, ids out of order, latency from the exchange's send time)
and streamvisor's CPU (one core = 100), RSS, trades ingested per second and the feed's
counters over the window.

Usage (from the repository root, after building the dev or ci preset):
  bench/feed_fanout.py --bin-dir build/dev --symbols 100 --rate 200 --consumers 100 --mode one
Options: --bin-dir [build/ci] --symbols [100] --rate [200] --consumers [100]
--mode [one|all] --seconds [20] --shared-dir [../shared].
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench_procs import built_firehose, proc_sample, stop_all, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))


def status(port):
    return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/status").read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default="build/ci")
    ap.add_argument("--symbols", type=int, default=100)
    ap.add_argument("--rate", type=int, default=200)
    ap.add_argument("--consumers", type=int, default=100)
    ap.add_argument("--mode", choices=["one", "all"], default="one")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--shared-dir", default=os.path.join(HERE, "..", "..", "shared"))
    args = ap.parse_args()
    firehose = built_firehose(args.shared_dir, args.bin_dir)
    symbols = [f"T{i:03d}USDT" for i in range(args.symbols)]
    work = tempfile.mkdtemp(prefix="feed_fanout.")
    procs = []
    try:
        run_s = args.seconds + 60
        procs.append(subprocess.Popen(
            [firehose, "-r", str(args.rate), "-L", "-k", "0", "-q",
             "-n", str(int(args.rate * run_s)), "-T", str(int(run_s + 30)),
             "-f", os.path.join(work, "port")]))
        fh_port = int(wait_for("the firehose's port", lambda: os.path.exists(
            os.path.join(work, "port")) and open(os.path.join(work, "port")).read().strip(), 60, 0.1))
        log = os.path.join(work, "streamvisor.log")
        sv = subprocess.Popen(
            [os.path.join(args.bin_dir, "app", "streamvisor"), "--symbols", ",".join(symbols),
             "--streams", "aggTrade", "--endpoint", f"ws://127.0.0.1:{fh_port}",
             "--rest-endpoint", f"http://127.0.0.1:{fh_port}", "--warmup-s", "0",
             "--streams-per-connection", "1", "--connect-burst", "1000",
             "--connect-budget", "100000", "--feed-clients-max", str(args.consumers + 8),
             "--http", "127.0.0.1:0", "--lock-file", os.path.join(work, "lock")],
            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        procs.append(sv)

        def port():
            m = re.search(r"api_listening listen=127\.0\.0\.1:(\d+)", open(log).read())
            return int(m.group(1)) if m else None
        sv_port = wait_for("streamvisor's API port", port, 60, 0.1)
        wait_for("every stream streaming", lambda: all(
            c["state"] == "streaming" for c in status(sv_port)["children"]), 60, 0.1)
        if args.mode == "one":
            paths = [f"/ws/{symbols[i % len(symbols)].lower()}@aggTrade"
                     for i in range(args.consumers)]
        else:
            streams = "/".join(f"{s.lower()}@aggTrade" for s in symbols)
            paths = [f"/stream?streams={streams}"] * args.consumers
        trades0 = sum(c["trades"] for c in status(sv_port)["children"])
        cpu0, _ = proc_sample(sv.pid)
        t0 = time.time()
        out = subprocess.run([os.path.join(args.bin_dir, "bench", "feed_fanout_bench"),
                              str(sv_port), str(args.seconds)] + paths,
                             capture_output=True, text=True, timeout=args.seconds + 90)
        cpu1, rss = proc_sample(sv.pid)
        wall = time.time() - t0
        after = status(sv_port)
        trades1 = sum(c["trades"] for c in after["children"])
        sys.stdout.write(out.stdout)
        sys.stderr.write(out.stderr)
        consumers = after.get("consumers", {})
        print(f"streamvisor  symbols={args.symbols} rate_per_symbol={args.rate} "
              f"mode={args.mode} ingest_per_s={(trades1 - trades0) / wall:.0f} "
              f"cpu_pct={100 * (cpu1 - cpu0) / wall:.1f} rss_mib={rss / 1024:.1f} "
              f"closed_slow={consumers.get('closed_slow')} "
              f"skipped_trades={consumers.get('skipped_trades')}")
    finally:
        stop_all(procs)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
