// atoms: the message tags of streamvisor's actor protocols (text <= 10 chars, CAF 0.17 limit).
#pragma once

#include <caf/atom.hpp>

namespace sv {

/// Ask for a status snapshot (supervisor, connection actor).
using status_atom = caf::atom_constant<caf::atom("status")>;
/// Ask an aggregator for its last N trades.
using trades_atom = caf::atom_constant<caf::atom("trades")>;
/// Ask an aggregator for trades by Binance's aggTrades rules (GET /api/v3/aggTrades).
using agg_trades_atom = caf::atom_constant<caf::atom("agg_trades")>;
/// Ask an aggregator for its order-flow totals.
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;
/// Ask an aggregator for its most recent large trades.
using large_trades_atom = caf::atom_constant<caf::atom("large")>;
/// Ask an aggregator for its frame-to-update latency histogram.
using latency_atom = caf::atom_constant<caf::atom("latency")>;
/// Supervisor command: start a (symbol, stream) child.
using start_atom = caf::atom_constant<caf::atom("start")>;
/// Graceful stop: close sockets with a close frame, then quit.
using stop_atom = caf::atom_constant<caf::atom("stop")>;
/// Apply a reloaded config (SIGHUP): to the registry and the supervisor.
using reload_atom = caf::atom_constant<caf::atom("reload")>;
/// Subscribe to the registry's symbol_table updates.
using listen_atom = caf::atom_constant<caf::atom("listen")>;
/// Start a symbol's streams at runtime (PUT /symbols/{S}).
using put_atom = caf::atom_constant<caf::atom("put")>;
/// Stop one symbol's children and forget them (runtime symbol control).
using remove_atom = caf::atom_constant<caf::atom("remove")>;
/// A symbol's removal has waited its grace period: kill what still runs.
using remove_deadline_atom = caf::atom_constant<caf::atom("remove_dl")>;
/// Supervisor timer: a child's connect deadline (tagged with the attempt).
using connect_deadline_atom = caf::atom_constant<caf::atom("conn_dl")>;
/// Supervisor timer: restart a child in backoff (tagged with the attempt it replaces).
using restart_atom = caf::atom_constant<caf::atom("restart")>;
/// Supervisor timer: the graceful-shutdown grace period is over.
using shutdown_deadline_atom = caf::atom_constant<caf::atom("shut_dl")>;
/// Socket pool timer: send the next paced control message of each socket.
using pool_tick_atom = caf::atom_constant<caf::atom("pool_tick")>;
/// Connection timer: compare the clock with the last frame (silence watchdog).
using silence_check_atom = caf::atom_constant<caf::atom("sil_chk")>;
/// Connection timer: time to rotate (tagged with the rotation number it starts).
using rotate_atom = caf::atom_constant<caf::atom("rotate")>;
/// Connection timer: a rotation that has not switched over by now is given up.
using rotate_deadline_atom = caf::atom_constant<caf::atom("rot_dl")>;
/// Supervisor timer: the connection budget may have room again.
using budget_tick_atom = caf::atom_constant<caf::atom("budget")>;
/// Backfill timer: a pause (Retry-After, weight budget, retry delay) is over.
using backfill_wake_atom = caf::atom_constant<caf::atom("bf_wake")>;

/// Backfill timer: the request with this id has had its time (request_timeout_ms).
using backfill_deadline_atom = caf::atom_constant<caf::atom("bf_dl")>;

/// Aggregator timer: a gap opened feed_gap_wait_ms ago may now hold up the feed
/// (tagged with the gap's first id).
using gap_wait_atom = caf::atom_constant<caf::atom("gap_wait")>;

/// Ask a book actor for its top N levels, figures and counters.
using book_atom = caf::atom_constant<caf::atom("book")>;
/// Book timer: ask for a depth snapshot again after a failed one (tagged).
using snapshot_retry_atom = caf::atom_constant<caf::atom("snap_rt")>;

/// Service watchdog timer: ask the supervisor and the aggregators whether they
/// answer, then tell systemd (app/service_watchdog.hpp).
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;

/// Ask an aggregator for the trades it released to the feed from an id on (a
/// native feed client's resume).
using resume_atom = caf::atom_constant<caf::atom("resume")>;
/// Feed timer: native feed clients' conflated metrics are due.
using metrics_tick_atom = caf::atom_constant<caf::atom("m_tick")>;
/// Feed timer: native feed clients' heartbeat is due.
using feed_beat_atom = caf::atom_constant<caf::atom("feed_beat")>;

} // namespace sv
