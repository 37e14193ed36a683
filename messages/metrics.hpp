// metrics_snapshot, latency_snapshot: what an aggregator answers about its symbol.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "messages/histogram.hpp"

#include "messages/wide.hpp"
#include "messages/window_snapshot.hpp"

namespace sv {

/// Progress of an aggregator's warm start (the history loaded from REST at the
/// first live trade, and after an outage longer than the history window).
enum class warmup_state : std::uint8_t {
  off,     ///< no warm start configured (warmup_s = 0), or none begun yet
  loading, ///< asked of the backfill actor; the windows fill as pages come
  done,    ///< every page applied (or none existed in the period)
  failed,  ///< the backfill actor gave up: the windows say complete false
};

/// The API's and the logs' name of `x`: "off", "loading", "done", "failed".
constexpr const char* to_string(warmup_state x) {
  switch (x) {
    case warmup_state::off:
      return "off";
    case warmup_state::loading:
      return "loading";
    case warmup_state::done:
      return "done";
    case warmup_state::failed:
      return "failed";
  }
  return "?";
}

/// Order-flow totals since start. Volumes in units of 1e-8 of the base asset, quote
/// sums in units of 1e-16 of the quote asset (exact sums of price_e8 * qty_e8).
struct metrics_snapshot {
  std::string symbol;           ///< upper case
  std::uint64_t trades = 0;     ///< trades applied
  std::uint64_t duplicates = 0; ///< trades dropped because their id was not new
  std::uint64_t first_trade_id
    = 0; ///< `a` of the first trade applied, 0 if none
  std::uint64_t last_trade_id = 0; ///< `a` of the last trade applied, 0 if none
  std::int64_t last_price_e8 = 0;  ///< price of the last trade applied
  std::int64_t last_trade_time_ms = 0; ///< `T` of the last trade applied
  wide buy_volume_e8;                  ///< sum of qty where the taker bought
  wide sell_volume_e8;                 ///< sum of qty where the taker sold
  wide buy_quote_e16;  ///< sum of price*qty where the taker bought
  wide sell_quote_e16; ///< sum of price*qty where the taker sold
  wide cvd_e8;         ///< cumulative volume delta since start (buy - sell)
  std::uint64_t gaps_detected = 0; ///< id jumps seen on the live stream
  std::uint64_t gaps_filled = 0;   ///< of those, completely backfilled
  std::uint64_t gaps_open = 0;     ///< being filled or given up
  std::uint64_t backfilled = 0;    ///< trades applied from REST
  /// Open gaps of the live stream (warm starts excluded) as triples
  /// [next_id, to_id, failed(0/1)]: the first id still missing (a gap shrinks from
  /// its low end as backfill pages arrive), the last missing id, and whether the
  /// backfill gave up on it.
  std::vector<std::uint64_t> open_gaps;
  warmup_state warmup = warmup_state::off; ///< warm start progress
  /// Outages longer than the history window, each ended by a warm start instead of
  /// a backfill of the whole outage.
  std::uint64_t long_outages = 0;
  /// Trades of those outages before their warm-up period: never applied, so the
  /// totals since start lack them (the windows over them say complete false).
  std::uint64_t skipped_trades = 0;
  std::vector<window_snapshot>
    windows; ///< rolling windows, in configured order
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metrics_snapshot& x) {
  return f(caf::meta::type_name("metrics_snapshot"), x.symbol, x.trades,
           x.duplicates, x.first_trade_id, x.last_trade_id, x.last_price_e8,
           x.last_trade_time_ms, x.buy_volume_e8, x.sell_volume_e8,
           x.buy_quote_e16, x.sell_quote_e16, x.cvd_e8, x.gaps_detected,
           x.gaps_filled, x.gaps_open, x.backfilled, x.open_gaps, x.warmup,
           x.long_outages, x.skipped_trades, x.windows);
}

/// Frame-arrival-to-aggregator-update latency, one sample per trade.
struct latency_snapshot {
  std::uint64_t samples = 0; ///< trades measured
  std::int64_t p50_us = 0;   ///< median, microseconds
  std::int64_t p90_us = 0;   ///< 90th percentile
  std::int64_t p99_us = 0;   ///< 99th percentile
  std::int64_t p999_us = 0;  ///< 99.9th percentile
  std::int64_t max_us = 0; ///< largest sample (capped at the histogram's range)
  /// The same samples in /metrics's buckets (latency_histogram::prometheus_bounds_us).
  histogram_counts buckets;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, latency_snapshot& x) {
  return f(caf::meta::type_name("latency_snapshot"), x.samples, x.p50_us,
           x.p90_us, x.p99_us, x.p999_us, x.max_us, x.buckets);
}

} // namespace sv
