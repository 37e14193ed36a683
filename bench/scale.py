#!/usr/bin/env python3
"""scale.py: streamvisor with many symbols against streamvisor-sim, on loopback.

A benchmark program (issue 9, item 5), not a test. Starts streamvisor-sim with N
symbols trading --trade-rate trades/s each (and a depth event every
--depth-interval-ms for each, with --depth), then streamvisor for the same symbols
over TLS (a throwaway certificate from the openssl CLI) or plain ws. It waits until
every child streams (and every book is synced), then measures a steady window of
--steady-s seconds and prints one line of key=value figures:

  symbols, streams, all_streaming_s (from streamvisor's start), books_synced_s,
  connect_attempts (sum over children), connections (streamvisor's TCP sockets to
  the simulator at the end), sv_cpu_pct (one core = 100, over the window),
  sv_rss_mib (at the end of the window), sv_rss_mib_at_60s (60 s after
  streamvisor's start, if the run lasts that long), sv_rss_kib_per_symbol, sv_threads,
  trades and depth_events counted by streamvisor in the window (and per second),
  sim_cpu_pct, cpu_us_per_msg; with --scrapes N also the median and largest time
  of N GET /metrics one after another, its size and sample count.

Usage (from the repository root, after building the ci or a Release preset):
  bench/scale.py --symbols 100 --depth
  bench/scale.py --symbols 1000 --trade-rate 2 --depth --sv-arg=--connect-budget=100000 \
      --sv-arg=--connect-burst=1000
Options: --bin-dir [build/ci/app] --symbols [100] --trade-rate [2] --depth
--depth-interval-ms [100] --steady-s [60] --start-timeout-s [600] --no-tls
--sv-arg=ARG (repeatable, passed to streamvisor) --work-dir [a temporary one]
--scrapes [0].
Exit 1 if streamvisor or the simulator exits, or not every child streams within
--start-timeout-s (the line is printed anyway, with what was reached).
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

# The soak script's loopback helpers: a free port and a throwaway certificate.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "scripts"))
from soak import free_port, make_certificate  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_sample(pid):
    """CPU seconds, RSS in KiB and threads of `pid`."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return {"cpu_s": (int(fields[11]) + int(fields[12])) / CLK_TCK,
            "rss_kib": rss, "threads": int(fields[17])}


def sockets_to(pid, port):
    """streamvisor's TCP sockets whose remote port is `port` (the simulator)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            remote_port = int(cols[2].rsplit(":", 1)[1], 16)
            if remote_port == port and cols[9] in inodes:
                count += 1
    return count


def status(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/status")
        r = conn.getresponse()
        body = r.read()
        return json.loads(body) if r.status == 200 else None
    finally:
        conn.close()


def scrape_metrics(port, times):
    """GETs /metrics `times` times, one after the other; (median ms, max ms,
    bytes, samples) of the scrapes."""
    took, size, samples = [], 0, 0
    for _ in range(times):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            start = time.monotonic()
            conn.request("GET", "/metrics")
            body = conn.getresponse().read()
            took.append(1000 * (time.monotonic() - start))
        finally:
            conn.close()
        size = len(body)
        samples = sum(1 for line in body.split(b"\n") if line and not line.startswith(b"#"))
    took.sort()
    return took[len(took) // 2], took[-1], size, samples


def totals(doc):
    kids = doc["children"]
    return {
        "children": len(kids),
        "streaming": sum(1 for k in kids if k["state"] == "streaming"),
        "books": sum(1 for k in kids if k["stream"] == "depth"),
        "synced": sum(1 for k in kids if k.get("book") == "synced"),
        "attempts": sum(k["connect_attempts"] for k in kids),
        "trades": sum(k.get("trades", 0) for k in kids),
        "events": sum(k.get("events", 0) for k in kids),
    }


def wait_port_file(path, proc, what):
    for _ in range(400):
        if os.path.exists(path):
            return int(open(path).read().strip())
        if proc.poll() is not None:
            sys.exit(f"scale: {what} exited with {proc.returncode}")
        time.sleep(0.05)
    sys.exit(f"scale: {what} wrote no port file")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin-dir", default="build/ci/app")
    p.add_argument("--symbols", type=int, default=100)
    p.add_argument("--trade-rate", type=int, default=2)
    p.add_argument("--depth", action="store_true")
    p.add_argument("--depth-interval-ms", type=int, default=100)
    p.add_argument("--steady-s", type=float, default=60)
    p.add_argument("--start-timeout-s", type=float, default=600)
    p.add_argument("--no-tls", action="store_true")
    p.add_argument("--sv-arg", action="append", default=[])
    p.add_argument("--work-dir")
    p.add_argument("--scrapes", type=int, default=0)
    a = p.parse_args()

    work = a.work_dir or tempfile.mkdtemp(prefix="sv-scale-")
    os.makedirs(work, exist_ok=True)
    symbols = [f"S{i:04d}USDT" for i in range(a.symbols)]
    tls = not a.no_tls
    sim_args = [f"{a.bin_dir}/sim/streamvisor-sim", "--host", "127.0.0.1",
                "--port", "0", "--port-file", f"{work}/sim.port", "--rate",
                str(a.trade_rate), "--symbols", ",".join(symbols),
                "--depth-interval-ms", str(a.depth_interval_ms),
                "--depth-changes", "2", "--log-level", "warn"]
    if tls:
        make_certificate(work)
        sim_args += ["--cert", f"{work}/cert.pem", "--key", f"{work}/key.pem"]
    procs = []
    try:
        # A port file left by an earlier run in the same --work-dir would name a
        # dead simulator.
        if os.path.exists(f"{work}/sim.port"):
            os.unlink(f"{work}/sim.port")
        sim = subprocess.Popen(sim_args, stdout=subprocess.DEVNULL,
                               stderr=open(f"{work}/sim.log", "w"),
                               stdin=subprocess.DEVNULL)
        procs.append(sim)
        sim_port = wait_port_file(f"{work}/sim.port", sim, "the simulator")
        ws, rest = ("wss", "https") if tls else ("ws", "http")
        api_port = free_port()
        sv_args = [f"{a.bin_dir}/streamvisor", "--symbols", ",".join(symbols),
                   "--streams", "aggTrade,depth" if a.depth else "aggTrade",
                   "--endpoint", f"{ws}://localhost:{sim_port}",
                   "--rest-endpoint", f"{rest}://localhost:{sim_port}",
                   "--http", f"127.0.0.1:{api_port}",
                   "--lock-file", f"{work}/streamvisor.lock", "--warmup-s", "0",
                   "--log-level", "warn"] + a.sv_arg
        if tls:
            sv_args += ["--ca-file", f"{work}/cert.pem"]
        t0 = time.monotonic()
        sv = subprocess.Popen(sv_args, stdout=subprocess.DEVNULL,
                              stderr=open(f"{work}/streamvisor.log", "w"),
                              stdin=subprocess.DEVNULL)
        procs.append(sv)
        for _ in range(400):
            try:
                status(api_port)
                break
            except OSError:
                if sv.poll() is not None:
                    sys.exit(f"scale: streamvisor exited with {sv.returncode}; "
                             f"see {work}/streamvisor.log")
                time.sleep(0.05)
        print(f"scale: work {work}; " + " ".join(sv_args[:1] + sv_args[3:]),
              file=sys.stderr)

        streaming_s = synced_s = rss_at_60s = None
        ok = True
        while True:
            if sv.poll() is not None or sim.poll() is not None:
                sys.exit(f"scale: a process exited (streamvisor {sv.returncode}, "
                         f"sim {sim.returncode}); see {work}")
            t = totals(status(api_port))
            el = time.monotonic() - t0
            if streaming_s is None and t["streaming"] == t["children"]:
                streaming_s = el
            if synced_s is None and t["synced"] == t["books"]:
                synced_s = el
            if streaming_s is not None and synced_s is not None:
                break
            if rss_at_60s is None and el >= 60:
                rss_at_60s = proc_sample(sv.pid)["rss_kib"]
            if el > a.start_timeout_s:
                ok = False
                break
            time.sleep(0.2)

        s0, m0, t_0 = proc_sample(sv.pid), proc_sample(sim.pid), totals(status(api_port))
        w0 = time.monotonic()
        while time.monotonic() - w0 < a.steady_s:
            if rss_at_60s is None and time.monotonic() - t0 >= 60:
                rss_at_60s = proc_sample(sv.pid)["rss_kib"]
            time.sleep(min(0.5, max(0.0, a.steady_s - (time.monotonic() - w0))))
        s1, m1, t_1 = proc_sample(sv.pid), proc_sample(sim.pid), totals(status(api_port))
        window = time.monotonic() - w0
        msgs = (t_1["trades"] - t_0["trades"]) + (t_1["events"] - t_0["events"])
        sv_cpu = s1["cpu_s"] - s0["cpu_s"]
        fig = {
            "symbols": a.symbols,
            "streams": t_1["children"],
            "tls": int(tls),
            "trade_rate": a.trade_rate,
            "depth_per_s": round(1000 / a.depth_interval_ms, 1) if a.depth else 0,
            "all_streaming_s": round(streaming_s, 1) if streaming_s else "never",
            "books_synced_s": (round(synced_s, 1) if synced_s is not None
                               else "never") if a.depth else "-",
            "connect_attempts": t_1["attempts"],
            "connections": sockets_to(sv.pid, sim_port),
            "window_s": round(window, 1),
            "sv_cpu_pct": round(100 * sv_cpu / window, 1),
            "sv_rss_mib": round(s1["rss_kib"] / 1024, 1),
            "sv_rss_mib_at_60s": (round(rss_at_60s / 1024, 1) if rss_at_60s
                                  else "-"),
            "sv_rss_kib_per_symbol": round(s1["rss_kib"] / a.symbols, 1),
            "sv_threads": s1["threads"],
            "trades": t_1["trades"] - t_0["trades"],
            "depth_events": t_1["events"] - t_0["events"],
            "msgs_per_s": round(msgs / window),
            "cpu_us_per_msg": round(1e6 * sv_cpu / msgs, 1) if msgs else "-",
            "sim_cpu_pct": round(100 * (m1["cpu_s"] - m0["cpu_s"]) / window, 1),
        }
        if a.scrapes > 0:
            median, worst, size, samples = scrape_metrics(api_port, a.scrapes)
            fig.update({"metrics_scrape_ms_p50": round(median, 1),
                        "metrics_scrape_ms_max": round(worst, 1),
                        "metrics_kib": round(size / 1024), "metrics_samples": samples})
        print(" ".join(f"{k}={v}" for k, v in fig.items()), flush=True)
        return 0 if ok else 1
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if not a.work_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
