// Tests of app/sim/rest_handler.cpp, stream_path.cpp and sim_options.cpp: request parsing, depth snapshots and Binance error bodies.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "actors/core/decimal.hpp"
#include "app/sim/rest_handler.hpp"
#include "app/sim/sim_options.hpp"
#include "app/sim/stream_path.hpp"

using namespace sv;

namespace {

/// An exchange with BTCUSDT trades 1000..1999, T = 10000 + 10 * (id - 1000).
sim_exchange make_exchange() {
  market_limits limits;
  limits.first_id = 1000;
  sim_exchange ex(limits);
  auto& m = ex.get_or_create("BTCUSDT");
  for (int i = 0; i < 1000; ++i)
    m.emit(10000 + 10 * i);
  return ex;
}

std::vector<std::int64_t> ids_of(const http_reply& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  std::vector<std::int64_t> ids;
  if (d.HasParseError() || !d.IsArray())
    return ids;
  for (const auto& row : d.GetArray())
    ids.push_back(row["a"].GetInt64());
  return ids;
}

int error_code(const http_reply& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  return d.IsObject() && d.HasMember("code") ? d["code"].GetInt() : 0;
}

} // namespace

TEST_CASE("The sim's aggTrades without bounds returns the most recent `limit` "
          "trades in ascending order") {
  auto ex = make_exchange();
  auto r = handle_rest(ex, "/api/v3/aggTrades", parse_query("symbol=BTCUSDT"));
  CHECK(r.status == 200);
  auto ids = ids_of(r);
  REQUIRE(ids.size() == 500);
  CHECK(ids.front() == 1500);
  CHECK(ids.back() == 1999);
  CHECK(ids_of(handle_rest(ex, "/api/v3/aggTrades",
                           parse_query("symbol=BTCUSDT&limit=3")))
        == std::vector<std::int64_t>{1997, 1998, 1999});
}

TEST_CASE("The sim's aggTrades fromId is inclusive and time bounds are "
          "inclusive on T") {
  auto ex = make_exchange();
  CHECK(ids_of(handle_rest(ex, "/api/v3/aggTrades",
                           parse_query("symbol=BTCUSDT&fromId=1010&limit=2")))
        == std::vector<std::int64_t>{1010, 1011});
  CHECK(ids_of(handle_rest(ex, "/api/v3/aggTrades",
                           parse_query("symbol=BTCUSDT&fromId=5")))
          .front()
        == 1000);
  CHECK(ids_of(handle_rest(ex, "/api/v3/aggTrades",
                           parse_query("symbol=BTCUSDT&fromId=2000")))
          .empty());
  CHECK(ids_of(handle_rest(
          ex, "/api/v3/aggTrades",
          parse_query("symbol=BTCUSDT&startTime=10020&endTime=10040")))
        == std::vector<std::int64_t>{1002, 1003, 1004});
  CHECK(
    ids_of(handle_rest(ex, "/api/v3/aggTrades",
                       parse_query("symbol=BTCUSDT&startTime=10015&limit=2")))
    == std::vector<std::int64_t>{1002, 1003});
}

TEST_CASE("The sim's aggTrades rejects a bad limit or malformed number with "
          "HTTP 400 and code -1100") {
  auto ex = make_exchange();
  for (auto q : {"symbol=BTCUSDT&limit=1001", "symbol=BTCUSDT&limit=0",
                 "symbol=BTCUSDT&limit=x", "symbol=BTCUSDT&fromId=-1",
                 "symbol=BTCUSDT&startTime=1.5",
                 "symbol=BTCUSDT&endTime=", "symbol=btcusdt"}) {
    auto r = handle_rest(ex, "/api/v3/aggTrades", parse_query(q));
    INFO(q);
    CHECK(r.status == 400);
    CHECK(error_code(r) == -1100);
  }
  auto ok = handle_rest(ex, "/api/v3/aggTrades",
                        parse_query("symbol=BTCUSDT&limit=1000"));
  CHECK(ids_of(ok).size() == 1000);
}

TEST_CASE("The sim's aggTrades answers -1121 Invalid symbol for a market "
          "nobody opened and -1102 without symbol") {
  auto ex = make_exchange();
  auto r = handle_rest(ex, "/api/v3/aggTrades", parse_query("symbol=ETHUSDT"));
  CHECK(r.status == 400);
  CHECK(r.body == "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
  auto missing = handle_rest(ex, "/api/v3/aggTrades", parse_query("limit=5"));
  CHECK(missing.status == 400);
  CHECK(error_code(missing) == -1102);
  CHECK(handle_rest(ex, "/nope", {}).status == 404);
}

TEST_CASE("/sim/stats reports exact totals, id range and connection counts per "
          "symbol") {
  auto ex = make_exchange();
  ex.get_or_create("ETHUSDT").connection_opened();
  auto r = handle_rest(ex, "/sim/stats", {});
  CHECK(r.status == 200);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE(!d.HasParseError());
  const auto& btc = d["symbols"]["BTCUSDT"];
  CHECK(btc["emitted"].GetInt64() == 1000);
  CHECK(btc["first_id"].GetInt64() == 1000);
  CHECK(btc["last_id"].GetInt64() == 1999);
  const auto& totals = ex.find("BTCUSDT")->totals();
  CHECK(std::string(btc["buy_volume"].GetString())
        == format_e8(totals.buy_volume_e8));
  CHECK(std::string(btc["sell_quote"].GetString())
        == format_e16_as_e8(totals.sell_quote_e16));
  const auto& eth = d["symbols"]["ETHUSDT"];
  CHECK(eth["emitted"].GetInt64() == 0);
  CHECK(eth["first_id"].IsNull());
  CHECK(eth["connections"].GetInt() == 1);
  CHECK(eth["connections_total"].GetInt() == 1);
  CHECK(std::string(eth["buy_volume"].GetString()) == "0.00000000");
}

TEST_CASE("The sim's stream paths accept /ws/<sym>@aggTrade and "
          "/stream?streams= in any symbol case, nothing else") {
  auto raw = parse_stream_path("/ws/btcusdt@aggTrade", "");
  REQUIRE(raw);
  CHECK(!raw->combined);
  CHECK(raw->symbols == std::vector<std::string>{"BTCUSDT"});
  auto combined = parse_stream_path(
    "/stream", "streams=btcusdt@aggTrade/EthUsdt@aggTrade/btcusdt@aggTrade");
  REQUIRE(combined);
  CHECK(combined->combined);
  CHECK(combined->symbols == std::vector<std::string>{"BTCUSDT", "ETHUSDT"});
  CHECK(!parse_stream_path("/ws/btcusdt@trade", ""));
  // Without streams the client subscribes later (SUBSCRIBE).
  for (auto [path, is_combined] :
       {std::pair{"/ws", false}, std::pair{"/ws/", false},
        std::pair{"/stream", true}}) {
    auto bare = parse_stream_path(path, "");
    REQUIRE(bare);
    CHECK(bare->streams.empty());
    CHECK(bare->combined == is_combined);
  }
  CHECK(!parse_stream_path("/wss", ""));
  CHECK(!parse_stream_path("/ws/@aggTrade", ""));
  CHECK(!parse_stream_path("/stream", "streams=btcusdt@depth"));
  CHECK(!parse_stream_path("/api/v3/aggTrades", "symbol=BTCUSDT"));
}

TEST_CASE("The sim's options parse both spellings, keep loopback only, and "
          "name the bad option") {
  auto ok = parse_sim_options(
    {"--port", "0", "--rate=0", "--count", "5", "--seed", "9",
     "--close-after-count", "--symbols", "btcusdt,ETHUSDT", "--host", "::1"});
  REQUIRE(ok.options);
  CHECK(ok.options->rate == 0);
  CHECK(ok.options->count == 5);
  CHECK(ok.options->seed == 9);
  CHECK(ok.options->close_after_count);
  CHECK(ok.options->host == "::1");
  CHECK(ok.options->symbols == std::vector<std::string>{"BTCUSDT", "ETHUSDT"});
  auto defaults = parse_sim_options({});
  REQUIRE(defaults.options);
  CHECK(defaults.options->host == "127.0.0.1");
  CHECK(defaults.options->rate == 10);
  CHECK(defaults.options->count == -1);
  CHECK(defaults.options->first_id == 1000000);
  CHECK(defaults.options->rest_history == 1000000);
  auto unknown = parse_sim_options({"--prot", "1"});
  CHECK(!unknown.options);
  CHECK(unknown.error.find("--prot") != std::string::npos);
  CHECK(!parse_sim_options({"--host", "0.0.0.0"}).options);
  CHECK(!parse_sim_options({"--port", "70000"}).options);
  CHECK(!parse_sim_options({"--rate"}).options);
  CHECK(!parse_sim_options({"--cert", "c.pem"}).options);
  CHECK(sim_usage().find("--rest-history") != std::string::npos);
}

TEST_CASE("The sim's skipped trades are emitted into the sequence, history and "
          "totals, and counted in /sim/stats") {
  auto ex = make_exchange();
  auto& m = *ex.find("BTCUSDT");
  auto totals_before = m.totals().emitted;
  CHECK(m.emit_skipped(3, 50000) == 3);
  CHECK(m.next_id() == 2003);
  CHECK(m.totals().emitted == totals_before + 3);
  CHECK(m.at(2002).trade_ms == 50000);
  CHECK(m.skipped_on_reconnect() == 3);
  ex.count_rest_request(false);
  ex.count_rest_request(true);
  rapidjson::Document d;
  d.Parse(handle_rest(ex, "/sim/stats", {}).body.c_str());
  REQUIRE(!d.HasParseError());
  CHECK(d["symbols"]["BTCUSDT"]["skipped_on_reconnect"].GetInt64() == 3);
  CHECK(d["symbols"]["BTCUSDT"]["last_id"].GetInt64() == 2002);
  CHECK(d["rest_requests"].GetInt64() == 2);
  CHECK(d["rest_rejected"].GetInt64() == 1);
  // --count caps the skip like any emission.
  market_limits limits;
  limits.count_max = 2;
  symbol_market capped("ETHUSDT", limits);
  CHECK(capped.emit_skipped(5, 1) == 2);
  CHECK(capped.skipped_on_reconnect() == 2);
  CHECK(capped.exhausted());
}

TEST_CASE("The sim's REST weights are Binance's and the used weight covers "
          "exactly the last 60 s") {
  CHECK(rest_request_weight("/api/v3/aggTrades") == 4);
  CHECK(rest_request_weight("/api/v3/ping") == 1);
  CHECK(rest_request_weight("/api/v3/nope") == 1);
  CHECK(rest_request_weight("/sim/stats") == 0);
  CHECK(is_rest_api_path("/api/v3/ping"));
  CHECK(!is_rest_api_path("/api/v3"));
  weight_window w;
  CHECK(w.add(1000, 4) == 4);
  CHECK(w.add(1500, 1) == 5);
  CHECK(w.add(2000, 0) == 5);
  CHECK(w.used(60999) == 5);
  CHECK(w.used(61000) == 1); // the request at 1000 left the window
  CHECK(w.add(61500, 4) == 4);
}

TEST_CASE("The sim's REST fault answers are 429 with Retry-After and -1003, or "
          "503 with -1001") {
  std::string error;
  auto r429 = parse_fault_spec("rest-429:retry_after=5", error);
  REQUIRE(r429);
  auto a = rest_fault_reply(*r429);
  CHECK(a.status == 429);
  CHECK(a.retry_after_s == 5);
  CHECK(error_code(a) == -1003);
  auto down = parse_fault_spec("rest-down", error);
  REQUIRE(down);
  auto b = rest_fault_reply(*down);
  CHECK(b.status == 503);
  CHECK(b.retry_after_s == -1);
  CHECK(error_code(b) == -1001);
}

namespace {

/// An exchange with BTCUSDT whose book is `events` depth events (and 2 changes of the
/// next one) past its initial id.
sim_exchange make_book_exchange(int events) {
  sim_exchange ex(market_limits{});
  auto& feed = ex.get_or_create("BTCUSDT").depth();
  for (int i = 0; i < events; ++i) {
    while (feed.open_applied() < feed.open_size())
      feed.apply_change();
    feed.close_event(1, i == 1); // the second event is dropped
  }
  feed.apply_change();
  feed.apply_change();
  return ex;
}

/// A depth body's sides as levels, after checking the shape and the order.
book_snapshot parse_depth_body(const http_reply& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE(!d.HasParseError());
  REQUIRE(d.IsObject());
  std::vector<std::string> keys;
  for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it)
    keys.emplace_back(it->name.GetString());
  REQUIRE(keys == std::vector<std::string>{"lastUpdateId", "bids", "asks"});
  book_snapshot s;
  s.last_update_id = d["lastUpdateId"].GetInt64();
  for (const char* side : {"bids", "asks"}) {
    for (const auto& row : d[side].GetArray()) {
      REQUIRE(row.Size() == 2);
      book_level l;
      REQUIRE(parse_e8(row[0].GetString(), l.price_e8));
      REQUIRE(parse_e8(row[1].GetString(), l.qty_e8));
      (side[0] == 'b' ? s.bids : s.asks).push_back(l);
    }
  }
  return s;
}

} // namespace

TEST_CASE("The sim's /api/v3/depth answers the best `limit` levels per side, "
          "best first, stamped with the last change applied") {
  auto ex = make_book_exchange(4);
  const auto& book = ex.find("BTCUSDT")->depth().book();
  auto r = handle_rest(ex, "/api/v3/depth", parse_query("symbol=BTCUSDT"));
  CHECK(r.status == 200);
  auto s = parse_depth_body(r);
  CHECK(s.last_update_id == book.last_update_id());
  CHECK(s.bids.size() == 100); // the default limit
  CHECK(s.asks.size() == 100);
  auto truth = book.snapshot(100);
  CHECK(s.bids == truth.bids);
  CHECK(s.asks == truth.asks);
  for (std::size_t i = 1; i < s.bids.size(); ++i)
    CHECK(s.bids[i].price_e8 < s.bids[i - 1].price_e8);
  for (std::size_t i = 1; i < s.asks.size(); ++i)
    CHECK(s.asks[i].price_e8 > s.asks[i - 1].price_e8);
  CHECK(s.bids.front().price_e8 < s.asks.front().price_e8);
  auto five = parse_depth_body(
    handle_rest(ex, "/api/v3/depth", parse_query("symbol=BTCUSDT&limit=5")));
  CHECK(five.bids.size() == 5);
  auto all = parse_depth_body(
    handle_rest(ex, "/api/v3/depth", parse_query("symbol=BTCUSDT&limit=5000")));
  CHECK(all.bids.size() == book.levels().bids.size());
  CHECK(all.asks.size() == book.levels().asks.size());
}

TEST_CASE(
  "The sim's /api/v3/depth refuses a limit outside 1..5000 or malformed with "
  "-1100, no symbol with -1102 and an unopened one with -1121") {
  auto ex = make_book_exchange(1);
  for (auto q : {"symbol=BTCUSDT&limit=0", "symbol=BTCUSDT&limit=5001",
                 "symbol=BTCUSDT&limit=x", "symbol=BTCUSDT&limit=",
                 "symbol=BTCUSDT&limit=-5", "symbol=btcusdt"}) {
    auto r = handle_rest(ex, "/api/v3/depth", parse_query(q));
    INFO(q);
    CHECK(r.status == 400);
    CHECK(error_code(r) == -1100);
  }
  CHECK(
    handle_rest(ex, "/api/v3/depth", parse_query("symbol=BTCUSDT&limit=5001"))
      .body
    == "{\"code\":-1100,\"msg\":\"Illegal characters found in parameter "
       "'limit'; legal range "
       "is '1..5000'.\"}");
  CHECK(error_code(handle_rest(ex, "/api/v3/depth", parse_query("limit=5")))
        == -1102);
  auto unknown = handle_rest(ex, "/api/v3/depth",
                             parse_query("symbol=ETHUSDT"));
  CHECK(unknown.status == 400);
  CHECK(unknown.body == "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
  CHECK(handle_rest(ex, "/api/v3/depth", parse_query("symbol=BTCUSDT&limit=1"))
          .status
        == 200);
  CHECK(
    handle_rest(ex, "/api/v3/depth", parse_query("symbol=BTCUSDT&limit=5000"))
      .status
    == 200);
}

TEST_CASE("The sim's /api/v3/depth weighs 5, 25, 50 or 250 by limit like "
          "Binance; /sim/book weighs nothing") {
  auto weight = [](const char* q) {
    return rest_request_weight("/api/v3/depth", parse_query(q));
  };
  CHECK(weight("symbol=BTCUSDT") == 5);
  CHECK(weight("symbol=BTCUSDT&limit=1") == 5);
  CHECK(weight("symbol=BTCUSDT&limit=100") == 5);
  CHECK(weight("symbol=BTCUSDT&limit=101") == 25);
  CHECK(weight("symbol=BTCUSDT&limit=500") == 25);
  CHECK(weight("symbol=BTCUSDT&limit=501") == 50);
  CHECK(weight("symbol=BTCUSDT&limit=1000") == 50);
  CHECK(weight("symbol=BTCUSDT&limit=1001") == 250);
  CHECK(weight("symbol=BTCUSDT&limit=5000") == 250);
  CHECK(weight("symbol=BTCUSDT&limit=x") == 5);
  CHECK(
    rest_request_weight("/sim/book", parse_query("symbol=BTCUSDT&limit=5000"))
    == 0);
  CHECK(rest_request_weight("/api/v3/aggTrades", parse_query("limit=1000"))
        == 4);
}

TEST_CASE("/sim/book answers the book as it was right after update_id, and 400 "
          "outside the initial id..the last change applied") {
  auto ex = make_book_exchange(6);
  const auto& book = ex.find("BTCUSDT")->depth().book();
  auto initial = book.initial_update_id();
  auto last = book.last_update_id();
  for (auto id : {initial, initial + 1, initial + 7, last - 1, last}) {
    INFO(id);
    auto r = handle_rest(
      ex, "/sim/book",
      parse_query("symbol=BTCUSDT&limit=5000&update_id=" + std::to_string(id)));
    REQUIRE(r.status == 200);
    auto s = parse_depth_body(r);
    sim_order_book replay("BTCUSDT", market_limits{}.seed);
    replay.apply_until(id);
    auto truth = replay.snapshot(5000);
    CHECK(s.last_update_id == id);
    CHECK(s.bids == truth.bids);
    CHECK(s.asks == truth.asks);
  }
  auto now = parse_depth_body(
    handle_rest(ex, "/sim/book", parse_query("symbol=BTCUSDT&limit=3")));
  CHECK(now.last_update_id == last);
  CHECK(now.bids.size() == 3);
  for (auto id : {initial - 1, last + 1}) {
    auto r = handle_rest(
      ex, "/sim/book",
      parse_query("symbol=BTCUSDT&update_id=" + std::to_string(id)));
    CHECK(r.status == 400);
    CHECK(error_code(r) == -1);
    CHECK(r.body.find(std::to_string(initial) + ".." + std::to_string(last))
          != std::string::npos);
  }
  CHECK(error_code(handle_rest(ex, "/sim/book",
                               parse_query("symbol=BTCUSDT&update_id=x")))
        == -1100);
  CHECK(error_code(
          handle_rest(ex, "/sim/book", parse_query("symbol=BTCUSDT&limit=0")))
        == -1100);
  CHECK(error_code(handle_rest(ex, "/sim/book", parse_query("symbol=SOLUSDT")))
        == -1121);
}

TEST_CASE("/sim/stats reports each symbol's book: first and current update id, "
          "depth events emitted and dropped, depth connections") {
  auto ex = make_book_exchange(5);
  auto& feed = ex.find("BTCUSDT")->depth();
  feed.connection_opened();
  rapidjson::Document d;
  d.Parse(handle_rest(ex, "/sim/stats", {}).body.c_str());
  REQUIRE(!d.HasParseError());
  const auto& btc = d["symbols"]["BTCUSDT"];
  CHECK(btc["depth_first_update_id"].GetInt64() == 1'000'000'000);
  CHECK(btc["depth_update_id"].GetInt64() == feed.book().last_update_id());
  CHECK(btc["depth_events"].GetInt64() == 4);
  CHECK(btc["depth_dropped"].GetInt64() == 1);
  CHECK(btc["depth_connections"].GetInt() == 1);
  CHECK(btc["connections"].GetInt() == 0); // aggTrade streams only
}

TEST_CASE("The sim's stream paths take <sym>@depth@100ms alone or mixed with "
          "aggTrade, and refuse any other depth stream") {
  auto raw = parse_stream_path("/ws/BNBBTC@depth@100ms", "");
  REQUIRE(raw);
  CHECK(!raw->combined);
  CHECK(raw->symbols == std::vector<std::string>{"BNBBTC"});
  REQUIRE(raw->streams.size() == 1);
  CHECK(raw->streams[0].kind == stream_kind::depth);
  auto mixed = parse_stream_path("/stream",
                                 "streams=btcusdt@aggTrade/btcusdt@depth@100ms/"
                                 "ethusdt@depth@100ms/btcusdt@depth@100ms");
  REQUIRE(mixed);
  CHECK(mixed->combined);
  CHECK(mixed->symbols == std::vector<std::string>{"BTCUSDT", "ETHUSDT"});
  REQUIRE(mixed->streams.size() == 3);
  CHECK(mixed->streams[0].kind == stream_kind::agg_trade);
  CHECK(mixed->streams[1].kind == stream_kind::depth);
  CHECK(mixed->streams[1].symbol == "BTCUSDT");
  CHECK(mixed->streams[2].symbol == "ETHUSDT");
  auto raw_mixed = parse_stream_path("/ws/btcusdt@depth@100ms/btcusdt@aggTrade",
                                     "");
  REQUIRE(raw_mixed);
  CHECK(raw_mixed->streams.size() == 2);
  CHECK(!parse_stream_path("/ws/btcusdt@depth", ""));
  CHECK(!parse_stream_path("/ws/btcusdt@depth@1000ms", ""));
  CHECK(!parse_stream_path("/ws/btcusdt@depth5@100ms", ""));
  CHECK(!parse_stream_path("/ws/@depth@100ms", ""));
}

TEST_CASE("The sim's depth options default to one event per 100 ms of 5 "
          "changes and refuse 0") {
  auto defaults = parse_sim_options({});
  REQUIRE(defaults.options);
  CHECK(defaults.options->depth_interval_ms == 100);
  CHECK(defaults.options->depth_changes == 5);
  auto set
    = parse_sim_options({"--depth-interval-ms", "20", "--depth-changes=9"});
  REQUIRE(set.options);
  CHECK(set.options->depth_interval_ms == 20);
  CHECK(set.options->depth_changes == 9);
  CHECK(!parse_sim_options({"--depth-interval-ms", "0"}).options);
  CHECK(!parse_sim_options({"--depth-changes", "0"}).options);
  CHECK(!parse_sim_options({"--depth-changes", "10001"}).options);
  CHECK(sim_usage().find("--depth-interval-ms") != std::string::npos);
  CHECK(sim_usage().find("drop-depth") != std::string::npos);
}
