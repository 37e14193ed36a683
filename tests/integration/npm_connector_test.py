#!/usr/bin/env python3
"""npm_connector_test: an unchanged Binance client from npm, @binance/connector, pointed at
streamvisor (issue 10, "Done when").

The connector is installed with npm at a pinned version into a cache folder (the third
argument; CMake passes one in the build tree) and reused while it holds that version.
tests/integration/npm_connector_client.js runs it under node and sets only the
connector's documented options: wsURL = ws://127.0.0.1:<api port> on two
WebsocketStream clients, baseURL = http://127.0.0.1:<api port> on a Spot client,
combinedStreams, callbacks and a logger (so its log lines reach this test).

What the connector sends (read in its 3.6.1 source, src/websocketStream.js,
src/websocketBase.js, src/modules/websocket/stream.js, src/modules/restful/market.js,
src/helpers/utils.js; the test also checks the URLs it logs):
  - subscribe() while not connected opens a new connection: <wsURL>/ws/<stream>, or with
    combinedStreams <wsURL>/stream?streams=<a>/<b> (an array is joined with "/").
    aggTrade('btcusdt') is subscribe('btcusdt@aggTrade');
    diffBookDepth('btcusdt', '100ms') is subscribe('btcusdt@depth@100ms').
  - subscribe() and unsubscribe() while connected send in band
    {"method":"SUBSCRIBE"|"UNSUBSCRIBE","params":[...],"id":Date.now()}: the id is the
    client's clock in ms, a 13-digit integer. It has no LIST_SUBSCRIPTIONS method; its
    send(text) writes one.
  - It answers server pings with pongs, and after a close it did not ask for reconnects
    to the same URL 5 s later (the close callback fires first).
  - Spot.aggTrades(symbol, options) is GET <baseURL>/api/v3/aggTrades?<options>&symbol=S and
    Spot.depth(symbol, options) GET <baseURL>/api/v3/depth?<options>&symbol=S, through
    axios, with headers Content-Type: application/json, X-MBX-APIKEY (empty here) and
    User-Agent binance-connector-node/<version>.
So it hits these paths on streamvisor's API port:
  /ws/btcusdt@aggTrade                              raw client: aggTrade('btcusdt')
      then in band SUBSCRIBE btcusdt@depth@100ms     raw client: diffBookDepth(..)
      LIST_SUBSCRIPTIONS (via send), UNSUBSCRIBE     raw client: unsubscribe(..)
  /stream?streams=btcusdt@aggTrade/btcusdt@depth@100ms
                                                    combined client: subscribe([..])
  GET /api/v3/aggTrades?fromId=N&limit=1000&symbol=BTCUSDT     (pages, from the first id)
  GET /api/v3/aggTrades?startTime=A&endTime=B&limit=1000&symbol=BTCUSDT
  GET /api/v3/depth?limit=20&symbol=BTCUSDT

The run: the simulator on 127.0.0.1 closes streamvisor's upstream socket DISCONNECTS
times (code 1001), and each reconnect first skips SKIPPED_PER_RECONNECT trades that only
its REST has; streamvisor (--streams aggTrade,depth) fills the gaps. The connector's
clients are connected before the first close and stay connected through all of them.
Checked:
  - each client's aggTrade ids are consecutive, no repeat, across at least DISCONNECTS
    filled gaps (streamvisor's "gap_filled" log lines);
  - each frame's a,p,q,f,l,T,m,M equal the row for that id from streamvisor's REST mirror
    (read by the connector's aggTrades, by fromId and by startTime/endTime) and from the
    simulator's own /api/v3/aggTrades;
  - in-band answers as Binance gives them: {"result":null,"id":<the connector's id>} to its
    SUBSCRIBE and UNSUBSCRIBE, the streams to LIST_SUBSCRIPTIONS;
  - depthUpdate events arrive on both clients (none on the raw one after its
    UNSUBSCRIBE answer), with integer U <= u, each continuing the previous (U = previous
    u + 1) except at most once per book resync streamvisor logged;
  - the connector's depth() returns lastUpdateId (not older than any event received)
    with sorted bids and asks;
  - the connector reported no close and no error, opened each URL once, and answered
    streamvisor's pings (sent every PING_S s, a client silent PONG_S s more is dropped).
Before the connector's depth() call the test waits until streamvisor's own
/api/v3/depth answers 200: after a reconnect streamvisor answers 503 (-1001) until its
book is synced again, as docs/feed.md says, and the connector does not retry.

Usage: npm_connector_test.py STREAMVISOR SIM CACHE_DIR. Exit 0 on success, 1 on failure,
77 (CTest: skipped) without node or npm, or when npm cannot install the connector (with
SV_NPM_REQUIRED=1 in the environment those are failures instead, for CI).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import npm_install
import process_harness as harness

DEADLINE_S = harness.DEADLINE_S
HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_JS = os.path.join(HERE, "npm_connector_client.js")

# The connector, and its two dependencies pinned to what its ranges (axios ^1.7.4,
# ws ^8.17.1) resolved to when this test was written, so that a new axios or ws
# release cannot change a run. Their own dependencies follow npm's resolution.
CONNECTOR_VERSION = "3.6.1"
PINNED = {"@binance/connector": CONNECTOR_VERSION, "axios": "1.21.1", "ws": "8.23.1"}
NODE_MAJOR_MIN = 14  # the connector's source uses ?. (node 14)

# The simulator's faults. streamvisor shares one upstream socket for BTCUSDT's aggTrade
# and depth streams, so the frames counted are both: about RATE + 10 a second. The
# first connection lasts FIRST_CONNECTION_FRAMES (about 3.6 s), long enough for the
# connector's clients to be streaming before the first close; each of the next
# DISCONNECTS - 1 lasts FRAMES_PER_CONNECTION (about 1.8 s).
RATE = 100
DISCONNECTS = 5
SKIPPED_PER_RECONNECT = 10
FIRST_CONNECTION_FRAMES = 400
FRAMES_PER_CONNECTION = 200
SYMBOL = "BTCUSDT"
AGG_STREAM = "btcusdt@aggTrade"
DEPTH_STREAM = "btcusdt@depth@100ms"
RECONNECT_AT_ONCE = ["--backoff-initial-ms", "10", "--backoff-max-ms", "20",
                     "--max-restarts", "100000", "--connect-burst", "50"]
# streamvisor pings each client every PING_S seconds without a pong and drops it PONG_S
# later: the connector must answer (its ws library does) through the whole run.
PING_S = 2
PONG_S = 2
PING_LOG = "Received PING from server"

ROW_FIELDS = ["a", "p", "q", "f", "l", "T", "m", "M"]
DEPTH_KEYS = ["e", "E", "s", "U", "u", "b", "a"]
DEPTH_LIMIT = 20
PAGE_LIMIT = 1000
WINDOW_TRADES = 500  # trades in the startTime/endTime call (under PAGE_LIMIT)
UNSUBSCRIBED_WAIT_S = 0.5  # five depth intervals after the UNSUBSCRIBE answer
DECIMAL_8 = re.compile(r"^[0-9]+\.[0-9]{8}$")
GAP_FILLED = re.compile(r"backfill BTCUSDT gap_filled from=(\d+) to=(\d+)")
RESYNC = re.compile(r"book BTCUSDT resync ")



failure = harness.failure
check = harness.check


def poll(what, fn, procs=None, deadline_s=DEADLINE_S):
    """harness.poll; a failed check inside fn() fails at once."""
    return harness.poll(what, fn, deadline_s, procs)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def get(port, path):
    code, body = harness.call(port, "GET", path)
    check(code == 200, "GET %s answered %d %s" % (path, code, body))
    return body


# --- the npm install (npm_install.py) ------------------------------------------------

def install_connector(cache_dir):
    """The install folder holding PINNED, installed by npm unless already there."""
    npm_install.node_binary(NODE_MAJOR_MIN)
    return npm_install.install(cache_dir, "binance-connector-" + CONNECTOR_VERSION, PINNED)


# --- processes -----------------------------------------------------------------------

class sim(harness.sim_process):
    def __init__(self, binary, work, args):
        super().__init__(binary, work, "sim", args)

    def stats(self):
        return self.symbols()[SYMBOL]


class daemon(harness.daemon_process):
    """streamvisor streaming BTCUSDT's aggTrade and depth from the simulator."""

    def __init__(self, binary, sim_port, work):
        super().__init__(binary, sim_port, work, "streamvisor",
                         ["--symbols", SYMBOL, "--streams", "aggTrade,depth",
                          "--warmup-s", "0", "--feed-ping-interval-s", str(PING_S),
                          "--feed-pong-timeout-s", str(PONG_S)] + RECONNECT_AT_ONCE)

    def metrics(self):
        return super().metrics(SYMBOL)

    def book_synced(self):
        code, _ = harness.call(self.port, "GET", "/api/v3/depth?symbol=%s&limit=5" % SYMBOL)
        return code == 200



class connector:
    """npm_connector_client.js under node: commands go to its stdin, and its stdout
    lines (JSON events) are collected by a thread, in order, into self.events."""

    def __init__(self, install_dir, port, work):
        self.events = []
        events_log = os.path.join(work, "connector-events.log")
        stderr_log = os.path.join(work, "connector-stderr.log")
        harness.LOGS["connector events"] = events_log
        harness.LOGS["connector stderr"] = stderr_log
        self.proc = subprocess.Popen(
            [shutil.which("node"), CLIENT_JS, install_dir, str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(stderr_log, "wb"),
            text=True, bufsize=1)
        harness.PROCS.append(self.proc)
        self._reader = threading.Thread(target=self._read, args=(events_log,), daemon=True)
        self._reader.start()

    def _read(self, events_log):
        with open(events_log, "w") as log:
            for line in self.proc.stdout:
                log.write(line)
                log.flush()
                try:
                    self.events.append(json.loads(line))
                except ValueError:
                    self.events.append({"ev": "not json", "text": line})

    def command(self, **cmd):
        check(self.proc.poll() is None, "the connector's node process exited with %s"
              % self.proc.returncode)
        self.proc.stdin.write(compact(cmd) + "\n")
        self.proc.stdin.flush()

    def wait(self, what, fn):
        """poll() that also fails on the node process's exit or a fatal event."""
        def ready():
            fatal = [e for e in self.events if e.get("ev") == "fatal"]
            check(not fatal, "the connector's script failed: %s" % fatal)
            return fn()
        return poll(what, ready, {"node": self.proc})

    def of(self, ev, client=None):
        return [e for e in list(self.events)
                if e.get("ev") == ev and (client is None or e.get("client") == client)]

    def messages(self, client):
        """(index in self.events, parsed message) for each message `client` received."""
        return [(i, json.loads(e["text"])) for i, e in enumerate(list(self.events))
                if e.get("ev") == "msg" and e.get("client") == client]

    def rest(self, tag, method, *args):
        """The connector's Spot.<method>(*args); its response event."""
        self.command(cmd="rest", tag=tag, method=method, args=list(args))
        return self.wait("the connector's %s answer (%s)" % (method, tag), lambda: next(
            (e for e in self.events if e.get("ev") in ("rest", "rest_error")
             and e.get("tag") == tag), None))

    def exit(self):
        self.command(cmd="exit")
        code = self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        check(code == 0, "the connector's node process exited with %d" % code)


# --- what a client received ----------------------------------------------------------

def unwrap(client, obj):
    """(stream or None, event) of a frame: combined frames must be {"stream","data"}."""
    if client == "combined":
        check(isinstance(obj, dict) and list(obj) == ["stream", "data"],
              "combined client: not a combined frame: %s" % compact(obj))
        return obj["stream"], obj["data"]
    return None, obj


def trades_of(c, client):
    out = []
    for _, obj in c.messages(client):
        stream, data = unwrap(client, obj)
        if isinstance(data, dict) and data.get("e") == "aggTrade":
            check(stream in (None, AGG_STREAM), "%s: an aggTrade on stream %r"
                  % (client, stream))
            out.append(data)
    return out


def depth_of(c, client):
    """(index in c.events, depthUpdate event) for each received."""
    out = []
    for i, obj in c.messages(client):
        stream, data = unwrap(client, obj)
        if isinstance(data, dict) and data.get("e") == "depthUpdate":
            check(stream in (None, DEPTH_STREAM), "%s: a depthUpdate on stream %r"
                  % (client, stream))
            out.append((i, data))
    return out


def answers_of(c, client):
    """(index in c.events, parsed) of each message that is neither a trade nor depth."""
    return [(i, obj) for i, obj in c.messages(client)
            if obj.get("e") not in ("aggTrade", "depthUpdate") and "stream" not in obj]


def check_trades(client, trades, gaps):
    check(trades, "%s: no aggTrade received" % client)
    for t in trades:
        check(type(t.get("a")) is int and t.get("s") == SYMBOL,
              "%s: not a %s aggTrade: %s" % (client, SYMBOL, compact(t)))
    for prev, cur in zip(trades, trades[1:]):
        if cur["a"] != prev["a"] + 1:
            what = ("a repeat" if cur["a"] <= prev["a"]
                    else "%d trades missing" % (cur["a"] - prev["a"] - 1))
            raise failure("%s: a=%d came after a=%d (%s)" % (client, cur["a"], prev["a"], what))
    first, last = trades[0]["a"], trades[-1]["a"]
    spanned = sum(1 for lo, hi in gaps if first < lo and hi < last)
    check(spanned >= DISCONNECTS,
          "%s: ids %d..%d span %d of streamvisor's filled gaps %s, not %d: connected too late?"
          % (client, first, last, spanned, gaps, DISCONNECTS))
    return spanned


def check_rows(client, trades, rows, source):
    for t in trades:
        row = rows.get(t["a"])
        check(row is not None, "%s a=%d: no row from %s" % (client, t["a"], source))
        differ = [k for k in ROW_FIELDS if t.get(k) != row.get(k)]
        check(not differ, "%s a=%d: %s differ from %s's row %s: %s"
              % (client, t["a"], differ, source, compact(row), compact(t)))


def check_depth_events(client, events, resyncs):
    check(events, "%s: no depthUpdate received" % client)
    breaks = []
    prev = None
    for _, d in events:
        check(list(d) == DEPTH_KEYS and d["s"] == SYMBOL and type(d["U"]) is int
              and type(d["u"]) is int and d["U"] <= d["u"]
              and isinstance(d["b"], list) and isinstance(d["a"], list),
              "%s: not Binance's depthUpdate (keys %s, U <= u): %s"
              % (client, DEPTH_KEYS, compact(d)))
        if prev is not None:
            check(d["u"] > prev["u"], "%s: depthUpdate u=%d came after u=%d"
                  % (client, d["u"], prev["u"]))
            if d["U"] != prev["u"] + 1:
                breaks.append((prev["u"], d["U"]))
        prev = d
    check(len(breaks) <= resyncs,
          "%s: %d depthUpdates do not continue the previous one (U != previous u + 1: %s), "
          "but streamvisor logged %d book resyncs" % (client, len(breaks), breaks[:5], resyncs))
    return len(breaks)


def check_depth_snapshot(body, newest_u):
    check(isinstance(body, dict) and list(body) == ["lastUpdateId", "bids", "asks"],
          "the connector's depth() returned %s, not {lastUpdateId, bids, asks}"
          % compact(body)[:300])
    check(type(body["lastUpdateId"]) is int and body["lastUpdateId"] >= newest_u,
          "depth() lastUpdateId %r is older than the newest depthUpdate received (u=%d)"
          % (body["lastUpdateId"], newest_u))
    for side in ("bids", "asks"):
        levels = body[side]
        check(0 < len(levels) <= DEPTH_LIMIT and all(
            isinstance(lv, list) and len(lv) == 2 and all(
                isinstance(x, str) and DECIMAL_8.match(x) for x in lv) for lv in levels),
            "depth() %s: %s" % (side, compact(levels)[:300]))
    bids = [float(p) for p, _ in body["bids"]]
    asks = [float(p) for p, _ in body["asks"]]
    check(bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0],
          "depth() levels not sorted or crossed: bids %s asks %s" % (bids[:3], asks[:3]))


# --- the run -------------------------------------------------------------------------

def run(streamvisor, sim_binary, install_dir, work):
    t0 = time.monotonic()
    source = sim(sim_binary, work, [
        "--rate", str(RATE), "--symbols", SYMBOL,
        "--fault", "close-after:frames=%d,code=1001,connections=1" % FIRST_CONNECTION_FRAMES,
        "--fault", "close-after:frames=%d,code=1001,connections=%d"
        % (FRAMES_PER_CONNECTION, DISCONNECTS - 1),
        "--fault", "skip-on-reconnect:trades=%d,connections=%d"
        % (SKIPPED_PER_RECONNECT, DISCONNECTS)])
    sv = daemon(streamvisor, source.port, work)
    poll("streamvisor's trades and synced book",
         lambda: sv.metrics()["trades"] > 0 and sv.book_synced(), {"streamvisor": sv.proc})

    c = connector(install_dir, sv.port, work)
    for client in ("raw", "combined"):
        c.wait("the %s client's first aggTrade" % client, lambda: trades_of(c, client))
    check(source.stats()["connections_total"] == 1,
          "the first upstream connection closed before the connector's clients streamed; "
          "raise FIRST_CONNECTION_FRAMES")

    # In band on the raw client: its own SUBSCRIBE, then LIST_SUBSCRIPTIONS.
    c.command(cmd="call", client="raw", method="diffBookDepth", args=["btcusdt", "100ms"])
    c.wait("the answer to the connector's SUBSCRIBE", lambda: len(answers_of(c, "raw")) >= 1)
    c.command(cmd="send", client="raw", payload={"method": "LIST_SUBSCRIPTIONS", "id": 1})
    c.wait("the answer to LIST_SUBSCRIPTIONS", lambda: len(answers_of(c, "raw")) >= 2)

    # Through the faults, until both clients have the simulator's last trade.
    poll("the simulator's %d disconnects" % DISCONNECTS,
         lambda: source.stats()["connections_total"] >= DISCONNECTS + 1,
         {"streamvisor": sv.proc, "node": c.proc}, DEADLINE_S + 2 * DISCONNECTS)
    stats = source.stats()
    check(stats["skipped_on_reconnect"] == DISCONNECTS * SKIPPED_PER_RECONNECT,
          "the simulator skipped %d trades, not %d"
          % (stats["skipped_on_reconnect"], DISCONNECTS * SKIPPED_PER_RECONNECT))
    poll("streamvisor's gaps filled", lambda: sv.metrics()["gaps_open"] == 0,
         {"streamvisor": sv.proc})
    target = source.stats()["last_id"]
    for client in ("raw", "combined"):
        c.wait("the %s client to reach the simulator's trade %d" % (client, target),
               lambda: trades_of(c, client)[-1]["a"] >= target)
    poll("streamvisor's book synced after the last reconnect", sv.book_synced,
         {"streamvisor": sv.proc})

    # UNSUBSCRIBE through the connector, then LIST_SUBSCRIPTIONS again.
    c.command(cmd="call", client="raw", method="unsubscribe", args=[DEPTH_STREAM])
    c.wait("the answer to the connector's UNSUBSCRIBE", lambda: len(answers_of(c, "raw")) >= 3)
    time.sleep(UNSUBSCRIBED_WAIT_S)
    c.command(cmd="send", client="raw", payload={"method": "LIST_SUBSCRIPTIONS", "id": 2})
    c.wait("the answer to the second LIST_SUBSCRIPTIONS", lambda: len(answers_of(c, "raw")) >= 4)
    for client in ("raw", "combined"):
        c.command(cmd="disconnect", client=client)
    c.wait("both clients disconnected", lambda: len(c.of("disconnected")) == 2)
    t1 = time.monotonic()

    # REST through the connector's Spot client.
    raw_trades, combined_trades = trades_of(c, "raw"), trades_of(c, "combined")
    first = min(raw_trades[0]["a"], combined_trades[0]["a"])
    last = max(raw_trades[-1]["a"], combined_trades[-1]["a"])
    mirror = {}
    n, page = first, 0
    while n <= last:
        page += 1
        r = c.rest("page %d" % page, "aggTrades", SYMBOL, {"fromId": n, "limit": PAGE_LIMIT})
        check(r["ev"] == "rest" and r["status"] == 200 and isinstance(r["body"], list)
              and r["body"] and r["body"][0].get("a") == n,
              "the connector's aggTrades(fromId=%d, limit=%d) got %s"
              % (n, PAGE_LIMIT, compact(r)[:500]))
        rows = r["body"]
        check([row.get("a") for row in rows] == list(range(n, n + len(rows))),
              "aggTrades(fromId=%d): ids not consecutive from %d" % (n, n))
        check(all(list(row) == ROW_FIELDS for row in rows),
              "aggTrades(fromId=%d): a row without Binance's keys %s: %s"
              % (n, ROW_FIELDS, compact(rows[0])))
        for row in rows:
            mirror[row["a"]] = row
        n = rows[-1]["a"] + 1
    first_url = next(e["url"] for e in c.events if e.get("tag") == "page 1")
    lo = len(raw_trades) // 4
    hi = min(len(raw_trades) - 1, lo + WINDOW_TRADES)
    start_ms, end_ms = raw_trades[lo]["T"], raw_trades[hi]["T"]
    windowed = c.rest("window", "aggTrades", SYMBOL,
                      {"startTime": start_ms, "endTime": end_ms, "limit": PAGE_LIMIT})
    depth = c.rest("depth", "depth", SYMBOL, {"limit": DEPTH_LIMIT})
    c.exit()
    sim_rows = source.rest_rows(SYMBOL, first, last)
    sv_log = sv.text()
    sv.stop()
    source.proc.terminate()
    source.proc.wait(timeout=10)
    t2 = time.monotonic()

    # The connector's own view: the URLs it opened (once each), no close, no error.
    prefix = "Sending Websocket connection to: "
    opened = [str(e["args"][0])[len(prefix):] for e in c.of("log")
              if e.get("args") and str(e["args"][0]).startswith(prefix)]
    base = "ws://127.0.0.1:%d" % sv.port
    want_urls = [base + "/ws/" + AGG_STREAM,
                 base + "/stream?streams=%s/%s" % (AGG_STREAM, DEPTH_STREAM)]
    check(sorted(opened) == sorted(want_urls), "the connector opened %s, not %s"
          % (opened, want_urls))
    check(not c.of("close") and not c.of("error"),
          "the connector reported %s" % (c.of("close") + c.of("error")))
    pings = {client: sum(1 for e in c.of("log", client) if e.get("args") == [PING_LOG])
             for client in ("raw", "combined")}
    check(all(n >= 2 for n in pings.values()),
          "streamvisor's pings (every %d s) reached the connector %s times" % (PING_S, pings))

    # In-band answers, as Binance gives them, to the ids the connector chose.
    sent = [e["args"] for e in c.of("log", "raw")
            if e.get("args") and e["args"][0] in ("SUBSCRIBE", "UNSUBSCRIBE")]
    check([(s[0], s[1].get("params")) for s in sent]
          == [("SUBSCRIBE", [DEPTH_STREAM]), ("UNSUBSCRIBE", [DEPTH_STREAM])],
          "the connector logged these requests: %s" % sent)
    sub_id, unsub_id = sent[0][1]["id"], sent[1][1]["id"]
    answers = answers_of(c, "raw")
    got = [compact(a) for _, a in answers]
    if len(answers) > 1 and isinstance(answers[1][1].get("result"), list):
        got[1] = compact({"result": sorted(answers[1][1]["result"]), "id": answers[1][1]["id"]})
    want = [compact({"result": None, "id": sub_id}),
            compact({"result": sorted([AGG_STREAM, DEPTH_STREAM]), "id": 1}),
            compact({"result": None, "id": unsub_id}),
            compact({"result": [AGG_STREAM], "id": 2})]
    check(got == want, "the raw client's answers (LIST sorted) were %s; Binance answers %s"
          % (got, want))
    check(not answers_of(c, "combined"), "the combined client got %s"
          % [a for _, a in answers_of(c, "combined")])

    # aggTrade: consecutive through the disconnects, equal to both REST sources.
    gaps = [(int(a), int(b)) for a, b in GAP_FILLED.findall(sv_log)]
    spanned = {}
    for client, trades in (("raw", raw_trades), ("combined", combined_trades)):
        spanned[client] = check_trades(client, trades, gaps)
        check_rows(client, trades, mirror, "streamvisor's /api/v3/aggTrades (the connector's)")
        check_rows(client, trades, sim_rows, "the simulator's /api/v3/aggTrades")
    check(windowed["ev"] == "rest" and windowed["status"] == 200,
          "the connector's aggTrades(startTime=%d, endTime=%d) got %s"
          % (start_ms, end_ms, compact(windowed)[:500]))
    in_window = [t for t in raw_trades if start_ms <= t["T"] <= end_ms]
    check([row.get("a") for row in windowed["body"]] == [t["a"] for t in in_window],
          "aggTrades(startTime=%d, endTime=%d) returned ids %s..%s (%d), the raw client "
          "received %d..%d (%d) in that window" % (
              start_ms, end_ms, windowed["body"][0].get("a") if windowed["body"] else None,
              windowed["body"][-1].get("a") if windowed["body"] else None,
              len(windowed["body"]), in_window[0]["a"], in_window[-1]["a"], len(in_window)))
    check_rows("raw", in_window, {row["a"]: row for row in windowed["body"]},
               "streamvisor's /api/v3/aggTrades?startTime&endTime (the connector's)")

    # Depth: events on both clients (none on raw after its UNSUBSCRIBE answer), the
    # connector's snapshot.
    resyncs = len(RESYNC.findall(sv_log))
    unsubscribed_at = answers[2][0]
    raw_depth, combined_depth = depth_of(c, "raw"), depth_of(c, "combined")
    late = [d for i, d in raw_depth if i > unsubscribed_at]
    check(not late, "the raw client got %d depthUpdates after its UNSUBSCRIBE answer, "
          "the first %s" % (len(late), compact(late[0]) if late else ""))
    breaks = {"raw": check_depth_events("raw", raw_depth, resyncs),
              "combined": check_depth_events("combined", combined_depth, resyncs)}
    check(depth["ev"] == "rest" and depth["status"] == 200,
          "the connector's depth(limit=%d) got %s" % (DEPTH_LIMIT, compact(depth)[:500]))
    newest_u = max(d["u"] for _, d in raw_depth + combined_depth)
    check_depth_snapshot(depth["body"], newest_u)

    print("ok: @binance/connector %s opened %s, answered %s pings and reported no close"
          % (CONNECTOR_VERSION, ", ".join(opened), pings))
    for client, trades in (("raw", raw_trades), ("combined", combined_trades)):
        print("ok: %s client: %d aggTrades %d..%d, consecutive through %d filled gaps, equal "
              "to streamvisor's and the simulator's REST rows" % (
                  client, len(trades), trades[0]["a"], trades[-1]["a"], spanned[client]))
    print("ok: in-band answers %s" % got)
    print("ok: depthUpdates raw %d, combined %d (continuity breaks %s, book resyncs %d); "
          "depth() lastUpdateId %d, %d bids, %d asks" % (
              len(raw_depth), len(combined_depth), breaks, resyncs,
              depth["body"]["lastUpdateId"], len(depth["body"]["bids"]),
              len(depth["body"]["asks"])))
    print("ok: aggTrades by fromId in %d pages (%d rows), by startTime/endTime %d rows; "
          "the connector asked %s, %s and %s" % (page, len(mirror), len(windowed["body"]),
                                                 first_url, windowed["url"], depth["url"]))
    print("ok: %d disconnects of %d skipped trades; streaming %.1f s, REST and shutdown %.1f s"
          % (DISCONNECTS, SKIPPED_PER_RECONNECT, t1 - t0, t2 - t1))


def main(streamvisor, sim_binary, cache_dir):
    install_dir = install_connector(cache_dir)
    harness.run_main("sv-npm-connector-",
                     lambda work: run(streamvisor, sim_binary, install_dir, work),
                     (subprocess.SubprocessError,))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print("usage: npm_connector_test.py STREAMVISOR SIM CACHE_DIR")
        sys.exit(2)
    main(*sys.argv[1:])
