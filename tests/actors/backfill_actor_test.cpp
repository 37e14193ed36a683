// Tests of backfill_actor and of gap handling in aggregator_actor, with a fake REST client.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/backfill_actor.hpp"
#include "actors/wire/rest_decoder.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_rest_client.hpp"
#include "tests/support/trades.hpp"

using namespace sv;
using test::make_trade;
using test::trade_spec;
using namespace std::chrono_literals;

namespace {

/// A trade as the fake exchange pages it: 1 BTC at 100 USDT at 1700000000000 ms, the
/// side alternating with the id; `.time_ms(..)` moves it.
trade_spec page_trade(std::uint64_t id) {
  return trade_spec{}
    .id(id)
    .price_e8(100 * e8_scale)
    .qty_e8(e8_scale)
    .time_ms(1700000000000)
    .buyer_is_maker(id % 2 == 0);
}

struct backfill_fixture : test::actor_fixture {
  test::fake_rest_client rest;
  backfill_if backfill;
  aggregator_if agg;

  explicit backfill_fixture(backfill_config bf_cfg = config(),
                            std::uint32_t warmup_s = 0,
                            std::uint32_t history_age_s = 3600) {
    backfill = keep_for_teardown(
      sys.spawn(backfill_actor, bf_cfg, static_cast<rest_client*>(&rest)));
    aggregator_limits limits;
    limits.windows_follow_wall_clock = false;
    limits.warmup_s = warmup_s;
    limits.age_s = history_age_s;
    agg = keep_for_teardown(
      sys.spawn(aggregator_actor, std::string{"BTCUSDT"}, limits,
                caf::actor_cast<backfill_sink_if>(backfill)));
    run();
  }

  ~backfill_fixture() {
    rest.release();
  }

  static backfill_config config() {
    backfill_config c;
    c.server.tls = true;
    c.server.host = "api.example";
    c.server.port = 443;
    return c;
  }

  void live(std::vector<std::uint64_t> ids) {
    trade_batch b;
    b.symbol = "BTCUSDT";
    for (auto id : ids)
      b.trades.push_back(make_trade(page_trade(id)));
    caf::anon_send(agg, std::move(b));
    run();
  }

  metrics_snapshot metrics() {
    return ask<metrics_snapshot>(agg, metrics_atom::value);
  }

  /// Plays an exchange that answers every aggTrades page in full, in the order
  /// the requests come, until none is left (moving the clock 1 s when the weight
  /// budget holds the next one). Returns the requests answered, each as
  /// "SYMBOL fromId". Only for tests that answer nothing themselves.
  std::vector<std::string> serve_pages() {
    std::vector<std::string> served;
    auto value = [](const std::string& target, const std::string& key) {
      auto pos = target.find(key + "=") + key.size() + 1;
      return target.substr(pos, target.find('&', pos) - pos);
    };
    for (;;) {
      if (rest.calls.size() == answered)
        advance(1000ms);
      if (rest.calls.size() == answered)
        return served;
      const auto& call = rest.calls[answered++];
      auto from = std::stoull(value(call.target.target, "fromId"));
      auto limit = std::stoull(value(call.target.target, "limit"));
      served.push_back(value(call.target.target, "symbol") + " "
                       + std::to_string(from));
      rest.answer(call.id, 200, test::agg_trades_body(from, from + limit - 1));
      run();
    }
  }

  std::size_t answered = 0; ///< requests serve_pages() has answered

  std::vector<std::uint64_t> history_ids() {
    std::vector<std::uint64_t> ids;
    for (auto& x : ask<std::vector<trade>>(agg, trades_atom::value,
                                           std::uint32_t{100000}))
      ids.push_back(x.agg_id);
    return ids;
  }
};

/// What the actors log to stderr while `write` runs.
template <class Write>
std::string captured_stderr(Write write) {
  std::fflush(stderr);
  std::string path = "/tmp/sv_backfill_test_XXXXXX";
  int fd = ::mkstemp(path.data());
  REQUIRE(fd >= 0);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  write();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fd);
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path.c_str());
  return text.str();
}

/// With the queue full, `n` one-trade gaps found from id `first`: each is refused.
/// Returns what was logged meanwhile.
std::string refused_gaps(backfill_fixture& f, std::uint64_t first, int n) {
  return captured_stderr([&] {
    for (int i = 0; i < n; ++i)
      f.live({first + 2 * static_cast<std::uint64_t>(i)});
  });
}

/// The backfill's queue_full and suppressed lines in `log`, each as its event
/// (suppressed with its similar=N).
std::vector<std::string> refusal_lines(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream lines{log};
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" backfill ") == std::string::npos)
      continue;
    if (line.find(" queue_full ") != std::string::npos)
      out.emplace_back("queue_full");
    auto pos = line.find(" suppressed similar=");
    if (pos != std::string::npos)
      out.push_back(line.substr(pos + 1, line.find(' ', pos + 12) - pos - 1));
  }
  return out;
}

std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> ids;
  for (auto id = from; id <= to; ++id)
    ids.push_back(id);
  return ids;
}

} // namespace

TEST_CASE_METHOD(
  backfill_fixture,
  "an id jump is filled from REST and the history becomes contiguous "
  "with exact totals",
  "[backfill]") {
  live({1, 2, 3});
  live({8, 9}); // 4..7 missing
  REQUIRE(rest.calls.size() == 1);
  CHECK(rest.calls[0].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&fromId=4&limit=4");
  CHECK(rest.calls[0].target.server.host == "api.example");
  auto m = metrics();
  CHECK(m.gaps_detected == 1);
  CHECK(m.gaps_open == 1);
  rest.answer_last(200, test::agg_trades_body(4, 7));
  run();
  CHECK(history_ids() == range(1, 9));
  m = metrics();
  CHECK(m.trades == 9);
  CHECK(m.gaps_filled == 1);
  CHECK(m.gaps_open == 0);
  CHECK(m.backfilled == 4);
  CHECK(m.last_trade_id == 9); // the live edge stays the newest trade
  // Sides alternate: odd ids are buys (m=false), even ids sells.
  CHECK(from_wide(m.buy_volume_e8) == 5 * e8_scale);
  CHECK(from_wide(m.sell_volume_e8) == 4 * e8_scale);
}

TEST_CASE_METHOD(backfill_fixture,
                 "a gap wider than one page is fetched page by page",
                 "[backfill]") {
  live({1});
  live({2501}); // 2..2500 missing: three pages of at most 1000
  REQUIRE(rest.calls.size() == 1);
  CHECK(rest.calls[0].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&fromId=2&limit=1000");
  rest.answer_last(200, test::agg_trades_body(2, 1001));
  run();
  REQUIRE(rest.calls.size() == 2);
  CHECK(rest.calls[1].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&fromId=1002&limit=1000");
  rest.answer_last(200, test::agg_trades_body(1002, 2001));
  run();
  REQUIRE(rest.calls.size() == 3);
  CHECK(rest.calls[2].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&fromId=2002&limit=499");
  rest.answer_last(200, test::agg_trades_body(2002, 2500));
  run();
  CHECK(history_ids() == range(1, 2501));
  CHECK(metrics().gaps_filled == 1);
}

TEST_CASE_METHOD(backfill_fixture,
                 "429 with Retry-After pauses every request for that long",
                 "[backfill]") {
  live({1});
  live({5});
  rest.answer_last(429,
                   R"({"code":-1003,"msg":"Too much request weight used"})", 3);
  run();
  CHECK(rest.calls.size() == 1);
  advance(2999ms);
  CHECK(rest.calls.size() == 1);
  advance(1ms);
  REQUIRE(rest.calls.size() == 2);
  CHECK(rest.calls[1].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&fromId=2&limit=3");
  rest.answer_last(200, test::agg_trades_body(2, 4));
  run();
  CHECK(history_ids() == range(1, 5));
}

TEST_CASE_METHOD(
  backfill_fixture,
  "status counts 429 and 418 pauses apart and reports the weight "
  "spent and the exchange's own count",
  "[backfill][metrics]") {
  live({1});
  live({5});
  auto before = ask<backfill_status>(backfill, status_atom::value);
  CHECK(before.weight_used == 4); // one aggTrades page in flight
  CHECK(before.weight_used_reported == -1);
  CHECK(before.jobs_queued == 1);
  rest.answer_last(429, R"({"code":-1003,"msg":"Too much request weight"})", 1,
                   41);
  run();
  advance(1000ms);
  rest.answer_last(418, R"({"code":-1003,"msg":"banned"})", 2);
  run();
  auto x = ask<backfill_status>(backfill, status_atom::value);
  CHECK(x.pauses_429 == 1);
  CHECK(x.pauses_418 == 1);
  CHECK(x.weight_used == 8);
  CHECK(x.weight_budget == config().weight_budget_1m);
  CHECK(x.weight_used_reported == 41); // the 418 carried no count
  advance(2000ms);
  rest.answer_last(200, test::agg_trades_body(2, 4));
  run();
  CHECK(ask<backfill_status>(backfill, status_atom::value).jobs_queued == 0);
}

TEST_CASE_METHOD(backfill_fixture,
                 "a gap the exchange cannot serve stays open after retries and "
                 "marks the windows over it incomplete",
                 "[backfill]") {
  live({1});
  live({5});
  for (int i = 0; i < 5; ++i) {
    REQUIRE(rest.calls.size() == static_cast<std::size_t>(i + 1));
    rest.answer_last(503, R"({"code":-1001,"msg":"down"})");
    run();
    advance(16000ms);
  }
  CHECK(rest.calls.size() == 5); // attempts_max
  auto m = metrics();
  CHECK(m.gaps_open == 1);
  CHECK(m.gaps_filled == 0);
  REQUIRE(m.open_gaps.size() == 3);
  CHECK(m.open_gaps[0] == 2);
  CHECK(m.open_gaps[1] == 4);
  CHECK(m.open_gaps[2] == 1); // failed
  REQUIRE(!m.windows.empty());
  CHECK_FALSE(m.windows[0].complete);
}

TEST_CASE_METHOD(
  backfill_fixture,
  "overlapping rows and rows outside the gap are not applied twice",
  "[backfill]") {
  live({1, 2});
  live({6, 7});
  rest.answer_last(200,
                   test::agg_trades_body(1, 7)); // the exchange returns more
  run();
  CHECK(history_ids() == range(1, 7));
  auto m = metrics();
  CHECK(m.trades == 7);
  CHECK(m.duplicates == 0);
  // The aggregator guards itself too: a page with rows outside the gap, or sent
  // twice, changes nothing.
  live({10});
  backfill_batch page{"BTCUSDT", 8, 9, {}};
  for (std::uint64_t id = 6; id <= 10; ++id)
    page.trades.push_back(make_trade(page_trade(id)));
  caf::anon_send(agg, page);
  caf::anon_send(agg, page);
  run();
  CHECK(history_ids() == range(1, 10));
  CHECK(metrics().trades == 10);
}

namespace {

/// A second symbol beside the fixture's BTCUSDT, with its own aggregator.
struct two_symbols : backfill_fixture {
  aggregator_if eth;

  two_symbols() : two_symbols(config()) {
  }

  explicit two_symbols(backfill_config bf_cfg)
    : backfill_fixture(std::move(bf_cfg)) {
    aggregator_limits limits;
    limits.windows_follow_wall_clock = false;
    eth = keep_for_teardown(
      sys.spawn(aggregator_actor, std::string{"ETHUSDT"}, limits,
                caf::actor_cast<backfill_sink_if>(backfill)));
    run();
  }

  void live_eth(const std::vector<std::uint64_t>& ids) {
    trade_batch b;
    b.symbol = "ETHUSDT";
    for (auto id : ids) {
      auto x = make_trade(page_trade(id));
      x.symbol = "ETHUSDT";
      b.trades.push_back(x);
    }
    caf::anon_send(eth, std::move(b));
    run();
  }

  /// The symbol= of request `i`.
  std::string symbol_of(std::size_t i) const {
    const auto& target = rest.calls.at(i).target.target;
    auto pos = target.find("symbol=") + 7;
    return target.substr(pos, target.find('&', pos) - pos);
  }
};

} // namespace

TEST_CASE_METHOD(backfill_fixture,
                 "a request without an answer is given up at its deadline, "
                 "retried on schedule, and its late answer is ignored",
                 "[backfill][deadline]") {
  live({1});
  live({5});
  REQUIRE(rest.calls.size() == 1);
  advance(9999ms); // request_timeout_ms 10000
  CHECK(rest.calls.size() == 1);
  CHECK(state_of<backfill_state>(backfill).requests_timed_out == 0);
  advance(1ms);
  CHECK(state_of<backfill_state>(backfill).requests_timed_out == 1);
  CHECK(rest.calls.size() == 1);
  advance(999ms);
  CHECK(rest.calls.size() == 1);
  advance(1ms); // the first retry delay: 1 s
  REQUIRE(rest.calls.size() == 2);
  CHECK(rest.calls[1].target.target == rest.calls[0].target.target);
  // The first request's answer arrives now: too late, nothing is applied.
  rest.answer(rest.calls[0].id, 200, test::agg_trades_body(2, 4));
  run();
  CHECK(history_ids() == std::vector<std::uint64_t>{1, 5});
  rest.answer(rest.calls[1].id, 200, test::agg_trades_body(2, 4));
  run();
  CHECK(history_ids() == range(1, 5));
  CHECK(metrics().gaps_filled == 1);
}

TEST_CASE_METHOD(backfill_fixture,
                 "the deadline of a request answered in time changes nothing",
                 "[backfill][deadline]") {
  live({1});
  live({5});  // 2..4
  live({10}); // 6..9
  REQUIRE(rest.calls.size() == 1);
  advance(9999ms);
  rest.answer_last(200, test::agg_trades_body(2, 4));
  run();
  REQUIRE(rest.calls.size() == 2); // 6..9, its deadline at 19999 ms
  advance(1ms); // the first request's deadline: answered, so ignored
  CHECK(state_of<backfill_state>(backfill).requests_timed_out == 0);
  CHECK(state_of<backfill_state>(backfill).in_flight_id == rest.calls[1].id);
  CHECK(rest.calls.size() == 2);
  rest.answer_last(200, test::agg_trades_body(6, 9));
  run();
  CHECK(history_ids() == range(1, 10));
  CHECK(metrics().gaps_filled == 2);
}

TEST_CASE_METHOD(two_symbols,
                 "while one symbol's request hangs, another symbol's gap is "
                 "asked right after that one request's deadline",
                 "[backfill][fair]") {
  live({1});
  live({5}); // BTCUSDT 2..4: its request hangs
  live_eth({1});
  live_eth({3}); // ETHUSDT 2..2 waits behind it
  REQUIRE(rest.calls.size() == 1);
  CHECK(symbol_of(0) == "BTCUSDT");
  advance(10000ms);
  REQUIRE(rest.calls.size() == 2);
  CHECK(symbol_of(1) == "ETHUSDT");
  rest.answer_last(200, test::agg_trades_body(2, 2));
  run();
  // BTCUSDT's retry comes after its own delay, not before ETHUSDT was served.
  advance(1000ms);
  REQUIRE(rest.calls.size() == 3);
  CHECK(symbol_of(2) == "BTCUSDT");
}

TEST_CASE_METHOD(two_symbols,
                 "symbols take turns by request: one symbol's twenty-page gap "
                 "lets another symbol's one-page gap go second",
                 "[backfill][fair]") {
  live({1});
  live({20002}); // BTCUSDT 2..20001: twenty pages of 1000
  live_eth({1});
  live_eth({3}); // ETHUSDT 2..2: one page
  // ETHUSDT second; then, alone again, BTCUSDT's pages one after another.
  std::vector<std::string> expected{"BTCUSDT 2", "ETHUSDT 2"};
  for (std::uint64_t from = 1002; from <= 19002; from += 1000)
    expected.push_back("BTCUSDT " + std::to_string(from));
  CHECK(serve_pages() == expected);
  CHECK(history_ids() == range(1, 20002));
}

TEST_CASE_METHOD(two_symbols,
                 "symbols take turns whatever their number of gaps: a burst of "
                 "one symbol's gaps lets another symbol's gap go second",
                 "[backfill][fair]") {
  live({1});
  live({3});
  live({5});
  live({7});
  live({9}); // BTCUSDT: four one-trade gaps, 2, 4, 6 and 8
  live_eth({1});
  live_eth({3}); // ETHUSDT 2..2, queued behind all four
  // ETHUSDT second, then BTCUSDT's remaining gaps in the order they were found.
  CHECK(serve_pages()
        == std::vector<std::string>{"BTCUSDT 2", "ETHUSDT 2", "BTCUSDT 4",
                                    "BTCUSDT 6", "BTCUSDT 8"});
  CHECK(history_ids() == range(1, 9));
}

TEST_CASE_METHOD(two_symbols,
                 "a gap waiting for its retry lets the other gaps go at once",
                 "[backfill][fair]") {
  live({1});
  live({5});
  live_eth({1});
  live_eth({3});
  rest.answer_last(503, R"({"code":-1001,"msg":"down"})");
  run();
  REQUIRE(rest.calls.size() == 2); // no pause for everyone: ETHUSDT goes now
  CHECK(symbol_of(1) == "ETHUSDT");
  rest.answer_last(200, test::agg_trades_body(2, 2));
  run();
  CHECK(rest.calls.size() == 2);
  advance(1000ms);
  REQUIRE(rest.calls.size() == 3);
  CHECK(symbol_of(2) == "BTCUSDT");
}

TEST_CASE("with jobs_max jobs queued, a further gap is refused at once and "
          "stays open as given up",
          "[backfill][bound]") {
  auto cfg = backfill_fixture::config();
  cfg.jobs_max = 2;
  backfill_fixture f{cfg};
  f.live({1});
  f.live({5});  // 2..4: in flight
  f.live({10}); // 6..9: queued
  f.live({20}); // 11..19: refused
  auto& st = f.state_of<backfill_state>(f.backfill);
  CHECK(st.jobs.size() == 2);
  CHECK(st.jobs_refused == 1);
  auto m = f.metrics();
  REQUIRE(m.open_gaps.size() == 9);
  CHECK(m.open_gaps[6] == 11);
  CHECK(m.open_gaps[7] == 19);
  CHECK(m.open_gaps[8] == 1); // given up
  CHECK(m.open_gaps[2] == 0); // the queued ones are still being filled
  CHECK(m.open_gaps[5] == 0);
  CHECK(f.rest.calls.size() == 1);
}

TEST_CASE("the weight budget paces requests across all gaps", "[backfill]") {
  auto cfg = backfill_fixture::config();
  cfg.weight_budget_1m = 40; // 10 requests per minute at weight 4
  backfill_fixture f{cfg};
  f.live({1});
  std::uint64_t id = 1;
  for (int gap = 0; gap < 15; ++gap) { // 15 one-trade gaps
    id += 2;
    f.live({id});
  }
  // One request at a time: answer each as it comes; only 10 fit in the first minute.
  for (int i = 0; i < 15; ++i) {
    if (f.rest.calls.size() <= static_cast<std::size_t>(i))
      break;
    auto& target = f.rest.calls[static_cast<std::size_t>(i)].target.target;
    auto pos = target.find("fromId=") + 7;
    auto gap_id = std::stoull(target.substr(pos, target.find('&', pos) - pos));
    f.rest.answer_last(200, test::agg_trades_body(gap_id, gap_id));
    f.run();
  }
  CHECK(f.rest.calls.size() == 10);
  f.advance(1000ms); // the per-second burst has room again, the minute has not
  CHECK(f.rest.calls.size() == 10);
  f.advance(59000ms);
  CHECK(f.rest.calls.size() == 11);
}

TEST_CASE("the REST decoder reads Binance's aggTrades rows exactly",
          "[backfill]") {
  std::vector<trade> rows;
  std::string error;
  REQUIRE(decode_agg_trades(
    R"([{"a":26129,"p":"0.01633102","q":"4.70443515","f":27781,"l":27781,"T":1498793709153,"m":true,"M":true}])",
    "BTCUSDT", rows, error));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].agg_id == 26129);
  CHECK(rows[0].price_e8 == 1633102);
  CHECK(rows[0].qty_e8 == 470443515);
  CHECK(rows[0].trade_time_ms == 1498793709153);
  CHECK(aggressor(rows[0]) == side::sell);
  CHECK_FALSE(decode_agg_trades(R"([{"a":1,"p":1}])", "X", rows, error));
  CHECK_THAT(error, Catch::Contains("field p"));
  CHECK_FALSE(decode_agg_trades(R"({"code":-1121,"msg":"Invalid symbol."})",
                                "X", rows, error));
  CHECK(describe_rest_error(R"({"code":-1121,"msg":"Invalid symbol."})")
        == "code -1121: Invalid symbol.");
}

TEST_CASE(
  "a warm start loads the trades of the warm-up period before the first live "
  "trade, with no gap and no duplicate",
  "[backfill][warmup]") {
  backfill_fixture f{backfill_fixture::config(), 900};
  trade_batch b;
  b.symbol = "BTCUSDT";
  b.trades = {make_trade(page_trade(5000).time_ms(1'700'000'900'000))};
  caf::anon_send(f.agg, std::move(b));
  f.run();
  REQUIRE(f.rest.calls.size() == 1);
  // First: which id trades at first live trade time minus 900 s?
  CHECK(f.rest.calls[0].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&startTime=1700000000000"
           "&endTime=1700003599999&limit=1");
  CHECK(f.metrics().warmup == warmup_state::loading);
  f.rest.answer_last(200, test::agg_trades_body(3001, 3001, 1'700'000'000'000));
  f.run();
  REQUIRE(f.rest.calls.size() == 2);
  CHECK(f.rest.calls[1].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&fromId=3001&limit=1000");
  f.rest.answer_last(200, test::agg_trades_body(3001, 4000, 1'700'000'500'000));
  f.run();
  REQUIRE(f.rest.calls.size() == 3);
  CHECK(f.rest.calls[2].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&fromId=4001&limit=999");
  f.rest.answer_last(200, test::agg_trades_body(4001, 4999, 1'700'000'800'000));
  f.run();
  CHECK(f.rest.calls.size() == 3);
  auto m = f.metrics();
  CHECK(m.warmup == warmup_state::done);
  CHECK(m.trades == 2000);
  CHECK(m.first_trade_id == 3001);
  CHECK(m.last_trade_id == 5000);
  CHECK(m.gaps_detected == 0);
  CHECK(m.gaps_open == 0);
  CHECK(f.history_ids() == range(3001, 5000));
  // The 15m and 1h windows hold the warm-up trades (1m only the live edge's second).
  CHECK(m.windows[2].trades == 2000);
}

TEST_CASE(
  "after an outage longer than the history window only the warm-up period "
  "before the next trade is loaded, and the skipped trades are counted",
  "[backfill][warmup]") {
  // History window 3600 s (aggregator_limits default), warm-up 900 s.
  backfill_fixture f{backfill_fixture::config(), 900};
  trade_batch b;
  b.symbol = "BTCUSDT";
  b.trades = {make_trade(page_trade(1000).time_ms(1'700'000'000'000))};
  caf::anon_send(f.agg, std::move(b));
  f.run();
  f.rest.answer_last(200, "[]"); // the start-up warm start finds nothing
  f.run();
  REQUIRE(f.metrics().warmup == warmup_state::done);
  REQUIRE(f.rest.calls.size() == 1);
  // Two hours later trading resumes at id 9000: ids 1001..8999 are missing.
  b = trade_batch{};
  b.symbol = "BTCUSDT";
  b.trades = {make_trade(page_trade(9000).time_ms(1'700'007'200'000))};
  caf::anon_send(f.agg, std::move(b));
  f.run();
  REQUIRE(f.rest.calls.size() == 2);
  CHECK(f.rest.calls[1].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&startTime=1700006300000"
           "&endTime=1700009899999&limit=1");
  auto m = f.metrics();
  CHECK(m.warmup == warmup_state::loading);
  CHECK(m.long_outages == 1);
  CHECK(m.gaps_detected == 0);
  f.rest.answer_last(200, test::agg_trades_body(8001, 8001, 1'700'006'300'000));
  f.run();
  REQUIRE(f.rest.calls.size() == 3);
  CHECK(f.rest.calls[2].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&fromId=8001&limit=999");
  f.rest.answer_last(200, test::agg_trades_body(8001, 8999, 1'700'006'400'000));
  f.run();
  CHECK(f.rest.calls.size() == 3); // 1001..8000 are never asked for
  m = f.metrics();
  CHECK(m.warmup == warmup_state::done);
  CHECK(m.skipped_trades == 7000);
  CHECK(m.backfilled == 999);
  CHECK(m.gaps_open == 0);
  // Trade 1000 is older than the history window now; the rest is the exchange's.
  CHECK(f.history_ids() == range(8001, 9000));
  // The 1h window reaches back into the skipped part: it cannot be complete.
  CHECK_FALSE(m.windows[3].complete);
  CHECK(m.windows[2].complete);
}

namespace {

/// A fixture whose start-up warm start has run (and found nothing) at trade 1000, time T0.
constexpr std::int64_t t0_ms = 1'700'000'000'000;

void first_trade_without_warmup(backfill_fixture& f) {
  trade_batch b;
  b.symbol = "BTCUSDT";
  b.trades = {make_trade(page_trade(1000).time_ms(t0_ms))};
  caf::anon_send(f.agg, std::move(b));
  f.run();
  f.rest.answer_last(200, "[]");
  f.run();
}

void live_at(backfill_fixture& f, std::uint64_t id, std::int64_t time_ms) {
  trade_batch b;
  b.symbol = "BTCUSDT";
  b.trades = {make_trade(page_trade(id).time_ms(time_ms))};
  caf::anon_send(f.agg, std::move(b));
  f.run();
}

} // namespace

TEST_CASE("a warm-up longer than the history window never loads a trade twice",
          "[backfill][warmup]") {
  // History 600 s, warm-up 900 s: a 700 s outage is a gap to backfill, not a warm
  // start reaching back before the last applied trade.
  backfill_fixture f{backfill_fixture::config(), 900, 600};
  first_trade_without_warmup(f);
  live_at(f, 5000, t0_ms + 700'000);
  REQUIRE(f.rest.calls.size() == 2);
  CHECK(f.rest.calls[1].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&fromId=1001&limit=1000");
  CHECK(f.metrics().long_outages == 0);
  // 1000 s: a warm start from T - 900 s, after the last applied trade.
  backfill_fixture g{backfill_fixture::config(), 900, 600};
  first_trade_without_warmup(g);
  live_at(g, 5000, t0_ms + 1'000'000);
  REQUIRE(g.rest.calls.size() == 2);
  CHECK(g.rest.calls[1].target.target.find("startTime=1700000100000")
        != std::string::npos);
  // Even if REST answers with ids the aggregator already has, none is applied twice.
  g.rest.answer_last(200, test::agg_trades_body(1000, 1000, t0_ms));
  g.run();
  g.rest.answer_last(200, test::agg_trades_body(1000, 4999, t0_ms + 200'000));
  g.run();
  auto m = g.metrics();
  CHECK(m.trades == 4001); // 1000, then 1001..4999, then 5000: 1000 only once
  CHECK(m.duplicates == 0);
  CHECK(m.skipped_trades == 0);
}

TEST_CASE("a small id jump after a long quiet spell is backfilled, not skipped",
          "[backfill][warmup]") {
  // An illiquid market: two hours without a trade, then 5 trades missed on a reconnect.
  backfill_fixture f{backfill_fixture::config(), 900};
  first_trade_without_warmup(f);
  live_at(f, 1006, t0_ms + 7'200'000);
  REQUIRE(f.rest.calls.size() == 2);
  CHECK(f.rest.calls[1].target.target
        == "/api/v3/aggTrades?symbol=BTCUSDT&fromId=1001&limit=5");
  CHECK(f.metrics().long_outages == 0);
}

TEST_CASE("a long outage's warm start that fails after finding its first id "
          "counts only "
          "the ids before it as skipped",
          "[backfill][warmup]") {
  auto cfg = backfill_fixture::config();
  cfg.attempts_max = 1;
  backfill_fixture f{cfg, 900};
  first_trade_without_warmup(f);
  live_at(f, 9000, t0_ms + 7'200'000);
  f.rest.answer_last(200, test::agg_trades_body(8001, 8001, t0_ms + 6'300'000));
  f.run();
  f.rest.answer_last(503, R"({"code":-1001,"msg":"down"})");
  f.run();
  auto m = f.metrics();
  CHECK(m.warmup == warmup_state::failed);
  CHECK(m.skipped_trades
        == 7000); // 1001..8000; 8001..8999 are unfilled, not skipped
}

TEST_CASE("a warm start over a quiet period ends with nothing to load",
          "[backfill][warmup]") {
  backfill_fixture f{backfill_fixture::config(), 900};
  trade_batch b;
  b.symbol = "BTCUSDT";
  b.trades = {make_trade(page_trade(5000).time_ms(1'700'000'900'000))};
  caf::anon_send(f.agg, std::move(b));
  f.run();
  f.rest.answer_last(200, "[]");
  f.run();
  CHECK(f.rest.calls.size() == 1);
  auto m = f.metrics();
  CHECK(m.warmup == warmup_state::done);
  CHECK(m.trades == 1);
}

TEST_CASE("a burst of refusals is counted in full and logged once, then "
          "summarised",
          "[backfill][bound]") {
  auto cfg = backfill_fixture::config();
  cfg.jobs_max = 1;
  backfill_fixture f{cfg};
  f.live({1});
  f.live({3});                         // 2..2: in flight, the queue is full
  auto burst = refused_gaps(f, 5, 50); // 4, 6, ..., 102
  CHECK(f.state_of<backfill_state>(f.backfill).jobs_refused == 50);
  CHECK(refusal_lines(burst) == std::vector<std::string>{"queue_full"});
  CHECK(f.serve_pages() == std::vector<std::string>{"BTCUSDT 2"});
  f.advance(10000ms); // the burst's window is over
  auto after = captured_stderr([&] { f.live({105}); }); // 104: accepted
  CHECK(refusal_lines(after)
        == std::vector<std::string>{"suppressed similar=49"});
  CHECK(f.serve_pages() == std::vector<std::string>{"BTCUSDT 104"});
}

TEST_CASE("with jobs_max jobs queued, a snapshot is refused at once with "
          "depth_snapshot_failed",
          "[backfill][bound]") {
  auto cfg = backfill_fixture::config();
  cfg.jobs_max = 1;
  backfill_fixture f{cfg};
  f.live({1});
  f.live({3}); // 2..2: in flight, the queue is full
  caf::scoped_actor book{f.sys};
  book->send(f.backfill, depth_snapshot_request{"BTCUSDT", 100});
  f.run();
  std::string refused;
  book->receive(
    [&](depth_snapshot_failed& failed) {
      CHECK(failed.symbol == "BTCUSDT");
      refused = failed.reason;
    },
    caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK(refused == "backfill queue full (1 jobs)");
  CHECK(f.state_of<backfill_state>(f.backfill).jobs_refused == 1);
  CHECK(f.rest.calls.size() == 1);
}
