// bar_builder: one symbol's OHLCV bars of one interval, built from trades in id order.
#pragma once

#include <cstdint>
#include <optional>

#include "messages/trade.hpp"
#include "messages/wide.hpp"

namespace sv {

/// One interval's trades, exact: prices and volumes in units of 1e-8, the quote
/// volume (sum of price * qty) in units of 1e-16.
struct bar {
  std::int64_t open_ms = 0;     ///< interval start (a multiple of interval_ms)
  std::int64_t interval_ms = 0; ///< its length
  std::int64_t open_e8 = 0;
  std::int64_t high_e8 = 0;
  std::int64_t low_e8 = 0;
  std::int64_t close_e8 = 0;
  int128 volume_e8 = 0;
  int128 buy_volume_e8 = 0; ///< where the taker bought (m false)
  int128 quote_e16 = 0;
  std::uint64_t trades = 0;
  std::uint64_t first_id = 0;
  std::uint64_t last_id = 0;
  /// False when the bar may lack trades: it is the first one built (its interval
  /// began before the first trade seen), or ids were skipped inside or just
  /// before it.
  bool complete = true;
};

/// Builds bars of `interval_ms` from one symbol's trades, given in ascending id
/// order. A bar closes when the first trade of a later interval arrives, so every
/// bar is final and exact; an interval without trades has no bar.
class bar_builder {
public:
  explicit bar_builder(std::int64_t interval_ms) : interval_ms_{interval_ms} {
  }

  /// Adds `x`; returns the bar it closed, if `x` is the first of a later interval.
  /// Ids between the previous trade and `x` mark the bars around them incomplete.
  std::optional<bar> add(const trade& x);

  [[nodiscard]] std::int64_t interval_ms() const noexcept {
    return interval_ms_;
  }

private:
  std::int64_t interval_ms_;
  std::optional<bar> open_; ///< the bar being built
  std::uint64_t last_id_ = 0;
};

} // namespace sv
