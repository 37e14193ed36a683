// connection_actor: one WebSocket session to one (symbol, stream), decoding frames into trades or depth events.
//
// States (see docs/architecture.md "connection actor" and docs/supervision.md):
//
//                 ws_frames (first)               stop_atom
//   [connecting] -----------------> [streaming] -----------> [closing]
//        |  ws_opened: logged,        |    ^  |                  |
//        |  stays connecting          |    |  | ws_closed        | ws_closed
//        | stop_atom ---------------- | -- | --------------------> |
//        | ws_closed                  |    |  v                    v
//        +--------------------------- | -- | -> [closed] --(quit)--> down_msg
//                 rotate (age) or     |    |
//                 serverShutdown      v    | switched (new lane caught up) or
//                                [rotating]  given up (new lane failed / rot_dl)
//                                     | ws_closed (old lane) / stop_atom: as streaming
//
// Streams: "aggTrade" frames become trades for the symbol's aggregator; "depth"
// (Binance's <symbol>@depth@100ms) frames become depth events for its book actor.
// Everything else (states, watchdog, rotation) is the same for both.
//
// Rotation: before max_connection_age_ms, or when the old connection announces
// serverShutdown, a second connection (lane) opens. The old lane keeps forwarding
// events; the new lane's events are held back until they join the old lane's
// sequence (first held id <= last forwarded id + 1, where the id of a trade is its
// aggregate id and a depth event spans U..u). Then the held events above the last
// forwarded id are forwarded, the old lane is closed and the new one takes over:
// no trade lost, none repeated. Depth events must continue exactly (U == last u + 1):
// held events the old lane has passed are dropped and the switch waits for an
// aligned one, so the book never sees a straddling event (only the rotation
// deadline switches regardless, and the book then resyncs).
//
// Silence watchdog: from ws_opened on, a sil_chk tick compares the actor clock with
// the time of the last frame (or of the upgrade, before the first frame). Only frames
// move that time, never status queries. Silent for silence_timeout_ms: the actor
// closes its socket and quits with errc::silence_timeout.
//
// An actor lives for exactly one connect attempt (one conn_id). It never retries:
// it quits with errc::connection_closed (or normally after stop_atom) and the
// supervisor decides whether and when a new one starts. On termination for any
// reason (also when the supervisor kills it at the connect deadline) it tells the
// transport to close its socket.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/protocols.hpp"
#include "actors/seams/ws_client.hpp"
#include "actors/wire/depth_decoder.hpp"
#include "actors/wire/frame_decoder.hpp"

namespace sv {

/// What one connection attempt is about.
struct connection_args {
  std::string symbol;                          ///< upper case, "BTCUSDT"
  stream_kind stream = stream_kind::agg_trade; ///< aggTrade or depth
  ws_target target;                            ///< where to connect
  std::uint64_t conn_id = 0; ///< unique per attempt in this process
  std::uint64_t attempt
    = 0; ///< 1 for the first attempt of this (symbol, stream)
  std::uint32_t silence_timeout_ms
    = 30000; ///< no frame for this long ends the attempt
  std::int64_t max_connection_age_ms = 0; ///< rotate before this age; 0: never
  std::uint32_t rotation_timeout_ms
    = 30000; ///< a rotation not switched by then is given up
};

/// Connection ids of rotations: the k-th rotation of attempt `conn_id` uses
/// `conn_id + (k << rotation_id_shift)`; the supervisor's ids stay far below.
constexpr unsigned rotation_id_shift = 48;

/// One recorded transition (bounded history, newest last).
struct connection_transition {
  connection_phase from = connection_phase::connecting; ///< phase left
  connection_phase to = connection_phase::connecting;   ///< phase entered
  std::string why; ///< the event that caused it
};

/// State of a connection actor (plain data; the behavior is in connection_actor.cpp).
struct connection_state {
  static inline const char* name = "connection";
  /// Transitions kept for diagnostics: the whole life of one attempt fits easily.
  static constexpr std::size_t transitions_max = 16;
  connection_args args;            ///< this attempt
  std::string key;                 ///< "BTCUSDT@aggTrade"
  ws_client* ws = nullptr;         ///< transport; outlives every actor
  child_report_sink_if supervisor; ///< receives a child_report per transition
  stream_sinks sinks;              ///< receive decoded trades / depth events
  bool depth = false;              ///< a depth stream (else aggTrade)
  connection_phase phase = connection_phase::connecting; ///< current phase
  std::unique_ptr<frame_decoder>
    decoder; ///< aggTrade streams (reuses its buffers)
  std::unique_ptr<depth_decoder> depth_decoder_; ///< depth streams
  connection_counters counters;                  ///< this attempt's counters
  std::int64_t upgraded_ns = -1; ///< actor clock at ws_opened, -1 before
  std::uint64_t active_id = 0;   ///< the lane whose trades are forwarded
  std::uint64_t pending_id = 0;  ///< the rotation's new lane, 0 if none
  std::uint32_t rotations = 0;   ///< rotations started
  std::vector<trade> held;       ///< new-lane trades not yet forwarded
  std::vector<depth_update>
    held_depth; ///< new-lane depth events not yet forwarded
  /// Highest id sent on: a trade's aggregate id, a depth event's final id u.
  std::uint64_t last_forwarded_id = 0;
  /// Every connection id this actor opened; closed when the actor ends.
  std::shared_ptr<std::vector<std::uint64_t>> opened_ids;
  std::deque<connection_transition> transitions; ///< bounded by transitions_max
};

using connection_self = connection_if::stateful_pointer<connection_state>;

/// Opens `args.target` through `ws` and streams decoded trades to `sinks.trades`
/// (or, on a depth stream, depth events to `sinks.depth`, which must not be null).
/// `ws` must outlive the actor. Reports every transition to `supervisor`. Quits with
/// errc::connection_closed (context: reason text, Retry-After seconds or -1, HTTP
/// status or 0) when the socket closes unasked, errc::silence_timeout when the
/// watchdog fires, normally after stop_atom.
connection_if::behavior_type
connection_actor(connection_self self, connection_args args, ws_client* ws,
                 child_report_sink_if supervisor, stream_sinks sinks);

} // namespace sv
