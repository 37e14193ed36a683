// Tests of app/sim/sim_order_book.cpp: a deterministic, never-crossed book whose state as of any update id can be rebuilt.
#include <catch2/catch.hpp>

#include <iterator>
#include <vector>

#include "app/sim/exchange/sim_order_book.hpp"
#include "app/sim/exchange/trade_generator.hpp"

using namespace sv;

namespace {

/// A limit above any side's size: the whole book.
constexpr std::size_t whole_book = 1'000'000;

bool same_levels(const book_levels& a, const book_levels& b) {
  return a.bids == b.bids && a.asks == b.asks;
}

bool same_snapshot(const book_snapshot& a, const book_snapshot& b) {
  return a.last_update_id == b.last_update_id && a.bids == b.bids
         && a.asks == b.asks;
}

/// Position of `price` among a side's levels, best first; the side's size if absent.
template <class Map>
std::size_t rank_of(const Map& side, std::int64_t price) {
  return static_cast<std::size_t>(
    std::distance(side.begin(), side.find(price)));
}

} // namespace

TEST_CASE("The same seed and symbol give the same initial sim order book: 300 "
          "levels per side on the price tick around the start price") {
  sim_order_book a("BTCUSDT", 7);
  sim_order_book b("BTCUSDT", 7);
  CHECK(same_levels(a.levels(), b.levels()));
  CHECK(!same_levels(a.levels(), sim_order_book("BTCUSDT", 8).levels()));
  CHECK(a.initial_update_id() == 1'000'000'000);
  CHECK(a.last_update_id() == a.initial_update_id());
  CHECK(a.tick_e8() == 1'000'000); // 0.01 at 60000
  for (const char* symbol : {"BTCUSDT", "ETHUSDT", "BNBBTC", "DOGEUSDT"}) {
    INFO(symbol);
    sim_order_book book(symbol, 1);
    const auto& lv = book.levels();
    CHECK(lv.bids.size() == sim_order_book::initial_levels);
    CHECK(lv.asks.size() == sim_order_book::initial_levels);
    auto start = start_price_e8(symbol);
    CHECK(lv.bids.begin()->first < start);
    CHECK(lv.asks.begin()->first > start);
    for (const auto& [price, qty] : lv.bids) {
      REQUIRE(price > 0);
      REQUIRE(price % book.tick_e8() == 0);
      REQUIRE(qty > 0);
    }
    for (const auto& [price, qty] : lv.asks) {
      REQUIRE(price % book.tick_e8() == 0);
      REQUIRE(qty > 0);
    }
  }
}

TEST_CASE("The sim order book after update id L is the same however its "
          "changes are grouped") {
  sim_order_book one_by_one("BNBBTC", 3);
  sim_order_book chunked("BNBBTC", 3);
  auto id = chunked.initial_update_id();
  for (std::int64_t n : {1, 7, 2, 50, 3, 500, 11, 4096, 1, 5000}) {
    id += n;
    chunked.apply_until(id);
    while (one_by_one.last_update_id() < id) {
      auto c = one_by_one.apply_next();
      REQUIRE(c.update_id == one_by_one.last_update_id());
    }
    REQUIRE(chunked.last_update_id() == id);
    REQUIRE(same_levels(chunked.levels(), one_by_one.levels()));
  }
  chunked.apply_until(id - 10); // never goes back
  CHECK(chunked.last_update_id() == id);
}

TEST_CASE("A sim order book snapshot as of update id L equals replaying its "
          "changes from the initial book to L") {
  constexpr auto every = sim_order_book::checkpoint_every;
  sim_order_book book("ETHUSDT", 11);
  auto initial = book.initial_update_id();
  book.apply_until(initial + 3 * every
                   + 100); // three kept copies behind the current book
  for (auto offset :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{99}, every - 1, every,
        every + 1, 2 * every + 5, 3 * every, 3 * every + 99, 3 * every + 100}) {
    INFO("offset " << offset);
    sim_order_book replay("ETHUSDT", 11);
    replay.apply_until(initial + offset);
    auto snap = book.snapshot_at(initial + offset, whole_book);
    REQUIRE(snap);
    CHECK(snap->last_update_id == initial + offset);
    CHECK(same_snapshot(*snap, replay.snapshot(whole_book)));
    auto top = book.snapshot_at(initial + offset, 5);
    REQUIRE(top);
    CHECK(
      top->bids
      == std::vector<book_level>(snap->bids.begin(), snap->bids.begin() + 5));
    CHECK(
      top->asks
      == std::vector<book_level>(snap->asks.begin(), snap->asks.begin() + 5));
  }
  CHECK(!book.snapshot_at(initial - 1, 10));
  CHECK(!book.snapshot_at(book.last_update_id() + 1, 10));
  CHECK(same_snapshot(*book.snapshot_at(book.last_update_id(), whole_book),
                      book.snapshot(whole_book)));
}

TEST_CASE("Every sim order book change keeps the best bid strictly below the "
          "best ask, deletes only existing levels, and stays near the top") {
  for (const char* symbol : {"BTCUSDT", "XRPUSDT", "BNBBTC"}) {
    INFO(symbol);
    sim_order_book book(symbol, 9);
    auto mirror = book.levels(); // the book before each change
    auto tick = book.tick_e8();
    std::int64_t deletes = 0;
    std::int64_t inserts = 0;
    std::int64_t top_moves = 0;
    for (int i = 0; i < 20000; ++i) {
      auto best_bid = mirror.bids.begin()->first;
      auto best_ask = mirror.asks.begin()->first;
      auto c = book.apply_next();
      REQUIRE(c.update_id == book.initial_update_id() + i + 1);
      bool bid = c.side == book_side::bid;
      auto rank = bid ? rank_of(mirror.bids, c.price_e8)
                      : rank_of(mirror.asks, c.price_e8);
      auto size = bid ? mirror.bids.size() : mirror.asks.size();
      bool existed = rank < size;
      // At most top_window - 1 ticks behind the best, at most 2 ahead of it.
      auto behind = bid ? (best_bid - c.price_e8) / tick
                        : (c.price_e8 - best_ask) / tick;
      if (c.qty_e8 == 0) {
        REQUIRE(existed);
        REQUIRE(behind >= 0);
        REQUIRE(behind < static_cast<std::int64_t>(sim_order_book::top_window));
        ++deletes;
      } else {
        REQUIRE(c.qty_e8 > 0);
        REQUIRE(c.price_e8 % tick == 0);
        REQUIRE(behind >= -2);
        REQUIRE(behind < static_cast<std::int64_t>(sim_order_book::top_window));
        if (existed) {
          auto before = bid ? mirror.bids.at(c.price_e8)
                            : mirror.asks.at(c.price_e8);
          REQUIRE(before != c.qty_e8);
        } else {
          ++inserts;
        }
      }
      apply_change(mirror, c);
      const auto& now = book.levels();
      REQUIRE(same_levels(mirror, now));
      REQUIRE(!now.bids.empty());
      REQUIRE(!now.asks.empty());
      REQUIRE(now.bids.begin()->first < now.asks.begin()->first);
      REQUIRE(now.bids.rbegin()->first > 0);
      REQUIRE(now.bids.size() >= sim_order_book::levels_min);
      REQUIRE(now.asks.size() >= sim_order_book::levels_min);
      if (now.bids.begin()->first != best_bid
          || now.asks.begin()->first != best_ask)
        ++top_moves;
    }
    CHECK(deletes > 2000);
    CHECK(inserts > 2000);
    CHECK(top_moves > 1000);
    // Deletes and inserts balance: each side stays near its initial depth.
    CHECK(book.levels().bids.size() > 200);
    CHECK(book.levels().bids.size() < 400);
    CHECK(book.levels().asks.size() > 200);
    CHECK(book.levels().asks.size() < 400);
  }
}
