#!/usr/bin/env python3
"""oversize_frame_test: issue 13's reproduction against a server nobody here wrote.

Debian's python3-websockets serves ws://127.0.0.1:<kernel-picked port>. Its first
connection gets one aggTrade and then one 17 MiB text frame (over streamvisor's
16 MiB message bound); every later connection gets one binary frame (Binance
sends text only) and then a normal aggTrade stream. On a bare /stream connection
(streamvisor's default shared sockets) the server first answers the SUBSCRIBE as
Binance does and wraps each trade as {"stream":..,"data":..}. The
built streamvisor binary (argv[1]) runs the issue's command line. The test passes
when streamvisor
  - stays alive (before the fix it died with SIGSEGV / "free(): invalid next size"),
  - closes the first connection with 1009 and logs the oversize exactly once,
  - reconnects through its supervisor (2+ connections) and streams again: a later
    transition to=streaming in the log and state "streaming" in /status,
  - and /status counts what its transport refused: "transport" has
    oversize_messages 1 and binary_frames 1 or more (one per later connection).
Exit 0 on success, 1 on failure, 77 (CTest: skipped) without python3-websockets.
"""

import asyncio
import json
import os
import re
import signal
import sys
import tempfile
import time
import urllib.request

try:
    import websockets
except ImportError:
    print("SKIP: python3-websockets is not installed (scripts/deps.sh installs it)")
    sys.exit(77)

BIG_BYTES = 17 << 20  # 17 MiB: one frame over the 16 MiB bound
LIMIT = 16 << 20
DEADLINE_S = 60


class feed:
    """Server side state, shared by every connection."""

    def __init__(self):
        self.connections = 0
        self.close_codes = []  # close code each connection ended with
        self.next_id = 1  # aggregate trade id, contiguous across connections
        self.streaming_again = asyncio.Event()  # a connection after the first got frames

    def trade(self):
        now_ms = int(time.time() * 1000)
        a = self.next_id
        self.next_id += 1
        return json.dumps({"e": "aggTrade", "E": now_ms, "s": "BTCUSDT", "a": a,
                           "p": "37000.10", "q": "0.0123", "f": a, "l": a,
                           "T": now_ms, "m": True, "M": True},
                          separators=(",", ":"))

    async def subscribe(self, ws):
        """Binance's SUBSCRIBE on a bare /stream: answers it; returns how a trade
        is framed on this connection."""
        if ws.path != "/stream":
            return lambda trade: trade
        request = json.loads(await ws.recv())
        if request.get("method") != "SUBSCRIBE":
            raise RuntimeError("expected SUBSCRIBE, got %r" % request)
        await ws.send(json.dumps({"result": None, "id": request["id"]}))
        name = request["params"][0]
        return lambda trade: '{"stream":"%s","data":%s}' % (name, trade)

    async def handler(self, ws, _path=None):
        self.connections += 1
        number = self.connections
        try:
            frame = await self.subscribe(ws)
            if number == 1:
                await ws.send(frame(self.trade()))
                await ws.send("x" * BIG_BYTES)
                await ws.wait_closed()
            else:
                await ws.send(b"\x00\x01binary")  # dropped and counted, no restart
                sent = 0
                while True:
                    await ws.send(frame(self.trade()))
                    sent += 1
                    if sent == 5:
                        self.streaming_again.set()
                    await asyncio.sleep(0.05)  # the feed's pace, not a synchronisation
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_codes.append(ws.close_code)


def fail(msg, log_text=""):
    print("FAIL: " + msg)
    if log_text:
        print("---- streamvisor log ----")
        print(log_text[-20000:])
    sys.exit(1)


async def wait_for(predicate, what, log):
    deadline = time.monotonic() + DEADLINE_S
    while not predicate():
        if time.monotonic() > deadline:
            fail("timed out waiting for " + what, log())
        await asyncio.sleep(0.05)


async def main(binary):
    state = feed()
    server = await websockets.serve(state.handler, "127.0.0.1", 0,
                                    max_size=1 << 20, compression=None)
    port = server.sockets[0].getsockname()[1]
    work = tempfile.mkdtemp(prefix="sv-oversize-")
    log_path = os.path.join(work, "streamvisor.log")
    log_file = open(log_path, "wb")

    def log():
        with open(log_path, "r", errors="replace") as f:
            return f.read()

    # The command line, plus a private lock file so parallel tests do not
    # collide and a short first backoff so the restart comes quickly.
    proc = await asyncio.create_subprocess_exec(
        binary, "--symbols", "BTCUSDT", "--endpoint", "ws://127.0.0.1:%d" % port,
        "--rest-endpoint", "http://127.0.0.1:1", "--http", "127.0.0.1:0",
        "--warmup-s", "0", "--lock-file", os.path.join(work, "streamvisor.lock"),
        "--backoff-initial-ms", "100",
        stdout=log_file, stderr=asyncio.subprocess.STDOUT)
    # Whichever comes first: the second connection streams, or streamvisor dies
    # (before the fix: SIGSEGV, exit -11, right after the big frame).
    streamed = asyncio.ensure_future(state.streaming_again.wait())
    exited = asyncio.ensure_future(proc.wait())
    await asyncio.wait([streamed, exited], timeout=DEADLINE_S,
                       return_when=asyncio.FIRST_COMPLETED)
    if not streamed.done():
        fail("no second connection streamed (connections=%d, exit=%s)"
             % (state.connections, proc.returncode), log())
    # The connection actor logs the transition once the first frame of the new
    # connection arrived.
    await wait_for(lambda: len(re.findall(r"transition .*to=streaming", log())) >= 2,
                   "a second transition to streaming", log)
    if proc.returncode is not None:
        fail("streamvisor exited with %d" % proc.returncode, log())

    text = log()
    oversize = [l for l in text.splitlines() if " ws_oversize " in l]
    if len(oversize) != 1:
        fail("expected one ws_oversize line, got %d" % len(oversize), text)
    reason = "message too large (%d bytes > limit %d)" % (BIG_BYTES, LIMIT)
    if reason not in text:
        fail("no ws_closed with reason \"%s\"" % reason, text)
    if state.connections < 2:
        fail("expected 2+ connections, got %d" % state.connections, text)
    if not state.close_codes or state.close_codes[0] != 1009:
        fail("first connection closed with %s, expected 1009" % state.close_codes, text)

    m = re.search(r"api_listening listen=127\.0\.0\.1:(\d+)", text)
    if not m:
        fail("no api_listening line", text)
    with urllib.request.urlopen("http://127.0.0.1:%s/status" % m.group(1), timeout=10) as r:
        status = json.load(r)
    child = status["children"][0]
    if child["state"] != "streaming" or child["restarts"] < 1:
        fail("/status: %s" % json.dumps(child), text)
    transport = status.get("transport", {})
    if transport.get("oversize_messages") != 1 or \
            not 1 <= transport.get("binary_frames", 0) <= state.connections - 1:
        fail("/status transport: %s" % json.dumps(transport), text)

    proc.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(exited, DEADLINE_S)
    server.close()
    await server.wait_closed()
    log_file.close()
    if code != 0:
        fail("streamvisor exited with %d after SIGTERM" % code, log())
    print("ok: connections=%d close_codes=%s oversize_lines=1 restarts=%d"
          % (state.connections, state.close_codes, child["restarts"]))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: oversize_frame_test.py PATH_TO_STREAMVISOR")
        sys.exit(2)
    asyncio.run(main(sys.argv[1]))
