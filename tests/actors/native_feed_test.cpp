// Tests of the native feed (/v1/feed): the real feed actor with a real aggregator,
// a fake book and a fake supervisor on the deterministic scheduler.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "actors/aggregator_actor.hpp"
#include "actors/feed_actor.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_feed_writer.hpp"
#include "tests/support/trades.hpp"

using namespace sv;
using namespace std::chrono_literals;
using test::make_trade;
using test::trade_spec;

namespace {

constexpr std::uint64_t client = 7;

/// Plays the backfill actor: takes the requests, answers none (the test does).
backfill_sink_if::behavior_type
ignore_requests(backfill_sink_if::pointer /*self*/, int /*caf 0.17 quirk*/) {
  return {[](backfill_request&) {}};
}

/// Plays a book actor: answers book_atom with the view the test sets.
book_if::behavior_type fake_book(book_if::pointer /*self*/,
                                 const std::shared_ptr<book_view>& view) {
  return {
    [](depth_batch&) {},
    [](depth_snapshot&) {},
    [](depth_snapshot_failed&) {},
    [](snapshot_retry_atom, std::uint64_t) {},
    [view](book_atom, std::uint32_t) { return *view; },
  };
}

/// Plays the supervisor for heartbeats: answers status_atom.
supervisor_if::behavior_type
fake_supervisor(supervisor_if::pointer /*self*/,
                const std::shared_ptr<std::vector<child_status>>& children) {
  return {
    [](child_report&) {},
    [](start_atom, std::string&, stream_kind) { return true; },
    [](start_atom, std::string&, stream_kind, stream_sinks&) { return true; },
    [](remove_atom, std::string&) { return std::uint32_t{0}; },
    [](remove_deadline_atom, std::string&) {},
    [](reload_atom, std::uint32_t, std::map<std::string, std::uint32_t>&) {},
    [children](status_atom) { return *children; },
    [](metrics_atom) { return supervisor_metrics{}; },
    [](connect_deadline_atom, std::string&, std::uint64_t) {},
    [](restart_atom, std::string&, std::uint64_t) {},
    [](budget_tick_atom) {},
    [](stop_atom) {},
    [](shutdown_deadline_atom) {},
  };
}

trade at(std::uint64_t id) {
  // 100 ms apart: ids 1..9 fall in the second 1'700'000'000, 10..19 in the next.
  return make_trade(
    trade_spec{}
      .id(id)
      .price_e8(6'000'000'000'000 + static_cast<std::int64_t>(id))
      .qty_e8(100'000'000)
      .time_ms(1'700'000'000'000 + static_cast<std::int64_t>(id) * 100)
      .buyer_is_maker(id % 2 == 0));
}

// Test helper: price, then quantity, as Binance lists a level.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
price_level level(std::int64_t price, std::int64_t qty) {
  price_level x;
  x.price_e8 = price;
  x.qty_e8 = qty;
  return x;
}

struct native_fixture : test::actor_fixture {
  test::fake_feed_writer writer;
  std::shared_ptr<book_view> view = std::make_shared<book_view>();
  std::shared_ptr<std::vector<child_status>> children
    = std::make_shared<std::vector<child_status>>();
  feed_if feed;
  aggregator_if agg;

  // Test helper: the history's size, then the heartbeat's interval.
  // NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
  explicit native_fixture(std::uint32_t trades_max = 100000,
                          std::uint32_t heartbeat_ms = 1000) {
    feed_config c;
    c.writer = &writer;
    c.heartbeat_ms = heartbeat_ms;
    c.symbols = {"BTCUSDT"};
    c.book_symbols = {"BTCUSDT"};
    c.conflate_bytes = 1000;
    feed = keep_for_teardown(sys.spawn(feed_actor, c));
    aggregator_limits limits;
    limits.windows_follow_wall_clock = false;
    limits.trades_max = trades_max;
    limits.feed = caf::actor_cast<trade_release_sink_if>(feed);
    limits.feed_gap_wait_ms = 10000;
    auto backfill = keep_for_teardown(sys.spawn(ignore_requests, 0));
    agg = keep_for_teardown(
      sys.spawn(aggregator_actor, std::string{"BTCUSDT"}, limits, backfill));
    auto book = keep_for_teardown(sys.spawn(fake_book, view));
    symbol_table table;
    table.symbols = {"BTCUSDT"};
    table.aggregators["BTCUSDT"] = agg;
    table.books["BTCUSDT"] = book;
    caf::anon_send(feed, table);
    caf::anon_send(feed,
                   keep_for_teardown(sys.spawn(fake_supervisor, children)));
    caf::anon_send(feed, feed_opened{client, "/v1/feed", "", "127.0.0.1"});
    run();
  }

  // Test helper: ids from..to, inclusive.
  // NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
  void live(std::uint64_t from, std::uint64_t to, bool run_now = true) {
    trade_batch b;
    b.symbol = "BTCUSDT";
    for (auto id = from; id <= to; ++id)
      b.trades.push_back(at(id));
    caf::anon_send(agg, std::move(b));
    if (run_now)
      run();
  }

  void text(const std::string& t, bool run_now = true) {
    caf::anon_send(feed, feed_text{client, t});
    if (run_now)
      run();
  }

  void depth(std::uint64_t first, std::uint64_t final_id) {
    released_depth r;
    r.symbol = "BTCUSDT";
    depth_update u;
    u.symbol = "BTCUSDT";
    u.first_update_id = first;
    u.final_update_id = final_id;
    u.bids = {level(100, static_cast<std::int64_t>(final_id))};
    r.updates.push_back(u);
    caf::anon_send(feed, r);
    run();
  }

  /// The messages sent so far, parsed, and forgotten.
  std::vector<std::shared_ptr<rapidjson::Document>> take() {
    std::vector<std::shared_ptr<rapidjson::Document>> out;
    for (const auto& t : writer.take(client)) {
      auto d = std::make_shared<rapidjson::Document>();
      d->Parse(t.c_str());
      REQUIRE_FALSE(d->HasParseError());
      out.push_back(d);
    }
    return out;
  }
};

std::string type_of(const rapidjson::Document& d) {
  return d["type"].GetString();
}

/// What a trades subscription delivered: trade ids, and each gap as -from,-to.
struct trade_log {
  std::vector<std::int64_t> events;
  std::uint64_t last_seq = 0;
  bool seq_ok = true;
  bool live = false;
};

void follow(trade_log& log,
            const std::vector<std::shared_ptr<rapidjson::Document>>& msgs) {
  for (const auto& m : msgs) {
    auto type = type_of(*m);
    if (type == "subscribed" || type == "heartbeat")
      continue;
    auto seq = (*m)["seq"].GetUint64();
    log.seq_ok = log.seq_ok && seq == log.last_seq + 1;
    log.last_seq = seq;
    if (type == "trade")
      log.events.push_back((*m)["data"]["a"].GetInt64());
    else if (type == "gap") {
      log.events.push_back(-(*m)["from_id"].GetInt64());
      log.events.push_back(-(*m)["to_id"].GetInt64());
    } else if (type == "live")
      log.live = true;
  }
}

// Test helper: from..to, inclusive.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
std::vector<std::int64_t> ids(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  for (auto id = from; id <= to; ++id)
    out.push_back(id);
  return out;
}

} // namespace

TEST_CASE_METHOD(native_fixture,
                 "a live trades subscription gets each released trade once, "
                 "numbered 1, 2, 3, ... in the Binance aggTrade shape") {
  live(1, 3);
  text(R"({"op":"subscribe","id":1,"channel":"trades","symbol":"btcusdt"})");
  auto answer = take();
  REQUIRE(answer.size() == 1);
  CHECK(type_of(*answer[0]) == "subscribed");
  CHECK((*answer[0])["id"].GetUint64() == 1);
  CHECK((*answer[0])["symbol"].GetString() == std::string{"BTCUSDT"});
  auto sub = (*answer[0])["sub"].GetUint64();
  live(4, 6);
  auto msgs = take();
  REQUIRE(msgs.size() == 3);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    CHECK((*msgs[i])["sub"].GetUint64() == sub);
    CHECK((*msgs[i])["seq"].GetUint64() == i + 1);
    const auto& data = (*msgs[i])["data"];
    CHECK(data["e"].GetString() == std::string{"aggTrade"});
    CHECK(data["a"].GetUint64() == 4 + i);
    CHECK(data["p"].GetString() == "60000.0000000" + std::to_string(4 + i));
    CHECK(data["q"].GetString() == std::string{"1.00000000"});
  }
}

TEST_CASE_METHOD(native_fixture,
                 "a resume delivers every trade from its id once, in order, "
                 "also while new trades are released during it") {
  live(1, 2500);
  // The subscribe and more live trades race: whatever the order, the pages and
  // the live trades meet without a hole or a repeat.
  text(
    R"({"op":"subscribe","channel":"trades","symbol":"BTCUSDT","from_id":10})",
    false);
  live(2501, 2600, false);
  run();
  live(2601, 2610);
  trade_log log;
  follow(log, take());
  CHECK(log.seq_ok);
  CHECK(log.live);
  CHECK(log.events == ids(10, 2610));
  CHECK(state_of<feed_state>(feed).totals.resumes == 1);
}

TEST_CASE_METHOD(native_fixture,
                 "gaps the aggregator gives up reach native clients as gap "
                 "messages, live and on resume") {
  live(1, 5);
  text(R"({"op":"subscribe","channel":"trades","symbol":"BTCUSDT"})");
  take();
  live(9, 10); // 6..8 missing: held until the gap wait is over
  CHECK(take().empty());
  advance(10001ms);
  trade_log log;
  follow(log, take());
  CHECK(log.events == std::vector<std::int64_t>{-6, -8, 9, 10});
  text(
    R"({"op":"subscribe","channel":"trades","symbol":"BTCUSDT","from_id":7})");
  trade_log resumed;
  follow(resumed, take());
  CHECK(resumed.events == std::vector<std::int64_t>{-7, -8, 9, 10});
  CHECK(resumed.live);
}

TEST_CASE("a resume from before the history is refused with the oldest id held",
          "[feed]") {
  native_fixture f{100};
  f.live(1, 300);
  f.text(
    R"({"op":"subscribe","id":4,"channel":"trades","symbol":"BTCUSDT","from_id":5})");
  auto msgs = f.take();
  REQUIRE(msgs.size() == 1);
  CHECK(type_of(*msgs[0]) == "error");
  CHECK((*msgs[0])["code"].GetString() == std::string{"not_held"});
  CHECK((*msgs[0])["oldest_id"].GetUint64() == 201);
  CHECK((*msgs[0])["id"].GetUint64() == 4);
  // A resume from the oldest id held works.
  f.text(
    R"({"op":"subscribe","channel":"trades","symbol":"BTCUSDT","from_id":201})");
  trade_log log;
  follow(log, f.take());
  CHECK(log.events == ids(201, 300));
}

TEST_CASE_METHOD(native_fixture,
                 "requests for what is not served are refused by name") {
  text(R"({"op":"subscribe","id":2,"channel":"trades","symbol":"XRPUSDT"})");
  text(R"({"op":"subscribe","id":3,"channel":"candles","symbol":"BTCUSDT"})");
  text(R"({"op":"unsubscribe","id":4,"sub":99})");
  text("not json");
  auto msgs = take();
  REQUIRE(msgs.size() == 4);
  CHECK((*msgs[0])["code"].GetString() == std::string{"unknown_symbol"});
  CHECK(std::string{(*msgs[0])["message"].GetString()}.find("BTCUSDT")
        != std::string::npos);
  CHECK((*msgs[1])["code"].GetString() == std::string{"bad_request"});
  CHECK((*msgs[2])["code"].GetString() == std::string{"unknown_sub"});
  CHECK((*msgs[3])["code"].GetString() == std::string{"bad_request"});
}

TEST_CASE_METHOD(native_fixture,
                 "a book subscription gets a snapshot, the deltas after it, "
                 "and a fresh snapshot after a resync") {
  view->state = book_phase::synced;
  view->last_update_id = 100;
  view->bids = {level(99, 1)};
  text(R"({"op":"subscribe","channel":"book","symbol":"BTCUSDT"})");
  auto msgs = take();
  REQUIRE(msgs.size() == 2);
  CHECK(type_of(*msgs[1]) == "snapshot");
  CHECK((*msgs[1])["seq"].GetUint64() == 1);
  CHECK((*msgs[1])["data"]["lastUpdateId"].GetUint64() == 100);
  CHECK_FALSE((*msgs[1])["conflated"].GetBool());
  depth(95, 100); // already in the snapshot
  depth(101, 104);
  msgs = take();
  REQUIRE(msgs.size() == 1);
  CHECK(type_of(*msgs[0]) == "delta");
  CHECK((*msgs[0])["seq"].GetUint64() == 2);
  CHECK((*msgs[0])["data"]["U"].GetUint64() == 101);
  // The book resynced: the next event jumps.
  view->last_update_id = 300;
  depth(290, 300);
  msgs = take();
  REQUIRE(msgs.size() == 2);
  CHECK(type_of(*msgs[0]) == "resync");
  CHECK(type_of(*msgs[1]) == "snapshot");
  CHECK((*msgs[1])["seq"].GetUint64() == 4);
  CHECK((*msgs[1])["data"]["lastUpdateId"].GetUint64() == 300);
  depth(301, 301);
  msgs = take();
  REQUIRE(msgs.size() == 1);
  CHECK((*msgs[0])["data"]["u"].GetUint64() == 301);
}

TEST_CASE_METHOD(native_fixture,
                 "a backlogged book client gets no deltas, then one snapshot "
                 "marked conflated once its queue drains") {
  view->state = book_phase::synced;
  view->last_update_id = 100;
  text(R"({"op":"subscribe","channel":"book","symbol":"BTCUSDT"})");
  take();
  writer.backlog[client] = 5000;
  depth(101, 101);
  depth(102, 102);
  CHECK(take().empty());
  writer.backlog[client] = 0;
  view->last_update_id = 103;
  depth(103, 103);
  auto msgs = take();
  REQUIRE(msgs.size() == 1);
  CHECK(type_of(*msgs[0]) == "snapshot");
  CHECK((*msgs[0])["conflated"].GetBool());
  CHECK((*msgs[0])["seq"].GetUint64() == 2);
  CHECK(state_of<feed_state>(feed).totals.conflated == 1);
}

TEST_CASE_METHOD(
  native_fixture,
  "metrics go out at most once per interval, none while "
  "backlogged; heartbeats carry the subscribed streams' states") {
  live(1, 3);
  text(R"({"op":"subscribe","channel":"metrics","symbol":"BTCUSDT"})");
  take();
  child_status btc;
  btc.symbol = "BTCUSDT";
  btc.state = child_state::streaming;
  btc.last_message_age_ms = 12;
  child_status eth;
  eth.symbol = "ETHUSDT";
  children->assign({btc, eth});
  advance(1000ms);
  auto msgs = take();
  std::vector<std::string> types;
  types.reserve(msgs.size());
  for (const auto& m : msgs)
    types.push_back(type_of(*m));
  CHECK(std::count(types.begin(), types.end(), "metrics") == 1);
  REQUIRE(std::count(types.begin(), types.end(), "heartbeat") == 1);
  for (const auto& m : msgs)
    if (type_of(*m) == "metrics") {
      CHECK((*m)["seq"].GetUint64() == 1);
      CHECK((*m)["data"]["last_trade_id"].GetUint64() == 3);
    } else {
      const auto& streams = (*m)["streams"];
      REQUIRE(streams.Size() == 1);
      CHECK(streams[0]["symbol"].GetString() == std::string{"BTCUSDT"});
      CHECK(streams[0]["state"].GetString() == std::string{"streaming"});
      CHECK(streams[0]["last_message_age_ms"].GetInt64() == 12);
    }
  writer.backlog[client] = 5000;
  advance(1000ms);
  for (const auto& m : take())
    CHECK(type_of(*m) == "heartbeat");
  CHECK(state_of<feed_state>(feed).totals.conflated == 1);
}

TEST_CASE_METHOD(native_fixture,
                 "a bars subscription gets each closed 1s bar with exact "
                 "decimals") {
  live(1, 5);
  text(
    R"({"op":"subscribe","channel":"bars","symbol":"BTCUSDT","interval":"1s"})");
  take();
  live(6, 12); // 10 opens the next second: the bar of 1..9 closes
  auto msgs = take();
  REQUIRE(msgs.size() == 1);
  const auto& bar = (*msgs[0])["data"];
  CHECK(bar["i"].GetString() == std::string{"1s"});
  CHECK(bar["t"].GetInt64() == 1'700'000'000'000);
  CHECK(bar["o"].GetString() == std::string{"60000.00000001"});
  CHECK(bar["h"].GetString() == std::string{"60000.00000009"});
  CHECK(bar["c"].GetString() == std::string{"60000.00000009"});
  CHECK(bar["v"].GetString() == std::string{"9.00000000"});
  // Even ids were sold by the taker (m true): 2, 4, 6, 8.
  CHECK(bar["sv"].GetString() == std::string{"4.00000000"});
  CHECK(bar["qv"].GetString() == std::string{"540000.0000004500000000"});
  CHECK(bar["vwap"].GetString() == std::string{"60000.00000005"});
  CHECK(bar["n"].GetUint64() == 9);
  // The first bar began before the first trade the feed saw.
  CHECK_FALSE(bar["complete"].GetBool());
  live(13, 20);
  msgs = take();
  REQUIRE(msgs.size() == 1);
  CHECK((*msgs[0])["data"]["complete"].GetBool());
  CHECK((*msgs[0])["data"]["first_id"].GetUint64() == 10);
  CHECK((*msgs[0])["seq"].GetUint64() == 2);
}

TEST_CASE_METHOD(native_fixture,
                 "an unsubscribed subscription gets nothing more") {
  text(R"({"op":"subscribe","channel":"trades","symbol":"BTCUSDT"})");
  auto sub = (*take()[0])["sub"].GetUint64();
  text(R"({"op":"unsubscribe","id":9,"sub":)" + std::to_string(sub) + "}");
  auto msgs = take();
  REQUIRE(msgs.size() == 1);
  CHECK(type_of(*msgs[0]) == "unsubscribed");
  live(1, 3);
  CHECK(take().empty());
}

TEST_CASE("a resume waits for its client's queue between pages", "[feed]") {
  native_fixture f{100000};
  f.live(1, 2500);
  f.writer.backlog[client] = 5000; // behind: past conflate_bytes (1000)
  f.text(
    R"({"op":"subscribe","channel":"trades","symbol":"BTCUSDT","from_id":1})");
  trade_log log;
  follow(log, f.take());
  CHECK(log.events == ids(1, 1000)); // one page, then it waits
  CHECK_FALSE(log.live);
  f.advance(1000ms); // a heartbeat looks again: still behind
  follow(log, f.take());
  CHECK(log.events.size() == 1000);
  f.writer.backlog[client] = 0;
  f.live(2501, 2510); // a release looks again: drained
  follow(log, f.take());
  CHECK(log.seq_ok);
  CHECK(log.live);
  CHECK(log.events == ids(1, 2510));
}

TEST_CASE("a resume whose next page was evicted meanwhile ends with not_held",
          "[feed]") {
  native_fixture f{1500};
  f.live(1, 1500);
  f.writer.backlog[client] = 5000;
  f.text(
    R"({"op":"subscribe","channel":"trades","symbol":"BTCUSDT","from_id":1})");
  trade_log log;
  follow(log, f.take());
  REQUIRE(log.events == ids(1, 1000));
  f.live(1501, 2600); // the history now starts at 1101
  f.writer.backlog[client] = 0;
  f.advance(1000ms);
  auto msgs = f.take();
  auto error = std::find_if(msgs.begin(), msgs.end(), [](const auto& m) {
    return type_of(*m) == "error";
  });
  REQUIRE(error != msgs.end());
  CHECK((**error)["code"].GetString() == std::string{"not_held"});
  CHECK((**error)["oldest_id"].GetUint64() == 1101);
  f.live(2601, 2602);
  for (const auto& m : f.take())
    CHECK(type_of(*m) != "trade"); // the subscription is gone
}

TEST_CASE_METHOD(native_fixture,
                 "a resume before anything is released, or past it, is "
                 "refused") {
  text(
    R"({"op":"subscribe","id":1,"channel":"trades","symbol":"BTCUSDT","from_id":5})");
  auto msgs = take();
  REQUIRE(msgs.size() == 1);
  CHECK((*msgs[0])["code"].GetString() == std::string{"not_held"});
  live(1, 10);
  text(
    R"({"op":"subscribe","id":2,"channel":"trades","symbol":"BTCUSDT","from_id":50})");
  msgs = take();
  REQUIRE(msgs.size() == 1);
  CHECK((*msgs[0])["code"].GetString() == std::string{"bad_request"});
  CHECK(std::string{(*msgs[0])["message"].GetString()}.find("(10)")
        != std::string::npos);
  // The next id is fine: nothing to read back, live at once.
  text(
    R"({"op":"subscribe","id":3,"channel":"trades","symbol":"BTCUSDT","from_id":11})");
  live(11, 12);
  trade_log log;
  follow(log, take());
  CHECK(log.live);
  CHECK(log.events == ids(11, 12));
}

TEST_CASE_METHOD(
  native_fixture,
  "subscriptions of a symbol that is removed end with an error") {
  text(R"({"op":"subscribe","channel":"trades","symbol":"BTCUSDT"})");
  text(R"({"op":"subscribe","channel":"metrics","symbol":"BTCUSDT"})");
  take();
  symbol_table none;
  caf::anon_send(feed, none);
  run();
  auto msgs = take();
  REQUIRE(msgs.size() == 2);
  for (const auto& m : msgs) {
    CHECK((*m)["code"].GetString() == std::string{"unknown_symbol"});
    CHECK(std::string{(*m)["message"].GetString()}.find("ended")
          != std::string::npos);
  }
  CHECK(state_of<feed_state>(feed).native_subs.empty());
}

TEST_CASE("a client that leaves and comes back between two timers leaves one "
          "heartbeat chain",
          "[feed]") {
  // Heartbeats every 1.5 s, metrics every 1 s: the metrics timer stops the
  // timers at 1 s while the old heartbeat is still pending at 1.5 s.
  native_fixture f{100000, 1500};
  caf::anon_send(f.feed, feed_closed{client, 1000, ""});
  f.advance(1000ms);
  caf::anon_send(f.feed, feed_opened{client, "/v1/feed", "", "127.0.0.1"});
  f.run();
  f.take();
  // To 6 s in steps (a timer re-armed while the clock jumps would count from the
  // jump's end): the new chain beats at 2.5, 4 and 5.5 s.
  for (int i = 0; i < 10; ++i)
    f.advance(500ms);
  auto msgs = f.take();
  auto beats = std::count_if(msgs.begin(), msgs.end(), [](const auto& m) {
    return type_of(*m) == "heartbeat";
  });
  CHECK(beats == 3);
}
