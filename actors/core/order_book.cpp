// order_book: one symbol's local price levels (bids and asks), built from a snapshot and diffs.
#include "actors/core/order_book.hpp"

#include "messages/wide.hpp"

namespace sv {

namespace {

/// Basis points in a whole: 1 bp = 1/10^4.
constexpr int128 bps_per_unit = 10'000;

/// Sets the level's price to its quantity in `side`, or removes the price when
/// the quantity is 0.
template <class Side>
void set_level(Side& side, const price_level& level) {
  if (level.qty_e8 == 0)
    side.erase(
      level.price_e8); // an absent level is fine: Binance deletes blindly
  else
    side.insert_or_assign(level.price_e8, level.qty_e8);
}

/// The first `n` levels of `side`, best first.
template <class Side>
std::vector<price_level> top(const Side& side, std::size_t n) {
  std::vector<price_level> result;
  result.reserve(n < side.size() ? n : side.size());
  for (auto i = side.begin(); i != side.end() && result.size() < n; ++i)
    result.push_back(price_level{i->first, i->second});
  return result;
}

/// The quantity over the first `n` levels of `side`.
template <class Side>
int128 top_qty(const Side& side, std::uint32_t n) {
  int128 sum = 0;
  std::uint32_t taken = 0;
  for (auto i = side.begin(); i != side.end() && taken < n; ++i, ++taken)
    sum += i->second;
  return sum;
}

} // namespace

void order_book::reset(const depth_snapshot& snapshot) {
  clear();
  for (const auto& level : snapshot.bids)
    set_level(bids_, level);
  for (const auto& level : snapshot.asks)
    set_level(asks_, level);
}

void order_book::apply(const depth_update& u) {
  for (const auto& level : u.bids)
    set_level(bids_, level);
  for (const auto& level : u.asks)
    set_level(asks_, level);
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
    m.best_bid_e8 = bids_.begin()->first;
  if (!asks_.empty())
    m.best_ask_e8 = asks_.begin()->first;
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
  // Sides are sorted best first, so the first level outside the band ends the walk.
  for (auto i = bids_.begin();
       i != bids_.end() && int128{i->first} * 2 * bps_per_unit >= bid_bound;
       ++i)
    bid_sum += i->second;
  int128 ask_sum = 0;
  for (auto i = asks_.begin();
       i != asks_.end() && int128{i->first} * 2 * bps_per_unit <= ask_bound;
       ++i)
    ask_sum += i->second;
  m.bid_qty_band_e8 = to_wide(bid_sum);
  m.ask_qty_band_e8 = to_wide(ask_sum);
  return m;
}

} // namespace sv
