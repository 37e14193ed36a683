// rest_decoder_test: the REST aggTrades decoder on the bodies the fuzzer found wrong.
#include "actors/wire/rest_decoder.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "messages/trade.hpp"

namespace {

std::string row_with_time(const std::string& t) {
  return R"([{"a":1,"p":"1","q":"1","f":1,"l":1,"T":)" + t
         + R"(,"m":true,"M":true}])";
}

} // namespace

TEST_CASE("an aggTrades row whose T does not fit a signed 64-bit time is "
          "refused, not stored as a negative time",
          "[rest_decoder]") {
  // Found by fuzz/rest_decoder_fuzz.cpp: T = 2^64-1 decoded to -1.
  for (const char* t :
       {"18446744073709551615", "9223372036854775808", "10000000000000000"}) {
    INFO("T=" << t);
    std::vector<sv::trade> out;
    std::string error;
    CHECK_FALSE(sv::decode_agg_trades(row_with_time(t), "BTCUSDT", out, error));
    CHECK(error == "row 0: field T missing or mistyped");
  }
}

TEST_CASE("an aggTrades row keeps T up to 10^16-1, the stream decoders' bound",
          "[rest_decoder]") {
  std::vector<sv::trade> out;
  std::string error;
  REQUIRE(sv::decode_agg_trades(row_with_time("9999999999999999"), "BTCUSDT",
                                out, error));
  REQUIRE(out.size() == 1);
  CHECK(out[0].trade_time_ms == 9'999'999'999'999'999);
  CHECK(out[0].event_time_ms == out[0].trade_time_ms);
}
