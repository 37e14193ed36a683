// aggregator_actor: one symbol's trade history, order-flow totals and latency histogram.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/latency_histogram.hpp"
#include "actors/order_flow.hpp"
#include "actors/trade_history.hpp"
#include "messages/atoms.hpp"
#include "messages/metrics.hpp"
#include "messages/trade.hpp"

namespace sv {

/// What a connection actor may send an aggregator.
using trade_sink_if = caf::typed_actor<caf::reacts_to<trade_batch>>;

/// An aggregator's full protocol.
///
///   trade_batch --------------------> apply each trade whose id is new (dedupe by `a`)
///   (trades_atom, n) ---------------> last n trades, oldest first
///   metrics_atom -------------------> order-flow totals since start
///   latency_atom -------------------> frame-arrival-to-update latency percentiles
///
/// One state only: an aggregator never changes behavior.
using aggregator_if = caf::typed_actor<
  caf::reacts_to<trade_batch>,
  caf::replies_to<trades_atom, std::uint32_t>::with<std::vector<trade>>,
  caf::replies_to<metrics_atom>::with<metrics_snapshot>,
  caf::replies_to<latency_atom>::with<latency_snapshot>>;

/// Bounds of one aggregator's history.
struct aggregator_limits {
  std::uint32_t trades_max = 100000; ///< trades kept
  std::uint32_t age_s = 3600;        ///< seconds of trade time kept
};

/// State of one aggregator (plain data; see aggregator_actor.cpp).
struct aggregator_state {
  static inline const char* name = "aggregator";
  std::string symbol;                ///< upper case
  trade_history history{1, 0};       ///< replaced at spawn with the configured bounds
  order_flow flow;                   ///< totals since start
  latency_histogram latency;         ///< one sample per applied trade
};

/// Spawns with `sys.spawn(aggregator_actor, "BTCUSDT", limits)`. Trades whose id is not
/// above the last applied id are counted as duplicates and dropped, so a restart's
/// overlap never double-counts.
aggregator_if::behavior_type
aggregator_actor(aggregator_if::stateful_pointer<aggregator_state> self,
                 std::string symbol, aggregator_limits limits);

} // namespace sv
