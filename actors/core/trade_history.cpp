// trade_history: one symbol's recent trades, bounded by count and by age, 40 bytes each.
#include "actors/core/trade_history.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace sv {

namespace {

// The packed word of trade_history::held.
constexpr unsigned time_bits = 44;
constexpr unsigned maker_shift = 44;
constexpr unsigned span_shift = 45;
constexpr unsigned span_bits = 9;
constexpr unsigned lag_shift = 54;
constexpr unsigned lag_bits = 10;
constexpr std::uint64_t time_mask = (std::uint64_t{1} << time_bits) - 1;
constexpr std::uint64_t span_mask = (std::uint64_t{1} << span_bits) - 1;
constexpr std::uint64_t lag_mask = (std::uint64_t{1} << lag_bits) - 1;
/// The span value that says "in the side table".
constexpr std::uint64_t span_escaped = span_mask;

/// True if T, l - f and E - T of `x` fit the packed word.
bool fits(const trade& x) noexcept {
  return x.trade_time_ms >= 0
         && static_cast<std::uint64_t>(x.trade_time_ms) <= time_mask
         && x.last_id >= x.first_id && x.last_id - x.first_id < span_escaped
         && x.event_time_ms >= x.trade_time_ms
         && static_cast<std::uint64_t>(x.event_time_ms - x.trade_time_ms)
              <= lag_mask;
}

} // namespace

trade_history::trade_history(std::string symbol, std::size_t trades_max,
                             std::int64_t age_ms_max)
  : symbol_(std::move(symbol)),
    trades_max_(trades_max),
    age_ms_max_(age_ms_max) {
  assert(trades_max_ > 0);
}

trade_history::held trade_history::pack(const trade& x) {
  held h;
  h.agg_id = x.agg_id;
  h.price_e8 = x.price_e8;
  h.qty_e8 = x.qty_e8;
  h.first_id = x.first_id;
  std::uint64_t maker = x.buyer_is_maker ? 1 : 0;
  if (fits(x)) {
    h.packed = static_cast<std::uint64_t>(x.trade_time_ms)
               | maker << maker_shift | (x.last_id - x.first_id) << span_shift
               | static_cast<std::uint64_t>(x.event_time_ms - x.trade_time_ms)
                   << lag_shift;
  } else {
    h.packed = maker << maker_shift | span_escaped << span_shift;
    escaped_[x.agg_id] = whole_fields{x.last_id, x.trade_time_ms,
                                      x.event_time_ms};
  }
  return h;
}

trade trade_history::unpack(const held& h) const {
  trade x;
  x.symbol = symbol_;
  x.agg_id = h.agg_id;
  x.price_e8 = h.price_e8;
  x.qty_e8 = h.qty_e8;
  x.first_id = h.first_id;
  x.buyer_is_maker = ((h.packed >> maker_shift) & 1U) != 0;
  auto span = (h.packed >> span_shift) & span_mask;
  if (span == span_escaped) {
    const auto& w = escaped_.at(h.agg_id);
    x.last_id = w.last_id;
    x.trade_time_ms = w.trade_time_ms;
    x.event_time_ms = w.event_time_ms;
  } else {
    x.last_id = h.first_id + span;
    x.trade_time_ms = static_cast<std::int64_t>(h.packed & time_mask);
    x.event_time_ms
      = x.trade_time_ms
        + static_cast<std::int64_t>((h.packed >> lag_shift) & lag_mask);
  }
  return x;
}

std::int64_t trade_history::trade_time_ms(const held& h) const {
  if (((h.packed >> span_shift) & span_mask) == span_escaped)
    return escaped_.at(h.agg_id).trade_time_ms;
  return static_cast<std::int64_t>(h.packed & time_mask);
}

void trade_history::pop_oldest() {
  const auto& h = trades_.front();
  if (((h.packed >> span_shift) & span_mask) == span_escaped)
    escaped_.erase(h.agg_id);
  trades_.pop_front();
}

void trade_history::evict(std::int64_t newest_ms) {
  while (trades_.size() > trades_max_)
    pop_oldest();
  while (!trades_.empty()
         && trade_time_ms(trades_.front()) < newest_ms - age_ms_max_)
    pop_oldest();
}

void trade_history::push(const trade& x) {
  assert(trades_.empty() || trades_.back().agg_id < x.agg_id);
  trades_.push_back(pack(x));
  evict(x.trade_time_ms);
}

void trade_history::insert(const trade& x) {
  auto pos = std::lower_bound(trades_.begin(), trades_.end(), x.agg_id,
                              [](const held& h, std::uint64_t id) {
                                return h.agg_id < id;
                              });
  if (pos != trades_.end() && pos->agg_id == x.agg_id)
    return;
  trades_.insert(pos, pack(x));
  evict(trade_time_ms(trades_.back()));
}

std::vector<trade> trade_history::last(std::size_t n) const {
  auto count = std::min(n, trades_.size());
  std::vector<trade> result;
  result.reserve(count);
  for (auto i = trades_.end() - static_cast<std::ptrdiff_t>(count);
       i != trades_.end(); ++i)
    result.push_back(unpack(*i));
  return result;
}

// An id range, named in the order it is written.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
std::vector<trade> trade_history::between(std::uint64_t after_id,
                                          std::uint64_t through_id,
                                          std::size_t max) const {
  std::vector<trade> result;
  auto i = std::upper_bound(trades_.begin(), trades_.end(), after_id,
                            [](std::uint64_t id, const held& h) {
                              return id < h.agg_id;
                            });
  for (; i != trades_.end() && i->agg_id <= through_id && result.size() < max;
       ++i)
    result.push_back(unpack(*i));
  return result;
}

trade_rows trade_history::select(const trade_query& q) const {
  trade_rows out;
  if (trades_.empty() || q.limit == 0)
    return out;
  out.oldest_id = trades_.front().agg_id;
  out.newest_id = trades_.back().agg_id;
  out.oldest_ms = trade_time_ms(trades_.front());
  if (!q.by_id && q.start_ms < 0)
    select_most_recent(q, out);
  else
    select_forward(q, out);
  return out;
}

std::deque<trade_history::held>::const_iterator
trade_history::first_at_or_after(std::int64_t ms) const {
  // T never decreases along the ids, so the history is sorted by T too.
  return std::lower_bound(trades_.begin(), trades_.end(), ms,
                          [this](const held& h, std::int64_t t) {
                            return trade_time_ms(h) < t;
                          });
}

void trade_history::select_most_recent(const trade_query& q,
                                       trade_rows& out) const {
  // Walk back from the last trade (up to endTime) while the ids run on.
  auto end = q.end_ms < 0 ? trades_.end() : first_at_or_after(q.end_ms + 1);
  if (end != trades_.begin() && end != trades_.end()
      && (end - 1)->agg_id + 1 != end->agg_id) {
    // Missing ids right after the last row may have T <= endTime.
    out.missing_id = (end - 1)->agg_id + 1;
    return;
  }
  auto begin = end;
  while (static_cast<std::size_t>(end - begin) < q.limit) {
    if (begin == trades_.begin()) {
      out.from_oldest = true;
      break;
    }
    auto prev = begin - 1;
    if (begin != end && prev->agg_id + 1 != begin->agg_id) {
      out.missing_id = begin->agg_id - 1;
      break;
    }
    begin = prev;
  }
  for (auto i = begin; i != end; ++i)
    out.trades.push_back(unpack(*i));
}

void trade_history::select_forward(const trade_query& q,
                                   trade_rows& out) const {
  std::deque<held>::const_iterator begin;
  if (q.by_id) {
    begin = std::lower_bound(trades_.begin(), trades_.end(), q.from_id,
                             [](const held& h, std::uint64_t id) {
                               return h.agg_id < id;
                             });
    bool held_range = q.from_id >= out.oldest_id && q.from_id <= out.newest_id;
    if (held_range && begin->agg_id != q.from_id) {
      out.missing_id = q.from_id;
      return;
    }
  } else {
    begin = first_at_or_after(q.start_ms);
    if (begin != trades_.begin() && begin != trades_.end()
        && (begin - 1)->agg_id + 1 != begin->agg_id) {
      // Missing ids just before the first row may have T >= startTime.
      out.missing_id = (begin - 1)->agg_id + 1;
      return;
    }
  }
  for (auto i = begin; i != trades_.end() && out.trades.size() < q.limit; ++i) {
    bool continues = out.trades.empty()
                     || out.trades.back().agg_id + 1 == i->agg_id;
    if (!continues) {
      // Stopped by a missing id (whatever its time: it may be inside the window).
      out.missing_id = out.trades.back().agg_id + 1;
      break;
    }
    if (q.end_ms >= 0 && trade_time_ms(*i) > q.end_ms)
      break;
    out.trades.push_back(unpack(*i));
  }
}

} // namespace sv
