// Tests of order_flow and latency_histogram (pure, no actors).
#include <catch2/catch.hpp>

#include "actors/core/decimal.hpp"
#include "actors/core/latency_histogram.hpp"
#include "actors/core/order_flow.hpp"
#include "tests/support/trades.hpp"

using namespace sv;
using test::make_trade;
using test::trade_spec;

TEST_CASE("m == true counts as a sell, m == false as a buy", "[order_flow]") {
  order_flow flow;
  flow.add(make_trade(trade_spec{}
                        .id(1)
                        .price_e8(100 * e8_scale)
                        .qty_e8(2 * e8_scale)
                        .buyer_is_maker(true)));
  flow.add(make_trade(trade_spec{}
                        .id(2)
                        .price_e8(100 * e8_scale)
                        .qty_e8(5 * e8_scale)
                        .buyer_is_maker(false)));
  auto m = flow.snapshot("X");
  CHECK(from_wide(m.sell_volume_e8) == 2 * e8_scale);
  CHECK(from_wide(m.buy_volume_e8) == 5 * e8_scale);
}

TEST_CASE("VWAP rounds half to even at the 8th decimal", "[order_flow]") {
  // Two trades: 1e-8 at price 1e-8 and 1e-8 at price 2e-8: VWAP = 1.5e-8 -> 2e-8.
  order_flow flow;
  flow.add(
    make_trade(trade_spec{}.id(1).price_e8(1).qty_e8(1).buyer_is_maker(false)));
  flow.add(
    make_trade(trade_spec{}.id(2).price_e8(2).qty_e8(1).buyer_is_maker(false)));
  CHECK(vwap_e8(flow.snapshot("X")) == 2);
  // 0.5e-8 would round to 0 (even); 2.5e-8 to 2.
  order_flow flow2;
  flow2.add(
    make_trade(trade_spec{}.id(1).price_e8(2).qty_e8(1).buyer_is_maker(false)));
  flow2.add(
    make_trade(trade_spec{}.id(2).price_e8(3).qty_e8(1).buyer_is_maker(true)));
  CHECK(vwap_e8(flow2.snapshot("X")) == 2);
  order_flow empty;
  CHECK(vwap_e8(empty.snapshot("X")) == 0);
}

TEST_CASE("quote sums stay exact beyond 64 bits", "[order_flow]") {
  order_flow flow;
  auto big_price = std::int64_t{9'000'000'000'000'000}; // 90,000,000.00000000
  auto big_qty = std::int64_t{9'000'000'000'000'000};
  for (std::uint64_t id = 1; id <= 3; ++id)
    flow.add(make_trade(
      trade_spec{}.id(id).price_e8(big_price).qty_e8(big_qty).buyer_is_maker(
        false)));
  auto m = flow.snapshot("X");
  CHECK(from_wide(m.buy_quote_e16) == int128{big_price} * big_qty * 3);
  CHECK(format_e16_as_e8(from_wide(m.buy_quote_e16))
        == "24300000000000000.00000000");
}

TEST_CASE("latency percentiles come from the recorded samples", "[latency]") {
  latency_histogram h;
  for (int i = 1; i <= 100; ++i)
    h.add(i);
  auto s = h.snapshot();
  CHECK(s.samples == 100);
  CHECK(s.p50_us == 50);
  CHECK(s.p90_us == 90);
  CHECK(s.p99_us == 99);
  CHECK(s.max_us == 100);
  h.add(1'000'000);
  CHECK(h.snapshot().max_us == latency_histogram::range_us);
}

namespace {
// The bucket contract for one value: the reported bound is never below the
// value, exact below 128 us, at most 1/64 above it beyond, and buckets are
// ordered like the values they hold.
bool bucket_bounds_hold(std::int64_t us) {
  auto i = latency_histogram::bucket_of(us);
  auto reported = latency_histogram::highest_of(i);
  if (reported < us)
    return false;
  if (us < 128 ? reported != us : (reported - us) * 64 > us)
    return false;
  return us == 0 || latency_histogram::bucket_of(us - 1) <= i;
}
} // namespace

TEST_CASE("latency buckets are exact below 128 us and never report a value "
          "low, nor more than 1/64 high, up to the range",
          "[latency]") {
  std::int64_t first_violation = -1;
  for (std::int64_t us = 0; us <= latency_histogram::range_us; ++us)
    if (!bucket_bounds_hold(us)) {
      first_violation = us;
      break;
    }
  CHECK(first_violation == -1);
}

TEST_CASE("latency percentiles come from the log-linear buckets within 1/64",
          "[latency]") {
  latency_histogram h;
  for (int i = 0; i < 99; ++i)
    h.add(200);
  h.add(5'000);
  auto s = h.snapshot();
  CHECK(s.p50_us >= 200);
  CHECK(s.p50_us <= 203);
  CHECK(s.max_us >= 5'000);
  CHECK(s.max_us <= 5'000 + 5'000 / 64);
  CHECK(sizeof(latency_histogram) < 5'000);
}
