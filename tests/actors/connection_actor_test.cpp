// Tests of connection_actor alone: a recorder stands in for the supervisor.
#include <catch2/catch.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/connection_actor.hpp"
#include "messages/errc.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/frames.hpp"

using namespace sv;
using namespace std::chrono_literals;

namespace {

struct recorder_state {
  std::vector<child_report> reports;
};

using recorder_if = child_report_sink_if;

// The unused argument sidesteps a CAF 0.17.6 quirk: spawning a function actor with
// no arguments binds a reference to a null shared_ptr, which UBSan rejects.
recorder_if::behavior_type
report_recorder(recorder_if::stateful_pointer<recorder_state> self, int) {
  return {
    [=](child_report& r) { self->state.reports.push_back(std::move(r)); }};
}

struct depth_recorder_state {
  std::vector<depth_update> updates;
};

/// Stands in for a book actor: records every depth event it is sent.
depth_sink_if::behavior_type
depth_recorder(depth_sink_if::stateful_pointer<depth_recorder_state> self,
               int) {
  return {[=](depth_batch& b) {
    for (auto& u : b.updates)
      self->state.updates.push_back(std::move(u));
  }};
}

struct connection_fixture : test::actor_fixture {
  recorder_if recorder = keep_for_teardown(sys.spawn(report_recorder, 0));
  depth_sink_if book = keep_for_teardown(sys.spawn(depth_recorder, 0));
  aggregator_if aggregator
    = keep_for_teardown(sys.spawn(aggregator_actor, std::string{"BTCUSDT"},
                                  aggregator_limits{}, backfill_sink_if{}));
  connection_if conn;
  caf::scoped_actor watcher{sys};

  void spawn_connection(std::int64_t max_age_ms = 0,
                        stream_kind stream = stream_kind::agg_trade) {
    connection_args args;
    args.max_connection_age_ms = max_age_ms;
    args.rotation_timeout_ms = 5000;
    args.symbol = "BTCUSDT";
    args.stream = stream;
    args.target = ws_target{endpoint{true, "stream.example", 9443, ""},
                            "/ws/btcusdt@" + binance_stream_name(stream)};
    args.conn_id = 7;
    args.attempt = 3;
    conn = keep_for_teardown(sys.spawn(
      connection_actor, args, static_cast<ws_client*>(&ws), recorder,
      stream_sinks{caf::actor_cast<trade_sink_if>(aggregator), book}));
    watcher->monitor(conn);
    run();
  }

  std::vector<connection_phase> phases() {
    std::vector<connection_phase> result;
    for (auto& r : state_of<recorder_state>(recorder).reports)
      result.push_back(r.phase);
    return result;
  }

  std::vector<std::pair<std::uint64_t, std::uint64_t>> depth_ranges() {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> result;
    for (auto& u : state_of<depth_recorder_state>(book).updates)
      result.emplace_back(u.first_update_id, u.final_update_id);
    return result;
  }

  caf::error down_reason() {
    caf::error reason;
    bool down = false;
    watcher->receive(
      [&](caf::down_msg& dm) {
        down = true;
        reason = dm.reason;
      },
      caf::after(std::chrono::seconds(0)) >> [] {});
    if (!down)
      throw std::runtime_error("actor is still alive");
    return reason;
  }
};

} // namespace

TEST_CASE_METHOD(
  connection_fixture,
  "a connection opens its target once and streams decoded trades "
  "to its aggregator",
  "[connection]") {
  spawn_connection();
  REQUIRE(ws.opened.size() == 1);
  CHECK(ws.opened[0].id == 7);
  CHECK(ws.opened[0].target.path == "/ws/btcusdt@aggTrade");
  ws.inject_opened(7);
  run();
  CHECK(phases().empty()); // upgraded is not streaming: no frame yet
  ws.inject_frames(7, {test::agg_trade_frame("BTCUSDT", 10, "91436.75000000",
                                             "0.00024000", true),
                       test::agg_trade_frame("BTCUSDT", 11, "91436.76000000",
                                             "1.50000000", false)});
  run();
  CHECK(phases() == std::vector<connection_phase>{connection_phase::streaming});
  auto m = ask<metrics_snapshot>(aggregator, metrics_atom::value);
  CHECK(m.trades == 2);
  CHECK(m.last_trade_id == 11);
  CHECK(from_wide(m.sell_volume_e8) == 24000);
  CHECK(from_wide(m.buy_volume_e8) == 150000000);
  auto st = ask<connection_status>(conn, status_atom::value);
  CHECK(st.attempt == 3);
  CHECK(st.counters.frames == 2);
  CHECK(st.counters.trades == 2);
}

TEST_CASE_METHOD(connection_fixture,
                 "a closed socket ends the actor with connection_closed after "
                 "reporting why",
                 "[connection]") {
  spawn_connection();
  ws.inject_closed(7, "connection refused", 0, false);
  run();
  CHECK(phases() == std::vector<connection_phase>{connection_phase::closed});
  CHECK(state_of<recorder_state>(recorder).reports.back().detail
        == "connection refused");
  CHECK(down_reason() == errc::connection_closed);
}

TEST_CASE_METHOD(connection_fixture,
                 "stop sends a close and the actor exits normally once the "
                 "transport confirms, keeping frames that arrive meanwhile",
                 "[connection]") {
  spawn_connection();
  ws.inject_opened(7);
  ws.inject_frames(
    7, {test::agg_trade_frame("BTCUSDT", 1, "1.00000000", "1.00000000", true)});
  run();
  caf::anon_send(conn, stop_atom::value);
  run();
  CHECK(ws.closed == std::vector<std::uint64_t>{7});
  ws.inject_frames(
    7, {test::agg_trade_frame("BTCUSDT", 2, "1.00000000", "1.00000000", true)});
  ws.inject_closed(7, "closed by client", 1000);
  run();
  CHECK(phases()
        == std::vector<connection_phase>{connection_phase::streaming,
                                         connection_phase::closing,
                                         connection_phase::closed});
  CHECK(!down_reason());
  CHECK(ask<metrics_snapshot>(aggregator, metrics_atom::value).trades == 2);
}

TEST_CASE_METHOD(connection_fixture,
                 "a connection killed from outside still closes its socket",
                 "[connection]") {
  spawn_connection();
  caf::anon_send_exit(conn, caf::exit_reason::kill);
  run();
  CHECK(ws.closed == std::vector<std::uint64_t>{7});
}

TEST_CASE_METHOD(connection_fixture,
                 "events for another connection id are ignored",
                 "[connection]") {
  spawn_connection();
  ws.listeners[8] = ws.listeners.at(7);
  ws.inject_closed(8, "not mine");
  run();
  CHECK(phases().empty());
  CHECK(ask<connection_status>(conn, status_atom::value).phase
        == connection_phase::connecting);
}

TEST_CASE_METHOD(connection_fixture,
                 "frames of another symbol are decode errors, not trades",
                 "[connection]") {
  spawn_connection();
  ws.inject_opened(7);
  ws.inject_frames(
    7, {test::agg_trade_frame("ETHUSDT", 1, "1.00000000", "1.00000000", true)});
  run();
  auto st = ask<connection_status>(conn, status_atom::value);
  CHECK(st.counters.decode_errors == 1);
  CHECK(st.counters.trades == 0);
  CHECK(ask<metrics_snapshot>(aggregator, metrics_atom::value).trades == 0);
}

// -- silence watchdog ---------------------------------------------------------------

TEST_CASE_METHOD(connection_fixture,
                 "the watchdog ends a stream that never sends its first frame "
                 "after the upgrade, and status queries do not reset it",
                 "[connection][watchdog]") {
  spawn_connection(); // silence_timeout_ms 30000 by default
  ws.inject_opened(7);
  run();
  for (int i = 0; i < 29; ++i) {
    advance(1000ms);
    CHECK(ask<connection_status>(conn, status_atom::value).phase
          == connection_phase::connecting);
  }
  CHECK(ws.closed.empty());
  advance(1000ms); // 30 s silent
  advance(3000ms); // the watchdog looks every 3 s (a tenth of the timeout)
  CHECK(ws.closed == std::vector<std::uint64_t>{7});
  CHECK(down_reason() == errc::silence_timeout);
  CHECK_THAT(state_of<recorder_state>(recorder).reports.back().detail,
             Catch::Contains("no first frame"));
}

TEST_CASE_METHOD(
  connection_fixture,
  "the watchdog ends a streaming connection that goes silent, and "
  "not while frames keep coming",
  "[connection][watchdog]") {
  spawn_connection();
  ws.inject_opened(7);
  run();
  for (std::uint64_t i = 1; i <= 100; ++i) {
    ws.inject_frames(7, {test::agg_trade_frame("BTCUSDT", i, "1.00000000",
                                               "1.00000000", true)});
    advance(1000ms); // one frame a second for 100 s: never silent for 30 s
  }
  CHECK(ws.closed.empty());
  advance(29000ms);
  CHECK(ws.closed.empty());
  advance(4000ms);
  CHECK(ws.closed == std::vector<std::uint64_t>{7});
  CHECK(down_reason() == errc::silence_timeout);
}

// -- rotation -------------------------------------------------------------------------

namespace {

std::vector<std::string> frames(std::uint64_t first, std::uint64_t last) {
  std::vector<std::string> result;
  for (auto id = first; id <= last; ++id)
    result.push_back(test::agg_trade_frame("BTCUSDT", id, "1.00000000",
                                           "1.00000000", id % 2 == 0));
  return result;
}

constexpr std::uint64_t rotated_id = 7
                                     + (std::uint64_t{1} << rotation_id_shift);

} // namespace

TEST_CASE_METHOD(connection_fixture,
                 "before its maximum age a connection opens a second one and "
                 "switches over losing and repeating nothing",
                 "[connection][rotation]") {
  spawn_connection(10'000);
  ws.inject_opened(7);
  ws.inject_frames(7, frames(1, 5));
  run();
  advance(9999ms);
  CHECK(ws.opened.size() == 1);
  advance(1ms);
  REQUIRE(ws.opened.size() == 2);
  CHECK(ws.opened[1].id == rotated_id);
  CHECK(ws.opened[1].target.path == ws.opened[0].target.path);
  // The old lane keeps streaming while the new one comes up behind it.
  ws.inject_frames(7, frames(6, 8));
  ws.inject_opened(rotated_id);
  ws.inject_frames(rotated_id, frames(7, 10)); // overlaps 7..8
  run();
  CHECK(ws.closed == std::vector<std::uint64_t>{7});
  // Late frames of the old lane are stale now.
  ws.inject_frames(7, frames(9, 9));
  ws.inject_frames(rotated_id, frames(11, 12));
  run();
  auto trades = ask<std::vector<trade>>(aggregator, trades_atom::value,
                                        std::uint32_t{100});
  REQUIRE(trades.size() == 12);
  for (std::size_t i = 0; i < trades.size(); ++i)
    CHECK(trades[i].agg_id == i + 1);
  CHECK(ask<metrics_snapshot>(aggregator, metrics_atom::value).duplicates == 0);
  CHECK(phases()
        == std::vector<connection_phase>{connection_phase::streaming,
                                         connection_phase::rotating,
                                         connection_phase::streaming});
  // The next rotation is armed again from the switch.
  advance(10'000ms);
  CHECK(ws.opened.size() == 3);
}

TEST_CASE_METHOD(
  connection_fixture,
  "when the new connection starts ahead the switch waits until the "
  "old one has filled the gap",
  "[connection][rotation]") {
  spawn_connection(10'000);
  ws.inject_opened(7);
  ws.inject_frames(7, frames(1, 5));
  run();
  advance(10'000ms);
  ws.inject_opened(rotated_id);
  ws.inject_frames(rotated_id, frames(8, 9));
  run();
  CHECK(ws.closed.empty()); // 6 and 7 are still missing
  ws.inject_frames(7, frames(6, 7));
  run();
  CHECK(ws.closed == std::vector<std::uint64_t>{7});
  auto trades = ask<std::vector<trade>>(aggregator, trades_atom::value,
                                        std::uint32_t{100});
  REQUIRE(trades.size() == 9);
  CHECK(trades.back().agg_id == 9);
}

TEST_CASE_METHOD(
  connection_fixture,
  "a serverShutdown event starts a rotation at once and is not a "
  "decode error",
  "[connection][rotation]") {
  spawn_connection(); // no age-based rotation
  ws.inject_opened(7);
  ws.inject_frames(7, frames(1, 3));
  ws.inject_frames(7, {R"({"e":"serverShutdown","E":1700000000000})"});
  run();
  REQUIRE(ws.opened.size() == 2);
  CHECK(ws.opened[1].id == rotated_id);
  CHECK(ask<connection_status>(conn, status_atom::value).counters.decode_errors
        == 0);
  // The old lane is cut by the server before the new one delivers: the new one
  // takes over once it streams; the attempt survives.
  ws.inject_frames(rotated_id, frames(3, 4));
  ws.inject_closed(7, "server shutdown", 1001);
  run();
  CHECK(ask<metrics_snapshot>(aggregator, metrics_atom::value).last_trade_id
        == 4);
  CHECK(ask<connection_status>(conn, status_atom::value).phase
        == connection_phase::streaming);
}

TEST_CASE_METHOD(connection_fixture,
                 "a rotation whose new connection fails keeps streaming on the "
                 "old one",
                 "[connection][rotation]") {
  spawn_connection(10'000);
  ws.inject_opened(7);
  ws.inject_frames(7, frames(1, 2));
  run();
  advance(10'000ms);
  ws.inject_closed(rotated_id, "connection refused", 0, false);
  ws.inject_frames(7, frames(3, 4));
  run();
  CHECK(ws.closed.empty());
  CHECK(ask<connection_status>(conn, status_atom::value).phase
        == connection_phase::streaming);
  CHECK(ask<metrics_snapshot>(aggregator, metrics_atom::value).last_trade_id
        == 4);
  // A new lane that never delivers is given up at the rotation deadline.
  advance(10'000ms);
  REQUIRE(ws.opened.size() == 3);
  ws.inject_frames(7, frames(5, 5));
  run();
  advance(5'000ms);
  CHECK(ws.closed.size() == 1);
  CHECK(ws.closed[0] == ws.opened[2].id);
  CHECK(ask<connection_status>(conn, status_atom::value).phase
        == connection_phase::streaming);
}

// -- depth streams ----------------------------------------------------------------

namespace {

/// A raw `/ws/<s>@depth@100ms` frame for update ids U..u with one bid level.
std::string depth_frame(std::uint64_t first, std::uint64_t last) {
  return R"({"e":"depthUpdate","E":1700000000000,"s":"BTCUSDT","U":)"
         + std::to_string(first) + R"(,"u":)" + std::to_string(last)
         + R"(,"b":[["100.00000000",")" + std::to_string(last)
         + R"(.00000000"]],"a":[["101.00000000","0.00000000"]]})";
}

using ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

} // namespace

TEST_CASE_METHOD(
  connection_fixture,
  "a depth connection sends its events to the book and none to the "
  "aggregator, counting frames that do not decode",
  "[connection][depth]") {
  spawn_connection(0, stream_kind::depth);
  REQUIRE(ws.opened.size() == 1);
  ws.inject_opened(7);
  ws.inject_frames(
    7, {depth_frame(100, 102), depth_frame(103, 103),
        test::agg_trade_frame("BTCUSDT", 1, "1.00000000", "1.00000000", true),
        R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","U":5)"});
  run();
  CHECK(depth_ranges() == ranges{{100, 102}, {103, 103}});
  auto& first = state_of<depth_recorder_state>(book).updates.front();
  REQUIRE(first.bids.size() == 1);
  CHECK(first.bids[0] == price_level{100 * e8_scale, 102 * e8_scale});
  REQUIRE(first.asks.size() == 1);
  CHECK(first.asks[0].qty_e8 == 0);
  CHECK(ask<metrics_snapshot>(aggregator, metrics_atom::value).trades == 0);
  auto st = ask<connection_status>(conn, status_atom::value);
  CHECK(st.counters.frames == 4);
  CHECK(st.counters.trades == 2);
  CHECK(st.counters.decode_errors == 2);
  CHECK(phases() == std::vector<connection_phase>{connection_phase::streaming});
}

TEST_CASE_METHOD(connection_fixture,
                 "a rotated depth connection joins the old lane's update ids, "
                 "dropping the events both lanes delivered",
                 "[connection][depth][rotation]") {
  spawn_connection(10'000, stream_kind::depth);
  ws.inject_opened(7);
  ws.inject_frames(7, {depth_frame(100, 101), depth_frame(102, 103)});
  run();
  advance(10'000ms);
  REQUIRE(ws.opened.size() == 2);
  CHECK(ws.opened[1].target.path == "/ws/btcusdt@depth@100ms");
  ws.inject_frames(7, {depth_frame(104, 105)});
  ws.inject_opened(rotated_id);
  // The new lane starts with two events the old one already delivered.
  ws.inject_frames(rotated_id, {depth_frame(102, 103), depth_frame(104, 105),
                                depth_frame(106, 107)});
  run();
  CHECK(ws.closed == std::vector<std::uint64_t>{7});
  // Late events of the old lane are stale now.
  ws.inject_frames(7, {depth_frame(106, 107)});
  ws.inject_frames(rotated_id, {depth_frame(108, 109)});
  run();
  CHECK(depth_ranges()
        == ranges{{100, 101}, {102, 103}, {104, 105}, {106, 107}, {108, 109}});
}

TEST_CASE_METHOD(connection_fixture,
                 "a rotated depth connection whose events are cut at other ids "
                 "switches only where an event continues the sequence exactly",
                 "[connection][depth][rotation]") {
  spawn_connection(10'000, stream_kind::depth);
  ws.inject_opened(7);
  ws.inject_frames(7, {depth_frame(100, 101), depth_frame(102, 103)});
  run();
  advance(10'000ms);
  REQUIRE(ws.opened.size() == 2);
  ws.inject_opened(rotated_id);
  // 102..104 straddles the last forwarded id 103: switching here would hand the
  // book U=102 after u=103.
  ws.inject_frames(rotated_id, {depth_frame(102, 104)});
  run();
  CHECK(ws.closed.empty());
  ws.inject_frames(7, {depth_frame(104, 107)});
  ws.inject_frames(rotated_id, {depth_frame(105, 107)});
  run();
  CHECK(
    ws.closed.empty()); // 105..107 is already forwarded: still no join point
  ws.inject_frames(rotated_id, {depth_frame(108, 109)});
  run();
  CHECK(ws.closed == std::vector<std::uint64_t>{7});
  CHECK(depth_ranges()
        == ranges{{100, 101}, {102, 103}, {104, 107}, {108, 109}});
}
