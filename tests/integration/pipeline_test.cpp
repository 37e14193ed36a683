// End to end over real sockets: streamvisor-sim over TLS on loopback -> streamvisor -> its HTTP API.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <rapidjson/document.h>

#include "tests/integration/harness.hpp"

using namespace sv::test;
using namespace std::chrono_literals;

TEST_CASE(
  "over TLS, three symbols of 10,000 trades each reach the API with the "
  "simulator's exact counts, ids and totals",
  "[integration]") {
  auto dir = scratch_dir("pipeline");
  make_certificate(dir);
  constexpr int trades_per_symbol = 10000;
  const std::vector<std::string> symbols = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
  sim_process sim{dir,
                  {"--rate", "0", "--count", std::to_string(trades_per_symbol),
                   "--seed", "7"}};
  streamvisor_process sv{
    dir, sim.port, {"--symbols", "btcusdt,ETHUSDT,SolUsdt,BTCUSDT"}};

  auto all_done = [&] {
    for (auto& s : symbols) {
      auto r = sv.get("/symbols/" + s + "/metrics");
      if (r.status != 200)
        return false;
      if (parse(r.body)["trades"].GetUint64() < trades_per_symbol)
        return false;
    }
    return true;
  };
  REQUIRE(eventually(all_done, 60s));

  auto stats = http_get(sim.port, "/sim/stats", true, 5s);
  REQUIRE(stats.status == 200);
  auto sim_doc = parse(stats.body);
  for (auto& s : symbols) {
    INFO("symbol " << s);
    auto m = parse(sv.get("/symbols/" + s + "/metrics").body);
    auto& expected = sim_doc["symbols"][s.c_str()];
    CHECK(m["trades"].GetUint64() == expected["emitted"].GetUint64());
    CHECK(m["duplicates"].GetUint64() == 0);
    CHECK(m["first_trade_id"].GetUint64() == expected["first_id"].GetUint64());
    CHECK(m["last_trade_id"].GetUint64() == expected["last_id"].GetUint64());
    CHECK(str(m["buy_volume"]) == str(expected["buy_volume"]));
    CHECK(str(m["sell_volume"]) == str(expected["sell_volume"]));
    CHECK(str(m["buy_quote"]) == str(expected["buy_quote"]));
    CHECK(str(m["sell_quote"]) == str(expected["sell_quote"]));

    // The last 1000 trades equal the exchange's own record (REST), field by field.
    auto last_id = m["last_trade_id"].GetUint64();
    auto rest = http_get(sim.port,
                         "/api/v3/aggTrades?symbol=" + s + "&fromId="
                           + std::to_string(last_id - 999) + "&limit=1000",
                         true, 5s);
    REQUIRE(rest.status == 200);
    auto rows = parse(rest.body);
    auto ours = parse(sv.get("/symbols/" + s + "/trades?limit=1000").body);
    REQUIRE(rows.Size() == 1000);
    REQUIRE(ours["trades"].Size() == 1000);
    for (rapidjson::SizeType i = 0; i < 1000; ++i) {
      auto& a = rows[i];
      auto& b = ours["trades"][i];
      REQUIRE(a["a"].GetUint64() == b["id"].GetUint64());
      REQUIRE(str(a["p"]) == str(b["price"]));
      REQUIRE(str(a["q"]) == str(b["qty"]));
      REQUIRE(std::string{a["m"].GetBool() ? "sell" : "buy"} == str(b["side"]));
      REQUIRE(a["T"].GetInt64() == b["time"].GetInt64());
    }
  }

  auto status = parse(sv.get("/status").body);
  REQUIRE(status["children"].Size() == 3);
  for (auto& c : status["children"].GetArray()) {
    CHECK(str(c["state"]) == "streaming");
    CHECK(c["connect_attempts"].GetUint64() == 1);
    CHECK(c["decode_errors"].GetUint64() == 0);
    CHECK(c["trades"].GetUint64() == trades_per_symbol);
  }
  auto health = sv.get("/health");
  CHECK(health.status == 200);
  CHECK(health.body == R"({"status":"ok"})");
  auto unknown = sv.get("/symbols/XRPUSDT/trades");
  CHECK(unknown.status == 404);
  CHECK(
    unknown.body
    == R"({"error":"unknown symbol","symbol":"XRPUSDT","symbols":["BTCUSDT","ETHUSDT","SOLUSDT"]})");

  // SIGTERM: every socket closed with a close frame, exit 0 within the shutdown deadline.
  auto t0 = std::chrono::steady_clock::now();
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < 6s);
  CHECK(eventually(
    [&] {
      auto s = parse(http_get(sim.port, "/sim/stats", true, 5s).body);
      for (auto& sym : symbols)
        if (s["symbols"][sym.c_str()]["connections"].GetUint64() != 0)
          return false;
      return true;
    },
    5s));
}

TEST_CASE(
  "malformed frames on the wire are counted and the child keeps streaming",
  "[integration]") {
  auto dir = scratch_dir("malformed");
  make_certificate(dir);
  // 50 good trades with a malformed frame after every tenth.
  {
    std::ofstream out{dir + "/feed.jsonl"};
    for (int i = 1; i <= 50; ++i) {
      out << R"({"e":"aggTrade","E":1700000000001,"s":"BTCUSDT","a":)" << i
          << R"(,"p":"100.00000000","q":"1.00000000","f":)" << i << R"(,"l":)"
          << i << R"(,"T":1700000000000,"m":)"
          << (i % 2 == 0 ? "true" : "false") << R"(,"M":true})"
          << "\n";
      if (i % 10 == 0)
        out << R"({"e":"aggTrade","s":"BTCUSDT","a":"oops"})"
            << "\n";
    }
  }
  sim_process sim{dir, {"--replay", dir + "/feed.jsonl", "--rate", "0"}};
  streamvisor_process sv{dir, sim.port, {"--symbols", "BTCUSDT"}};
  REQUIRE(eventually(
    [&] {
      auto r = sv.get("/symbols/BTCUSDT/metrics");
      return r.status == 200 && parse(r.body)["trades"].GetUint64() == 50;
    },
    30s));
  auto status = parse(sv.get("/status").body);
  auto& c = status["children"][0];
  CHECK(c["decode_errors"].GetUint64() == 5);
  CHECK(c["trades"].GetUint64() == 50);
  CHECK(str(c["state"]) == "streaming");
  CHECK(c["restarts"].GetUint64() == 0);
  auto m = parse(sv.get("/symbols/BTCUSDT/metrics").body);
  CHECK(str(m["buy_volume"]) == "25.00000000");
  CHECK(str(m["sell_volume"]) == "25.00000000");
  CHECK(str(m["vwap"]) == "100.00000000");
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}

TEST_CASE("a server that drops the connection is reconnected and history keeps "
          "growing without duplicates",
          "[integration]") {
  auto dir = scratch_dir("reconnect");
  make_certificate(dir);
  // The sim closes each stream with 1000 once its 500 trades are out; the next
  // connection continues the exchange's sequence where it stands.
  sim_process sim{dir,
                  {"--rate", "0", "--count", "500", "--close-after-count"}};
  streamvisor_process sv{dir,
                         sim.port,
                         {"--symbols", "BTCUSDT", "--backoff-initial-ms", "200",
                          "--backoff-max-ms", "200"}};
  REQUIRE(eventually(
    [&] {
      auto r = sv.get("/status");
      return r.status == 200
             && parse(r.body)["children"][0]["connect_attempts"].GetUint64()
                  >= 3;
    },
    30s));
  auto m = parse(sv.get("/symbols/BTCUSDT/metrics").body);
  CHECK(m["trades"].GetUint64() == 500);
  CHECK(m["duplicates"].GetUint64() == 0);
  auto c = parse(sv.get("/status").body);
  CHECK(c["children"][0]["restarts"].GetUint64() >= 2);
  CHECK_THAT(str(c["children"][0]["last_error"]), Catch::Contains("1000"));
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}

TEST_CASE("a bad setting exits with code 2 and one line naming it",
          "[integration]") {
  child_process bad{SV_STREAMVISOR_BINARY, {"--connect-timeout-ms", "abc"}};
  CHECK(bad.stop(0, 10s) == 2);
  child_process unknown{SV_STREAMVISOR_BINARY, {"--no-such-option"}};
  CHECK(unknown.stop(0, 10s) == 2);
}

TEST_CASE(
  "a second streamvisor with the same lock file exits with code 2 naming "
  "the holder's pid",
  "[integration]") {
  auto dir = scratch_dir("lock");
  make_certificate(dir);
  sim_process sim{dir, {"--rate", "10"}};
  streamvisor_process first{dir, sim.port, {"--symbols", "BTCUSDT"}};
  REQUIRE(eventually([&] { return first.get("/health").status == 200; }, 20s));
  std::string out = dir + "/second.err";
  auto cmd = std::string{"'"} + SV_STREAMVISOR_BINARY
             + "' --symbols BTCUSDT --http " + "127.0.0.1:0 --lock-file '" + dir
             + "/streamvisor.lock' 2>'" + out + "'";
  auto status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  std::ifstream err{out};
  std::string line;
  std::getline(err, line);
  CHECK_THAT(line, Catch::Contains("another streamvisor (pid "));
  CHECK_THAT(line, Catch::Contains("streamvisor.lock"));
  // The first one is untouched.
  CHECK(first.get("/health").status == 200);
  CHECK(first.child->stop(SIGTERM, 7s) == 0);
}
