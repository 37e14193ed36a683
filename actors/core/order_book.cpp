// order_book: one symbol's local price levels (bids and asks), built from a snapshot and diffs.
#include "actors/core/order_book.hpp"

#include <algorithm>
#include <functional>

#include "messages/wide.hpp"

namespace sv {

namespace {

/// Basis points in a whole: 1 bp = 1/10^4.
constexpr int128 bps_per_unit = 10'000;

/// A side is sorted by `Worse` (worse prices first, the best last): bids by
/// std::less (ascending), asks by std::greater (descending).
using bid_order = std::less<>;
using ask_order = std::greater<>;

/// Sets the level's price to its quantity in `side`, or removes the price when
/// the quantity is 0 (an absent level is fine: Binance deletes blindly).
template <class Worse>
void set_level(std::vector<price_level>& side, const price_level& level) {
  auto pos = std::lower_bound(side.begin(), side.end(), level.price_e8,
                              [](const price_level& held, std::int64_t price) {
                                return Worse{}(held.price_e8, price);
                              });
  bool found = pos != side.end() && pos->price_e8 == level.price_e8;
  if (level.qty_e8 == 0) {
    if (found)
      side.erase(pos);
  } else if (found) {
    pos->qty_e8 = level.qty_e8;
  } else {
    side.insert(pos, level);
  }
}

/// Replaces `side` by the snapshot's levels with a quantity, worst first. A
/// snapshot lists them strictly best first: then they are copied in reverse,
/// O(n); any other order is applied level by level like a diff (O(n^2) memmove
/// at worst), with the same result.
template <class Worse>
void load_side(std::vector<price_level>& side,
               const std::vector<price_level>& levels) {
  side.clear();
  side.reserve(levels.size());
  auto best_first
    = std::adjacent_find(levels.begin(), levels.end(),
                         [](const price_level& a, const price_level& b) {
                           return !Worse{}(b.price_e8, a.price_e8);
                         })
      == levels.end();
  if (best_first) {
    for (auto i = levels.rbegin(); i != levels.rend(); ++i)
      if (i->qty_e8 != 0)
        side.push_back(*i);
  } else {
    for (const auto& level : levels)
      set_level<Worse>(side, level);
  }
  side.shrink_to_fit();
}

/// The first `n` levels of `side`, best first.
std::vector<price_level> top(const std::vector<price_level>& side,
                             std::size_t n) {
  auto count = std::min(n, side.size());
  return {side.rbegin(), side.rbegin() + static_cast<std::ptrdiff_t>(count)};
}

/// The quantity over the first `n` levels of `side`.
int128 top_qty(const std::vector<price_level>& side, std::uint32_t n) {
  int128 sum = 0;
  std::uint32_t taken = 0;
  for (auto i = side.rbegin(); i != side.rend() && taken < n; ++i, ++taken)
    sum += i->qty_e8;
  return sum;
}

} // namespace

void order_book::reset(const depth_snapshot& snapshot) {
  load_side<bid_order>(bids_, snapshot.bids);
  load_side<ask_order>(asks_, snapshot.asks);
}

void order_book::apply(const depth_update& u) {
  for (const auto& level : u.bids)
    set_level<bid_order>(bids_, level);
  for (const auto& level : u.asks)
    set_level<ask_order>(asks_, level);
}

void order_book::clear() {
  bids_.clear();
  asks_.clear();
}

std::vector<price_level> order_book::top_bids(std::size_t n) const {
  return top(bids_, n);
}

std::vector<price_level> order_book::top_asks(std::size_t n) const {
  return top(asks_, n);
}

book_metrics order_book::metrics(std::uint32_t top_levels,
                                 std::uint32_t band_bps) const {
  book_metrics m;
  m.top_levels = top_levels;
  m.band_bps = band_bps;
  m.bid_qty_top_e8 = to_wide(top_qty(bids_, top_levels));
  m.ask_qty_top_e8 = to_wide(top_qty(asks_, top_levels));
  if (!bids_.empty())
    m.best_bid_e8 = bids_.back().price_e8;
  if (!asks_.empty())
    m.best_ask_e8 = asks_.back().price_e8;
  // Without both sides there is no mid: spread, mid and band stay 0 rather than
  // pretending one side's price is a mid.
  if (bids_.empty() || asks_.empty())
    return m;
  m.spread_e8 = m.best_ask_e8 - m.best_bid_e8;
  // price >= mid * (1 - X/10^4)  <=>  price * 2 * 10^4 >= mid_x2 * (10^4 - X),
  // all in int128: 2 * 10^4 * INT64_MAX and 2 * INT64_MAX * (10^4 + 2^32) both
  // fit, so the comparison is exact with no division. X > 10^4 makes the bid
  // bound negative: every bid qualifies.
  const int128 mid_x2 = int128{m.best_bid_e8} + m.best_ask_e8;
  // Exchange prices are far below INT64_MAX / 2 units, so the sum fits the field.
  m.mid_x2_e8 = static_cast<std::int64_t>(mid_x2);
  const int128 bid_bound = mid_x2 * (bps_per_unit - band_bps);
  const int128 ask_bound = mid_x2 * (bps_per_unit + band_bps);
  int128 bid_sum = 0;
  // Walked best first (from the back), so the first level outside the band ends
  // the walk.
  for (auto i = bids_.rbegin();
       i != bids_.rend() && int128{i->price_e8} * 2 * bps_per_unit >= bid_bound;
       ++i)
    bid_sum += i->qty_e8;
  int128 ask_sum = 0;
  for (auto i = asks_.rbegin();
       i != asks_.rend() && int128{i->price_e8} * 2 * bps_per_unit <= ask_bound;
       ++i)
    ask_sum += i->qty_e8;
  m.bid_qty_band_e8 = to_wide(bid_sum);
  m.ask_qty_band_e8 = to_wide(ask_sum);
  return m;
}

} // namespace sv
