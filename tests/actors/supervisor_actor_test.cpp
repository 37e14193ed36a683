// Tests of supervisor_actor on the deterministic scheduler with the fake transport.
#include <algorithm>

#include <catch2/catch.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/book_actor.hpp"
#include "actors/core/symbol_case.hpp"
#include "actors/pooled_ws_client.hpp"
#include "actors/socket_pool_actor.hpp"
#include "actors/supervisor_actor.hpp"
#include "actors/wire/ws_control.hpp"
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
    c.server.tls = true;
    c.server.host = "127.0.0.1";
    c.server.port = 9443;
    c.connect_timeout_ms = 1500;
    // Exact delays unless a test asks for jitter: 1000, 2000, 4000, ... capped at 8000.
    c.policy.jitter = false;
    c.policy.backoff_initial_ms = 1000;
    c.policy.backoff_max_ms = 8000;
    c.shutdown_timeout_ms = 5000;
    c.rng_seed = 42;
    return c;
  }

  /// Spawns the supervisor for `children` on `client` (the fake transport by
  /// default); symbols in `startable` get sinks but no child, for start_atom.
  void start(std::vector<std::pair<std::string, stream_kind>> children,
             supervisor_config c, ws_client* client = nullptr,
             const std::vector<std::string>& startable = {}) {
    std::map<std::string, stream_sinks> sinks;
    auto with_sinks = children;
    for (const auto& symbol : startable)
      with_sinks.emplace_back(symbol, stream_kind::agg_trade);
    for (auto& [symbol, stream] : with_sinks) {
      auto up = upper_symbol(symbol);
      if (aggregators.count(up) == 0)
        aggregators[up] = keep_for_teardown(sys.spawn(
          aggregator_actor, up, aggregator_limits{}, backfill_sink_if{}));
      sinks[up].trades = caf::actor_cast<trade_sink_if>(aggregators[up]);
      if (stream == stream_kind::depth)
        sinks[up].depth = keep_for_teardown(
          sys.spawn(book_actor, up, book_config{}, snapshot_source_if{}));
    }
    if (client == nullptr)
      client = &ws;
    sup = keep_for_teardown(
      sys.spawn(supervisor_actor, c, client, sinks, children));
    run();
  }

  void start(std::vector<std::pair<std::string, stream_kind>> children) {
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
  void stream_one(std::uint64_t id, const std::string& symbol,
                  std::uint64_t a) {
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
  start({{"BTCUSDT", stream_kind::agg_trade},
         {"btcusdt", stream_kind::agg_trade},
         {"EthUsdt", stream_kind::agg_trade},
         {"BTCUSDT", stream_kind::agg_trade}});
  REQUIRE(ws.opened.size() == 2);
  CHECK(ws.opened[0].target.path == "/ws/btcusdt@aggTrade");
  CHECK(ws.opened[1].target.path == "/ws/ethusdt@aggTrade");
  CHECK(ws.opened[0].target.server.tls);
  auto children = status();
  REQUIRE(children.size() == 2);
  for (auto& x : children)
    CHECK(x.state == child_state::connecting);
}

TEST_CASE_METHOD(
  supervisor_fixture,
  "a depth child subscribes to the 100 ms diff stream, and only a "
  "symbol with a book may have one",
  "[supervisor][depth]") {
  start({{"BTCUSDT", stream_kind::agg_trade},
         {"BTCUSDT", stream_kind::depth},
         {"ETHUSDT", stream_kind::agg_trade}});
  REQUIRE(ws.opened.size() == 3);
  CHECK(ws.opened[1].target.path == "/ws/btcusdt@depth@100ms");
  auto err = ask_error<bool>(sup, start_atom::value, std::string{"ETHUSDT"},
                             stream_kind::depth);
  CHECK(err == errc::unknown_symbol);
  CHECK(ws.opened.size() == 3);
  auto combined = config();
  combined.combined = true;
  CHECK(make_target(combined, "BTCUSDT", stream_kind::depth).path
        == "/stream?streams=btcusdt@depth@100ms");
}

TEST_CASE_METHOD(supervisor_fixture,
                 "starting a running symbol again answers already_started and "
                 "opens no second socket",
                 "[supervisor]") {
  start({{"BTCUSDT", stream_kind::agg_trade}});
  for (int i = 0; i < 5; ++i) {
    auto err = ask_error<bool>(sup, start_atom::value, std::string{"btcusdt"},
                               stream_kind::agg_trade);
    CHECK(err == errc::already_started);
  }
  CHECK(ws.opened.size() == 1);
  CHECK(ws.live_count() == 1);
}

TEST_CASE_METHOD(
  supervisor_fixture,
  "a handshake that never completes is cut at the connect "
  "deadline, its socket closed, and retried after the restart delay",
  "[supervisor]") {
  start({{"BTCUSDT", stream_kind::agg_trade}});
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

TEST_CASE_METHOD(
  supervisor_fixture,
  "a deadline left over from an earlier attempt does not cut the "
  "next attempt short",
  "[supervisor]") {
  auto c = config();
  c.connect_timeout_ms = 1500;
  c.policy.backoff_initial_ms = 100;
  start({{"BTCUSDT", stream_kind::agg_trade}}, c);
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
  start({{"BTCUSDT", stream_kind::agg_trade}});
  stream_one(1, "BTCUSDT", 1);
  advance(5000ms);
  auto x = status_of("BTCUSDT");
  CHECK(x.state == child_state::streaming);
  CHECK(x.restarts == 0);
  CHECK(ws.live_count() == 1);
}

TEST_CASE_METHOD(
  supervisor_fixture,
  "trade history keeps filling after a restart, and counters sum "
  "over attempts",
  "[supervisor]") {
  start({{"BTCUSDT", stream_kind::agg_trade}});
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
  ws.inject_frames(
    2,
    {test::agg_trade_frame("BTCUSDT", 2, "100.00000000", "1.00000000", true),
     test::agg_trade_frame("BTCUSDT", 3, "101.00000000", "2.00000000", false)});
  run();
  x = status_of("BTCUSDT");
  CHECK(x.state == child_state::streaming);
  CHECK(x.connect_attempts == 2);
  CHECK(x.restarts == 1);
  CHECK(x.trades == 4); // decoded: 2 on attempt 1, 2 on attempt 2
  auto trades = ask<std::vector<trade>>(aggregators["BTCUSDT"],
                                        trades_atom::value, std::uint32_t{10});
  REQUIRE(trades.size() == 3);
  CHECK(trades[0].agg_id == 1);
  CHECK(trades[1].agg_id == 2);
  CHECK(trades[2].agg_id == 3);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "a child whose transport refused an oversize message is "
                 "restarted like after any close and reports the reason",
                 "[supervisor]") {
  // What lws_client reports after closing with 1009 (issue 13): no peer code.
  start({{"BTCUSDT", stream_kind::agg_trade}});
  stream_one(1, "BTCUSDT", 1);
  ws.inject_closed(1, "message too large (17825792 bytes > limit 16777216)");
  run();
  auto x = status_of("BTCUSDT");
  CHECK(x.state == child_state::backoff);
  CHECK_THAT(x.last_error, Catch::Contains("message too large"));
  advance(1000ms);
  REQUIRE(ws.opened.size() == 2);
  stream_one(2, "BTCUSDT", 2);
  x = status_of("BTCUSDT");
  CHECK(x.state == child_state::streaming);
  CHECK(x.restarts == 1);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "a malformed frame is counted and never kills the child",
                 "[supervisor]") {
  start({{"BTCUSDT", stream_kind::agg_trade}});
  stream_one(1, "BTCUSDT", 1);
  ws.inject_frames(
    1, {"{not json", R"({"e":"aggTrade","s":"BTCUSDT"})",
        test::agg_trade_frame("BTCUSDT", 2, "1.00000000", "1.00000000", true)});
  run();
  auto x = status_of("BTCUSDT");
  CHECK(x.state == child_state::streaming);
  CHECK(x.decode_errors == 2);
  CHECK(x.trades == 2);
  CHECK(x.restarts == 0);
}

TEST_CASE_METHOD(
  supervisor_fixture,
  "status reports the time since the last frame on the actor clock",
  "[supervisor]") {
  start({{"BTCUSDT", stream_kind::agg_trade}});
  advance(200ms);
  stream_one(1, "BTCUSDT", 1);
  auto x = status_of("BTCUSDT");
  CHECK(x.connect_latency_ms == 200);
  CHECK(x.last_message_age_ms == 0);
  advance(750ms);
  CHECK(status_of("BTCUSDT").last_message_age_ms == 750);
}

TEST_CASE_METHOD(
  supervisor_fixture,
  "graceful stop closes every socket and the supervisor ends with "
  "no child left",
  "[supervisor]") {
  start(
    {{"BTCUSDT", stream_kind::agg_trade}, {"ETHUSDT", stream_kind::agg_trade}});
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
  start({{"BTCUSDT", stream_kind::agg_trade}}, c);
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
  c.server.base_path = "/prefix";
  start({{"SOLUSDT", stream_kind::agg_trade}}, c);
  REQUIRE(ws.opened.size() == 1);
  // The transport puts the server's base path in front of the path.
  CHECK(ws.opened[0].target.server.base_path == "/prefix");
  CHECK(ws.opened[0].target.path == "/stream?streams=solusdt@aggTrade");
}

// -- restart policy, budget, intensity (docs/supervision.md) -----------------------

TEST_CASE_METHOD(
  supervisor_fixture,
  "the backoff doubles up to its cap and resets after a stable period",
  "[supervisor][backoff]") {
  // Exact delays: 1000, 2000, 4000, 8000, 8000.
  start({{"BTCUSDT", stream_kind::agg_trade}});
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 5; ++i) {
    auto id = ws.last_id();
    ws.inject_closed(id, "connection refused", 0, false);
    run();
    std::int64_t waited = 0;
    while (ws.last_id() == id) {
      advance(100ms);
      waited += 100;
      REQUIRE(waited <= 10000);
    }
    delays.push_back(waited);
  }
  CHECK(delays == std::vector<std::int64_t>{1000, 2000, 4000, 8000, 8000});
  // Streams for stable_after (60 s), then drops: the next delay is the initial one.
  stream_one(ws.last_id(), "BTCUSDT", 1);
  for (int i = 0; i < 60; ++i) {
    ws.inject_frames(ws.last_id(),
                     {test::agg_trade_frame("BTCUSDT", 2 + i, "1.00000000",
                                            "1.00000000", true)});
    advance(1000ms);
  }
  auto id = ws.last_id();
  ws.inject_closed(id, "bye", 1001);
  run();
  advance(999ms);
  CHECK(ws.last_id() == id);
  advance(1ms);
  CHECK(ws.last_id() == id + 1);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "with full jitter the first reconnect after a long-streaming "
                 "child drops happens within 500 ms",
                 "[supervisor][backoff]") {
  auto c = config();
  c.policy = restart_policy_config{}; // production defaults: 500 ms, jitter on
  c.connect_timeout_ms = 10000;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    c.rng_seed = seed;
    supervisor_fixture f;
    f.start({{"BTCUSDT", stream_kind::agg_trade}}, c);
    f.stream_one(1, "BTCUSDT", 1);
    for (int i = 0; i < 61; ++i) {
      f.ws.inject_frames(1,
                         {test::agg_trade_frame("BTCUSDT", 2 + i, "1.00000000",
                                                "1.00000000", true)});
      f.advance(1000ms);
    }
    f.ws.inject_closed(1, "bye", 1000);
    f.run();
    f.advance(500ms);
    CHECK(f.ws.opened.size() == 2);
  }
}

TEST_CASE_METHOD(supervisor_fixture,
                 "a rejected upgrade's Retry-After is honoured",
                 "[supervisor][backoff]") {
  start({{"BTCUSDT", stream_kind::agg_trade}});
  ws.inject_rejected(1, 429, 7);
  run();
  auto x = status_of("BTCUSDT");
  CHECK(x.state == child_state::backoff);
  CHECK_THAT(x.last_error, Catch::Contains("429"));
  advance(6999ms);
  CHECK(ws.opened.size() == 1);
  advance(1ms);
  CHECK(ws.opened.size() == 2);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "too many restarts within the window park a child, which is "
                 "tried again after the park",
                 "[supervisor][intensity]") {
  auto c = config();
  c.policy.backoff_initial_ms = 100;
  c.policy.backoff_max_ms = 100;
  c.policy.max_restarts = 3;
  c.policy.restart_window_ms = 60000;
  c.policy.park_ms = 30000;
  c.escalate_fraction = 1.0; // never escalate here
  start({{"BTCUSDT", stream_kind::agg_trade},
         {"ETHUSDT", stream_kind::agg_trade}},
        c);
  std::uint64_t btc = 1;
  for (int i = 0; i < 4; ++i) {
    ws.inject_closed(btc, "refused", 0, false);
    run();
    if (i < 3) {
      advance(100ms);
      btc = ws.last_id();
    }
  }
  auto x = status_of("BTCUSDT");
  CHECK(x.state == child_state::parked);
  CHECK(x.restarts == 4);
  auto opened_before = ws.opened.size();
  advance(29999ms);
  CHECK(ws.opened.size() == opened_before);
  CHECK(status_of("BTCUSDT").state == child_state::parked);
  advance(1ms);
  CHECK(ws.opened.size() == opened_before + 1);
  CHECK(status_of("BTCUSDT").state == child_state::connecting);
}

TEST_CASE_METHOD(
  supervisor_fixture,
  "when more than escalate_fraction of the children are parked the "
  "supervisor quits with escalated",
  "[supervisor][intensity]") {
  auto c = config();
  c.policy.backoff_initial_ms = 10;
  c.policy.backoff_max_ms = 10;
  c.policy.max_restarts = 1;
  c.escalate_fraction = 0.5;
  start({{"A", stream_kind::agg_trade},
         {"B", stream_kind::agg_trade},
         {"C", stream_kind::agg_trade}},
        c);
  caf::scoped_actor watcher{sys};
  watcher->monitor(sup);
  auto fail_twice = [&](const std::string& symbol) {
    for (int i = 0; i < 2; ++i) {
      std::uint64_t id = 0;
      for (auto& o : ws.opened)
        if (o.target.path == "/ws/" + symbol + "@aggTrade" && ws.live[o.id])
          id = o.id;
      REQUIRE(id != 0);
      ws.inject_closed(id, "refused", 0, false);
      run();
      advance(10ms);
    }
  };
  fail_twice("a");
  CHECK(status_of("A").state == child_state::parked); // 1 of 3: not yet
  fail_twice("b");                                    // 2 of 3 > 0.5
  caf::error reason;
  bool down = false;
  watcher->receive(
    [&](caf::down_msg& dm) {
      down = true;
      reason = dm.reason;
    },
    caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK(down);
  CHECK(reason == errc::escalated);
}

TEST_CASE_METHOD(
  supervisor_fixture,
  "the connection budget paces 1,000 starts: never more than 300 "
  "per 300 s nor 10 per second, and all start eventually",
  "[supervisor][budget]") {
  auto c = config();
  c.connect_timeout_ms = 3'600'000; // nobody times out during the test
  c.silence_timeout_ms = 3'600'000;
  std::vector<std::pair<std::string, stream_kind>> children;
  for (int i = 0; i < 1000; ++i)
    children.emplace_back("S" + std::to_string(i), stream_kind::agg_trade);
  start(children, c);
  std::vector<std::size_t> opened_at; // opened_at[t] = opens so far at second t
  opened_at.push_back(ws.opened.size());
  auto waiting = [&] {
    std::size_t n = 0;
    for (auto& x : status())
      n += x.state == child_state::waiting ? 1 : 0;
    return n;
  };
  CHECK(opened_at[0] == 10);
  CHECK(waiting() == 990);
  for (int t = 1; t <= 1000 && ws.opened.size() < 1000; ++t) {
    advance(1000ms);
    opened_at.push_back(ws.opened.size());
  }
  REQUIRE(ws.opened.size() == 1000);
  for (std::size_t t = 1; t < opened_at.size(); ++t) {
    INFO("second " << t);
    REQUIRE(opened_at[t] - opened_at[t - 1] <= 10);
    if (t >= 300)
      REQUIRE(opened_at[t] - opened_at[t - 300] <= 300);
  }
  CHECK(waiting() == 0);
  CHECK(opened_at.size() - 1 < 1000); // under 1000 s: paced, not starved
}

TEST_CASE_METHOD(
  supervisor_fixture,
  "a burst of concurrent starts of one key yields one child and one "
  "socket",
  "[supervisor]") {
  start({{"BTCUSDT", stream_kind::agg_trade}});
  caf::scoped_actor client{sys};
  for (int i = 0; i < 50; ++i)
    client->send(sup, start_atom::value,
                 std::string{i % 2 ? "btcusdt" : "BTCUSDT"},
                 stream_kind::agg_trade);
  run();
  CHECK(ws.opened.size() == 1);
  CHECK(status().size() == 1);
}

TEST_CASE_METHOD(
  supervisor_fixture,
  "on shared sockets 100 concurrent starts of one key make one child and "
  "one SUBSCRIBE of its stream",
  "[supervisor][socket_pool]") {
  socket_pool_config pc;
  pc.server = config().server;
  auto pool = keep_for_teardown(
    sys.spawn(socket_pool_actor, pc, static_cast<ws_client*>(&ws)));
  pooled_ws_client pooled{pool};
  start({{"BTCUSDT", stream_kind::agg_trade}}, config(), &pooled, {"ETHUSDT"});
  REQUIRE(ws.opened.size() == 1); // BTCUSDT's shared socket
  auto sock = ws.opened[0].id;
  ws.inject_opened(sock);
  run();
  // 100 clients ask at once, in both spellings, before anything answers.
  caf::scoped_actor client{sys};
  std::vector<decltype(client->request(sup, caf::infinite, start_atom::value,
                                       std::string{}, stream_kind::agg_trade))>
    answers;
  answers.reserve(100);
  for (int i = 0; i < 100; ++i)
    answers.push_back(client->request(
      sup, caf::infinite, start_atom::value,
      std::string{i % 2 == 1 ? "ethusdt" : "ETHUSDT"}, stream_kind::agg_trade));
  advance(1000ms); // past the pool's control pacing: every SUBSCRIBE is out
  int started = 0;
  int refused = 0;
  for (auto& rh : answers)
    rh.receive([&](bool) { ++started; },
               [&](caf::error& err) {
                 refused += err == errc::already_started ? 1 : 0;
               });
  CHECK(started == 1);
  CHECK(refused == 99);
  CHECK(status().size() == 2);
  CHECK(ws.opened.size() == 1); // no socket of its own: it joins BTCUSDT's
  int subscribed = 0;
  for (const auto& x : ws.sent) {
    control_error error;
    auto r = decode_control_request(x.text, error);
    REQUIRE(r);
    CHECK(x.id == sock);
    if (r->method == control_method::subscribe)
      subscribed += static_cast<int>(
        std::count(r->params.begin(), r->params.end(), "ethusdt@aggTrade"));
  }
  CHECK(subscribed == 1);
  // The children call `pooled` as they end: end them while it lives.
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  run();
}

TEST_CASE_METHOD(supervisor_fixture,
                 "restarts are counted by cause: connect deadline, closed "
                 "socket and silence each in their own counter",
                 "[supervisor][metrics]") {
  auto c = config();
  c.silence_timeout_ms = 5000;
  start({{"BTCUSDT", stream_kind::agg_trade}}, c);
  auto by = [&](restart_cause cause) {
    return status_of("BTCUSDT").restarts_by_cause.at(
      static_cast<std::size_t>(cause));
  };
  advance(1500ms); // attempt 1: connect deadline
  CHECK(by(restart_cause::connect_timeout) == 1);
  advance(1000ms); // attempt 2 (id 2) closes under us
  ws.inject_closed(2, "reset", 1006);
  run();
  CHECK(by(restart_cause::connection_closed) == 1);
  advance(2000ms); // attempt 3 (id 3) streams, then falls silent
  stream_one(3, "BTCUSDT", 1);
  advance(6000ms);
  auto x = status_of("BTCUSDT");
  CHECK(x.restarts_by_cause.at(
          static_cast<std::size_t>(restart_cause::silence_timeout))
        == 1);
  CHECK(x.restarts_by_cause.at(static_cast<std::size_t>(restart_cause::other))
        == 0);
  CHECK(x.restarts == 3);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "connect latency is a histogram per stream kind of the "
                 "attempts that streamed, and the budget shows what it spent",
                 "[supervisor][metrics]") {
  start({{"BTCUSDT", stream_kind::agg_trade},
         {"ETHUSDT", stream_kind::agg_trade},
         {"BTCUSDT", stream_kind::depth}});
  advance(40ms);
  stream_one(1, "BTCUSDT", 1);
  advance(160ms);
  stream_one(2, "ETHUSDT", 1); // ids follow the list: the depth child is 3
  auto m = ask<supervisor_metrics>(sup, metrics_atom::value);
  REQUIRE(m.connect_latency.size() == stream_kind_count);
  const auto& trades = m.connect_latency[0];
  REQUIRE(trades.bounds_s == connect_latency_bounds_s());
  CHECK(trades.count == 2);
  CHECK(trades.sum_s == Approx(0.24));
  // 40 ms is in (0.025, 0.05]; 200 ms in (0.1, 0.25].
  std::vector<std::uint64_t> expected(trades.bounds_s.size() + 1, 0);
  expected[3] = 1;
  expected[5] = 1;
  CHECK(trades.counts == expected);
  CHECK(m.connect_latency[1].count == 0); // the depth child never streamed
  CHECK(m.connect_budget_used == 3);
  CHECK(m.connect_budget == config().connect_budget);
  CHECK(m.waiting == 0);
}

TEST_CASE_METHOD(supervisor_fixture,
                 "a reload's silence timeouts apply from the next attempt on",
                 "[supervisor][reload]") {
  auto c = config();
  c.silence_timeout_ms = 5000;
  start({{"BTCUSDT", stream_kind::agg_trade}}, c);
  stream_one(1, "BTCUSDT", 1);
  caf::anon_send(sup, reload_atom::value, std::uint32_t{60000},
                 std::map<std::string, std::uint32_t>{{"BTCUSDT", 2000}});
  run();
  advance(5000ms); // the running attempt keeps its 5 s
  CHECK(status_of("BTCUSDT").restarts == 1);
  advance(1000ms); // restart delay
  stream_one(2, "BTCUSDT", 2);
  advance(1999ms);
  CHECK(status_of("BTCUSDT").restarts == 1);
  advance(201ms); // the reloaded 2 s for BTCUSDT, checked every 200 ms
  CHECK(status_of("BTCUSDT").restarts == 2);
  CHECK_THAT(status_of("BTCUSDT").last_error, Catch::Contains("2200 ms"));
}
