"""process_harness: what the Python integration tests share (failing with logs,
polling with a deadline, HTTP calls with Python's own http.client, the
failure/check/poll trio of the tests that raise instead of exiting, and the simulator
and streamvisor processes the feed and mirror tests start)."""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DEADLINE_S = 30


def fail(why, logs):
    """Prints why and the last 40 lines of each log ({name: path}), exits 1."""
    print("FAIL:", why)
    for name, path in logs.items():
        try:
            with open(path, errors="replace") as f:
                print("--- %s (last 40 lines)" % name)
                print("".join(f.readlines()[-40:]))
        except OSError:
            pass
    sys.exit(1)


def wait_for(what, check, logs, procs=None, deadline_s=DEADLINE_S):
    """Polls check() every 0.1 s until it returns something true, which is
    returned; fails (with `logs`) at the deadline or when one of `procs`
    ({name: Popen}) exits first. Errors from check() count as not yet."""
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        for name, p in (procs or {}).items():
            if p.poll() is not None:
                fail("%s exited with %d while waiting for %s" % (name, p.returncode, what),
                     logs)
        try:
            last = check()
            if last:
                return last
        except (OSError, ValueError, KeyError, IndexError, AttributeError, TypeError) as e:
            last = e
        time.sleep(0.1)
    fail("timed out waiting for %s (last: %r)" % (what, last), logs)


class failure(Exception):
    """A broken promise; the test's main() prints it with its logs and exits 1."""


def check(ok, why):
    if not ok:
        raise failure(why)


#: What poll() counts as "not yet" by default: the errors of a process or an
#: answer that is still coming.
NOT_YET = (OSError, ValueError, KeyError, IndexError, AttributeError, TypeError)


def poll(what, fn, deadline_s=DEADLINE_S, procs=None, not_yet=NOT_YET):
    """fn() until it returns something true (returned), or failure at the deadline or
    when one of procs ({name: Popen}) exits first. An exception in `not_yet` from
    fn() means not yet; any other propagates."""
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        for name, p in (procs or {}).items():
            check(p.poll() is None, "%s exited with %s while waiting for %s"
                  % (name, p.returncode, what))
        try:
            last = fn()
            if last:
                return last
        except not_yet as e:
            last = e
        time.sleep(0.1)
    raise failure("timed out waiting for %s (last: %r)" % (what, last))


def call(port, method, path, body=None, headers=None):
    """One request to 127.0.0.1:port; (status, parsed JSON body or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read().decode()
        return r.status, (json.loads(data) if data else None)
    finally:
        conn.close()


# --- the processes the feed and mirror tests start --------------------------------------

#: Every log of a started process ({name: path}), printed when a test fails.
LOGS = {}
#: Every process started, killed by run_main() if still running at the end.
PROCS = []


def get(port, path):
    """GET path from 127.0.0.1:port; its parsed body, which must come with 200."""
    code, body = call(port, "GET", path)
    check(code == 200, "GET %s answered %d %s" % (path, code, body))
    return body


def start_process(argv, work, name):
    """Starts argv with its output in work/name.log; returns (Popen, log path)."""
    log = os.path.join(work, name + ".log")
    proc = subprocess.Popen(argv, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    PROCS.append(proc)
    LOGS[name] = log
    return proc, log


class sim_process:
    """streamvisor-sim on 127.0.0.1 with `args`, its port picked by the kernel."""

    def __init__(self, binary, work, name, args):
        self.name = name
        port_file = os.path.join(work, name + ".port")
        self.proc, self.log = start_process(
            [binary, "--port", "0", "--port-file", port_file, "--log-level", "info"] + args,
            work, name)
        self.port = int(poll(name + "'s port", lambda: open(port_file).read().strip(),
                             procs={name: self.proc}))

    def symbols(self):
        """/sim/stats by symbol."""
        return get(self.port, "/sim/stats")["symbols"]

    def rest_rows(self, symbol, first, last):
        """The simulator's REST rows for ids first..last, by id."""
        rows = {}
        n = first
        while n <= last:
            page = get(self.port, "/api/v3/aggTrades?symbol=%s&fromId=%d&limit=1000"
                       % (symbol, n))
            check(page and page[0]["a"] == n,
                  "the simulator's REST has no %s trade %d: %s" % (symbol, n, page[:1]))
            for row in page:
                rows[row["a"]] = row
            n = page[-1]["a"] + 1
        return rows

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class daemon_process:
    """streamvisor against the simulator on `sim_port` with `args` (symbols, streams,
    the rest), its API (and the feed) on a kernel-picked port of 127.0.0.1."""

    def __init__(self, binary, sim_port, work, name, args):
        self.name = name
        self.proc, self.log = start_process(
            [binary, "--endpoint", "ws://127.0.0.1:%d" % sim_port,
             "--rest-endpoint", "http://127.0.0.1:%d" % sim_port,
             "--http", "127.0.0.1:0",
             "--lock-file", os.path.join(work, name + ".lock")] + args, work, name)

        def port():
            m = re.search(r"api_listening listen=127\.0\.0\.1:(\d+)", self.text())
            return int(m.group(1)) if m else None
        self.port = poll(name + "'s API", port, procs={name: self.proc})

    def text(self):
        return open(self.log, errors="replace").read()

    def metrics(self, symbol):
        return get(self.port, "/symbols/%s/metrics" % symbol)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=DEADLINE_S)
        check(code == 0, "%s exited with %d after SIGTERM" % (self.name, code))


def run_main(prefix, body, errors=()):
    """Runs body(work) in a fresh scratch folder; a failure, an OSError or one of
    `errors` fails the test with every log; every process still running is killed
    and the folder removed either way."""
    work = tempfile.mkdtemp(prefix=prefix)
    try:
        body(work)
    except failure as e:
        fail(str(e), LOGS)
    except (OSError,) + tuple(errors) as e:
        fail("%s: %s" % (type(e).__name__, e), LOGS)
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
