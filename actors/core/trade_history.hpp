// trade_history: one symbol's recent trades, bounded by count and by age.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "messages/trade.hpp"

namespace sv {

/// The most recent trades of one symbol, in id order. Holds at most `trades_max`
/// trades and none older than `age_ms_max` before the newest trade's time `T` (age is
/// measured in trade time, so a replay or a stalled feed does not empty it).
/// Not thread-safe: owned by one aggregator actor.
class trade_history {
public:
  trade_history(std::size_t trades_max, std::int64_t age_ms_max);

  /// Appends `x`, then evicts what exceeds either bound. Requires `x.agg_id` greater
  /// than every id held (the aggregator drops the others before calling).
  void push(const trade& x);

  /// Inserts a backfilled trade at its place in id order (ids already held are
  /// ignored), then evicts what exceeds either bound. O(size) worst case.
  void insert(const trade& x);

  /// The last `n` trades (fewer if fewer are held), oldest first.
  std::vector<trade> last(std::size_t n) const;

  std::size_t size() const noexcept {
    return trades_.size();
  }

private:
  std::size_t trades_max_;
  std::int64_t age_ms_max_;
  std::deque<trade> trades_;
};

} // namespace sv
