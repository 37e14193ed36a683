// trade_history_test: trades read back exactly from 40 bytes each, and both bounds hold.
#include "actors/core/trade_history.hpp"

#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

using sv::trade;
using sv::trade_history;

namespace {

constexpr std::int64_t hour_ms = 3'600'000;

// Test helper: the id and the trade time, the other fields derived from the id.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
trade make(std::uint64_t id, std::int64_t t_ms) {
  trade x;
  x.symbol = "BTCUSDT";
  x.agg_id = id;
  x.first_id = 5'000'000'000 + 3 * id;
  x.last_id = x.first_id + 2;
  x.price_e8 = 9'876'543'210'000 + static_cast<std::int64_t>(id);
  x.qty_e8 = 12'345 + static_cast<std::int64_t>(id);
  x.trade_time_ms = t_ms;
  x.event_time_ms = t_ms + 7;
  x.buyer_is_maker = id % 2 == 0;
  return x;
}

bool same(const trade& a, const trade& b) {
  return a.symbol == b.symbol && a.agg_id == b.agg_id
         && a.first_id == b.first_id && a.last_id == b.last_id
         && a.price_e8 == b.price_e8 && a.qty_e8 == b.qty_e8
         && a.trade_time_ms == b.trade_time_ms
         && a.event_time_ms == b.event_time_ms
         && a.buyer_is_maker == b.buyer_is_maker;
}

} // namespace

TEST_CASE("every field reads back exactly, in and out of the packed word's "
          "range",
          "[trade_history]") {
  std::mt19937_64 rng(3);
  // An age bound past every time used, so only the fields are under test.
  trade_history h("BTCUSDT", 100'000, std::int64_t{1} << 60);
  std::vector<trade> pushed;
  std::int64_t t = 1'700'000'000'000;
  for (std::uint64_t id = 1; id <= 20'000; ++id) {
    auto x = make(id, t);
    switch (rng() % 8) {
      case 0:
        x.last_id = x.first_id + 510;
        break; // largest packed span
      case 1:
        x.last_id = x.first_id + 511;
        break; // first escaped span
      case 2:
        x.event_time_ms = t + 1'023;
        break; // largest packed lag
      case 3:
        x.event_time_ms = t + 1'024;
        break; // first escaped lag
      case 4:
        x.event_time_ms = t - 1;
        break; // E before T: escaped
      case 5:
        x.last_id = x.first_id - 1;
        break; // l < f: escaped
      default:
        x.first_id = rng();
        x.last_id = x.first_id;
        break;
    }
    x.price_e8 = static_cast<std::int64_t>(rng() >> 1);
    x.qty_e8 = static_cast<std::int64_t>(rng() >> 1);
    h.push(x);
    pushed.push_back(x);
    t += static_cast<std::int64_t>(rng() % 50);
  }
  // Trade times beyond the packed 44 bits (the decoders accept T < 10^16).
  for (std::int64_t big :
       {std::int64_t{1} << 44, std::int64_t{9'999'999'999'999'999}}) {
    auto x = make(pushed.back().agg_id + 1, big);
    h.push(x);
    pushed.push_back(x);
  }
  auto held = h.last(pushed.size());
  REQUIRE(held.size() == pushed.size());
  for (std::size_t i = 0; i < held.size(); ++i)
    REQUIRE(same(held[i], pushed[i]));
  CHECK(h.escaped() > 0);
}

TEST_CASE("the count bound evicts the oldest, and the side table with them",
          "[trade_history]") {
  trade_history h("BTCUSDT", 10, hour_ms);
  for (std::uint64_t id = 1; id <= 25; ++id) {
    auto x = make(id, 1'000 + static_cast<std::int64_t>(id));
    x.last_id = x.first_id + 1'000; // escaped: too many trades aggregated
    h.push(x);
  }
  CHECK(h.size() == 10);
  CHECK(h.escaped() == 10);
  auto held = h.last(100);
  CHECK(held.front().agg_id == 16);
  CHECK(held.back().agg_id == 25);
  CHECK(held.front().last_id == held.front().first_id + 1'000);
}

TEST_CASE("the age bound is measured from the newest trade's time",
          "[trade_history]") {
  trade_history h("BTCUSDT", 1'000, 10'000);
  h.push(make(1, 100'000));
  h.push(make(2, 105'000));
  h.push(make(3, 110'000)); // 1 is exactly 10 s older: kept
  CHECK(h.size() == 3);
  h.push(make(4, 110'001)); // now 1 is older than 10 s
  CHECK(h.size() == 3);
  CHECK(h.last(1).at(0).agg_id == 4);
  CHECK(h.last(10).at(0).agg_id == 2);
}

TEST_CASE("a backfilled trade goes to its place once, and its fields read back",
          "[trade_history]") {
  trade_history h("ETHUSDT", 1'000, hour_ms);
  h.push(make(1, 1'000));
  h.push(make(5, 5'000));
  auto late = make(3, 3'000);
  late.symbol = "ETHUSDT";
  late.event_time_ms = late.trade_time_ms; // REST: E = T
  late.last_id = late.first_id + 600;      // escaped
  h.insert(late);
  h.insert(late); // already held: ignored
  auto held = h.last(10);
  REQUIRE(held.size() == 3);
  CHECK(held[1].agg_id == 3);
  CHECK(same(held[1], late));
  CHECK(held[0].symbol == "ETHUSDT");
  CHECK(h.escaped() == 1);
}

TEST_CASE("between reads the held trades of an id range, skipping missing ids",
          "[trade_history]") {
  trade_history h{"BTCUSDT", 100, hour_ms};
  for (std::uint64_t id : std::vector<std::uint64_t>{10, 11, 12, 15, 16})
    h.push(make(id, 1000 + static_cast<std::int64_t>(id)));
  auto ids = [](const std::vector<trade>& xs) {
    std::vector<std::uint64_t> out;
    out.reserve(xs.size());
    for (const auto& x : xs)
      out.push_back(x.agg_id);
    return out;
  };
  CHECK(ids(h.between(10, 15)) == std::vector<std::uint64_t>{11, 12, 15});
  CHECK(ids(h.between(0, 100))
        == std::vector<std::uint64_t>{10, 11, 12, 15, 16});
  CHECK(h.between(12, 14).empty());
  CHECK(h.between(16, 20).empty());
  auto one = h.between(14, 15);
  REQUIRE(one.size() == 1);
  CHECK(one[0].price_e8 == make(15, 1015).price_e8);
  CHECK(one[0].event_time_ms == 1022);
}

namespace {

/// Ids 10..12 and 15..16 at T = 1000 + id.
trade_history held_with_hole() {
  trade_history h{"BTCUSDT", 100, hour_ms};
  for (std::uint64_t id : std::vector<std::uint64_t>{10, 11, 12, 15, 16})
    h.push(make(id, 1000 + static_cast<std::int64_t>(id)));
  return h;
}

std::vector<std::uint64_t> ids_of(const sv::trade_rows& rows) {
  std::vector<std::uint64_t> out;
  out.reserve(rows.trades.size());
  for (const auto& x : rows.trades)
    out.push_back(x.agg_id);
  return out;
}

} // namespace

TEST_CASE("select answers aggTrades's queries with consecutive ids only",
          "[trade_history]") {
  auto h = held_with_hole();
  sv::trade_query q;
  q.limit = 500;
  // The most recent: the run after the hole.
  auto recent = h.select(q);
  CHECK(ids_of(recent) == std::vector<std::uint64_t>{15, 16});
  CHECK(recent.missing_id == 14); // short: the run starts after a hole
  CHECK(recent.oldest_id == 10);
  CHECK(recent.newest_id == 16);
  CHECK(recent.oldest_ms == 1010);
  q.limit = 1;
  CHECK(ids_of(h.select(q)) == std::vector<std::uint64_t>{16});
  // Up to endTime: the missing 13 and 14 may have T <= 1012, so that is not
  // answered; up to 1011 it is, and short because older trades are not held.
  q.limit = 500;
  q.end_ms = 1012;
  CHECK(h.select(q).trades.empty());
  CHECK(h.select(q).missing_id == 13);
  q.end_ms = 1011;
  auto to_end = h.select(q);
  CHECK(ids_of(to_end) == std::vector<std::uint64_t>{10, 11});
  CHECK(to_end.from_oldest);
  // From an id: stops before the hole; an id inside it is missing.
  q = sv::trade_query{};
  q.by_id = true;
  q.from_id = 11;
  auto from_11 = h.select(q);
  CHECK(ids_of(from_11) == std::vector<std::uint64_t>{11, 12});
  CHECK(from_11.missing_id == 13); // stopped at the hole
  q.from_id = 13;
  auto missing = h.select(q);
  CHECK(missing.trades.empty());
  CHECK(missing.missing_id == 13);
  q.from_id = 17;
  CHECK(h.select(q).trades.empty());
  CHECK(h.select(q).missing_id == 0);
  // From a time, up to a time, with a limit.
  q = sv::trade_query{};
  q.start_ms = 1011;
  auto from_1011 = h.select(q);
  CHECK(ids_of(from_1011) == std::vector<std::uint64_t>{11, 12});
  CHECK(from_1011.missing_id == 13); // stopped at the hole
  q.end_ms = 1011;
  CHECK(ids_of(h.select(q)) == std::vector<std::uint64_t>{11});
  // The missing 13 and 14 may have T >= 1013: not answered.
  q.start_ms = 1013;
  q.end_ms = -1;
  CHECK(h.select(q).trades.empty());
  CHECK(h.select(q).missing_id == 13);
  q.start_ms = 1016;
  CHECK(ids_of(h.select(q)) == std::vector<std::uint64_t>{16});
  // Every field of a row reads back.
  q = sv::trade_query{};
  q.by_id = true;
  q.from_id = 15;
  q.limit = 1;
  auto row = h.select(q);
  REQUIRE(row.trades.size() == 1);
  CHECK(row.trades[0].last_id == make(15, 1015).last_id);
  CHECK(row.trades[0].event_time_ms == 1022);
}
