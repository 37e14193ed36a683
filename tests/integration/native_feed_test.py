#!/usr/bin/env python3
"""native_feed_test: the native feed /v1/feed (issue 10, items 3, 4 and 8), read by
Debian's python3-websockets, a client nobody here wrote.

Two simulators and two streamvisors on 127.0.0.1, all ports picked by the kernel.
  1. Trades through upstream faults, and resume. The simulator closes streamvisor's
     upstream connection DISCONNECTS times; each reconnect first skips
     SKIPPED_PER_RECONNECT trades that only its REST has. Two consumers:
       - "steady" subscribes to trades, 1s bars and metrics before the first fault
         and reads to the end;
       - "resumer" subscribes to trades, and RESUMES times closes its connection after
         RESUME_EVERY trades, stays away PAUSE_S (trades and faults go on), and comes
         back with {"from_id": last + 1}.
     For both: every subscription's seq is 1, 2, 3, ... on each connection; the trade
     ids are consecutive from the first to the simulator's last id, across at least
     DISCONNECTS filled gaps, with no gap message (every gap is filled); every trade's
     p,q,f,l,T,m equal the simulator's REST row. Every complete 1s bar equals the bar
     computed here, with Python's Decimal, from the trades steady received; metrics
     come at most once per --feed-metrics-interval-ms and heartbeats carry BTCUSDT's
     aggTrade stream state. /status lists both consumers and counts the resumes.
  2. Book. The simulator sends a depth event every DEPTH_INTERVAL_MS and drops one
     every DROP_EVERY (so streamvisor's book resyncs about every 2 s). A consumer
     subscribes to BTCUSDT's book and keeps it from the snapshot and the deltas alone,
     restarting from each snapshot after a "resync". Its whole book equals the
     simulator's true book (/sim/book at the same update id) after every snapshot and
     every CHECK_EVERY deltas; it sees at least RESYNCS_MIN resyncs.
  3. A slow book client. A client subscribed to trades and the book stops reading
     (a small receive buffer, python3-websockets' bounded queue) until /status counts
     a conflation: its book deltas stopped at a quarter of --feed-queue-bytes-max.
     It reads again: a snapshot marked "conflated" replaces the deltas it missed, its
     book equals the simulator's from there on, and not one trade is missing (trades
     are never conflated) and no seq jumps. It is not closed.
  4. Refusals: an unknown symbol (404-like "unknown_symbol" naming the streamed
     symbols), a book of a symbol without one ("no_book"), a resume from before the
     history ("not_held" with "oldest_id").
Usage: native_feed_test.py STREAMVISOR SIM. Exit 0 on success, 1 on failure, 77 (CTest:
skipped) without python3-websockets.
"""

import asyncio
import json
import re
import socket
import sys
import time
from decimal import Decimal

import process_harness as harness

try:
    import websockets
except ImportError:
    websockets = None

DEADLINE_S = harness.DEADLINE_S

# --- 1. trades -------------------------------------------------------------------------
# Each disconnect costs about 0.35 s: FRAMES_PER_CONNECTION frames at FAULT_RATE, plus
# the reconnect.
DISCONNECTS = 100
SKIPPED_PER_RECONNECT = 10
FAULT_RATE = 200
FRAMES_PER_CONNECTION = 50
FIRST_CONNECTION_FRAMES = 600  # 3 s: the consumers subscribe before the first fault
SYMBOL = "BTCUSDT"
OTHER_SYMBOL = "ETHUSDT"  # part 2: streamed with trades only, no book
RECONNECT_AT_ONCE = ["--backoff-initial-ms", "10", "--backoff-max-ms", "20",
                     "--max-restarts", "100000", "--connect-burst", "50"]
RESUMES = 5
RESUME_EVERY = 300  # trades read per connection of the resumer (1.5 s)
PAUSE_S = 1.5  # away between connections: about 300 trades and 4 faults pass
METRICS_MS = 500
HEARTBEAT_MS = 500

# --- 2. book ---------------------------------------------------------------------------
BOOK_RATE = 20
DEPTH_INTERVAL_MS = 50
DROP_AFTER = 40
DROP_EVERY = 40
RESYNCS_MIN = 4
CHECK_EVERY = 20
CHECKS_MIN = 8
BOOK_DEADLINE_S = 30

# --- 3. a slow book client ---------------------------------------------------------
SLOW_RATE = 1000  # trades per second: ~250 KB/s of native trade messages
SLOW_DEPTH_MS = 20
SLOW_QUEUE_BYTES = 1 << 20  # deltas stop past 256 KiB queued; closed past 1 MiB
SLOW_RCVBUF = 4096
SLOW_MSS = 536
SLOW_STALL_S = 15  # the most the client waits, not reading, for the conflation

TASKS = []

failure = harness.failure
check = harness.check
GAP_FILLED = re.compile(r"backfill (\S+) gap_filled from=(\d+) to=(\d+)")


def poll(what, fn, deadline_s=DEADLINE_S, procs=None):
    return harness.poll(what, fn, deadline_s, procs, harness.NOT_YET + (failure,))


get = harness.get


def feed_url(port):
    return "ws://127.0.0.1:%d/v1/feed" % port


# --- processes -----------------------------------------------------------------------

class sim(harness.sim_process):
    def book(self, update_id):
        return get(self.port, "/sim/book?symbol=%s&limit=5000&update_id=%d"
                   % (SYMBOL, update_id))


class daemon(harness.daemon_process):
    def __init__(self, binary, sim_port, work, name, symbols, extra):
        super().__init__(binary, sim_port, work, name,
                         ["--symbols", ",".join(symbols), "--warmup-s", "0"] + extra)


# --- the native protocol, as a client uses it ----------------------------------------

class session:
    """One /v1/feed connection: requests with ids, and each subscription's messages
    checked for seq 1, 2, 3, ..."""

    def __init__(self, name, ws):
        self.name = name
        self.ws = ws
        self.next_id = 1
        self.seq = {}  # sub -> last seq
        self.heartbeats = []

    async def request(self, **fields):
        """Sends a request; returns its answer (messages before it are handled)."""
        rid = self.next_id
        self.next_id += 1
        fields["id"] = rid
        await self.ws.send(json.dumps(fields))
        while True:
            msg = await self.recv()
            if msg.get("id") == rid and msg["type"] in ("subscribed", "unsubscribed",
                                                         "error"):
                return msg
            self.pending.append(msg)

    async def subscribe(self, **fields):
        answer = await self.request(op="subscribe", **fields)
        check(answer["type"] == "subscribed", "%s: %s refused: %s"
              % (self.name, fields, answer))
        self.seq[answer["sub"]] = 0
        return answer["sub"]

    pending = None

    async def recv(self):
        msg = json.loads(await asyncio.wait_for(self.ws.recv(), DEADLINE_S))
        if msg["type"] == "heartbeat":
            self.heartbeats.append(msg)
        elif "seq" in msg:
            sub = msg["sub"]
            check(msg["seq"] == self.seq.get(sub, 0) + 1,
                  "%s: sub %d seq %d after %d: %s"
                  % (self.name, sub, msg["seq"], self.seq.get(sub, 0), msg))
            self.seq[sub] = msg["seq"]
        return msg

    async def next(self):
        """The next subscription message (heartbeats are kept aside)."""
        while True:
            if self.pending:
                return self.pending.pop(0)
            msg = await self.recv()
            if msg["type"] != "heartbeat":
                return msg


async def open_session(name, port, slow=False):
    if slow:
        # A reader that can fall behind: a small kernel buffer, and a library queue of
        # one message (python3-websockets stops reading the socket when it is full).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RCVBUF)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, SLOW_MSS)
        sock.connect(("127.0.0.1", port))
        sock.setblocking(False)
        ws = await websockets.connect(feed_url(port), sock=sock, max_queue=1,
                                      open_timeout=10)
    else:
        ws = await websockets.connect(feed_url(port), max_queue=None, open_timeout=10)
    s = session(name, ws)
    s.pending = []
    return s


# --- 1. trades, bars, metrics, heartbeats, resume --------------------------------------

class consumer:
    def __init__(self, name):
        self.name = name
        self.trades = []  # data objects, in order received
        self.gaps = []
        self.bars = []
        self.metrics = []  # (monotonic time, data)
        self.heartbeats = []
        self.connections = 0
        self.target = None

    def take(self, msg):
        kind = msg["type"]
        if kind == "trade":
            self.trades.append(msg["data"])
        elif kind == "gap":
            self.gaps.append((msg["from_id"], msg["to_id"]))
        elif kind == "bar":
            self.bars.append(msg["data"])
        elif kind == "metrics":
            self.metrics.append((time.monotonic(), msg["data"]))

    def done(self):
        return (self.target is not None and self.trades
                and self.trades[-1]["a"] >= self.target)


async def steady_reader(c, port):
    s = await open_session(c.name, port)
    c.connections += 1
    await s.subscribe(channel="trades", symbol=SYMBOL)
    await s.subscribe(channel="bars", symbol=SYMBOL, interval="1s")
    await s.subscribe(channel="metrics", symbol=SYMBOL.lower())
    while not c.done():
        c.take(await s.next())
    c.heartbeats = s.heartbeats
    await s.ws.close()


async def resuming_reader(c, port):
    last = None
    for n in range(RESUMES + 1):
        s = await open_session("%s #%d" % (c.name, n + 1), port)
        c.connections += 1
        if last is None:
            await s.subscribe(channel="trades", symbol=SYMBOL)
        else:
            await s.subscribe(channel="trades", symbol=SYMBOL, from_id=last + 1)
        got = 0
        while not c.done() and (n == RESUMES or got < RESUME_EVERY):
            msg = await s.next()
            c.take(msg)
            if msg["type"] == "trade":
                got += 1
                last = msg["data"]["a"]
        await s.ws.close()
        if n < RESUMES:
            await asyncio.sleep(PAUSE_S)


def check_trades(c, rows, gaps_filled):
    ids = [t["a"] for t in c.trades]
    check(not c.gaps, "%s: gap messages %s although every gap was filled"
          % (c.name, c.gaps[:5]))
    bad = next((i for i in range(1, len(ids)) if ids[i] != ids[i - 1] + 1), None)
    check(bad is None, "%s: trade %s after %s" % (c.name, ids[bad] if bad else None,
                                                 ids[bad - 1] if bad else None))
    for t in c.trades:
        row = rows[t["a"]]
        for k in ("p", "q", "f", "l", "T", "m"):
            check(t[k] == row[k], "%s: trade %d %s=%r, REST %r" % (c.name, t["a"], k, t[k],
                                                                  row[k]))
    spanned = sum(1 for lo, hi in gaps_filled if ids[0] <= lo and hi <= ids[-1])
    check(spanned >= DISCONNECTS, "%s: ids %d..%d span %d filled gaps, not %d"
          % (c.name, ids[0], ids[-1], spanned, DISCONNECTS))
    return len(ids), spanned


def expected_bar(trades):
    p = [Decimal(t["p"]) for t in trades]
    q = [Decimal(t["q"]) for t in trades]
    v = sum(q)
    qv = sum(a * b for a, b in zip(p, q))
    bv = sum(b for t, b in zip(trades, q) if not t["m"])
    return {
        "o": p[0], "h": max(p), "l": min(p), "c": p[-1], "v": v, "bv": bv, "sv": v - bv,
        "qv": qv, "vwap": (qv / v).quantize(Decimal("0.00000001")), "n": len(trades),
        "first_id": trades[0]["a"], "last_id": trades[-1]["a"]}


def check_bars(c):
    by_id = {t["a"]: t for t in c.trades}
    compared = 0
    for bar in c.bars:
        if not bar["complete"]:
            continue
        if bar["first_id"] not in by_id or bar["last_id"] not in by_id:
            continue  # before steady's first trade
        trades = [by_id[a] for a in range(bar["first_id"], bar["last_id"] + 1)]
        check(all(bar["t"] <= t["T"] <= bar["T"] for t in trades),
              "%s: bar %s holds a trade outside [t, T]" % (c.name, bar))
        want = expected_bar(trades)
        for k, v in want.items():
            got = bar[k] if isinstance(v, int) else Decimal(bar[k])
            check(got == v, "%s: 1s bar at %d: %s=%s, computed %s" % (c.name, bar["t"], k,
                                                                   bar[k], v))
        compared += 1
    check(compared >= 5, "%s: only %d complete 1s bars to compare" % (c.name, compared))
    return compared


def check_metrics(c, elapsed_s):
    check(c.metrics, "%s: no metrics message" % c.name)
    most = elapsed_s * 1000 / METRICS_MS + 2
    check(len(c.metrics) <= most, "%s: %d metrics messages in %.1f s, more than one per "
          "%d ms" % (c.name, len(c.metrics), elapsed_s, METRICS_MS))
    last = c.metrics[-1][1]
    check(last["symbol"] == SYMBOL and last["last_trade_id"] > 0,
          "%s: metrics %s" % (c.name, last))
    states = {s["state"] for h in c.heartbeats for s in h["streams"]
              if s["symbol"] == SYMBOL and s["stream"] == "aggTrade"}
    check("streaming" in states, "%s: heartbeats' %s aggTrade states %s (%d heartbeats)"
          % (c.name, SYMBOL, states, len(c.heartbeats)))
    return len(c.metrics), len(c.heartbeats), states


async def trades_part(streamvisor, sim_binary, work):
    t0 = time.monotonic()
    source = sim(sim_binary, work, "sim-faults", [
        "--rate", str(FAULT_RATE), "--symbols", SYMBOL,
        "--fault", "close-after:frames=%d,code=1001,connections=1" % FIRST_CONNECTION_FRAMES,
        "--fault", "close-after:frames=%d,code=1001,connections=%d"
        % (FRAMES_PER_CONNECTION, DISCONNECTS - 1),
        "--fault", "skip-on-reconnect:trades=%d,connections=%d"
        % (SKIPPED_PER_RECONNECT, DISCONNECTS)])
    sv = await asyncio.to_thread(
        daemon, streamvisor, source.port, work, "streamvisor-faults", [SYMBOL],
        ["--streams", "aggTrade", "--feed-metrics-interval-ms", str(METRICS_MS),
         "--feed-heartbeat-ms", str(HEARTBEAT_MS)] + RECONNECT_AT_ONCE)
    await asyncio.to_thread(poll, "streamvisor streaming", lambda: sv.metrics(SYMBOL)["trades"] > 0)
    steady, resumer = consumer("steady"), consumer("resumer")
    tasks = [asyncio.ensure_future(steady_reader(steady, sv.port)),
             asyncio.ensure_future(resuming_reader(resumer, sv.port))]
    TASKS.extend(tasks)

    def faults_done():
        return source.symbols()[SYMBOL]["connections_total"] >= DISCONNECTS + 1

    deadline = time.monotonic() + DEADLINE_S + DISCONNECTS
    while not await asyncio.to_thread(faults_done):
        for task in tasks:
            if task.done():
                task.result()
                raise failure("a consumer ended before the faults were done")
        check(time.monotonic() < deadline, "the simulator's %d disconnects" % DISCONNECTS)
        await asyncio.sleep(0.2)
    await asyncio.to_thread(poll, "streamvisor's gaps filled",
                            lambda: sv.metrics(SYMBOL)["gaps_open"] == 0)
    target = (await asyncio.to_thread(source.symbols))[SYMBOL]["last_id"]
    steady.target = resumer.target = target
    await asyncio.wait_for(asyncio.gather(*tasks), DEADLINE_S)
    elapsed = time.monotonic() - t0

    status = await asyncio.to_thread(get, sv.port, "/status")
    consumers = status["consumers"]
    check(consumers["resumes"] >= RESUMES, "/status counts %d resumes, not >= %d"
          % (consumers["resumes"], RESUMES))
    rows = await asyncio.to_thread(source.rest_rows, SYMBOL, min(steady.trades[0]["a"],
                                                                 resumer.trades[0]["a"]),
                                   target)
    gaps = [(int(lo), int(hi)) for s, lo, hi in GAP_FILLED.findall(sv.text()) if s == SYMBOL]
    n_steady, spanned = check_trades(steady, rows, gaps)
    n_resumer, _ = check_trades(resumer, rows, gaps)
    check(resumer.connections == RESUMES + 1, "resumer connected %d times"
          % resumer.connections)
    bars = check_bars(steady)
    n_metrics, n_beats, states = check_metrics(steady, elapsed)
    sv.stop()
    source.stop()
    print("ok: %d disconnects (%d skipped trades each, %d filled gaps spanned): steady got "
          "%d trades, the resumer %d over %d connections, every id once in order, equal "
          "to REST; %d complete 1s bars exact; %d metrics, %d heartbeats (states %s) "
          "(%.1f s)" % (DISCONNECTS, SKIPPED_PER_RECONNECT, spanned, n_steady, n_resumer,
                        resumer.connections, bars, n_metrics, n_beats, sorted(states),
                        time.monotonic() - t0))
    return sv


# --- 2. book ---------------------------------------------------------------------------

def book_of(levels):
    return {p: q for p, q in levels}


def apply(side, levels):
    for p, q in levels:
        if Decimal(q) == 0:
            side.pop(p, None)
        else:
            side[p] = q


def same_book(bids, asks, truth):
    def norm(side):
        return sorted((Decimal(p), Decimal(q)) for p, q in side.items())
    return norm(bids) == norm(book_of(truth["bids"])) and \
        norm(asks) == norm(book_of(truth["asks"]))


async def book_part(streamvisor, sim_binary, work):
    t0 = time.monotonic()
    source = sim(sim_binary, work, "sim-book", [
        "--rate", str(BOOK_RATE), "--symbols", ",".join([SYMBOL, OTHER_SYMBOL]),
        "--depth-interval-ms", str(DEPTH_INTERVAL_MS),
        "--fault", "drop-depth:after=%d,every=%d,symbol=%s" % (DROP_AFTER, DROP_EVERY, SYMBOL)])
    sv = await asyncio.to_thread(
        daemon, streamvisor, source.port, work, "streamvisor-book", [SYMBOL, OTHER_SYMBOL],
        ["--streams", "aggTrade,depth", "--book-symbols", SYMBOL])
    s = await open_session("book", sv.port)

    # 3. refusals, on the same connection.
    unknown = await s.request(op="subscribe", channel="trades", symbol="XRPUSDT")
    check(unknown["type"] == "error" and unknown["code"] == "unknown_symbol"
          and SYMBOL in unknown["message"], "unknown symbol answered %s" % unknown)
    no_book = await s.request(op="subscribe", channel="book", symbol=OTHER_SYMBOL)
    check(no_book["type"] == "error" and no_book["code"] == "no_book",
          "a book of %s answered %s" % (OTHER_SYMBOL, no_book))
    await asyncio.to_thread(poll, "trades held",
                            lambda: sv.metrics(SYMBOL)["first_trade_id"] > 1)
    oldest = (await asyncio.to_thread(sv.metrics, SYMBOL))["first_trade_id"]
    not_held = await s.request(op="subscribe", channel="trades", symbol=SYMBOL,
                               from_id=1)
    check(not_held["type"] == "error" and not_held["code"] == "not_held"
          and not_held["oldest_id"] >= oldest, "a resume from id 1 answered %s" % not_held)

    await s.subscribe(channel="book", symbol=SYMBOL)
    bids = asks = None
    last_u = None
    snapshots = resyncs = conflated = checks = deltas = 0
    deadline = time.monotonic() + BOOK_DEADLINE_S
    while resyncs < RESYNCS_MIN or checks < CHECKS_MIN:
        check(time.monotonic() < deadline, "within %d s: %d resyncs, %d equal books"
              % (BOOK_DEADLINE_S, resyncs, checks))
        msg = await s.next()
        kind = msg["type"]
        if kind == "snapshot":
            data = msg["data"]
            bids, asks = book_of(data["bids"]), book_of(data["asks"])
            last_u = data["lastUpdateId"]
            snapshots += 1
            conflated += msg["conflated"]
        elif kind == "resync":
            check(bids is not None, "a resync before any snapshot")
            bids = asks = None
            resyncs += 1
            continue
        elif kind == "delta":
            check(bids is not None, "a delta without a snapshot: %s" % msg)
            e = msg["data"]
            check(e["U"] <= last_u + 1 <= e["u"], "delta U=%d u=%d after %d"
                  % (e["U"], e["u"], last_u))
            apply(bids, e["b"])
            apply(asks, e["a"])
            last_u = e["u"]
            deltas += 1
            if deltas % CHECK_EVERY:
                continue
        else:
            continue
        truth = await asyncio.to_thread(source.book, last_u)
        check(same_book(bids, asks, truth), "the book at %d differs from the simulator's"
              % last_u)
        checks += 1
    await s.ws.close()
    sv.stop()
    source.stop()
    print("ok: refusals by name; a book kept from /v1/feed alone equals the simulator's at "
          "%d points across %d resyncs (%d snapshots, %d conflated, %d deltas) (%.1f s)"
          % (checks, resyncs, snapshots, conflated, deltas, time.monotonic() - t0))


# --- 3. a slow book client -------------------------------------------------------------

class book_keeper:
    """Keeps a book from snapshot and delta messages and compares it with the
    simulator's."""

    def __init__(self, name, source):
        self.name = name
        self.source = source
        self.bids = self.asks = None
        self.last_u = None
        self.deltas = 0
        self.snapshots = []  # (lastUpdateId, conflated)
        self.checks = 0

    def take(self, msg):
        kind = msg["type"]
        if kind == "snapshot":
            data = msg["data"]
            self.bids, self.asks = book_of(data["bids"]), book_of(data["asks"])
            self.last_u = data["lastUpdateId"]
            self.snapshots.append((self.last_u, msg["conflated"]))
            return True
        if kind == "resync":
            self.bids = self.asks = None
        elif kind == "delta":
            check(self.bids is not None, "%s: a delta without a snapshot" % self.name)
            e = msg["data"]
            check(e["U"] <= self.last_u + 1 <= e["u"], "%s: delta U=%d u=%d after %d"
                  % (self.name, e["U"], e["u"], self.last_u))
            apply(self.bids, e["b"])
            apply(self.asks, e["a"])
            self.last_u = e["u"]
            self.deltas += 1
            return self.deltas % CHECK_EVERY == 0
        return False

    async def compare(self):
        truth = await asyncio.to_thread(self.source.book, self.last_u)
        check(same_book(self.bids, self.asks, truth),
              "%s: the book at %d differs from the simulator's" % (self.name, self.last_u))
        self.checks += 1


async def slow_part(streamvisor, sim_binary, work):
    t0 = time.monotonic()
    source = sim(sim_binary, work, "sim-slow", [
        "--rate", str(SLOW_RATE), "--symbols", SYMBOL,
        "--depth-interval-ms", str(SLOW_DEPTH_MS)])
    sv = await asyncio.to_thread(
        daemon, streamvisor, source.port, work, "streamvisor-slow", [SYMBOL],
        ["--streams", "aggTrade,depth", "--feed-queue-bytes-max", str(SLOW_QUEUE_BYTES)])
    await asyncio.to_thread(poll, "streamvisor's book synced", lambda: any(
        c["book"] == "synced" for c in get(sv.port, "/status")["children"]
        if c["stream"] == "depth"))
    s = await open_session("slow", sv.port, slow=True)
    await s.subscribe(channel="trades", symbol=SYMBOL)
    await s.subscribe(channel="book", symbol=SYMBOL)
    book = book_keeper("slow", source)
    trades = []

    async def read_until(done):
        while not done():
            msg = await s.next()
            if msg["type"] == "trade":
                trades.append(msg["data"]["a"])
            check(msg["type"] != "gap", "slow: a gap message %s" % msg)
            if book.take(msg):
                await book.compare()

    await read_until(lambda: book.checks >= 2)
    before = len(book.snapshots)

    def conflated():
        consumers = get(sv.port, "/status")["consumers"]
        return consumers["conflated"] >= 1 and consumers["closed_slow"] == 0
    stalled = time.monotonic()
    await asyncio.to_thread(poll, "a conflation of the stalled client", conflated,
                            SLOW_STALL_S, {"streamvisor-slow": sv.proc})
    stall_s = time.monotonic() - stalled
    await read_until(lambda: len(book.snapshots) > before and book.checks >= 4)
    last_u, was_conflated = book.snapshots[before]
    check(was_conflated, "slow: the snapshot after the stall at %d is not marked "
          "conflated" % last_u)
    bad = next((i for i in range(1, len(trades)) if trades[i] != trades[i - 1] + 1), None)
    check(bad is None, "slow: trade %s after %s" % (trades[bad] if bad else None,
                                                   trades[bad - 1] if bad else None))
    status = await asyncio.to_thread(get, sv.port, "/status")
    check(status["consumers"]["closed_slow"] == 0, "slow: closed as a slow consumer")
    await s.ws.close()
    sv.stop()
    source.stop()
    print("ok: a client that stopped reading for %.1f s got its book deltas replaced by "
          "a conflated snapshot (at %d), its book equal to the simulator's at %d points, "
          "%d trades with consecutive ids and no seq jump, and stayed connected (%.1f s)"
          % (stall_s, last_u, book.checks, len(trades), time.monotonic() - t0))


async def run(streamvisor, sim_binary, work):
    try:
        await trades_part(streamvisor, sim_binary, work)
        await book_part(streamvisor, sim_binary, work)
        await slow_part(streamvisor, sim_binary, work)
    finally:
        for task in TASKS:
            task.cancel()
        await asyncio.gather(*TASKS, return_exceptions=True)


def main(streamvisor, sim_binary):
    harness.run_main("sv-native-feed-",
                     lambda work: asyncio.run(run(streamvisor, sim_binary, work)),
                     (asyncio.TimeoutError, websockets.WebSocketException))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: native_feed_test.py STREAMVISOR SIM")
        sys.exit(2)
    if websockets is None:
        print("SKIP: python3-websockets is not installed (scripts/deps.sh installs it)")
        sys.exit(77)
    main(*sys.argv[1:])
