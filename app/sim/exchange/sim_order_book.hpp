// sim_order_book: one simulated symbol's deterministic order book (its change sequence and its state as of any update id).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace sv {

/// Which side of the book a level is on.
enum class book_side : std::uint8_t {
  bid, ///< buy orders; best = highest price
  ask, ///< sell orders; best = lowest price
};

/// One change of the book: a level set to a new absolute quantity. A quantity of 0
/// deletes the level, which always existed before the change.
struct book_change {
  std::int64_t update_id
    = 0; ///< the change's update id (initial id + change number)
  book_side side = book_side::bid; ///< side of the level
  std::int64_t price_e8 = 0;       ///< price, units of 1e-8
  std::int64_t qty_e8 = 0;         ///< new quantity, units of 1e-8; 0 = deleted
};

/// One price level as Binance lists it.
struct book_level {
  std::int64_t price_e8 = 0; ///< price, units of 1e-8
  std::int64_t qty_e8
    = 0; ///< quantity, units of 1e-8; 0 only in a diff (deleted)
};

inline bool operator==(const book_level& a, const book_level& b) {
  return a.price_e8 == b.price_e8 && a.qty_e8 == b.qty_e8;
}

/// Every level of a book, keyed by price: bids iterate best (highest) first, asks
/// best (lowest) first. Quantities are > 0.
struct book_levels {
  std::map<std::int64_t, std::int64_t, std::greater<>>
    bids;                                    ///< price -> quantity
  std::map<std::int64_t, std::int64_t> asks; ///< price -> quantity
};

/// The best `limit` levels per side of a book as of `last_update_id`: the body of
/// GET /api/v3/depth.
struct book_snapshot {
  std::int64_t last_update_id
    = 0; ///< lastUpdateId: the last change the levels include
  std::vector<book_level> bids; ///< best (highest) first
  std::vector<book_level> asks; ///< best (lowest) first
};

/// What changed between update ids U and u: each touched level once, with its
/// quantity after u (0 = gone). The values of one depthUpdate event.
struct depth_diff {
  std::int64_t first_update_id = 0; ///< U
  std::int64_t final_update_id = 0; ///< u
  std::int64_t event_ms = 0;        ///< E: event time, ms since the epoch
  std::vector<book_level> bids;     ///< descending price
  std::vector<book_level> asks;     ///< ascending price
};

/// One symbol's order book. The initial book (`initial_levels` levels per side
/// around start_price_e8(symbol), on the symbol's price tick) has update id
/// `initial_update_id()`; change number k has update id initial + k and is a pure
/// function of (seed, symbol, k, the book after change k-1), so the book after id L
/// is the same whoever applies the changes and however they are grouped. Changes
/// stay within `top_window` ticks of the best price, so
/// the top of the book moves; the best bid is always strictly below the best ask.
/// Keeps a copy of the book every `checkpoint_every` changes (at most
/// `checkpoints_max`, the oldest go first) so any past id is rebuilt by replaying at
/// most that many changes (or from the initial book). Not thread-safe; lws service
/// thread in the sim, any single thread in tests.
class sim_order_book {
public:
  /// Update id of the initial book: large, like Binance's, and far above any trade id.
  static constexpr std::int64_t initial_update_id_default = 1'000'000'000;

  /// Levels per side of the initial book.
  static constexpr std::size_t initial_levels = 300;

  /// A side never shrinks below this many levels: deletes stop there.
  static constexpr std::size_t levels_min = 50;

  /// Changes stay within 20 ticks of the best price: deletes pick a level less than
  /// 20 ticks from it, sets a price from 2 ticks better than the best to 19 worse.
  static constexpr std::size_t top_window = 20;

  /// Changes between two kept copies of the book: rebuilding any id replays at most
  /// this many changes (~80 s of changes at the default 50 changes/s).
  static constexpr std::int64_t checkpoint_every = 4096;

  /// Kept copies (~30 kB each: 2 * 300 map nodes), about 6 h at 50 changes/s.
  static constexpr std::size_t checkpoints_max = 256;

  /// `symbol` is upper case.
  sim_order_book(std::string_view symbol, std::uint64_t seed,
                 std::int64_t initial_update_id = initial_update_id_default);

  /// Update id of the initial book (no change applied).
  std::int64_t initial_update_id() const noexcept {
    return initial_id_;
  }

  /// Update id of the last change applied (== initial_update_id() before any).
  std::int64_t last_update_id() const noexcept {
    return last_id_;
  }

  /// The price tick every level lies on.
  std::int64_t tick_e8() const noexcept {
    return tick_e8_;
  }

  /// The current levels.
  const book_levels& levels() const noexcept {
    return book_;
  }

  /// Applies change last_update_id() + 1 and returns it.
  book_change apply_next();

  /// Applies every change up to and including `update_id`; nothing if the book is
  /// already there or past it.
  void apply_until(std::int64_t update_id);

  /// The best `limit` levels per side now, with lastUpdateId = last_update_id().
  book_snapshot snapshot(std::size_t limit) const;

  /// The best `limit` levels per side as they were right after `update_id`
  /// (lastUpdateId = update_id), rebuilt from the nearest kept copy; nullopt if
  /// `update_id` is below initial_update_id() or above last_update_id().
  std::optional<book_snapshot> snapshot_at(std::int64_t update_id,
                                           std::size_t limit) const;

private:
  /// The change with id `update_id` to a book whose state is `book` (the book
  /// after update_id - 1). Pure.
  book_change change_for(const book_levels& book, std::int64_t update_id) const;

  std::uint64_t key_;    ///< root of the change stream: (seed, symbol)
  std::int64_t tick_e8_; ///< price tick
  std::int64_t lot_e8_;  ///< quantities are multiples of it
  std::int64_t initial_id_;
  std::int64_t last_id_;
  book_levels initial_; ///< the book at initial_id_
  book_levels book_;    ///< the book at last_id_
  /// (update id, the book right after it), ascending, every checkpoint_every changes.
  std::deque<std::pair<std::int64_t, book_levels>> checkpoints_;
};

/// Applies `c` to `book`: sets the level, or erases it when the quantity is 0. Pure.
void apply_change(book_levels& book, const book_change& c);

/// The best `limit` levels per side of `book`, stamped `update_id`. Pure.
book_snapshot top_of(const book_levels& book, std::int64_t update_id,
                     std::size_t limit);

} // namespace sv
