// order_book: one symbol's local price levels (bids and asks), built from a snapshot and diffs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "messages/book.hpp"
#include "messages/depth.hpp"

namespace sv {

/// Price levels of both sides, keyed by exact e8 price. Holds no sequence logic:
/// book_sync decides what may be applied. Not thread-safe: owned by one actor.
/// Memory: one map node per level (a Binance snapshot has at most 5000 per side;
/// diffs add levels only where the exchange has them).
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
  std::map<std::int64_t, std::int64_t, std::greater<>>
    bids_;                                    ///< price -> qty, best first
  std::map<std::int64_t, std::int64_t> asks_; ///< price -> qty, best first
};

} // namespace sv
