// order_flow: exact running totals of one symbol's trades.
#include "actors/core/order_flow.hpp"

#include "actors/core/decimal.hpp"

namespace sv {

void order_flow::add(const trade& x) noexcept {
  if (trades_ == 0)
    first_trade_id_ = x.agg_id;
  last_trade_id_ = x.agg_id;
  last_price_e8_ = x.price_e8;
  last_trade_time_ms_ = x.trade_time_ms;
  add_backfilled(x);
}

void order_flow::add_backfilled(const trade& x) noexcept {
  // A warm start fills in trades before the first live one.
  if (trades_ != 0 && x.agg_id < first_trade_id_)
    first_trade_id_ = x.agg_id;
  ++trades_;
  auto quote = static_cast<int128>(x.price_e8) * x.qty_e8;
  if (aggressor(x) == side::buy) {
    buy_volume_e8_ += x.qty_e8;
    buy_quote_e16_ += quote;
  } else {
    sell_volume_e8_ += x.qty_e8;
    sell_quote_e16_ += quote;
  }
}

metrics_snapshot order_flow::snapshot(const std::string& symbol) const {
  metrics_snapshot result;
  result.symbol = symbol;
  result.trades = trades_;
  result.duplicates = duplicates_;
  result.first_trade_id = first_trade_id_;
  result.last_trade_id = last_trade_id_;
  result.last_price_e8 = last_price_e8_;
  result.last_trade_time_ms = last_trade_time_ms_;
  result.buy_volume_e8 = to_wide(buy_volume_e8_);
  result.sell_volume_e8 = to_wide(sell_volume_e8_);
  result.buy_quote_e16 = to_wide(buy_quote_e16_);
  result.sell_quote_e16 = to_wide(sell_quote_e16_);
  return result;
}

int128 vwap_e8(const metrics_snapshot& x) {
  auto volume = from_wide(x.buy_volume_e8) + from_wide(x.sell_volume_e8);
  if (volume == 0)
    return 0;
  // quote is in 1e-16 units and volume in 1e-8, so the quotient is in 1e-8 units.
  return div_round_half_even(
    from_wide(x.buy_quote_e16) + from_wide(x.sell_quote_e16), volume);
}

} // namespace sv
