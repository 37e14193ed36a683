#!/usr/bin/env python3
"""nats_publish_test: streamvisor publishes every trade to a real JetStream exactly once,
in id order, through upstream faults and a crash of NATS itself (issue 12).

A real nats-server (Debian's, JetStream on, scratch store, kernel-picked port of
127.0.0.1), the simulator and one streamvisor with --nats:
  1. JetStream's own de-duplication, without streamvisor in between: a message
     published here twice with one Nats-Msg-Id is acked twice with the same stream
     sequence, the second ack says "duplicate", and the stream holds it once.
  2. Exactly once through upstream faults: the simulator produces COUNT trades of
     BTCUSDT and closes streamvisor's connection DISCONNECTS times, each reconnect
     skipping SKIPPED_PER_RECONNECT trades that only its REST has.
  3. NATS stopped (SIGSTOP) halfway through the faults, killed (SIGKILL) 2 s later
     and started again a moment after on the same port and store: what streamvisor
     sent in those 2 s never left the dead server's socket, so only streamvisor's
     replay can bring it into the stream.
  4. NATS stopped (SIGSTOP) at three quarters of the faults for longer than the ack
     wait (5 s), then continued: every ack in flight times out and streamvisor replays
     those messages, which the server, reading its socket again, already stores, so
     the replays are acked as duplicates.
  At the end the stream, read back by streamvisor-nats-tail (a durable libnats
  consumer), holds BTCUSDT's trades from the first live one to the simulator's last
  (first id + COUNT - 1): each id once, in id order, every message's payload equal to
  the simulator's REST row, spanning at least DISCONNECTS gaps streamvisor filled
  from REST; /status "nats" shows the disconnect, the replay, and nothing lost.
Usage: nats_publish_test.py STREAMVISOR SIM NATS_TAIL NATS_SERVER. Exit 0 on success,
1 on failure, 77 (CTest: skipped) without nats-server.
"""

import re
import sys
import time

import nats_harness
import process_harness as harness
from process_harness import check, daemon_process, get, poll, sim_process

DISCONNECTS = 100
SKIPPED_PER_RECONNECT = 10
FAULT_RATE = 200  # trades per second
FRAMES_PER_CONNECTION = 50
FIRST_CONNECTION_FRAMES = 400
# Enough for every fault (400 + 99 x 50 frames, plus the skips) and a few seconds
# after them: the simulator then stops, and the stream's last id is known.
COUNT = 8000
FIRST_ID = 1000000
SYMBOL = "BTCUSDT"
RECONNECT_AT_ONCE = ["--backoff-initial-ms", "10", "--backoff-max-ms", "20",
                     "--max-restarts", "100000", "--connect-burst", "50"]
NATS_STOPPED_BEFORE_KILL_S = 2.0  # under the ack wait: those acks are still due
NATS_DOWN_S = 1.0
NATS_STOPPED_S = 7.0  # longer than the publisher's ack wait of 5 s
GAP_FILLED = re.compile(r"backfill (\S+) gap_filled from=(\d+) to=(\d+)")


def dedupe_on_purpose(nats):
    """Part 1: the same id twice from a client written here; returns the sequence."""
    client = nats_harness.raw_client(nats.port)
    subject = "md.test.dedupe"
    first = client.request_with_id(subject, "dedupe-on-purpose", '{"n":1}')
    second = client.request_with_id(subject, "dedupe-on-purpose", '{"n":2}')
    client.close()
    check(first.get("stream") == "MARKETDATA" and not first.get("duplicate"),
          "the first publish was answered %r" % first)
    check(second.get("duplicate") is True and second.get("seq") == first.get("seq"),
          "the second publish of the id was answered %r (first: %r)" % (second, first))
    rows = nats_harness.read_stream(TAIL, nats.url(), "dedupe", subject)
    check(len(rows) == 1 and rows[0][2] == '{"n":1}',
          "the stream holds %r for the id published twice" % rows)
    return first["seq"]


def nats_status(sv):
    return get(sv.port, "/status")["nats"]


def run(streamvisor, sim_binary, nats_server_binary, work):
    t0 = time.monotonic()
    nats = nats_harness.nats_server(nats_server_binary, work, "nats")
    source = sim_process(sim_binary, work, "sim", [
        "--rate", str(FAULT_RATE), "--symbols", SYMBOL, "--count", str(COUNT),
        "--first-id", str(FIRST_ID),
        "--fault", "close-after:frames=%d,code=1001,connections=1" % FIRST_CONNECTION_FRAMES,
        "--fault", "close-after:frames=%d,code=1001,connections=%d"
        % (FRAMES_PER_CONNECTION, DISCONNECTS - 1),
        "--fault", "skip-on-reconnect:trades=%d,connections=%d"
        % (SKIPPED_PER_RECONNECT, DISCONNECTS)])
    sv = daemon_process(streamvisor, source.port, work, "streamvisor", [
        "--symbols", SYMBOL, "--streams", "aggTrade", "--nats", nats.url()]
        + RECONNECT_AT_ONCE)
    poll("the stream created", lambda: nats_status(sv)["stream_ready"],
         procs={"streamvisor": sv.proc})
    dedupe_seq = dedupe_on_purpose(nats)
    t1 = time.monotonic()

    def connections():
        return source.symbols()[SYMBOL]["connections_total"]
    poll("half of the faults", lambda: connections() >= DISCONNECTS // 2,
         deadline_s=harness.DEADLINE_S + DISCONNECTS, procs={"streamvisor": sv.proc})
    nats.pause()
    time.sleep(NATS_STOPPED_BEFORE_KILL_S)
    nats.kill()
    killed_at = connections()
    time.sleep(NATS_DOWN_S)
    held = nats_status(sv)
    check(not held["connected"] and held["disconnects"] == 1,
          "with NATS killed /status nats says %r" % held)
    nats.start()
    poll("streamvisor back on NATS", lambda: nats_status(sv)["reconnects"] == 1,
         procs={"streamvisor": sv.proc})
    poll("three quarters of the faults", lambda: connections() >= DISCONNECTS * 3 // 4,
         deadline_s=harness.DEADLINE_S + DISCONNECTS, procs={"streamvisor": sv.proc})
    nats.pause()
    time.sleep(NATS_STOPPED_S)
    nats.resume()
    poll("every fault", lambda: connections() >= DISCONNECTS + 1,
         deadline_s=harness.DEADLINE_S + DISCONNECTS, procs={"streamvisor": sv.proc})
    last_id = FIRST_ID + COUNT - 1
    poll("the simulator's last trade", lambda: source.symbols()[SYMBOL]["last_id"] == last_id,
         deadline_s=harness.DEADLINE_S + COUNT // FAULT_RATE)
    poll("streamvisor's gaps filled", lambda: sv.metrics(SYMBOL)["gaps_open"] == 0)

    def all_acked():
        n = nats_status(sv)
        return n if n["queued"] == 0 and n["in_flight"] == 0 else None
    final = poll("every trade acked", all_acked)
    t2 = time.monotonic()

    ids = nats_harness.check_trades(TAIL, nats.url(), "check", source, SYMBOL, last_id)
    gaps = [(int(lo), int(hi)) for s, lo, hi in GAP_FILLED.findall(sv.text()) if s == SYMBOL]
    spanned = sum(1 for lo, hi in gaps if ids[0] <= lo and hi <= ids[-1])
    check(spanned >= DISCONNECTS, "the stream's ids %d..%d span %d filled gaps, not %d"
          % (ids[0], ids[-1], spanned, DISCONNECTS))
    check(final["dropped"] == 0 and final["expired"] == 0,
          "/status nats lost messages: %r" % final)
    check(final["disconnects"] == 1 and final["reconnects"] == 1,
          "/status nats: %r" % final)
    check(final["ack_errors"] > 0 and final["republished"] > 0 and final["duplicates"] > 0,
          "NATS stopped %.0f s, yet /status nats shows no ack timeout, replay and "
          "duplicate: %r" % (NATS_STOPPED_S, final))
    # Each id stored is acked at least once: the first time, or (that ack lost with
    # the connection or timed out) by a replay, which says duplicate if the server
    # had stored it. A non-duplicate ack is one message stored, so there are at most
    # as many as ids. (One CI run acked 35 ids twice, a plain and a duplicate ack,
    # with the stream right: an id re-sent after its first ack had come; the cause
    # is not found yet, and the stream's content is what is promised.)
    # The publisher's counts include the symbol's bars (those complete despite
    # the faults), stored once each as well.
    bars = len(nats_harness.read_stream(TAIL, nats.url(), "bars",
                                        "md.binance.spot.%s.bar.>" % SYMBOL))
    stored = len(ids) + bars
    check(final["acked"] >= stored and final["acked"] - final["duplicates"] <= stored,
          "/status nats acked %d (%d duplicates), the stream holds %d trades and %d bars"
          % (final["acked"], final["duplicates"], len(ids), bars))
    sv.stop()
    source.stop()
    nats.stop()
    print("ok: JetStream stored an id published twice once (sequence %d; the second ack "
          "said duplicate) (%.1f s)" % (dedupe_seq, t1 - t0))
    print("ok: %d upstream disconnects (%d skipped trades each, %d filled gaps in the "
          "stream), NATS stopped and killed at the simulator's connection %d and down "
          "%.1f s, then stopped %.0f s: the stream holds %d..%d, each id once in order, equal to "
          "REST; %d ack errors, %d replayed, %d acks were duplicates (%.1f s)"
          % (DISCONNECTS, SKIPPED_PER_RECONNECT, spanned, killed_at, NATS_DOWN_S,
             NATS_STOPPED_S, ids[0], ids[-1], final["ack_errors"], final["republished"],
             final["duplicates"], t2 - t1))


def main(streamvisor, sim_binary, tail, nats_server_binary):
    global TAIL
    TAIL = tail
    nats_harness.require(nats_server_binary)
    harness.run_main("sv-nats-publish-",
                     lambda work: run(streamvisor, sim_binary, nats_server_binary, work))


TAIL = None

if __name__ == "__main__":
    if len(sys.argv) != 5:
        print("usage: nats_publish_test.py STREAMVISOR SIM NATS_TAIL NATS_SERVER")
        sys.exit(2)
    main(*sys.argv[1:])
