// Tests of binance_rest: aggTrades's and depth's parameters by Binance's rules, and their answers.
#include <catch2/catch.hpp>

#include "actors/wire/binance_rest.hpp"

using namespace sv;

namespace {

std::optional<binance_error> agg(std::string_view query,
                                 agg_trades_request& out) {
  return parse_agg_trades_request(decode_query(query), out);
}

std::string agg_error(std::string_view query) {
  agg_trades_request r;
  auto err = agg(query, r);
  return err ? binance_error_json(*err) : std::string{"ok"};
}

} // namespace

TEST_CASE("aggTrades's parameters are read by Binance's rules",
          "[binance_rest]") {
  agg_trades_request r;
  REQUIRE_FALSE(agg("symbol=BTCUSDT", r));
  CHECK(r.symbol == "BTCUSDT");
  CHECK(r.query.limit == 500);
  CHECK_FALSE(r.query.by_id);
  CHECK(r.query.start_ms == -1);
  CHECK(r.query.end_ms == -1);
  REQUIRE_FALSE(agg("symbol=BTCUSDT&fromId=7&limit=1000&limit=3", r));
  CHECK(r.query.by_id);
  CHECK(r.query.from_id == 7);
  CHECK(r.query.limit == 3); // the last occurrence wins
  REQUIRE_FALSE(agg("symbol=BTCUSDT&startTime=1000&endTime=3601000", r));
  CHECK(r.query.start_ms == 1000);
  CHECK(r.query.end_ms == 3601000);
  REQUIRE_FALSE(agg("symbol=%42TCUSDT", r)); // percent-decoded
  CHECK(r.symbol == "BTCUSDT");
}

TEST_CASE("aggTrades's bad parameters get Binance's errors", "[binance_rest]") {
  CHECK(agg_error("limit=5")
        == R"({"code":-1102,"msg":"Mandatory parameter 'symbol' was not sent, )"
           R"(was empty/null, or malformed."})");
  CHECK(agg_error("symbol=btcusdt")
        == R"({"code":-1100,"msg":"Illegal characters found in parameter )"
           R"('symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'."})");
  CHECK(agg_error("symbol=BTCUSDT&limit=0")
        == R"({"code":-1100,"msg":"Illegal characters found in parameter )"
           R"('limit'; legal range is '1..1000'."})");
  CHECK(agg_error("symbol=BTCUSDT&limit=abc")
        == R"({"code":-1100,"msg":"Illegal characters found in parameter )"
           R"('limit'; legal range is '^[0-9]{1,20}$'."})");
  CHECK(agg_error("symbol=BTCUSDT&fromId=-1")
        == R"({"code":-1100,"msg":"Illegal characters found in parameter )"
           R"('fromId'; legal range is '^[0-9]{1,20}$'."})");
  CHECK(
    agg_error("symbol=BTCUSDT&fromId=5&endTime=9")
    == R"({"code":-1128,"msg":"Combination of optional parameters invalid."})");
  CHECK(agg_error("symbol=BTCUSDT&startTime=1000&endTime=7201000") == "ok");
}

TEST_CASE("depth's parameters and snapshot", "[binance_rest]") {
  depth_request r;
  REQUIRE_FALSE(parse_depth_request(decode_query("symbol=ETHBTC"), r));
  CHECK(r.limit == 100);
  REQUIRE_FALSE(
    parse_depth_request(decode_query("symbol=ETHBTC&limit=5000"), r));
  CHECK(r.limit == 5000);
  auto err = parse_depth_request(decode_query("symbol=ETHBTC&limit=5001"), r);
  REQUIRE(err);
  CHECK(err->code == -1100);
  book_view v;
  v.last_update_id = 42;
  v.bids = {{6'000'000'000'000, 150'000'000}, {5'999'999'000'000, 1}};
  v.asks = {{6'000'001'000'000, 100'000}};
  CHECK(depth_snapshot_json(v)
        == R"({"lastUpdateId":42,"bids":[["60000.00000000","1.50000000"],)"
           R"(["59999.99000000","0.00000001"]],"asks":[["60000.01000000",)"
           R"("0.00100000"]]})");
}

TEST_CASE("an error message is escaped", "[binance_rest]") {
  CHECK(binance_error_json({400, -1, "a \"quoted\"\nline"})
        == R"({"code":-1,"msg":"a \"quoted\" line"})");
}
