// Tests of book_actor with the real backfill actor as its snapshot source and a fake REST client.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "actors/backfill_actor.hpp"
#include "actors/book_actor.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_rest_client.hpp"

using namespace sv;
using namespace std::chrono_literals;

namespace {

/// A depth event U..u that sets one bid at `bid` and one ask at `ask` (e8 units).
depth_update make_update(const std::string& symbol, std::uint64_t first,
                         std::uint64_t last, std::int64_t bid, std::int64_t ask,
                         std::int64_t qty = e8_scale) {
  depth_update u;
  u.symbol = symbol;
  u.first_update_id = first;
  u.final_update_id = last;
  u.event_time_ms = 1700000000000;
  u.bids.push_back(price_level{bid, qty});
  u.asks.push_back(price_level{ask, qty});
  return u;
}

/// A /api/v3/depth body: `levels` bids below 100 and asks above 101, qty 1.
std::string snapshot_body(std::uint64_t last_update_id, int levels = 3) {
  std::string body = R"({"lastUpdateId":)" + std::to_string(last_update_id)
                     + R"(,"bids":[)";
  for (int i = 0; i < levels; ++i)
    body += (i ? "," : "") + std::string{R"([")"} + std::to_string(100 - i)
            + R"(.00000000","1.00000000"])";
  body += R"(],"asks":[)";
  for (int i = 0; i < levels; ++i)
    body += (i ? "," : "") + std::string{R"([")"} + std::to_string(101 + i)
            + R"(.00000000","1.00000000"])";
  return body + "]}";
}

/// Stands in for an aggregator that asked for a gap: takes the pages, keeps nothing.
/// (The unused argument sidesteps CAF 0.17.6 binding a null reference, which UBSan
/// rejects, when a function actor is spawned without arguments.)
caf::behavior gap_sink(caf::event_based_actor*, int) {
  return {[](backfill_batch&) {}, [](backfill_failed&) {}};
}

struct book_fixture : test::actor_fixture {
  test::fake_rest_client rest;
  backfill_if backfill;
  book_if btc;
  book_if eth;

  explicit book_fixture(book_config book_cfg = book_config{},
                        backfill_config bf = backfill_config{}) {
    bf.server.host = "api.example";
    backfill = keep_for_teardown(
      sys.spawn(backfill_actor, bf, static_cast<rest_client*>(&rest)));
    auto source = caf::actor_cast<snapshot_source_if>(backfill);
    btc = keep_for_teardown(
      sys.spawn(book_actor, std::string{"BTCUSDT"}, book_cfg, source));
    eth = keep_for_teardown(
      sys.spawn(book_actor, std::string{"ETHUSDT"}, book_cfg, source));
    run();
  }

  ~book_fixture() {
    rest.release();
  }

  void events(const book_if& book, std::vector<depth_update> updates) {
    depth_batch b;
    b.symbol = updates.front().symbol;
    b.updates = std::move(updates);
    caf::anon_send(book, std::move(b));
    run();
  }

  book_view view(const book_if& book, std::uint32_t depth = 10) {
    return ask<book_view>(book, book_atom::value, depth);
  }
};

} // namespace

TEST_CASE("a book asks for a snapshot at its first event and syncs from it",
          "[book]") {
  book_fixture f;
  CHECK(f.view(f.btc).state == book_phase::waiting);
  f.events(f.btc,
           {make_update("BTCUSDT", 11, 12, 99 * e8_scale, 102 * e8_scale)});
  REQUIRE(f.rest.calls.size() == 1);
  CHECK(f.rest.calls[0].target.target
        == "/api/v3/depth?symbol=BTCUSDT&limit=1000");
  CHECK(f.view(f.btc).state == book_phase::syncing);
  f.rest.answer_last(200, snapshot_body(11));
  f.run();
  auto v = f.view(f.btc);
  CHECK(v.state == book_phase::synced);
  CHECK(v.last_update_id == 12);
  CHECK(v.counters.syncs == 1);
  REQUIRE(v.bids.size() == 3);
  CHECK(v.bids[0] == price_level{100 * e8_scale, e8_scale});
  CHECK(v.metrics.best_ask_e8 == 101 * e8_scale);
  CHECK(v.metrics.spread_e8 == e8_scale);
}

TEST_CASE("a dropped depth event resyncs that symbol only", "[book]") {
  book_fixture f;
  f.events(f.btc,
           {make_update("BTCUSDT", 11, 12, 99 * e8_scale, 102 * e8_scale)});
  f.rest.answer_last(200, snapshot_body(11));
  f.events(f.eth,
           {make_update("ETHUSDT", 51, 52, 99 * e8_scale, 102 * e8_scale)});
  f.rest.answer_last(200, snapshot_body(51));
  f.run();
  REQUIRE(f.view(f.btc).state == book_phase::synced);
  REQUIRE(f.view(f.eth).state == book_phase::synced);
  // BTCUSDT's event 13..14 is lost: 15..16 reveals it at once.
  f.events(f.btc,
           {make_update("BTCUSDT", 15, 16, 98 * e8_scale, 103 * e8_scale)});
  f.events(f.eth,
           {make_update("ETHUSDT", 53, 54, 98 * e8_scale, 103 * e8_scale)});
  auto btc = f.view(f.btc);
  CHECK(btc.state == book_phase::syncing);
  CHECK(btc.counters.resyncs == 1);
  CHECK(btc.bids.empty());
  REQUIRE(f.rest.calls.size() == 3);
  CHECK(f.rest.calls[2].target.target
        == "/api/v3/depth?symbol=BTCUSDT&limit=1000");
  auto eth = f.view(f.eth);
  CHECK(eth.state == book_phase::synced);
  CHECK(eth.counters.resyncs == 0);
  CHECK(eth.last_update_id == 54);
  // The new snapshot brings BTCUSDT back.
  f.rest.answer_last(200, snapshot_body(15));
  f.run();
  btc = f.view(f.btc);
  CHECK(btc.state == book_phase::synced);
  CHECK(btc.last_update_id == 16);
  CHECK(btc.counters.syncs == 2);
}

TEST_CASE("a snapshot older than the first buffered event is fetched again",
          "[book]") {
  book_fixture f;
  f.events(f.btc,
           {make_update("BTCUSDT", 11, 12, 99 * e8_scale, 102 * e8_scale)});
  f.rest.answer_last(200, snapshot_body(10)); // lastUpdateId 10 < U 11
  f.run();
  auto v = f.view(f.btc);
  CHECK(v.state == book_phase::syncing);
  CHECK(v.counters.snapshot_refetches == 1);
  REQUIRE(f.rest.calls.size() == 2);
  f.rest.answer_last(200, snapshot_body(12));
  f.run();
  v = f.view(f.btc);
  CHECK(v.state == book_phase::synced);
  CHECK(v.last_update_id == 12);
  CHECK(v.counters.updates_dropped == 1); // 11..12 is in the snapshot already
}

TEST_CASE("snapshots that keep lagging the stream are asked for less often",
          "[book]") {
  book_config cfg;
  cfg.snapshot_retry_ms = 2000;
  book_fixture f{cfg};
  f.events(f.btc,
           {make_update("BTCUSDT", 11, 12, 99 * e8_scale, 102 * e8_scale)});
  for (std::size_t i = 1; i <= 2;
       ++i) { // two stale answers: asked again at once
    f.rest.answer_last(200, snapshot_body(5));
    f.run();
    REQUIRE(f.rest.calls.size() == i + 1);
  }
  f.rest.answer_last(200, snapshot_body(5)); // the third in a row: pause
  f.run();
  CHECK(f.rest.calls.size() == 3);
  f.advance(1999ms);
  CHECK(f.rest.calls.size() == 3);
  f.advance(1ms);
  REQUIRE(f.rest.calls.size() == 4);
  f.rest.answer_last(200, snapshot_body(12));
  f.run();
  auto v = f.view(f.btc);
  CHECK(v.state == book_phase::synced);
  CHECK(v.counters.snapshot_refetches == 3);
}

TEST_CASE("a failed snapshot is asked for again after snapshot_retry_ms",
          "[book]") {
  book_config cfg;
  cfg.snapshot_retry_ms = 3000;
  backfill_config bf;
  bf.attempts_max = 1; // the backfill actor gives up at the first failure
  book_fixture f{cfg, bf};
  f.events(f.btc,
           {make_update("BTCUSDT", 11, 12, 99 * e8_scale, 102 * e8_scale)});
  f.rest.answer_last(503, R"({"code":-1001,"msg":"down"})");
  f.run();
  auto v = f.view(f.btc);
  CHECK(v.state == book_phase::syncing);
  CHECK(v.counters.snapshot_failures == 1);
  REQUIRE(f.rest.calls.size() == 1);
  f.advance(2999ms);
  CHECK(f.rest.calls.size() == 1);
  f.advance(1ms);
  REQUIRE(f.rest.calls.size() == 2);
  f.rest.answer_last(200, snapshot_body(12));
  f.run();
  CHECK(f.view(f.btc).state == book_phase::synced);
}

TEST_CASE(
  "a snapshot request that is never answered is given up and asked again",
  "[book]") {
  book_config cfg;
  cfg.snapshot_timeout_ms = 60000;
  book_fixture f{cfg};
  f.events(f.btc,
           {make_update("BTCUSDT", 11, 12, 99 * e8_scale, 102 * e8_scale)});
  REQUIRE(f.rest.calls.size() == 1); // the transport never answers it
  f.advance(59999ms);
  CHECK(f.view(f.btc).counters.snapshots_requested == 1);
  f.advance(1ms);
  auto v = f.view(f.btc);
  CHECK(v.counters.snapshots_requested == 2);
  CHECK(v.counters.snapshot_failures == 1);
  CHECK(v.state == book_phase::syncing);
}

TEST_CASE("snapshots spend the shared REST weight budget by their limit",
          "[book]") {
  book_config cfg;
  cfg.snapshot_limit = 5000; // weight 250
  backfill_config bf;
  bf.weight_budget_1m = 500; // two such snapshots per minute
  book_fixture f{cfg, bf};
  f.events(f.btc,
           {make_update("BTCUSDT", 11, 12, 99 * e8_scale, 102 * e8_scale)});
  f.rest.answer_last(200, snapshot_body(11));
  f.events(f.eth,
           {make_update("ETHUSDT", 11, 12, 99 * e8_scale, 102 * e8_scale)});
  f.rest.answer_last(200, snapshot_body(11));
  f.run();
  REQUIRE(f.rest.calls.size() == 2);
  CHECK(f.rest.calls[1].target.target
        == "/api/v3/depth?symbol=ETHUSDT&limit=5000");
  // A resync now has to wait until the first snapshot leaves the minute.
  f.events(f.btc,
           {make_update("BTCUSDT", 20, 21, 98 * e8_scale, 103 * e8_scale)});
  CHECK(f.rest.calls.size() == 2);
  f.advance(59000ms);
  CHECK(f.rest.calls.size() == 2);
  f.advance(1000ms);
  CHECK(f.rest.calls.size() == 3);
}

TEST_CASE("a snapshot goes ahead of queued gap pages", "[book]") {
  book_fixture f;
  // A gap of three pages is being filled when the book asks for its snapshot.
  auto gap_owner = f.keep_for_teardown(f.sys.spawn(gap_sink, 0));
  caf::send_as(gap_owner, f.backfill, backfill_request{"ETHUSDT", 1, 3000});
  f.run();
  REQUIRE(f.rest.calls.size() == 1); // page 1 in flight
  f.events(f.btc,
           {make_update("BTCUSDT", 11, 12, 99 * e8_scale, 102 * e8_scale)});
  CHECK(f.rest.calls.size() == 1); // one request at a time
  f.rest.answer_last(200, test::agg_trades_body(1, 1000));
  f.run();
  REQUIRE(f.rest.calls.size() == 2);
  CHECK(f.rest.calls[1].target.target
        == "/api/v3/depth?symbol=BTCUSDT&limit=1000");
  f.rest.answer_last(200, snapshot_body(12));
  f.run();
  REQUIRE(f.rest.calls.size() == 3);
  CHECK(f.rest.calls[2].target.target
        == "/api/v3/aggTrades?symbol=ETHUSDT&fromId=1001&limit=1000");
}

TEST_CASE("Binance's depth request weights follow the limit", "[book]") {
  CHECK(depth_request_weight(1) == 5);
  CHECK(depth_request_weight(100) == 5);
  CHECK(depth_request_weight(101) == 25);
  CHECK(depth_request_weight(500) == 25);
  CHECK(depth_request_weight(1000) == 50);
  CHECK(depth_request_weight(1001) == 250);
  CHECK(depth_request_weight(5000) == 250);
}
