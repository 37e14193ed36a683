// aggregator_actor: one symbol's trade history, order-flow totals and latency histogram.
//
// What each message of aggregator_if (actors/protocols.hpp) does:
//
//   trade_batch --------------------> apply each trade whose id is new (dedupe by `a`);
//                                      an id jump opens a gap and asks the backfill
//                                      actor for the missing ids; a jump across more
//                                      time than the history window (a long outage)
//                                      warm-starts instead: only the last warmup_s
//                                      seconds before the new trade are loaded
//   backfill_batch -----------------> apply the missing trades in their id places
//   backfill_failed ----------------> the gap stays open: windows over it are
//                                      marked incomplete
//   (gap_wait_atom, to_id) ---------> a gap still unfilled feed_gap_wait_ms after
//                                      it opened no longer holds up the feed
//   (trades_atom, n) ---------------> last n trades, oldest first
//   (agg_trades_atom, query) -------> trades by Binance's aggTrades rules (the REST
//                                      mirror), consecutive ids only
//   (resume_atom, from_id, limit) --> the trades released to the feed from from_id
//                                      on (a native feed client's resume)
//   metrics_atom -------------------> order-flow totals since start and rolling windows
//   (large_trades_atom, n) ---------> last n large trades, oldest first
//   latency_atom -------------------> frame-arrival-to-update latency percentiles
//
// The feed (limits.feed, when set): after each of the messages above, the trades
// whose ids are no longer behind an open gap are released to it, each id once and
// in ascending order from the first live trade on (from limits.resume_after_id + 1
// on a shard hand-over: the ids below the first live trade are a gap). A gap holds back the trades
// after it until it is filled, its backfill fails, or feed_gap_wait_ms pass; then
// the ids still missing are skipped (counted, logged). docs/feed.md.
//
// One state only: an aggregator never changes behavior.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/core/latency_histogram.hpp"
#include "actors/core/order_flow.hpp"
#include "actors/core/rolling_windows.hpp"
#include "actors/core/trade_history.hpp"
#include "actors/protocols.hpp"

namespace sv {

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
  /// Warm start: at the first live trade, load this many seconds before it (0: off).
  std::uint32_t warmup_s = 0;
  /// Where released trades go (the feed actor); null: no feed, nothing released.
  /// Not a bound, but every aggregator of a process shares it, as the bounds.
  trade_release_sink_if feed{};
  /// A gap holds up the feed at most this long after it opened.
  std::uint32_t feed_gap_wait_ms = 10000;
  /// Per symbol, not a bound: a hand-over in a shard group (docs/scale-out.md).
  /// The last id another instance published; the feed then starts at the id
  /// after it, not at the first live trade, and the ids between are backfilled
  /// as a gap. 0: no hand-over. Ignored when it is more than trades_max ids
  /// below the first live trade (the history could not hold them).
  std::uint64_t resume_after_id = 0;
};

/// A range of aggregate ids missing from the live stream.
struct open_gap {
  std::uint64_t from_id = 0;  ///< first missing id
  std::uint64_t to_id = 0;    ///< last missing id
  std::uint64_t next_id = 0;  ///< first id not yet backfilled
  std::int64_t before_ms = 0; ///< trade time just before the gap
  std::int64_t after_ms = 0;  ///< trade time just after the gap
  bool failed = false;        ///< backfill gave up: the ids stay missing
  bool warmup = false;        ///< the warm start, not a gap in the live stream
  /// A warm start after an outage longer than the history window: ids from
  /// `skip_from_id` up to the first one loaded are skipped, not backfilled.
  bool outage = false;
  std::uint64_t skip_from_id
    = 0;                     ///< outage: first id after the last one applied
  bool skip_counted = false; ///< outage: the skipped ids have been counted
  bool feed_passed = false;  ///< the feed stopped waiting for it (gap wait)
};

/// State of one aggregator (plain data; see aggregator_actor.cpp).
struct aggregator_state {
  static inline const char* name = "aggregator";
  std::string symbol; ///< upper case
  trade_history history{"", 1,
                        0};  ///< replaced at spawn with the configured bounds
  order_flow flow;           ///< totals since start
  latency_histogram latency; ///< one sample per applied trade
  std::unique_ptr<rolling_windows> windows; ///< created at spawn
  std::uint32_t large_trades_max = 1000;    ///< bound of large_trades
  std::deque<trade> large_trades; ///< most recent large trades, oldest first
  bool windows_follow_wall_clock = true; ///< see aggregator_limits
  backfill_sink_if backfill;             ///< fills gaps; null: gaps stay open
  std::deque<open_gap> gaps;             ///< open gaps, oldest first (bounded)
  std::uint64_t gaps_detected = 0;       ///< id jumps seen
  std::uint64_t gaps_filled = 0;         ///< gaps completely backfilled
  std::uint64_t backfilled = 0;          ///< trades applied from backfill
  std::uint32_t warmup_s = 0;            ///< see aggregator_limits
  warmup_state warmup = warmup_state::off; ///< the warm start's progress
  std::int64_t history_age_ms = 0;  ///< an outage longer than this warm-starts
  std::uint64_t long_outages = 0;   ///< outages ended by a warm start
  std::uint64_t skipped_trades = 0; ///< their trades before the warm-up period
  trade_release_sink_if feed;       ///< see aggregator_limits; null: no feed
  std::uint32_t feed_gap_wait_ms = 10000; ///< see aggregator_limits
  std::uint64_t resume_after_id = 0;      ///< see aggregator_limits
  std::uint32_t trades_max = 0;           ///< the history's bound
  bool feed_started = false;              ///< the first live trade has come
  std::uint64_t released_id = 0;          ///< last id released to the feed
  std::uint64_t feed_skipped = 0; ///< ids the feed passed without their trade
};

/// Spawns with `sys.spawn(aggregator_actor, "BTCUSDT", limits, backfill)`; a null
/// `backfill_sink_if{}` leaves gaps open. Trades whose
/// id is not above the last applied id are counted as duplicates and dropped, so a
/// restart's overlap never double-counts; an id jump opens a gap that `backfill`
/// (a backfill_actor; may be null) is asked to fill.
aggregator_if::behavior_type
aggregator_actor(aggregator_if::stateful_pointer<aggregator_state> self,
                 std::string symbol, aggregator_limits limits,
                 backfill_sink_if backfill);

} // namespace sv
