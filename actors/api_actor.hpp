// api_actor: answers HTTP API requests by asking the supervisor and the aggregators.
//
// One state: every http_request is routed, answered asynchronously through the
// http_responder, and never blocks the actor (each answer is a request/then).
//
//   GET /health                      -> supervisor status -> 200 ok | 503 degraded
//   GET /status                      -> supervisor status -> 200
//   GET /metrics                     -> as /status, plus the supervisor's metrics_atom,
//                                       the backfill actor's status and every
//                                       aggregator's latency -> 200 (Prometheus text)
//   GET /symbols                     -> 200 (configured symbols)
//   GET /symbols/{S}/trades?limit=N  -> aggregator (trades_atom, N) -> 200
//   GET /symbols/{S}/metrics         -> aggregator metrics_atom -> 200
//   GET /symbols/{S}/large_trades?limit=N -> aggregator (large_trades_atom, N) -> 200
//   PUT /symbols/{S} [{"streams":[..]}] -> registry (put, S, streams) -> 201 started,
//                                       200 already running (see registry_actor.hpp)
//   DELETE /symbols/{S}              -> registry (remove, S) -> 200 once its children
//                                       closed; 404 if not served
//   symbol_table (from the registry) -> the symbols and actors routed to from now on
//   GET /symbols/{S}/book?depth=N    -> book actor (book_atom, N) -> 200; a symbol
//                                       without a depth stream -> 404 naming those with one
//   GET /api/v3/aggTrades?symbol=..  -> aggregator (agg_trades_atom, query) -> 200
//                                       Binance's rows; Binance's errors, and code -1
//                                       for what the history does not hold
//   GET /api/v3/depth?symbol=..      -> book actor (book_atom, limit) -> 200 Binance's
//                                       snapshot when synced, else 503 -1001
//   unknown symbol -> 404 with the symbols that exist; unknown path -> 404;
//   bad query -> 400; other methods -> 405; an actor that does not answer -> 503.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/protocols.hpp"
#include "actors/seams/http_responder.hpp"
#include "actors/seams/market_publisher.hpp"
#include "actors/seams/process_stats_source.hpp"
#include "actors/seams/shard_membership.hpp"
#include "actors/seams/transport_counter_source.hpp"

namespace sv {

/// What the api actor answers from.
struct api_config {
  std::vector<std::string> symbols; ///< configured, upper case, config order
  supervisor_if supervisor;         ///< for /health and /status
  std::map<std::string, aggregator_if> aggregators; ///< by symbol
  std::map<std::string, book_if>
    books; ///< by symbol, those with a depth stream
  /// The socket pool, for /status's "pool" and each child's "socket"; null when
  /// every stream has a socket of its own (streams_per_connection = 1).
  socket_pool_if pool;
  http_responder* responder = nullptr; ///< outlives the actor
  /// The transports' own counters for /status; null: /status has no "transport".
  const transport_counter_source* transport = nullptr; ///< outlives the actor
  std::uint32_t trades_limit_max = 100000; ///< largest accepted ?limit=
  /// For /metrics's REST families; null: they are left out.
  backfill_if backfill;
  /// The WebSocket feed, for /status's "consumers" and /metrics's feed
  /// families; null: left out.
  feed_if feed;
  /// The process's CPU, memory and fds for /metrics; null: left out.
  const process_stats_source* process = nullptr; ///< outlives the actor
  /// The JetStream publisher, for /status's "nats" and /metrics's
  /// streamvisor_nats_* families; null: left out.
  const market_publisher* publisher = nullptr; ///< outlives the actor
  /// The shard group member, for /status's "shard" and streamvisor_shard_*,
  /// and the group's symbols: with it, PUT and DELETE /symbols/{S} change the
  /// group's symbols (202) instead of this instance's; null: no shard group.
  shard_membership* shard = nullptr; ///< outlives the actor
  std::string version;               ///< streamvisor_build_info's label
  /// Runtime symbol control (PUT and DELETE /symbols/{S}); null: 503.
  registry_if registry;
  /// With it, PUT and DELETE need `Authorization: Bearer <api_token>` (from any
  /// peer); without it, they are taken from loopback peers only.
  std::string api_token;
};

/// State of the api actor (plain data; behavior in api_actor.cpp).
struct api_state {
  static inline const char* name = "api";
  api_config cfg;              ///< routing targets
  std::int64_t started_ns = 0; ///< actor clock at spawn, for uptime_s
};

/// Spawns with `sys.spawn(api_actor, cfg)`.
api_if::behavior_type api_actor(api_if::stateful_pointer<api_state> self,
                                api_config cfg);

} // namespace sv
