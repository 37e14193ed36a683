// Tests of market_subjects: the subjects and message ids trades are published under.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "actors/wire/agg_trade_json.hpp"
#include "actors/wire/api_json.hpp"
#include "actors/wire/binance_rest.hpp"
#include "actors/wire/depth_event_json.hpp"
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

TEST_CASE(
  "an applied depth event is published on the book subject with id "
  "binance.spot.<SYMBOL>.book.<u>, Binance's depthUpdate as payload and "
  "u as ordinal",
  "[market_subjects]") {
  depth_update u;
  u.symbol = "BTCUSDT";
  u.first_update_id = 101;
  u.final_update_id = 105;
  u.event_time_ms = 1700000000123;
  u.bids = {{6000001000000, 150000000}};
  u.asks = {{6000002000000, 0}};
  auto m = book_delta_message(u);
  CHECK(book_subject("BTCUSDT") == "md.binance.spot.BTCUSDT.book");
  CHECK(m.subject == "md.binance.spot.BTCUSDT.book");
  CHECK(m.msg_id == "binance.spot.BTCUSDT.book.105");
  std::string event;
  append_depth_event(event, u);
  CHECK(m.payload == event);
  CHECK(m.ordinal == 105);
  CHECK(ordinal_of_msg_id(m.msg_id) == m.ordinal);
  CHECK(m.time_ms == 1700000000123);
  CHECK(m.recv_ns == 0);
}

TEST_CASE("a synced book is published with id "
          "binance.spot.<SYMBOL>.book.snap.<lastUpdateId> and Binance's REST "
          "depth body of every level it holds",
          "[market_subjects]") {
  book_view b;
  b.symbol = "ETHUSDT";
  b.state = book_phase::synced;
  b.last_update_id = 777;
  b.last_event_time_ms = 1700000000999;
  b.bids = {{300000000000, 100000000}, {299900000000, 200000000}};
  b.asks = {{300100000000, 50000000}};
  auto m = book_snapshot_message(b);
  CHECK(m.subject == "md.binance.spot.ETHUSDT.book");
  CHECK(m.msg_id == "binance.spot.ETHUSDT.book.snap.777");
  CHECK(m.payload == depth_snapshot_json(b));
  CHECK(m.payload
        == R"({"lastUpdateId":777,"bids":[["3000.00000000","1.00000000"],)"
           R"(["2999.00000000","2.00000000"]],"asks":[["3001.00000000",)"
           R"("0.50000000"]]})");
  CHECK(m.ordinal == 777);
  CHECK(ordinal_of_msg_id(m.msg_id) == m.ordinal);
  CHECK(m.time_ms == 1700000000999);
}

TEST_CASE("a symbol's metrics are published on its metrics subject as the body "
          "of GET /symbols/{S}/metrics, without an id or an ordinal",
          "[market_subjects]") {
  metrics_snapshot m;
  m.symbol = "SOLUSDT";
  m.trades = 12;
  auto out = metrics_message(m);
  CHECK(metrics_subject("SOLUSDT") == "md.binance.spot.SOLUSDT.metrics");
  CHECK(out.subject == "md.binance.spot.SOLUSDT.metrics");
  CHECK(out.payload == metrics_json(m));
  CHECK(out.msg_id.empty());
  CHECK(out.ordinal == 0);
}

TEST_CASE("a bar is published on md.binance.spot.<SYMBOL>.bar.<interval> with "
          "id binance.spot.<SYMBOL>.bar.<interval>.<open time>, whose ordinal "
          "is its open time, its time its close time",
          "[market_subjects]") {
  bar b;
  b.open_ms = 1'700'000'040'000;
  b.interval_ms = 60'000;
  b.open_e8 = b.high_e8 = b.low_e8 = b.close_e8 = 100'000'000;
  b.volume_e8 = 300'000'000;
  b.quote_e16 = int128{300'000'000} * 100'000'000;
  b.trades = 3;
  b.first_id = 7;
  b.last_id = 9;
  CHECK(bar_subject("ETHUSDT", "1m") == "md.binance.spot.ETHUSDT.bar.1m");
  auto m = bar_message("ETHUSDT", "1m", b);
  CHECK(m.subject == "md.binance.spot.ETHUSDT.bar.1m");
  CHECK(m.msg_id == "binance.spot.ETHUSDT.bar.1m.1700000040000");
  CHECK(ordinal_of_msg_id(m.msg_id) == 1'700'000'040'000);
  CHECK(m.ordinal == 1'700'000'040'000);
  CHECK(m.time_ms == 1'700'000'099'999);
  CHECK(m.payload.rfind(R"({"s":"ETHUSDT","i":"1m","t":1700000040000,)", 0)
        == 0);
  CHECK(m.payload.find(R"("n":3,"first_id":7,"last_id":9,"complete":true})")
        != std::string::npos);
}
