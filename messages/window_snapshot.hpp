// window_snapshot: one rolling order-flow window of one symbol, as the aggregator reports it.
#pragma once

#include <cstdint>

#include <caf/meta/type_name.hpp>

#include "messages/trade.hpp"
#include "messages/wide.hpp"

namespace sv {

/// One window's metrics at the current "now" of a `rolling_windows`. Plain
/// data: every value is an exact integer (volumes in 1e-8 base units, quote
/// sums in 1e-16 quote units = price_e8 * qty_e8). Price fields are 0 when
/// `trades == 0`. The window covers trade times [window_start_ms,
/// window_end_ms]. Open is the first trade added to the oldest non-empty
/// second, close the last trade added to the newest one.
struct window_snapshot {
  std::int64_t length_ms = 0; ///< configured window length (a multiple of 1000)
  std::int64_t window_start_ms = 0; ///< (now_s - L + 1) * 1000
  std::int64_t window_end_ms = 0;   ///< now_ms
  std::uint64_t trades = 0;         ///< trades in the window
  wide buy_volume_e8;               ///< sum of qty where the taker bought
  wide sell_volume_e8;              ///< sum of qty where the taker sold
  wide buy_quote_e16;               ///< sum of price*qty where the taker bought
  wide sell_quote_e16;              ///< sum of price*qty where the taker sold
  std::int64_t open_e8 = 0;         ///< price of the open trade
  std::int64_t high_e8 = 0;         ///< highest price
  std::int64_t low_e8 = 0;          ///< lowest price
  std::int64_t close_e8 = 0;        ///< price of the close trade
  std::uint64_t first_trade_id = 0; ///< `a` of the open trade, 0 if none
  std::uint64_t last_trade_id = 0;  ///< `a` of the close trade, 0 if none
  std::int64_t first_time_ms = 0;   ///< `T` of the open trade, 0 if none
  std::int64_t last_time_ms = 0;    ///< `T` of the close trade, 0 if none
  std::uint64_t largest_id = 0;     ///< `a` of the max (qty, a) trade
  std::int64_t largest_price_e8 = 0; ///< its price
  std::int64_t largest_qty_e8 = 0;   ///< its quantity
  side largest_side = side::buy;     ///< its aggressor side
  std::uint64_t large_trades = 0;    ///< trades with notional >= threshold
  wide large_volume_e8;              ///< sum of qty of those trades
  wide large_quote_e16;              ///< sum of price*qty of those trades
  bool complete = true;              ///< false if a marked gap overlaps
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, window_snapshot& x) {
  return f(caf::meta::type_name("window_snapshot"), x.length_ms,
           x.window_start_ms, x.window_end_ms, x.trades, x.buy_volume_e8,
           x.sell_volume_e8, x.buy_quote_e16, x.sell_quote_e16, x.open_e8,
           x.high_e8, x.low_e8, x.close_e8, x.first_trade_id, x.last_trade_id,
           x.first_time_ms, x.last_time_ms, x.largest_id, x.largest_price_e8,
           x.largest_qty_e8, x.largest_side, x.large_trades, x.large_volume_e8,
           x.large_quote_e16, x.complete);
}

} // namespace sv
