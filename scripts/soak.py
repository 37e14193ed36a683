#!/usr/bin/env python3
"""soak.py: streamvisor against streamvisor-sim for a long run under a steady fault schedule.

Not part of CI (issue 13, item 8). Starts streamvisor-sim and streamvisor on 127.0.0.1
(TLS by default, with a throwaway certificate made by the openssl CLI), streams
--rate messages per second (aggTrade for every symbol, depth for part of them) over
--symbols symbols for --duration-s seconds while the simulator injects a fault about
every --fault-every-s seconds, drawn from every simulator fault mode. Then it checks,
per symbol, that every trade id the simulator produced is held exactly once, stops
streamvisor with SIGTERM and writes a JSON report and a human summary.

Usage:
  scripts/soak.py                                  # one hour, 100 symbols, 20,000 msgs/s
  scripts/soak.py --duration-s 180 --out /tmp/soak/report.json
  scripts/soak.py --bin-dir /tmp/soak-bin --seed 7 --no-tls

Options (defaults in brackets): --duration-s [3600] --symbols [100] --rate [20000,
messages/s over all streams] --fault-every-s [5] --seed [1] --bin-dir
[build/ci/app; streamvisor-sim is looked up there and in its sim/] --tls/--no-tls
[TLS] --settle-s [120: no new fault is scheduled in the last settle-s seconds, so the
final check sees recovered streams] --history-trades [100000] --work-dir [a new dir
next to --out] --out [soak-report.json].

How faults repeat. The simulator takes its faults at start (--fault, repeatable) and
has no runtime control, so the whole schedule is laid out before launch, without
restarting the simulator (a restart would break the trade sequence):
  * Stream faults are chains: a symbol's n-th stream connection gets the n-th
    `--fault MODE:symbol=S,connections=1,...` given for S (the first spec that still
    matches wins; connections=1 spends it). A "timed" fault acts after frames=F frames
    (reset-after, close-after, silent-after, server-shutdown-after), so F / rate sets
    when it strikes; the reconnect then takes an "immediate" fault (reject,
    no-first-frame, no-pong:silent=1, no-pong, and with --no-tls hang-upgrade), and the
    reconnect after that the next timed fault. Lanes (each symbol's aggTrade
    connection, and its depth connection where it has one) are phase-shifted so that
    pairs strike evenly over the run; some lanes end in malformed-every:k=K, which
    keeps sending a truncated frame every K frames until the end.
  * skip-on-reconnect:symbol=S,trades=G: every reconnect of S's trade stream skips G
    trades (an id gap streamvisor must backfill from REST).
  * drop-depth:symbol=S,after=A,every=K for each depth symbol: a lost depth event
    about every K / depth-rate seconds, phase-shifted per symbol.
  * rest-429 and rest-down (count=1, symbol=S) for aggTrade-only symbols: the first
    REST request of S is its first gap backfill (warm-up is off), so they strike at
    S's first reconnect, spread over the run.
  * stall-tls and hang-upgrade over TLS can only be unscoped (decided at accept,
    before the path is known), with connections=N meaning "the first N accepted TCP
    connections": they strike only at start (see docs/testing.md).
What actually fired is read from the simulator's /sim/stats every sample.

Checks. Every ~10 s a sample: RSS, fds and CPU of both processes, /status (states,
restarts), /sim/stats. Between samples each symbol's newest trades are paged from
/symbols/<S>/trades?limit=L and every id seen is marked; a hole older than the page is
re-read with a deeper page (up to the history bound) until backfill fills it or the
history evicts it. At the end: lost = ids between the first trade streamvisor got and
its last one never seen (split into ones streamvisor reports as open gaps and silent
ones), repeated = an id twice (or out of order) in one page, plus the simulator's last
id per symbol against streamvisor's. A sample of the newest trades is compared field
by field with the simulator's REST /api/v3/aggTrades after streamvisor stopped.
"""

import argparse
import datetime
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    ts = datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S")
    print(f"[soak {ts}] {msg}", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_certificate(work):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", f"{work}/key.pem", "-out", f"{work}/cert.pem", "-days", "2",
         "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Http:
    """A keep-alive HTTP(S) client to one loopback port."""

    def __init__(self, port, tls=False, ca=None, timeout=30):
        self.port, self.tls, self.ca, self.timeout = port, tls, ca, timeout
        self.conn = None

    def _connect(self):
        if self.tls:
            import ssl
            ctx = ssl.create_default_context(cafile=self.ca)
            self.conn = http.client.HTTPSConnection(
                "localhost", self.port, timeout=self.timeout, context=ctx)
        else:
            self.conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=self.timeout)

    def get(self, target):
        for attempt in range(2):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request("GET", target)
                r = self.conn.getresponse()
                body = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, body
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")

    def get_json(self, target):
        status, body = self.get(target)
        return status, json.loads(body) if body else None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def proc_sample(pid):
    """RSS (kB), open fds and CPU seconds of `pid`, or None if it is gone."""
    try:
        rss = 0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
        threads = int(fields[17])
        return {"rss_kb": rss, "fds": fds, "cpu_s": cpu, "threads": threads}
    except (FileNotFoundError, ProcessLookupError):
        return None


# ---------------------------------------------------------------- fault schedule

TIMED = ["reset-after", "close-after", "silent-after", "server-shutdown-after"]
CLOSE_CODES = [1001, 1011, 4000]
REJECTS = [(429, 2), (503, 1), (418, 3)]
PLACEHOLDER_K = 1 << 40  # the largest k: a period no connection reaches


def immediate_modes(tls):
    modes = ["reject", "no-first-frame", "no-pong-silent", "no-pong"]
    if not tls:
        modes.append("hang-upgrade")  # scoped hang-upgrade needs the plain-ws peek
    return modes


def timed_spec(mode, sym, frames, p):
    if mode == "close-after":
        code = CLOSE_CODES[p % len(CLOSE_CODES)]
        return f"close-after:symbol={sym},connections=1,frames={frames},code={code}"
    if mode == "server-shutdown-after":
        return (f"server-shutdown-after:symbol={sym},connections=1,frames={frames},"
                f"grace_ms=2000")
    return f"{mode}:symbol={sym},connections=1,frames={frames}"


def immediate_spec(mode, sym, p):
    if mode == "reject":
        status, retry = REJECTS[p % len(REJECTS)]
        return f"reject:symbol={sym},connections=1,status={status},retry_after={retry}"
    if mode == "no-pong-silent":
        return f"no-pong:symbol={sym},connections=1,silent=1"
    return f"{mode}:symbol={sym},connections=1"


def build_schedule(a, symbols, depth_symbols, q):
    """The --fault options and the planned strike times. `q` = frames/s per stream."""
    lanes = []  # (symbol, lane index within symbol)
    for s in symbols:
        lanes.append((s, 0))
    for s in depth_symbols:
        lanes.append((s, 1))
    n_lanes = len(lanes)
    n_depth = len(depth_symbols)
    window = a.duration_s - a.settle_s
    # Budget: one fault per fault_every_s. A lane's pair (timed + immediate) is two;
    # drop-depth takes a sixth of the budget when there are depth streams.
    lane_share = 5.0 / 6.0 if n_depth else 1.0
    pair_period = n_lanes * 2 * a.fault_every_s / lane_share
    drop_period = n_depth * a.fault_every_s * 6.0 if n_depth else 0
    imm = immediate_modes(a.tls)
    chains = {s: [] for s in symbols}
    depth_set = set(depth_symbols)
    planned = []  # (time_s, mode)
    # Lane j's m-th pair strikes at phase_j + m * pair_period; the symbol's lanes are
    # consumed in strike order, so a symbol's chain is its lanes' pairs merged by time.
    events = {s: [] for s in symbols}
    malformed_lanes = {j for j in range(n_lanes) if j % 10 == 7}
    for j, (s, lane) in enumerate(lanes):
        # Interleave lanes so neighbours in time are different symbols.
        phase = (j + 0.5) * pair_period / n_lanes + 15.0  # +15 s: start-up pacing
        m = 0
        while True:
            t = phase + m * pair_period
            if t >= window:
                break
            p = m * n_lanes + j
            events[s].append((t, lane, p, m))
            m += 1
    for s in symbols:
        evs = sorted(events[s])
        timed = {}   # event -> its timed spec
        imms = {}    # event -> its immediate spec
        lane_last = {}
        done = set()
        for e in evs:
            t, lane, p, m = e
            if lane in done:
                continue
            tm = TIMED[p % len(TIMED)]
            im = imm[(p + p // len(TIMED)) % len(imm)]
            start = lane_last.get(lane, 0.0)
            timed[e] = timed_spec(tm, s, max(1, int((t - start) * q)), p)
            last_of_lane = not any(x[1] == lane and x[0] > t for x in evs)
            if lanes.index((s, lane)) in malformed_lanes and last_of_lane:
                imms[e] = f"malformed-every:symbol={s},connections=1,k={a.malformed_k}"
                im = "malformed-every"
                done.add(lane)
            else:
                imms[e] = immediate_spec(im, s, p)
            planned.append((t, tm))
            planned.append((t + 1, im))
            # The lane's next connection starts about when the immediate fault is
            # over (a few seconds on average).
            lane_last[lane] = t + 10.0
        # The symbol's first connections (one per lane) take the lanes' first timed
        # specs; each strike's reconnect then takes that strike's immediate spec,
        # and the reconnect after it the lane's next timed spec.
        kept = [e for e in evs if e in timed]
        chain = []
        for lane in (0, 1) if s in depth_set else (0,):
            first = next((e for e in kept if e[1] == lane), None)
            # A lane with no strike in the run still takes one spec at its first
            # connection (the arrival order of a symbol's two streams is unknown):
            # a malformed-every whose period is never reached.
            chain.append(timed[first] if first else
                         f"malformed-every:symbol={s},connections=1,k={PLACEHOLDER_K}")
        for i, e in enumerate(kept):
            chain.append(imms[e])
            nxt = next((x for x in kept[i + 1:] if x[1] == e[1]), None)
            if nxt is not None:
                chain.append(timed[nxt])
        chains[s] = chain
    faults = []
    # Unscoped connection-level faults: the first accepted connections only.
    faults.append("stall-tls:connections=2")
    if a.tls:
        faults.append("hang-upgrade:connections=2")
    planned.append((0.0, "stall-tls"))
    planned.append((0.0, "hang-upgrade"))
    for s in symbols:
        faults.extend(chains[s])
    for i, s in enumerate(symbols):
        faults.append(
            f"skip-on-reconnect:symbol={s},trades={a.skip_trades_min + (i * 37) % 400}")
    for s in symbols:
        if s not in depth_set:
            faults.append(f"rest-429:symbol={s},count=1,retry_after=1")
            faults.append(f"rest-down:symbol={s},count=1")
    for d, s in enumerate(depth_symbols):
        phase = (d + 0.5) * drop_period / n_depth
        faults.append(f"drop-depth:symbol={s},after={int(phase * q)},"
                      f"every={int(drop_period * q)}")
        t = phase
        while t < a.duration_s:
            planned.append((t, "drop-depth"))
            t += drop_period
    return faults, sorted(planned), {
        "pair_period_s": pair_period, "drop_period_s": drop_period,
        "lanes": n_lanes, "malformed_lanes": len(malformed_lanes),
        "immediate_modes": imm, "timed_modes": TIMED}


def fault_mode_of(text):
    mode = text.split(":", 1)[0]
    if mode == "no-pong" and "silent=1" in text:
        return "no-pong:silent=1"
    if mode == "malformed-every" and text.endswith(f"k={PLACEHOLDER_K}"):
        return "placeholder (never strikes)"
    return mode


# ---------------------------------------------------------------- trade checking

class SymbolCheck:
    """Ids of one symbol seen in streamvisor's history, as a bitmap over id - base."""

    def __init__(self, base):
        self.base = base
        self.bits = bytearray()
        self.first = None       # lowest id ever seen
        self.last = None        # highest id ever seen
        self.contig = None      # every id in first..contig was seen
        self.repeated = 0       # ids seen twice (or out of order) in one page
        self.repeated_examples = []
        self.evicted_holes = []  # [lo, hi] holes that left the history unseen
        self.polls = 0
        self.deep_polls = 0
        self.last_deep = 0.0

    def _set(self, i):
        off = i - self.base
        if off < 0:
            return
        byte = off >> 3
        if byte >= len(self.bits):
            self.bits.extend(b"\0" * (byte - len(self.bits) + 65536))
        self.bits[byte] |= 1 << (off & 7)

    def seen(self, i):
        off = i - self.base
        if off < 0:
            return False
        byte = off >> 3
        return byte < len(self.bits) and bool(self.bits[byte] & (1 << (off & 7)))

    def add_page(self, ids):
        self.polls += 1
        prev = None
        for i in ids:
            if prev is not None and i <= prev:
                self.repeated += 1
                if len(self.repeated_examples) < 5:
                    self.repeated_examples.append([prev, i])
            prev = i
            self._set(i)
        if ids:
            lo, hi = ids[0], ids[-1]
            if self.first is None or lo < self.first:
                self.first = lo
                if self.contig is None:
                    self.contig = lo
            if self.last is None or hi > self.last:
                self.last = hi
        self.advance()

    def advance(self):
        if self.contig is None:
            return
        while self.contig < self.last and self.seen(self.contig + 1):
            self.contig += 1

    def skip_evicted(self, oldest_retained):
        """Holes below the oldest retained id can no longer be filled: record them."""
        if self.contig is None:
            return
        while self.contig + 1 < oldest_retained:
            lo = self.contig + 1
            hi = lo
            while hi + 1 < oldest_retained and not self.seen(hi + 1):
                hi += 1
            self.evicted_holes.append([lo, hi])
            self.contig = hi
            self.advance()

    def holes(self, hi_bound=None):
        """Missing [lo, hi] ranges in first..min(last, hi_bound)."""
        out = []
        if self.first is None:
            return out
        top = self.last if hi_bound is None else min(self.last, hi_bound)
        i = self.first
        while i <= top:
            if not self.seen(i):
                j = i
                while j + 1 <= top and not self.seen(j + 1):
                    j += 1
                out.append([i, j])
                i = j + 1
            else:
                i += 1
        return out


def holes_fast(chk):
    """holes() but skipping whole 0xff bytes (fast for a full bitmap)."""
    out = []
    if chk.first is None:
        return out
    lo_off, hi_off = chk.first - chk.base, chk.last - chk.base
    bits = chk.bits
    off = lo_off
    run_start = None
    while off <= hi_off:
        if (off & 7) == 0 and off + 7 <= hi_off and bits[off >> 3] == 0xFF:
            if run_start is not None:
                out.append([run_start + chk.base, off - 1 + chk.base])
                run_start = None
            off += 8
            continue
        present = bool(bits[off >> 3] & (1 << (off & 7)))
        if not present and run_start is None:
            run_start = off
        elif present and run_start is not None:
            out.append([run_start + chk.base, off - 1 + chk.base])
            run_start = None
        off += 1
    if run_start is not None:
        out.append([run_start + chk.base, hi_off + chk.base])
    return out


def fetch_trades(api, sym, limit):
    status, doc = api.get_json(f"/symbols/{sym}/trades?limit={limit}")
    if status != 200:
        return None
    return doc["trades"]


def poll_symbol(api, sym, chk, a, now):
    """The newest page; then, if a hole is older than the page (a gap that backfill
    may have filled since), a deeper page reaching back to it (at most every 20 s)."""
    trades = fetch_trades(api, sym, a.page_trades)
    if not trades:
        return
    ids = [t["id"] for t in trades]
    chk.add_page(ids)
    if chk.contig is not None and chk.contig + 1 < ids[0] and now - chk.last_deep > 20:
        deep_page(api, sym, chk, a, ids[-1], now)


def deep_page(api, sym, chk, a, newest, now):
    """A page from `newest` back to the oldest unresolved hole (capped at the history
    bound; holes that fell out of the history are recorded as evicted)."""
    page = max(1, min(a.history_trades, newest - chk.contig + 500))
    trades = fetch_trades(api, sym, page)
    chk.deep_polls += 1
    chk.last_deep = now
    if not trades:
        return
    ids = [t["id"] for t in trades]
    chk.add_page(ids)
    if len(trades) >= a.history_trades:
        chk.skip_evicted(ids[0])


# ---------------------------------------------------------------- main run

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--duration-s", type=float, default=3600)
    p.add_argument("--symbols", type=int, default=100)
    p.add_argument("--rate", type=int, default=20000,
                   help="messages per second over all streams")
    p.add_argument("--fault-every-s", type=float, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--first-id", type=int, default=1000000)
    p.add_argument("--bin-dir", default="build/ci/app")
    p.add_argument("--tls", dest="tls", action="store_true", default=True)
    p.add_argument("--no-tls", dest="tls", action="store_false")
    p.add_argument("--settle-s", type=float, default=120)
    p.add_argument("--history-trades", type=int, default=100000)
    p.add_argument("--page-trades", type=int, default=5000,
                   help="trades per routine page of /symbols/<S>/trades")
    p.add_argument("--sample-every-s", type=float, default=10)
    p.add_argument("--skip-trades-min", type=int, default=50)
    p.add_argument("--malformed-k", type=int, default=2000)
    p.add_argument("--work-dir", default=None)
    p.add_argument("--out", default="soak-report.json")
    return p.parse_args()


def find_binary(bin_dir, name):
    for cand in (os.path.join(bin_dir, name), os.path.join(bin_dir, "sim", name)):
        if os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    sys.exit(f"soak: {name} not found in {bin_dir} or {bin_dir}/sim")


def main():
    a = parse_args()
    t_wall0 = time.time()
    sv_bin = find_binary(a.bin_dir, "streamvisor")
    sim_bin = find_binary(a.bin_dir, "streamvisor-sim")
    out = os.path.abspath(a.out)
    work = os.path.abspath(a.work_dir or os.path.splitext(out)[0] + "-work")
    os.makedirs(work, exist_ok=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)

    # Rates: one frame rate q for every stream (trades per symbol and depth events
    # per depth symbol), so frames=F means F / q seconds on either kind of stream.
    n = a.symbols
    interval_ms = max(1, round(1000.0 * (n + n / 2) / a.rate))
    q = 1000.0 / interval_ms
    n_depth = max(0, min(n, round(a.rate / q) - n))
    trade_rate = max(1, round((a.rate - n_depth * q) / n))
    symbols = [f"S{i:03d}USDT" for i in range(n)]
    depth_symbols = symbols[::2][:n_depth]
    if len(depth_symbols) < n_depth:
        rest = [s for s in symbols if s not in depth_symbols]
        depth_symbols += rest[: n_depth - len(depth_symbols)]
    depth_symbols = [s for s in symbols if s in set(depth_symbols)]
    planned_rate = trade_rate * n + q * n_depth
    log(f"{n} symbols, {n_depth} with depth; {trade_rate} trades/s per symbol, depth "
        f"every {interval_ms} ms: {planned_rate:.0f} msgs/s planned; tls={a.tls}")

    faults, planned, sched = build_schedule(a, symbols, depth_symbols, q)
    with open(f"{work}/faults.txt", "w") as f:
        f.write("\n".join(faults) + "\n")
    log(f"{len(faults)} --fault options, {len(planned)} planned strikes "
        f"(pair period {sched['pair_period_s']:.0f} s per lane)")

    if a.tls:
        make_certificate(work)
    sim_args = [sim_bin, "--host", "127.0.0.1", "--port", "0", "--port-file",
                f"{work}/sim.port", "--seed", str(a.seed), "--first-id",
                str(a.first_id), "--rate", str(trade_rate), "--symbols",
                ",".join(symbols), "--depth-interval-ms", str(interval_ms),
                "--depth-changes", "2", "--log-level", "info"]
    if a.tls:
        sim_args += ["--cert", f"{work}/cert.pem", "--key", f"{work}/key.pem"]
    for f in faults:
        sim_args += ["--fault", f]
    try:
        os.unlink(f"{work}/sim.port")
    except FileNotFoundError:
        pass
    sim_out = open(f"{work}/sim.stdout", "w")
    sim_err = open(f"{work}/sim.log", "w")
    sim = subprocess.Popen(sim_args, stdout=sim_out, stderr=sim_err,
                           stdin=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(f"{work}/sim.port") or sim.poll() is not None:
            break
        time.sleep(0.05)
    if sim.poll() is not None:
        sys.exit(f"soak: the simulator exited with {sim.returncode}; see {work}/sim.log")
    sim_port = int(open(f"{work}/sim.port").read().strip())
    scheme_ws, scheme_http = ("wss", "https") if a.tls else ("ws", "http")
    api_port = free_port()
    sv_args = [sv_bin, "--symbols", ",".join(symbols), "--streams",
               "aggTrade,depth" if n_depth else "aggTrade",
               "--book-symbols", ",".join(depth_symbols) if n_depth else "",
               "--endpoint", f"{scheme_ws}://localhost:{sim_port}",
               "--rest-endpoint", f"{scheme_http}://localhost:{sim_port}",
               "--http", f"127.0.0.1:{api_port}", "--lock-file",
               f"{work}/streamvisor.lock", "--warmup-s", "0",
               "--history-trades", str(a.history_trades),
               "--log-level", "info"]
    if not n_depth:
        i = sv_args.index("--book-symbols")
        del sv_args[i:i + 2]
    if a.tls:
        sv_args += ["--ca-file", f"{work}/cert.pem"]
    sv_err = open(f"{work}/streamvisor.log", "w")
    sv = subprocess.Popen(sv_args, stdout=subprocess.DEVNULL, stderr=sv_err,
                          stdin=subprocess.DEVNULL)
    t0 = time.monotonic()
    log(f"sim pid {sim.pid} port {sim_port}; streamvisor pid {sv.pid} api {api_port}; "
        f"work {work}")
    with open(f"{work}/commands.txt", "w") as f:
        f.write(" ".join(sim_args[:sim_args.index("--fault")] if faults else sim_args)
                + f" --fault ... ({len(faults)} options, faults.txt)\n")
        f.write(" ".join(sv_args) + "\n")

    api = Http(api_port)
    sim_http = Http(sim_port, a.tls, f"{work}/cert.pem" if a.tls else None)
    for _ in range(200):
        try:
            if api.get("/health")[0] in (200, 503):
                break
        except OSError:
            pass
        if sv.poll() is not None:
            break
        time.sleep(0.05)

    checks = {}
    samples = []
    samples_f = open(f"{work}/samples.jsonl", "w")
    next_sample = 0.0
    sym_idx = 0
    sv_exited = None
    end = t0 + a.duration_s
    per_cycle = max(1, a.sample_every_s)  # every symbol paged about once per sample

    def take_sample():
        el = time.monotonic() - t0
        s = {"t_s": round(el, 1), "sv": proc_sample(sv.pid), "sim": proc_sample(sim.pid)}
        try:
            st, doc = api.get_json("/status")
            kids = doc["children"] if st == 200 else []
            states = {}
            for c in kids:
                states[c["state"]] = states.get(c["state"], 0) + 1
            s["status"] = {
                "states": states,
                "restarts": sum(c["restarts"] for c in kids),
                "attempts": sum(c["connect_attempts"] for c in kids),
                "frames": sum(c["frames"] for c in kids),
                "trades": sum(c.get("trades", 0) for c in kids),
                "decode_errors": sum(c.get("decode_errors", 0) for c in kids),
            }
            s["health"] = api.get("/health")[0]
        except (OSError, ValueError, KeyError, http.client.HTTPException) as e:
            s["status_error"] = str(e)
        try:
            st, doc = sim_http.get_json("/sim/stats")
            syms = doc["symbols"]
            by_mode = {}
            for f in doc.get("faults", []):
                m = fault_mode_of(f["fault"])
                by_mode[m] = by_mode.get(m, 0) + f["applied"]
            s["sim"] = dict(s["sim"] or {})
            s["sim_stats"] = {
                "emitted": sum(v["emitted"] for v in syms.values()),
                # Depth books tick for every market; only the streamed ones count.
                "depth_events": sum(syms.get(d, {}).get("depth_events", 0)
                                    for d in depth_symbols),
                "depth_dropped": sum(v.get("depth_dropped", 0) for v in syms.values()),
                "skipped": sum(v.get("skipped_on_reconnect", 0) for v in syms.values()),
                "rest_requests": doc.get("rest_requests"),
                "rest_rejected": doc.get("rest_rejected"),
                "faults_by_mode": by_mode,
            }
        except (OSError, ValueError, KeyError, http.client.HTTPException) as e:
            s["sim_error"] = str(e)
        samples.append(s)
        samples_f.write(json.dumps(s) + "\n")
        samples_f.flush()
        st = s.get("status", {})
        ss = s.get("sim_stats", {})
        log(f"t={el:6.0f}s rss={s['sv']['rss_kb'] if s['sv'] else '-'}kB "
            f"fds={s['sv']['fds'] if s['sv'] else '-'} states={st.get('states')} "
            f"restarts={st.get('restarts')} faults={sum(ss.get('faults_by_mode', {}).values())}")

    while True:
        now = time.monotonic()
        if sv.poll() is not None:
            sv_exited = sv.returncode
            log(f"streamvisor exited early with {sv_exited}")
            break
        if now >= end:
            break
        if now >= next_sample:
            take_sample()
            next_sample = now + a.sample_every_s
            continue
        # Page one symbol; pace so every symbol comes round once per sample period.
        sym = symbols[sym_idx % n]
        sym_idx += 1
        chk = checks.setdefault(sym, SymbolCheck(a.first_id))
        try:
            poll_symbol(api, sym, chk, a, now)
        except (OSError, ValueError, http.client.HTTPException) as e:
            log(f"page {sym}: {e}")
        time.sleep(max(0.0, per_cycle / n - (time.monotonic() - now)))

    # ------------------------------------------------------------ final check
    run_s = time.monotonic() - t0
    log("run over: final check")
    take_sample()
    per_symbol = {}
    metrics = {}
    samples_compare = {}
    if sv_exited is None:
        for sym in symbols:
            chk = checks.setdefault(sym, SymbolCheck(a.first_id))
            try:
                st, m = api.get_json(f"/symbols/{sym}/metrics")
                metrics[sym] = m if st == 200 else None
                # Whatever is still unresolved, within what the history holds,
                # back from streamvisor's newest id.
                if metrics[sym] and metrics[sym].get("last_trade_id") is not None:
                    newest = metrics[sym]["last_trade_id"]
                    if chk.contig is None:
                        chk.contig = chk.first = chk.last = metrics[sym]["first_trade_id"]
                        chk._set(chk.first)
                    deep_page(api, sym, chk, a, newest, time.monotonic())
                trades = fetch_trades(api, sym, 200)
                if trades:
                    chk.add_page([t["id"] for t in trades])
                    samples_compare[sym] = trades
            except (OSError, ValueError, http.client.HTTPException) as e:
                log(f"final {sym}: {e}")
    final_sim = None
    try:
        final_sim = sim_http.get_json("/sim/stats")[1]
    except (OSError, ValueError, http.client.HTTPException) as e:
        log(f"sim stats: {e}")

    # SIGTERM and the exit code.
    exit_code = sv_exited
    stop_ms = None
    if sv_exited is None:
        t_stop = time.monotonic()
        sv.send_signal(signal.SIGTERM)
        try:
            exit_code = sv.wait(timeout=30)
        except subprocess.TimeoutExpired:
            sv.kill()
            exit_code = "killed after 30 s"
        stop_ms = round((time.monotonic() - t_stop) * 1000)
    log(f"streamvisor exit code {exit_code} ({stop_ms} ms)")

    # Compare the newest trades field by field with the simulator's REST.
    mismatch = 0
    compared = 0
    compare_errors = []
    for sym, trades in samples_compare.items():
        if not trades:
            continue
        got = None
        for _ in range(4):  # a REST fault not yet spent answers 429/503 once
            st, body = sim_http.get(
                f"/api/v3/aggTrades?symbol={sym}&fromId={trades[0]['id']}&limit={len(trades)}")
            if st == 200:
                got = {r["a"]: r for r in json.loads(body)}
                break
            time.sleep(0.2)
        if got is None:
            compare_errors.append(sym)
            continue
        for t in trades:
            r = got.get(t["id"])
            compared += 1
            if (r is None or Decimal(r["p"]) != Decimal(t["price"])
                    or Decimal(r["q"]) != Decimal(t["qty"]) or r["T"] != t["time"]
                    or ("sell" if r["m"] else "buy") != t["side"]):
                mismatch += 1
    sim.send_signal(signal.SIGTERM)
    try:
        sim_rc = sim.wait(timeout=10)
    except subprocess.TimeoutExpired:
        sim.kill()
        sim_rc = "killed"

    # Per symbol figures.
    sim_syms = (final_sim or {}).get("symbols", {})
    tot = {"checked_ids": 0, "lost_silent": 0, "lost_open_gap": 0, "repeated": 0,
           "evicted_unverified": 0, "tail_behind_sim": 0, "before_first": 0,
           "duplicates_dropped": 0, "gaps_detected": 0, "gaps_filled": 0,
           "gaps_open": 0, "backfilled": 0}
    for sym in symbols:
        chk = checks.get(sym)
        m = metrics.get(sym) or {}
        ss = sim_syms.get(sym, {})
        open_gaps = m.get("open_gaps", []) or []
        gap_ranges = []
        for g in open_gaps:
            if isinstance(g, dict):
                lo = g.get("from_id", g.get("first_id", g.get("from")))
                hi = g.get("to_id", g.get("last_id", g.get("to")))
                if lo is not None and hi is not None:
                    gap_ranges.append((lo, hi))
            elif isinstance(g, list) and len(g) == 2:
                gap_ranges.append((g[0], g[1]))
        holes = holes_fast(chk) if chk and chk.first is not None else []
        silent = 0
        in_gap = 0
        for lo, hi in holes:
            for i in range(lo, hi + 1):
                if any(glo <= i <= ghi for glo, ghi in gap_ranges):
                    in_gap += 1
                else:
                    silent += 1
        evicted = sum(hi - lo + 1 for lo, hi in (chk.evicted_holes if chk else []))
        rec = {
            "first_seen": chk.first if chk else None,
            "last_seen": chk.last if chk else None,
            "checked_ids": (chk.last - chk.first + 1) if chk and chk.first else 0,
            "lost_silent": silent,
            "lost_open_gap": in_gap,
            "holes": holes[:10],
            "evicted_unverified": evicted,
            "repeated": chk.repeated if chk else 0,
            "repeated_examples": chk.repeated_examples if chk else [],
            "sim_first_id": ss.get("first_id"),
            "sim_last_id": ss.get("last_id"),
            "sim_emitted": ss.get("emitted"),
            "sim_skipped": ss.get("skipped_on_reconnect"),
            "tail_behind_sim": (ss["last_id"] - chk.last)
            if chk and chk.last and ss.get("last_id") else None,
            "before_first": (chk.first - ss["first_id"])
            if chk and chk.first and ss.get("first_id") else None,
            "polls": chk.polls if chk else 0,
            "deep_polls": chk.deep_polls if chk else 0,
            "metrics": {k: m.get(k) for k in (
                "trades", "duplicates", "first_trade_id", "last_trade_id",
                "gaps_detected", "gaps_filled", "gaps_open", "backfilled", "open_gaps")},
        }
        per_symbol[sym] = rec
        for k in ("checked_ids", "lost_silent", "lost_open_gap", "repeated",
                  "evicted_unverified"):
            tot[k] += rec[k] or 0
        tot["tail_behind_sim"] += rec["tail_behind_sim"] or 0
        tot["before_first"] += rec["before_first"] or 0
        tot["duplicates_dropped"] += m.get("duplicates") or 0
        for k in ("gaps_detected", "gaps_filled", "gaps_open", "backfilled"):
            tot[k] += m.get(k) or 0

    # Throughput and faults from the samples.
    first_s = next((s for s in samples if s.get("sim_stats") and s.get("status")), None)
    last_s = next((s for s in reversed(samples)
                   if s.get("sim_stats") and s.get("status")), None)
    rates = {}
    if first_s and last_s and last_s["t_s"] > first_s["t_s"]:
        dt = last_s["t_s"] - first_s["t_s"]
        rates = {
            "sim_msgs_per_s": round((last_s["sim_stats"]["emitted"]
                                     + last_s["sim_stats"]["depth_events"]
                                     - first_s["sim_stats"]["emitted"]
                                     - first_s["sim_stats"]["depth_events"]) / dt),
            "sim_trades_per_s": round((last_s["sim_stats"]["emitted"]
                                       - first_s["sim_stats"]["emitted"]) / dt),
            "sv_frames_per_s": round((last_s["status"]["frames"]
                                      - first_s["status"]["frames"]) / dt),
            "window_s": dt,
        }
    faults_by_mode = last_s["sim_stats"]["faults_by_mode"] if last_s else {}
    # Strike times: a mode's applied count rising between two samples.
    prev = {}
    windows_with_fault = 0
    windows = 0
    longest_quiet = 0.0
    quiet_since = 0.0
    for s in samples:
        fm = (s.get("sim_stats") or {}).get("faults_by_mode")
        if fm is None:
            continue
        if prev:
            windows += 1
            if any(fm.get(k, 0) > prev.get(k, 0) for k in fm):
                windows_with_fault += 1
                longest_quiet = max(longest_quiet, s["t_s"] - quiet_since)
                quiet_since = s["t_s"]
        prev = fm
    sv_samples = [s["sv"] for s in samples if s.get("sv")]
    cpu = None
    if len(sv_samples) >= 2:
        cpu = round(100 * (sv_samples[-1]["cpu_s"] - sv_samples[0]["cpu_s"])
                    / max(1e-9, samples[-1]["t_s"] - samples[0]["t_s"]), 1)
    report = {
        "started_utc": datetime.datetime.fromtimestamp(
            t_wall0, datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:]),
        "duration_s": round(run_s, 1),
        "symbols": n, "depth_symbols": n_depth, "tls": a.tls, "seed": a.seed,
        "trade_rate_per_symbol": trade_rate, "depth_interval_ms": interval_ms,
        "planned_msgs_per_s": planned_rate, "achieved": rates,
        "schedule": sched, "fault_options": len(faults),
        "planned_strikes": len(planned),
        "faults_fired_by_mode": faults_by_mode,
        "faults_fired_total": sum(v for k, v in faults_by_mode.items()
                                  if not k.startswith("placeholder")),
        "sample_windows_with_a_fault": [windows_with_fault, windows],
        "longest_quiet_s_between_samples_with_faults": longest_quiet,
        "decode_errors": (last_s or {}).get("status", {}).get("decode_errors"),
        "rss_kb_start": sv_samples[0]["rss_kb"] if sv_samples else None,
        "rss_kb_start_note": "first sample, about 0 s after launch",
        "rss_kb_after_60s": next((s["sv"]["rss_kb"] for s in samples
                                  if s.get("sv") and s["t_s"] >= 60), None),
        "rss_kb_end": sv_samples[-1]["rss_kb"] if sv_samples else None,
        "rss_kb_max": max((s["rss_kb"] for s in sv_samples), default=None),
        "fds_start": sv_samples[0]["fds"] if sv_samples else None,
        "fds_end": sv_samples[-1]["fds"] if sv_samples else None,
        "fds_max": max((s["fds"] for s in sv_samples), default=None),
        "threads_end": sv_samples[-1]["threads"] if sv_samples else None,
        "cpu_percent_avg": cpu,
        "restarts_end": (last_s or {}).get("status", {}).get("restarts"),
        "connect_attempts_end": (last_s or {}).get("status", {}).get("attempts"),
        "states_end": (last_s or {}).get("status", {}).get("states"),
        "totals": tot,
        "compared_with_sim_rest": {"trades": compared, "mismatches": mismatch,
                                   "symbols_not_compared": compare_errors},
        "history_trades": a.history_trades,
        "exit_code": exit_code, "shutdown_ms": stop_ms, "sim_exit_code": sim_rc,
        "early_exit": sv_exited,
        "work_dir": work,
        "per_symbol": per_symbol,
    }
    with open(out, "w") as f:
        json.dump(report, f, indent=1)
    summary = summarize(report)
    with open(os.path.splitext(out)[0] + ".txt", "w") as f:
        f.write(summary)
    print(summary, flush=True)
    ok = (exit_code == 0 and tot["lost_silent"] == 0 and tot["repeated"] == 0
          and mismatch == 0)
    return 0 if ok else 1


def summarize(r):
    t = r["totals"]
    ach = r["achieved"]
    lines = [
        f"soak {r['started_utc']}: {r['command']}",
        f"  duration {r['duration_s']:.0f} s, {r['symbols']} symbols "
        f"({r['depth_symbols']} with depth), tls={r['tls']}, seed {r['seed']}",
        f"  rate planned {r['planned_msgs_per_s']:.0f} msgs/s; sim sent "
        f"{ach.get('sim_msgs_per_s')} msgs/s ({ach.get('sim_trades_per_s')} trades/s), "
        f"streamvisor received {ach.get('sv_frames_per_s')} frames/s",
        f"  faults fired {r['faults_fired_total']} "
        f"(one per {r['duration_s'] / max(1, r['faults_fired_total']):.1f} s): "
        + ", ".join(f"{k} {v}" for k, v in sorted(r['faults_fired_by_mode'].items())),
        f"  sample windows with a fault {r['sample_windows_with_a_fault'][0]}/"
        f"{r['sample_windows_with_a_fault'][1]}, decode errors {r['decode_errors']}",
        f"  RSS start {r['rss_kb_start']} kB, after 60 s {r['rss_kb_after_60s']} kB, "
        f"end {r['rss_kb_end']} kB, max {r['rss_kb_max']} kB; fds start "
        f"{r['fds_start']}, end {r['fds_end']}, max {r['fds_max']}; threads "
        f"{r['threads_end']}; CPU {r['cpu_percent_avg']} %",
        f"  restarts {r['restarts_end']}, connect attempts "
        f"{r['connect_attempts_end']}, states at end {r['states_end']}",
        f"  ids checked {t['checked_ids']}: lost (silent) {t['lost_silent']}, in "
        f"reported open gaps {t['lost_open_gap']}, evicted unverified "
        f"{t['evicted_unverified']}, repeated {t['repeated']}",
        f"  gaps detected {t['gaps_detected']}, filled {t['gaps_filled']}, open "
        f"{t['gaps_open']}, backfilled trades {t['backfilled']}, duplicates dropped "
        f"{t['duplicates_dropped']}",
        f"  sim ids before streamvisor's first {t['before_first']}; sim ids produced "
        f"after streamvisor's newest by the end of the final check {t['tail_behind_sim']}",
        f"  newest trades equal to the sim's REST: "
        f"{r['compared_with_sim_rest']['trades'] - r['compared_with_sim_rest']['mismatches']}"
        f"/{r['compared_with_sim_rest']['trades']}",
        f"  exit code {r['exit_code']} (SIGTERM, {r['shutdown_ms']} ms)",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
