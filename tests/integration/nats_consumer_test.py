#!/usr/bin/env python3
"""nats_consumer_test: bots read streamvisor's trades from JetStream durably and resume
after their own restart where they stopped (issue 12, consumers), with two clients:
the npm `nats` package (nats.js, nobody here wrote it; pinned below, installed by npm
into the build tree) and streamvisor-nats-tail (libnats, docs/scale-out.md's C++
example).

A real nats-server (Debian's, JetStream on, scratch store, kernel-picked port of
127.0.0.1), the simulator producing COUNT trades of BTCUSDT, one streamvisor with
--nats. Once every trade is acked:
  - streamvisor-nats-tail reads the whole subject with a fresh durable consumer: the
    truth, each trade once in id order;
  - tests/integration/nats_npm_consumer.js, one durable name, run three times (each
    a new node process): the first reads RUN trades, the second RUN more, the third
    the rest. Together they read exactly the truth, each run starting right after
    the stream sequence the one before it ended on;
  - streamvisor-nats-tail run twice with one durable name and --count RUN does the same.
Usage: nats_consumer_test.py STREAMVISOR SIM NATS_TAIL NATS_SERVER CACHE_DIR. Exit 0 on
success, 1 on failure, 77 (CTest: skipped) without nats-server, node or npm, or when npm
cannot install the package (SV_NPM_REQUIRED=1 makes the last two failures, for CI).
"""

import json
import os
import subprocess
import sys
import time

import nats_harness
import npm_install
import process_harness as harness
from process_harness import check, daemon_process, get, poll, sim_process

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_JS = os.path.join(HERE, "nats_npm_consumer.js")
# nats.js and its dependencies as they resolved when this test was written.
NATS_JS_VERSION = "2.29.3"
PINNED = {"nats": NATS_JS_VERSION, "nkeys.js": "1.1.0", "tweetnacl": "1.0.3"}
NODE_MAJOR_MIN = 14  # nats.js 2.x: node >= 14

SYMBOL = "BTCUSDT"
SUBJECT = "md.binance.spot.%s.trade" % SYMBOL
RATE = 1000
COUNT = 3000
FIRST_ID = 1000000
RUN = 1000  # trades per run of a resuming consumer


def npm_runs(node, modules, url):
    """The npm consumer, one durable name, three processes; their lines in order."""
    lines = []
    for n, count in enumerate([RUN, RUN, COUNT]):
        out = subprocess.run([node, CLIENT_JS, modules, url, "MARKETDATA", SUBJECT,
                              "npm-bot", str(count)],
                             capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, "nats_npm_consumer.js run %d exited %d: %s"
              % (n + 1, out.returncode, out.stderr.strip()[-2000:]))
        got = [json.loads(line) for line in out.stdout.splitlines()]
        check(got, "nats_npm_consumer.js run %d read nothing" % (n + 1))
        lines.append(got)
    return lines


def tail_runs(tail, url):
    """streamvisor-nats-tail with one durable name, two processes of RUN trades."""
    runs = []
    for _ in range(2):
        out = subprocess.run([tail, "--url", url, "--durable", "cpp-bot", "--subject",
                              SUBJECT, "--count", str(RUN)],
                             capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, "streamvisor-nats-tail exited %d: %s"
              % (out.returncode, out.stderr.strip()))
        runs.append([(int(seq), msg_id) for seq, msg_id, _ in
                     (line.split(" ", 2) for line in out.stdout.splitlines())])
    return runs


def run(streamvisor, sim_binary, tail, nats_server_binary, node, modules, work):
    t0 = time.monotonic()
    nats = nats_harness.nats_server(nats_server_binary, work, "nats")
    source = sim_process(sim_binary, work, "sim", [
        "--rate", str(RATE), "--symbols", SYMBOL, "--count", str(COUNT),
        "--first-id", str(FIRST_ID)])
    sv = daemon_process(streamvisor, source.port, work, "streamvisor", [
        "--symbols", SYMBOL, "--streams", "aggTrade", "--nats", nats.url()])
    last_id = FIRST_ID + COUNT - 1
    poll("the simulator's last trade", lambda: source.symbols()[SYMBOL]["last_id"] == last_id,
         deadline_s=harness.DEADLINE_S + COUNT // RATE, procs={"streamvisor": sv.proc})
    poll("streamvisor's last trade", lambda: sv.metrics(SYMBOL)["last_trade_id"] == last_id)

    def all_acked():
        n = get(sv.port, "/status")["nats"]
        return n["queued"] == 0 and n["in_flight"] == 0
    poll("every trade acked", all_acked)

    truth = [(seq, msg_id) for seq, msg_id, _ in
             nats_harness.read_stream(tail, nats.url(), "truth", SUBJECT)]
    ids = [int(msg_id.rsplit(".", 1)[1]) for _, msg_id in truth]
    check(ids == list(range(ids[0], last_id + 1)),
          "the stream's ids are not %d..%d once each in order" % (ids[0], last_id))
    check(len(truth) > 2 * RUN, "only %d trades in the stream" % len(truth))
    t1 = time.monotonic()

    runs = npm_runs(node, modules, nats.url())
    for n in range(1, len(runs)):
        check(runs[n][0]["seq"] > runs[n - 1][-1]["seq"],
              "npm run %d started at sequence %d, run %d had ended at %d"
              % (n + 1, runs[n][0]["seq"], n, runs[n - 1][-1]["seq"]))
    read = [(x["seq"], x["id"]) for r in runs for x in r]
    check([len(r) for r in runs[:2]] == [RUN, RUN], "the npm runs read %s trades"
          % [len(r) for r in runs])
    check(read == truth, "the npm consumer's three runs read %d trades, not the stream's "
          "%d in order (first difference at %s)"
          % (len(read), len(truth), next((i for i, (a, b) in enumerate(zip(read, truth))
                                          if a != b), min(len(read), len(truth)))))
    for x in (x for r in runs for x in r):
        check(x["id"] == "binance.spot.%s.trade.%d" % (SYMBOL, x["a"]),
              "npm: message id %s for trade %d" % (x["id"], x["a"]))

    cpp = tail_runs(tail, nats.url())
    check(cpp[0] + cpp[1] == truth[:2 * RUN],
          "streamvisor-nats-tail's two runs of %d did not read the stream's first %d "
          "trades in order (runs ended at %s)" % (RUN, 2 * RUN, [r[-1][0] for r in cpp if r]))
    t2 = time.monotonic()
    sv.stop()
    source.stop()
    nats.stop()
    print("ok: the stream holds %d..%d once each in order (%.1f s)" % (ids[0], last_id, t1 - t0))
    print("ok: npm nats %s, durable consumer, 3 processes: %s trades, each run starting after "
          "the last one's sequence (%d, %d), together the whole stream in order"
          % (NATS_JS_VERSION, [len(r) for r in runs], runs[0][-1]["seq"], runs[1][-1]["seq"]))
    print("ok: streamvisor-nats-tail, durable, 2 processes of %d: the stream's first %d in "
          "order (%.1f s)" % (RUN, 2 * RUN, t2 - t1))


def main(streamvisor, sim_binary, tail, nats_server_binary, cache_dir):
    nats_harness.require(nats_server_binary)
    node = npm_install.node_binary(NODE_MAJOR_MIN)
    modules = npm_install.install(cache_dir, "nats-js-" + NATS_JS_VERSION, PINNED)
    harness.run_main("sv-nats-consumer-",
                     lambda work: run(streamvisor, sim_binary, tail, nats_server_binary,
                                      node, modules, work),
                     (subprocess.SubprocessError, ValueError))


if __name__ == "__main__":
    if len(sys.argv) != 6:
        print("usage: nats_consumer_test.py STREAMVISOR SIM NATS_TAIL NATS_SERVER CACHE_DIR")
        sys.exit(2)
    main(*sys.argv[1:])
