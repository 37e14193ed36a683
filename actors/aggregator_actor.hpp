// aggregator_actor: one symbol's trade history, order-flow totals and latency histogram.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/latency_histogram.hpp"
#include "actors/order_flow.hpp"
#include "actors/rolling_windows.hpp"
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
///   metrics_atom -------------------> order-flow totals since start and rolling windows
///   (large_trades_atom, n) ---------> last n large trades, oldest first
///   latency_atom -------------------> frame-arrival-to-update latency percentiles
///
/// One state only: an aggregator never changes behavior.
using aggregator_if = caf::typed_actor<
  caf::reacts_to<trade_batch>,
  caf::replies_to<trades_atom, std::uint32_t>::with<std::vector<trade>>,
  caf::replies_to<metrics_atom>::with<metrics_snapshot>,
  caf::replies_to<large_trades_atom, std::uint32_t>::with<std::vector<trade>>,
  caf::replies_to<latency_atom>::with<latency_snapshot>>;

/// Bounds of one aggregator's history.
struct aggregator_limits {
  std::uint32_t trades_max = 100000; ///< trades kept
  std::uint32_t age_s = 3600;        ///< seconds of trade time kept
  /// Rolling window lengths (multiples of 1000 ms, 1 s .. 1 day).
  std::vector<std::int64_t> windows_ms = {60000, 300000, 900000, 3600000};
  /// Notional (price x qty, units of 1e-8) from which a trade is large; 0: none.
  std::int64_t large_trade_quote_e8 = 0;
  std::uint32_t large_trades_max = 1000; ///< large trades kept
  /// Slide the windows to the wall clock when asked, so a quiet market's windows
  /// empty out. Off in tests and replays: the windows end at the last trade time.
  bool windows_follow_wall_clock = true;
};

/// State of one aggregator (plain data; see aggregator_actor.cpp).
struct aggregator_state {
  static inline const char* name = "aggregator";
  std::string symbol;                ///< upper case
  trade_history history{1, 0};       ///< replaced at spawn with the configured bounds
  order_flow flow;                   ///< totals since start
  latency_histogram latency;         ///< one sample per applied trade
  std::unique_ptr<rolling_windows> windows; ///< created at spawn (fixed memory)
  std::int64_t large_trade_quote_e8 = 0;   ///< threshold; 0: no large trades
  std::uint32_t large_trades_max = 1000;   ///< bound of large_trades
  std::deque<trade> large_trades;          ///< most recent large trades, oldest first
  bool windows_follow_wall_clock = true;   ///< see aggregator_limits
};

/// Spawns with `sys.spawn(aggregator_actor, "BTCUSDT", limits)`. Trades whose id is not
/// above the last applied id are counted as duplicates and dropped, so a restart's
/// overlap never double-counts.
aggregator_if::behavior_type
aggregator_actor(aggregator_if::stateful_pointer<aggregator_state> self,
                 std::string symbol, aggregator_limits limits);

} // namespace sv
