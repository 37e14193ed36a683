// trade_generator: the deterministic aggregate-trade sequence of one simulated symbol.
#include "app/sim/exchange/trade_generator.hpp"

#include <algorithm>

namespace sv {

namespace {

/// Largest power of ten <= v (v >= 1), at least 1.
std::int64_t floor_pow10(std::int64_t v) noexcept {
  std::int64_t p = 1;
  while (p <= v / 10)
    p *= 10;
  return p;
}

} // namespace

std::uint64_t symbol_hash(std::string_view text) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::int64_t price_tick_e8(std::int64_t price_e8) noexcept {
  return floor_pow10(std::max<std::int64_t>(1, price_e8 / 1'000'000));
}

std::int64_t quantity_lot_e8(std::int64_t price_e8) noexcept {
  return floor_pow10(std::max<std::int64_t>(
    1, 10'000'000'000'000'000 / std::max<std::int64_t>(1, price_e8)));
}

std::int64_t start_price_e8(std::string_view symbol) {
  if (symbol.substr(0, 3) == "BTC")
    return 60'000'00000000;
  if (symbol.substr(0, 3) == "ETH")
    return 3'000'00000000;
  // Mantissa 100..999 times 10^(4..9) units of 1e-8: 0.01 .. 9990.
  auto h = symbol_hash(symbol);
  auto mantissa = static_cast<std::int64_t>(100 + h % 900);
  auto exponent = 4 + static_cast<int>((h / 900) % 6);
  for (int i = 0; i < exponent; ++i)
    mantissa *= 10;
  return mantissa;
}

trade_generator::trade_generator(std::string_view symbol, std::uint64_t seed,
                                 std::int64_t first_id)
  : state_(symbol_hash(symbol) ^ (seed * 0x9e3779b97f4a7c15ULL)),
    next_a_(first_id),
    next_trade_id_(first_id + first_trade_id_offset),
    price_e8_(start_price_e8(symbol)) {
  tick_e8_ = price_tick_e8(price_e8_);
  lot_e8_ = quantity_lot_e8(price_e8_);
}

std::uint64_t trade_generator::draw() noexcept {
  // splitmix64: tiny, fast, and identical on every platform.
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

sim_trade trade_generator::next(std::int64_t now_ms) {
  // Exactly five draws per trade whatever the branches, so each trade's values depend
  // only on its position in the sequence.
  auto r_side = draw();
  auto r_move = draw();
  auto r_qty = draw();
  auto r_fill = draw();
  auto r_delay = draw();

  auto step = static_cast<std::int64_t>(r_move % 5) - 2; // -2..+2 ticks
  auto candidate = price_e8_ + step * tick_e8_;
  // Reflect off a floor of 100 ticks so the walk never reaches zero.
  price_e8_ = candidate < 100 * tick_e8_ ? price_e8_ + 2 * tick_e8_ : candidate;

  sim_trade t;
  t.a = next_a_++;
  t.m = (r_side & 1U) != 0;
  t.price_e8 = price_e8_;
  auto lots = static_cast<std::int64_t>(1 + r_qty % 2000);
  if ((r_qty >> 32) % 10 == 0)
    lots *= 10; // occasional large prints
  t.qty_e8 = lots * lot_e8_;
  t.f = next_trade_id_;
  // One aggregate in four spans several underlying fills (l > f).
  t.l = t.f
        + ((r_fill & 3U) == 0 ? static_cast<std::int64_t>(1 + (r_fill >> 2) % 3)
                              : 0);
  next_trade_id_ = t.l + 1;
  last_trade_ms_ = std::max(last_trade_ms_, now_ms);
  t.trade_ms = last_trade_ms_;
  t.event_ms = t.trade_ms + static_cast<std::int64_t>(r_delay % 6);
  return t;
}

} // namespace sv
