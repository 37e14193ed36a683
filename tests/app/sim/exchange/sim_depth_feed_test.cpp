// Tests of app/sim/depth_feed.cpp and depth_json.cpp: depth events that rebuild the sim's book exactly, and their text.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "actors/core/decimal.hpp"
#include "app/sim/exchange/depth_feed.hpp"
#include "app/sim/exchange/depth_json.hpp"
#include "app/sim/exchange/stream_json.hpp"

using namespace sv;

namespace {

constexpr std::size_t whole_book = 1'000'000;

/// Applies the open event's remaining changes and closes it.
const depth_event* next_event(depth_feed& feed, std::int64_t now_ms = 1,
                              bool drop = false) {
  while (feed.open_applied() < feed.open_size())
    feed.apply_change();
  return feed.close_event(now_ms, drop);
}

/// Binance's rule for a diff: quantity 0 removes the level, anything else sets it.
void apply_diff(book_levels& book, const depth_diff& d) {
  for (const auto& l : d.bids)
    apply_change(book,
                 {d.final_update_id, book_side::bid, l.price_e8, l.qty_e8});
  for (const auto& l : d.asks)
    apply_change(book,
                 {d.final_update_id, book_side::ask, l.price_e8, l.qty_e8});
}

/// The initial book of a fresh feed, as levels.
book_levels initial_levels(const depth_feed& feed) {
  auto snap = feed.book().snapshot_at(feed.book().initial_update_id(),
                                      whole_book);
  REQUIRE(snap);
  book_levels out;
  for (const auto& l : snap->bids)
    out.bids[l.price_e8] = l.qty_e8;
  for (const auto& l : snap->asks)
    out.asks[l.price_e8] = l.qty_e8;
  return out;
}

bool same_snapshot(const book_snapshot& a, const book_snapshot& b) {
  return a.last_update_id == b.last_update_id && a.bids == b.bids
         && a.asks == b.asks;
}

} // namespace

TEST_CASE(
  "Each sim depth event lists every level its changes touched once with the "
  "final quantity, sorted best first, and continues the previous event's ids") {
  depth_feed feed("BNBBTC", 1, 5);
  auto book = initial_levels(feed);
  auto previous_u = feed.book().initial_update_id();
  for (int i = 0; i < 300; ++i) {
    const auto* e = next_event(feed, 1000 + i);
    REQUIRE(e);
    const auto& d = e->diff;
    CHECK(e->number == i + 1);
    REQUIRE(d.first_update_id == previous_u + 1);
    REQUIRE(d.final_update_id == feed.book().last_update_id());
    auto size = d.final_update_id - d.first_update_id + 1;
    REQUIRE(size >= 3);
    REQUIRE(size <= 7);
    REQUIRE(size == depth_event_changes("BNBBTC", 1, d.first_update_id, 5));
    REQUIRE(static_cast<std::int64_t>(d.bids.size() + d.asks.size()) <= size);
    for (std::size_t k = 1; k < d.bids.size(); ++k)
      REQUIRE(d.bids[k].price_e8 < d.bids[k - 1].price_e8);
    for (std::size_t k = 1; k < d.asks.size(); ++k)
      REQUIRE(d.asks[k].price_e8 > d.asks[k - 1].price_e8);
    CHECK(d.event_ms == 1000 + i);
    apply_diff(book, d);
    REQUIRE(book.bids == feed.book().levels().bids);
    REQUIRE(book.asks == feed.book().levels().asks);
    previous_u = d.final_update_id;
  }
  CHECK(feed.emitted() == 300);
  CHECK(feed.dropped() == 0);
}

TEST_CASE("Sim depth events rebuild the same book at every u whatever the "
          "changes per event") {
  depth_feed fine("ETHUSDT", 4, 1);
  depth_feed coarse("ETHUSDT", 4, 9);
  for (int i = 0; i < 3000; ++i)
    next_event(fine);
  auto book = initial_levels(coarse);
  while (true) {
    const auto* e = next_event(coarse);
    REQUIRE(e);
    if (e->diff.final_update_id > fine.book().last_update_id())
      break;
    apply_diff(book, e->diff);
    auto truth = fine.book().snapshot_at(e->diff.final_update_id, whole_book);
    REQUIRE(truth);
    REQUIRE(
      same_snapshot(top_of(book, e->diff.final_update_id, whole_book), *truth));
  }
}

TEST_CASE("A dropped sim depth event is not kept for the streams, but its "
          "changes stay in the book and its number is counted") {
  depth_feed feed("ETHUSDT", 2, 5);
  for (int i = 0; i < 3; ++i)
    REQUIRE(next_event(feed));
  CHECK(feed.next_number() == 4);
  CHECK(next_event(feed, 1, true) == nullptr);
  const auto* after = next_event(feed);
  REQUIRE(after);
  CHECK(after->number == 5);
  CHECK(feed.emitted() == 4);
  CHECK(feed.dropped() == 1);
  CHECK(feed.next_pos() == 4);
  CHECK(feed.oldest_pos() == 0);
  const auto& before = feed.at(2);
  CHECK(before.number == 3);
  CHECK(&feed.at(3) == after);
  // The gap is exactly the dropped event, whose size follows from where it started.
  auto gap = after->diff.first_update_id - before.diff.final_update_id - 1;
  CHECK(
    gap
    == depth_event_changes("ETHUSDT", 2, before.diff.final_update_id + 1, 5));
  CHECK(gap >= 3);
  CHECK(feed.book().last_update_id() == after->diff.final_update_id);
}

TEST_CASE(
  "A sim depth feed keeps the last history_max events for lagging streams") {
  depth_feed feed("BTCUSDT", 1, 1);
  for (std::size_t i = 0; i < depth_feed::history_max + 5; ++i)
    next_event(feed);
  CHECK(feed.oldest_pos() == 5);
  CHECK(feed.next_pos()
        == static_cast<std::int64_t>(depth_feed::history_max + 5));
  CHECK(feed.at(5).number == 6);
}

TEST_CASE("Sim depth event sizes are N-N/2..N+N/2 with mean N, a function of "
          "symbol, seed and the event's first id only") {
  for (std::int64_t n : {1, 2, 5, 10}) {
    INFO("N " << n);
    std::int64_t sum = 0;
    constexpr int events = 4000;
    for (int i = 0; i < events; ++i) {
      auto size = depth_event_changes("BTCUSDT", 3, 1'000'000'001 + i, n);
      REQUIRE(size >= n - n / 2);
      REQUIRE(size <= n + n / 2);
      REQUIRE(size == depth_event_changes("BTCUSDT", 3, 1'000'000'001 + i, n));
      sum += size;
    }
    CHECK(static_cast<double>(sum) / events
          == Approx(static_cast<double>(n)).epsilon(0.05));
  }
}

TEST_CASE("The sim's depthUpdate has Binance's key order e,E,s,U,u,b,a with "
          "8-decimal strings, and the snapshot body lastUpdateId,bids,asks") {
  depth_diff d;
  d.first_update_id = 157;
  d.final_update_id = 160;
  d.event_ms = 1'700'000'000'000;
  d.bids = {{240000, 1'000'000'000}, {230000, 5}};
  d.asks = {{260000, 0}};
  std::string raw;
  append_depth_event(raw, "BNBBTC", d);
  CHECK(raw
        == "{\"e\":\"depthUpdate\",\"E\":1700000000000,\"s\":\"BNBBTC\",\"U\":"
           "157,\"u\":160,"
           "\"b\":[[\"0.00240000\",\"10.00000000\"],[\"0.00230000\",\"0."
           "00000005\"]],"
           "\"a\":[[\"0.00260000\",\"0.00000000\"]]}");
  std::string combined;
  append_combined(combined, depth_stream_name("BNBBTC"),
                  [&](std::string& o) { append_depth_event(o, "BNBBTC", d); });
  CHECK(combined == "{\"stream\":\"bnbbtc@depth@100ms\",\"data\":" + raw + "}");
  book_snapshot s;
  s.last_update_id = 1027024;
  s.bids = {{400000000, 43100000000}};
  std::string body;
  append_depth_snapshot(body, s);
  CHECK(body
        == "{\"lastUpdateId\":1027024,\"bids\":[[\"4.00000000\",\"431."
           "00000000\"]],\"asks\":[]}");
  // A feed's own event parses back to its values.
  depth_feed feed("BNBBTC", 1, 5);
  const auto* e = next_event(feed, 42);
  REQUIRE(e);
  rapidjson::Document doc;
  doc.Parse(e->raw.c_str());
  REQUIRE(!doc.HasParseError());
  CHECK(doc["U"].GetInt64() == e->diff.first_update_id);
  CHECK(doc["u"].GetInt64() == e->diff.final_update_id);
  CHECK(doc["E"].GetInt64() == 42);
  REQUIRE(doc["b"].Size() == e->diff.bids.size());
  for (rapidjson::SizeType i = 0; i < doc["b"].Size(); ++i) {
    std::int64_t price = 0;
    std::int64_t qty = 0;
    REQUIRE(parse_e8(doc["b"][i][0].GetString(), price));
    REQUIRE(parse_e8(doc["b"][i][1].GetString(), qty));
    CHECK(price == e->diff.bids[i].price_e8);
    CHECK(qty == e->diff.bids[i].qty_e8);
  }
  rapidjson::Document wrapped;
  wrapped.Parse(e->combined.c_str());
  REQUIRE(!wrapped.HasParseError());
  CHECK(std::string(wrapped["stream"].GetString()) == "bnbbtc@depth@100ms");
  CHECK(wrapped["data"]["u"].GetInt64() == e->diff.final_update_id);
}
