#!/usr/bin/env python3
"""prometheus_scrape_test: a real Prometheus (Debian's package) scrapes streamvisor.

The built simulator serves ws:// and REST on a kernel-picked loopback port; the
built streamvisor streams BTCUSDT (aggTrade and depth) and ETHUSDT from it, its API
on a kernel-picked port. Prometheus 2.42 from Debian, on a free loopback port with a
scratch TSDB, scrapes /metrics every second and loads config/prometheus-alerts.yml.
The test passes when, through Prometheus's own query API:
  - the target is up, with no scrape error;
  - streamvisor_stream_state{symbol="BTCUSDT",stream="aggTrade",state="streaming"} is 1;
  - the messages counter of BTCUSDT@aggTrade grows between two scrapes (rate > 0);
  - histogram_quantile over the frame-to-aggregator buckets and over the
    connect-latency buckets gives numbers;
  - streamvisor_build_info, process_open_fds and the book's state are there;
  - every rule of the example alert file loaded with health "ok".
Usage: prometheus_scrape_test.py STREAMVISOR SIM SOURCE_DIR. Exit 0 on success,
1 on failure, 77 (CTest: skipped) without the prometheus binary.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

import process_harness as harness


fail = harness.fail


def free_port():
    """A loopback port nobody listens on now (Prometheus cannot bind port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


wait_for = harness.wait_for


def main(streamvisor, sim, source_dir):
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        print("SKIP: prometheus is not installed (scripts/deps.sh installs it)")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="sv-prometheus-")
    logs = {n: os.path.join(work, n + ".log") for n in ("sim", "streamvisor", "prometheus")}
    procs = {}

    def start(name, argv):
        procs[name] = subprocess.Popen(argv, stdout=open(logs[name], "wb"),
                                       stderr=subprocess.STDOUT)

    def read(name):
        with open(logs[name], "r", errors="replace") as f:
            return f.read()

    try:
        port_file = os.path.join(work, "sim.port")
        start("sim", [sim, "--port", "0", "--port-file", port_file, "--rate", "50",
                      "--symbols", "BTCUSDT,ETHUSDT", "--log-level", "warn"])
        sim_port = wait_for("the simulator's port",
                            lambda: open(port_file).read().strip(), logs, procs)
        start("streamvisor", [
            streamvisor, "--symbols", "BTCUSDT,ETHUSDT", "--streams", "aggTrade,depth",
            "--endpoint", "ws://127.0.0.1:%s" % sim_port,
            "--rest-endpoint", "http://127.0.0.1:%s" % sim_port,
            "--http", "127.0.0.1:0", "--warmup-s", "0",
            "--lock-file", os.path.join(work, "streamvisor.lock")])
        api_port = wait_for(
            "streamvisor's API",
            lambda: re.search(r"api_listening listen=127\.0\.0\.1:(\d+)",
                              read("streamvisor")).group(1), logs, procs)
        alerts = os.path.abspath(os.path.join(source_dir, "config", "prometheus-alerts.yml"))
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files:\n  - %s\n"
                    "scrape_configs:\n  - job_name: streamvisor\n"
                    "    static_configs:\n      - targets: ['127.0.0.1:%s']\n"
                    % (alerts, api_port))
        prom_port = free_port()
        start("prometheus", [prometheus, "--config.file=" + config,
                             "--storage.tsdb.path=" + os.path.join(work, "tsdb"),
                             "--web.listen-address=127.0.0.1:%d" % prom_port,
                             "--log.level=warn"])
        base = "http://127.0.0.1:%d" % prom_port

        def api(path, **params):
            url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
            with urllib.request.urlopen(url, timeout=5) as r:
                doc = json.load(r)
            if doc.get("status") != "success":
                raise ValueError(doc)
            return doc["data"]

        def value(query):
            """The one sample `query` returns now, or None."""
            result = api("/api/v1/query", query=query)["result"]
            return float(result[0]["value"][1]) if len(result) == 1 else None

        def target_up():
            targets = api("/api/v1/targets")["activeTargets"]
            return len(targets) == 1 and targets[0]["health"] == "up" and \
                targets[0]["lastError"] == "" and targets[0]
        target = wait_for("the scrape target to be up", target_up, logs, procs)

        streaming = 'streamvisor_stream_state{symbol="BTCUSDT",stream="aggTrade",state="streaming"}'
        wait_for(streaming + " == 1", lambda: value(streaming) == 1, logs, procs)
        rate = 'rate(streamvisor_stream_messages_received_total{symbol="BTCUSDT",stream="aggTrade"}[5s])'
        got_rate = wait_for(rate + " > 0", lambda: (value(rate) or 0) > 0 and value(rate),
                            logs, procs)
        p50 = 'histogram_quantile(0.5, streamvisor_frame_to_aggregator_latency_seconds_bucket)'
        got_p50 = wait_for("a frame-latency median", lambda: value(p50) is not None and
                           value(p50) == value(p50) and value(p50), logs, procs)
        connect = 'histogram_quantile(0.99, sum by (le) (streamvisor_connect_latency_seconds_bucket))'
        got_connect = wait_for("a connect-latency p99", lambda: value(connect), logs, procs)
        build = wait_for("streamvisor_build_info",
                         lambda: api("/api/v1/query", query="streamvisor_build_info")["result"],
                         logs, procs)
        fds = wait_for("process_open_fds", lambda: value("process_open_fds"), logs, procs)
        book = 'streamvisor_book_state{symbol="BTCUSDT",state="synced"}'
        wait_for(book + " == 1", lambda: value(book) == 1, logs, procs)
        samples = value('scrape_samples_scraped{job="streamvisor"}')

        with open(alerts) as f:
            in_file = sum(1 for line in f if line.strip().startswith("- alert:"))

        def rules_ok():
            groups = api("/api/v1/rules")["groups"]
            rules = [r for g in groups for r in g["rules"]]
            return (len(rules) == in_file and all(r.get("health") == "ok" for r in rules)
                    and rules)
        rules = wait_for("every alert rule evaluated with health ok", rules_ok, logs, procs)

        version = build[0]["metric"].get("version", "")
        print("ok: target %s up; %d samples a scrape; BTCUSDT aggTrade %.1f msgs/s; "
              "frame-to-aggregator p50 %.0f us; connect p99 %.3f s; open fds %d; "
              "version %s; %d alert rules ok"
              % (target["scrapeUrl"], samples, got_rate, got_p50 * 1e6, got_connect,
                 fds, version, len(rules)))
    finally:
        for name in ("prometheus", "streamvisor", "sim"):
            p = procs.get(name)
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print("usage: prometheus_scrape_test.py STREAMVISOR SIM SOURCE_DIR")
        sys.exit(2)
    main(*sys.argv[1:])
