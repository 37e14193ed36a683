// registry_actor: the set of symbols streamvisor serves, changed at runtime (PUT and
// DELETE /symbols/{S}, SIGHUP), and each symbol's aggregator and book actors.
//
// One state. Starts and stops of children go through the supervisor, so its
// guarantees (one child per stream, the connect budget, shutdown) hold for them:
//
//   (put, S, streams) --> S unknown: spawn its aggregator (and book, for depth),
//        linked to the registry; publish the table --> (start_atom, S, stream,
//        sinks) to the supervisor per stream --> true if one started, false if
//        every one ran already; being_removed while S's removal is under way
//   (put, S, streams, after_id) --> as (put, S, streams); a newly spawned
//        aggregator's feed starts after after_id (a shard hand-over: the ids
//        up to its first live trade are backfilled)
//   (remove, S) --> (remove_atom, S) to the supervisor, which answers once S's
//        children closed --> exit S's aggregator and book, drop S, publish the
//        table --> the number of children stopped; unknown_symbol if S is not served
//   (reload, plan) --> (remove, S) to itself for each S the plan lacks, (put, S,
//        streams) for each S it names --> plan_applied (added, removed, failed)
//        once all answered
//   (listen, listener) --> the table now to it, and after every change
//   every change --> symbol_table to each listener (the api actor), before the
//        answer, so a client that got 201 finds the symbol in its next request
//
// See docs/operations.md "Runtime symbol control".
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/book_actor.hpp"
#include "actors/protocols.hpp"

namespace sv {

/// What the registry spawns per symbol with, and whom it tells.
struct registry_config {
  supervisor_if supervisor; ///< starts and stops every child
  aggregator_limits limits; ///< of every aggregator it spawns
  /// Large-trade thresholds by symbol, over limits.large_trade_quote_e8.
  std::map<std::string, std::int64_t> large_trade_quote_e8_by_symbol;
  book_config book;     ///< of every book it spawns
  backfill_if backfill; ///< fills the new aggregators' gaps and books
  std::vector<stream_kind> streams; ///< a PUT without streams starts these
  std::uint32_t symbols_max = 4096; ///< a PUT beyond this many symbols fails
  std::uint32_t remove_timeout_ms = 7000; ///< wait for the supervisor's answer
  symbol_table table;                     ///< the symbols configured at start
  std::vector<table_listener_if>
    listeners; ///< get symbol_table after each change
};

/// State of the registry (plain data; behavior in registry_actor.cpp).
struct registry_state {
  static inline const char* const name = "registry";
  registry_config cfg;            ///< cfg.table is the table now
  std::set<std::string> removing; ///< symbols whose removal is under way
};

using registry_self = registry_if::stateful_pointer<registry_state>;

/// Spawns with `sys.spawn(registry_actor, cfg)`. The aggregators and books in
/// cfg.table are the caller's (it stops them); those the registry spawns are
/// linked to it and end with it.
registry_if::behavior_type registry_actor(registry_self self,
                                          registry_config cfg);

} // namespace sv
