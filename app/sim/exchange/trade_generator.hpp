// trade_generator: the deterministic aggregate-trade sequence of one simulated symbol.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sv {

/// One aggregate trade as the simulated exchange emits it. Prices and quantities are
/// fixed point in units of 1e-8, never floating point.
struct sim_trade {
  std::int64_t a = 0;        ///< aggregate trade id, consecutive per symbol
  std::int64_t f = 0;        ///< first underlying trade id
  std::int64_t l = 0;        ///< last underlying trade id (>= f)
  std::int64_t price_e8 = 0; ///< price, units of 1e-8
  std::int64_t qty_e8 = 0;   ///< quantity, units of 1e-8
  std::int64_t trade_ms = 0; ///< T: trade time, ms since the epoch
  std::int64_t event_ms = 0; ///< E: event time, ms since the epoch (>= T)
  bool m = false;            ///< buyer is the maker (true = taker sold)
};

/// FNV-1a 64 of `text`: a stable, platform-independent hash (std::hash is neither),
/// the root of every per-symbol random stream (trades, order book). Pure.
std::uint64_t symbol_hash(std::string_view text) noexcept;

/// Price tick of a symbol trading near `price_e8`: the largest power of ten <= 1e-6
/// of the price (BTC at 60000 -> 0.01, as on Binance), at least 1e-8. Pure.
std::int64_t price_tick_e8(std::int64_t price_e8) noexcept;

/// Quantity lot of a symbol trading near `price_e8`: the largest power of ten such
/// that one lot is worth at most about one quote unit (1e16 = 1e8 quote units * 1e8
/// scale), at least 1e-8. Pure.
std::int64_t quantity_lot_e8(std::int64_t price_e8) noexcept;

/// Deterministic start price (units of 1e-8) for `symbol` (upper case): BTC* starts
/// at 60000, ETH* at 3000, anything else at a value in 0.01..9990 derived from a hash
/// of the name. Pure.
std::int64_t start_price_e8(std::string_view symbol);

/// Produces the trade sequence of one symbol. The same (seed, symbol, first_id)
/// always yields the same (a, f, l, price, qty, m) sequence; only the timestamps
/// come from the caller. Not thread-safe; cheap to copy.
class trade_generator {
public:
  /// `symbol` is upper case. Ids start at `first_id`; underlying trade ids at
  /// `first_id + first_trade_id_offset`.
  trade_generator(std::string_view symbol, std::uint64_t seed,
                  std::int64_t first_id);

  /// Returns the next trade, stamped T = `now_ms` (clamped so T never decreases)
  /// and E = T + 0..5 ms.
  sim_trade next(std::int64_t now_ms);

  /// Id the next call to `next` returns.
  std::int64_t next_id() const noexcept {
    return next_a_;
  }

  /// Distance between the first aggregate id and the first underlying trade id,
  /// so `f` is visibly a different counter than `a` (as on Binance).
  static constexpr std::int64_t first_trade_id_offset = 250'000;

private:
  std::uint64_t draw() noexcept;

  std::uint64_t state_;
  std::int64_t next_a_;
  std::int64_t next_trade_id_;
  std::int64_t price_e8_;
  std::int64_t tick_e8_;
  std::int64_t lot_e8_;
  std::int64_t last_trade_ms_ = 0;
};

} // namespace sv
