#!/usr/bin/env python3
"""nats_shard.py: a shard group dividing many symbols, on loopback.

A benchmark program (issue 12, item 3), not a test. Starts Debian's nats-server with
JetStream (scratch store, kernel-picked port of 127.0.0.1), streamvisor-sim with
--symbols symbols trading --trade-rate trades/s each, and --members streamvisors
with the same symbols, --shard-group and --shard-lease-s, on shared sockets
(--streams-per-connection). It measures:
  - settle_s: from the members' start until each sees all members, holds at most
    its quota, every symbol is held once and each member streams exactly the
    symbols it holds;
  - over a steady window of --steady-s: each member's and nats-server's CPU (one
    core = 100), each member's last round duration (round_ms) and RSS;
  - remove_s and add_s: --changes symbols removed from the group with DELETE
    /symbols/{S} on the first member, until no member streams them and the rest are
    held and streamed once; then added back with PUT, until every symbol is again
    (group-wide runtime changes through the bucket sv_symbols_<group>);
  - takeover_s: after a SIGKILL of the first member, until the others hold and
    stream every symbol again.
and prints one line of key=value figures per phase.

Usage (from the repository root, after building the dev or ci preset):
  bench/nats_shard.py --bin-dir build/dev --symbols 1500 --members 3
Options: --bin-dir [build/ci] --symbols [1500] --members [3] --trade-rate [1]
--lease-s [10] --streams-per-connection [100] --steady-s [20] --changes [100]
--nats-server [/usr/sbin/nats-server] --work-dir [a temporary one, removed; given:
kept, with every process's log].
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_procs import proc_sample, stop_all, wait_for  # noqa: E402

NOT_YET = (OSError, AttributeError, ValueError, KeyError)


def status(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=10) as r:
        return json.load(r)


def settled(members, symbols):
    """True once every member sees all of them, holds at most its quota, every
    symbol is held by exactly one, and each member streams exactly what it holds."""
    held_all = []
    quota = -(-len(symbols) // len(members))
    for m in members:
        st = status(m["port"])
        if st["shard"]["members"] != len(members) or len(st["shard"]["held"]) > quota:
            return False
        held = set(st["shard"]["held"])
        streaming = {c["symbol"] for c in st["children"] if c["state"] == "streaming"}
        if held != streaming:
            return False
        held_all.append(held)
    union = set().union(*held_all)
    return union == symbols and sum(len(h) for h in held_all) == len(symbols)


def api_port(log_path):
    m = re.search(r"api_listening listen=127\.0\.0\.1:(\d+)", open(log_path).read())
    return int(m.group(1))


def change(port, method, symbol):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/symbols/{symbol}", method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 202:
            raise SystemExit(f"{method} /symbols/{symbol} answered {r.status}")


def timed_changes(members, method, changed, symbols_after):
    """Asks the first member for `method` of each of `changed`; the seconds until
    the group settles on `symbols_after`, and the slowest request's seconds."""
    t = time.monotonic()
    slowest = 0.0
    for symbol in changed:
        t_req = time.monotonic()
        change(members[0]["port"], method, symbol)
        slowest = max(slowest, time.monotonic() - t_req)
    wait_for(f"the group settled after {len(changed)} {method}s",
             lambda: settled(members, symbols_after), 600, poll_s=0.25, errors=NOT_YET)
    return time.monotonic() - t, slowest


def cpu_window(pids, seconds):
    """CPU % (one core = 100) of each pid over `seconds`, and its RSS in MiB at the end."""
    before = {p: proc_sample(p)[0] for p in pids}
    t0 = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - t0
    out = {}
    for p in pids:
        cpu, rss = proc_sample(p)
        out[p] = ((cpu - before[p]) / wall * 100, rss / 1024)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default="build/ci")
    ap.add_argument("--symbols", type=int, default=1500)
    ap.add_argument("--members", type=int, default=3)
    ap.add_argument("--trade-rate", type=int, default=1)
    ap.add_argument("--lease-s", type=int, default=10)
    ap.add_argument("--streams-per-connection", type=int, default=100)
    ap.add_argument("--steady-s", type=float, default=20)
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--nats-server", default="/usr/sbin/nats-server")
    ap.add_argument("--work-dir", help="keep the logs there (default: a temporary one, removed)")
    a = ap.parse_args()
    symbols = [f"S{i:04d}USDT" for i in range(a.symbols)]
    work = a.work_dir or tempfile.mkdtemp(prefix="nats_shard.")
    os.makedirs(work, exist_ok=True)
    procs = []
    try:
        nats_log = os.path.join(work, "nats.log")
        nats = subprocess.Popen([a.nats_server, "-js", "-a", "127.0.0.1", "-p", "-1",
                                 "-sd", os.path.join(work, "store")],
                                stdout=open(nats_log, "wb"), stderr=subprocess.STDOUT)
        procs.append(nats)
        nats_port = int(wait_for("nats-server listening", lambda: re.search(
            r"client connections on 127\.0\.0\.1:(\d+)", open(nats_log).read()).group(1),
            30, errors=NOT_YET))
        sim = subprocess.Popen(
            [f"{a.bin_dir}/app/sim/streamvisor-sim", "--host", "127.0.0.1", "--port", "0",
             "--port-file", f"{work}/sim.port", "--rate", str(a.trade_rate),
             "--symbols", ",".join(symbols), "--log-level", "warn"],
            stdout=subprocess.DEVNULL, stderr=open(f"{work}/sim.log", "w"))
        procs.append(sim)
        sim_port = int(wait_for("the simulator's port",
                                lambda: open(f"{work}/sim.port").read().strip(),
                                30, errors=NOT_YET))
        members = []
        t0 = time.monotonic()
        for i in range(a.members):
            name = f"m{i}"
            log = f"{work}/{name}.log"
            p = subprocess.Popen(
                [f"{a.bin_dir}/app/streamvisor", "--symbols", ",".join(symbols),
                 "--streams", "aggTrade", "--endpoint", f"ws://127.0.0.1:{sim_port}",
                 "--rest-endpoint", f"http://127.0.0.1:{sim_port}",
                 "--http", "127.0.0.1:0", "--lock-file", f"{work}/{name}.lock",
                 "--warmup-s", "0", "--log-level", "info",
                 "--streams-per-connection", str(a.streams_per_connection),
                 "--connect-budget", "100000", "--connect-burst", "1000",
                 "--nats", f"nats://127.0.0.1:{nats_port}", "--shard-group", "bench",
                 "--shard-instance", name, "--shard-lease-s", str(a.lease_s)],
                stdout=subprocess.DEVNULL, stderr=open(log, "w"))
            procs.append(p)
            members.append({"name": name, "proc": p, "log": log})
        for m in members:
            m["port"] = wait_for(f"{m['name']}'s API", lambda m=m: api_port(m["log"]),
                                 30, errors=NOT_YET)
        wait_for("every symbol held once and streamed", lambda: settled(members, set(symbols)),
                 600, poll_s=0.5, errors=NOT_YET)
        settle_s = time.monotonic() - t0
        pids = [m["proc"].pid for m in members] + [nats.pid]
        window = cpu_window(pids, a.steady_s)
        shards = [status(m["port"])["shard"] for m in members]
        print(f"settle symbols={a.symbols} members={a.members} lease_s={a.lease_s} "
              f"settle_s={settle_s:.1f} held=" + ",".join(str(len(s["held"])) for s in shards))
        print("steady " + " ".join(
            f"{m['name']}_cpu_pct={window[m['proc'].pid][0]:.1f} "
            f"{m['name']}_rss_mib={window[m['proc'].pid][1]:.0f} "
            f"{m['name']}_round_ms={s['round_ms']}" for m, s in zip(members, shards))
            + f" nats_server_cpu_pct={window[nats.pid][0]:.1f}")
        if a.changes > 0:
            changed = symbols[::max(1, len(symbols) // a.changes)][:a.changes]
            remove_s, remove_req_s = timed_changes(members, "DELETE", changed,
                                                   set(symbols) - set(changed))
            add_s, add_req_s = timed_changes(members, "PUT", changed, set(symbols))
            shards = [status(m["port"])["shard"] for m in members]
            print(f"changes symbols={len(changed)} remove_s={remove_s:.1f} "
                  f"add_s={add_s:.1f} slowest_request_ms="
                  f"{1000 * max(remove_req_s, add_req_s):.0f} round_ms="
                  + ",".join(str(s["round_ms"]) for s in shards))
        victim, rest = members[0], members[1:]
        moved = len(shards[0]["held"])
        victim["proc"].kill()
        victim["proc"].wait(timeout=10)
        t_kill = time.monotonic()
        wait_for("the others holding and streaming every symbol",
                 lambda: settled(rest, set(symbols)), 600, poll_s=0.25, errors=NOT_YET)
        takeover_s = time.monotonic() - t_kill
        rounds = [status(m["port"])["shard"] for m in rest]
        print(f"takeover killed={victim['name']} moved={moved} takeover_s={takeover_s:.1f} "
              f"(lease_s={a.lease_s}) held=" + ",".join(str(len(s["held"])) for s in rounds)
              + " round_ms=" + ",".join(str(s["round_ms"]) for s in rounds))
    finally:
        stop_all(procs)
        if not a.work_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
