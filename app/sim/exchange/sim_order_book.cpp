// sim_order_book: one simulated symbol's deterministic order book (its change sequence and its state as of any update id).
#include "app/sim/exchange/sim_order_book.hpp"

#include <algorithm>
#include <cassert>
#include <iterator>

#include "app/sim/exchange/trade_generator.hpp"

namespace sv {

namespace {

constexpr std::uint64_t golden = 0x9e3779b97f4a7c15ULL;

/// splitmix64's output function: a counter through it is a good, portable stream.
std::uint64_t mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Draw `j` (0..3) of change number `k`: counter-based, so change k needs nothing
/// from the changes before it except the book they left.
std::uint64_t draw(std::uint64_t key, std::uint64_t k,
                   std::uint64_t j) noexcept {
  return mix(key + (k * 4 + j) * golden);
}

/// A level's quantity from one draw: 1..2000 lots, one level in ten 10x larger.
std::int64_t quantity_of(std::uint64_t r, std::int64_t lot_e8) noexcept {
  auto lots = static_cast<std::int64_t>(1 + r % 2000);
  if ((r >> 32) % 10 == 0)
    lots *= 10;
  return lots * lot_e8;
}

/// Percent of changes on a side that delete a level. Rises with the side's size
/// above its initial depth (and falls below it), so the size hovers near it; the
/// slope is gentle so deletes stay common and the top keeps thinning and refilling.
std::int64_t delete_percent(std::size_t side_size) noexcept {
  auto excess = static_cast<std::int64_t>(side_size)
                - static_cast<std::int64_t>(sim_order_book::initial_levels);
  return std::clamp<std::int64_t>(25 + excess / 4, 5, 70);
}

template <class Map>
std::int64_t nth_price(const Map& side, std::size_t n) {
  auto i = side.begin();
  std::advance(i, static_cast<std::ptrdiff_t>(n));
  return i->first;
}

/// Levels of a non-empty side within `ticks` ticks of its best price (the best
/// included), so deletes thin exactly the window that sets refill.
template <class Map>
std::size_t
levels_within(const Map& side, std::int64_t ticks, std::int64_t tick_e8) {
  auto best = side.begin()->first;
  std::size_t n = 0;
  for (auto i = side.begin(); i != side.end(); ++i, ++n) {
    auto distance = i->first > best ? i->first - best : best - i->first;
    if (distance >= ticks * tick_e8)
      break;
  }
  return n;
}

/// The quantity at `price`, 0 if there is no level.
template <class Map>
std::int64_t qty_at(const Map& side, std::int64_t price) {
  auto i = side.find(price);
  return i == side.end() ? 0 : i->second;
}

template <class Map>
void append_top(std::vector<book_level>& out, const Map& side,
                std::size_t limit) {
  out.reserve(std::min(limit, side.size()));
  for (const auto& [price, qty] : side) {
    if (out.size() >= limit)
      break;
    out.push_back({price, qty});
  }
}

} // namespace

void apply_change(book_levels& book, const book_change& c) {
  if (c.side == book_side::bid) {
    if (c.qty_e8 == 0)
      book.bids.erase(c.price_e8);
    else
      book.bids[c.price_e8] = c.qty_e8;
  } else {
    if (c.qty_e8 == 0)
      book.asks.erase(c.price_e8);
    else
      book.asks[c.price_e8] = c.qty_e8;
  }
}

book_snapshot top_of(const book_levels& book, std::int64_t update_id,
                     std::size_t limit) {
  book_snapshot s;
  s.last_update_id = update_id;
  append_top(s.bids, book.bids, limit);
  append_top(s.asks, book.asks, limit);
  return s;
}

sim_order_book::sim_order_book(std::string_view symbol, std::uint64_t seed,
                               std::int64_t initial_update_id)
  // A different constant than the trade generator's, so trades and book are unrelated streams.
  : key_(mix(symbol_hash(symbol) ^ (seed * golden) ^ 0x6f72646572626f6fULL)),
    initial_id_(initial_update_id),
    last_id_(initial_update_id) {
  auto start = start_price_e8(symbol);
  tick_e8_ = price_tick_e8(start);
  lot_e8_ = quantity_lot_e8(start);
  start -= start % tick_e8_;
  // Three ticks in four hold a level, so sets find gaps to fill near the top.
  auto init_key = mix(key_ ^ golden);
  std::uint64_t n = 0;
  for (auto price = start - tick_e8_;
       initial_.bids.size() < initial_levels && price >= tick_e8_;
       price -= tick_e8_) {
    auto r = mix(init_key + ++n * golden);
    if (initial_.bids.empty() || r % 4 != 0)
      initial_.bids[price] = quantity_of(r >> 2, lot_e8_);
  }
  for (auto price = start + tick_e8_; initial_.asks.size() < initial_levels;
       price += tick_e8_) {
    auto r = mix(init_key + ++n * golden);
    if (initial_.asks.empty() || r % 4 != 0)
      initial_.asks[price] = quantity_of(r >> 2, lot_e8_);
  }
  assert(!initial_.bids.empty() && !initial_.asks.empty());
  book_ = initial_;
}

book_change sim_order_book::change_for(const book_levels& book,
                                       std::int64_t update_id) const {
  auto k = static_cast<std::uint64_t>(update_id - initial_id_);
  auto r_side = draw(key_, k, 0);
  auto r_kind = draw(key_, k, 1);
  auto r_where = draw(key_, k, 2);
  auto r_qty = draw(key_, k, 3);
  book_change c;
  c.update_id = update_id;
  c.side = (r_side & 1U) != 0 ? book_side::ask : book_side::bid;
  bool bid = c.side == book_side::bid;
  auto size = bid ? book.bids.size() : book.asks.size();
  auto del = size > levels_min
             && static_cast<std::int64_t>(r_kind % 100) < delete_percent(size);
  // One change in four aims at the best level itself (deletes it, or sets a price at
  // or ahead of it), so the top of the book moves often.
  bool at_top = (r_where >> 32) % 4 == 0;
  if (del) {
    auto window = static_cast<std::int64_t>(top_window);
    auto candidates = bid ? levels_within(book.bids, window, tick_e8_)
                          : levels_within(book.asks, window, tick_e8_);
    auto n = at_top ? 0 : static_cast<std::size_t>(r_where % candidates);
    c.price_e8 = bid ? nth_price(book.bids, n) : nth_price(book.asks, n);
    c.qty_e8 = 0;
    return c;
  }
  // -2..19 ticks behind the best: negative improves on it (the top moves), clamped
  // one tick short of the other side's best so the book never crosses.
  auto behind
    = static_cast<std::int64_t>(r_where % (at_top ? 3 : top_window + 2)) - 2;
  auto best_bid = book.bids.begin()->first;
  auto best_ask = book.asks.begin()->first;
  if (bid) {
    c.price_e8 = best_bid - behind * tick_e8_;
    if (c.price_e8 >= best_ask)
      c.price_e8 = best_ask - tick_e8_;
    if (c.price_e8 < tick_e8_)
      c.price_e8 = best_bid;
  } else {
    c.price_e8 = best_ask + behind * tick_e8_;
    if (c.price_e8 <= best_bid)
      c.price_e8 = best_bid + tick_e8_;
  }
  c.qty_e8 = quantity_of(r_qty, lot_e8_);
  // Every change changes something: a level keeps no quantity it already had.
  auto current = bid ? qty_at(book.bids, c.price_e8)
                     : qty_at(book.asks, c.price_e8);
  if (current == c.qty_e8)
    c.qty_e8 += lot_e8_;
  return c;
}

book_change sim_order_book::apply_next() {
  auto c = change_for(book_, last_id_ + 1);
  apply_change(book_, c);
  last_id_ = c.update_id;
  assert(!book_.bids.empty() && !book_.asks.empty()
         && book_.bids.begin()->first < book_.asks.begin()->first);
  if ((last_id_ - initial_id_) % checkpoint_every == 0) {
    checkpoints_.emplace_back(last_id_, book_);
    if (checkpoints_.size() > checkpoints_max)
      checkpoints_.pop_front();
  }
  return c;
}

void sim_order_book::apply_until(std::int64_t update_id) {
  while (last_id_ < update_id)
    apply_next();
}

book_snapshot sim_order_book::snapshot(std::size_t limit) const {
  return top_of(book_, last_id_, limit);
}

std::optional<book_snapshot>
sim_order_book::snapshot_at(std::int64_t update_id, std::size_t limit) const {
  if (update_id < initial_id_ || update_id > last_id_)
    return std::nullopt;
  if (update_id == last_id_)
    return snapshot(limit);
  // The last copy at or before update_id, else the initial book.
  auto after = std::upper_bound(checkpoints_.begin(), checkpoints_.end(),
                                update_id, [](std::int64_t id, const auto& cp) {
                                  return id < cp.first;
                                });
  auto from_id = initial_id_;
  const book_levels* from = &initial_;
  if (after != checkpoints_.begin()) {
    from_id = std::prev(after)->first;
    from = &std::prev(after)->second;
  }
  auto book = *from;
  for (auto id = from_id + 1; id <= update_id; ++id)
    apply_change(book, change_for(book, id));
  return top_of(book, update_id, limit);
}

} // namespace sv
