// connection_phase, child_report, child_status: what the supervisor knows about each child.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "messages/book.hpp"
#include "messages/stream_kind.hpp"

namespace sv {

/// A connection actor's phase (its state machine; see docs/architecture.md).
enum class connection_phase : std::uint8_t {
  connecting, ///< socket, TLS and upgrade in progress, or upgraded with no frame yet
  streaming, ///< at least one frame arrived on this connection
  rotating, ///< streaming, with a second connection opening to replace the first
  closing,  ///< a close frame was sent; waiting for the transport's ws_closed
  closed,   ///< the socket is gone; the actor quits right after reporting this
};

/// A child's state as the supervisor reports it in /status and /health.
enum class child_state : std::uint8_t {
  connecting, ///< a connection actor exists and has not streamed yet
  streaming,  ///< the connection actor has received frames
  waiting,    ///< ready to connect, waiting for the connection budget
  backoff,    ///< the child died; a restart is scheduled
  parked,     ///< restarted too often; waits park_s before trying again
  stopped,    ///< shut down (or never to be restarted)
};

/// Why a child died and was restarted: /metrics's `cause` label.
enum class restart_cause : std::uint8_t {
  connect_timeout, ///< no upgrade and first frame before the connect deadline
  connection_closed, ///< the socket closed (peer close, refused, TLS failure, ...)
  silence_timeout, ///< no frame within the silence timeout
  other,           ///< any other exit (a crash, a kill, a normal exit unasked)
};

/// Number of restart_cause values (the size of child_status::restarts_by_cause).
constexpr std::size_t restart_cause_count = 4;

/// Text for a restart_cause ("silence_timeout").
const char* to_string(restart_cause x);

/// Text for a connection_phase ("streaming").
const char* to_string(connection_phase x);
/// Text for a child_state ("backoff").
const char* to_string(child_state x);

/// Counters one connection actor keeps for its single attempt.
struct connection_counters {
  std::uint64_t frames = 0; ///< text frames received
  std::uint64_t trades = 0; ///< frames decoded into trades
  std::uint64_t decode_errors
    = 0; ///< frames that did not decode (counted, logged, dropped)
  std::int64_t last_frame_ns
    = -1; ///< actor-clock time of the last frame, -1 if none
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_counters& x) {
  return f(caf::meta::type_name("connection_counters"), x.frames, x.trades,
           x.decode_errors, x.last_frame_ns);
}

/// Connection actor → supervisor: a phase change (sent on every transition).
struct child_report {
  std::string key;           ///< child_key(symbol, stream): "BTCUSDT@aggTrade"
  std::uint64_t attempt = 0; ///< which connect attempt this actor is
  connection_phase phase
    = connection_phase::connecting; ///< the phase just entered
  std::string detail;           ///< why (e.g. the close reason), may be empty
  connection_counters counters; ///< this attempt's counters at the transition
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_report& x) {
  return f(caf::meta::type_name("child_report"), x.key, x.attempt, x.phase,
           x.detail, x.counters);
}

/// Connection actor's answer to status_atom.
struct connection_status {
  std::uint64_t attempt = 0; ///< which connect attempt this actor is
  connection_phase phase = connection_phase::connecting; ///< current phase
  connection_counters counters; ///< this attempt's counters now
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_status& x) {
  return f(caf::meta::type_name("connection_status"), x.attempt, x.phase,
           x.counters);
}

/// The supervisor's name of the child (symbol, stream): "BTCUSDT@aggTrade". It keys
/// the child table (whose order is /status's), child_report and /health's list.
inline std::string child_key(const std::string& symbol, stream_kind stream) {
  return symbol + "@" + to_string(stream);
}

/// One child as /status shows it. Counters are totals over all attempts.
struct child_status {
  std::string symbol;                          ///< "BTCUSDT"
  stream_kind stream = stream_kind::agg_trade; ///< aggTrade or depth
  child_state state = child_state::stopped;    ///< see child_state
  std::uint64_t connect_attempts = 0; ///< attempts started since process start
  std::uint64_t restarts = 0;         ///< restarts scheduled after a failure
  /// `restarts` by cause, indexed by restart_cause.
  std::array<std::uint64_t, restart_cause_count> restarts_by_cause{};
  std::string last_error; ///< cause of the last failure, "" if none
  std::int64_t connect_latency_ms
    = -1; ///< start of the current/last attempt to first frame, -1 if never
  std::int64_t last_message_age_ms
    = -1;                   ///< time since the last frame, -1 if none ever
  std::uint64_t frames = 0; ///< text frames received
  std::uint64_t trades
    = 0; ///< frames decoded into trades (depth: into depth events)
  std::uint64_t decode_errors = 0; ///< frames that failed to decode
  std::uint64_t gaps_detected
    = 0; ///< id jumps (filled in by the api from the aggregator)
  std::uint64_t gaps_filled = 0; ///< of those, backfilled completely
  std::uint64_t gaps_open = 0;   ///< being filled or given up
  std::uint64_t trades_backfilled
    = 0; ///< trades applied from REST (aggregator)
  // A depth child's book, filled in by the api from the book actor:
  /// The book's phase (depth children); meaningful only if book_known.
  book_phase book_state = book_phase::waiting;
  bool book_known = false;        ///< the book actor answered for /status
  std::uint64_t book_syncs = 0;   ///< times the book became synced
  std::uint64_t book_resyncs = 0; ///< sequence breaks that discarded the book
  std::uint64_t book_last_update_id
    = 0; ///< the book's update id, 0 unless synced
  /// The shared socket carrying the stream (socket_status::number, filled in by
  /// the api from the socket pool); 0 if none (no pool, or not on a socket now).
  std::uint64_t socket = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_status& x) {
  return f(caf::meta::type_name("child_status"), x.symbol, x.stream, x.state,
           x.connect_attempts, x.restarts, x.restarts_by_cause, x.last_error,
           x.connect_latency_ms, x.last_message_age_ms, x.frames, x.trades,
           x.decode_errors, x.gaps_detected, x.gaps_filled, x.gaps_open,
           x.trades_backfilled, x.book_state, x.book_known, x.book_syncs,
           x.book_resyncs, x.book_last_update_id, x.socket);
}

} // namespace sv
