#!/usr/bin/env python3
"""runtime_symbols_test: PUT and DELETE /symbols/{S} over real sockets.

The built simulator serves ws:// and REST on loopback; the built streamvisor starts
with BTCUSDT only (shared sockets, the default). Python's own http.client (a client
nobody here wrote) then:
  - sends 50 concurrent PUT /symbols/ETHUSDT with {"streams":["aggTrade","depth"]}:
    exactly one answers 201, the others 200, and /status shows one ETHUSDT child per
    stream with one connect attempt each;
  - waits for ETHUSDT's trades and synced book through the API;
  - DELETEs it: 200 with 2 children, then /symbols, /status and the pool no longer
    hold it, its trades answer 404, and BTCUSDT streamed on throughout;
  - PUTs it again: 201 and it streams again;
  - restarts streamvisor with --api-token: a PUT without the token is 401, with it 201;
  - SIGTERM: exit 0.
Usage: runtime_symbols_test.py STREAMVISOR SIM. Exit 0 on success, 1 on failure.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

import process_harness as harness

DEADLINE_S = harness.DEADLINE_S
TOKEN = "0123456789abcdef0123"


def fail(why, log_path=None):
    harness.fail(why, {"streamvisor": log_path} if log_path else {})


def wait_for(what, check, log_path):
    return harness.wait_for(what, check, {"streamvisor": log_path} if log_path else {})


call = harness.call


class daemon:
    def __init__(self, binary, sim_port, work, extra):
        self.log = os.path.join(work, "streamvisor-%d.log" % len(os.listdir(work)))
        self.proc = subprocess.Popen(
            [binary, "--symbols", "BTCUSDT", "--streams", "aggTrade",
             "--endpoint", "ws://127.0.0.1:%d" % sim_port,
             "--rest-endpoint", "http://127.0.0.1:%d" % sim_port,
             "--http", "127.0.0.1:0", "--warmup-s", "0",
             "--lock-file", os.path.join(work, "streamvisor.lock")] + extra,
            stdout=open(self.log, "wb"), stderr=subprocess.STDOUT)

        def port():
            m = re.search(r"api_listening listen=127\.0\.0\.1:(\d+)", open(self.log).read())
            return int(m.group(1)) if m else None
        self.port = wait_for("streamvisor's API", port, self.log)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=DEADLINE_S)
        if code != 0:
            fail("streamvisor exited with %d after SIGTERM" % code, self.log)


def children(port, symbol):
    _, status = call(port, "GET", "/status")
    return [c for c in status["children"] if c["symbol"] == symbol]


def main(streamvisor, sim):
    work = tempfile.mkdtemp(prefix="sv-runtime-symbols-")
    port_file = os.path.join(work, "sim.port")
    sim_proc = subprocess.Popen([sim, "--port", "0", "--port-file", port_file,
                                 "--rate", "50", "--log-level", "warn"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sim_port = int(wait_for("the simulator's port",
                                lambda: open(port_file).read().strip(), None))
        sv = daemon(streamvisor, sim_port, work, [])
        api = sv.port

        # 50 concurrent PUTs of one new symbol.
        body = json.dumps({"streams": ["aggTrade", "depth"]})
        codes = []
        lock = threading.Lock()

        def put():
            code, _ = call(api, "PUT", "/symbols/ethusdt", body,
                           {"Content-Type": "application/json"})
            with lock:
                codes.append(code)
        threads = [threading.Thread(target=put) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if sorted(codes) != [200] * 49 + [201]:
            fail("50 concurrent PUTs answered %s" % sorted(set(codes)), sv.log)
        eth = children(api, "ETHUSDT")
        if sorted(c["stream"] for c in eth) != ["aggTrade", "depth"] or \
                any(c["connect_attempts"] != 1 for c in eth):
            fail("ETHUSDT children after 50 PUTs: %s" % eth, sv.log)

        wait_for("ETHUSDT trades",
                 lambda: call(api, "GET", "/symbols/ETHUSDT/trades?limit=5")[1]["trades"],
                 sv.log)
        wait_for("ETHUSDT's book synced",
                 lambda: call(api, "GET", "/symbols/ETHUSDT/book?depth=1")[1]["synced"],
                 sv.log)
        btc_before = children(api, "BTCUSDT")[0]["trades"]

        code, answer = call(api, "DELETE", "/symbols/ETHUSDT")
        if code != 200 or answer != {"symbol": "ETHUSDT", "removed": True, "children": 2}:
            fail("DELETE answered %d %s" % (code, answer), sv.log)
        _, symbols = call(api, "GET", "/symbols")
        if symbols["symbols"] != ["BTCUSDT"]:
            fail("/symbols after DELETE: %s" % symbols, sv.log)
        if children(api, "ETHUSDT"):
            fail("/status still lists ETHUSDT", sv.log)
        _, status = call(api, "GET", "/status")
        if "ethusdt" in json.dumps(status.get("pool", {})):
            fail("the pool still carries an ETHUSDT stream: %s" % status["pool"], sv.log)
        if call(api, "GET", "/symbols/ETHUSDT/trades")[0] != 404:
            fail("ETHUSDT trades still served", sv.log)
        if "ETHUSDT" not in open(sv.log).read() or \
                not re.search(r"supervisor ETHUSDT removed children=2", open(sv.log).read()):
            fail("no removal line in the log", sv.log)
        wait_for("BTCUSDT streaming on",
                 lambda: children(api, "BTCUSDT")[0]["trades"] > btc_before, sv.log)

        code, _ = call(api, "PUT", "/symbols/ETHUSDT")
        if code != 201:
            fail("PUT after DELETE answered %d" % code, sv.log)
        wait_for("ETHUSDT trades again",
                 lambda: call(api, "GET", "/symbols/ETHUSDT/trades?limit=1")[1]["trades"],
                 sv.log)
        sv.stop()

        sv = daemon(streamvisor, sim_port, work, ["--api-token", TOKEN])
        code, answer = call(sv.port, "PUT", "/symbols/SOLUSDT")
        if code != 401:
            fail("PUT without the token answered %d %s" % (code, answer), sv.log)
        code, _ = call(sv.port, "PUT", "/symbols/SOLUSDT", None,
                       {"Authorization": "Bearer " + TOKEN})
        if code != 201:
            fail("PUT with the token answered %d" % code, sv.log)
        sv.stop()
        print("ok: 50 concurrent PUTs -> one 201 and 49 200, one child per stream; "
              "DELETE closed 2 children; re-PUT streamed; token enforced")
    finally:
        if sim_proc.poll() is None:
            sim_proc.terminate()
            sim_proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: runtime_symbols_test.py STREAMVISOR SIM")
        sys.exit(2)
    main(*sys.argv[1:])
