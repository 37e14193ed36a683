// symbol_market: one simulated symbol's exchange-wide state (sequence, bounded history, exact totals).
#include "app/sim/exchange/symbol_market.hpp"

#include <algorithm>
#include <cassert>

#include "app/sim/exchange/trade_json.hpp"

namespace sv {

void trade_totals::add(const sim_trade& t) noexcept {
  ++emitted;
  auto quote = static_cast<int128>(t.price_e8) * t.qty_e8;
  if (t.m) {
    sell_volume_e8 += t.qty_e8;
    sell_quote_e16 += quote;
  } else {
    buy_volume_e8 += t.qty_e8;
    buy_quote_e16 += quote;
  }
}

symbol_market::symbol_market(std::string symbol, const market_limits& limits)
  : symbol_(std::move(symbol)),
    stream_name_(agg_trade_stream_name(symbol_)),
    limits_(limits),
    generator_(symbol_, limits.seed, limits.first_id),
    depth_(symbol_, limits.seed, limits.depth_changes) {
  assert(limits_.history_max > 0);
}

const sim_trade& symbol_market::at(std::int64_t id) const {
  assert(id >= oldest_id() && id < next_id());
  return history_[static_cast<std::size_t>(id - history_.front().a)];
}

const sim_trade& symbol_market::emit(std::int64_t now_ms) {
  assert(!exhausted());
  if (history_.size() >= limits_.history_max)
    history_.pop_front();
  history_.push_back(generator_.next(now_ms));
  totals_.add(history_.back());
  return history_.back();
}

std::int64_t symbol_market::emit_skipped(std::int64_t n, std::int64_t now_ms) {
  std::int64_t done = 0;
  for (; done < n && !exhausted(); ++done)
    emit(now_ms);
  skipped_on_reconnect_ += done;
  return done;
}

std::vector<sim_trade> symbol_market::select(const sim_trade_query& q) const {
  std::vector<sim_trade> out;
  if (history_.empty() || q.limit == 0)
    return out;
  auto begin = history_.begin();
  if (q.from_id) {
    auto skip
      = std::clamp<std::int64_t>(*q.from_id - history_.front().a, 0,
                                 static_cast<std::int64_t>(history_.size()));
    begin += skip;
  } else if (!q.start_ms && !q.end_ms) {
    auto n = std::min(q.limit, history_.size());
    begin = history_.end() - static_cast<std::ptrdiff_t>(n);
  }
  if (q.start_ms) {
    // T never decreases along the sequence, so the history is sorted by T.
    begin = std::lower_bound(begin, history_.end(), *q.start_ms,
                             [](const sim_trade& t, std::int64_t ms) {
                               return t.trade_ms < ms;
                             });
  }
  for (auto i = begin; i != history_.end() && out.size() < q.limit; ++i) {
    if (q.end_ms && i->trade_ms > *q.end_ms)
      break;
    out.push_back(*i);
  }
  return out;
}

std::optional<std::int64_t> symbol_market::first_emitted_id() const noexcept {
  if (totals_.emitted == 0)
    return std::nullopt;
  return limits_.first_id;
}

std::optional<std::int64_t> symbol_market::last_emitted_id() const noexcept {
  if (totals_.emitted == 0)
    return std::nullopt;
  return next_id() - 1;
}

} // namespace sv
