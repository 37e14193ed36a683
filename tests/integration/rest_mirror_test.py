#!/usr/bin/env python3
"""rest_mirror_test: the Binance-compatible REST mirror on the API port (issue 10, item
2), GET /api/v3/aggTrades and GET /api/v3/depth, read with Python's own http.client
and compared byte for byte with the simulator's answers to the same questions.

Three simulators and four streamvisors on 127.0.0.1, all ports picked by the kernel:
  clean  BTCUSDT and ETHUSDT, streams aggTrade,depth with --book-symbols BTCUSDT (so
         ETHUSDT has no book); a second streamvisor ("warm") on the same simulator
         starts later with --warmup-s, so its oldest trades came from REST, and keeps
         a BTCUSDT book with --book-snapshot-limit BOOK_LEVELS_SMALL.
  faults the simulator closes the upstream connection DISCONNECTS times (1001) and
         each reconnect first skips SKIPPED trades that only its REST has; it also
         drops depth events (drop-depth:after=50,every=40), so the book resyncs.
  gap    the simulator's REST is down (rest-down): the one skip-on-reconnect gap stays
         open and the book never syncs; streamvisor keeps only HISTORY_SMALL trades.
Checks (the contract is docs/feed.md, "REST mirror"):
  1. aggTrades equals the simulator's body, byte for byte: fromId at several points of
     the held range with several limits (and the default), startTime..endTime windows
     (two-hour ones too: no -1127) and startTime alone, all starting after the oldest
     held trade's T; "most recent" (no bound, with limits) and endTime alone (Binance:
     the most recent up to endTime, down to endTime = the oldest T with limit=1)
     against the simulator's fromId query at streamvisor's first row, always `limit`
     rows: one row more than held up to endTime is code -1. Also the warm
     streamvisor's REST-loaded trades.
  2. After the faults, with every gap filled (gaps_open 0, gaps_filled >= DISCONNECTS,
     one gap_filled log line per gap), the whole held range page by page, and windows
     around each filled gap, equal the simulator's.
  3. Errors: -1102, -1100 (limit=0, limit=abc, limit=1001, fromId=abc, lower-case symbol;
     byte-equal with the simulator's, which answers these too), -1128 (both), -1121
     with the served list, exactly; a two-hour window is not -1127 (the simulator
     answers it 200). "Does not hold" (code -1, msg "streamvisor does not hold ...; ask
     the exchange.") for fromId=0, fromId before the oldest held trade, startTime
     before or at the oldest held T, endTime before it; the most recent 500 and 1000
     while fewer are held (history of at most HISTORY_SMALL); on the open gap: fromId
     inside it, the most recent run and time queries that would cross it with fewer
     rows than limit (exactly as many as held up to it are answered), while from a
     fromId before it the rows up to it are answered.
  4. depth: for several limits up to 5000, streamvisor's body equals the simulator's
     /sim/book at streamvisor's lastUpdateId (the default book_snapshot_limit, 1000,
     holds its whole book); the same again and again while drop-depth and the
     disconnects force resyncs. With --book-snapshot-limit 20, limits 20, 21, 100 and
     5000 are answered (no refusal: the best `limit` levels, all it holds if fewer),
     in price order, each level the simulator's at that lastUpdateId. A 503 -1001
     "(streamvisor: the BTCUSDT book is syncing)" while the book cannot sync; ETHUSDT
     without a depth stream is code -1.
Usage: rest_mirror_test.py STREAMVISOR SIM. Exit 0 on success, 1 on failure.
"""

import bisect
import http.client
import json
import re
import subprocess
import sys
import time

import process_harness as harness

DEADLINE_S = harness.DEADLINE_S
SYMBOLS = ["BTCUSDT", "ETHUSDT"]
RATE = 200  # trades per second per symbol on the clean and faults simulators

# --- faults --------------------------------------------------------------------------
DISCONNECTS = 12
SKIPPED = 25  # trades each reconnect never sees; REST has them
# One shared socket carries 2 x RATE trades and 50 depth events a second: ~0.7 s each.
FRAMES_PER_CONNECTION = 300
DEPTH_INTERVAL_MS = 20  # drop-depth's after=50,every=40 then fire after 1 s, every 0.8 s
RECONNECT_AT_ONCE = ["--backoff-initial-ms", "10", "--backoff-max-ms", "20",
                     "--max-restarts", "100000", "--connect-burst", "50"]
DEPTH_ROUNDS_MIN = 25  # depth answers compared with /sim/book while the book resyncs
RESYNCS_MIN = 3

# --- gap -----------------------------------------------------------------------------
GAP_RATE = 100
GAP_FIRST_FRAMES = 400  # ~3.6 s of trades and depth events before the one disconnect
GAP_SKIPPED = 500
HISTORY_SMALL = 300  # evicts from ~3 s on; the gap stays inside for ~3 s after it opens

# --- what is compared ----------------------------------------------------------------
HELD_MIN = 1200  # trades the clean streamvisor holds per symbol before the comparisons
LIMITS = [None, 1, 7, 100, 1000]  # None: no limit parameter (500)
# None: no limit parameter (100). The default book_snapshot_limit, 1000, holds the
# simulator's whole book (~300 levels a side), so every depth, beyond it too, is its.
DEPTH_LIMITS = [None, 1, 5, 20, 100, 500, 1000, 1001, 5000]
BOOK_LEVELS_SMALL = 20  # the warm streamvisor's --book-snapshot-limit
TWO_HOURS_MS = 2 * 3600 * 1000  # more than Binance's old one-hour bound (-1127)

NOT_HELD_PREFIX = "streamvisor does not hold "
NOT_HELD_SUFFIX = "; ask the exchange."
HELD = re.compile(r"it holds ids (\d+)\.\.(\d+) \(from T=(\d+)\)")
GAP_DETECTED = re.compile(r"backfill (\S+) gap_detected from=(\d+) to=(\d+)")
GAP_FILLED = re.compile(r"backfill (\S+) gap_filled from=(\d+) to=(\d+)")



failure = harness.failure
check = harness.check


def poll(what, fn, deadline_s=DEADLINE_S, procs=None):
    """harness.poll, with a failed check inside fn() counted as not yet."""
    return harness.poll(what, fn, deadline_s, procs, harness.NOT_YET + (failure,))


def raw(port, path):
    """GET path from 127.0.0.1:port with http.client: (status, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def get(port, path):
    code, body = raw(port, path)
    check(code == 200, "GET :%d%s answered %d %s" % (port, path, code, body[:300]))
    return json.loads(body)


def q(symbol, **params):
    """An aggTrades path; a parameter that is None is left out."""
    parts = ["symbol=" + symbol] + ["%s=%s" % (k, v) for k, v in params.items()
                                   if v is not None]
    return "/api/v3/aggTrades?" + "&".join(parts)


def show(body, n=240):
    text = body.decode(errors="replace")
    return text if len(text) <= n else text[:n] + "...(%d bytes)" % len(text)


def first_difference(a, b):
    n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    return "at byte %d: streamvisor ...%s... simulator ...%s..." % (
        n, show(a[max(0, n - 60):n + 60]), show(b[max(0, n - 60):n + 60]))


# --- processes -----------------------------------------------------------------------

class sim(harness.sim_process):
    def stats(self, symbol):
        return self.symbols()[symbol]


class daemon(harness.daemon_process):
    """streamvisor streaming `symbols` from the simulator `source`."""

    def __init__(self, binary, source, work, name, symbols, extra):
        super().__init__(binary, source.port, work, name,
                         ["--symbols", ",".join(symbols)] + extra)

    def held(self, symbol):
        """(oldest id, newest id, oldest T) from the answer to fromId=0, which is below
        anything held: code -1 and "... it holds ids A..B (from T=C); ask the exchange."."""
        code, body = raw(self.port, q(symbol, fromId=0, limit=1))
        obj = json.loads(body)
        check(code == 400 and obj.get("code") == -1, "%s fromId=0 answered %d %s"
              % (self.name, code, show(body)))
        m = HELD.search(obj["msg"])
        check(m is not None, "%s fromId=0: no held range in %r" % (self.name, obj["msg"]))
        return int(m.group(1)), int(m.group(2)), int(m.group(3))

    def depth_child(self, symbol):
        status = get(self.port, "/status")
        return next(c for c in status["children"]
                    if c["symbol"] == symbol and c["stream"] == "depth")


# --- comparisons ---------------------------------------------------------------------

class mirror:
    """Compares one streamvisor's aggTrades answers with its simulator's."""

    def __init__(self, sv, source):
        self.sv = sv
        self.source = source
        self.compared = 0  # queries compared byte for byte
        self.rows = 0  # rows in them

    def rows_of(self, path):
        code, body = raw(self.sv.port, path)
        check(code == 200, "%s %s answered %d %s" % (self.sv.name, path, code, show(body)))
        rows = json.loads(body)
        ids = [r["a"] for r in rows]
        check(ids == list(range(ids[0], ids[0] + len(ids))) if ids else True,
              "%s %s: ids not consecutive: %s" % (self.sv.name, path, ids[:20]))
        return body, rows

    def equal(self, name, sv_body, sim_path):
        code, sim_body = raw(self.source.port, sim_path)
        check(code == 200, "%s %s answered %d %s" % (self.source.name, sim_path, code,
                                                     show(sim_body)))
        check(sv_body == sim_body, "%s: %s answered %d bytes, the simulator's %s %d bytes; %s"
              % (self.sv.name, name, len(sv_body), sim_path, len(sim_body),
                 first_difference(sv_body, sim_body)))
        self.compared += 1
        self.rows += len(json.loads(sv_body))

    def same(self, path, expect_rows=None):
        """streamvisor's answer to `path` equals the simulator's to the same path."""
        body, rows = self.rows_of(path)
        if expect_rows is not None:
            check(len(rows) == expect_rows, "%s %s: %d rows, not %d"
                  % (self.sv.name, path, len(rows), expect_rows))
        self.equal(path, body, path)
        return rows

    def from_id(self, symbol, first, limit):
        """fromId=first: equal to the simulator's; fewer rows than asked only when
        they reach what streamvisor had when it was asked."""
        newest_before = self.sv.metrics(symbol)["last_trade_id"]
        path = q(symbol, fromId=first, limit=limit)
        body, rows = self.rows_of(path)
        want = limit or 500
        check(rows and rows[0]["a"] == first, "%s %s: first row %s"
              % (self.sv.name, path, rows[:1]))
        if len(rows) < want:
            check(rows[-1]["a"] >= newest_before,
                  "%s %s: %d rows up to id %d, but it held up to %d"
                  % (self.sv.name, path, len(rows), rows[-1]["a"], newest_before))
        self.equal(path, body, q(symbol, fromId=first, limit=len(rows)) if len(rows) < want
                   else path)
        return rows

    def most_recent(self, symbol, limit, end_ms=None):
        """No fromId or startTime: streamvisor's most recent run (up to endTime), equal
        to the simulator's rows from its first id; the run ends at the newest trade
        (with T <= endTime) and holds exactly `limit` rows (fewer held: code -1, see
        not_held)."""
        newest_before = self.sv.metrics(symbol)["last_trade_id"]
        path = q(symbol, endTime=end_ms, limit=limit)
        body, rows = self.rows_of(path)
        want = limit or 500
        check(len(rows) == want, "%s %s: %d rows from id %s, not %d"
              % (self.sv.name, path, len(rows), rows[0]["a"] if rows else None, want))
        self.equal(path, body, q(symbol, fromId=rows[0]["a"], limit=len(rows)))
        if end_ms is None:
            check(rows[-1]["a"] >= newest_before, "%s %s: ends at id %d, but it held %d"
                  % (self.sv.name, path, rows[-1]["a"], newest_before))
        else:
            after = get(self.source.port, q(symbol, fromId=rows[-1]["a"] + 1, limit=1))
            check(rows[-1]["T"] <= end_ms and after and after[0]["T"] > end_ms,
                  "%s %s: ends at id %d T=%d; the next trade has T=%s"
                  % (self.sv.name, path, rows[-1]["a"], rows[-1]["T"],
                     after[0]["T"] if after else None))
        return rows


def sim_rows(source, symbol, first, last):
    """The simulator's rows first..last."""
    rows = []
    while first <= last:
        page = get(source.port, q(symbol, fromId=first, limit=min(1000, last - first + 1)))
        check(page and page[0]["a"] == first, "%s has no %s trade %d"
              % (source.name, symbol, first))
        rows += page
        first = page[-1]["a"] + 1
    return rows


def clean_trades(m, symbol):
    """1. fromId, windows and the most recent, equal to the simulator's."""
    sv = m.sv
    oldest, newest, _ = sv.held(symbol)
    check(newest - oldest + 1 >= HELD_MIN // 2, "%s holds %s %d..%d only"
          % (sv.name, symbol, oldest, newest))
    span = newest - oldest
    for first in sorted({oldest, oldest + 1, oldest + span // 4, oldest + span // 2,
                         oldest + 3 * span // 4, newest - 5, newest}):
        for limit in LIMITS:
            m.from_id(symbol, first, limit)
    # fromId past the newest trade held: nothing yet (not an error).
    code, body = raw(sv.port, q(symbol, fromId=newest + 10**6))
    check(code == 200 and body == b"[]", "%s fromId past the newest answered %d %s"
          % (sv.name, code, show(body)))

    rows = sim_rows(m.source, symbol, oldest, newest)
    t = [r["T"] for r in rows]
    n = len(rows)
    # The clean streamvisor evicts nothing during the test: t[0] stays its oldest T.
    # A startTime must be after it (trades of that millisecond may have been evicted).
    after_oldest = bisect.bisect_right(t, t[0])
    windows = [(t[n // 10], t[n // 10 + 40]), (t[n // 3], t[n // 3 + 400]),
               (t[after_oldest], t[-1]), (t[n // 2], t[n // 2]),
               (t[n // 5] + 1, t[n // 5 + 1] - 1)]
    for start, end in windows:
        for limit in (None, 1, 1000):
            m.same(q(symbol, startTime=start, endTime=end, limit=limit))
    # Two hours (Binance's -1127 for more than one is gone), reaching past the newest
    # trade: `limit` rows are held after startTime, so the answer is the simulator's.
    for i, limit in ((after_oldest, 1000), (n // 3, 100)):
        if i + limit < n:
            m.same(q(symbol, startTime=t[i], endTime=t[i] + TWO_HOURS_MS, limit=limit),
                   expect_rows=limit)
    # startTime alone: from there on, while all `limit` rows are held.
    for i, limit in ((after_oldest, 1000), (n // 4, 100), (n // 2, None), (n - 1200, 1000)):
        if i >= after_oldest and i + (limit or 500) < n:
            m.same(q(symbol, startTime=t[i], limit=limit), expect_rows=limit or 500)
    before_oldest = "%s trades before T=%d: it holds ids %d.." % (symbol, t[0], oldest)
    for path in (q(symbol, startTime=t[0]), q(symbol, startTime=t[0], endTime=t[-1]),
                 q(symbol, startTime=t[0], endTime=t[0], limit=1),
                 q(symbol, endTime=t[0] - 1), q(symbol, endTime=t[0] - 1, limit=1)):
        not_held(m.sv.port, path, before_oldest, m.sv.name)
    # Neither fromId nor startTime: the most recent (up to endTime).
    for limit in (None, 1, 10, 1000):
        m.most_recent(symbol, limit)
    for i, limit in ((n // 2, 10), (n // 2, None), (n - 3, 1)):
        m.most_recent(symbol, limit, end_ms=t[i])
    # Up to endTime, exactly as many as held are answered; one more reaches past the
    # oldest trade held: code -1.
    for i in (0, 20):
        held_up_to = bisect.bisect_right(t, t[i])
        m.most_recent(symbol, held_up_to, end_ms=t[i])
        for limit in (held_up_to + 1, 1000):
            not_held(m.sv.port, q(symbol, endTime=t[i], limit=limit), before_oldest,
                     m.sv.name)


def warm_trades(m, symbol):
    """The warm streamvisor's oldest trades came from REST: equal to the simulator's."""
    oldest, newest, _ = m.sv.held(symbol)
    check(oldest == m.source.stats(symbol)["first_id"],
          "%s holds %s from %d, not from the simulator's first trade (warm start)"
          % (m.sv.name, symbol, oldest))
    # "backfill BTCUSDT warmup start_time_ms=.. before_id=<its first live trade>"
    first_live = int(re.search(r"backfill %s warmup \S+ before_id=(\d+)" % symbol,
                               m.sv.text()).group(1))
    check(m.sv.metrics(symbol)["warmup"] == "done", "%s %s: warmup %s"
          % (m.sv.name, symbol, m.sv.metrics(symbol)["warmup"]))
    for first in (oldest, max(oldest, first_live - 500), first_live - 1):
        m.from_id(symbol, first, 1000)
    return first_live - oldest


def after_faults(m, symbol):
    """2. Every page of the held range and a window around each filled gap."""
    oldest, newest, _ = m.sv.held(symbol)
    first = oldest
    pages = 0
    while first <= newest:
        rows = m.from_id(symbol, first, 1000)
        first = rows[-1]["a"] + 1
        pages += 1
    gaps = [(int(lo), int(hi)) for s, lo, hi in GAP_FILLED.findall(m.sv.text()) if s == symbol]
    check(len(gaps) >= DISCONNECTS, "%s logged %d gap_filled lines for %s, not %d"
          % (m.sv.name, len(gaps), symbol, DISCONNECTS))
    for lo, hi in gaps:
        check(oldest < lo and hi < newest, "%s: the filled gap %d..%d is outside %d..%d"
              % (m.sv.name, lo, hi, oldest, newest))
        m.from_id(symbol, lo, hi - lo + 1)
        m.from_id(symbol, lo - 3, None)
        around = sim_rows(m.source, symbol, lo - 3, hi + 3)
        m.same(q(symbol, startTime=around[0]["T"], endTime=around[-1]["T"], limit=1000))
        m.same(q(symbol, startTime=around[3]["T"], endTime=around[3]["T"], limit=1000))
    return pages, len(gaps)


# --- errors --------------------------------------------------------------------------

def error_is(port, path, status, want, name):
    code, body = raw(port, path)
    check(code == status and body == want.encode(),
          "%s %s answered %d %s; expected %d %s" % (name, path, code, show(body), status, want))


def ids_of(port, path):
    """(status, the ids of the rows) or (status, the body) if not 200."""
    code, body = raw(port, path)
    return code, ([r["a"] for r in json.loads(body)] if code == 200 else show(body))


def not_held(port, path, msg_start, name):
    """HTTP 400, code -1, msg "streamvisor does not hold <msg_start>...; ask the exchange."."""
    code, body = raw(port, path)
    obj = json.loads(body)
    ok = (code == 400 and isinstance(obj, dict) and list(obj) == ["code", "msg"]
          and obj["code"] == -1 and obj["msg"].startswith(NOT_HELD_PREFIX + msg_start)
          and obj["msg"].endswith(NOT_HELD_SUFFIX))
    check(ok, "%s %s answered %d %s; expected 400 {\"code\":-1,\"msg\":\"%s%s...%s\"}"
          % (name, path, code, show(body), NOT_HELD_PREFIX, msg_start, NOT_HELD_SUFFIX))
    return obj["msg"]


def errors(sv, source):
    """3. Binance's errors: exact where Binance's text is fixed; the simulator answers
    the parameter errors too, byte for byte the same."""
    served = "Invalid symbol. streamvisor serves: " + ", ".join(SYMBOLS) + "."
    bad_params = [
        ("/api/v3/aggTrades", "-1102"), ("/api/v3/aggTrades?symbol=", "-1102"),
        ("/api/v3/aggTrades?limit=5", "-1102"),
        (q("BTCUSDT", limit=0), "1..1000"), (q("BTCUSDT", limit="abc"), "regex"),
        (q("BTCUSDT", limit=1001), "1..1000"), (q("BTCUSDT", fromId="abc"), "regex"),
        (q("BTCUSDT", startTime="-5"), "regex"), (q("btcusdt"), "symbol"),
        ("/api/v3/depth", "-1102"), ("/api/v3/depth?symbol=BTCUSDT&limit=0", "1..5000"),
        ("/api/v3/depth?symbol=BTCUSDT&limit=5001", "1..5000"),
        ("/api/v3/depth?symbol=BTCUSDT&limit=x", "regex"),
    ]
    texts = {
        "-1102": '{"code":-1102,"msg":"Mandatory parameter \'symbol\' was not sent, was '
                 'empty/null, or malformed."}',
        "symbol": '{"code":-1100,"msg":"Illegal characters found in parameter \'symbol\'; '
                  'legal range is \'^[A-Z0-9-_.]{1,20}$\'."}',
    }
    for path, kind in bad_params:
        if kind in texts:
            want = texts[kind]
        else:
            name = re.search(r"[?&](limit|fromId|startTime)=[^&]*$", path).group(1)
            rng = "^[0-9]{1,20}$" if kind == "regex" else kind
            want = ('{"code":-1100,"msg":"Illegal characters found in parameter \'%s\'; '
                    'legal range is \'%s\'."}' % (name, rng))
        error_is(sv.port, path, 400, want, sv.name)
        error_is(source.port, path, 400, want, source.name)
    combo = '{"code":-1128,"msg":"Combination of optional parameters invalid."}'
    now = sv.metrics("BTCUSDT")["last_trade_time"]
    for path in (q("BTCUSDT", fromId=1, startTime=now), q("BTCUSDT", fromId=1, endTime=now)):
        error_is(sv.port, path, 400, combo, sv.name)
        error_is(source.port, path, 400, combo, source.name)
    # No -1127: two hours back reach before the oldest trade held, so not held; the
    # simulator, which holds them, answers.
    two_hours = q("BTCUSDT", startTime=now - TWO_HOURS_MS, endTime=now, limit=5)
    not_held(sv.port, two_hours, "BTCUSDT trades before T=", sv.name)
    code, body = raw(source.port, two_hours)
    check(code == 200 and len(json.loads(body)) == 5, "%s %s answered %d %s"
          % (source.name, two_hours, code, show(body)))
    for path in (q("XRPUSDT"), q("XRPUSDT", fromId=5, limit=3),
                 "/api/v3/depth?symbol=XRPUSDT", "/api/v3/depth?symbol=XRPUSDT&limit=5"):
        error_is(sv.port, path, 400, '{"code":-1121,"msg":"%s"}' % served, sv.name)
    oldest, newest, oldest_ms = sv.held("BTCUSDT")
    not_held(sv.port, q("BTCUSDT", fromId=0), "BTCUSDT trades before id %d: it holds ids "
             "%d.." % (oldest, oldest), sv.name)
    not_held(sv.port, q("BTCUSDT", startTime=oldest_ms - 1, endTime=oldest_ms + 1000),
             "BTCUSDT trades before T=%d" % oldest_ms, sv.name)
    not_held(sv.port, "/api/v3/depth?symbol=ETHUSDT&limit=5", "an order book of ETHUSDT",
             sv.name)
    return len(bad_params) + 13


def gap_errors(sv):
    """3. What the history does not hold, on the streamvisor whose gap stays open and
    whose history keeps HISTORY_SMALL trades."""
    # Before the gap opens (~3.6 s): fewer trades held than the default 500 or 1000.
    poll("%s: 20 trades held" % sv.name, lambda: sv.metrics("BTCUSDT")["trades"] >= 20,
         procs={sv.name: sv.proc})
    check(GAP_DETECTED.search(sv.text()) is None, "%s: the gap opened before the first "
          "checks" % sv.name)
    for limit in (None, 1000):
        not_held(sv.port, q("BTCUSDT", limit=limit), "BTCUSDT trades before T=", sv.name)
    code, ids = ids_of(sv.port, q("BTCUSDT", limit=1))
    check(code == 200 and len(ids) == 1, "%s: the most recent trade answered %d %s"
          % (sv.name, code, ids))
    m = poll("%s's gap_detected" % sv.name, lambda: GAP_DETECTED.search(sv.text()),
             procs={sv.name: sv.proc})
    lo, hi = int(m.group(2)), int(m.group(3))
    # The skipped trades, and those emitted while streamvisor reconnected.
    check(hi - lo + 1 >= GAP_SKIPPED, "%s: gap %d..%d, the simulator skipped %d"
          % (sv.name, lo, hi, GAP_SKIPPED))
    poll("%s: a trade after the gap" % sv.name,
         lambda: sv.metrics("BTCUSDT")["last_trade_id"] > hi + 5)
    oldest, newest, oldest_ms = sv.held("BTCUSDT")
    metrics = sv.metrics("BTCUSDT")
    check(metrics["gaps_open"] == 1 and oldest > metrics["first_trade_id"] and oldest < lo,
          "%s: expected one open gap %d..%d inside a history already evicting: held "
          "%d..%d, first %d, gaps_open %d" % (sv.name, lo, hi, oldest, newest,
                                              metrics["first_trade_id"], metrics["gaps_open"]))
    for gap_id in (lo, lo + 1, (lo + hi) // 2, hi):
        for limit in (None, 1, 1000):
            not_held(sv.port, q("BTCUSDT", fromId=gap_id, limit=limit),
                     "BTCUSDT trade id %d (" % gap_id, sv.name)
    # The history moves on meanwhile: the oldest id and T in the message may be later.
    not_held(sv.port, q("BTCUSDT", fromId=oldest - 1), "BTCUSDT trades before id ", sv.name)
    not_held(sv.port, q("BTCUSDT", fromId=metrics["first_trade_id"]),
             "BTCUSDT trades before id ", sv.name)
    not_held(sv.port, q("BTCUSDT", startTime=oldest_ms - 1), "BTCUSDT trades before T=",
             sv.name)
    # From a fromId before the gap the rows stop before it (the exchange's first rows;
    # the next page, from the gap's first id, is refused above).
    code, ids = ids_of(sv.port, q("BTCUSDT", fromId=lo - 5, limit=1000))
    check(ids == list(range(lo - 5, lo)), "%s fromId=%d (5 before the gap %d..%d) answered "
          "%d %s" % (sv.name, lo - 5, lo, hi, code, ids))
    # The most recent run (up to endTime) would cross the gap: code -1, unless `limit`
    # rows are held after it.
    crossed_back = "BTCUSDT trade id %d (" % hi
    for limit in (None, 1000):
        not_held(sv.port, q("BTCUSDT", limit=limit), crossed_back, sv.name)
    after = get(sv.port, q("BTCUSDT", fromId=hi + 1, limit=10))
    end_ms = after[2]["T"]
    run = sum(1 for r in after if r["T"] <= end_ms)
    check(run < len(after), "%s: trades %d.. all at T=%d" % (sv.name, hi + 1, end_ms))
    code, ids = ids_of(sv.port, q("BTCUSDT", endTime=end_ms, limit=run))
    check(code == 200 and ids == list(range(hi + 1, hi + 1 + run)), "%s endTime=%d limit=%d "
          "(the %d trades after the gap %d..%d) answered %d %s"
          % (sv.name, end_ms, run, run, lo, hi, code, ids))
    not_held(sv.port, q("BTCUSDT", endTime=end_ms, limit=run + 1), crossed_back, sv.name)
    # A time query that would cross it: code -1, unless it ends `limit` rows before it.
    t_before = get(sv.port, q("BTCUSDT", fromId=lo - 3, limit=1))[0]["T"]
    check(t_before > oldest_ms, "%s: T=%d of id %d is not after the oldest held, T=%d"
          % (sv.name, t_before, lo - 3, oldest_ms))
    first = get(sv.port, q("BTCUSDT", startTime=t_before, limit=1))[0]["a"]
    code, ids = ids_of(sv.port, q("BTCUSDT", startTime=t_before, limit=lo - first))
    check(code == 200 and ids == list(range(first, lo)), "%s startTime=%d limit=%d (the "
          "trades %d..%d before the gap %d..%d) answered %d %s"
          % (sv.name, t_before, lo - first, first, lo - 1, lo, hi, code, ids))
    crossed = "BTCUSDT trade id %d (" % lo
    for path in (q("BTCUSDT", startTime=t_before, limit=lo - first + 1),
                 q("BTCUSDT", startTime=t_before, limit=1000),
                 q("BTCUSDT", startTime=t_before, endTime=end_ms)):
        not_held(sv.port, path, crossed, sv.name)
    # Its book never syncs: REST is down.
    syncing = ('{"code":-1001,"msg":"Internal error; unable to process your request. Please '
               'try again. (streamvisor: the BTCUSDT book is syncing)"}')
    for path in ("/api/v3/depth?symbol=BTCUSDT", "/api/v3/depth?symbol=BTCUSDT&limit=5"):
        error_is(sv.port, path, 503, syncing, sv.name)
    return lo, hi, oldest


# --- depth ---------------------------------------------------------------------------

def depth_equal(sv, source, limit, name):
    """streamvisor's /api/v3/depth equals /sim/book at its lastUpdateId. Returns the
    lastUpdateId, or None if streamvisor answered 503 (book not synced: checked)."""
    path = "/api/v3/depth?symbol=BTCUSDT" + ("" if limit is None else "&limit=%d" % limit)
    code, body = raw(sv.port, path)
    if code == 503:
        check(re.fullmatch(rb'\{"code":-1001,"msg":"Internal error; unable to process your '
                           rb'request\. Please try again\. \(streamvisor: the BTCUSDT book '
                           rb'is (waiting|syncing)\)"\}', body) is not None,
              "%s %s answered 503 %s" % (sv.name, path, show(body)))
        return None
    check(code == 200, "%s %s answered %d %s" % (sv.name, path, code, show(body)))
    book = json.loads(body)
    check(list(book) == ["lastUpdateId", "bids", "asks"] and book["bids"] and book["asks"]
          and len(book["bids"]) <= (limit or 100) and len(book["asks"]) <= (limit or 100),
          "%s %s: %s" % (sv.name, path, show(body)))
    last = book["lastUpdateId"]
    sim_path = "/sim/book?symbol=BTCUSDT&limit=%d&update_id=%d" % (limit or 100, last)
    code, sim_body = raw(source.port, sim_path)
    check(code == 200 and body == sim_body, "%s: %s %s answered %d bytes; the simulator's "
          "%s %d %d bytes; %s" % (name, sv.name, path, len(body), sim_path, code,
                                  len(sim_body), first_difference(body, sim_body)))
    return last


def clean_depth(sv, source):
    poll("%s's BTCUSDT book synced" % sv.name,
         lambda: sv.depth_child("BTCUSDT")["book"] == "synced")
    ids = set()
    for limit in DEPTH_LIMITS:
        last = depth_equal(sv, source, limit, "clean depth")
        check(last is not None, "%s answered 503 with its book synced" % sv.name)
        ids.add(last)
    return len(DEPTH_LIMITS), len(ids)


def small_book(sv, source):
    """4. With --book-snapshot-limit BOOK_LEVELS_SMALL, depth answers any limit, deeper
    than the snapshot too: the best `limit` levels of the book (all it holds if fewer),
    each of them the simulator's level at that lastUpdateId (a book that knows only
    its snapshot's levels and those diffs touched can lack deep levels, never have a
    wrong one). Returns the levels per side answered to limit=5000 and the
    simulator's."""
    poll("%s's BTCUSDT book synced" % sv.name,
         lambda: sv.depth_child("BTCUSDT")["book"] == "synced")
    for limit in (BOOK_LEVELS_SMALL, BOOK_LEVELS_SMALL + 1, None, 5000):
        path = "/api/v3/depth?symbol=BTCUSDT" + ("" if limit is None else "&limit=%d" % limit)
        book = get(sv.port, path)
        sim_path = "/sim/book?symbol=BTCUSDT&limit=5000&update_id=%d" % book["lastUpdateId"]
        full = get(source.port, sim_path)
        for side, better in (("bids", lambda a, b: a > b), ("asks", lambda a, b: a < b)):
            levels = book[side]
            prices = [float(p) for p, _ in levels]
            check(list(book) == ["lastUpdateId", "bids", "asks"] and levels
                  and len(levels) <= (limit or 100)
                  and all(better(a, b) for a, b in zip(prices, prices[1:])),
                  "%s %s: %s %s" % (sv.name, path, side, levels[:5]))
            known = dict(map(tuple, full[side]))
            wrong = [lv for lv in levels if known.get(lv[0]) != lv[1]]
            check(not wrong, "%s %s: %s levels not the simulator's at lastUpdateId %d (%s): "
                  "%s" % (sv.name, path, side, book["lastUpdateId"], sim_path, wrong[:5]))
    return ({side: len(book[side]) for side in ("bids", "asks")},
            {side: len(full[side]) for side in ("bids", "asks")})


def depth_through_resyncs(sv, source):
    """4. Depth answers equal /sim/book while drop-depth and the disconnects make the
    book resync."""
    resyncs_at_start = sv.depth_child("BTCUSDT")["resyncs"]
    equal = unavailable = 0
    ids = set()
    deadline = time.monotonic() + DEADLINE_S
    i = 0
    while True:
        child = sv.depth_child("BTCUSDT")
        if equal >= DEPTH_ROUNDS_MIN and child["resyncs"] - resyncs_at_start >= RESYNCS_MIN:
            break
        check(time.monotonic() < deadline, "%s: %d equal depth answers, %d resyncs in %d s"
              % (sv.name, equal, child["resyncs"] - resyncs_at_start, DEADLINE_S))
        last = depth_equal(sv, source, DEPTH_LIMITS[i % len(DEPTH_LIMITS)],
                           "depth through resyncs")
        i += 1
        if last is None:
            unavailable += 1
        else:
            equal += 1
            ids.add(last)
        time.sleep(0.05)
    return equal, unavailable, child["resyncs"] - resyncs_at_start, len(ids)


# --- the run -------------------------------------------------------------------------

def run(streamvisor, sim_binary, work):
    t0 = time.monotonic()
    gap_sim = sim(sim_binary, work, "sim-gap", [
        "--rate", str(GAP_RATE), "--symbols", "BTCUSDT",
        "--fault", "close-after:frames=%d,code=1001,connections=1" % GAP_FIRST_FRAMES,
        "--fault", "skip-on-reconnect:trades=%d,connections=1" % GAP_SKIPPED,
        "--fault", "rest-down"])
    gap_sv = daemon(streamvisor, gap_sim, work, "streamvisor-gap", ["BTCUSDT"], [
        "--streams", "aggTrade,depth", "--warmup-s", "0",
        "--history-trades", str(HISTORY_SMALL)] + RECONNECT_AT_ONCE)
    faulty = sim(sim_binary, work, "sim-faults", [
        "--rate", str(RATE), "--symbols", ",".join(SYMBOLS),
        "--depth-interval-ms", str(DEPTH_INTERVAL_MS),
        "--fault", "close-after:frames=%d,code=1001,connections=%d"
        % (FRAMES_PER_CONNECTION, DISCONNECTS),
        "--fault", "skip-on-reconnect:trades=%d,connections=%d" % (SKIPPED, DISCONNECTS),
        "--fault", "drop-depth:after=50,every=40"])
    faulty_sv = daemon(streamvisor, faulty, work, "streamvisor-faults", SYMBOLS, [
        "--streams", "aggTrade,depth", "--warmup-s", "0"] + RECONNECT_AT_ONCE)
    clean = sim(sim_binary, work, "sim-clean", ["--rate", str(RATE),
                                                "--symbols", ",".join(SYMBOLS)])
    clean_sv = daemon(streamvisor, clean, work, "streamvisor-clean", SYMBOLS, [
        "--streams", "aggTrade,depth", "--book-symbols", "BTCUSDT", "--warmup-s", "0"])

    # 3. the gap's window is short: first.
    lo, hi, gap_oldest = gap_errors(gap_sv)
    gap_sv.stop()
    gap_sim.stop()
    t1 = time.monotonic()

    # The warm streamvisor starts once the clean simulator has trades to warm from.
    poll("the clean simulator's first 600 trades",
         lambda: all(clean.stats(s)["emitted"] >= 600 for s in SYMBOLS))
    warm_sv = daemon(streamvisor, clean, work, "streamvisor-warm", SYMBOLS, [
        "--streams", "aggTrade,depth", "--book-symbols", "BTCUSDT", "--warmup-s", "60",
        "--book-snapshot-limit", str(BOOK_LEVELS_SMALL)])

    # 4. depth while the faulty simulator drops events and closes connections.
    depth_rounds, depth_503, resyncs, depth_ids = depth_through_resyncs(faulty_sv, faulty)
    t2 = time.monotonic()

    # 3. errors, 4. clean depth, 1. clean aggTrades.
    error_count = errors(clean_sv, clean)
    clean_depths, clean_ids = clean_depth(clean_sv, clean)
    poll("%d trades held per symbol" % HELD_MIN,
         lambda: all(clean_sv.metrics(s)["trades"] >= HELD_MIN for s in SYMBOLS))
    clean_m = mirror(clean_sv, clean)
    for s in SYMBOLS:
        clean_trades(clean_m, s)
    warm_m = mirror(warm_sv, clean)
    poll("%s's warm start" % warm_sv.name,
         lambda: all(warm_sv.metrics(s)["warmup"] == "done" for s in SYMBOLS))
    warmed = {s: warm_trades(warm_m, s) for s in SYMBOLS}
    check(all(n > 0 for n in warmed.values()), "%s warmed no trade: %s"
          % (warm_sv.name, warmed))
    small_levels = small_book(warm_sv, clean)
    t3 = time.monotonic()

    # 2. after the faults, with every gap filled.
    poll("the simulator's %d disconnects" % DISCONNECTS,
         lambda: all(faulty.stats(s)["connections_total"] >= DISCONNECTS + 1
                     for s in SYMBOLS))
    for s in SYMBOLS:
        check(faulty.stats(s)["skipped_on_reconnect"] == DISCONNECTS * SKIPPED,
              "the simulator skipped %d %s trades, not %d"
              % (faulty.stats(s)["skipped_on_reconnect"], s, DISCONNECTS * SKIPPED))
    poll("every gap filled", lambda: all(
        faulty_sv.metrics(s)["gaps_open"] == 0
        and faulty_sv.metrics(s)["gaps_filled"] >= DISCONNECTS for s in SYMBOLS))
    faulty_m = mirror(faulty_sv, faulty)
    fault_pages = {s: after_faults(faulty_m, s) for s in SYMBOLS}
    t4 = time.monotonic()

    for d in (clean_sv, warm_sv, faulty_sv):
        d.stop()
    for s in (clean, faulty):
        s.stop()

    print("ok: gap %d..%d open, history from %d: fromId in it, before the oldest id, "
          "startTime before the oldest trade, the most recent and time queries across it "
          "(and, before it, the most recent 500 and 1000 of fewer held) answer code -1 "
          "\"%s...\"; rows from a fromId before it stop there; depth 503 -1001 while "
          "syncing (%.1f s)" % (lo, hi, gap_oldest, NOT_HELD_PREFIX, t1 - t0))
    print("ok: %d depth answers equal /sim/book (%d lastUpdateIds) through %d resyncs, %d "
          "answered 503 while syncing (%.1f s)" % (depth_rounds, depth_ids, resyncs,
                                                   depth_503, t2 - t1))
    print("ok: %d error answers exact; %d depth limits equal /sim/book; with "
          "--book-snapshot-limit %d every level answered is the simulator's (limit=5000: "
          "%s of %s); %d aggTrades queries (%d rows, two-hour windows too) byte-equal to "
          "the simulator's, the warm streamvisor's REST-loaded trades (%s) too (%.1f s)"
          % (error_count, clean_depths, BOOK_LEVELS_SMALL, small_levels[0], small_levels[1],
             clean_m.compared + warm_m.compared,
             clean_m.rows + warm_m.rows, warmed, t3 - t2))
    print("ok: after %d disconnects skipping %d trades each: %d queries (%d rows) byte-equal, "
          "pages and filled gaps per symbol %s (%.1f s)"
          % (DISCONNECTS, SKIPPED, faulty_m.compared, faulty_m.rows, fault_pages, t4 - t3))
    print("total %.1f s" % (time.monotonic() - t0))


def main(streamvisor, sim_binary):
    harness.run_main("sv-rest-mirror-", lambda work: run(streamvisor, sim_binary, work),
                     (ValueError, KeyError, IndexError, subprocess.TimeoutExpired))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: rest_mirror_test.py STREAMVISOR SIM")
        sys.exit(2)
    main(*sys.argv[1:])
