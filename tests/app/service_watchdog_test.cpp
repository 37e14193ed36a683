// service_watchdog_test: WATCHDOG=1 only while the supervisor and every aggregator
// answer, on the deterministic scheduler with the fake transport.
#include "app/service_watchdog.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <catch2/catch.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/supervisor_actor.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/frames.hpp"

using namespace sv;
using namespace std::chrono_literals;

namespace {

/// Records every notify() (the test thread is the only one running).
struct recording_sink : service_notify_sink {
  std::vector<std::string> sent;
  void notify(std::string_view state) override {
    sent.emplace_back(state);
  }
};

/// An actor that takes every message and answers none: a wedged aggregator.
/// The unused argument: CAF 0.17 spawning a function without arguments binds a
/// reference to a null tuple (UBSan: reference binding to null pointer).
caf::behavior wedged(caf::event_based_actor* self, int /*unused*/) {
  self->set_default_handler(caf::skip);
  return {[](int) {}};
}

struct watchdog_fixture : test::actor_fixture {
  recording_sink sink;
  supervisor_if sup;
  std::vector<aggregator_if> aggregators;

  watchdog_fixture() {
    auto agg = keep_for_teardown(sys.spawn(
      aggregator_actor, "BTCUSDT", aggregator_limits{}, backfill_sink_if{}));
    aggregators.push_back(agg);
    std::map<std::string, stream_sinks> sinks;
    sinks["BTCUSDT"].trades = caf::actor_cast<trade_sink_if>(agg);
    supervisor_config c;
    c.server.host = "127.0.0.1";
    sup = keep_for_teardown(
      sys.spawn(supervisor_actor, c, static_cast<ws_client*>(&ws), sinks,
                std::vector<std::pair<std::string, stream_kind>>{
                  {"BTCUSDT", stream_kind::agg_trade}}));
    run();
  }

  /// The watchdog over `supervisor` (the fixture's by default) and the
  /// aggregators: 500 ms ticks, 300 ms deadline.
  service_watchdog_if start_watchdog(const supervisor_if& supervisor = {},
                                     std::string status_sent = {}) {
    service_watchdog_config w;
    w.status_sent = std::move(status_sent);
    w.supervisor = supervisor ? supervisor : sup;
    w.aggregators = aggregators;
    w.sink = &sink;
    w.watchdog = true;
    w.tick = 500ms;
    w.answer_timeout = 300ms;
    auto h = keep_for_teardown(sys.spawn(service_watchdog, w));
    run();
    return h;
  }
};

} // namespace

TEST_CASE_METHOD(watchdog_fixture,
                 "the watchdog pings each tick while every actor answers, "
                 "with the status line only when it changed",
                 "[service_watchdog]") {
  start_watchdog();
  REQUIRE(sink.sent.size() == 1);
  CHECK(sink.sent[0] == "WATCHDOG=1\nSTATUS=streaming 0/1, 1 connecting");
  advance(500ms);
  REQUIRE(sink.sent.size() == 2);
  CHECK(sink.sent[1] == "WATCHDOG=1");
  ws.inject_opened(ws.last_id());
  ws.inject_frames(
    ws.last_id(),
    {test::agg_trade_frame("BTCUSDT", 1, "1.00000000", "1.00000000", true)});
  run();
  advance(500ms);
  REQUIRE(sink.sent.size() == 3);
  CHECK(sink.sent[2] == "WATCHDOG=1\nSTATUS=streaming 1/1");
}

TEST_CASE_METHOD(watchdog_fixture,
                 "the status READY=1 already carried is not sent again",
                 "[service_watchdog]") {
  start_watchdog({}, "streaming 0/1, 1 connecting");
  REQUIRE(sink.sent.size() == 1);
  CHECK(sink.sent[0] == "WATCHDOG=1");
}

TEST_CASE_METHOD(watchdog_fixture,
                 "a wedged aggregator stops the pings until it answers again "
                 "(here: never), and the status still goes out",
                 "[service_watchdog]") {
  aggregators.push_back(
    caf::actor_cast<aggregator_if>(keep_for_teardown(sys.spawn(wedged, 0))));
  auto h = start_watchdog();
  for (int tick = 0; tick < 4; ++tick)
    advance(300ms); // answer deadlines pass, next ticks come
  REQUIRE_FALSE(sink.sent.empty());
  CHECK(sink.sent[0] == "STATUS=streaming 0/1, 1 connecting");
  for (const auto& x : sink.sent)
    CHECK(x.find("WATCHDOG=1") == std::string::npos);
  CHECK(state_of<service_watchdog_state>(h).withheld >= 2);
}

TEST_CASE_METHOD(watchdog_fixture,
                 "an aggregator the registry adds at runtime is asked too: "
                 "when it is wedged the pings stop",
                 "[service_watchdog]") {
  auto h = start_watchdog();
  REQUIRE(sink.sent.size() == 1); // the first tick pinged
  symbol_table table;
  table.symbols = {"BTCUSDT", "SOLUSDT"};
  table.aggregators["BTCUSDT"] = aggregators.at(0);
  table.aggregators["SOLUSDT"]
    = caf::actor_cast<aggregator_if>(keep_for_teardown(sys.spawn(wedged, 0)));
  caf::anon_send(h, table);
  run();
  auto pinged = sink.sent.size();
  for (int tick = 0; tick < 6; ++tick)
    advance(300ms);
  for (auto i = pinged; i < sink.sent.size(); ++i)
    CHECK(sink.sent[i].find("WATCHDOG=1") == std::string::npos);
  CHECK(state_of<service_watchdog_state>(h).withheld >= 2);
}

TEST_CASE_METHOD(watchdog_fixture,
                 "a supervisor that does not answer stops the pings",
                 "[service_watchdog]") {
  // The wedged supervisor keeps the status request unanswered: the deadline
  // passes first.
  auto h = start_watchdog(
    caf::actor_cast<supervisor_if>(keep_for_teardown(sys.spawn(wedged, 0))));
  advance(300ms);
  advance(500ms);
  CHECK(sink.sent.empty());
  CHECK(state_of<service_watchdog_state>(h).withheld >= 1);
}

TEST_CASE("the status line counts streaming children over all, then each "
          "other state that has any",
          "[service_watchdog]") {
  std::vector<child_status> children(5);
  children[0].state = child_state::streaming;
  children[1].state = child_state::streaming;
  children[2].state = child_state::backoff;
  children[3].state = child_state::backoff;
  children[4].state = child_state::parked;
  CHECK(service_status_line(children) == "streaming 2/5, 2 backoff, 1 parked");
  CHECK(service_status_line({}) == "streaming 0/0");
}
