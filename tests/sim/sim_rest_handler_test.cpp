// Tests of app/sim/rest_handler.cpp, stream_path.cpp and sim_options.cpp: request parsing and Binance error bodies.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "actors/decimal.hpp"
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

TEST_CASE("The sim's aggTrades without bounds returns the most recent `limit` trades in ascending order") {
  auto ex = make_exchange();
  auto r = handle_rest(ex, "/api/v3/aggTrades", parse_query("symbol=BTCUSDT"));
  CHECK(r.status == 200);
  auto ids = ids_of(r);
  REQUIRE(ids.size() == 500);
  CHECK(ids.front() == 1500);
  CHECK(ids.back() == 1999);
  CHECK(ids_of(handle_rest(ex, "/api/v3/aggTrades", parse_query("symbol=BTCUSDT&limit=3")))
        == std::vector<std::int64_t>{1997, 1998, 1999});
}

TEST_CASE("The sim's aggTrades fromId is inclusive and time bounds are inclusive on T") {
  auto ex = make_exchange();
  CHECK(ids_of(handle_rest(ex, "/api/v3/aggTrades", parse_query("symbol=BTCUSDT&fromId=1010&limit=2")))
        == std::vector<std::int64_t>{1010, 1011});
  CHECK(ids_of(handle_rest(ex, "/api/v3/aggTrades", parse_query("symbol=BTCUSDT&fromId=5")))
            .front()
        == 1000);
  CHECK(ids_of(handle_rest(ex, "/api/v3/aggTrades", parse_query("symbol=BTCUSDT&fromId=2000")))
          .empty());
  CHECK(ids_of(handle_rest(ex, "/api/v3/aggTrades",
                           parse_query("symbol=BTCUSDT&startTime=10020&endTime=10040")))
        == std::vector<std::int64_t>{1002, 1003, 1004});
  CHECK(ids_of(handle_rest(ex, "/api/v3/aggTrades",
                           parse_query("symbol=BTCUSDT&startTime=10015&limit=2")))
        == std::vector<std::int64_t>{1002, 1003});
}

TEST_CASE("The sim's aggTrades rejects a bad limit or malformed number with HTTP 400 and code -1100") {
  auto ex = make_exchange();
  for (auto q : {"symbol=BTCUSDT&limit=1001", "symbol=BTCUSDT&limit=0", "symbol=BTCUSDT&limit=x",
                 "symbol=BTCUSDT&fromId=-1", "symbol=BTCUSDT&startTime=1.5",
                 "symbol=BTCUSDT&endTime=", "symbol=btcusdt"}) {
    auto r = handle_rest(ex, "/api/v3/aggTrades", parse_query(q));
    INFO(q);
    CHECK(r.status == 400);
    CHECK(error_code(r) == -1100);
  }
  auto ok = handle_rest(ex, "/api/v3/aggTrades", parse_query("symbol=BTCUSDT&limit=1000"));
  CHECK(ids_of(ok).size() == 1000);
}

TEST_CASE("The sim's aggTrades answers -1121 Invalid symbol for a market nobody opened and -1102 without symbol") {
  auto ex = make_exchange();
  auto r = handle_rest(ex, "/api/v3/aggTrades", parse_query("symbol=ETHUSDT"));
  CHECK(r.status == 400);
  CHECK(r.body == "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
  auto missing = handle_rest(ex, "/api/v3/aggTrades", parse_query("limit=5"));
  CHECK(missing.status == 400);
  CHECK(error_code(missing) == -1102);
  CHECK(handle_rest(ex, "/nope", {}).status == 404);
}

TEST_CASE("/sim/stats reports exact totals, id range and connection counts per symbol") {
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
  CHECK(std::string(btc["buy_volume"].GetString()) == format_e8(totals.buy_volume_e8));
  CHECK(std::string(btc["sell_quote"].GetString()) == format_e16_as_e8(totals.sell_quote_e16));
  const auto& eth = d["symbols"]["ETHUSDT"];
  CHECK(eth["emitted"].GetInt64() == 0);
  CHECK(eth["first_id"].IsNull());
  CHECK(eth["connections"].GetInt() == 1);
  CHECK(eth["connections_total"].GetInt() == 1);
  CHECK(std::string(eth["buy_volume"].GetString()) == "0.00000000");
}

TEST_CASE("The sim's stream paths accept /ws/<sym>@aggTrade and /stream?streams= in any symbol case, nothing else") {
  auto raw = parse_stream_path("/ws/btcusdt@aggTrade", "");
  REQUIRE(raw);
  CHECK(!raw->combined);
  CHECK(raw->symbols == std::vector<std::string>{"BTCUSDT"});
  auto combined = parse_stream_path("/stream", "streams=btcusdt@aggTrade/EthUsdt@aggTrade/btcusdt@aggTrade");
  REQUIRE(combined);
  CHECK(combined->combined);
  CHECK(combined->symbols == std::vector<std::string>{"BTCUSDT", "ETHUSDT"});
  CHECK(!parse_stream_path("/ws/btcusdt@trade", ""));
  CHECK(!parse_stream_path("/ws/", ""));
  CHECK(!parse_stream_path("/ws/@aggTrade", ""));
  CHECK(!parse_stream_path("/stream", ""));
  CHECK(!parse_stream_path("/stream", "streams=btcusdt@depth"));
  CHECK(!parse_stream_path("/api/v3/aggTrades", "symbol=BTCUSDT"));
}

TEST_CASE("The sim's options parse both spellings, keep loopback only, and name the bad option") {
  auto ok = parse_sim_options({"--port", "0", "--rate=0", "--count", "5", "--seed", "9",
                               "--close-after-count", "--symbols", "btcusdt,ETHUSDT",
                               "--host", "::1"});
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

TEST_CASE("The sim's skipped trades are emitted into the sequence, history and totals, and counted in /sim/stats") {
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

TEST_CASE("The sim's REST weights are Binance's and the used weight covers exactly the last 60 s") {
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

TEST_CASE("The sim's REST fault answers are 429 with Retry-After and -1003, or 503 with -1001") {
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
