// trade: one Binance aggregate trade, with exact 8-decimal fixed-point price and quantity.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace sv {

/// 10^8: price and quantity are stored as integers in units of 1e-8 ("e8"),
/// which is the precision Binance sends (8 fractional digits).
constexpr std::int64_t e8_scale = 100'000'000;

/// Which side took liquidity in a trade.
enum class side : std::uint8_t {
  buy, ///< the buyer was the taker (Binance `m == false`)
  sell, ///< the seller was the taker (Binance `m == true`: the buyer was the maker)
};

/// One aggregate trade as Binance sends it on `<symbol>@aggTrade`.
struct trade {
  std::string symbol;       ///< upper case, as in the payload's `s` ("BTCUSDT")
  std::uint64_t agg_id = 0; ///< `a`: aggregate trade id, consecutive per symbol
  std::uint64_t first_id = 0;     ///< `f`: first trade id aggregated
  std::uint64_t last_id = 0;      ///< `l`: last trade id aggregated
  std::int64_t price_e8 = 0;      ///< `p` in units of 1e-8 (exact)
  std::int64_t qty_e8 = 0;        ///< `q` in units of 1e-8 (exact)
  std::int64_t trade_time_ms = 0; ///< `T`: trade time, Unix milliseconds
  std::int64_t event_time_ms = 0; ///< `E`: event time, Unix milliseconds
  bool buyer_is_maker = false;    ///< `m`: true means the aggressor sold
};

/// The aggressor side: `m == true` means the buyer was the maker, so the taker sold.
inline side aggressor(const trade& x) {
  return x.buyer_is_maker ? side::sell : side::buy;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trade& x) {
  return f(caf::meta::type_name("trade"), x.symbol, x.agg_id, x.first_id,
           x.last_id, x.price_e8, x.qty_e8, x.trade_time_ms, x.event_time_ms,
           x.buyer_is_maker);
}

/// The trades decoded from one transport read of one connection, in arrival order.
struct trade_batch {
  std::string symbol;        ///< upper case
  std::vector<trade> trades; ///< in the order the frames arrived
  std::int64_t recv_ns
    = 0; ///< steady-clock time the transport read the frames (latency origin)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trade_batch& x) {
  return f(caf::meta::type_name("trade_batch"), x.symbol, x.trades, x.recv_ns);
}

} // namespace sv
