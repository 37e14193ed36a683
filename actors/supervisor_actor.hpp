// supervisor_actor: the only spawner of connection actors; restarts them and reports on them.
//
// States (see docs/architecture.md "supervisor"):
//
//   [running] --stop_atom--> [stopping] --all children down / shut_dl--> (quit)
//
// Per child (keyed "SYMBOL@stream"), as /status shows it (docs/supervision.md):
//
//   (start) --budget has room--> connecting     (start) --budget exhausted--> waiting
//   waiting --budget tick, room--> connecting
//   connecting --child_report(streaming)--> streaming
//   connecting --conn_dl (deadline passed)--> kill child --down_msg--> backoff
//   connecting|streaming --down_msg--> backoff --restart (jittered delay)--> connecting|waiting
//   connecting|streaming --down_msg, > max_restarts in window--> parked
//   parked --restart (after park)--> connecting|waiting
//   more than escalate_fraction of children parked --> supervisor quits (errc::escalated)
//   any --stop_atom / shutdown--> stopped
//   (start_atom, symbol, stream, sinks) --> as (start): runtime start, sinks registered
//   (reload_atom, silence_ms, by_symbol) --> the silence timeouts of later attempts
//   (remove_atom, symbol) --> its children get stop_atom (close frames); each
//        record is dropped when its actor is down (or at once without one), then
//        the symbol's sinks; the answer waits for that; remove_dl (after
//        shutdown_timeout_ms) kills what still runs
//
// status_atom answers every child (child_status); metrics_atom the figures no
// child shows (supervisor_metrics: connect-latency histograms, budget).
//
// Restart decisions live in one function (schedule_restart in the .cpp), which
// applies actors/restart_policy.hpp; every attempt passes the connection budget
// (actors/weight_budget.hpp, one unit per attempt).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/core/restart_policy.hpp"
#include "actors/core/weight_budget.hpp"
#include "actors/protocols.hpp"
#include "actors/seams/endpoint.hpp"
#include "actors/seams/ws_client.hpp"

namespace sv {

/// Where and how children connect, and the timing policy.
struct supervisor_config {
  /// Stream server: wss:// or ws://, host, port, prefix before /ws or /stream.
  endpoint server{true, "", 9443, ""};
  bool combined = false; ///< /stream?streams= instead of /ws/
  std::uint32_t connect_timeout_ms = 10000; ///< upgrade + first frame deadline
  restart_policy_config policy;             ///< backoff, intensity, parking
  double escalate_fraction
    = 0.5; ///< parked share that makes the supervisor quit
  std::uint32_t connect_budget = 300; ///< attempts per connect_budget_window_s
  std::uint32_t connect_budget_window_s = 300; ///< the budget's sliding window
  std::uint32_t connect_burst = 10;            ///< attempts per second at most
  std::uint32_t silence_timeout_ms = 30000;    ///< default silence watchdog
  std::map<std::string, std::uint32_t>
    silence_timeout_ms_by_symbol; ///< overrides
  std::int64_t max_connection_age_ms
    = 0; ///< rotation age before jitter; 0: never
  std::uint32_t shutdown_timeout_ms
    = 5000;                   ///< grace period for closing sockets
  std::uint64_t rng_seed = 0; ///< backoff jitter seed; 0: random
};

/// The WebSocket target for (symbol, stream): cfg.server with path
/// `/ws/btcusdt@aggTrade` (under the server's base path), or
/// `/stream?streams=btcusdt@aggTrade` when `combined`; a depth stream becomes
/// `btcusdt@depth@100ms`.
ws_target make_target(const supervisor_config& cfg, const std::string& symbol,
                      stream_kind stream);

/// What the supervisor knows about one (symbol, stream).
struct child_record {
  std::string symbol;                          ///< upper case
  stream_kind stream = stream_kind::agg_trade; ///< aggTrade or depth
  child_state state = child_state::stopped;    ///< as /status shows it
  connection_if handle; ///< live connection actor, null in backoff/stopped
  std::uint64_t attempts
    = 0; ///< connect attempts started (= current attempt number)
  std::uint64_t restarts = 0; ///< restarts scheduled after failures
  /// Its symbol is being removed: when the actor goes down, the record goes.
  bool removing = false;
  /// `restarts` by cause, indexed by restart_cause.
  std::array<std::uint64_t, restart_cause_count> restarts_by_cause{};
  std::string last_error; ///< cause of the last failure
  std::int64_t attempt_started_ns
    = 0; ///< actor clock, start of the current attempt
  std::int64_t connect_latency_ms
    = -1;                       ///< attempt start to first frame, last success
  connection_counters finished; ///< totals of attempts that ended
  connection_counters live;     ///< the current attempt's counters (last known)
  std::uint64_t finished_attempt
    = 0; ///< last attempt whose counters are in `finished`
  std::int64_t streaming_since_ns
    = -1;                  ///< actor clock when the current attempt streamed
  restart_history history; ///< recent restarts, for backoff and intensity
};

/// A symbol's removal in progress.
struct removal {
  std::uint32_t children = 0; ///< children it stops (the answer)
  /// The remove requests to answer once the last child is down.
  std::vector<caf::typed_response_promise<std::uint32_t>> waiting;
};

/// State of the supervisor (plain data; behavior in supervisor_actor.cpp).
struct supervisor_state {
  static inline const char* name = "supervisor";
  supervisor_config cfg;                     ///< policy and endpoint
  ws_client* ws = nullptr;                   ///< transport; outlives the actor
  std::map<std::string, stream_sinks> sinks; ///< by symbol: aggregator, book
  std::map<std::string, child_record> children; ///< by "SYMBOL@stream"
  std::uint64_t next_conn_id = 0;               ///< last conn_id handed out
  bool stopping = false;                        ///< no more starts or restarts
  /// Connect attempts, one unit each; replaced from cfg at spawn.
  weight_budget budget{300, 300'000'000'000, 10};
  std::deque<std::string> waiting;      ///< keys waiting for the budget, FIFO
  bool budget_tick_pending = false;     ///< a budget_tick is scheduled
  bool budget_exhausted_logged = false; ///< one warning per exhaustion
  std::mt19937_64 rng;                  ///< backoff jitter
  /// Attempt start to first frame, by stream_kind (see supervisor_metrics).
  std::vector<histogram_counts> connect_latency;
  /// Symbols being removed: the remove requests waiting for their children to
  /// go down, and how many children each stops.
  std::map<std::string, removal> removals;
};

/// The upper bounds (seconds) of the connect-latency histograms: loopback
/// connects land in the first buckets, a slow TLS handshake near the deadline
/// (connect_timeout_ms, 10 s by default) in the last.
inline std::vector<double> connect_latency_bounds_s() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

using supervisor_self = supervisor_if::stateful_pointer<supervisor_state>;

/// Starts one child per entry of `children` ((symbol, stream) pairs; duplicates,
/// compared case-insensitively, are started once). Each symbol must have an
/// entry in `sinks` (with a book actor for a depth child; a start without one
/// fails with errc::unknown_symbol). `ws` must outlive the actor.
supervisor_if::behavior_type
supervisor_actor(supervisor_self self, supervisor_config cfg, ws_client* ws,
                 std::map<std::string, stream_sinks> sinks,
                 std::vector<std::pair<std::string, stream_kind>> children);

/// Graceful stop from outside the actor system: sends stop_atom and waits for the
/// supervisor to go down, at most its shutdown deadline (`shutdown_timeout_ms`)
/// plus 2 s; past that it is killed. Returns false if it had to be killed.
/// Blocking: main thread only, never from inside an actor.
bool stop_supervisor(caf::actor_system& sys, const supervisor_if& supervisor,
                     std::uint32_t shutdown_timeout_ms);

} // namespace sv
