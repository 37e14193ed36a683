// trade_history: one symbol's recent trades, bounded by count and by age, 40 bytes each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "messages/trade.hpp"
#include "messages/trade_query.hpp"

namespace sv {

/// The most recent trades of one symbol, in id order. Holds at most `trades_max`
/// trades and none older than `age_ms_max` before the newest trade's time `T` (age is
/// measured in trade time, so a replay or a stalled feed does not empty it).
///
/// Memory: a trade is held in 40 bytes (`held`: a, p, q and f whole, and T, m,
/// l - f and E - T packed in one word), plus the deque's block overhead (about 3 %).
/// A trade whose fields do not fit the packed word (T beyond the year 2527, or
/// outside 0..2^44 ms; more than 510 trades aggregated; E before T or more than
/// 1023 ms after it) keeps T, l and E whole in a side table, so every field reads
/// back exactly whatever the input. Not thread-safe: owned by one aggregator actor.
class trade_history {
public:
  /// Trades of `symbol` (upper case; `last` writes it into every trade).
  trade_history(std::string symbol, std::size_t trades_max,
                std::int64_t age_ms_max);
  /// Appends `x`, then evicts what exceeds either bound. Requires `x.agg_id` greater
  /// than every id held (the aggregator drops the others before calling).
  void push(const trade& x);
  /// Inserts a backfilled trade at its place in id order (ids already held are
  /// ignored), then evicts what exceeds either bound. O(size) worst case.
  void insert(const trade& x);
  /// The last `n` trades (fewer if fewer are held), oldest first.
  [[nodiscard]] std::vector<trade> last(std::size_t n) const;
  /// The trades held with `after_id < a <= through_id`, ascending, at most `max`.
  [[nodiscard]] std::vector<trade>
  between(std::uint64_t after_id, std::uint64_t through_id,
          std::size_t max = static_cast<std::size_t>(-1)) const;
  /// The trades `q` asks for, by Binance's aggTrades rules (fromId: from that id;
  /// startTime and/or endTime: within those trade times; neither: the most
  /// recent), at most q.limit, and only a run of consecutive ids: the answer
  /// stops before a missing one (or, for the most recent, starts after it). The
  /// held range is filled in; missing_id names the missing id a run stopped at or
  /// could not start with, from_oldest that a most-recent run is short because
  /// the history begins there.
  [[nodiscard]] trade_rows select(const trade_query& q) const;
  /// The first id held, 0 if none.
  [[nodiscard]] std::uint64_t oldest_id() const noexcept {
    return trades_.empty() ? 0 : trades_.front().agg_id;
  }
  [[nodiscard]] std::size_t size() const noexcept {
    return trades_.size();
  }
  /// Trades held whose fields did not fit the packed word (in the side table).
  [[nodiscard]] std::size_t escaped() const noexcept {
    return escaped_.size();
  }

  /// One trade as held.
  struct held {
    std::uint64_t agg_id = 0;   ///< a
    std::int64_t price_e8 = 0;  ///< p
    std::int64_t qty_e8 = 0;    ///< q
    std::uint64_t first_id = 0; ///< f
    /// Bits 0..43: T; bit 44: m; bits 45..53: l - f (511: the trade is in the
    /// side table, which has T, l and E); bits 54..63: E - T.
    std::uint64_t packed = 0;
  };

private:
  /// T, l and E of a trade whose fields do not fit `held::packed`.
  struct whole_fields {
    std::uint64_t last_id = 0;
    std::int64_t trade_time_ms = 0;
    std::int64_t event_time_ms = 0;
  };

  /// `x` as held; puts its wide fields in the side table if they do not fit.
  held pack(const trade& x);
  /// The trade `h` holds, symbol included.
  trade unpack(const held& h) const;
  /// T of `h`.
  std::int64_t trade_time_ms(const held& h) const;
  /// The first trade with T >= ms.
  std::deque<held>::const_iterator first_at_or_after(std::int64_t ms) const;
  /// select() without fromId and startTime: the most recent run.
  void select_most_recent(const trade_query& q, trade_rows& out) const;
  /// select() from fromId or startTime.
  void select_forward(const trade_query& q, trade_rows& out) const;
  /// Removes the oldest trade (and its side-table entry).
  void pop_oldest();
  /// Evicts what exceeds either bound, measured from `newest_ms`.
  void evict(std::int64_t newest_ms);

  std::string symbol_;
  std::size_t trades_max_;
  std::int64_t age_ms_max_;
  std::deque<held> trades_;
  std::unordered_map<std::uint64_t, whole_fields> escaped_; ///< by agg_id
};

static_assert(sizeof(trade_history::held) == 40,
              "issue 9: at most 40 bytes per trade held");

} // namespace sv
