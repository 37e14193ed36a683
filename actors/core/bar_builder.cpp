// bar_builder: one symbol's OHLCV bars of one interval, built from trades in id order.
#include "actors/core/bar_builder.hpp"

#include <algorithm>

namespace sv {

namespace {

/// The start of the interval holding `t_ms` (floor, also for negative times).
std::int64_t interval_start(std::int64_t t_ms, std::int64_t interval_ms) {
  auto r = t_ms % interval_ms;
  return r < 0 ? t_ms - r - interval_ms : t_ms - r;
}

} // namespace

std::optional<bar> bar_builder::add(const trade& x) {
  std::optional<bar> closed;
  bool skipped = last_id_ != 0 && x.agg_id != last_id_ + 1;
  auto start = interval_start(x.trade_time_ms, interval_ms_);
  // A trade time behind the open bar (Binance's T never goes back within a
  // symbol) is added to the open bar rather than reopening a closed one.
  if (open_ && start > open_->open_ms) {
    closed = open_;
    open_.reset();
  }
  if (skipped && closed)
    closed->complete = false;
  if (!open_) {
    bar b;
    b.open_ms = start;
    b.interval_ms = interval_ms_;
    b.open_e8 = b.high_e8 = b.low_e8 = x.price_e8;
    b.first_id = x.agg_id;
    // The first bar began before the first trade seen; after a skip the missing
    // ids may belong to this bar.
    b.complete = last_id_ != 0 && !skipped;
    open_ = b;
  } else if (skipped) {
    open_->complete = false;
  }
  auto& b = *open_;
  b.high_e8 = std::max(b.high_e8, x.price_e8);
  b.low_e8 = std::min(b.low_e8, x.price_e8);
  b.close_e8 = x.price_e8;
  b.volume_e8 += x.qty_e8;
  if (!x.buyer_is_maker)
    b.buy_volume_e8 += x.qty_e8;
  b.quote_e16 += static_cast<int128>(x.price_e8) * x.qty_e8;
  ++b.trades;
  b.last_id = x.agg_id;
  last_id_ = x.agg_id;
  return closed;
}

} // namespace sv
