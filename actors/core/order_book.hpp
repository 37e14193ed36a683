// order_book: one symbol's local price levels (bids and asks), built from a snapshot and diffs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "messages/book.hpp"
#include "messages/depth.hpp"

namespace sv {

/// Price levels of both sides, keyed by exact e8 price. Holds no sequence logic:
/// book_sync decides what may be applied. Not thread-safe: owned by one actor.
/// Memory: each side is one sorted array of 16-byte levels, best last, so a level
/// costs 16 bytes (up to 32 while the array has room to grow) where a map node
/// cost 64; a change near the top moves only the levels better than it, one deep
/// in a 5000-level side at most 80 KB of memmove.
class order_book {
public:
  /// Replaces every level with the snapshot's (levels with quantity 0 are skipped).
  void reset(const depth_snapshot& snapshot);

  /// Sets each level of `u` to its new absolute quantity; quantity 0 removes the
  /// level (removing an absent level is not an error: Binance sends such deletes).
  void apply(const depth_update& u);

  /// Removes every level.
  void clear();

  /// Levels held on each side (the whole book, not only the top).
  std::size_t bid_levels() const noexcept {
    return bids_.size();
  }
  std::size_t ask_levels() const noexcept {
    return asks_.size();
  }

  /// The best `n` bids (highest first) / asks (lowest first); fewer if the side is shorter.
  std::vector<price_level> top_bids(std::size_t n) const;
  std::vector<price_level> top_asks(std::size_t n) const;

  /// Best bid/ask, spread, twice the mid, quantity over the top `top_levels` levels
  /// of each side, and quantity within `band_bps` basis points of the mid (exact
  /// integer comparisons; the band is empty unless both sides exist).
  book_metrics metrics(std::uint32_t top_levels, std::uint32_t band_bps) const;

private:
  /// Bids ascending by price: the best (highest) last.
  std::vector<price_level> bids_;
  /// Asks descending by price: the best (lowest) last.
  std::vector<price_level> asks_;
};

} // namespace sv
