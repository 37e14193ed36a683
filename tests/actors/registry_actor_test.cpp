// Tests of registry_actor with the real supervisor, aggregators and books on the
// deterministic scheduler and the fake transport: runtime symbol control.
#include <algorithm>
#include <memory>

// CAF 0.17's deserializer reads a vector of enums into `T x;`
// (caf/data_processor.hpp:266) and GCC 12 -O2 calls that maybe-uninitialized
// here, where requests carry std::vector<stream_kind>. Nothing in-process
// deserializes; the warning is about CAF's code, not this file's.
#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <catch2/catch.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/registry_actor.hpp"
#include "actors/supervisor_actor.hpp"
#include "messages/errc.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/frames.hpp"

using namespace sv;
using namespace std::chrono_literals;

namespace {

/// Plays the api actor: keeps every symbol_table the registry publishes.
api_if::behavior_type
table_recorder(api_if::pointer /*self*/,
               const std::shared_ptr<std::vector<symbol_table>>& tables) {
  return {
    [](http_request&) {},
    [tables](symbol_table& t) { tables->push_back(std::move(t)); },
  };
}

struct registry_fixture : test::actor_fixture {
  supervisor_if sup;
  registry_if registry;
  aggregator_if btc;
  std::shared_ptr<std::vector<symbol_table>> tables
    = std::make_shared<std::vector<symbol_table>>();

  /// The bounds a test changes: connection attempts per window, symbols.
  struct limits {
    std::uint32_t connect_budget = 300;
    std::uint32_t symbols_max = 4096;
  };

  registry_fixture() : registry_fixture(limits{}) {
  }

  explicit registry_fixture(limits bounds) {
    auto connect_budget = bounds.connect_budget;
    auto symbols_max = bounds.symbols_max;
    btc = keep_for_teardown(sys.spawn(aggregator_actor, std::string{"BTCUSDT"},
                                      aggregator_limits{}, backfill_sink_if{}));
    std::map<std::string, stream_sinks> sinks;
    sinks["BTCUSDT"].trades = caf::actor_cast<trade_sink_if>(btc);
    supervisor_config c;
    c.server.host = "127.0.0.1";
    c.connect_budget = connect_budget;
    c.connect_burst = connect_budget;
    c.shutdown_timeout_ms = 5000;
    sup = keep_for_teardown(
      sys.spawn(supervisor_actor, c, static_cast<ws_client*>(&ws), sinks,
                std::vector<std::pair<std::string, stream_kind>>{
                  {"BTCUSDT", stream_kind::agg_trade}}));
    registry_config rc;
    rc.supervisor = sup;
    rc.streams = {stream_kind::agg_trade};
    rc.symbols_max = symbols_max;
    rc.table.symbols = {"BTCUSDT"};
    rc.table.aggregators["BTCUSDT"] = btc;
    registry = keep_for_teardown(sys.spawn(registry_actor, rc));
    auto api = keep_for_teardown(sys.spawn(table_recorder, tables));
    caf::anon_send(registry, listen_atom::value,
                   caf::actor_cast<table_listener_if>(api));
    run();
  }

  registry_state& reg() {
    return state_of<registry_state>(registry);
  }

  std::vector<child_status> children() {
    return ask<std::vector<child_status>>(sup, status_atom::value);
  }

  std::size_t children_of(const std::string& symbol) {
    auto all = children();
    return static_cast<std::size_t>(
      std::count_if(all.begin(), all.end(),
                    [&](const child_status& c) { return c.symbol == symbol; }));
  }
};

} // namespace

TEST_CASE_METHOD(registry_fixture,
                 "a hundred concurrent starts of one new symbol make one "
                 "aggregator, one book and one child per stream, and exactly "
                 "one of them says it started something",
                 "[registry]") {
  caf::scoped_actor client{sys};
  std::vector<std::string> names = {"ethusdt", "ETHUSDT", "EthUsdt"};
  std::vector<stream_kind> both = {stream_kind::agg_trade, stream_kind::depth};
  using handle = decltype(client->request(
    registry, caf::infinite, put_atom::value, std::string{}, both));
  std::vector<handle> asked;
  for (std::size_t i = 0; i < 100; ++i)
    asked.push_back(client->request(registry, caf::infinite, put_atom::value,
                                    names[i % 3], both));
  run();
  auto started = 0;
  auto already = 0;
  for (auto& rh : asked)
    rh.receive([&](bool s) { (s ? started : already) += 1; },
               [&](caf::error&) { FAIL("a start failed"); });
  CHECK(started == 1);
  CHECK(already == 99);
  CHECK(ws.opened.size() == 3); // BTCUSDT's, then ETHUSDT's two
  CHECK(ws.opened[1].target.path == "/ws/ethusdt@aggTrade");
  CHECK(ws.opened[2].target.path == "/ws/ethusdt@depth@100ms");
  CHECK(children_of("ETHUSDT") == 2);
  CHECK(reg().cfg.table.aggregators.size() == 2);
  CHECK(reg().cfg.table.books.size() == 1);
  CHECK(reg().cfg.table.symbols
        == std::vector<std::string>{"BTCUSDT", "ETHUSDT"});
  // The listener got the table at listen and once when ETHUSDT came.
  REQUIRE(tables->size() == 2);
  CHECK(tables->back().aggregators.count("ETHUSDT") == 1);
}

TEST_CASE_METHOD(registry_fixture,
                 "a start answers true once, then false; the new symbol's "
                 "trades reach its own aggregator",
                 "[registry]") {
  CHECK(ask<bool>(registry, put_atom::value, std::string{"ETHUSDT"},
                  std::vector<stream_kind>{}));
  CHECK_FALSE(ask<bool>(registry, put_atom::value, std::string{"ETHUSDT"},
                        std::vector<stream_kind>{}));
  REQUIRE(ws.opened.size() == 2);
  auto id = ws.opened[1].id;
  ws.inject_opened(id);
  ws.inject_frames(id, {test::agg_trade_frame("ETHUSDT", 7, "3000.00000000",
                                              "1.00000000", false)});
  run();
  auto eth = reg().cfg.table.aggregators.at("ETHUSDT");
  auto trades = ask<std::vector<trade>>(eth, trades_atom::value,
                                        std::uint32_t{10});
  REQUIRE(trades.size() == 1);
  CHECK(trades[0].agg_id == 7);
  CHECK(ask<std::vector<trade>>(btc, trades_atom::value, std::uint32_t{10})
          .empty());
}

TEST_CASE_METHOD(registry_fixture,
                 "a removal closes the symbol's sockets, answers once they are "
                 "closed, then drops its children, sinks and aggregator; a "
                 "start meanwhile is refused and one after it starts afresh",
                 "[registry]") {
  REQUIRE(ask<bool>(registry, put_atom::value, std::string{"ETHUSDT"},
                    std::vector<stream_kind>{}));
  auto id = ws.opened.back().id;
  ws.inject_opened(id);
  ws.inject_frames(id, {test::agg_trade_frame("ETHUSDT", 1, "3000.00000000",
                                              "1.00000000", false)});
  run();
  auto eth = reg().cfg.table.aggregators.at("ETHUSDT");
  caf::scoped_actor client{sys};
  auto rh = client->request(registry, caf::infinite, remove_atom::value,
                            std::string{"ethusdt"});
  run();
  // The close is asked (a close frame goes out); the symbol stays until the
  // socket is gone, and a start in between is refused.
  CHECK(std::count(ws.closed.begin(), ws.closed.end(), id) == 1);
  CHECK(reg().cfg.table.aggregators.count("ETHUSDT") == 1);
  auto err = ask_error<bool>(registry, put_atom::value, std::string{"ETHUSDT"},
                             std::vector<stream_kind>{});
  CHECK(err == errc::being_removed);
  ws.inject_closed(id, "closed by us", 1000);
  run();
  std::uint32_t stopped = 0;
  rh.receive([&](std::uint32_t n) { stopped = n; },
             [&](caf::error& e) { FAIL(sys.render(e)); });
  CHECK(stopped == 1);
  CHECK(reg().cfg.table.aggregators.count("ETHUSDT") == 0);
  CHECK(reg().cfg.table.symbols == std::vector<std::string>{"BTCUSDT"});
  CHECK(children_of("ETHUSDT") == 0);
  CHECK(state_of<supervisor_state>(sup).sinks.count("ETHUSDT") == 0);
  CHECK(tables->back().aggregators.count("ETHUSDT") == 0);
  // Its aggregator is gone.
  caf::scoped_actor probe{sys};
  probe->monitor(eth);
  run();
  bool down = false;
  probe->receive([&](caf::down_msg&) { down = true; },
                 caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK(down);
  // Unknown now: a second removal is 404's error; a start is a fresh child.
  CHECK(ask_error<std::uint32_t>(registry, remove_atom::value,
                                 std::string{"ETHUSDT"})
        == errc::unknown_symbol);
  CHECK(ask<bool>(registry, put_atom::value, std::string{"ETHUSDT"},
                  std::vector<stream_kind>{}));
  CHECK(children_of("ETHUSDT") == 1);
  CHECK(children().back().connect_attempts == 1);
}

TEST_CASE_METHOD(registry_fixture,
                 "a removed symbol whose child does not close is killed at the "
                 "shutdown deadline and the removal still answers",
                 "[registry]") {
  REQUIRE(ask<bool>(registry, put_atom::value, std::string{"ETHUSDT"},
                    std::vector<stream_kind>{}));
  caf::scoped_actor client{sys};
  auto rh = client->request(registry, caf::infinite, remove_atom::value,
                            std::string{"ETHUSDT"});
  run();
  advance(4999ms);
  CHECK(reg().removing.count("ETHUSDT") == 1);
  advance(1ms);
  std::uint32_t stopped = 0;
  rh.receive([&](std::uint32_t n) { stopped = n; },
             [&](caf::error& e) { FAIL(sys.render(e)); });
  CHECK(stopped == 1);
  CHECK(children_of("ETHUSDT") == 0);
}

TEST_CASE("runtime starts wait for the connection budget like configured ones",
          "[registry]") {
  registry_fixture f{{1, 4096}}; // BTCUSDT took the only attempt of the window
  REQUIRE(f.ask<bool>(f.registry, put_atom::value, std::string{"ETHUSDT"},
                      std::vector<stream_kind>{}));
  CHECK(f.ws.opened.size() == 1);
  auto eth = f.children().back();
  CHECK(eth.symbol == "ETHUSDT");
  CHECK(eth.state == child_state::waiting);
}

TEST_CASE("a start beyond symbols_max, of a malformed name, or after "
          "shutdown began is refused and starts nothing",
          "[registry]") {
  registry_fixture f{{300, 1}};
  CHECK(f.ask_error<bool>(f.registry, put_atom::value, std::string{"ETHUSDT"},
                          std::vector<stream_kind>{})
        == errc::limit_reached);
  registry_fixture g;
  for (std::string bad :
       {"", "BTC-USDT", "BTCUSDT/../X", "ABCDEFGHIJKLMNOPQRSTU"})
    CHECK(g.ask_error<bool>(g.registry, put_atom::value, bad,
                            std::vector<stream_kind>{})
          == errc::invalid_symbol);
  caf::anon_send(g.sup, stop_atom::value);
  g.run();
  CHECK(g.ask_error<bool>(g.registry, put_atom::value, std::string{"ETHUSDT"},
                          std::vector<stream_kind>{})
        == errc::shutting_down);
  CHECK(f.ws.opened.size() == 1);
  CHECK(g.ws.opened.size() == 1);
}

TEST_CASE_METHOD(registry_fixture,
                 "a reload plan removes the symbols it lacks and starts the "
                 "ones it adds, answering once both are done",
                 "[registry][reload]") {
  symbol_plan plan;
  plan.symbols = {"ETHUSDT"};
  plan.streams = {{stream_kind::agg_trade, stream_kind::depth}};
  caf::scoped_actor client{sys};
  auto rh = client->request(registry, caf::infinite, reload_atom::value, plan);
  run();
  // BTCUSDT's socket is asked to close; the answer waits for it.
  REQUIRE(std::count(ws.closed.begin(), ws.closed.end(), 1U) == 1);
  ws.inject_closed(1, "closed by us", 1000);
  run();
  plan_applied applied;
  rh.receive([&](plan_applied& x) { applied = std::move(x); },
             [&](caf::error& e) { FAIL(sys.render(e)); });
  CHECK(applied.added == std::vector<std::string>{"ETHUSDT"});
  CHECK(applied.removed == std::vector<std::string>{"BTCUSDT"});
  CHECK(applied.failed.empty());
  CHECK(reg().cfg.table.symbols == std::vector<std::string>{"ETHUSDT"});
  CHECK(children_of("BTCUSDT") == 0);
  CHECK(children_of("ETHUSDT") == 2);
  // The same plan again changes nothing.
  auto again = ask<plan_applied>(registry, reload_atom::value, plan);
  CHECK(again.added.empty());
  CHECK(again.removed.empty());
}
