// Tests of feed_actor: Binance's paths, control messages and errors, fan-out, limits.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "actors/feed_actor.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_feed_writer.hpp"
#include "tests/support/fake_market_publisher.hpp"
#include "tests/support/trades.hpp"

using namespace sv;
using namespace std::chrono_literals;
using test::make_trade;
using test::trade_spec;

namespace {

/// Whether the feed actor gets the fake publisher (cfg.publisher).
enum class publishing { off, on };

struct feed_actor_fixture : test::actor_fixture {
  test::fake_feed_writer writer;
  test::fake_market_publisher publisher; ///< the feed's with publishing::on
  feed_if feed;

  explicit feed_actor_fixture(std::uint32_t clients_max = 256,
                              publishing with = publishing::off) {
    feed_config c;
    c.writer = &writer;
    if (with == publishing::on)
      c.publisher = &publisher;
    c.clients_max = clients_max;
    c.streams_per_client_max = 3;
    c.symbols = {"BTCUSDT", "ETHUSDT"};
    c.book_symbols = {"BTCUSDT"};
    feed = keep_for_teardown(sys.spawn(feed_actor, c));
  }

  void open(std::uint64_t client, std::string path, std::string query = "") {
    caf::anon_send(feed, feed_opened{client, std::move(path), std::move(query),
                                     "127.0.0.1"});
    run();
  }

  void text(std::uint64_t client, std::string t) {
    caf::anon_send(feed, feed_text{client, std::move(t)});
    run();
  }

  /// `recv_ns`: when the live frames that released them were read (0: none).
  void release(const std::string& symbol, const std::vector<std::uint64_t>& ids,
               std::int64_t recv_ns = 0) {
    released_trades r;
    r.symbol = symbol;
    for (auto id : ids) {
      auto x = make_trade(trade_spec{}
                            .id(id)
                            .price_e8(6'000'001'000'000)
                            .qty_e8(100'000)
                            .time_ms(1000 + static_cast<std::int64_t>(id))
                            .buyer_is_maker(true));
      x.symbol = symbol;
      r.trades.push_back(x);
    }
    r.through_id = ids.empty() ? 0 : ids.back();
    r.recv_ns = recv_ns;
    caf::anon_send(feed, std::move(r));
    run();
  }
};

std::string raw_trade(std::uint64_t id, const std::string& symbol = "BTCUSDT") {
  auto t = std::to_string(1000 + id);
  return R"({"e":"aggTrade","E":)" + t + R"(,"s":")" + symbol + R"(","a":)"
         + std::to_string(id) + R"(,"p":"60000.01000000","q":"0.00100000","f":)"
         + std::to_string(id) + R"(,"l":)" + std::to_string(id) + R"(,"T":)" + t
         + R"(,"m":true,"M":true})";
}

/// The feed with the fake publisher.
struct publishing_feed_fixture : feed_actor_fixture {
  publishing_feed_fixture() : feed_actor_fixture(256, publishing::on) {
  }
};

/// A published message as one line: subject, id, recv_ns, payload.
std::string line_of(const market_message& m) {
  return m.subject + " " + m.msg_id + " " + std::to_string(m.recv_ns) + " "
         + m.payload;
}

std::vector<std::string> lines_of(const std::vector<market_message>& ms) {
  std::vector<std::string> out;
  out.reserve(ms.size());
  for (const auto& m : ms)
    out.push_back(line_of(m));
  return out;
}

/// What the feed must publish for trade `id` of release()'s making.
std::string published(std::uint64_t id, const std::string& symbol = "BTCUSDT",
                      std::int64_t recv_ns = 0) {
  return "md.binance.spot." + symbol + ".trade binance.spot." + symbol
         + ".trade." + std::to_string(id) + " " + std::to_string(recv_ns) + " "
         + raw_trade(id, symbol);
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size()
         && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

} // namespace

TEST_CASE_METHOD(feed_actor_fixture,
                 "a raw /ws/<stream> client gets Binance's aggTrade frames of "
                 "its symbol only",
                 "[feed]") {
  open(1, "/ws/btcusdt@aggTrade");
  release("BTCUSDT", {7, 8});
  release("ETHUSDT", {9});
  CHECK(writer.take(1) == std::vector<std::string>{raw_trade(7), raw_trade(8)});
  CHECK(writer.closed.empty());
}

TEST_CASE_METHOD(feed_actor_fixture,
                 "a combined /stream client gets each stream wrapped",
                 "[feed]") {
  open(1, "/stream", "streams=btcusdt@aggTrade/ethusdt@aggTrade");
  release("ETHUSDT", {9});
  release("BTCUSDT", {7});
  CHECK(writer.take(1)
        == std::vector<std::string>{R"({"stream":"ethusdt@aggTrade","data":)"
                                      + raw_trade(9, "ETHUSDT") + "}",
                                    R"({"stream":"btcusdt@aggTrade","data":)"
                                      + raw_trade(7) + "}"});
}

TEST_CASE_METHOD(feed_actor_fixture,
                 "SUBSCRIBE, LIST_SUBSCRIPTIONS, UNSUBSCRIBE and the combined "
                 "property answer as Binance does",
                 "[feed]") {
  open(1, "/ws");
  text(1, R"({"method":"SUBSCRIBE","params":["btcusdt@aggTrade"],"id":1})");
  text(1, R"({"method":"LIST_SUBSCRIPTIONS","id":3})");
  CHECK(
    writer.take(1)
    == std::vector<std::string>{R"({"result":null,"id":1})",
                                R"({"result":["btcusdt@aggTrade"],"id":3})"});
  release("BTCUSDT", {7});
  CHECK(writer.take(1) == std::vector<std::string>{raw_trade(7)});
  advance(1000ms); // a fresh one-second request window
  text(1, R"({"method":"SET_PROPERTY","params":["combined",true],"id":5})");
  text(1, R"({"method":"GET_PROPERTY","params":["combined"],"id":2})");
  release("BTCUSDT", {8});
  text(1, R"({"method":"UNSUBSCRIBE","params":["btcusdt@aggTrade"],"id":312})");
  release("BTCUSDT", {9});
  CHECK(writer.take(1)
        == std::vector<std::string>{
          R"({"result":null,"id":5})", R"({"result":true,"id":2})",
          R"({"stream":"btcusdt@aggTrade","data":)" + raw_trade(8) + "}",
          R"({"result":null,"id":312})"});
}

TEST_CASE_METHOD(feed_actor_fixture,
                 "a stream streamvisor does not serve is refused with "
                 "Binance's error, and nothing is subscribed",
                 "[feed]") {
  open(1, "/ws");
  text(1, R"({"method":"SUBSCRIBE","params":["btcusdt@aggTrade",)"
          R"("xrpusdt@aggTrade"],"id":4})");
  text(1, R"({"method":"SUBSCRIBE","params":["ethusdt@depth"],"id":5})");
  text(1, "nonsense");
  auto answers = writer.take(1);
  REQUIRE(answers.size() == 3);
  CHECK(answers[0].rfind(R"({"error":{"code":2,"msg":"Invalid request: )"
                         R"(invalid stream `xrpusdt@aggTrade`)",
                         0)
        == 0);
  CHECK(answers[0].find("btcusdt@aggTrade, ethusdt@aggTrade")
        != std::string::npos);
  CHECK(ends_with(answers[0], R"(,"id":4})"));
  CHECK(answers[1].rfind(R"({"error":{"code":2,"msg":"Invalid request: )"
                         R"(invalid stream `ethusdt@depth`)",
                         0)
        == 0);
  CHECK(answers[2].rfind(R"({"error":{"code":3,"msg":"Invalid JSON: )", 0)
        == 0);
  release("BTCUSDT", {7});
  CHECK(writer.take(1).empty());
  CHECK(writer.closed.empty());
}

TEST_CASE_METHOD(feed_actor_fixture,
                 "an unserved stream in the path gets the error with id null "
                 "and a 1008 close",
                 "[feed]") {
  open(1, "/ws/BTCUSDT@aggTrade"); // Binance names streams in lower case
  open(2, "/stream", "streams=btcusdt@aggTrade/dogeusdt@aggTrade");
  for (std::uint64_t c : std::vector<std::uint64_t>{1, 2}) {
    auto answers = writer.take(c);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].rfind(R"({"error":{"code":2,"msg":"Invalid request: )"
                           R"(invalid stream)",
                           0)
          == 0);
    CHECK(ends_with(answers[0], R"(,"id":null})"));
    REQUIRE(writer.closed.count(c) == 1);
    CHECK(writer.closed[c].code == 1008);
  }
  release("BTCUSDT", {7});
  CHECK(writer.take(2).empty());
}

TEST_CASE_METHOD(feed_actor_fixture,
                 "more than 5 messages in a second close the client with "
                 "1008 Too many requests",
                 "[feed]") {
  open(1, "/ws");
  for (int i = 1; i <= 5; ++i)
    text(1,
         R"({"method":"LIST_SUBSCRIPTIONS","id":)" + std::to_string(i) + "}");
  CHECK(writer.closed.empty());
  advance(1000ms);
  for (int i = 6; i <= 11; ++i)
    text(1,
         R"({"method":"LIST_SUBSCRIPTIONS","id":)" + std::to_string(i) + "}");
  REQUIRE(writer.closed.count(1) == 1);
  CHECK(writer.closed[1].code == 1008);
  CHECK(writer.closed[1].reason == "Too many requests");
  CHECK(writer.take(1).size() == 10);
  caf::anon_send(feed, feed_closed{1, 1008, "Too many requests"});
  run();
  auto status = ask<feed_status>(feed, status_atom::value);
  CHECK(status.closed_requests == 1);
  CHECK(status.closed_other == 0);
  CHECK(status.clients.empty());
}

TEST_CASE_METHOD(feed_actor_fixture,
                 "a client may hold at most streams_per_client_max streams",
                 "[feed]") {
  open(1, "/ws");
  text(1, R"({"method":"SUBSCRIBE","params":["btcusdt@aggTrade",)"
          R"("ethusdt@aggTrade"],"id":1})");
  CHECK(writer.take(1)
        == std::vector<std::string>{R"({"result":null,"id":1})"});
  text(1, R"({"method":"SUBSCRIBE","params":["btcusdt@aggTrade",)"
          R"("ethusdt@aggTrade"],"id":2})"); // already held: no-ops
  CHECK(writer.take(1)
        == std::vector<std::string>{R"({"result":null,"id":2})"});
  open(2, "/ws/btcusdt@aggTrade/ethusdt@aggTrade/btcusdt@aggTrade/"
          "ethusdt@aggTrade");
  REQUIRE(writer.closed.count(2) == 1);
  CHECK(writer.take(2).at(0).find("too many streams") != std::string::npos);
}

TEST_CASE("clients over feed_clients_max are closed and counted", "[feed]") {
  feed_actor_fixture f{2};
  f.open(1, "/ws/btcusdt@aggTrade");
  f.open(2, "/ws/btcusdt@aggTrade");
  f.open(3, "/ws/btcusdt@aggTrade");
  REQUIRE(f.writer.closed.count(3) == 1);
  CHECK(f.writer.closed[3].code == 1008);
  f.release("BTCUSDT", {7});
  CHECK(f.writer.take(1).size() == 1);
  CHECK(f.writer.take(2).size() == 1);
  CHECK(f.writer.take(3).empty());
  auto status = f.ask<feed_status>(f.feed, status_atom::value);
  CHECK(status.refused == 1);
  CHECK(status.opened == 2);
  CHECK(status.clients.size() == 2);
}

TEST_CASE_METHOD(feed_actor_fixture,
                 "a slow consumer's close is counted, and a closed client "
                 "gets nothing more",
                 "[feed]") {
  open(1, "/ws/btcusdt@aggTrade");
  open(2, "/ws/btcusdt@aggTrade");
  release("BTCUSDT", {7});
  caf::anon_send(feed,
                 feed_closed{1, 1008, "slow consumer: 9000 bytes queued"});
  run();
  release("BTCUSDT", {8});
  CHECK(writer.take(1) == std::vector<std::string>{raw_trade(7)});
  CHECK(writer.take(2) == std::vector<std::string>{raw_trade(7), raw_trade(8)});
  auto status = ask<feed_status>(feed, status_atom::value);
  CHECK(status.closed_slow == 1);
  REQUIRE(status.clients.size() == 1);
  CHECK(status.clients[0].client == 2);
  CHECK(status.clients[0].trades_sent == 2);
  CHECK(status.trades_released == 2);
}

TEST_CASE_METHOD(feed_actor_fixture,
                 "a symbol added at runtime may be subscribed once the "
                 "registry's table names it",
                 "[feed]") {
  open(1, "/ws");
  text(1, R"({"method":"SUBSCRIBE","params":["solusdt@aggTrade"],"id":1})");
  CHECK(writer.take(1).at(0).rfind(R"({"error":{"code":2,)", 0) == 0);
  symbol_table table;
  table.symbols = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
  caf::anon_send(feed, table);
  run();
  text(1, R"({"method":"SUBSCRIBE","params":["solusdt@aggTrade"],"id":2})");
  CHECK(writer.take(1)
        == std::vector<std::string>{R"({"result":null,"id":2})"});
}

TEST_CASE_METHOD(feed_actor_fixture,
                 "depth streams relay the book's applied events, for symbols "
                 "with a book only",
                 "[feed]") {
  open(1, "/ws/btcusdt@depth@100ms");
  open(2, "/stream", "streams=btcusdt@depth/btcusdt@aggTrade");
  open(3, "/ws");
  text(3, R"({"method":"SUBSCRIBE","params":["ethusdt@depth@100ms"],"id":1})");
  CHECK(writer.take(3).at(0).rfind(R"({"error":{"code":2,)", 0) == 0);
  released_depth d;
  d.symbol = "BTCUSDT";
  depth_update u;
  u.symbol = "BTCUSDT";
  u.first_update_id = 157;
  u.final_update_id = 160;
  u.event_time_ms = 5;
  u.bids = {{6'000'000'000'000, 100'000}};
  d.updates = {u};
  caf::anon_send(feed, d);
  run();
  std::string raw = R"({"e":"depthUpdate","E":5,"s":"BTCUSDT","U":157,)"
                    R"("u":160,"b":[["60000.00000000","0.00100000"]],"a":[]})";
  CHECK(writer.take(1) == std::vector<std::string>{raw});
  CHECK(writer.take(2)
        == std::vector<std::string>{R"({"stream":"btcusdt@depth","data":)" + raw
                                    + "}"});
  auto status = ask<feed_status>(feed, status_atom::value);
  CHECK(status.depth_sent == 2);
}

TEST_CASE_METHOD(publishing_feed_fixture,
                 "with a publisher, every released trade is published once, "
                 "in order, as Binance's aggTrade event under its subject and "
                 "id, with the release's recv_ns",
                 "[feed][publish]") {
  release("BTCUSDT", {7, 8}, 1'234'567'890);
  release("ETHUSDT", {9});
  release("BTCUSDT", {10, 12, 13}, 42);
  CHECK(lines_of(publisher.take())
        == std::vector<std::string>{
          published(7, "BTCUSDT", 1'234'567'890),
          published(8, "BTCUSDT", 1'234'567'890), published(9, "ETHUSDT"),
          published(10, "BTCUSDT", 42), published(12, "BTCUSDT", 42),
          published(13, "BTCUSDT", 42)});
  // One publish() per release, all of its trades together.
  CHECK(publisher.calls == std::vector<std::size_t>{2, 1, 3});
}

TEST_CASE_METHOD(publishing_feed_fixture,
                 "with a publisher, each complete bar is published after the "
                 "trades that closed it, under its interval's subject with its "
                 "open time as id; an incomplete one is not",
                 "[feed][publish]") {
  // Trade times are 1000 + id ms: id 999 opens the first 1 s bar (incomplete:
  // it began before the first trade seen), ids 1000..1999 the next, id 2000
  // closes it.
  release("BTCUSDT", {999});
  std::vector<std::uint64_t> ids;
  for (std::uint64_t id = 1000; id <= 2000; ++id)
    ids.push_back(id);
  release("BTCUSDT", ids);
  auto out = publisher.take();
  REQUIRE(out.size() == 1 + ids.size() + 1);
  const auto& b = out.back();
  CHECK(b.subject == "md.binance.spot.BTCUSDT.bar.1s");
  CHECK(b.msg_id == "binance.spot.BTCUSDT.bar.1s.2000");
  CHECK(b.ordinal == 2000);
  CHECK(b.time_ms == 2999);
  CHECK(b.payload
        == R"({"s":"BTCUSDT","i":"1s","t":2000,"T":2999,"o":"60000.01000000",)"
           R"("h":"60000.01000000","l":"60000.01000000","c":"60000.01000000",)"
           R"("v":"1.00000000","bv":"0.00000000","sv":"1.00000000",)"
           R"("qv":"60000.0100000000000000","vwap":"60000.01000000","n":1000,)"
           R"("first_id":1000,"last_id":1999,"complete":true})");
  // Before it, the trades; the incomplete bar of id 999 is nowhere.
  CHECK(out[out.size() - 2].msg_id == "binance.spot.BTCUSDT.trade.2000");
  auto bars = std::count_if(out.begin(), out.end(), [](const auto& m) {
    return m.subject.find(".bar.") != std::string::npos;
  });
  CHECK(bars == 1);
}

TEST_CASE_METHOD(publishing_feed_fixture,
                 "a release that only skips ids publishes nothing",
                 "[feed][publish]") {
  released_trades r;
  r.symbol = "BTCUSDT";
  r.skipped = 3;
  r.through_id = 10;
  r.recv_ns = 5;
  caf::anon_send(feed, std::move(r));
  run();
  CHECK(publisher.calls.empty());
  CHECK(publisher.published.empty());
  auto status = ask<feed_status>(feed, status_atom::value);
  CHECK(status.skipped_trades == 3);
}

TEST_CASE_METHOD(publishing_feed_fixture,
                 "what is published does not depend on the feed's clients: "
                 "none, raw and combined subscribers, or a client that left",
                 "[feed][publish]") {
  release("BTCUSDT", {7});
  open(1, "/ws/btcusdt@aggTrade");
  open(2, "/stream", "streams=btcusdt@aggTrade");
  open(3, "/ws/ethusdt@aggTrade");
  release("BTCUSDT", {8});
  caf::anon_send(feed, feed_closed{1, 1000, "bye"});
  caf::anon_send(feed, feed_closed{2, 1000, "bye"});
  run();
  release("BTCUSDT", {9});
  CHECK(lines_of(publisher.take())
        == std::vector<std::string>{published(7), published(8), published(9)});
  // The clients got theirs as before.
  CHECK(writer.take(1) == std::vector<std::string>{raw_trade(8)});
  CHECK(writer.take(2).size() == 1);
  CHECK(writer.take(3).empty());
}
