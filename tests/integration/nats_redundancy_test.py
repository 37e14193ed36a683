#!/usr/bin/env python3
"""nats_redundancy_test: two streamvisors with the same symbols publish to one JetStream
stream; the stream holds each trade once, and stays complete when one of them is
killed with SIGKILL (issue 12).

A real nats-server (Debian's, JetStream on, scratch store, kernel-picked port of
127.0.0.1), the simulator producing COUNT trades of each of two symbols at RATE a
second, and streamvisors "a" and "b", both with --nats and nothing coordinating them:
  - both publish every trade: each has acks for at least MIN_ACKED of them before "b"
    is killed, and their duplicate acks (JetStream's de-duplication by Nats-Msg-Id)
    add up to at least the trades both published;
  - "b" gets SIGKILL halfway through; "a" goes on alone;
  - at the end the stream, read back by streamvisor-nats-tail (a durable libnats
    consumer), holds each symbol's trades from the first live one to the simulator's
    last: each id once, in id order, equal to the simulator's REST rows; and its
    1 s bars once each (both published them under one id), in time order, each equal
    to the bar computed from the stream's own trades.
Usage: nats_redundancy_test.py STREAMVISOR SIM NATS_TAIL NATS_SERVER. Exit 0 on
success, 1 on failure, 77 (CTest: skipped) without nats-server.
"""

import time

import nats_harness
import process_harness as harness
from process_harness import check, daemon_process, get, poll, sim_process

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
RATE = 500  # trades per second per symbol
COUNT = 10000  # per symbol: 20 s
FIRST_ID = 1000000
MIN_ACKED = 1000


def nats_status(sv):
    return get(sv.port, "/status")["nats"]


def run(streamvisor, sim_binary, tail, nats_server_binary, work):
    t0 = time.monotonic()
    nats = nats_harness.nats_server(nats_server_binary, work, "nats")
    source = sim_process(sim_binary, work, "sim", [
        "--rate", str(RATE), "--symbols", ",".join(SYMBOLS), "--count", str(COUNT),
        "--first-id", str(FIRST_ID)])
    args = ["--symbols", ",".join(SYMBOLS), "--streams", "aggTrade", "--nats", nats.url()]
    a = daemon_process(streamvisor, source.port, work, "streamvisor-a", args)
    b = daemon_process(streamvisor, source.port, work, "streamvisor-b", args)
    procs = {"streamvisor-a": a.proc, "streamvisor-b": b.proc}
    for sv in (a, b):
        poll("%s publishing" % sv.name, lambda sv=sv: nats_status(sv)["acked"] >= MIN_ACKED,
             procs=procs)
    last_id = FIRST_ID + COUNT - 1

    def produced():
        return min(source.symbols()[s]["last_id"] for s in SYMBOLS)
    poll("half of the trades", lambda: produced() >= FIRST_ID + COUNT // 2, procs=procs)
    before_kill = nats_status(b)
    b.proc.kill()
    b.proc.wait(timeout=10)
    killed_at = produced()
    poll("the simulator's last trades", lambda: produced() == last_id,
         deadline_s=harness.DEADLINE_S + COUNT // RATE, procs={"streamvisor-a": a.proc})

    def all_acked():
        n = nats_status(a)
        return n if n["queued"] == 0 and n["in_flight"] == 0 and n["acked"] > 0 else None
    poll("a's trades acked", lambda: all(
        get(a.port, "/symbols/%s/metrics" % s)["last_trade_id"] == last_id for s in SYMBOLS))
    final = poll("a's acks all in", all_acked)
    t1 = time.monotonic()

    stored = 0
    bars = 0
    for symbol in SYMBOLS:
        rows = nats_harness.read_stream(tail, nats.url(), "check_" + symbol,
                                        "md.binance.spot.%s.trade" % symbol)
        ids = nats_harness.check_trades(tail, nats.url(), None, source, symbol, last_id,
                                        rows=rows)
        stored += len(ids)
        # Both published each complete 1 s bar under one id: stored once, equal
        # to the bar of the stream's own trades.
        bars += nats_harness.check_bars(tail, nats.url(), "bars_" + symbol, symbol,
                                        nats_harness.trade_ids(rows, symbol))
    check(bars >= len(SYMBOLS) * (COUNT // RATE - 4),
          "%d 1 s bars for %d s of trades of %d symbols" % (bars, COUNT // RATE, len(SYMBOLS)))
    # Every trade b had acked before the kill was published by a too (a's stream
    # is gap-free), so one of the two acks of each was a duplicate.
    both = before_kill["acked"]
    check(final["duplicates"] + before_kill["duplicates"] >= both - 2 * RATE,
          "a's %d and b's %d duplicate acks do not cover the %d trades both published"
          % (final["duplicates"], before_kill["duplicates"], both))
    check(final["dropped"] == 0 and final["expired"] == 0 and final["ack_errors"] == 0,
          "a's /status nats: %r" % final)
    a.stop()
    source.stop()
    nats.stop()
    print("ok: two streamvisors published the same %d trades of %s; b (%d acked, %d of them "
          "duplicates) was killed with SIGKILL at id %d; a (%d acked, %d duplicates) went on; "
          "the stream holds each id once, in order, equal to REST, to the simulator's last, "
          "and %d 1 s bars once each, equal to the bars of its trades (%.1f s)"
          % (stored, ",".join(SYMBOLS), before_kill["acked"], before_kill["duplicates"],
             killed_at, final["acked"], final["duplicates"], bars, t1 - t0))


if __name__ == "__main__":
    nats_harness.main("nats_redundancy_test.py", "sv-nats-redundancy-", run)
