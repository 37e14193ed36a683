#!/usr/bin/env python3
"""feed_hop.py: the latency streamvisor's WebSocket feed adds, and its cost, on loopback.

A benchmark program (issue 10, item 7), not a test. Starts the firehose
(../shared/bench/firehose.c, built into BUILD/firehose) in latency mode at --rate
messages per second per connection (each frame's "E" is its send time in µs), then
streamvisor for one symbol against it, then feed_hop_bench, which reads the same
exchange twice in one lws thread: directly, and through streamvisor's
/ws/<symbol>@aggTrade. With --consumers N, N-1 more plain clients (python3-websockets,
in one process) read streamvisor's feed meanwhile (fan-out). Prints one line per path
with p50/p90/p99/p99.9/max in µs, the added p50 and p99, then streamvisor's CPU (one
core = 100) and RSS over the measured window.

Usage (from the repository root, after building the dev or ci preset):
  bench/feed_hop.py --bin-dir build/dev --rate 20000 --seconds 20
Options: --bin-dir [build/ci] --rate [20000] --seconds [20] --consumers [1]
--shared-dir [../shared] --native (read /v1/feed instead).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench_procs import built_firehose, bucket_quantile, histogram_buckets, proc_sample, stop_all, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))


CONSUMERS = r'''
import asyncio, sys, websockets
async def one(port):
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/btcusdt@aggTrade",
                                  max_queue=None) as ws:
        async for _ in ws:
            pass
async def main(port, n):
    await asyncio.gather(*(one(port) for _ in range(n)))
asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
'''


def latency_buckets(port):
    """The frame-to-aggregator histogram's cumulative buckets {le: count}."""
    return histogram_buckets(port, "streamvisor_frame_to_aggregator_latency_seconds")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default="build/ci")
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--consumers", type=int, default=1)
    ap.add_argument("--sv-arg", action="append", default=[])
    ap.add_argument("--native", action="store_true",
                    help="read streamvisor's native feed /v1/feed instead of /ws/...")
    ap.add_argument("--shared-dir", default=os.path.join(HERE, "..", "..", "shared"))
    args = ap.parse_args()
    firehose = built_firehose(args.shared_dir, args.bin_dir)
    work = tempfile.mkdtemp(prefix="feed_hop.")
    procs = []
    try:
        run_s = args.seconds + 30
        fh = subprocess.Popen(
            [firehose, "-r", str(args.rate), "-L", "-k", "0", "-q",
             "-n", str(int(args.rate * run_s)), "-T", str(int(run_s + 30)),
             "-f", os.path.join(work, "port")])
        procs.append(fh)
        fh_port = int(wait_for("the firehose's port", lambda: os.path.exists(
            os.path.join(work, "port")) and open(os.path.join(work, "port")).read().strip()))
        log = os.path.join(work, "streamvisor.log")
        sv = subprocess.Popen(
            [os.path.join(args.bin_dir, "app", "streamvisor"), "--symbols", "BTCUSDT",
             "--streams", "aggTrade", "--endpoint", f"ws://127.0.0.1:{fh_port}",
             "--rest-endpoint", f"http://127.0.0.1:{fh_port}", "--warmup-s", "0",
             "--http", "127.0.0.1:0", "--lock-file", os.path.join(work, "lock"),
             "--log-level", "warn"] + args.sv_arg,
            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        procs.append(sv)

        def port():
            m = re.search(r"api_listening listen=127\.0\.0\.1:(\d+)", open(log).read())
            return int(m.group(1)) if m else None
        # api_listening is an INFO line: read the port from /proc instead at warn.
        sv_port = None
        def listening():
            out = subprocess.run(["ss", "-Htlnp"], capture_output=True, text=True).stdout
            for line in out.splitlines():
                if f"pid={sv.pid}," in line:
                    return int(line.split()[3].rsplit(":", 1)[1])
            return None
        sv_port = wait_for("streamvisor's API port", lambda: port() or listening())
        wait_for("streamvisor streaming", lambda: b'"state":"streaming"' in urllib.request.urlopen(
            f"http://127.0.0.1:{sv_port}/status").read())
        if args.consumers > 1:
            procs.append(subprocess.Popen(["/usr/bin/python3", "-c", CONSUMERS,
                                           str(sv_port), str(args.consumers - 1)]))
            time.sleep(1)
        hist0 = latency_buckets(sv_port)
        cpu0, _ = proc_sample(sv.pid)
        t0 = time.time()
        out = subprocess.run([os.path.join(args.bin_dir, "bench", "feed_hop_bench"),
                              str(fh_port), str(sv_port), str(args.seconds)]
                             + (["btcusdt", "native"] if args.native else []),
                             capture_output=True, text=True, timeout=args.seconds + 30)
        cpu1, rss = proc_sample(sv.pid)
        wall = time.time() - t0
        sys.stdout.write(out.stdout)
        sys.stderr.write(out.stderr)
        if out.returncode != 0:
            # What streamvisor logged about it (at --log-level warn unless --sv-arg).
            sys.stderr.write("".join(open(log, errors="replace").readlines()[-30:]))
        hist1 = latency_buckets(sv_port)
        p50, p99 = (bucket_quantile(hist0, hist1, q) for q in (0.5, 0.99))
        print(f"ingest       frame_to_aggregator p50_le_us={p50 * 1e6:.0f} "
              f"p99_le_us={p99 * 1e6:.0f} (bucket upper bounds, from /metrics)")
        status = urllib.request.urlopen(f"http://127.0.0.1:{sv_port}/status").read().decode()
        m = re.search(r'"trades_sent":(\d+)', status)
        print(f"streamvisor  rate={args.rate} consumers={args.consumers} "
              f"cpu_pct={100 * (cpu1 - cpu0) / wall:.1f} rss_mib={rss / 1024:.1f} "
              f"feed_trades_sent={m.group(1) if m else '?'}")
    finally:
        stop_all(procs)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
