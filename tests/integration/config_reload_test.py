#!/usr/bin/env python3
"""config_reload_test: SIGHUP re-reads the config file and applies the difference.

The built simulator serves ws:// and REST on loopback; the built streamvisor runs
from a config file (symbols BTCUSDT, log_level warn) under a fake systemd (a
datagram socket named by NOTIFY_SOCKET). The test then rewrites the file and sends
SIGHUP, three times:
  1. SOLUSDT added, log_level info: SOLUSDT streams (its trades through the API),
     the log has "reloaded added=SOLUSDT" (visible only because the level is now
     info), and systemd got RELOADING=1 (with MONOTONIC_USEC) then READY=1;
  2. a file with a bad value on line 3: "reload_rejected" names file:3 and the
     key, the symbols stay, READY=1 comes again;
  3. BTCUSDT dropped and history_trades_max changed: BTCUSDT is removed (its
     /trades answer 404, /status holds no BTCUSDT child), and
     "reload_needs_restart keys=history_trades_max" is logged.
Then SIGTERM exits 0. Usage: config_reload_test.py STREAMVISOR SIM.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

import process_harness as harness

DEADLINE_S = harness.DEADLINE_S


def fail(why, log_path):
    harness.fail(why, {"streamvisor": log_path})


def get(port, path):
    return harness.call(port, "GET", path)


def wait_for(what, check, log_path):
    return harness.wait_for(what, check, {"streamvisor": log_path})


def write_config(path, lines):
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(path + ".tmp", path)


def main(streamvisor, sim):
    work = tempfile.mkdtemp(prefix="sv-reload-")
    log = os.path.join(work, "streamvisor.log")
    config = os.path.join(work, "streamvisor.toml")
    port_file = os.path.join(work, "sim.port")
    notify_path = os.path.join(work, "notify.sock")
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(notify_path)
    systemd.setblocking(False)
    notes = []

    def notifications():
        while True:
            try:
                notes.append(systemd.recv(4096).decode())
            except BlockingIOError:
                return notes

    def text():
        return open(log, errors="replace").read()

    sim_proc = subprocess.Popen([sim, "--port", "0", "--port-file", port_file,
                                 "--rate", "50", "--log-level", "warn"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sv = None
    try:
        sim_port = int(wait_for("the simulator's port",
                                lambda: open(port_file).read().strip(), log if os.path.exists(log) else os.devnull))
        endpoint = ["endpoint = \"ws://127.0.0.1:%d\"" % sim_port,
                    "rest_endpoint = \"http://127.0.0.1:%d\"" % sim_port]
        write_config(config, ["symbols = [\"BTCUSDT\"]", "log_level = \"warn\""] + endpoint)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        # log_level warn hides the api_listening line: pick the port here.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        sv = subprocess.Popen([streamvisor, "--config", config, "--http", "127.0.0.1:%d" % port,
                               "--warmup-s", "0", "--lock-file",
                               os.path.join(work, "streamvisor.lock")],
                              stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env)
        wait_for("READY=1", lambda: any(n.startswith("READY=1") for n in notifications()), log)

        # 1. add SOLUSDT, raise the log level.
        write_config(config, ["symbols = [\"BTCUSDT\", \"SOLUSDT\"]", "log_level = \"info\""] + endpoint)
        before = len(notifications())
        sv.send_signal(signal.SIGHUP)
        wait_for("SOLUSDT trades",
                 lambda: get(port, "/symbols/SOLUSDT/trades?limit=1")[1]["trades"], log)
        wait_for("the reloaded line", lambda: re.search(r"reloaded added=SOLUSDT removed=- symbols=2 log_level=info", text()), log)
        got = wait_for("RELOADING=1 then READY=1", lambda: (
            lambda new: len(new) >= 2 and new[0].startswith("RELOADING=1\nMONOTONIC_USEC=")
            and new[-1].startswith("READY=1") and new)(notifications()[before:]), log)

        # 2. a bad value on line 3: rejected, nothing changes.
        write_config(config, ["symbols = [\"BTCUSDT\", \"SOLUSDT\"]", "log_level = \"info\"",
                              "connect_timeout_ms = \"soon\""] + endpoint)
        before = len(notifications())
        sv.send_signal(signal.SIGHUP)
        wait_for("reload_rejected naming file:3 and the key", lambda: re.search(
            re.escape(config) + r":3: connect_timeout_ms", text()) and "reload_rejected" in text(), log)
        wait_for("READY=1 after the rejected reload",
                 lambda: any(n.startswith("READY=1\nSTATUS=reload rejected") for n in notifications()[before:]), log)
        if get(port, "/symbols")[1]["symbols"] != ["BTCUSDT", "SOLUSDT"]:
            fail("a rejected reload changed the symbols", log)

        # 3. drop BTCUSDT, change a setting that needs a restart.
        write_config(config, ["symbols = [\"SOLUSDT\"]", "log_level = \"info\"",
                              "history_trades_max = 5000"] + endpoint)
        sv.send_signal(signal.SIGHUP)
        wait_for("BTCUSDT removed", lambda: get(port, "/symbols")[1]["symbols"] == ["SOLUSDT"], log)
        if get(port, "/symbols/BTCUSDT/trades")[0] != 404:
            fail("BTCUSDT still served", log)
        if any(c["symbol"] == "BTCUSDT" for c in get(port, "/status")[1]["children"]):
            fail("/status still lists BTCUSDT", log)
        wait_for("reload_needs_restart", lambda: "reload_needs_restart keys=history_trades_max" in text(), log)

        sv.send_signal(signal.SIGTERM)
        code = sv.wait(timeout=DEADLINE_S)
        sv = None
        if code != 0:
            fail("streamvisor exited with %d after SIGTERM" % code, log)
        print("ok: SOLUSDT added and streaming, log level raised, RELOADING=1/READY=1 (%d notes); "
              "bad line 3 rejected with the symbols kept; BTCUSDT removed; restart-only key reported"
              % len(got))
    finally:
        if sv is not None and sv.poll() is None:
            sv.kill()
        if sim_proc.poll() is None:
            sim_proc.terminate()
            sim_proc.wait(timeout=10)
        systemd.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: config_reload_test.py STREAMVISOR SIM")
        sys.exit(2)
    main(*sys.argv[1:])
