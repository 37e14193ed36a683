// The local order book over real sockets against the simulator's true order book.
#include <catch2/catch.hpp>

#include <csignal>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"

using namespace sv::test;
using namespace std::chrono_literals;

namespace {

/// One side's levels as "price qty" strings, best first.
std::vector<std::string> levels(const rapidjson::Value& side) {
  std::vector<std::string> result;
  for (auto& level : side.GetArray())
    result.push_back(str(level[0]) + " " + str(level[1]));
  return result;
}

/// Compares streamvisor's book of `symbol` (if synced) with the simulator's book at the
/// same update id. Returns the book's resync count, or -1 if it was not synced.
std::int64_t compare_with_exchange(streamvisor_process& sv, sim_process& sim,
                                   const std::string& symbol,
                                   std::uint64_t& compared) {
  constexpr int depth = 50;
  auto ours = parse(
    sv.get("/symbols/" + symbol + "/book?depth=" + std::to_string(depth)).body);
  if (!ours["synced"].GetBool())
    return -1;
  auto id = ours["lastUpdateId"].GetUint64();
  auto theirs = http_get(sim.port,
                         "/sim/book?symbol=" + symbol
                           + "&limit=" + std::to_string(depth)
                           + "&update_id=" + std::to_string(id),
                         true, 5s);
  REQUIRE(theirs.status == 200);
  auto truth = parse(theirs.body);
  INFO(symbol << " at update id " << id);
  REQUIRE(truth["lastUpdateId"].GetUint64() == id);
  REQUIRE(levels(ours["bids"]) == levels(truth["bids"]));
  REQUIRE(levels(ours["asks"]) == levels(truth["asks"]));
  REQUIRE(ours["bids"].Size() == depth);
  ++compared;
  return static_cast<std::int64_t>(ours["counters"]["resyncs"].GetUint64());
}

} // namespace

TEST_CASE(
  "a dropped depth event resyncs only its symbol, and after every resync the "
  "book's top levels equal the exchange's",
  "[integration][book]") {
  auto dir = scratch_dir("book");
  make_certificate(dir);
  // ETHUSDT loses its 20th depth event and every 15th after it (one every 1.5 s);
  // BTCUSDT loses none.
  sim_process sim{dir,
                  {"--symbols", "BTCUSDT,ETHUSDT", "--rate", "50", "--fault",
                   "drop-depth:symbol=ETHUSDT,after=19,every=15"}};
  streamvisor_process sv{dir,
                         sim.port,
                         {"--symbols", "BTCUSDT,ETHUSDT", "--streams",
                          "aggTrade,depth"}};
  std::uint64_t compared = 0;
  // The resync counts at which ETHUSDT's synced book was compared with the truth:
  // 0 (the first sync), then once after each resync.
  std::set<std::int64_t> eth_epochs;
  REQUIRE(eventually(
    [&] {
      if (sv.get("/health").status != 200)
        return false;
      auto resyncs = compare_with_exchange(sv, sim, "ETHUSDT", compared);
      if (resyncs >= 0)
        eth_epochs.insert(resyncs);
      compare_with_exchange(sv, sim, "BTCUSDT", compared);
      return eth_epochs.size() >= 5;
    },
    60s, 20ms));
  // Every resync so far was followed by a comparison: no epoch was skipped.
  CHECK(*eth_epochs.begin() == 0);
  CHECK(*eth_epochs.rbegin()
        == static_cast<std::int64_t>(eth_epochs.size()) - 1);
  CHECK(compared >= 10);
  auto btc = parse(sv.get("/symbols/BTCUSDT/book").body);
  CHECK(btc["counters"]["resyncs"].GetUint64() == 0);
  CHECK(btc["counters"]["syncs"].GetUint64() == 1);
  auto eth = parse(sv.get("/symbols/ETHUSDT/book").body);
  CHECK(eth["counters"]["resyncs"].GetUint64() >= 4);
  CHECK(eth["counters"]["last_resync_reason"].GetStringLength() > 0);
  // /status tells the same story per depth child.
  auto status = parse(sv.get("/status").body);
  for (auto& child : status["children"].GetArray()) {
    if (str(child["stream"]) != "depth")
      continue;
    INFO(str(child["symbol"]));
    // ETHUSDT may be between a resync and its snapshot right now; BTCUSDT never is.
    if (str(child["symbol"]) == "BTCUSDT") {
      CHECK(str(child["book"]) == "synced");
      CHECK(child["resyncs"].GetUint64() == 0);
    } else {
      CHECK(child["resyncs"].GetUint64() >= 4);
    }
    CHECK(child["restarts"].GetUint64() == 0); // a resync is not a reconnect
  }
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}

TEST_CASE(
  "through reconnects of the depth stream the synced book always equals the "
  "exchange's",
  "[integration][book]") {
  auto dir = scratch_dir("book-reconnect");
  make_certificate(dir);
  // Every connection of the simulator is closed after 30 frames: the depth stream
  // reconnects every 3 s. Whether the new connection's first event continues the
  // old sequence (no resync) or not (resync), a synced book must equal the truth.
  sim_process sim{dir,
                  {"--symbols", "BTCUSDT", "--rate", "20", "--fault",
                   "close-after:frames=30,code=1001"}};
  streamvisor_process sv{dir,
                         sim.port,
                         {"--symbols", "BTCUSDT", "--streams", "aggTrade,depth",
                          "--backoff-initial-ms", "10", "--backoff-max-ms",
                          "20", "--max-restarts", "1000"}};
  REQUIRE(eventually([&] { return sv.get("/health").status == 200; }, 30s));
  std::uint64_t compared = 0;
  auto depth_attempts = [&] {
    auto status = parse(sv.get("/status").body);
    for (auto& child : status["children"].GetArray())
      if (str(child["stream"]) == "depth")
        return child["connect_attempts"].GetUint64();
    return std::uint64_t{0};
  };
  REQUIRE(eventually(
    [&] {
      compare_with_exchange(sv, sim, "BTCUSDT", compared);
      return depth_attempts() >= 4;
    },
    60s, 20ms));
  REQUIRE(eventually(
    [&] { return compare_with_exchange(sv, sim, "BTCUSDT", compared) >= 0; },
    10s, 20ms));
  CHECK(compared >= 20);
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}
