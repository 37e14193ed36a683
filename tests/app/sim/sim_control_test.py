#!/usr/bin/env python3
"""sim_control_test: streamvisor-sim's SUBSCRIBE family and limits, driven by a client
nobody here wrote (Debian's python3-websockets).

argv[1] is the built streamvisor-sim. The test starts two simulators on 127.0.0.1
(kernel-picked ports) and checks, as a Binance client would see it:
  - on a bare /stream, SUBSCRIBE is answered {"result":null,"id":N} before the first
    frame of a new stream, frames arrive wrapped and only for subscribed streams,
    LIST_SUBSCRIPTIONS lists them, UNSUBSCRIBE stops a stream after its answer,
    GET_PROPERTY/SET_PROPERTY switch the wrapper off;
  - bad requests get Binance's error answers (invalid stream, unknown method, not
    JSON with "id":null);
  - the drop-subscription fault silences one stream of a shared socket while the
    others go on, LIST_SUBSCRIPTIONS no longer lists it, and a new SUBSCRIBE brings
    it back (after an id gap: the trades in between went to nobody);
  - 5 messages in a second pass, a 6th closes the connection with 1008 "Too many
    requests"; 1025 parameters are refused; a 1025th stream closes with 1008.
Exit 0 on success, 1 on failure, 77 (CTest: skipped) without python3-websockets.
"""

import asyncio
import json
import subprocess
import sys
import time

try:
    import websockets
except ImportError:
    print("SKIP: python3-websockets is not installed (scripts/deps.sh installs it)")
    sys.exit(77)

TIMEOUT_S = 10
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAILED: " + what, flush=True)


def start_sim(binary, *args):
    proc = subprocess.Popen([binary, "--port", "0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening port="):
        proc.kill()
        raise RuntimeError("sim did not start: " + line)
    return proc, int(line.split()[1].split("=")[1])


async def recv_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))


async def request(ws, method, params=None, req_id=1):
    """Sends one control message and returns its answer; data frames before it are
    returned too, in order."""
    msg = {"method": method, "id": req_id}
    if params is not None:
        msg["params"] = params
    await ws.send(json.dumps(msg))
    before = []
    while True:
        x = await recv_json(ws)
        if "id" in x and ("result" in x or "error" in x):
            return x, before
        before.append(x)


async def frames_for(ws, seconds):
    """Data frames received for `seconds`."""
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            out.append(json.loads(await asyncio.wait_for(
                ws.recv(), max(0.01, end - time.monotonic()))))
        except asyncio.TimeoutError:
            break
    return out


def streams_of(frames):
    return {f["stream"] for f in frames if "stream" in f}


async def shared_socket(port):
    uri = "ws://127.0.0.1:%d/stream" % port
    async with websockets.connect(uri, ping_interval=None, max_size=None) as ws:
        answer, _ = await request(ws, "SUBSCRIBE",
                                  ["btcusdt@aggTrade", "ethusdt@aggTrade",
                                   "btcusdt@depth@100ms"], 1)
        check(answer == {"result": None, "id": 1}, "SUBSCRIBE answered: %r" % answer)
        frames = await frames_for(ws, 0.5)
        got = streams_of(frames)
        check(got == {"btcusdt@aggTrade", "ethusdt@aggTrade", "btcusdt@depth@100ms"},
              "frames for the three subscribed streams only: %r" % got)
        check(all(f["data"]["s"] == f["stream"].split("@")[0].upper()
                  for f in frames), "each wrapped frame's data is its stream's")
        eth_before = [f["data"]["a"] for f in frames
                      if f.get("stream") == "ethusdt@aggTrade"]
        # drop-subscription:symbol=ETHUSDT,frames=40 has fired by now (40 frames at
        # 100+ frames/s); the other streams go on.
        await asyncio.sleep(0.3)
        answer, _ = await request(ws, "LIST_SUBSCRIPTIONS", None, 2)
        check(answer == {"result": ["btcusdt@aggTrade", "btcusdt@depth@100ms"],
                         "id": 2},
              "the dropped stream is no longer listed: %r" % answer)
        frames = await frames_for(ws, 0.5)
        got = streams_of(frames)
        check(got == {"btcusdt@aggTrade", "btcusdt@depth@100ms"},
              "after the drop only BTCUSDT's streams flow: %r" % got)
        eth_before += [f["data"]["a"] for f in frames
                       if f.get("stream") == "ethusdt@aggTrade"]
        answer, _ = await request(ws, "SUBSCRIBE", ["ethusdt@aggTrade"], 3)
        check(answer == {"result": None, "id": 3}, "re-SUBSCRIBE answered")
        frames = await frames_for(ws, 0.5)
        eth_after = [f["data"]["a"] for f in frames
                     if f.get("stream") == "ethusdt@aggTrade"]
        check(len(eth_after) > 0, "ETHUSDT flows again after the new SUBSCRIBE")
        if eth_before and eth_after:
            check(eth_after[0] > eth_before[-1] + 1,
                  "the trades between drop and SUBSCRIBE went to nobody: %d -> %d"
                  % (eth_before[-1], eth_after[0]))
            check(eth_after == list(range(eth_after[0], eth_after[0] + len(eth_after))),
                  "then ETHUSDT's ids are contiguous again")
        answer, before = await request(ws, "UNSUBSCRIBE", ["btcusdt@depth@100ms"], 4)
        check(answer == {"result": None, "id": 4}, "UNSUBSCRIBE answered")
        frames = await frames_for(ws, 0.4)
        check("btcusdt@depth@100ms" not in streams_of(frames),
              "no depth frame after the UNSUBSCRIBE answer")
        await asyncio.sleep(1.0)  # stay under 5 messages per second
        answer, _ = await request(ws, "SUBSCRIBE", ["btcusdt@kline_1m"], 5)
        check(answer == {"error": {"code": 2, "msg": "Invalid request: invalid stream"},
                         "id": 5}, "an unknown stream is refused: %r" % answer)
        answer, _ = await request(ws, "SUBSCRIBEX", ["btcusdt@aggTrade"], 6)
        check(answer.get("error", {}).get("code") == 2
              and answer["error"]["msg"].startswith(
                  "Invalid request: unknown variant `SUBSCRIBEX`, expected one of")
              and answer["id"] == 6, "an unknown method is refused: %r" % answer)
        await ws.send("{not json")
        while True:
            x = await recv_json(ws)
            if "error" in x:
                break
        check(x["id"] is None and x["error"]["code"] == 3
              and x["error"]["msg"].startswith("Invalid JSON: "),
              "not JSON: code 3, id null: %r" % x)
        await asyncio.sleep(1.0)
        answer, _ = await request(ws, "GET_PROPERTY", ["combined"], 7)
        check(answer == {"result": True, "id": 7}, "GET_PROPERTY combined is true")
        answer, _ = await request(ws, "SET_PROPERTY", ["combined", False], 8)
        check(answer == {"result": None, "id": 8}, "SET_PROPERTY answered")
        frames = await frames_for(ws, 0.3)
        check(len(frames) > 0 and all("stream" not in f and f.get("e") == "aggTrade"
                                      for f in frames),
              "after combined=false the frames are raw")


async def rate_limit(port):
    uri = "ws://127.0.0.1:%d/ws" % port
    async with websockets.connect(uri, ping_interval=None) as ws:
        for round_ in range(2):
            for i in range(5):
                await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS",
                                          "id": round_ * 10 + i}))
            answers = [await recv_json(ws) for _ in range(5)]
            check([a["id"] for a in answers] == [round_ * 10 + i for i in range(5)],
                  "5 messages in a second are all answered, in order")
            await asyncio.sleep(1.1)
    async with websockets.connect(uri, ping_interval=None) as ws:
        for i in range(6):
            await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
        code, reason = await closed_with(ws)
        check((code, reason) == (1008, "Too many requests"),
              "a 6th message in a second closes 1008: %r" % ((code, reason),))


async def closed_with(ws):
    try:
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT_S)
    except websockets.exceptions.ConnectionClosed as e:
        return (e.rcvd.code, e.rcvd.reason) if e.rcvd else (None, None)
    except asyncio.TimeoutError:
        return ("timeout", None)


async def stream_limit(port):
    uri = "ws://127.0.0.1:%d/ws" % port
    names = ["s%04dusdt@aggTrade" % i for i in range(1025)]
    async with websockets.connect(uri, ping_interval=None, max_size=None) as ws:
        answer, _ = await request(ws, "SUBSCRIBE", names, 1)
        check(answer == {"error": {"code": 2,
                                   "msg": "Invalid request: too many parameters"},
                         "id": 1}, "1025 parameters are refused: %r" % answer)
        answer, _ = await request(ws, "SUBSCRIBE", names[:1000], 2)
        check(answer == {"result": None, "id": 2}, "1000 streams are taken")
        answer, _ = await request(ws, "SUBSCRIBE", names[1000:1024], 3)
        check(answer == {"result": None, "id": 3}, "up to 1024 streams are taken")
        answer, _ = await request(ws, "LIST_SUBSCRIPTIONS", None, 4)
        check(len(answer["result"]) == 1024, "1024 streams listed")
        await asyncio.sleep(1.1)
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": names[1024:],
                                  "id": 5}))
        code, reason = await closed_with(ws)
        check((code, reason) == (1008, "Too many streams"),
              "a 1025th stream closes 1008: %r" % ((code, reason),))


def main():
    binary = sys.argv[1]
    sim, port = start_sim(binary, "--symbols", "BTCUSDT,ETHUSDT", "--rate", "100",
                          "--fault", "drop-subscription:symbol=ETHUSDT,frames=40,"
                          "connections=1", "--log-level", "warn")
    # Quiet markets for the limits: 1025 symbols at one trade per second and an
    # hourly depth event.
    quiet, quiet_port = start_sim(binary, "--rate", "1", "--depth-interval-ms",
                                  "3600000", "--log-level", "warn")
    try:
        asyncio.run(shared_socket(port))
        asyncio.run(rate_limit(port))
        asyncio.run(stream_limit(quiet_port))
    finally:
        for p in (sim, quiet):
            p.terminate()
            # A clean exit also means no sanitizer report (the ASan build aborts).
            check(p.wait(timeout=30) == 0, "the sim exits 0 on SIGTERM")
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
