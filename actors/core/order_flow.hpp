// order_flow: exact running totals of one symbol's trades (volumes, delta, quote, VWAP).
#pragma once

#include <cstdint>
#include <string>

#include "messages/metrics.hpp"
#include "messages/trade.hpp"
#include "messages/wide.hpp"

namespace sv {

/// Running totals since start. Every stored value is an exact integer: volumes in
/// 1e-8 base units, quote sums in 1e-16 quote units (price_e8 * qty_e8), 128 bits
/// wide so a year of the busiest market cannot overflow. Rounding happens only
/// when a value is printed. Not thread-safe: owned by one aggregator actor.
class order_flow {
public:
  /// Adds one trade. O(1).
  void add(const trade& x) noexcept;

  /// Adds a trade older than the last one (a filled gap or a warm start): totals
  /// and the first id only; the last trade id, price and time stay those of the
  /// newest trade. O(1).
  void add_backfilled(const trade& x) noexcept;

  /// Counts one trade that was dropped as a duplicate.
  void add_duplicate() noexcept {
    ++duplicates_;
  }

  /// Trade time of the last trade added, 0 if none.
  std::int64_t last_trade_time_ms() const noexcept {
    return last_trade_time_ms_;
  }

  /// Id of the last trade added, 0 if none.
  std::uint64_t last_trade_id() const noexcept {
    return last_trade_id_;
  }

  /// Copies the totals into a message for `symbol`.
  metrics_snapshot snapshot(const std::string& symbol) const;

private:
  std::uint64_t trades_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t first_trade_id_ = 0;
  std::uint64_t last_trade_id_ = 0;
  std::int64_t last_price_e8_ = 0;
  std::int64_t last_trade_time_ms_ = 0;
  int128 buy_volume_e8_ = 0;
  int128 sell_volume_e8_ = 0;
  int128 buy_quote_e16_ = 0;
  int128 sell_quote_e16_ = 0;
};

/// VWAP in units of 1e-8, rounded half-to-even: (buy+sell quote) / (buy+sell volume).
/// 0 when no volume traded.
int128 vwap_e8(const metrics_snapshot& x);

} // namespace sv
