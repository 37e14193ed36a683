"""process_harness: what the Python integration tests share (failing with logs,
polling with a deadline, HTTP calls with Python's own http.client, and the
failure/check/poll trio of the tests that raise instead of exiting)."""

import http.client
import json
import sys
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
