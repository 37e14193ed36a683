// rolling_windows: exact order-flow metrics over sliding trade-time windows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/core/growing_ring.hpp"
#include "messages/trade.hpp"
#include "messages/wide.hpp"
#include "messages/window_snapshot.hpp"

namespace sv {

/// buy - sell volume (1e-8 base units).
int128 delta_e8(const window_snapshot& x);

/// buy - sell quote (1e-16 quote units).
int128 delta_quote_e16(const window_snapshot& x);

/// (buy+sell quote) / (buy+sell volume) in 1e-8 units, rounded half-to-even; 0
/// when no volume traded.
int128 vwap_e8(const window_snapshot& x);

/// trades * 1e8 / window seconds, rounded half-to-even: trades per second in
/// 1e-8 units. Divides by the full window length even before that much time has
/// passed.
int128 trades_per_second_e8(const window_snapshot& x);

/// (buy+sell volume) / trades in 1e-8 base units, rounded half-to-even; 0
/// without trades.
int128 average_trade_size_e8(const window_snapshot& x);

/// buy volume * 1e8 / (buy+sell volume), rounded half-to-even: the buy share in
/// 1e-8 units (100000000 = all volume bought); 0 when no volume traded.
int128 buy_ratio_e8(const window_snapshot& x);

/// Rolling metrics of one symbol over several windows of trade time (`T`), plus
/// cumulative volume delta since start.
///
/// Trades are aggregated into 1-second buckets (second s = floor(T / 1000)).
/// Only seconds that had a trade get a bucket, and a bucket is freed when its
/// second leaves the longest window, so memory follows what is held: under 2 KB
/// before the first trade, then one bucket per second that traded within the
/// longest window, whatever the rate within that second (see `memory_bytes`).
/// Each window keeps running sums (subtracted as buckets leave) and monotonic
/// queues of bucket seconds for high, low, largest trade and the oldest/newest
/// non-empty bucket (open/close).
///
/// Window rule: with now_s = floor(now_ms / 1000) and L = length_ms / 1000, a
/// bucket s belongs to the window iff now_s - L < s <= now_s, i.e. the window
/// covers trade times [(now_s - L + 1) * 1000, now_ms]: the L whole seconds
/// ending with the current (possibly partial) second. At now_ms = 60000 a 1m
/// window holds T in [1000, 60000]; a trade at T = 0 has just left it.
///
/// Late trades: a trade with T < now_ms goes into the bucket of its own T while
/// that second is still in the ring (now_s - R < s, R = longest window in
/// seconds), so it counts only in the windows that still contain that second;
/// an older trade is clamped into the newest bucket (now_s) and counts in every
/// window.
///
/// Not thread-safe: owned by one aggregator actor. Only `add` allocates (a new
/// second's bucket, a queue growing); it throws std::bad_alloc and nothing else.
class rolling_windows {
public:
  /// The default window lengths: 1m, 5m, 15m, 1h.
  static std::vector<std::int64_t> default_lengths_ms();

  /// Longest window accepted: one day (86400 s); bounds the buckets held at
  /// 86400.
  static constexpr std::int64_t length_ms_max = std::int64_t{86'400} * 1000;

  /// Most gap intervals remembered; beyond this the two oldest are merged into
  /// the interval spanning both (conservative: can only turn `complete` false).
  static constexpr std::size_t gaps_max = 32;

  /// True if `lengths_ms` is usable by the constructor: non-empty, each a
  /// multiple of 1000 in [1000, length_ms_max]. For the config loader to reject
  /// bad input.
  static bool valid_lengths(const std::vector<std::int64_t>& lengths_ms);

  /// Windows of `lengths_ms` (reported in that order) with a large-trade
  /// threshold of `large_trade_quote_e16` (notional price_e8 * qty_e8 in 1e-16
  /// units; a trade with notional >= threshold is large; 0 means no trade is
  /// large). Requires `valid_lengths(lengths_ms)` and a threshold >= 0
  /// (asserted). Holds no bucket until the first trade.
  rolling_windows(std::vector<std::int64_t> lengths_ms,
                  int128 large_trade_quote_e16);

  /// Adds one trade. Advances now to `x.trade_time_ms` if that is later (see
  /// `advance_to`), then adds it to its bucket (or the newest, see the class
  /// comment on late trades) and to the running values of every window holding
  /// that bucket. Trades should come in `agg_id` order; the largest-trade
  /// tie-break uses `agg_id`. O(W) per trade for W windows, amortized (a trade
  /// k seconds late costs O(k) more), plus the cost of the advance. Returns
  /// is_large(x), which add() works out anyway. A trade of a second with no
  /// bucket yet allocates one (O(buckets) if it is a late trade between two
  /// held seconds, which is rare; O(1) amortized otherwise).
  bool add(const trade& x);

  /// True if x's notional (price x qty) reaches the large-trade threshold (never,
  /// with threshold 0).
  bool is_large(const trade& x) const noexcept {
    return is_large_quote(static_cast<int128>(x.price_e8) * x.qty_e8);
  }

  /// Slides every window to end at `now_ms`, subtracting the buckets that
  /// leave, so a quiet market's windows empty out. A `now_ms` earlier than the
  /// current now is ignored (now never goes back). The first call (or first
  /// trade) only sets now. O(W log B) for B buckets held, plus the buckets that
  /// leave; frees the buckets that leave the longest window.
  void advance_to(std::int64_t now_ms) noexcept;

  /// Records that trades with T in [from_ms, to_ms] may be missing (e.g. a
  /// reconnect). A window whose covered interval [window_start_ms,
  /// window_end_ms] intersects a recorded gap reports complete = false, until
  /// the gap leaves it. Gaps ending before the longest window's start are
  /// forgotten. Requires from_ms <= to_ms (asserted). O(gaps_max).
  void mark_gap(std::int64_t from_ms, std::int64_t to_ms) noexcept;

  /// The metrics of every window at the current now, in constructor order.
  /// O(W * gaps_max); allocates the returned vector.
  [[nodiscard]] std::vector<window_snapshot> snapshot() const;

  /// Cumulative volume delta since construction: sum of buy qty - sell qty over
  /// every trade added (late and clamped ones included), 1e-8 base units. O(1).
  [[nodiscard]] int128 cvd_e8() const noexcept {
    return cvd_e8_;
  }

  /// The current now in ms (max of trade times and advance_to), 0 before any.
  [[nodiscard]] std::int64_t now_ms() const noexcept {
    return now_ms_;
  }

  /// Trades that arrived too late for the ring and were clamped into the newest
  /// bucket.
  [[nodiscard]] std::uint64_t clamped_trades() const noexcept {
    return clamped_;
  }

  /// How long a second's bucket is held: the longest window, in seconds. A trade
  /// older than that (before now) is clamped into the newest bucket.
  [[nodiscard]] std::int64_t span_s() const noexcept {
    return span_s_;
  }

  /// Buckets held: the seconds within the longest window that had a trade.
  [[nodiscard]] std::size_t buckets_held() const noexcept {
    return buckets_.size();
  }

  /// Bytes held by this object and its buffers: sizeof(*this) + the buckets'
  /// and the queues' buffers (growing_ring::capacity_bytes: used or not) + W *
  /// sizeof(window) + gaps_max * sizeof(gap). For 1m/5m/15m/1h on x86-64: 1,824
  /// bytes before any trade; a symbol that traded in each of the last 3600
  /// seconds holds 3600 buckets of 224 bytes in a buffer of 4096 and its queues
  /// (about 1 MB); one that traded every 10 s holds a tenth of that.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

private:
  /// Everything that happened in one second of trade time.
  struct bucket {
    std::int64_t second = 0;        ///< floor(T / 1000) the slot holds
    std::uint64_t trades = 0;       ///< 0: the slot is empty for `second`
    int128 buy_volume_e8 = 0;       ///< sum of qty, taker bought
    int128 sell_volume_e8 = 0;      ///< sum of qty, taker sold
    int128 buy_quote_e16 = 0;       ///< sum of price*qty, taker bought
    int128 sell_quote_e16 = 0;      ///< sum of price*qty, taker sold
    int128 large_volume_e8 = 0;     ///< sum of qty of large trades
    int128 large_quote_e16 = 0;     ///< sum of price*qty of large trades
    std::uint64_t large_trades = 0; ///< count of large trades
    std::int64_t open_e8 = 0;       ///< first trade added to this bucket
    std::int64_t close_e8 = 0;      ///< last trade added to this bucket
    std::int64_t high_e8 = 0;       ///< highest price
    std::int64_t low_e8 = 0;        ///< lowest price
    std::uint64_t first_id = 0;     ///< `a` of the first trade added
    std::uint64_t last_id = 0;      ///< `a` of the last trade added
    std::int64_t first_time_ms = 0; ///< `T` of the first trade added
    std::int64_t last_time_ms = 0;  ///< `T` of the last trade added
    std::uint64_t largest_id = 0;   ///< `a` of the largest trade: max (qty, a)
    std::int64_t largest_price_e8 = 0; ///< its price
    std::int64_t largest_qty_e8 = 0;   ///< its quantity
    side largest_side = side::buy;     ///< its aggressor side
  };

  /// Ascending bucket seconds (see raise_key in the .cpp for the invariants).
  using second_queue = growing_ring<std::int64_t>;

  /// One window's running values: the sums are those of `bucket` over the
  /// buckets in the window.
  struct window {
    explicit window(std::int64_t len_s) : length_s(len_s) {
      // the sums start at zero, the queues empty
    }
    std::int64_t length_s; ///< L
    std::uint64_t trades = 0;
    int128 buy_volume_e8 = 0;
    int128 sell_volume_e8 = 0;
    int128 buy_quote_e16 = 0;
    int128 sell_quote_e16 = 0;
    int128 large_volume_e8 = 0;
    int128 large_quote_e16 = 0;
    std::uint64_t large_trades = 0;
    second_queue
      high;           ///< strictly decreasing high_e8: front is the window high
    second_queue low; ///< strictly increasing low_e8: front is the window low
    second_queue
      largest; ///< strictly decreasing (qty, id): front holds the largest
    second_queue nonempty; ///< every non-empty bucket: front opens, back closes
  };

  /// A closed interval of trade time in which trades may be missing.
  struct gap {
    std::int64_t from_ms = 0;
    std::int64_t to_ms = 0;
  };

  /// The bucket of second s, created (empty) if s has none.
  bucket& slot(std::int64_t s);
  /// Index of the first bucket held whose second is at least s (size if none).
  [[nodiscard]] std::size_t first_at_or_after(std::int64_t s) const noexcept;
  /// The bucket of second s, or null if s has none.
  [[nodiscard]] const bucket* find(std::int64_t s) const noexcept;
  /// The non-empty bucket of second s, which must be in the ring (asserted).
  [[nodiscard]] const bucket& held(std::int64_t s) const noexcept;
  /// Which of a bucket's keys a trade changed.
  struct key_changes {
    bool was_empty = false; ///< the bucket got its first trade
    bool high = false;      ///< its high rose
    bool low = false;       ///< its low fell
    bool largest = false;   ///< its largest (qty, a) grew
  };

  /// Adds a trade to a bucket; says which keys changed.
  static key_changes fold(bucket& b, const trade& x, int128 quote,
                          bool large) noexcept;
  /// Adds a trade of bucket s (already folded in) to a window holding s.
  void fold(window& w, std::int64_t s, const trade& x, int128 quote, bool large,
            key_changes c);
  /// Slides w from now_s_ to new_s: subtracts and dequeues the leaving seconds.
  void slide(window& w, std::int64_t new_s) noexcept;
  void forget_old_gaps() noexcept;

  /// The seconds within the longest window that had a trade, ascending: every
  /// bucket has trades > 0 and a second in (now_s_ - span_s_, now_s_].
  growing_ring<bucket> buckets_;
  std::int64_t span_s_ = 0; ///< the longest window in seconds
  std::vector<window> windows_;
  std::vector<gap> gaps_; ///< at most gaps_max, reserved up front
  int128 large_trade_quote_e16_ = 0;

  bool is_large_quote(int128 quote_e16) const noexcept {
    return large_trade_quote_e16_ > 0 && quote_e16 >= large_trade_quote_e16_;
  }
  int128 cvd_e8_ = 0;
  std::uint64_t clamped_ = 0;
  std::int64_t now_ms_ = 0;
  std::int64_t now_s_ = 0; ///< floor(now_ms_ / 1000)
  bool started_ = false;   ///< false until the first add or advance_to
};

/// A window length's name in the largest unit that divides it, as the config and
/// the API write it: 3600 -> "1h", 300 -> "5m", 90 -> "90s".
std::string window_name(std::int64_t length_s);

} // namespace sv
