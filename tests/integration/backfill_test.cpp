// Gap backfill over real sockets: every reconnect skips trades, REST fills them, nothing is lost or repeated.
#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

#include "actors/core/decimal.hpp"
#include "tests/integration/harness.hpp"

using namespace sv::test;
using namespace std::chrono_literals;

namespace {

/// Exact sums over REST rows, for comparing with the API's totals.
struct exact_totals {
  sv::int128 buy = 0, sell = 0, buy_quote = 0, sell_quote = 0;
};

} // namespace

TEST_CASE("through 100 forced disconnects that each skip trades, the API's id "
          "sequence and totals equal the exchange's exactly",
          "[integration][backfill]") {
  auto dir = scratch_dir("backfill");
  make_certificate(dir);
  // Every connection is closed after 50 trades; every reconnect first misses 10
  // trades that only REST has. The exchange keeps trading at 2000/s throughout.
  sim_process sim{dir,
                  {"--rate", "2000", "--fault",
                   "close-after:frames=50,code=1001", "--fault",
                   "skip-on-reconnect:trades=10"}};
  streamvisor_process sv{dir,
                         sim.port,
                         {"--symbols", "BTCUSDT", "--backoff-initial-ms", "10",
                          "--backoff-max-ms", "20", "--max-restarts", "100000",
                          "--connect-burst", "50"}};
  REQUIRE(eventually(
    [&] {
      auto r = sv.get("/status");
      return r.status == 200
             && parse(r.body)["children"][0]["connect_attempts"].GetUint64()
                  > 100;
    },
    90s, 100ms));
  // One snapshot in which every gap so far is filled.
  rapidjson::Document m;
  REQUIRE(eventually(
    [&] {
      m = parse(sv.get("/symbols/BTCUSDT/metrics").body);
      return m["gaps_open"].GetUint64() == 0;
    },
    30s, 20ms));
  auto first = m["first_trade_id"].GetUint64();
  auto last = m["last_trade_id"].GetUint64();
  CHECK(m["trades"].GetUint64() == last - first + 1);
  CHECK(m["duplicates"].GetUint64() == 0);
  CHECK(m["gaps_detected"].GetUint64() >= 100);
  CHECK(m["gaps_filled"].GetUint64() == m["gaps_detected"].GetUint64());
  CHECK(m["backfilled"].GetUint64() >= 1000);
  // The exchange's own record of [first, last], page by page, against the history.
  auto ours = parse(sv.get("/symbols/BTCUSDT/trades?limit=100000").body);
  auto& trades = ours["trades"];
  REQUIRE(trades.Size() >= last - first + 1);
  REQUIRE(trades[0].GetObject()["id"].GetUint64() == first);
  exact_totals sums;
  for (auto from = first; from <= last; from += 1000) {
    auto rest = http_get(sim.port,
                         "/api/v3/aggTrades?symbol=BTCUSDT&fromId="
                           + std::to_string(from) + "&limit=1000",
                         true, 5s);
    REQUIRE(rest.status == 200);
    auto rows = parse(rest.body);
    for (auto& a : rows.GetArray()) {
      auto id = a["a"].GetUint64();
      if (id > last)
        break;
      auto& b = trades[static_cast<rapidjson::SizeType>(id - first)];
      REQUIRE(b["id"].GetUint64() == id);
      REQUIRE(str(a["p"]) == str(b["price"]));
      REQUIRE(str(a["q"]) == str(b["qty"]));
      REQUIRE(std::string{a["m"].GetBool() ? "sell" : "buy"} == str(b["side"]));
      std::int64_t p = 0, q = 0;
      REQUIRE(sv::parse_e8(str(a["p"]), p));
      REQUIRE(sv::parse_e8(str(a["q"]), q));
      (a["m"].GetBool() ? sums.sell : sums.buy) += q;
      (a["m"].GetBool() ? sums.sell_quote : sums.buy_quote) += sv::int128{p}
                                                               * q;
    }
  }
  CHECK(str(m["buy_volume"]) == sv::format_e8(sums.buy));
  CHECK(str(m["sell_volume"]) == sv::format_e8(sums.sell));
  CHECK(str(m["buy_quote"]) == sv::format_e16_as_e8(sums.buy_quote));
  CHECK(str(m["sell_quote"]) == sv::format_e16_as_e8(sums.sell_quote));
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}

TEST_CASE(
  "a gap REST cannot fill stays open, is reported, and the windows over it "
  "say complete false",
  "[integration][backfill]") {
  auto dir = scratch_dir("backfill-down");
  make_certificate(dir);
  sim_process sim{dir,
                  {"--rate", "200", "--fault",
                   "close-after:frames=50,code=1001,connections=1", "--fault",
                   "skip-on-reconnect:trades=10", "--fault", "rest-down"}};
  streamvisor_process sv{dir,
                         sim.port,
                         {"--symbols", "BTCUSDT", "--backoff-initial-ms", "10",
                          "--backoff-max-ms", "20"}};
  // 5 attempts with 1+2+4+8 s between them: about 15 s until the gap is given up.
  REQUIRE(eventually(
    [&] {
      auto r = sv.get("/symbols/BTCUSDT/metrics");
      if (r.status != 200)
        return false;
      auto m = parse(r.body);
      return m["open_gaps"].Size() == 1
             && str(m["open_gaps"][0]["state"]) == "unfilled";
    },
    40s, 200ms));
  auto m = parse(sv.get("/symbols/BTCUSDT/metrics").body);
  CHECK(m["gaps_detected"].GetUint64() == 1);
  CHECK(m["gaps_filled"].GetUint64() == 0);
  // The 10 skipped trades, plus whatever the exchange traded while disconnected.
  CHECK(m["open_gaps"][0]["to"].GetUint64()
          - m["open_gaps"][0]["from"].GetUint64() + 1
        >= 10);
  CHECK_FALSE(m["windows"]["1h"]["complete"].GetBool());
  auto status = parse(sv.get("/status").body);
  CHECK(status["children"][0]["gaps_open"].GetUint64() == 1);
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}

TEST_CASE(
  "a warm start loads the trades before the first live one: the history "
  "starts at the exchange's first trade with no gap and exact totals",
  "[integration][backfill][warmup]") {
  auto dir = scratch_dir("warmup");
  make_certificate(dir);
  sim_process sim{dir, {"--rate", "200"}};
  // Another client starts the market; the exchange trades for 3 s before
  // streamvisor connects.
  ws_test_client early;
  REQUIRE(early.open(sim.port, "/ws/btcusdt@aggTrade", true, 5s) == 101);
  std::this_thread::sleep_for(3s);
  streamvisor_process sv{
    dir, sim.port, {"--symbols", "BTCUSDT", "--warmup-s", "60"}};
  rapidjson::Document m;
  REQUIRE(eventually(
    [&] {
      auto r = sv.get("/symbols/BTCUSDT/metrics");
      if (r.status != 200)
        return false;
      m = parse(r.body);
      return str(m["warmup"]) == "done";
    },
    30s, 50ms));
  auto first = m["first_trade_id"].GetUint64();
  auto last = m["last_trade_id"].GetUint64();
  CHECK(first == 1000000); // the exchange's very first trade
  CHECK(m["trades"].GetUint64() == last - first + 1);
  CHECK(m["backfilled"].GetUint64() >= 500); // about 3 s at 200/s
  CHECK(m["gaps_open"].GetUint64() == 0);
  exact_totals sums;
  for (auto from = first; from <= last; from += 1000) {
    auto rest = http_get(sim.port,
                         "/api/v3/aggTrades?symbol=BTCUSDT&fromId="
                           + std::to_string(from) + "&limit=1000",
                         true, 5s);
    REQUIRE(rest.status == 200);
    auto rows = parse(rest.body);
    for (auto& a : rows.GetArray()) {
      if (a["a"].GetUint64() > last)
        break;
      std::int64_t p = 0, q = 0;
      REQUIRE(sv::parse_e8(str(a["p"]), p));
      REQUIRE(sv::parse_e8(str(a["q"]), q));
      (a["m"].GetBool() ? sums.sell : sums.buy) += q;
      (a["m"].GetBool() ? sums.sell_quote : sums.buy_quote) += sv::int128{p}
                                                               * q;
    }
  }
  CHECK(str(m["buy_volume"]) == sv::format_e8(sums.buy));
  CHECK(str(m["sell_volume"]) == sv::format_e8(sums.sell));
  CHECK(str(m["buy_quote"]) == sv::format_e16_as_e8(sums.buy_quote));
  CHECK(str(m["sell_quote"]) == sv::format_e16_as_e8(sums.sell_quote));
  CHECK(m["windows"]["1m"]["trades"].GetUint64() >= 500);
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}
