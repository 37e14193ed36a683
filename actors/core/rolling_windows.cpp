// rolling_windows: exact order-flow metrics over sliding trade-time windows.
#include "actors/core/rolling_windows.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "actors/core/decimal.hpp"

namespace sv {

namespace {

constexpr std::int64_t ms_per_s = 1000;

/// floor(a / b) for b > 0 (trade times are positive in practice; this stays
/// right if one is not).
std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  auto q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

/// Entries of q with a second greater than `s` (counted from the back).
std::size_t count_after(const growing_ring<std::int64_t>& q,
                        std::int64_t s) noexcept {
  std::size_t n = 0;
  while (n < q.size() && q[q.size() - 1 - n] > s)
    ++n;
  return n;
}

/// Replaces q's entries [first, last) by `value` (inserts it if first == last).
void replace(growing_ring<std::int64_t>& q, std::size_t first, std::size_t last,
             std::int64_t value) {
  if (first == last) {
    q.insert(first, value);
    return;
  }
  q[first] = value;
  q.erase(first + 1, last);
}

/// Updates a monotonic queue after bucket `s` gained a better key (or became
/// non-empty). `beats(a, b)` is "key(a) > key(b)" strictly. Invariant kept:
/// seconds ascend and keys strictly descend front to back, so the front holds
/// the best key and, among equal keys, the latest bucket. For a bucket k
/// seconds behind the newest this costs O(k) plus the entries it removes (each
/// entry is removed once).
template <class Beats>
void raise_key(growing_ring<std::int64_t>& q, std::int64_t s, Beats beats) {
  auto after = count_after(q, s);
  auto last = q.size() - after; // entries [last, size) are later than s
  auto first = last;
  if (first > 0 && q[first - 1] == s)
    --first; // s is already queued: its entry is replaced below
  if (after > 0 && !beats(s, q[last])) {
    // A later bucket is at least as good, so s cannot be in the queue: its key
    // only grew, and it would have been dominated before as well.
    assert(first == last);
    return;
  }
  while (first > 0 && !beats(q[first - 1], s))
    --first; // earlier buckets no better than s can never be the best again
  replace(q, first, last, s);
}

} // namespace

// -- derived values -----------------------------------------------------------

int128 delta_e8(const window_snapshot& x) {
  return from_wide(x.buy_volume_e8) - from_wide(x.sell_volume_e8);
}

int128 delta_quote_e16(const window_snapshot& x) {
  return from_wide(x.buy_quote_e16) - from_wide(x.sell_quote_e16);
}

int128 vwap_e8(const window_snapshot& x) {
  auto volume = from_wide(x.buy_volume_e8) + from_wide(x.sell_volume_e8);
  if (volume == 0)
    return 0;
  // quote is in 1e-16 units and volume in 1e-8, so the quotient is in 1e-8
  // units.
  return div_round_half_even(
    from_wide(x.buy_quote_e16) + from_wide(x.sell_quote_e16), volume);
}

int128 trades_per_second_e8(const window_snapshot& x) {
  auto seconds = x.length_ms / ms_per_s;
  if (seconds <= 0)
    return 0;
  return div_round_half_even(static_cast<int128>(x.trades) * e8_scale, seconds);
}

int128 average_trade_size_e8(const window_snapshot& x) {
  if (x.trades == 0)
    return 0;
  return div_round_half_even(from_wide(x.buy_volume_e8)
                               + from_wide(x.sell_volume_e8),
                             static_cast<int128>(x.trades));
}

int128 buy_ratio_e8(const window_snapshot& x) {
  auto buy = from_wide(x.buy_volume_e8);
  auto volume = buy + from_wide(x.sell_volume_e8);
  if (volume == 0)
    return 0;
  return div_round_half_even(buy * e8_scale, volume);
}

// -- rolling_windows ----------------------------------------------------------

std::vector<std::int64_t> rolling_windows::default_lengths_ms() {
  return {60 * ms_per_s, 300 * ms_per_s, 900 * ms_per_s, 3600 * ms_per_s};
}

bool rolling_windows::valid_lengths(
  const std::vector<std::int64_t>& lengths_ms) {
  if (lengths_ms.empty())
    return false;
  return std::all_of(lengths_ms.begin(), lengths_ms.end(), [](std::int64_t x) {
    return x >= ms_per_s && x <= length_ms_max && x % ms_per_s == 0;
  });
}

rolling_windows::rolling_windows(std::vector<std::int64_t> lengths_ms,
                                 int128 large_trade_quote_e16)
  : large_trade_quote_e16_(large_trade_quote_e16) {
  assert(valid_lengths(lengths_ms));
  assert(large_trade_quote_e16 >= 0);
  auto longest = *std::max_element(lengths_ms.begin(), lengths_ms.end());
  span_s_ = longest / ms_per_s;
  windows_.reserve(lengths_ms.size());
  for (auto len : lengths_ms)
    windows_.emplace_back(len / ms_per_s);
  gaps_.reserve(gaps_max);
}

rolling_windows::bucket& rolling_windows::slot(std::int64_t s) {
  // In order (the common case): the newest second's bucket, or a new one after it.
  bucket fresh;
  fresh.second = s;
  if (buckets_.empty() || buckets_.back().second < s) {
    buckets_.push_back(fresh);
    return buckets_.back();
  }
  if (buckets_.back().second == s)
    return buckets_.back();
  // A late trade: its second's bucket, or a new one at its place.
  auto i = first_at_or_after(s);
  if (buckets_[i].second != s)
    buckets_.insert(i, fresh);
  return buckets_[i];
}

std::size_t rolling_windows::first_at_or_after(std::int64_t s) const noexcept {
  auto n = static_cast<std::int64_t>(buckets_.size());
  if (n == 0 || s <= buckets_.front().second)
    return 0;
  if (s > buckets_.back().second)
    return buckets_.size();
  // The seconds held are distinct and ascending, so entry k lies in
  // [front + k, back - (n - 1 - k)]: the answer lies in [n - 1 - (back - s),
  // s - front]. A symbol that traded every second (dense buckets) is found
  // without a search.
  auto lo = static_cast<std::size_t>(
    std::max<std::int64_t>(0, n - 1 - (buckets_.back().second - s)));
  auto hi = static_cast<std::size_t>(
    std::min<std::int64_t>(n, s - buckets_.front().second));
  while (lo < hi) {
    auto mid = lo + (hi - lo) / 2;
    if (buckets_[mid].second < s)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

const rolling_windows::bucket*
rolling_windows::find(std::int64_t s) const noexcept {
  if (!buckets_.empty() && buckets_.back().second == s)
    return &buckets_.back(); // most lookups are of the newest second
  auto i = first_at_or_after(s);
  return i < buckets_.size() && buckets_[i].second == s ? &buckets_[i]
                                                        : nullptr;
}

const rolling_windows::bucket&
rolling_windows::held(std::int64_t s) const noexcept {
  const auto* b = find(s);
  assert(b != nullptr && b->trades > 0);
  return *b;
}

void rolling_windows::advance_to(std::int64_t now_ms) noexcept {
  if (!started_) {
    started_ = true;
    now_ms_ = now_ms;
    now_s_ = floor_div(now_ms, ms_per_s);
    return;
  }
  if (now_ms <= now_ms_)
    return;
  auto new_s = floor_div(now_ms, ms_per_s);
  if (new_s > now_s_) {
    for (auto& w : windows_)
      slide(w, new_s);
    // What has left the longest window has left every window.
    while (!buckets_.empty() && buckets_.front().second <= new_s - span_s_)
      buckets_.pop_front();
  }
  now_ms_ = now_ms;
  now_s_ = new_s;
  forget_old_gaps();
}

void rolling_windows::slide(window& w, std::int64_t new_s) noexcept {
  auto old_s = now_s_;
  auto new_start = new_s - w.length_s + 1;
  if (new_start > old_s) {
    // Every bucket the window held (all are <= old_s) has left: O(1), not O(L).
    w.trades = 0;
    w.large_trades = 0;
    w.buy_volume_e8 = w.sell_volume_e8 = 0;
    w.buy_quote_e16 = w.sell_quote_e16 = 0;
    w.large_volume_e8 = w.large_quote_e16 = 0;
    w.high.clear();
    w.low.clear();
    w.largest.clear();
    w.nonempty.clear();
    return;
  }
  for (auto i = first_at_or_after(old_s - w.length_s + 1);
       i < buckets_.size() && buckets_[i].second < new_start; ++i) {
    const auto& b = buckets_[i];
    w.trades -= b.trades;
    w.large_trades -= b.large_trades;
    w.buy_volume_e8 -= b.buy_volume_e8;
    w.sell_volume_e8 -= b.sell_volume_e8;
    w.buy_quote_e16 -= b.buy_quote_e16;
    w.sell_quote_e16 -= b.sell_quote_e16;
    w.large_volume_e8 -= b.large_volume_e8;
    w.large_quote_e16 -= b.large_quote_e16;
  }
  for (auto* q : {&w.high, &w.low, &w.largest, &w.nonempty})
    while (q->size() > 0 && q->front() < new_start)
      q->pop_front();
}

rolling_windows::key_changes rolling_windows::fold(bucket& b, const trade& x,
                                                   int128 quote,
                                                   bool large) noexcept {
  key_changes c;
  c.was_empty = b.trades == 0;
  c.high = c.was_empty || x.price_e8 > b.high_e8;
  c.low = c.was_empty || x.price_e8 < b.low_e8;
  c.largest = c.was_empty || x.qty_e8 > b.largest_qty_e8
              || (x.qty_e8 == b.largest_qty_e8 && x.agg_id > b.largest_id);
  if (c.was_empty) {
    b.open_e8 = x.price_e8;
    b.first_id = x.agg_id;
    b.first_time_ms = x.trade_time_ms;
  }
  b.close_e8 = x.price_e8;
  b.last_id = x.agg_id;
  b.last_time_ms = x.trade_time_ms;
  if (c.high)
    b.high_e8 = x.price_e8;
  if (c.low)
    b.low_e8 = x.price_e8;
  if (c.largest) {
    b.largest_id = x.agg_id;
    b.largest_price_e8 = x.price_e8;
    b.largest_qty_e8 = x.qty_e8;
    b.largest_side = aggressor(x);
  }
  ++b.trades;
  auto buy = aggressor(x) == side::buy;
  (buy ? b.buy_volume_e8 : b.sell_volume_e8) += x.qty_e8;
  (buy ? b.buy_quote_e16 : b.sell_quote_e16) += quote;
  if (large) {
    ++b.large_trades;
    b.large_volume_e8 += x.qty_e8;
    b.large_quote_e16 += quote;
  }
  return c;
}

void rolling_windows::fold(window& w, std::int64_t s, const trade& x,
                           int128 quote, bool large, key_changes c) {
  ++w.trades;
  auto buy = aggressor(x) == side::buy;
  (buy ? w.buy_volume_e8 : w.sell_volume_e8) += x.qty_e8;
  (buy ? w.buy_quote_e16 : w.sell_quote_e16) += quote;
  if (large) {
    ++w.large_trades;
    w.large_volume_e8 += x.qty_e8;
    w.large_quote_e16 += quote;
  }
  // The queues compare the keys of buckets, so bucket s is already updated.
  auto at = [this](std::int64_t sec) -> const bucket& { return held(sec); };
  if (c.was_empty)
    raise_key(w.nonempty, s, [](std::int64_t, std::int64_t) { return true; });
  if (c.high)
    raise_key(w.high, s, [&at](std::int64_t p, std::int64_t q) {
      return at(p).high_e8 > at(q).high_e8;
    });
  if (c.low)
    raise_key(w.low, s, [&at](std::int64_t p, std::int64_t q) {
      return at(p).low_e8 < at(q).low_e8;
    });
  if (c.largest)
    raise_key(w.largest, s, [&at](std::int64_t p, std::int64_t q) {
      const auto& bp = at(p);
      const auto& bq = at(q);
      return bp.largest_qty_e8 > bq.largest_qty_e8
             || (bp.largest_qty_e8 == bq.largest_qty_e8
                 && bp.largest_id > bq.largest_id);
    });
}

bool rolling_windows::add(const trade& x) {
  advance_to(x.trade_time_ms);
  auto s = floor_div(x.trade_time_ms, ms_per_s);
  if (s <= now_s_ - span_s_) {
    // Its second has left the ring: count it now rather than lose it.
    s = now_s_;
    ++clamped_;
  }
  auto quote = static_cast<int128>(x.price_e8) * x.qty_e8;
  auto large = is_large_quote(quote);
  cvd_e8_ += aggressor(x) == side::buy ? x.qty_e8
                                       : -static_cast<int128>(x.qty_e8);
  auto c = fold(slot(s), x, quote, large);
  for (auto& w : windows_)
    if (s > now_s_ - w.length_s) // else a late trade that has left this window
      fold(w, s, x, quote, large, c);
  return large;
}

void rolling_windows::mark_gap(std::int64_t from_ms,
                               std::int64_t to_ms) noexcept {
  assert(from_ms <= to_ms);
  if (gaps_.size() == gaps_max) {
    // Full: merge the two that end first into one interval spanning both. This
    // can only mark more windows incomplete, never fewer.
    auto by_end = [](const gap& a, const gap& b) { return a.to_ms < b.to_ms; };
    std::partial_sort(gaps_.begin(), gaps_.begin() + 2, gaps_.end(), by_end);
    gaps_[1].from_ms = std::min(gaps_[0].from_ms, gaps_[1].from_ms);
    gaps_.erase(gaps_.begin());
  }
  gaps_.push_back(gap{from_ms, to_ms});
  forget_old_gaps();
}

void rolling_windows::forget_old_gaps() noexcept {
  auto start_ms = (now_s_ - span_s_ + 1) * ms_per_s;
  gaps_.erase(
    std::remove_if(gaps_.begin(), gaps_.end(),
                   [start_ms](const gap& g) { return g.to_ms < start_ms; }),
    gaps_.end());
}

std::vector<window_snapshot> rolling_windows::snapshot() const {
  std::vector<window_snapshot> result;
  result.reserve(windows_.size());
  for (const auto& w : windows_) {
    window_snapshot x;
    x.length_ms = w.length_s * ms_per_s;
    x.window_start_ms = (now_s_ - w.length_s + 1) * ms_per_s;
    x.window_end_ms = now_ms_;
    x.trades = w.trades;
    x.buy_volume_e8 = to_wide(w.buy_volume_e8);
    x.sell_volume_e8 = to_wide(w.sell_volume_e8);
    x.buy_quote_e16 = to_wide(w.buy_quote_e16);
    x.sell_quote_e16 = to_wide(w.sell_quote_e16);
    x.large_trades = w.large_trades;
    x.large_volume_e8 = to_wide(w.large_volume_e8);
    x.large_quote_e16 = to_wide(w.large_quote_e16);
    assert((w.trades > 0) == (w.nonempty.size() > 0));
    if (w.trades > 0) {
      const auto& first = held(w.nonempty.front());
      const auto& last = held(w.nonempty.back());
      const auto& high = held(w.high.front());
      const auto& low = held(w.low.front());
      const auto& largest = held(w.largest.front());
      x.open_e8 = first.open_e8;
      x.first_trade_id = first.first_id;
      x.first_time_ms = first.first_time_ms;
      x.close_e8 = last.close_e8;
      x.last_trade_id = last.last_id;
      x.last_time_ms = last.last_time_ms;
      x.high_e8 = high.high_e8;
      x.low_e8 = low.low_e8;
      x.largest_id = largest.largest_id;
      x.largest_price_e8 = largest.largest_price_e8;
      x.largest_qty_e8 = largest.largest_qty_e8;
      x.largest_side = largest.largest_side;
    }
    x.complete = std::none_of(gaps_.begin(), gaps_.end(), [&x](const gap& g) {
      return g.from_ms <= x.window_end_ms && g.to_ms >= x.window_start_ms;
    });
    result.push_back(x);
  }
  return result;
}

std::size_t rolling_windows::memory_bytes() const noexcept {
  auto n = sizeof(*this) + buckets_.capacity_bytes()
           + windows_.capacity() * sizeof(window)
           + gaps_.capacity() * sizeof(gap);
  for (const auto& w : windows_)
    n += w.high.capacity_bytes() + w.low.capacity_bytes()
         + w.largest.capacity_bytes() + w.nonempty.capacity_bytes();
  return n;
}

std::string window_name(std::int64_t length_s) {
  if (length_s % 3600 == 0)
    return std::to_string(length_s / 3600) + "h";
  if (length_s % 60 == 0)
    return std::to_string(length_s / 60) + "m";
  return std::to_string(length_s) + "s";
}

} // namespace sv
