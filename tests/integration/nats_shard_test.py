#!/usr/bin/env python3
"""nats_shard_test: three streamvisors of one shard group divide 30 symbols through
leases in a JetStream key-value bucket; one is killed with SIGKILL, the other two
take its symbols over within the lease TTL plus the connect time, and the stream
stays gap-free across the hand-over (issue 12, item 3).

A real nats-server (Debian's, JetStream on, scratch store, kernel-picked port of
127.0.0.1), the simulator producing COUNT trades of each of 30 symbols at RATE a
second, and streamvisors "a", "b" and "c" with the same 30 symbols and
--shard-group, lease LEASE_S seconds:
  - they balance to 10 symbols each, every symbol held by exactly one of them, and
    each streams exactly the symbols it holds (its /status children);
  - "c" gets SIGKILL; within LEASE_S + one round + the connect time (BOUND_S) "a"
    and "b" stream all 30, 15 each, and each of c's symbols was started as a
    hand-over (after the last id the stream held);
  - "b" is frozen (SIGSTOP) until "a" streams all 30 (b's leases lapsed and a took
    them); run again, b finds its leases taken (lease_lost, at least 15), stops those
    symbols, and a and b balance to 15 each again;
  - the group's symbols change at runtime through one member's API, for all: a PUT
    on b of a 31st symbol the simulator serves but no config names answers 202 and
    one member streams it; a DELETE on b of a symbol a streams answers 202 and no
    member streams it (both members' /status show the change); a second DELETE of
    it answers 404; a PUT on a brings it back; a PUT on a naming depth for a symbol
    b streams makes b add the depth stream, and a PUT of it again answers 200;
  - NATS is killed and restarted on its store (the lease bucket, in memory, is
    gone; the symbols bucket, on disk, stays): a and b connect again, create the
    lease bucket anew and balance the 31 symbols again;
  - "a" stops with SIGTERM while trades still flow: it releases its leases and "b"
    streams all 31 within LEASE_S (at its next round, not after the TTL);
  - at the end the stream, read back by streamvisor-nats-tail, holds each symbol's
    trades from the first published to the simulator's last: each id once, in id
    order, equal to the simulator's REST rows, across every move (the symbol removed
    and added back too: its hole is backfilled as a hand-over).
Usage: nats_shard_test.py STREAMVISOR SIM NATS_TAIL NATS_SERVER. Exit 0 on success,
1 on failure, 77 (CTest: skipped) without nats-server.
"""

import signal
import time

import nats_harness
import process_harness as harness
from process_harness import call, check, daemon_process, get, poll, sim_process

SYMBOLS = ["S%02dUSDT" % i for i in range(30)]
EXTRA = "S30USDT"  # served by the simulator, added to the group at runtime
RATE = 40  # trades per second per symbol: 1,240 a second in all
COUNT = 2000  # per symbol: 50 s
FIRST_ID = 5000000
LEASE_S = 3
# The lease lapses after LEASE_S; the survivors' next round (every LEASE_S / 3)
# takes it; the connection's upgrade and first frame take well under a second.
BOUND_S = LEASE_S + LEASE_S / 3.0 + 2


def shard(sv):
    return get(sv.port, "/status")["shard"]


def streaming(sv):
    """The symbols whose aggTrade child streams in sv."""
    return {c["symbol"] for c in get(sv.port, "/status")["children"]
            if c["state"] == "streaming"}


def balanced(instances, symbols=SYMBOLS):
    """The shard states once each of `symbols`, and no other, is held once, every
    instance holds at most its quota (so the counts differ by at most one), and
    each instance streams what it holds; else None."""
    states = {sv.name: shard(sv) for sv in instances}
    held = [set(s["held"]) for s in states.values()]
    quota = -(-len(symbols) // len(instances))
    if any(len(h) > quota for h in held):
        return None
    if set().union(*held) != set(symbols) or sum(len(h) for h in held) != len(symbols):
        return None
    if any(streaming(sv) != set(states[sv.name]["held"]) for sv in instances):
        return None
    return states


def run(streamvisor, sim_binary, tail, nats_server_binary, work):
    t0 = time.monotonic()
    nats = nats_harness.nats_server(nats_server_binary, work, "nats")
    source = sim_process(sim_binary, work, "sim", [
        "--rate", str(RATE), "--symbols", ",".join(SYMBOLS + [EXTRA]), "--count", str(COUNT),
        "--first-id", str(FIRST_ID)])

    def member(name):
        return daemon_process(streamvisor, source.port, work, "streamvisor-" + name, [
            "--symbols", ",".join(SYMBOLS), "--streams", "aggTrade", "--nats", nats.url(),
            "--shard-group", "test", "--shard-instance", name,
            "--shard-lease-s", str(LEASE_S)])
    a, b, c = member("a"), member("b"), member("c")
    procs = {sv.name: sv.proc for sv in (a, b, c)}
    states = poll("three members holding 10 symbols each",
                  lambda: balanced((a, b, c)), procs=procs)
    t_balanced = time.monotonic() - t0
    moved = set(states[c.name]["held"])

    c.proc.kill()
    c.proc.wait(timeout=10)
    t_kill = time.monotonic()
    del procs[c.name]
    after = poll("a and b streaming all 30 symbols, 15 each", lambda: balanced((a, b)),
                 deadline_s=harness.DEADLINE_S, procs=procs)
    takeover_s = time.monotonic() - t_kill
    check(takeover_s <= BOUND_S, "c's symbols streamed again after %.1f s, more than "
          "the lease (%d s) + a round + the connect time (%.1f s)"
          % (takeover_s, LEASE_S, BOUND_S))
    handovers = sum(after[sv.name]["handovers"] for sv in (a, b))
    check(handovers >= len(moved), "%d hand-overs on a and b for c's %d symbols"
          % (handovers, len(moved)))

    # b frozen past its lease (as a partition from NATS would): a takes b's
    # symbols; when b runs again it finds its leases taken, stops those symbols,
    # and the two balance again.
    b.proc.send_signal(signal.SIGSTOP)
    t_pause = time.monotonic()
    try:
        poll("a streaming all 30 symbols while b is frozen", lambda: balanced((a,)),
             procs={a.name: a.proc})
    finally:
        b.proc.send_signal(signal.SIGCONT)
    paused_s = time.monotonic() - t_pause
    rebalanced = poll("a and b balanced again after b's freeze",
                      lambda: balanced((a, b)), procs=procs)
    lost = rebalanced[b.name]["lost"]
    check(lost >= 15, "b ran on after its freeze with %d leases lost, not its 15" % lost)

    # The group's symbols changed through one member's API, for every member.
    t_put = time.monotonic()
    code, body = call(b.port, "PUT", "/symbols/" + EXTRA)
    check(code == 202, "PUT /symbols/%s on b answered %d %s" % (EXTRA, code, body))
    group = SYMBOLS + [EXTRA]
    poll("%s streamed by one member after its PUT on b" % EXTRA,
         lambda: balanced((a, b), group), procs=procs)
    put_s = time.monotonic() - t_put
    removed = sorted(shard(a)["held"])[0]
    t_delete = time.monotonic()
    code, body = call(b.port, "DELETE", "/symbols/" + removed)
    check(code == 202, "DELETE /symbols/%s on b answered %d %s" % (removed, code, body))
    without = [symbol for symbol in group if symbol != removed]
    poll("%s (a's) streamed by no member after its DELETE on b" % removed,
         lambda: balanced((a, b), without), procs=procs)
    delete_s = time.monotonic() - t_delete

    def changes_shown():
        states = {sv.name: shard(sv) for sv in (a, b)}
        return all(s["added"] == [EXTRA] and s["removed"] == [removed]
                   for s in states.values()) or None
    poll("a and b showing the group's changes (added %s, removed %s)" % (EXTRA, removed),
         changes_shown, procs=procs)
    code, body = call(a.port, "DELETE", "/symbols/" + removed)
    check(code == 404 and EXTRA in body["symbols"] and removed not in body["symbols"],
          "a second DELETE of %s answered %d %s" % (removed, code, body))
    code, body = call(a.port, "PUT", "/symbols/" + removed)
    check(code == 202, "PUT /symbols/%s on a answered %d %s" % (removed, code, body))
    poll("%s streamed again after its PUT on a" % removed,
         lambda: balanced((a, b), group), procs=procs)
    # A PUT naming more streams of a symbol b streams, asked of a: b adds them; a
    # PUT of what the group has already changes nothing (200).
    deep = sorted(shard(b)["held"])[0]
    code, body = call(a.port, "PUT", "/symbols/" + deep, '{"streams":["aggTrade","depth"]}')
    check(code == 202 and body["streams"] == ["aggTrade", "depth"],
          "PUT /symbols/%s with depth on a answered %d %s" % (deep, code, body))
    poll("b streaming %s's depth after the PUT on a" % deep, lambda: any(
        c["symbol"] == deep and c["stream"] == "depth" and c["state"] == "streaming"
        for c in get(b.port, "/status")["children"]), procs=procs)
    code, body = call(b.port, "PUT", "/symbols/" + deep)
    check(code == 200 and body["change"] == "none",
          "a second PUT of %s answered %d %s" % (deep, code, body))

    # NATS restarted on its store: the stream and the symbols bucket stay, the
    # lease bucket (in memory) is gone. The members connect again and create it
    # anew; each takes its own leases back (or they move), and the two balance
    # the group's 31 symbols again; a's stop below then needs a working bucket.
    rounds_before = {sv.name: shard(sv)["rounds"] for sv in (a, b)}
    nats.kill()
    nats.start()
    poll("a and b balanced again after NATS's restart", lambda: all(
        shard(sv)["connected"] and shard(sv)["rounds"] > rounds_before[sv.name] + 1
        for sv in (a, b)) and balanced((a, b), group), procs=procs)
    # The changes are in the symbols bucket itself, read back raw from its stream
    # (not only in the members' memory): a member joining now would see them.
    for symbol in (EXTRA, removed):
        rows = nats_harness.read_stream(
            tail, nats.url(), "changes-" + symbol, "$KV.sv_symbols_test.symbol." + symbol,
            idle_ms=500, stream="KV_sv_symbols_test")
        check(rows and rows[-1][2] == "add aggTrade", "the symbols bucket holds %r for %s after "
              "NATS's restart" % (rows[-1][2] if rows else None, symbol))

    # a's graceful stop, while trades still flow: it releases its leases, b takes
    # them at its next round (not after the TTL) and continues after a's last ids.
    a.stop()
    t_stop = time.monotonic()
    poll("b streaming all 31 symbols after a's stop", lambda: balanced((b,), group),
         procs={b.name: b.proc})
    handback_s = time.monotonic() - t_stop
    check(handback_s < LEASE_S, "b took a's symbols after %.1f s: a did not release "
          "them at its stop" % handback_s)

    last_id = FIRST_ID + COUNT - 1
    procs = {b.name: b.proc}
    poll("the simulator's last trades",
         lambda: min(s["last_id"] for s in source.symbols().values()) == last_id,
         deadline_s=harness.DEADLINE_S + COUNT // RATE, procs=procs)

    def all_acked():
        n = get(b.port, "/status")["nats"]
        if n["queued"] or n["in_flight"]:
            return None
        return all(b.metrics(symbol)["last_trade_id"] == last_id for symbol in group)
    poll("b's trades acked", all_acked, procs=procs)

    # One read of every trade subject, checked symbol by symbol.
    by_symbol = nats_harness.rows_by_symbol(nats_harness.read_stream(
        tail, nats.url(), "check", "md.binance.spot.*.trade"))
    stored = 0
    for symbol in group:
        ids = nats_harness.check_trades(tail, nats.url(), None, source, symbol, last_id,
                                        rows=by_symbol.get(symbol, []))
        stored += len(ids)
    b.stop()
    source.stop()
    nats.stop()
    print("ok: 3 members balanced 30 symbols 10 each in %.1f s; c killed with SIGKILL, "
          "its %d symbols (%s) streamed again by a and b within %.1f s (bound %.1f s, %d "
          "hand-overs); b frozen (SIGSTOP) %.1f s until a streamed all 30, then found %d "
          "leases lost and the two balanced 15/15 again; a PUT of %s on b was streamed "
          "by the group in %.1f s, a DELETE of a's %s on b stopped on a in %.1f s, a PUT "
          "on a brought it back; after NATS's restart the group kept its 31 symbols; a's "
          "stop (SIGTERM) handed its symbols to b in %.1f s; the stream holds %d trades, "
          "each id once, in order, equal to REST, to the simulator's last (%.1f s in all)"
          % (t_balanced, len(moved), ",".join(sorted(moved)), takeover_s, BOUND_S,
             handovers, paused_s, lost, EXTRA, put_s, removed, delete_s, handback_s,
             stored, time.monotonic() - t0))


if __name__ == "__main__":
    nats_harness.main("nats_shard_test.py", "sv-nats-shard-", run)
