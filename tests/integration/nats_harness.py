"""nats_harness: what the JetStream tests share: a real nats-server (Debian's) with
JetStream on a kernel-picked port of 127.0.0.1 and a scratch store, killed and started
again on the same port and store; the stream read back with streamvisor-nats-tail (a
durable libnats consumer); and a publish written here with the NATS protocol itself,
to see JetStream's de-duplication answer without streamvisor in between."""

import json
import os
import re
import signal
import socket
import sys

import process_harness as harness
from process_harness import check, poll

LISTENING = re.compile(r"Listening for client connections on 127\.0\.0\.1:(\d+)")


def main(script, prefix, run):
    """The entry point of a test run as SCRIPT STREAMVISOR SIM NATS_TAIL NATS_SERVER:
    skips (77) without nats-server, else calls run(streamvisor, sim, tail,
    nats_server, work) in a scratch folder (process_harness.run_main)."""
    if len(sys.argv) != 5:
        print("usage: %s STREAMVISOR SIM NATS_TAIL NATS_SERVER" % script)
        sys.exit(2)
    streamvisor, sim_binary, tail, nats_server_binary = sys.argv[1:]
    require(nats_server_binary)
    harness.run_main(prefix, lambda work: run(streamvisor, sim_binary, tail,
                                              nats_server_binary, work))


def require(nats_server_binary):
    """Exits 77 (CTest: skipped) when nats-server is not installed."""
    if not os.access(nats_server_binary, os.X_OK):
        print("SKIP: %s is not installed (scripts/deps.sh installs nats-server)"
              % nats_server_binary)
        sys.exit(77)


class nats_server:
    """nats-server -js on 127.0.0.1; its store in work/name-store."""

    def __init__(self, binary, work, name):
        self.binary, self.work, self.name = binary, work, name
        self.store = os.path.join(work, name + "-store")
        self.port = -1  # nats-server's own "pick a free port"
        self.starts = 0
        self.start()

    def start(self):
        self.starts += 1
        log_name = "%s-%d" % (self.name, self.starts)
        self.proc, self.log = harness.start_process(
            [self.binary, "-js", "-a", "127.0.0.1", "-p", str(self.port),
             "-sd", self.store], self.work, log_name)

        def listening():
            with open(self.log, errors="replace") as f:
                m = LISTENING.search(f.read())
            return int(m.group(1)) if m else None
        self.port = poll(log_name + " listening", listening, procs={log_name: self.proc})

    def url(self):
        return "nats://127.0.0.1:%d" % self.port

    def kill(self):
        """SIGKILL: no flush, no goodbye to the clients."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def pause(self):
        """SIGSTOP: the connections stay up, nothing is read or answered."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def read_stream(tail_binary, url, durable, subject="md.>", idle_ms=1500,
                stream="MARKETDATA"):
    """Every message of `stream` on `subject`, through a new durable consumer, as
    (stream sequence, Nats-Msg-Id, payload text) in stream order."""
    import subprocess
    out = subprocess.run([tail_binary, "--url", url, "--durable", durable, "--stream",
                          stream, "--subject", subject, "--idle-ms", str(idle_ms)],
                         capture_output=True, text=True, timeout=120)
    check(out.returncode == 0, "streamvisor-nats-tail exited %d: %s"
          % (out.returncode, out.stderr.strip()))
    rows = []
    for line in out.stdout.splitlines():
        seq, msg_id, payload = line.split(" ", 2)
        rows.append((int(seq), msg_id, payload))
    return rows


class raw_client:
    """The NATS client protocol over a socket, written from its documentation
    (docs.nats.io "Client Protocol"): CONNECT with headers, SUB, HPUB, MSG."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        check(self.line().startswith(b"INFO "), "the server did not start with INFO")
        self.send(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,'
                  b'"no_responders":true}\r\nPING\r\n')
        check(self.line() == b"PONG", "no PONG after CONNECT")

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            check(chunk, "the server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exactly(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            check(chunk, "the server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def request_with_id(self, subject, msg_id, payload):
        """HPUB with a Nats-Msg-Id header and a reply inbox; JetStream's answer, parsed."""
        inbox = "_INBOX.sv_test_%d" % id(self)
        headers = ("NATS/1.0\r\nNats-Msg-Id: %s\r\n\r\n" % msg_id).encode()
        body = payload.encode()
        self.send(b"SUB %s 1\r\n" % inbox.encode())
        self.send(b"HPUB %s %s %d %d\r\n%s%s\r\n" % (subject.encode(), inbox.encode(),
                                                     len(headers), len(headers) + len(body),
                                                     headers, body))
        while True:
            line = self.line()
            if line == b"PING":
                self.send(b"PONG\r\n")
                continue
            if line.startswith(b"MSG "):
                size = int(line.split()[-1])
                answer = json.loads(self.exactly(size))
                self.send(b"UNSUB 1\r\n")
                return answer
            check(not line.startswith(b"-ERR"), "the server answered %r" % line)

    def close(self):
        self.sock.close()


#: The fields of a stream's aggTrade compared with the simulator's REST row.
REST_FIELDS = ("p", "q", "f", "l", "T", "m")


def check_trades(tail_binary, url, durable, source, symbol, last_id, rows=None):
    """Reads `symbol`'s trade subject with a new durable consumer (or takes `rows`,
    read from it already) and checks it holds ids first..last_id (first: whatever
    the stream starts at), each once in stream order, each equal to the simulator's
    REST row. Returns the ids."""
    if rows is None:
        rows = read_stream(tail_binary, url, durable, "md.binance.spot.%s.trade" % symbol)
    trades = trade_ids(rows, symbol)
    check(trades, "the stream holds no %s trade" % symbol)
    ids = [a for a, _ in trades]
    bad = next((i for i in range(1, len(ids)) if ids[i] != ids[i - 1] + 1), None)
    check(bad is None, "%s: the stream holds trade %s after %s (stream order)"
          % (symbol, ids[bad] if bad else None, ids[bad - 1] if bad else None))
    check(ids[-1] == last_id, "%s: the stream ends at %d, the simulator at %d"
          % (symbol, ids[-1], last_id))
    rest = source.rest_rows(symbol, ids[0], ids[-1])
    for a, event in trades:
        for k in REST_FIELDS:
            check(event[k] == rest[a][k], "%s trade %d: %s=%r in the stream, REST %r"
                  % (symbol, a, k, event[k], rest[a][k]))
    return ids


def check_bars(tail_binary, url, durable, symbol, trades, interval="1s", ms=1000):
    """Reads `symbol`'s bar subject of `interval` and checks each bar once (its id
    names its open time), open times ascending, and each equal to the bar computed
    from `trades` ((id, event) of the trade subject, read from the stream): count,
    first and last id, open, high, low, close and volume. Returns the bar count."""
    from decimal import Decimal
    rows = read_stream(tail_binary, url, durable,
                       "md.binance.spot.%s.bar.%s" % (symbol, interval))
    by_open = {}
    for _, event in trades:
        by_open.setdefault(event["T"] // ms * ms, []).append(event)
    opens = []
    for seq, msg_id, payload in rows:
        bar = json.loads(payload)
        check(msg_id == "binance.spot.%s.bar.%s.%d" % (symbol, interval, bar["t"]),
              "stream sequence %d: bar id %s for %s" % (seq, msg_id, payload))
        check(bar["complete"], "an incomplete bar was published: %s" % payload)
        opens.append(bar["t"])
        inside = by_open.get(bar["t"], [])
        prices = [Decimal(e["p"]) for e in inside]
        expect = {"n": len(inside), "first_id": inside[0]["a"] if inside else None,
                  "last_id": inside[-1]["a"] if inside else None}
        for k, v in expect.items():
            check(bar[k] == v, "%s %s bar %d: %s=%r, the stream's trades say %r"
                  % (symbol, interval, bar["t"], k, bar[k], v))
        for k, v in (("o", prices[0]), ("h", max(prices)), ("l", min(prices)),
                     ("c", prices[-1]), ("v", sum(Decimal(e["q"]) for e in inside))):
            check(Decimal(bar[k]) == v, "%s %s bar %d: %s=%s, the stream's trades say %s"
                  % (symbol, interval, bar["t"], k, bar[k], v))
    check(opens == sorted(set(opens)), "%s %s bars not once each in time order: %r"
          % (symbol, interval, opens))
    return len(opens)


def rows_by_symbol(rows):
    """`rows` of several trade subjects (read with md.binance.spot.*.trade), split
    by the symbol of their message id, each list in stream order."""
    result = {}
    for row in rows:
        symbol = row[1].split(".")[2]
        result.setdefault(symbol, []).append(row)
    return result


def trade_ids(rows, symbol):
    """(aggregate id, event) of each of `rows` (read from `symbol`'s trade subject) in
    stream order, each payload an aggTrade of `symbol` whose message id names its id."""
    ids = []
    for seq, msg_id, payload in rows:
        event = json.loads(payload)
        check(event["e"] == "aggTrade" and event["s"] == symbol,
              "stream sequence %d holds %s" % (seq, payload))
        check(msg_id == "binance.spot.%s.trade.%d" % (symbol, event["a"]),
              "stream sequence %d: message id %s for %s" % (seq, msg_id, payload))
        ids.append((event["a"], event))
    return ids
