// order_book_test: levels from snapshots and diffs, top-N lists and book metrics.
#include "actors/core/order_book.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/core/decimal.hpp"
#include "tests/support/decoding.hpp"

namespace {

using sv::test::e8;

sv::price_level lv(const char* price, const char* qty) {
  return sv::price_level{e8(price), e8(qty)};
}

sv::depth_snapshot snapshot(std::vector<sv::price_level> bids,
                            std::vector<sv::price_level> asks) {
  sv::depth_snapshot s;
  s.symbol = "TESTUSDT";
  s.last_update_id = 100;
  s.bids = std::move(bids);
  s.asks = std::move(asks);
  return s;
}

sv::depth_update diff(std::vector<sv::price_level> bids,
                      std::vector<sv::price_level> asks) {
  sv::depth_update u;
  u.symbol = "TESTUSDT";
  u.first_update_id = 101;
  u.final_update_id = 101;
  u.bids = std::move(bids);
  u.asks = std::move(asks);
  return u;
}

/// A wide quantity as 8-decimal text, so a CHECK prints it readably.
std::string qty(sv::wide w) {
  return sv::format_e8(sv::from_wide(w));
}

using levels = std::vector<sv::price_level>;

} // namespace

TEST_CASE("reset replaces every level with the snapshot's and skips zero "
          "quantities",
          "[order_book]") {
  sv::order_book book;
  book.reset(snapshot({lv("9", "1")}, {lv("11", "1")}));
  book.reset(snapshot({lv("10", "2"), lv("9.5", "0"), lv("9", "3")},
                      {lv("10.5", "4"), lv("11", "0")}));
  CHECK(book.bid_levels() == 2);
  CHECK(book.ask_levels() == 1);
  CHECK(book.top_bids(10) == levels{lv("10", "2"), lv("9", "3")});
  CHECK(book.top_asks(10) == levels{lv("10.5", "4")});
}

TEST_CASE("a snapshot out of best-first order or with a repeated price gives "
          "the book its levels give applied one by one",
          "[order_book]") {
  // Binance lists snapshot levels strictly best first (the fast path); any other
  // order must give what applying them in order as a diff gives.
  levels bids{lv("9", "1"), lv("10", "2"), lv("9", "5"),
              lv("8", "0"), lv("11", "3"), lv("11", "0")};
  levels asks{lv("12", "1"), lv("13", "2"), lv("12", "7"), lv("14", "4")};
  sv::order_book from_snapshot;
  from_snapshot.reset(snapshot(bids, asks));
  sv::order_book from_diff;
  from_diff.apply(diff(bids, asks));
  CHECK(from_snapshot.top_bids(10) == from_diff.top_bids(10));
  CHECK(from_snapshot.top_asks(10) == from_diff.top_asks(10));
  CHECK(from_snapshot.top_bids(10) == levels{lv("10", "2"), lv("9", "5")});
  CHECK(from_snapshot.top_asks(10)
        == levels{lv("12", "7"), lv("13", "2"), lv("14", "4")});
}

TEST_CASE("apply sets each level to its new absolute quantity and adds new "
          "levels",
          "[order_book]") {
  sv::order_book book;
  book.reset(snapshot({lv("10", "2"), lv("9", "3")}, {lv("11", "4")}));
  book.apply(
    diff({lv("9", "7"), lv("9.5", "1")}, {lv("11", "0.5"), lv("12", "6")}));
  CHECK(book.top_bids(10)
        == levels{lv("10", "2"), lv("9.5", "1"), lv("9", "7")});
  CHECK(book.top_asks(10) == levels{lv("11", "0.5"), lv("12", "6")});
}

TEST_CASE("a level with quantity 0 is removed, and removing an absent level "
          "changes nothing",
          "[order_book]") {
  sv::order_book book;
  book.reset(
    snapshot({lv("10", "2"), lv("9", "3")}, {lv("11", "4"), lv("12", "5")}));
  book.apply(diff({lv("10", "0")}, {lv("12", "0")}));
  CHECK(book.top_bids(10) == levels{lv("9", "3")});
  CHECK(book.top_asks(10) == levels{lv("11", "4")});
  // Binance sends deletes for levels a client may never have seen.
  book.apply(diff({lv("10", "0"), lv("8.5", "0")}, {lv("13", "0")}));
  CHECK(book.top_bids(10) == levels{lv("9", "3")});
  CHECK(book.top_asks(10) == levels{lv("11", "4")});
  book.apply(diff({lv("9", "0")}, {lv("11", "0")}));
  CHECK(book.bid_levels() == 0);
  CHECK(book.ask_levels() == 0);
}

TEST_CASE("top lists give bids highest first and asks lowest first, shortened "
          "to the side's length",
          "[order_book]") {
  sv::order_book book;
  // Levels given out of order: the book orders them, not the input.
  book.reset(snapshot({lv("9", "1"), lv("10", "2"), lv("8", "3")},
                      {lv("12", "4"), lv("11", "5"), lv("13", "6")}));
  CHECK(book.top_bids(2) == levels{lv("10", "2"), lv("9", "1")});
  CHECK(book.top_asks(2) == levels{lv("11", "5"), lv("12", "4")});
  CHECK(book.top_bids(5) == levels{lv("10", "2"), lv("9", "1"), lv("8", "3")});
  CHECK(book.top_asks(3)
        == levels{lv("11", "5"), lv("12", "4"), lv("13", "6")});
  CHECK(book.top_bids(0).empty());
  sv::order_book empty;
  CHECK(empty.top_bids(3).empty());
  CHECK(empty.top_asks(3).empty());
}

TEST_CASE("clear removes every level", "[order_book]") {
  sv::order_book book;
  book.reset(snapshot({lv("10", "2")}, {lv("11", "4")}));
  book.clear();
  CHECK(book.bid_levels() == 0);
  CHECK(book.ask_levels() == 0);
  CHECK(book.top_bids(1).empty());
}

TEST_CASE("metrics give best prices, spread, twice the mid and top-N sums",
          "[order_book]") {
  sv::order_book book;
  book.reset(snapshot({lv("99", "1"), lv("98", "2"), lv("97", "4")},
                      {lv("101", "10"), lv("102", "20")}));
  auto m = book.metrics(2, 0);
  CHECK(m.best_bid_e8 == e8("99"));
  CHECK(m.best_ask_e8 == e8("101"));
  CHECK(m.spread_e8 == e8("2"));
  CHECK(m.mid_x2_e8 == e8("200"));
  CHECK(m.top_levels == 2);
  CHECK(qty(m.bid_qty_top_e8) == "3.00000000");
  CHECK(qty(m.ask_qty_top_e8) == "30.00000000");
  // N beyond the side's length sums the whole side; N = 0 sums nothing.
  m = book.metrics(10, 0);
  CHECK(qty(m.bid_qty_top_e8) == "7.00000000");
  CHECK(qty(m.ask_qty_top_e8) == "30.00000000");
  m = book.metrics(0, 0);
  CHECK(qty(m.bid_qty_top_e8) == "0.00000000");
  CHECK(qty(m.ask_qty_top_e8) == "0.00000000");
}

TEST_CASE("the band includes levels exactly on its boundary and excludes those "
          "one unit beyond",
          "[order_book]") {
  sv::order_book book;
  // Mid 100: 100 bps reaches exactly 99 and 101.
  book.reset(
    snapshot({lv("99", "1"), lv("98.99999999", "2"), lv("98", "4")},
             {lv("101", "10"), lv("101.00000001", "20"), lv("102", "40")}));
  auto m = book.metrics(1, 100);
  CHECK(m.band_bps == 100);
  CHECK(qty(m.bid_qty_band_e8) == "1.00000000");
  CHECK(qty(m.ask_qty_band_e8) == "10.00000000");
  m = book.metrics(1, 99); // bounds 99.01 and 100.99: no level
  CHECK(qty(m.bid_qty_band_e8) == "0.00000000");
  CHECK(qty(m.ask_qty_band_e8) == "0.00000000");
  m = book.metrics(1, 200); // bounds 98 and 102: every level
  CHECK(qty(m.bid_qty_band_e8) == "7.00000000");
  CHECK(qty(m.ask_qty_band_e8) == "70.00000000");
  m = book.metrics(1, 0);
  CHECK(qty(m.bid_qty_band_e8) == "0.00000000");
  CHECK(qty(m.ask_qty_band_e8) == "0.00000000");
  // Beyond 10^4 bps the bid bound is negative: every bid counts.
  m = book.metrics(1, 20'000);
  CHECK(qty(m.bid_qty_band_e8) == "7.00000000");
  CHECK(qty(m.ask_qty_band_e8) == "70.00000000");
}

TEST_CASE("the band uses the exact mid even when it falls between two price "
          "units",
          "[order_book]") {
  sv::order_book book;
  // Mid = 20000.5 units; 1 bp below is 19998.49995 units, so 19998 is out. A
  // mid truncated to 20000 would put the bound at 19998 and count it.
  book.reset(
    snapshot({sv::price_level{19'999, 1}, sv::price_level{19'998, 2}},
             {sv::price_level{20'002, 4}, sv::price_level{20'003, 8}}));
  auto m = book.metrics(1, 1);
  CHECK(m.mid_x2_e8 == 40'001);
  CHECK(sv::from_wide(m.bid_qty_band_e8) == 1);
  // 1 bp above is 20002.50005 units: 20002 is in, 20003 out.
  CHECK(sv::from_wide(m.ask_qty_band_e8) == 4);
}

TEST_CASE("metrics of an empty or one-sided book leave mid, spread and band at "
          "0",
          "[order_book]") {
  sv::order_book book;
  auto m = book.metrics(5, 100);
  CHECK(m.best_bid_e8 == 0);
  CHECK(m.best_ask_e8 == 0);
  CHECK(m.spread_e8 == 0);
  CHECK(m.mid_x2_e8 == 0);
  CHECK(m.top_levels == 5);
  CHECK(m.band_bps == 100);
  CHECK(qty(m.bid_qty_top_e8) == "0.00000000");
  CHECK(qty(m.ask_qty_top_e8) == "0.00000000");
  CHECK(qty(m.bid_qty_band_e8) == "0.00000000");
  CHECK(qty(m.ask_qty_band_e8) == "0.00000000");

  book.reset(snapshot({lv("99", "1"), lv("98", "2")}, {}));
  m = book.metrics(5, 20'000);
  CHECK(m.best_bid_e8 == e8("99"));
  CHECK(m.best_ask_e8 == 0);
  CHECK(m.spread_e8 == 0);
  CHECK(m.mid_x2_e8 == 0);
  CHECK(qty(m.bid_qty_top_e8) == "3.00000000");
  CHECK(qty(m.bid_qty_band_e8) == "0.00000000");

  book.reset(snapshot({}, {lv("101", "4")}));
  m = book.metrics(5, 20'000);
  CHECK(m.best_bid_e8 == 0);
  CHECK(m.best_ask_e8 == e8("101"));
  CHECK(m.spread_e8 == 0);
  CHECK(m.mid_x2_e8 == 0);
  CHECK(qty(m.ask_qty_top_e8) == "4.00000000");
  CHECK(qty(m.ask_qty_band_e8) == "0.00000000");
}

TEST_CASE("quantity sums are exact beyond the 64-bit range", "[order_book]") {
  constexpr auto big = std::numeric_limits<std::int64_t>::max();
  sv::order_book book;
  book.reset(snapshot({sv::price_level{100, big}, sv::price_level{99, big}},
                      {sv::price_level{101, big}, sv::price_level{102, big}}));
  auto m = book.metrics(2, 10'000);
  CHECK(sv::from_wide(m.bid_qty_top_e8) == sv::int128{big} * 2);
  CHECK(sv::from_wide(m.ask_qty_top_e8) == sv::int128{big} * 2);
  CHECK(sv::from_wide(m.bid_qty_band_e8) == sv::int128{big} * 2);
  CHECK(sv::from_wide(m.ask_qty_band_e8) == sv::int128{big} * 2);
}
