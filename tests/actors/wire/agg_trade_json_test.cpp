// Tests of agg_trade_json: Binance's aggTrade text, byte for byte, from every capture.
#include <catch2/catch.hpp>

#include <string>

#include "actors/wire/agg_trade_json.hpp"
#include "actors/wire/frame_decoder.hpp"
#include "actors/wire/rest_decoder.hpp"
#include "tests/support/fixtures.hpp"

using namespace sv;

TEST_CASE("every captured aggTrade event is written back byte for byte",
          "[agg_trade_json]") {
  SV_REQUIRE_FIXTURES(dir);
  auto lines = test::read_lines(dir + "/aggTrade-samples.jsonl");
  REQUIRE(lines.size() > 10);
  for (const auto& line : lines) {
    // Each capture names its symbol in "s":"<SYMBOL>".
    auto at = line.find(R"("s":")") + 5;
    frame_decoder decoder{line.substr(at, line.find('"', at) - at)};
    trade x;
    REQUIRE(decoder.decode(line, x) == decode_status::ok);
    std::string out;
    append_agg_trade_event(out, x);
    CHECK(out == line);
  }
}

TEST_CASE("the combined wrapper names the lower-case stream",
          "[agg_trade_json]") {
  trade x;
  x.symbol = "BTCUSDT";
  x.agg_id = 1;
  x.first_id = 5;
  x.last_id = 6;
  x.price_e8 = 6'000'001'000'000;
  x.qty_e8 = 100'000;
  x.trade_time_ms = 1;
  x.event_time_ms = 2;
  x.buyer_is_maker = true;
  std::string out;
  append_combined_agg_trade(out, "btcusdt@aggTrade", x);
  CHECK(out
        == R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":2,)"
           R"("s":"BTCUSDT","a":1,"p":"60000.01000000","q":"0.00100000",)"
           R"("f":5,"l":6,"T":1,"m":true,"M":true}})");
}

TEST_CASE("every captured REST aggTrades row is written back",
          "[agg_trade_json]") {
  SV_REQUIRE_FIXTURES(dir);
  auto body = test::read_file(dir + "/aggTrades-rest-response.json");
  std::vector<trade> trades;
  std::string error;
  REQUIRE(decode_agg_trades(body, "BTCUSDT", trades, error));
  REQUIRE(trades.size() > 2);
  // The capture is pretty-printed: compare with its whitespace removed.
  std::string compact;
  for (char c : body)
    if (c != ' ' && c != '\n' && c != '\r')
      compact.push_back(c);
  std::string out = "[";
  for (const auto& x : trades) {
    if (out.size() > 1)
      out.push_back(',');
    append_agg_trade_row(out, x);
  }
  out.push_back(']');
  CHECK(out == compact);
}
