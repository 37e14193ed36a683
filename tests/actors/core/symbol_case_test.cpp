// symbol_case_test: ASCII-only case folding, whatever the locale says.
#include "actors/core/symbol_case.hpp"

#include <string>

#include <catch2/catch.hpp>

using namespace sv;

TEST_CASE("symbols fold to upper and lower case, ASCII letters only",
          "[symbol_case]") {
  CHECK(upper_symbol("btcUSDt") == "BTCUSDT");
  CHECK(lower_ascii("BTCUSDT") == "btcusdt");
  CHECK(upper_symbol("1000sats") == "1000SATS");
  // Bytes outside A-Z/a-z are kept, including UTF-8 (Turkish dotless i, é).
  CHECK(upper_symbol("i\xc4\xb1\xc3\xa9") == "I\xc4\xb1\xc3\xa9");
  CHECK(lower_ascii("I\xc4\xb0\xc3\x89") == "i\xc4\xb0\xc3\x89");
  CHECK(lower_ascii("Upgrade: WebSocket") == "upgrade: websocket");
}

TEST_CASE("a symbol matches in any case, and only itself", "[symbol_case]") {
  CHECK(same_symbol("btcusdt", "BTCUSDT"));
  CHECK(same_symbol("BtCuSdT", "BTCUSDT"));
  CHECK_FALSE(same_symbol("btcusd", "BTCUSDT"));
  CHECK_FALSE(same_symbol("ethusdt", "BTCUSDT"));
}
