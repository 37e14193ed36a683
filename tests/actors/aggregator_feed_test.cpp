// Tests of the aggregator's feed release: each id once, ascending, held behind open gaps.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "actors/aggregator_actor.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/trades.hpp"

using namespace sv;
using namespace std::chrono_literals;
using test::make_trade;
using test::trade_spec;

namespace {

/// Plays the feed actor: keeps every released_trades.
trade_release_sink_if::behavior_type
release_recorder(trade_release_sink_if::pointer /*self*/,
                 const std::shared_ptr<std::vector<released_trades>>& log) {
  return {
    [log](released_trades& x) { log->push_back(std::move(x)); },
  };
}

/// Plays the backfill actor: keeps the requests, answers none (the test does).
backfill_sink_if::behavior_type
request_recorder(backfill_sink_if::pointer /*self*/,
                 const std::shared_ptr<std::vector<backfill_request>>& log) {
  return {
    [log](backfill_request& x) { log->push_back(std::move(x)); },
  };
}

trade at(std::uint64_t id) {
  return make_trade(trade_spec{}.id(id).price_e8(100).qty_e8(1).time_ms(
    1'700'000'000'000 + static_cast<std::int64_t>(id)));
}

struct feed_fixture : test::actor_fixture {
  std::shared_ptr<std::vector<released_trades>> released
    = std::make_shared<std::vector<released_trades>>();
  std::shared_ptr<std::vector<backfill_request>> requests
    = std::make_shared<std::vector<backfill_request>>();
  aggregator_if agg;

  explicit feed_fixture(std::uint32_t gap_wait_ms = 10000) {
    aggregator_limits limits;
    limits.feed_gap_wait_ms = gap_wait_ms;
    spawn(std::move(limits));
  }

  /// `limits` with the recorders as feed and backfill.
  explicit feed_fixture(aggregator_limits limits) {
    spawn(std::move(limits));
  }

  void spawn(aggregator_limits limits) {
    limits.windows_follow_wall_clock = false;
    limits.feed = keep_for_teardown(sys.spawn(release_recorder, released));
    auto backfill = keep_for_teardown(sys.spawn(request_recorder, requests));
    agg = keep_for_teardown(sys.spawn(aggregator_actor, std::string{"BTCUSDT"},
                                      std::move(limits), backfill));
  }

  /// `recv_ns`: when the transport read the batch's frames (0: not stamped).
  void live(const std::vector<std::uint64_t>& ids, std::int64_t recv_ns = 0) {
    trade_batch b;
    b.symbol = "BTCUSDT";
    b.recv_ns = recv_ns;
    for (auto id : ids)
      b.trades.push_back(at(id));
    caf::anon_send(agg, std::move(b));
    run();
  }

  // Test helper: a gap's bounds, then its page.
  // NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
  void backfill(std::uint64_t from, std::uint64_t to,
                const std::vector<std::uint64_t>& ids) {
    backfill_batch b;
    b.symbol = "BTCUSDT";
    b.from_id = from;
    b.to_id = to;
    for (auto id : ids) {
      auto x = at(id);
      x.event_time_ms = x.trade_time_ms; // as REST fills it
      b.trades.push_back(x);
    }
    caf::anon_send(agg, std::move(b));
    run();
  }

  /// Every id released so far, in release order.
  std::vector<std::uint64_t> ids() const {
    std::vector<std::uint64_t> out;
    for (const auto& batch : *released)
      for (const auto& x : batch.trades)
        out.push_back(x.agg_id);
    return out;
  }

  std::uint64_t skipped() const {
    std::uint64_t n = 0;
    for (const auto& batch : *released)
      n += batch.skipped;
    return n;
  }
};

// Test helper: from..to, inclusive.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> out;
  for (auto id = from; id <= to; ++id)
    out.push_back(id);
  return out;
}

/// Now on the steady clock, as the transport stamps a read.
std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// The ids of one release.
std::vector<std::uint64_t> ids_of(const released_trades& r) {
  std::vector<std::uint64_t> out;
  for (const auto& x : r.trades)
    out.push_back(x.agg_id);
  return out;
}

} // namespace

TEST_CASE_METHOD(feed_fixture,
                 "live trades are released once each, duplicates never",
                 "[aggregator][feed]") {
  live({10, 11, 12});
  live({11, 12, 13});
  live({13, 14});
  CHECK(ids() == range(10, 14));
  CHECK(skipped() == 0);
}

TEST_CASE_METHOD(feed_fixture,
                 "trades behind a gap wait for its backfill, then come in id "
                 "order with the backfilled ones",
                 "[aggregator][feed]") {
  live({10, 11});
  live({15, 16}); // 12..14 missing
  REQUIRE(requests->size() == 1);
  CHECK(requests->front().from_id == 12);
  CHECK(ids() == range(10, 11));
  live({17});
  CHECK(ids() == range(10, 11));
  // A partial page releases what it fills, and nothing after the rest.
  backfill(12, 14, {12, 13});
  CHECK(ids() == range(10, 13));
  backfill(12, 14, {14});
  CHECK(ids() == range(10, 17));
  CHECK(skipped() == 0);
  // Backfilled trades carry E = T, as REST has no event time.
  for (const auto& batch : *released)
    for (const auto& x : batch.trades)
      if (x.agg_id >= 12 && x.agg_id <= 14)
        CHECK(x.event_time_ms == x.trade_time_ms);
}

TEST_CASE_METHOD(feed_fixture,
                 "a gap unfilled after feed_gap_wait_ms is passed: the trades "
                 "after it are released and the skip counted",
                 "[aggregator][feed]") {
  live({10});
  live({14, 15}); // 11..13 missing
  advance(9999ms);
  CHECK(ids() == range(10, 10));
  advance(1ms);
  CHECK(ids() == std::vector<std::uint64_t>{10, 14, 15});
  CHECK(skipped() == 3);
  // A late backfill fills the history but is never released out of order.
  backfill(11, 13, {11, 12, 13});
  live({16});
  CHECK(ids() == std::vector<std::uint64_t>{10, 14, 15, 16});
}

TEST_CASE_METHOD(feed_fixture,
                 "a failed backfill releases the trades after the gap",
                 "[aggregator][feed]") {
  live({10});
  live({14}); // 11..13 missing
  backfill(11, 13, {11});
  caf::anon_send(agg, backfill_failed{"BTCUSDT", 12, 13, "gave up"});
  run();
  CHECK(ids() == std::vector<std::uint64_t>{10, 11, 14});
  CHECK(skipped() == 2);
}

TEST_CASE_METHOD(feed_fixture,
                 "two gaps: the later one's fill waits for the earlier one",
                 "[aggregator][feed]") {
  live({10});
  live({12}); // 11 missing
  live({15}); // 13..14 missing
  backfill(13, 14, {13, 14});
  CHECK(ids() == range(10, 10));
  backfill(11, 11, {11});
  CHECK(ids() == range(10, 15));
}

TEST_CASE("a feed released from random gaps and fills equals the id range",
          "[aggregator][feed]") {
  // Live ids with random holes, fills in random order: the feed is always a prefix
  // of the full range, and the whole range once every gap is filled.
  feed_fixture f;
  std::uint64_t next = 100;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> gaps;
  std::uint64_t seed = 7;
  auto rnd = [&seed] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return seed >> 33U;
  };
  for (int i = 0; i < 200; ++i) {
    if (i > 0 && rnd() % 4 == 0) {
      auto hole = 1 + rnd() % 5;
      gaps.emplace_back(next, next + hole - 1);
      next += hole;
    }
    f.live({next++});
  }
  while (!gaps.empty()) {
    auto k = rnd() % gaps.size();
    f.backfill(gaps[k].first, gaps[k].second,
               range(gaps[k].first, gaps[k].second));
    gaps.erase(gaps.begin() + static_cast<std::ptrdiff_t>(k));
    auto got = f.ids();
    REQUIRE(got == range(100, 100 + got.size() - 1));
  }
  CHECK(f.ids() == range(100, next - 1));
  CHECK(f.skipped() == 0);
}

TEST_CASE_METHOD(feed_fixture,
                 "a release caused by a live batch carries that batch's "
                 "recv_ns, one caused by a backfill carries 0",
                 "[aggregator][feed]") {
  auto t0 = steady_ns();
  live({10, 11}, t0);
  live({15}, t0 + 1000); // 12..14 missing: 15 waits
  backfill(12, 14, {12, 13, 14});
  live({16}, t0 + 2000);
  live({16}, t0 + 3000); // a duplicate applies nothing and releases nothing
  REQUIRE(released->size() == 3);
  CHECK(ids_of(released->at(0)) == range(10, 11));
  CHECK(released->at(0).recv_ns == t0);
  // The backfill released 15 too, though 15 came live: its frame's time is
  // not this release's cause.
  CHECK(ids_of(released->at(1)) == range(12, 15));
  CHECK(released->at(1).recv_ns == 0);
  CHECK(ids_of(released->at(2)) == range(16, 16));
  CHECK(released->at(2).recv_ns == t0 + 2000);
}

TEST_CASE_METHOD(feed_fixture,
                 "a release caused by the gap timer or a failed backfill "
                 "carries recv_ns 0",
                 "[aggregator][feed]") {
  auto t0 = steady_ns();
  live({10}, t0);
  live({14}, t0 + 1000); // 11..13 missing
  advance(10000ms);      // given up: 14 released by the timer
  live({16}, t0 + 2000); // 15 missing
  caf::anon_send(agg, backfill_failed{"BTCUSDT", 15, 15, "gave up"});
  run();
  live({17}, t0 + 3000);
  REQUIRE(released->size() == 4);
  CHECK(released->at(0).recv_ns == t0);
  CHECK(ids_of(released->at(1)) == std::vector<std::uint64_t>{14});
  CHECK(released->at(1).recv_ns == 0);
  CHECK(ids_of(released->at(2)) == std::vector<std::uint64_t>{16});
  CHECK(released->at(2).recv_ns == 0);
  CHECK(ids_of(released->at(3)) == std::vector<std::uint64_t>{17});
  CHECK(released->at(3).recv_ns == t0 + 3000);
}

namespace {

/// An aggregator that takes a symbol over from another instance, which
/// published up to id 100.
aggregator_limits handover_limits() {
  aggregator_limits limits;
  limits.resume_after_id = 100;
  return limits;
}

} // namespace

TEST_CASE("a shard hand-over backfills from the last published id and "
          "releases from the id after it",
          "[aggregator][feed][shard]") {
  feed_fixture f{handover_limits()};
  f.live(range(150, 160));
  REQUIRE(f.requests->size() == 1);
  CHECK(f.requests->at(0).from_id == 101);
  CHECK(f.requests->at(0).to_id == 149);
  CHECK(f.ids().empty()); // held behind the hand-over gap
  f.backfill(101, 149, range(101, 149));
  CHECK(f.ids() == range(101, 160));
  CHECK(f.skipped() == 0);
}

TEST_CASE("a hand-over's gap is passed after the gap wait like any gap",
          "[aggregator][feed][shard]") {
  auto limits = handover_limits();
  limits.feed_gap_wait_ms = 1000;
  feed_fixture f{limits};
  f.live(range(150, 152));
  f.advance(1s);
  CHECK(f.ids() == range(150, 152));
  CHECK(f.skipped() == 49);
}

TEST_CASE("with a warm start, a hand-over warms up below its gap",
          "[aggregator][feed][shard]") {
  auto limits = handover_limits();
  limits.warmup_s = 60;
  feed_fixture f{limits};
  f.live(range(150, 160));
  REQUIRE(f.requests->size() == 2);
  auto& handover = f.requests->at(0);
  auto& warmup = f.requests->at(1);
  CHECK(handover.from_id == 101);
  CHECK(warmup.from_id == 0);
  CHECK(warmup.to_id == 100);
  CHECK(warmup.start_time_ms >= 0);
  f.backfill(0, 100, range(40, 100)); // the warm start: before the feed
  CHECK(f.ids().empty());
  f.backfill(101, 149, range(101, 149));
  CHECK(f.ids() == range(101, 160));
}

TEST_CASE("a hand-over too far back for the history, or already passed, "
          "starts at the first live trade",
          "[aggregator][feed][shard]") {
  SECTION("more ids than history_trades_max") {
    auto limits = handover_limits();
    limits.trades_max = 20;
    feed_fixture f{limits};
    f.live(range(150, 155));
    CHECK(f.requests->empty());
    CHECK(f.ids() == range(150, 155));
  }
  SECTION("the stream is ahead of the first live trade") {
    auto limits = handover_limits();
    limits.resume_after_id = 200;
    feed_fixture f{limits};
    f.live(range(150, 155));
    CHECK(f.requests->empty());
    CHECK(f.ids() == range(150, 155));
  }
}
