// Tests of market_subjects: the subjects and message ids trades are published under.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "actors/wire/agg_trade_json.hpp"
#include "actors/wire/market_subjects.hpp"

using namespace sv;

namespace {

trade btc_trade() {
  trade x;
  x.symbol = "BTCUSDT";
  x.agg_id = 26129;
  x.first_id = 27781;
  x.last_id = 27782;
  x.price_e8 = 6'000'001'000'000;
  x.qty_e8 = 100'000;
  x.trade_time_ms = 1'700'000'000'000;
  x.event_time_ms = 1'700'000'000'005;
  x.buyer_is_maker = true;
  return x;
}

} // namespace

TEST_CASE("a trade's subject is md.binance.spot.<SYMBOL>.trade, under the "
          "root every stream takes with md.>",
          "[market_subjects]") {
  CHECK(trade_subject("BTCUSDT") == "md.binance.spot.BTCUSDT.trade");
  CHECK(trade_subject("1000SATSUSDT") == "md.binance.spot.1000SATSUSDT.trade");
  CHECK(trade_subject("ETHUSDT").rfind(std::string{market_subject_root}, 0)
        == 0);
  CHECK(market_subject_root.rfind("md.", 0) == 0);
}

TEST_CASE("a trade's message id is binance.spot.<SYMBOL>.trade.<a>, the "
          "aggregate id in decimal",
          "[market_subjects]") {
  CHECK(trade_msg_id("BTCUSDT", 26129) == "binance.spot.BTCUSDT.trade.26129");
  CHECK(trade_msg_id("ETHUSDT", 0) == "binance.spot.ETHUSDT.trade.0");
  CHECK(trade_msg_id("BTCUSDT", std::numeric_limits<std::uint64_t>::max())
        == "binance.spot.BTCUSDT.trade.18446744073709551615");
}

TEST_CASE("a published trade carries its subject, its id, Binance's aggTrade "
          "event as payload and the given recv_ns",
          "[market_subjects]") {
  auto x = btc_trade();
  auto m = trade_message(x, 123'456'789);
  CHECK(m.subject == "md.binance.spot.BTCUSDT.trade");
  CHECK(m.msg_id == "binance.spot.BTCUSDT.trade.26129");
  CHECK(m.payload
        == R"({"e":"aggTrade","E":1700000000005,"s":"BTCUSDT","a":26129,)"
           R"("p":"60000.01000000","q":"0.00100000","f":27781,"l":27782,)"
           R"("T":1700000000000,"m":true,"M":true})");
  std::string event;
  append_agg_trade_event(event, x);
  CHECK(m.payload == event);
  CHECK(m.recv_ns == 123'456'789);
  CHECK(trade_message(x, 0).recv_ns == 0);
  CHECK(m.ordinal == 26129);
  CHECK(m.time_ms == 1700000000000);
}

TEST_CASE("a message id's ordinal is the number after its last dot, 0 when it "
          "does not end in one",
          "[market_subjects]") {
  CHECK(ordinal_of_msg_id("binance.spot.BTCUSDT.trade.26129") == 26129);
  CHECK(ordinal_of_msg_id(trade_msg_id("BTCUSDT", 42)) == 42);
  CHECK(ordinal_of_msg_id("binance.spot.BTCUSDT.trade."
                          "18446744073709551615")
        == std::numeric_limits<std::uint64_t>::max());
  CHECK(ordinal_of_msg_id("binance.spot.BTCUSDT.trade."
                          "18446744073709551616")
        == 0);
  CHECK(ordinal_of_msg_id("7") == 7);
  CHECK(ordinal_of_msg_id("binance.spot.BTCUSDT.trade.") == 0);
  CHECK(ordinal_of_msg_id("binance.spot.BTCUSDT.trade.12a") == 0);
  CHECK(ordinal_of_msg_id("dedupe-on-purpose") == 0);
  CHECK(ordinal_of_msg_id("") == 0);
}
