// book_sync_test: Binance's local order book procedure on real captures and synthetic sequences.
#include "actors/core/book_sync.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/core/decimal.hpp"
#include "actors/wire/depth_decoder.hpp"
#include "tests/support/decoding.hpp"
#include "tests/support/fixtures.hpp"

namespace {

using sv::book_phase;
using sv::sync_step;

constexpr std::size_t all_levels = std::numeric_limits<std::size_t>::max();

/// Large enough for every capture: nothing overflows unless a test wants it.
constexpr std::size_t roomy = 1000;

// -- captures -----------------------------------------------------------------

/// One snapshot and the depth events recorded around it.
struct capture {
  sv::depth_snapshot snapshot;
  std::vector<sv::depth_update> events;
};

capture load(const std::string& dir, const std::string& symbol,
             const std::string& snapshot_file, const std::string& events_file) {
  capture c;
  std::string error;
  REQUIRE(sv::decode_depth_snapshot(sv::test::read_file(dir + snapshot_file),
                                    symbol, c.snapshot, error));
  sv::depth_decoder dec{symbol};
  for (const auto& line : sv::test::read_lines(dir + events_file)) {
    sv::depth_update u;
    INFO(line);
    REQUIRE(dec.decode(line, u) == sv::decode_status::ok);
    c.events.push_back(std::move(u));
  }
  return c;
}

capture nknusdt(const std::string& dir) {
  return load(dir, "NKNUSDT", "/depth-snapshot-NKNUSDT-limit1000.json",
              "/depthUpdate-samples.jsonl");
}

capture badgerbtc(const std::string& dir) {
  return load(dir, "BADGERBTC", "/depth-snapshot-BADGERBTC-limit5000.json",
              "/depthUpdate-samples-BADGERBTC.jsonl");
}

/// The book Binance's procedure must produce, computed without book_sync or
/// order_book: the snapshot, then every event past its lastUpdateId in order.
struct reference {
  std::map<std::int64_t, std::int64_t, std::greater<>> bids;
  std::map<std::int64_t, std::int64_t> asks;

  explicit reference(const capture& c) {
    for (const auto& x : c.snapshot.bids)
      bids[x.price_e8] = x.qty_e8;
    for (const auto& x : c.snapshot.asks)
      asks[x.price_e8] = x.qty_e8;
    for (const auto& u : c.events) {
      if (u.final_update_id <= c.snapshot.last_update_id)
        continue;
      for (const auto& x : u.bids)
        set(bids, x);
      for (const auto& x : u.asks)
        set(asks, x);
    }
  }

  template <class Side>
  static void set(Side& side, const sv::price_level& x) {
    if (x.qty_e8 == 0)
      side.erase(x.price_e8);
    else
      side[x.price_e8] = x.qty_e8;
  }
};

/// The first index where `got` and `want` differ, or -1 if they are equal.
template <class Side>
long first_difference(const std::vector<sv::price_level>& got,
                      const Side& want) {
  long i = 0;
  auto w = want.begin();
  for (; w != want.end(); ++w, ++i) {
    const auto at = static_cast<std::size_t>(i);
    if (at >= got.size() || got[at].price_e8 != w->first
        || got[at].qty_e8 != w->second)
      return i;
  }
  return got.size() == want.size() ? -1 : i;
}

/// Compares `book` with `ref` level by level, best first; on a difference
/// names the first level that differs.
void check_equal(const sv::order_book& book, const reference& ref) {
  auto bids = book.top_bids(all_levels);
  auto asks = book.top_asks(all_levels);
  CHECK(book.bid_levels() == ref.bids.size());
  CHECK(book.ask_levels() == ref.asks.size());
  const long bid_diff = first_difference(bids, ref.bids);
  const long ask_diff = first_difference(asks, ref.asks);
  INFO("bid levels " << bids.size() << " (reference " << ref.bids.size()
                     << "), ask levels " << asks.size() << " (reference "
                     << ref.asks.size() << ")");
  CHECK(bid_diff == -1);
  CHECK(ask_diff == -1);
}

/// Feeds a capture with the snapshot arriving after the first `before`
/// events, and checks the outcome every way it is specified.
void replay(const capture& c, std::size_t before, std::uint64_t dropped) {
  INFO("snapshot after " << before << " events");
  sv::book_sync sync{roomy};
  for (std::size_t i = 0; i < before; ++i)
    CHECK(sync.on_update(c.events[i])
          == (i == 0 ? sync_step::request_snapshot : sync_step::none));
  CHECK(sync.phase() == book_phase::syncing);
  CHECK(sync.buffered() == before);
  CHECK(sync.on_snapshot(c.snapshot) == sync_step::none);
  CHECK(sync.phase() == book_phase::synced);
  CHECK(sync.buffered() == 0);
  for (std::size_t i = before; i < c.events.size(); ++i)
    CHECK(sync.on_update(c.events[i]) == sync_step::none);
  CHECK(sync.phase() == book_phase::synced);
  CHECK(sync.last_update_id() == c.events.back().final_update_id);
  CHECK(sync.last_event_time_ms() == c.events.back().event_time_ms);
  const auto& n = sync.counters();
  CHECK(n.syncs == 1);
  CHECK(n.resyncs == 0);
  CHECK(n.snapshots_requested == 1);
  CHECK(n.snapshot_refetches == 0);
  CHECK(n.updates_dropped == dropped);
  CHECK(n.updates_applied == c.events.size() - dropped);
  CHECK(n.buffer_overflows == 0);
  CHECK(n.last_resync_reason.empty());
  check_equal(sync.book(), reference{c});
}

// -- synthetic events ---------------------------------------------------------

/// One bid level per event at price `u` units, so the book shows which events
/// were applied.
sv::depth_update ev(std::uint64_t first, std::uint64_t last) {
  sv::depth_update u;
  u.symbol = "TESTUSDT";
  u.first_update_id = first;
  u.final_update_id = last;
  u.event_time_ms = static_cast<std::int64_t>(last) * 10;
  u.bids.push_back(sv::price_level{static_cast<std::int64_t>(last), 1});
  return u;
}

/// A snapshot with one ask at price `id` units.
sv::depth_snapshot snap(std::uint64_t id) {
  sv::depth_snapshot s;
  s.symbol = "TESTUSDT";
  s.last_update_id = id;
  s.asks.push_back(sv::price_level{static_cast<std::int64_t>(id), 5});
  return s;
}

/// The bid prices in the book, best first: the `u` of each applied event.
std::vector<std::int64_t> bid_prices(const sv::book_sync& sync) {
  std::vector<std::int64_t> result;
  for (const auto& x : sync.book().top_bids(all_levels))
    result.push_back(x.price_e8);
  return result;
}

using prices = std::vector<std::int64_t>;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

} // namespace

namespace Catch {
template <>
struct StringMaker<sv::book_phase> {
  static std::string convert(sv::book_phase x) {
    return sv::to_string(x);
  }
};
template <>
struct StringMaker<sv::sync_step> {
  static std::string convert(sv::sync_step x) {
    return x == sv::sync_step::none ? "none" : "request_snapshot";
  }
};
} // namespace Catch

// -- captures -----------------------------------------------------------------

TEST_CASE(
  "the NKNUSDT capture syncs on its snapshot: event 1 is dropped, event "
  "2 is the first applied, and the book equals a plain replay",
  "[book_sync][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  auto c = nknusdt(dir);
  REQUIRE(c.events.size() == 150);
  REQUIRE(c.snapshot.last_update_id == 499869752);
  sv::book_sync sync{roomy};
  CHECK(sync.phase() == book_phase::waiting);
  CHECK(sync.on_update(c.events[0]) == sync_step::request_snapshot);
  CHECK(sync.phase() == book_phase::syncing);
  CHECK(sync.on_snapshot(c.snapshot) == sync_step::none);
  // Event 1 (u = lastUpdateId) is contained in the snapshot.
  CHECK(sync.phase() == book_phase::synced);
  CHECK(sync.counters().updates_dropped == 1);
  CHECK(sync.counters().updates_applied == 0);
  CHECK(sync.last_update_id() == 499869752);
  REQUIRE(c.events[1].first_update_id == 499869753);
  CHECK(sync.on_update(c.events[1]) == sync_step::none);
  CHECK(sync.counters().updates_applied == 1);
  CHECK(sync.last_update_id() == c.events[1].final_update_id);
  for (std::size_t i = 2; i < c.events.size(); ++i)
    CHECK(sync.on_update(c.events[i]) == sync_step::none);
  CHECK(sync.phase() == book_phase::synced);
  CHECK(sync.last_update_id() == 499870179);
  CHECK(sync.counters().updates_applied == 149);
  CHECK(sync.counters().syncs == 1);
  CHECK(sync.counters().resyncs == 0);
  check_equal(sync.book(), reference{c});
}

TEST_CASE(
  "the BADGERBTC capture syncs on its snapshot: events 1-3 are dropped, "
  "event 4 is the first applied, and the book equals a plain replay",
  "[book_sync][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  auto c = badgerbtc(dir);
  REQUIRE(c.events.size() == 78);
  REQUIRE(c.snapshot.last_update_id == 49759189);
  sv::book_sync sync{roomy};
  CHECK(sync.on_update(c.events[0]) == sync_step::request_snapshot);
  CHECK(sync.on_snapshot(c.snapshot) == sync_step::none);
  CHECK(sync.phase() == book_phase::synced);
  // Events 2 and 3 arrive after the sync and are already in the snapshot.
  CHECK(sync.on_update(c.events[1]) == sync_step::none);
  CHECK(sync.on_update(c.events[2]) == sync_step::none);
  CHECK(sync.counters().updates_dropped == 3);
  CHECK(sync.counters().updates_applied == 0);
  REQUIRE(c.events[3].first_update_id == 49759190);
  CHECK(sync.on_update(c.events[3]) == sync_step::none);
  CHECK(sync.counters().updates_applied == 1);
  for (std::size_t i = 4; i < c.events.size(); ++i)
    CHECK(sync.on_update(c.events[i]) == sync_step::none);
  CHECK(sync.phase() == book_phase::synced);
  CHECK(sync.last_update_id() == 49759280);
  CHECK(sync.counters().updates_applied == 75);
  CHECK(sync.counters().resyncs == 0);
  check_equal(sync.book(), reference{c});
}

TEST_CASE("both captures give the same book whether the snapshot arrives "
          "early, midway or after every event was buffered",
          "[book_sync][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  SECTION("NKNUSDT") {
    auto c = nknusdt(dir);
    for (std::size_t before = 1; before <= c.events.size(); ++before)
      replay(c, before, 1);
  }
  SECTION("BADGERBTC") {
    auto c = badgerbtc(dir);
    for (std::size_t before = 1; before <= c.events.size(); ++before)
      replay(c, before, 3);
  }
}

TEST_CASE("a capture with one event lost after the sync resyncs and then "
          "matches a replay from the new snapshot",
          "[book_sync][fixtures]") {
  SV_REQUIRE_FIXTURES(dir);
  auto c = nknusdt(dir);
  sv::book_sync sync{roomy};
  sync.on_update(c.events[0]);
  sync.on_snapshot(c.snapshot);
  for (std::size_t i = 1; i < 60; ++i)
    sync.on_update(c.events[i]);
  // Event 61 (index 60) never arrives.
  CHECK(sync.on_update(c.events[61]) == sync_step::request_snapshot);
  CHECK(sync.phase() == book_phase::syncing);
  CHECK(sync.counters().resyncs == 1);
  CHECK(sync.book().bid_levels() == 0);
  CHECK(sync.book().ask_levels() == 0);
  // The reference book as of event 61's u, standing in for a new snapshot.
  capture upto{c.snapshot, {c.events.begin(), c.events.begin() + 62}};
  reference ref{upto};
  sv::depth_snapshot second;
  second.symbol = "NKNUSDT";
  second.last_update_id = c.events[61].final_update_id;
  for (const auto& [p, q] : ref.bids)
    second.bids.push_back(sv::price_level{p, q});
  for (const auto& [p, q] : ref.asks)
    second.asks.push_back(sv::price_level{p, q});
  for (std::size_t i = 62; i < 80; ++i)
    sync.on_update(c.events[i]);
  CHECK(sync.on_snapshot(second) == sync_step::none);
  for (std::size_t i = 80; i < c.events.size(); ++i)
    sync.on_update(c.events[i]);
  CHECK(sync.phase() == book_phase::synced);
  CHECK(sync.counters().syncs == 2);
  CHECK(sync.last_update_id() == 499870179);
  check_equal(sync.book(), reference{capture{second, c.events}});
}

// -- synthetic sequences --------------------------------------------------------

TEST_CASE("the first event asks for a snapshot and later ones are only "
          "buffered",
          "[book_sync]") {
  sv::book_sync sync{roomy};
  CHECK(sync.phase() == book_phase::waiting);
  CHECK(sync.last_update_id() == 0);
  CHECK(sync.on_update(ev(100, 105)) == sync_step::request_snapshot);
  CHECK(sync.on_update(ev(106, 110)) == sync_step::none);
  CHECK(sync.phase() == book_phase::syncing);
  CHECK(sync.buffered() == 2);
  CHECK(sync.last_update_id() == 0);
  CHECK(sync.counters().snapshots_requested == 1);
  CHECK(sync.book().bid_levels() == 0);
}

TEST_CASE("a snapshot older than the first buffered event is refetched and "
          "counted",
          "[book_sync]") {
  sv::book_sync sync{roomy};
  sync.on_update(ev(100, 105));
  CHECK(sync.on_snapshot(snap(98)) == sync_step::request_snapshot);
  // Binance's rule is strict: lastUpdateId < U, even when it is U - 1.
  CHECK(sync.on_snapshot(snap(99)) == sync_step::request_snapshot);
  CHECK(sync.phase() == book_phase::syncing);
  CHECK(sync.buffered() == 1);
  CHECK(sync.counters().snapshot_refetches == 2);
  CHECK(sync.counters().snapshots_requested == 3);
  CHECK(sync.counters().updates_dropped == 0);
  CHECK(sync.on_snapshot(snap(100)) == sync_step::none);
  CHECK(sync.phase() == book_phase::synced);
  CHECK(sync.last_update_id() == 105);
  CHECK(bid_prices(sync) == prices{105});
}

TEST_CASE(
  "the first event after a snapshot is applied when U <= lastUpdateId+1 "
  "<= u, even if U is not lastUpdateId+1",
  "[book_sync]") {
  SECTION("buffered") {
    sv::book_sync sync{roomy};
    sync.on_update(ev(100, 105));
    sync.on_update(ev(106, 110));
    CHECK(sync.on_snapshot(snap(102)) == sync_step::none);
    CHECK(sync.phase() == book_phase::synced);
    CHECK(sync.last_update_id() == 110);
    CHECK(bid_prices(sync) == prices{110, 105});
    CHECK(sync.counters().updates_applied == 2);
  }
  SECTION("live, after every buffered event was in the snapshot") {
    sv::book_sync sync{roomy};
    sync.on_update(ev(100, 105));
    CHECK(sync.on_snapshot(snap(107)) == sync_step::none);
    CHECK(sync.last_update_id() == 107);
    CHECK(sync.on_update(ev(106, 110)) == sync_step::none);
    CHECK(sync.last_update_id() == 110);
    CHECK(bid_prices(sync) == prices{110});
    CHECK(sync.counters().updates_dropped == 1);
  }
  SECTION(
    "but a live first event that starts past lastUpdateId+1 is a resync") {
    sv::book_sync sync{roomy};
    sync.on_update(ev(100, 105));
    sync.on_snapshot(snap(107));
    CHECK(sync.on_update(ev(109, 110)) == sync_step::request_snapshot);
    CHECK(sync.phase() == book_phase::syncing);
    CHECK(sync.counters().resyncs == 1);
    CHECK(contains(sync.counters().last_resync_reason, "U=109"));
  }
}

TEST_CASE("a lost event after the sync discards the book, buffers the next "
          "event and syncs again on a new snapshot",
          "[book_sync]") {
  sv::book_sync sync{roomy};
  sync.on_update(ev(100, 105));
  sync.on_snapshot(snap(100));
  CHECK(sync.on_update(ev(106, 110)) == sync_step::none);
  CHECK(bid_prices(sync) == prices{110, 105});
  // 111..115 is lost.
  CHECK(sync.on_update(ev(116, 120)) == sync_step::request_snapshot);
  CHECK(sync.phase() == book_phase::syncing);
  CHECK(sync.last_update_id() == 0);
  CHECK(sync.book().bid_levels() == 0);
  CHECK(sync.book().ask_levels() == 0);
  CHECK(sync.buffered() == 1);
  const auto& n = sync.counters();
  CHECK(n.resyncs == 1);
  CHECK(n.syncs == 1);
  CHECK(n.snapshots_requested == 2);
  CHECK(contains(n.last_resync_reason, "U=116"));
  CHECK(contains(n.last_resync_reason, "111"));
  CHECK(sync.on_update(ev(121, 125)) == sync_step::none);
  CHECK(sync.on_snapshot(snap(118)) == sync_step::none);
  CHECK(sync.phase() == book_phase::synced);
  CHECK(n.syncs == 2);
  CHECK(sync.last_update_id() == 125);
  CHECK(bid_prices(sync) == prices{125, 120});
  CHECK(sync.book().top_asks(all_levels)
        == std::vector<sv::price_level>{sv::price_level{118, 5}});
  CHECK(sync.last_event_time_ms() == 1250);
}

TEST_CASE("an event that overlaps the book after the first one is a sequence "
          "break",
          "[book_sync]") {
  sv::book_sync sync{roomy};
  sync.on_update(ev(100, 105));
  sync.on_snapshot(snap(100));
  CHECK(sync.on_update(ev(104, 108)) == sync_step::request_snapshot);
  CHECK(sync.counters().resyncs == 1);
}

TEST_CASE("old or duplicate events after the sync are dropped without a "
          "resync",
          "[book_sync]") {
  sv::book_sync sync{roomy};
  sync.on_update(ev(100, 105));
  sync.on_snapshot(snap(100));
  sync.on_update(ev(106, 110));
  CHECK(sync.on_update(ev(106, 110)) == sync_step::none); // redelivered
  CHECK(sync.on_update(ev(90, 99))
        == sync_step::none); // older than the snapshot
  CHECK(sync.on_update(ev(108, 110))
        == sync_step::none); // ends at the book's id
  CHECK(sync.phase() == book_phase::synced);
  CHECK(sync.counters().resyncs == 0);
  CHECK(sync.counters().updates_dropped == 3);
  CHECK(sync.last_update_id() == 110);
  CHECK(sync.on_update(ev(111, 111)) == sync_step::none);
  CHECK(bid_prices(sync) == prices{111, 110, 105});
}

TEST_CASE("a gap inside the buffer right after a snapshot is a resync that "
          "keeps the events from the gap on",
          "[book_sync]") {
  sv::book_sync sync{roomy};
  sync.on_update(ev(100, 105));
  sync.on_update(ev(106, 110));
  sync.on_update(ev(112, 115)); // 111 lost
  sync.on_update(ev(116, 118));
  CHECK(sync.on_snapshot(snap(104)) == sync_step::request_snapshot);
  CHECK(sync.phase() == book_phase::syncing);
  CHECK(sync.buffered() == 2);
  CHECK(sync.book().bid_levels() == 0);
  CHECK(sync.last_update_id() == 0);
  CHECK(sync.counters().resyncs == 1);
  CHECK(sync.counters().syncs == 0); // the book never became usable
  CHECK(sync.counters().snapshots_requested == 2);
  CHECK(contains(sync.counters().last_resync_reason, "U=112"));
  CHECK(sync.on_snapshot(snap(113)) == sync_step::none);
  CHECK(sync.phase() == book_phase::synced);
  CHECK(sync.counters().syncs == 1);
  CHECK(sync.last_update_id() == 118);
  CHECK(bid_prices(sync) == prices{118, 115});
}

TEST_CASE("a full buffer drops its oldest events, and a snapshot that does not "
          "reach past them is refetched",
          "[book_sync]") {
  sv::book_sync sync{3};
  for (std::uint64_t id = 1; id <= 5; ++id)
    sync.on_update(ev(id, id));
  CHECK(sync.buffered() == 3);
  CHECK(sync.counters().buffer_overflows == 2);
  // Events 1 and 2 are gone: snapshots at 1 or 2 cannot be joined to event 3.
  CHECK(sync.on_snapshot(snap(1)) == sync_step::request_snapshot);
  CHECK(sync.on_snapshot(snap(2)) == sync_step::request_snapshot);
  CHECK(sync.counters().snapshot_refetches == 2);
  CHECK(sync.phase() == book_phase::syncing);
  CHECK(sync.on_update(ev(6, 6)) == sync_step::none);
  CHECK(sync.counters().buffer_overflows == 3);
  CHECK(sync.on_snapshot(snap(4)) == sync_step::none);
  CHECK(sync.phase() == book_phase::synced);
  CHECK(sync.last_update_id() == 6);
  CHECK(bid_prices(sync) == prices{6, 5});
  CHECK(sync.counters().updates_dropped == 1); // event 4
}

TEST_CASE("a snapshot that leaves a hole before the first remaining buffered "
          "event is refetched",
          "[book_sync]") {
  sv::book_sync sync{roomy};
  sync.on_update(ev(10, 10));
  sync.on_update(ev(13, 14)); // 11 and 12 never arrived
  CHECK(sync.on_snapshot(snap(10)) == sync_step::request_snapshot);
  CHECK(sync.phase() == book_phase::syncing);
  CHECK(sync.counters().snapshot_refetches == 1);
  CHECK(sync.counters().resyncs == 0);
  CHECK(sync.buffered() == 1);
  // Binance's strict rule again: 12 < U = 13 is refetched, 13 is joined.
  CHECK(sync.on_snapshot(snap(12)) == sync_step::request_snapshot);
  CHECK(sync.on_snapshot(snap(13)) == sync_step::none);
  CHECK(sync.last_update_id() == 14);
}

TEST_CASE("a snapshot is ignored unless the book is syncing", "[book_sync]") {
  sv::book_sync sync{roomy};
  CHECK(sync.on_snapshot(snap(100)) == sync_step::none);
  CHECK(sync.phase() == book_phase::waiting);
  CHECK(sync.book().ask_levels() == 0);
  sync.on_update(ev(100, 105));
  sync.on_snapshot(snap(100));
  REQUIRE(sync.phase() == book_phase::synced);
  CHECK(sync.on_snapshot(snap(200)) == sync_step::none);
  CHECK(sync.phase() == book_phase::synced);
  CHECK(sync.last_update_id() == 105);
  CHECK(sync.book().top_asks(all_levels)
        == std::vector<sv::price_level>{sv::price_level{100, 5}});
  CHECK(sync.counters().syncs == 1);
  CHECK(sync.counters().snapshots_requested == 1);
}

TEST_CASE("a failed snapshot is counted and leaves the book syncing with its "
          "buffer",
          "[book_sync]") {
  sv::book_sync sync{roomy};
  sync.on_update(ev(100, 105));
  sync.on_snapshot_failed();
  CHECK(sync.phase() == book_phase::syncing);
  CHECK(sync.buffered() == 1);
  CHECK(sync.counters().snapshot_failures == 1);
  CHECK(sync.on_snapshot(snap(100)) == sync_step::none);
  CHECK(sync.phase() == book_phase::synced);
}

TEST_CASE("phases have the names the API shows", "[book_sync]") {
  CHECK(std::string{sv::to_string(book_phase::waiting)} == "waiting");
  CHECK(std::string{sv::to_string(book_phase::syncing)} == "syncing");
  CHECK(std::string{sv::to_string(book_phase::synced)} == "synced");
}

TEST_CASE("the applied events are kept in order for the feed: consecutive, "
          "then a jump at a resync",
          "[book_sync]") {
  sv::book_sync sync{roomy};
  sync.keep_applied();
  sync.on_update(ev(100, 105));
  sync.on_update(ev(106, 110));
  CHECK(sync.take_applied().empty()); // buffered, not applied
  sync.on_snapshot(snap(102));
  auto ids = [](const std::vector<sv::depth_update>& xs) {
    std::vector<std::uint64_t> out;
    for (const auto& x : xs) {
      out.push_back(x.first_update_id);
      out.push_back(x.final_update_id);
    }
    return out;
  };
  // The first overlaps the snapshot (102 within 100..105), as Binance allows.
  CHECK(ids(sync.take_applied())
        == std::vector<std::uint64_t>{100, 105, 106, 110});
  sync.on_update(ev(108, 110)); // contained: dropped, not relayed
  sync.on_update(ev(111, 112));
  CHECK(ids(sync.take_applied()) == std::vector<std::uint64_t>{111, 112});
  sync.on_update(ev(120, 125)); // lost 113..119: resync
  sync.on_update(ev(126, 130));
  CHECK(sync.take_applied().empty());
  sync.on_snapshot(snap(127));
  CHECK(ids(sync.take_applied()) == std::vector<std::uint64_t>{126, 130});
}

TEST_CASE("without keep_applied nothing is kept", "[book_sync]") {
  sv::book_sync sync{roomy};
  sync.on_update(ev(100, 105));
  sync.on_snapshot(snap(102));
  sync.on_update(ev(106, 110));
  CHECK(sync.take_applied().empty());
}
