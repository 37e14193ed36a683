// frames: builds Binance aggTrade frames for tests (same key order as the exchange).
#pragma once

#include <cstdint>
#include <string>

namespace sv::test {

/// A raw `/ws/<s>@aggTrade` frame. `price` and `qty` are decimal strings as Binance
/// sends them ("91436.75000000").
inline std::string agg_trade_frame(const std::string& symbol, std::uint64_t id,
                                   const std::string& price,
                                   const std::string& qty, bool buyer_is_maker,
                                   std::int64_t time_ms = 1700000000000) {
  return R"({"e":"aggTrade","E":)" + std::to_string(time_ms + 1) + R"(,"s":")"
         + symbol + R"(","a":)" + std::to_string(id) + R"(,"p":")" + price
         + R"(","q":")" + qty + R"(","f":)" + std::to_string(id * 2)
         + R"(,"l":)" + std::to_string(id * 2) + R"(,"T":)"
         + std::to_string(time_ms) + R"(,"m":)"
         + (buyer_is_maker ? "true" : "false") + R"(,"M":true})";
}

} // namespace sv::test
