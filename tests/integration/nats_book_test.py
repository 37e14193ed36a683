#!/usr/bin/env python3
"""nats_book_test: streamvisor publishes its local order book to JetStream as a snapshot
after every sync and resync, then every delta it applies, and a consumer that knows
nothing but the stream keeps a book equal to the exchange's (issue 12, book subject).

A real nats-server (Debian's, JetStream on, scratch store, kernel-picked port of
127.0.0.1), the simulator sending a BTCUSDT depth event every DEPTH_INTERVAL_MS and
dropping one every DROP_EVERY (so streamvisor's book resyncs about every 2 s), and one
streamvisor with --streams aggTrade,depth --nats. Once it has resynced RESYNCS_MIN
times it is stopped, and md.binance.spot.BTCUSDT.book is read back with
streamvisor-nats-tail (a durable libnats consumer). In stream order:
  - the first message is a snapshot (id binance.spot.BTCUSDT.book.snap.<lastUpdateId>,
    Binance's REST depth body); each snapshot equals the simulator's whole book right
    after its lastUpdateId (/sim/book);
  - every delta (id binance.spot.BTCUSDT.book.<u>, Binance's depthUpdate) continues
    the book: U == the previous u + 1, except that a snapshot comes between; every
    CHECK_EVERY applied deltas, and after the last, the book equals the simulator's
    after that u;
  - the ids' update ids ascend, and there are at least RESYNCS_MIN + 1 snapshots.
Also md.binance.spot.BTCUSDT.metrics: the body of GET /symbols/BTCUSDT/metrics, without
a message id, once per feed_metrics_interval_ms (METRICS_MS here): at least one for
every two intervals of the run and at most one per interval, its trade count never
falling, its last one no later than the trades streamvisor had at its stop.
Usage: nats_book_test.py STREAMVISOR SIM NATS_TAIL NATS_SERVER. Exit 0 on success, 1
on failure, 77 (CTest: skipped) without nats-server.
"""

import json
import time
from decimal import Decimal

import nats_harness
import process_harness as harness
from process_harness import check, daemon_process, get, poll, sim_process

SYMBOL = "BTCUSDT"
SUBJECT = "md.binance.spot.%s.book" % SYMBOL
TRADE_RATE = 20
DEPTH_INTERVAL_MS = 50
DROP_AFTER = 40
DROP_EVERY = 40
RESYNCS_MIN = 4
CHECK_EVERY = 20
SNAPSHOT_LIMIT = 5000  # the simulator's book is shallower: compared whole
METRICS_MS = 500


class sim(sim_process):
    def book(self, update_id):
        """The simulator's book right after `update_id`."""
        return get(self.port, "/sim/book?symbol=%s&limit=%d&update_id=%d"
                   % (SYMBOL, SNAPSHOT_LIMIT, update_id))


def sorted_side(levels, descending):
    return [[p, q] for p, q in sorted(levels.items(), key=lambda kv: Decimal(kv[0]),
                                      reverse=descending)]


class follower:
    """A book kept from the stream alone."""

    def __init__(self, source):
        self.source = source
        self.bids = self.asks = None
        self.last = None
        self.snapshots = self.applied = self.compared = 0

    def compare(self):
        ref = self.source.book(self.last)
        check(ref["lastUpdateId"] == self.last, "/sim/book answered lastUpdateId %s for %d"
              % (ref["lastUpdateId"], self.last))
        for side, mine, descending in (("bids", self.bids, True), ("asks", self.asks, False)):
            check(sorted_side(mine, descending) == ref[side],
                  "after update %d (%d deltas applied, %d snapshots) the book's %s differ "
                  "from the simulator's" % (self.last, self.applied, self.snapshots, side))
        self.compared += 1

    def snapshot(self, msg_id, body):
        check(msg_id == "binance.spot.%s.book.snap.%d" % (SYMBOL, body["lastUpdateId"]),
              "snapshot id %s for lastUpdateId %d" % (msg_id, body["lastUpdateId"]))
        check(list(body) == ["lastUpdateId", "bids", "asks"], "snapshot keys %s" % list(body))
        check(self.last is None or body["lastUpdateId"] > self.last,
              "snapshot at %d after update %s" % (body["lastUpdateId"], self.last))
        self.bids = {p: q for p, q in body["bids"]}
        self.asks = {p: q for p, q in body["asks"]}
        self.last = body["lastUpdateId"]
        self.snapshots += 1
        self.compare()

    def delta(self, msg_id, e):
        check(self.bids is not None, "a delta (%s) before any snapshot" % msg_id)
        check(e["e"] == "depthUpdate" and e["s"] == SYMBOL, "not a depthUpdate: %s" % e)
        check(msg_id == "binance.spot.%s.book.%d" % (SYMBOL, e["u"]),
              "delta id %s for u %d" % (msg_id, e["u"]))
        check(e["U"] == self.last + 1, "delta U=%d u=%d after update %d without a snapshot "
              "between" % (e["U"], e["u"], self.last))
        for side, levels in ((self.bids, e["b"]), (self.asks, e["a"])):
            for p, q in levels:
                if Decimal(q) == 0:
                    side.pop(p, None)
                else:
                    side[p] = q
        self.last = e["u"]
        self.applied += 1
        if self.applied % CHECK_EVERY == 0:
            self.compare()


def run(streamvisor, sim_binary, tail, nats_server_binary, work):
    t0 = time.monotonic()
    nats = nats_harness.nats_server(nats_server_binary, work, "nats")
    source = sim(sim_binary, work, "sim", [
        "--rate", str(TRADE_RATE), "--symbols", SYMBOL,
        "--depth-interval-ms", str(DEPTH_INTERVAL_MS),
        "--fault", "drop-depth:after=%d,every=%d,symbol=%s" % (DROP_AFTER, DROP_EVERY, SYMBOL)])
    sv = daemon_process(streamvisor, source.port, work, "streamvisor", [
        "--symbols", SYMBOL, "--streams", "aggTrade,depth", "--warmup-s", "0",
        "--book-snapshot-limit", str(SNAPSHOT_LIMIT), "--nats", nats.url(),
        "--feed-metrics-interval-ms", str(METRICS_MS)])
    started = time.monotonic()

    def resynced():
        # Synced again after the last resync, so its snapshot is on its way.
        c = next(c for c in get(sv.port, "/status")["children"] if c["stream"] == "depth")
        return c["resyncs"] if c["resyncs"] >= RESYNCS_MIN and c["book"] == "synced" else None
    seen = poll("%d resyncs, and the book synced" % RESYNCS_MIN, resynced,
                deadline_s=harness.DEADLINE_S + 2 * RESYNCS_MIN, procs={"streamvisor": sv.proc})
    time.sleep(0.3)  # the snapshot's request and answer, and a few deltas after it
    final = get(sv.port, "/status")["nats"]
    trades_at_stop = sv.metrics(SYMBOL)["trades"]
    sv.stop()  # SIGTERM: the publisher gets the shutdown grace to have its queue acked
    t1 = time.monotonic()
    ran_ms = (t1 - started) * 1000

    rows = nats_harness.read_stream(tail, nats.url(), "book", SUBJECT)
    check(rows, "nothing on %s" % SUBJECT)
    book = follower(source)
    ordinals = []
    for seq, msg_id, payload in rows:
        body = json.loads(payload)
        if ".book.snap." in msg_id:
            book.snapshot(msg_id, body)
            ordinals.append(body["lastUpdateId"])
        else:
            book.delta(msg_id, body)
            ordinals.append(body["u"])
    if book.applied % CHECK_EVERY != 0:
        book.compare()
    check(ordinals == sorted(ordinals) and len(set(ordinals)) == len(ordinals),
          "the book subject's update ids do not ascend")
    check(book.snapshots >= RESYNCS_MIN + 1, "%d snapshots for a book that synced %d times"
          % (book.snapshots, seen + 1))
    check(final["dropped"] == 0 and final["ack_errors"] == 0, "/status nats: %r" % final)

    metrics = nats_harness.read_stream(tail, nats.url(), "metrics",
                                       "md.binance.spot.%s.metrics" % SYMBOL)
    counts = []
    for seq, msg_id, payload in metrics:
        body = json.loads(payload)
        check(msg_id == "-" and body["symbol"] == SYMBOL,
              "metrics message %d: id %s, %s" % (seq, msg_id, payload[:200]))
        counts.append(body["trades"])
    check(ran_ms / METRICS_MS / 2 <= len(metrics) <= ran_ms / METRICS_MS + 2,
          "%d metrics messages in %.0f ms at one per %d ms" % (len(metrics), ran_ms, METRICS_MS))
    check(counts == sorted(counts) and counts[-1] <= trades_at_stop,
          "the metrics' trade counts %s..%s (streamvisor had %d)"
          % (counts[:3], counts[-3:], trades_at_stop))
    source.stop()
    nats.stop()
    print("ok: %d book messages (%d snapshots, one per sync and resync; %d deltas) rebuild "
          "the simulator's book: equal at all %d comparisons, U continuous between "
          "snapshots, update ids ascending (%.1f s)"
          % (len(rows), book.snapshots, book.applied, book.compared, t1 - t0))
    print("ok: %d metrics messages in %.1f s at one per %d ms, trades %d..%d"
          % (len(metrics), ran_ms / 1000, METRICS_MS, counts[0], counts[-1]))


if __name__ == "__main__":
    nats_harness.main("nats_book_test.py", "sv-nats-book-", run)
