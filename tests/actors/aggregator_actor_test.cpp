// Tests of aggregator_actor: exact totals, duplicates, bounded history.
#include <catch2/catch.hpp>

#include <random>

#include "actors/aggregator_actor.hpp"
#include "actors/core/decimal.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/trades.hpp"

using namespace sv;
using test::make_trade;
using test::trade_spec;

namespace {

struct aggregator_fixture : test::actor_fixture {
  aggregator_if spawn(aggregator_limits limits) {
    return keep_for_teardown(sys.spawn(aggregator_actor, std::string{"BTCUSDT"},
                                       limits, backfill_sink_if{}));
  }
};

} // namespace

TEST_CASE_METHOD(
  aggregator_fixture,
  "totals equal an exact recomputation over random 8-decimal trades",
  "[aggregator]") {
  auto agg = spawn(aggregator_limits{});
  std::mt19937_64 rng{42};
  int128 buy = 0, sell = 0, buy_q = 0, sell_q = 0;
  std::uint64_t id = 1000;
  for (int b = 0; b < 50; ++b) {
    trade_batch batch;
    batch.symbol = "BTCUSDT";
    for (int i = 0; i < 100; ++i) {
      auto price = static_cast<std::int64_t>(rng() % 10'000'000'000'000ULL) + 1;
      auto qty = static_cast<std::int64_t>(rng() % 100'000'000'000ULL) + 1;
      bool maker = (rng() & 1) != 0;
      batch.trades.push_back(make_trade(trade_spec{}
                                          .id(++id)
                                          .price_e8(price)
                                          .qty_e8(qty)
                                          .time_ms(1000 + b)
                                          .buyer_is_maker(maker)));
      (maker ? sell : buy) += qty;
      (maker ? sell_q : buy_q) += static_cast<int128>(price) * qty;
    }
    caf::anon_send(agg, std::move(batch));
  }
  run();
  auto m = ask<metrics_snapshot>(agg, metrics_atom::value);
  CHECK(m.trades == 5000);
  CHECK(m.first_trade_id == 1001);
  CHECK(m.last_trade_id == 6000);
  CHECK(from_wide(m.buy_volume_e8) == buy);
  CHECK(from_wide(m.sell_volume_e8) == sell);
  CHECK(from_wide(m.buy_quote_e16) == buy_q);
  CHECK(from_wide(m.sell_quote_e16) == sell_q);
  CHECK(vwap_e8(m) == div_round_half_even(buy_q + sell_q, buy + sell));
}

TEST_CASE_METHOD(aggregator_fixture,
                 "a trade whose id is not new is counted as a duplicate and "
                 "changes no total",
                 "[aggregator]") {
  auto agg = spawn(aggregator_limits{});
  trade_batch batch;
  auto at_100 = trade_spec{}.price_e8(100).qty_e8(1).time_ms(1);
  batch.trades = {make_trade(trade_spec{at_100}.id(5).buyer_is_maker(false)),
                  make_trade(trade_spec{at_100}.id(6).buyer_is_maker(false)),
                  make_trade(trade_spec{at_100}.id(6).buyer_is_maker(false)),
                  make_trade(trade_spec{at_100}.id(4).buyer_is_maker(true)),
                  make_trade(trade_spec{at_100}.id(7).buyer_is_maker(true))};
  caf::anon_send(agg, std::move(batch));
  run();
  auto m = ask<metrics_snapshot>(agg, metrics_atom::value);
  CHECK(m.trades == 3);
  CHECK(m.duplicates == 2);
  CHECK(from_wide(m.buy_volume_e8) == 2);
  CHECK(from_wide(m.sell_volume_e8) == 1);
}

TEST_CASE_METHOD(
  aggregator_fixture,
  "history keeps at most trades_max trades and answers the last N "
  "oldest first",
  "[aggregator]") {
  auto agg = spawn(aggregator_limits{10, 3600});
  trade_batch batch;
  for (std::uint64_t id = 1; id <= 25; ++id)
    batch.trades.push_back(make_trade(
      trade_spec{}.id(id).price_e8(100).qty_e8(1).time_ms(1000).buyer_is_maker(
        false)));
  caf::anon_send(agg, std::move(batch));
  run();
  auto all = ask<std::vector<trade>>(agg, trades_atom::value,
                                     std::uint32_t{100});
  REQUIRE(all.size() == 10);
  CHECK(all.front().agg_id == 16);
  CHECK(all.back().agg_id == 25);
  auto three = ask<std::vector<trade>>(agg, trades_atom::value,
                                       std::uint32_t{3});
  REQUIRE(three.size() == 3);
  CHECK(three[0].agg_id == 23);
  CHECK(three[2].agg_id == 25);
  // Totals are not bounded by the history.
  CHECK(ask<metrics_snapshot>(agg, metrics_atom::value).trades == 25);
}

TEST_CASE_METHOD(
  aggregator_fixture,
  "history drops trades older than age_s before the newest trade time",
  "[aggregator]") {
  auto agg = spawn(aggregator_limits{1000, 60});
  trade_batch batch;
  auto at_100 = trade_spec{}.price_e8(100).qty_e8(1).buyer_is_maker(false);
  batch.trades = {make_trade(trade_spec{at_100}.id(1).time_ms(0)),
                  make_trade(trade_spec{at_100}.id(2).time_ms(30'000)),
                  make_trade(trade_spec{at_100}.id(3).time_ms(60'000)),
                  make_trade(trade_spec{at_100}.id(4).time_ms(90'001))};
  caf::anon_send(agg, std::move(batch));
  run();
  auto all = ask<std::vector<trade>>(agg, trades_atom::value,
                                     std::uint32_t{100});
  REQUIRE(all.size() == 2);
  CHECK(all[0].agg_id == 3);
  CHECK(all[1].agg_id == 4);
}

TEST_CASE_METHOD(
  aggregator_fixture,
  "large trades are kept up to large_trades_max, most recent last",
  "[aggregator]") {
  aggregator_limits limits;
  limits.large_trade_quote_e8 = 1000 * e8_scale;
  limits.large_trades_max = 3;
  limits.windows_follow_wall_clock = false;
  auto agg = spawn(limits);
  trade_batch batch;
  for (std::uint64_t id = 1; id <= 10;
       ++id) // notional: id * 200, large from id 5
    batch.trades.push_back(make_trade(trade_spec{}
                                        .id(id)
                                        .price_e8(200 * e8_scale)
                                        .qty_e8(std::int64_t(id) * e8_scale)
                                        .time_ms(1000)
                                        .buyer_is_maker(false)));
  caf::anon_send(agg, std::move(batch));
  run();
  auto large = ask<std::vector<trade>>(agg, large_trades_atom::value,
                                       std::uint32_t{10});
  REQUIRE(large.size() == 3);
  CHECK(large[0].agg_id == 8);
  CHECK(large[2].agg_id == 10);
  auto m = ask<metrics_snapshot>(agg, metrics_atom::value);
  REQUIRE(m.windows.size() == 4);
  CHECK(m.windows[0].length_ms == 60000);
  CHECK(m.windows[0].trades == 10);
  CHECK(m.windows[0].large_trades == 6);
}
