// trade_history: one symbol's recent trades, bounded by count and by age.
#include "actors/core/trade_history.hpp"

#include <algorithm>
#include <cassert>

namespace sv {

trade_history::trade_history(std::size_t trades_max, std::int64_t age_ms_max)
  : trades_max_(trades_max), age_ms_max_(age_ms_max) {
  assert(trades_max_ > 0);
}

void trade_history::push(const trade& x) {
  assert(trades_.empty() || trades_.back().agg_id < x.agg_id);
  trades_.push_back(x);
  while (trades_.size() > trades_max_)
    trades_.pop_front();
  auto oldest_kept_ms = x.trade_time_ms - age_ms_max_;
  while (!trades_.empty() && trades_.front().trade_time_ms < oldest_kept_ms)
    trades_.pop_front();
}

void trade_history::insert(const trade& x) {
  auto pos = std::lower_bound(trades_.begin(), trades_.end(), x.agg_id,
                              [](const trade& held, std::uint64_t id) {
                                return held.agg_id < id;
                              });
  if (pos != trades_.end() && pos->agg_id == x.agg_id)
    return;
  trades_.insert(pos, x);
  while (trades_.size() > trades_max_)
    trades_.pop_front();
  auto newest_ms = trades_.back().trade_time_ms;
  while (!trades_.empty()
         && trades_.front().trade_time_ms < newest_ms - age_ms_max_)
    trades_.pop_front();
}

std::vector<trade> trade_history::last(std::size_t n) const {
  auto count = n < trades_.size() ? n : trades_.size();
  return std::vector<trade>(trades_.end() - static_cast<std::ptrdiff_t>(count),
                            trades_.end());
}

} // namespace sv
