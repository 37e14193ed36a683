// Streams on shared sockets (--streams-per-connection) against the simulator over TLS:
// per-stream supervision survives the packing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <map>
#include <string>

#include "tests/integration/harness.hpp"

using namespace sv::test;
using namespace std::chrono_literals;

namespace {

struct child_view {
  std::string state;
  std::uint64_t attempts = 0;
  std::uint64_t restarts = 0;
};

/// /status's children by "SYMBOL@stream".
std::map<std::string, child_view> children(streamvisor_process& sv) {
  std::map<std::string, child_view> out;
  auto r = sv.get("/status");
  if (r.status != 200)
    return out;
  auto doc = parse(r.body);
  for (auto& c : doc["children"].GetArray())
    out[str(c["symbol"]) + "@" + str(c["stream"])]
      = {str(c["state"]), c["connect_attempts"].GetUint64(),
         c["restarts"].GetUint64()};
  return out;
}

/// Waits until `symbol` has had a gap and none is open, then checks that every
/// gap was filled from REST (at least `backfilled_min` trades) and that its ids
/// are contiguous with no duplicate.
void check_gaps_backfilled(streamvisor_process& sv, const std::string& symbol,
                           std::uint64_t backfilled_min) {
  INFO(symbol);
  rapidjson::Document m;
  REQUIRE(eventually(
    [&] {
      m = parse(sv.get("/symbols/" + symbol + "/metrics").body);
      return m["gaps_detected"].GetUint64() >= 1
             && m["gaps_open"].GetUint64() == 0;
    },
    30s, 50ms));
  CHECK(m["gaps_filled"].GetUint64() == m["gaps_detected"].GetUint64());
  CHECK(m["backfilled"].GetUint64() >= backfilled_min);
  CHECK(m["trades"].GetUint64()
        == m["last_trade_id"].GetUint64() - m["first_trade_id"].GetUint64()
             + 1);
  CHECK(m["duplicates"].GetUint64() == 0);
}

} // namespace

TEST_CASE(
  "on a shared socket a stream the server stops sending is resubscribed "
  "alone: the others never restart, and its gap is backfilled",
  "[integration][shared_socket]") {
  auto dir = scratch_dir("shared-socket");
  make_certificate(dir);
  // ETHUSDT's aggTrade subscription is dropped by the server 150 frames into its
  // first socket; BTCUSDT and BNBUSDT (trades and depth) share that socket.
  sim_process sim{
    dir,
    {"--rate", "100", "--symbols", "BTCUSDT,ETHUSDT,BNBUSDT", "--fault",
     "drop-subscription:symbol=ETHUSDT,frames=150,connections=1"}};
  streamvisor_process sv{dir,
                         sim.port,
                         {"--symbols", "BTCUSDT,ETHUSDT,BNBUSDT", "--streams",
                          "aggTrade,depth", "--streams-per-connection", "10",
                          "--silence-timeout-s", "1", "--backoff-initial-ms",
                          "100", "--backoff-max-ms", "200"}};
  REQUIRE(eventually(
    [&] {
      auto c = children(sv);
      auto eth = c.find("ETHUSDT@aggTrade");
      return eth != c.end() && eth->second.restarts >= 1
             && eth->second.state == "streaming";
    },
    30s, 20ms));
  auto c = children(sv);
  REQUIRE(c.size() == 6);
  for (const auto& [key, v] : c) {
    INFO(key);
    CHECK(v.state == "streaming");
    if (key != "ETHUSDT@aggTrade") {
      CHECK(v.attempts == 1);
      CHECK(v.restarts == 0);
    }
  }
  // The trades the dropped subscription missed come from REST: no gap stays open
  // and the ids are contiguous.
  check_gaps_backfilled(sv, "ETHUSDT", 1);
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}

TEST_CASE(
  "a shared socket's loss costs each of its streams one reconnect on one new "
  "socket, and every stream's gap is backfilled exactly",
  "[integration][shared_socket]") {
  auto dir = scratch_dir("shared-socket-loss");
  make_certificate(dir);
  // The first socket is closed (1001) after 300 frames of its three streams;
  // each stream's next subscription first misses 10 trades only REST has.
  const std::vector<std::string> symbols{"BTCUSDT", "ETHUSDT", "BNBUSDT"};
  sim_process sim{dir,
                  {"--rate", "100", "--symbols", "BTCUSDT,ETHUSDT,BNBUSDT",
                   "--fault", "close-after:frames=300,code=1001,connections=1",
                   "--fault", "skip-on-reconnect:trades=10"}};
  streamvisor_process sv{
    dir,
    sim.port,
    {"--symbols", "BTCUSDT,ETHUSDT,BNBUSDT", "--streams-per-connection", "10",
     "--backoff-initial-ms", "100", "--backoff-max-ms", "200"}};
  REQUIRE(eventually(
    [&] {
      auto c = children(sv);
      return c.size() == 3
             && std::all_of(c.begin(), c.end(), [](const auto& kv) {
                  return kv.second.restarts >= 1
                         && kv.second.state == "streaming";
                });
    },
    30s, 20ms));
  for (const auto& [key, v] : children(sv)) {
    INFO(key);
    CHECK(v.attempts == 2);
    CHECK(v.restarts == 1);
  }
  // One socket lost, one opened for all three: every child is on socket 2.
  auto status = parse(sv.get("/status").body);
  CHECK(status["pool"]["sockets_opened"].GetUint64() == 2);
  REQUIRE(status["pool"]["sockets"].Size() == 1);
  CHECK(status["pool"]["sockets"][0]["socket"].GetUint64() == 2);
  CHECK(status["pool"]["sockets"][0]["live"].GetUint() == 3);
  for (auto& c : status["children"].GetArray())
    CHECK(c["socket"].GetUint64() == 2);
  // Each market saw two subscriptions: the lost socket's and the new one's.
  auto stats = parse(http_get(sim.port, "/sim/stats", true, 5s).body);
  for (const auto& symbol : symbols) {
    INFO(symbol);
    CHECK(stats["symbols"][symbol.c_str()]["connections_total"].GetInt64()
          == 2);
    check_gaps_backfilled(sv, symbol, 10);
  }
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}
