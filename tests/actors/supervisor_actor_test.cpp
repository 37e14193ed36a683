// Tests of supervisor_actor on the deterministic scheduler with the fake transport.
#include <catch2/catch.hpp>

#include <cctype>

#include "actors/supervisor_actor.hpp"
#include "messages/errc.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/frames.hpp"

using namespace sv;
using namespace std::chrono_literals;

namespace {

struct supervisor_fixture : test::actor_fixture {
  std::map<std::string, aggregator_if> aggregators;
  supervisor_if sup;

  supervisor_config config() {
    supervisor_config c;
    c.tls = true;
    c.host = "127.0.0.1";
    c.port = 9443;
    c.connect_timeout_ms = 1500;
    c.restart_delay_ms = 1000;
    c.shutdown_timeout_ms = 5000;
    return c;
  }

  void start(std::vector<std::pair<std::string, std::string>> children,
             supervisor_config c) {
    std::map<std::string, trade_sink_if> sinks;
    for (auto& [symbol, stream] : children) {
      std::string up;
      for (char ch : symbol)
        up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
      if (aggregators.count(up) == 0)
        aggregators[up] = keep_for_teardown(
          sys.spawn(aggregator_actor, up, aggregator_limits{}));
      sinks[up] = caf::actor_cast<trade_sink_if>(aggregators[up]);
    }
    sup = keep_for_teardown(
      sys.spawn(supervisor_actor, c, static_cast<ws_client*>(&ws), sinks, children));
    run();
  }

  void start(std::vector<std::pair<std::string, std::string>> children) {
    start(std::move(children), config());
  }

  std::vector<child_status> status() {
    return ask<std::vector<child_status>>(sup, status_atom::value);
  }

  child_status status_of(const std::string& symbol) {
    for (auto& x : status())
      if (x.symbol == symbol)
        return x;
    throw std::runtime_error("no child " + symbol);
  }

  /// Completes the upgrade of `id` and delivers one trade frame.
  void stream_one(std::uint64_t id, const std::string& symbol, std::uint64_t a) {
    ws.inject_opened(id);
    ws.inject_frames(id, {test::agg_trade_frame(symbol, a, "100.00000000",
                                                "1.00000000", false)});
    run();
  }
};

} // namespace

TEST_CASE_METHOD(supervisor_fixture,
                 "each configured symbol gets exactly one connection, however "
                 "often and in whatever case it is listed",
                 "[supervisor]") {
  start({{"BTCUSDT", "aggTrade"}, {"btcusdt", "aggTrade"}, {"EthUsdt", "aggTrade"},
         {"BTCUSDT", "aggTrade"}});
  REQUIRE(ws.opened.size() == 2);
  CHECK(ws.opened[0].target.path == "/ws/btcusdt@aggTrade");
  CHECK(ws.opened[1].target.path == "/ws/ethusdt@aggTrade");
  CHECK(ws.opened[0].target.tls);
  auto children = status();
  REQUIRE(children.size() == 2);
  for (auto& x : children)
    CHECK(x.state == child_state::connecting);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "starting a running symbol again answers already_started and "
                 "opens no second socket",
                 "[supervisor]") {
  start({{"BTCUSDT", "aggTrade"}});
  for (int i = 0; i < 5; ++i) {
    auto err = ask_error<bool>(sup, start_atom::value, std::string{"btcusdt"},
                               std::string{"aggTrade"});
    CHECK(err == errc::already_started);
  }
  CHECK(ws.opened.size() == 1);
  CHECK(ws.live_count() == 1);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "a handshake that never completes is cut at the connect "
                 "deadline, its socket closed, and retried after the restart delay",
                 "[supervisor]") {
  start({{"BTCUSDT", "aggTrade"}});
  REQUIRE(ws.opened_ids() == std::vector<std::uint64_t>{1});
  advance(1499ms);
  CHECK(ws.closed.empty());
  advance(1ms); // deadline: 1500 ms
  CHECK(ws.closed == std::vector<std::uint64_t>{1});
  auto x = status_of("BTCUSDT");
  CHECK(x.state == child_state::backoff);
  CHECK(x.restarts == 1);
  CHECK_THAT(x.last_error, Catch::Contains("connect_timeout"));
  advance(999ms);
  CHECK(ws.opened.size() == 1);
  advance(1ms); // restart delay: 1000 ms
  CHECK(ws.opened_ids() == std::vector<std::uint64_t>{1, 2});
  CHECK(status_of("BTCUSDT").connect_attempts == 2);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "a deadline left over from an earlier attempt does not cut the "
                 "next attempt short",
                 "[supervisor]") {
  auto c = config();
  c.connect_timeout_ms = 1500;
  c.restart_delay_ms = 100;
  start({{"BTCUSDT", "aggTrade"}}, c);
  // Attempt 1 fails fast; its deadline (t=1500) stays pending.
  ws.inject_closed(1, "connection refused", 0, false);
  run();
  advance(100ms); // attempt 2 starts at t=100, deadline t=1600
  REQUIRE(ws.opened.size() == 2);
  advance(1400ms); // t=1500: attempt 1's stale deadline fires
  CHECK(ws.live_count() == 1);
  CHECK(status_of("BTCUSDT").state == child_state::connecting);
  advance(100ms); // t=1600: attempt 2's own deadline
  CHECK(status_of("BTCUSDT").state == child_state::backoff);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "a child that streams is not cut by its connect deadline",
                 "[supervisor]") {
  start({{"BTCUSDT", "aggTrade"}});
  stream_one(1, "BTCUSDT", 1);
  advance(5000ms);
  auto x = status_of("BTCUSDT");
  CHECK(x.state == child_state::streaming);
  CHECK(x.restarts == 0);
  CHECK(ws.live_count() == 1);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "trade history keeps filling after a restart, and counters sum "
                 "over attempts",
                 "[supervisor]") {
  start({{"BTCUSDT", "aggTrade"}});
  stream_one(1, "BTCUSDT", 1);
  ws.inject_frames(1, {test::agg_trade_frame("BTCUSDT", 2, "100.00000000",
                                             "1.00000000", true)});
  ws.inject_closed(1, "bye", 1001);
  run();
  auto x = status_of("BTCUSDT");
  CHECK(x.state == child_state::backoff);
  CHECK_THAT(x.last_error, Catch::Contains("bye"));
  advance(1000ms);
  REQUIRE(ws.opened.size() == 2);
  // The new connection overlaps the old one by one trade (id 2): counted once.
  ws.inject_opened(2);
  ws.inject_frames(2, {test::agg_trade_frame("BTCUSDT", 2, "100.00000000",
                                             "1.00000000", true),
                       test::agg_trade_frame("BTCUSDT", 3, "101.00000000",
                                             "2.00000000", false)});
  run();
  x = status_of("BTCUSDT");
  CHECK(x.state == child_state::streaming);
  CHECK(x.connect_attempts == 2);
  CHECK(x.restarts == 1);
  CHECK(x.trades == 4); // decoded: 2 on attempt 1, 2 on attempt 2
  auto trades = ask<std::vector<trade>>(aggregators["BTCUSDT"], trades_atom::value,
                                        std::uint32_t{10});
  REQUIRE(trades.size() == 3);
  CHECK(trades[0].agg_id == 1);
  CHECK(trades[1].agg_id == 2);
  CHECK(trades[2].agg_id == 3);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "a malformed frame is counted and never kills the child",
                 "[supervisor]") {
  start({{"BTCUSDT", "aggTrade"}});
  stream_one(1, "BTCUSDT", 1);
  ws.inject_frames(1, {"{not json", R"({"e":"aggTrade","s":"BTCUSDT"})",
                       test::agg_trade_frame("BTCUSDT", 2, "1.00000000",
                                             "1.00000000", true)});
  run();
  auto x = status_of("BTCUSDT");
  CHECK(x.state == child_state::streaming);
  CHECK(x.decode_errors == 2);
  CHECK(x.trades == 2);
  CHECK(x.restarts == 0);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "status reports the time since the last frame on the actor clock",
                 "[supervisor]") {
  start({{"BTCUSDT", "aggTrade"}});
  advance(200ms);
  stream_one(1, "BTCUSDT", 1);
  auto x = status_of("BTCUSDT");
  CHECK(x.connect_latency_ms == 200);
  CHECK(x.last_message_age_ms == 0);
  advance(750ms);
  CHECK(status_of("BTCUSDT").last_message_age_ms == 750);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "graceful stop closes every socket and the supervisor ends with "
                 "no child left",
                 "[supervisor]") {
  start({{"BTCUSDT", "aggTrade"}, {"ETHUSDT", "aggTrade"}});
  stream_one(1, "BTCUSDT", 1);
  caf::scoped_actor watcher{sys};
  watcher->monitor(sup);
  caf::anon_send(sup, stop_atom::value);
  run();
  // Both sockets were asked to close; the supervisor waits for the transport.
  CHECK(ws.closed.size() == 2);
  CHECK(ws.opened.size() == 2);
  ws.inject_closed(1, "closed by client", 1000);
  ws.inject_closed(2, "aborted", 0, false);
  run();
  bool down = false;
  watcher->receive([&](caf::down_msg& dm) { down = !dm.reason; },
                   caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK(down);
  // No restart is ever scheduled after stop.
  advance(10000ms);
  CHECK(ws.opened.size() == 2);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "shutdown during connecting finishes at the shutdown deadline "
                 "even if the transport never answers",
                 "[supervisor]") {
  auto c = config();
  c.shutdown_timeout_ms = 300;
  start({{"BTCUSDT", "aggTrade"}}, c);
  caf::scoped_actor watcher{sys};
  watcher->monitor(sup);
  caf::anon_send(sup, stop_atom::value);
  run();
  CHECK(ws.closed == std::vector<std::uint64_t>{1});
  advance(299ms);
  bool down = false;
  watcher->receive([&](caf::down_msg&) { down = true; },
                   caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK_FALSE(down);
  advance(1ms);
  watcher->receive([&](caf::down_msg&) { down = true; },
                   caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK(down);
  CHECK(ws.opened.size() == 1);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "combined mode asks for /stream?streams= with the lower-case "
                 "stream name",
                 "[supervisor]") {
  auto c = config();
  c.combined = true;
  c.base_path = "/prefix";
  start({{"SOLUSDT", "aggTrade"}}, c);
  REQUIRE(ws.opened.size() == 1);
  CHECK(ws.opened[0].target.path == "/prefix/stream?streams=solusdt@aggTrade");
}
