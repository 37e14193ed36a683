// depth_feed: one simulated symbol's diff-depth stream (changes grouped into depthUpdate events, kept for the streams).
#include "app/sim/exchange/depth_feed.hpp"

#include <cassert>

#include "app/sim/exchange/depth_json.hpp"
#include "app/sim/exchange/stream_json.hpp"
#include "app/sim/exchange/trade_generator.hpp"

namespace sv {

std::int64_t depth_event_changes(std::string_view symbol, std::uint64_t seed,
                                 std::int64_t first_update_id,
                                 std::int64_t changes_per_event) noexcept {
  assert(changes_per_event >= 1);
  auto half = changes_per_event / 2;
  // splitmix64's output function over (symbol, seed, U).
  std::uint64_t z
    = symbol_hash(symbol) ^ (seed * 0x9e3779b97f4a7c15ULL)
      ^ (static_cast<std::uint64_t>(first_update_id) * 0xd1b54a32d192ed03ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return changes_per_event - half
         + static_cast<std::int64_t>(
           z % static_cast<std::uint64_t>(2 * half + 1));
}

depth_feed::depth_feed(std::string symbol, std::uint64_t seed,
                       std::int64_t changes_per_event)
  : symbol_(std::move(symbol)),
    stream_name_(depth_stream_name(symbol_)),
    seed_(seed),
    changes_per_event_(changes_per_event),
    book_(symbol_, seed) {
  assert(changes_per_event_ >= 1);
  open_next();
}

void depth_feed::open_next() {
  open_first_id_ = book_.last_update_id() + 1;
  open_size_ = depth_event_changes(symbol_, seed_, open_first_id_,
                                   changes_per_event_);
  open_bids_.clear();
  open_asks_.clear();
}

void depth_feed::apply_change() {
  assert(open_applied() < open_size_);
  auto c = book_.apply_next();
  if (c.side == book_side::bid)
    open_bids_[c.price_e8] = c.qty_e8;
  else
    open_asks_[c.price_e8] = c.qty_e8;
}

const depth_event* depth_feed::close_event(std::int64_t now_ms, bool drop) {
  assert(open_applied() == open_size_);
  const depth_event* kept = nullptr;
  if (drop) {
    ++dropped_;
  } else {
    depth_event e;
    e.number = next_number();
    e.diff.first_update_id = open_first_id_;
    e.diff.final_update_id = book_.last_update_id();
    e.diff.event_ms = now_ms;
    for (const auto& [price, qty] : open_bids_)
      e.diff.bids.push_back({price, qty});
    for (const auto& [price, qty] : open_asks_)
      e.diff.asks.push_back({price, qty});
    append_depth_event(e.raw, symbol_, e.diff);
    // The combined form wraps the raw text: each event is formatted once.
    append_combined(e.combined, stream_name_,
                    [&](std::string& o) { o += e.raw; });
    if (history_.size() >= history_max)
      history_.pop_front();
    history_.push_back(std::move(e));
    ++emitted_;
    kept = &history_.back();
  }
  open_next();
  return kept;
}

const depth_event& depth_feed::at(std::int64_t pos) const {
  assert(pos >= oldest_pos() && pos < next_pos());
  return history_[static_cast<std::size_t>(pos - oldest_pos())];
}

} // namespace sv
