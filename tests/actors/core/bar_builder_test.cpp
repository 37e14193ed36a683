// Tests of bar_builder: bars equal a direct computation over each interval's trades.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <vector>

#include "actors/core/bar_builder.hpp"
#include "tests/support/trades.hpp"

using namespace sv;
using test::make_trade;
using test::trade_spec;

namespace {

trade at(std::uint64_t id, std::int64_t time_ms, std::int64_t price_e8,
         std::int64_t qty_e8, bool buyer_is_maker) {
  return make_trade(trade_spec{}
                      .id(id)
                      .price_e8(price_e8)
                      .qty_e8(qty_e8)
                      .time_ms(time_ms)
                      .buyer_is_maker(buyer_is_maker));
}

} // namespace

TEST_CASE("every closed bar equals its interval's trades computed directly",
          "[bars]") {
  std::mt19937_64 rng{20261206};
  for (std::int64_t interval : {1000, 60'000}) {
    bar_builder builder{interval};
    std::map<std::int64_t, std::vector<trade>> by_interval;
    std::vector<bar> closed;
    std::int64_t t = 1'700'000'000'123;
    for (std::uint64_t id = 1; id <= 20'000; ++id) {
      t += static_cast<std::int64_t>(rng() % 400);
      auto x = at(id, t, 1'000'000 + static_cast<std::int64_t>(rng() % 5000),
                  1 + static_cast<std::int64_t>(rng() % 1'000'000'000),
                  rng() % 2 == 0);
      by_interval[t - t % interval].push_back(x);
      if (auto b = builder.add(x))
        closed.push_back(*b);
    }
    // All but the last interval have closed, each exactly once, in order.
    REQUIRE(closed.size() == by_interval.size() - 1);
    auto it = by_interval.begin();
    for (std::size_t i = 0; i < closed.size(); ++i, ++it) {
      const auto& b = closed[i];
      const auto& trades = it->second;
      CHECK(b.open_ms == it->first);
      CHECK(b.interval_ms == interval);
      CHECK(b.trades == trades.size());
      CHECK(b.first_id == trades.front().agg_id);
      CHECK(b.last_id == trades.back().agg_id);
      CHECK(b.open_e8 == trades.front().price_e8);
      CHECK(b.close_e8 == trades.back().price_e8);
      std::int64_t high = 0;
      std::int64_t low = INT64_MAX;
      int128 volume = 0;
      int128 buy = 0;
      int128 quote = 0;
      for (const auto& x : trades) {
        high = std::max(high, x.price_e8);
        low = std::min(low, x.price_e8);
        volume += x.qty_e8;
        buy += x.buyer_is_maker ? 0 : x.qty_e8;
        quote += static_cast<int128>(x.price_e8) * x.qty_e8;
      }
      CHECK(b.high_e8 == high);
      CHECK(b.low_e8 == low);
      CHECK(b.volume_e8 == volume);
      CHECK(b.buy_volume_e8 == buy);
      CHECK(b.quote_e16 == quote);
      // Only the first bar is incomplete: no id was skipped.
      CHECK(b.complete == (i != 0));
    }
  }
}

TEST_CASE("skipped ids mark the bars around them incomplete", "[bars]") {
  bar_builder builder{1000};
  CHECK_FALSE(builder.add(at(1, 500, 100, 1, false)));
  auto first = builder.add(at(2, 1500, 100, 1, false));
  REQUIRE(first);
  CHECK_FALSE(first->complete); // the first bar
  CHECK_FALSE(builder.add(at(3, 1600, 100, 1, false)));
  auto second = builder.add(at(4, 2100, 100, 1, false));
  REQUIRE(second);
  CHECK(second->complete);
  // 5 and 6 are skipped: they may belong to the bar of 4 or of 7.
  auto third = builder.add(at(7, 3100, 100, 1, false));
  REQUIRE(third);
  CHECK_FALSE(third->complete);
  auto fourth = builder.add(at(8, 4100, 100, 1, false));
  REQUIRE(fourth);
  CHECK_FALSE(fourth->complete);
  CHECK(fourth->first_id == 7);
  // A skip inside an open bar marks only it.
  CHECK_FALSE(builder.add(at(10, 4200, 100, 1, false)));
  auto fifth = builder.add(at(11, 5000, 100, 1, false));
  REQUIRE(fifth);
  CHECK_FALSE(fifth->complete);
  auto sixth = builder.add(at(12, 6000, 100, 1, false));
  REQUIRE(sixth);
  CHECK(sixth->complete);
}
