// Tests of api_actor: routing, status codes and bodies, on the deterministic scheduler.
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

#include <caf/event_based_actor.hpp>
#include <rapidjson/document.h>

#include "actors/aggregator_actor.hpp"
#include "actors/api_actor.hpp"
#include "actors/backfill_actor.hpp"
#include "actors/book_actor.hpp"
#include "actors/pooled_ws_client.hpp"
#include "actors/registry_actor.hpp"
#include "actors/seams/process_stats_source.hpp"
#include "actors/socket_pool_actor.hpp"
#include "actors/supervisor_actor.hpp"
#include "actors/wire/ws_control.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/fake_http_responder.hpp"
#include "tests/support/frames.hpp"

using namespace sv;
using namespace std::chrono_literals;

namespace {

/// Plays the REST endpoint for book actors: every snapshot request gets the same
/// book as of update id 100 (bids 100.00 x 2, 99.00 x 3; asks 100.02 x 1, 100.05 x 4).
snapshot_source_if::behavior_type
fixed_snapshots(snapshot_source_if::pointer self, int) {
  return {[=](depth_snapshot_request& req) {
    depth_snapshot s;
    s.symbol = req.symbol;
    s.last_update_id = 100;
    s.bids = {{100 * e8_scale, 2 * e8_scale}, {99 * e8_scale, 3 * e8_scale}};
    s.asks = {{10002000000, e8_scale}, {10005000000, 4 * e8_scale}};
    self->send(caf::actor_cast<snapshot_requester_if>(self->current_sender()),
               std::move(s));
  }};
}

/// A transport whose counters a test sets.
struct fake_counter_source : transport_counter_source {
  transport_counters values;
  [[nodiscard]] transport_counters counters() const override {
    return values;
  }
};

/// Process figures a test sets.
struct fake_process_source : process_stats_source {
  process_stats values;
  [[nodiscard]] process_stats read() const override {
    return values;
  }
};

struct api_fixture : test::actor_fixture {
  test::fake_http_responder responder;
  fake_counter_source transport;
  fake_process_source process;
  std::map<std::string, aggregator_if> aggregators;
  supervisor_if sup;
  api_if api;
  std::uint64_t next_id = 0;
  socket_pool_if pool; ///< with shared_sockets
  std::unique_ptr<pooled_ws_client> pooled;

  /// With `with_book`, BTCUSDT also has a depth child (connection 2) and a book;
  /// with `shared_sockets` the children's streams go through a socket pool.
  explicit api_fixture(bool with_book = false, bool shared_sockets = false) {
    std::map<std::string, stream_sinks> sinks;
    std::map<std::string, book_if> books;
    std::vector<std::pair<std::string, stream_kind>> children;
    for (std::string symbol : {"BTCUSDT", "ETHUSDT"}) {
      aggregator_limits limits;
      limits.windows_follow_wall_clock = false; // windows end at the last trade
      limits.large_trade_quote_e8 = 50 * e8_scale;
      aggregators[symbol] = keep_for_teardown(
        sys.spawn(aggregator_actor, symbol, limits, backfill_sink_if{}));
      sinks[symbol].trades
        = caf::actor_cast<trade_sink_if>(aggregators[symbol]);
      children.emplace_back(symbol, stream_kind::agg_trade);
      if (with_book && symbol == "BTCUSDT") {
        books[symbol] = keep_for_teardown(
          sys.spawn(book_actor, symbol, book_config{},
                    caf::actor_cast<snapshot_source_if>(
                      keep_for_teardown(sys.spawn(fixed_snapshots, 0)))));
        sinks[symbol].depth = books[symbol];
        children.emplace_back(symbol, stream_kind::depth);
      }
    }
    supervisor_config c;
    c.server.host = "127.0.0.1";
    ws_client* streams = &ws;
    if (shared_sockets) {
      socket_pool_config pc;
      pc.server = c.server;
      pool = keep_for_teardown(
        sys.spawn(socket_pool_actor, pc, static_cast<ws_client*>(&ws)));
      pooled = std::make_unique<pooled_ws_client>(pool);
      streams = pooled.get();
    }
    sup = keep_for_teardown(
      sys.spawn(supervisor_actor, c, streams, sinks, children));
    api_config ac;
    ac.symbols = {"BTCUSDT", "ETHUSDT"};
    ac.supervisor = sup;
    ac.aggregators = aggregators;
    ac.books = books;
    ac.responder = &responder;
    ac.transport = &transport;
    ac.pool = pool;
    ac.process = &process;
    ac.version = "9.8.7";
    api = keep_for_teardown(sys.spawn(api_actor, ac));
    run();
  }

  ~api_fixture() {
    // The children call `pooled` as they end: end them while it lives.
    if (pooled) {
      caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
      run();
    }
  }

  api_fixture(const api_fixture&) = delete;
  api_fixture& operator=(const api_fixture&) = delete;
  api_fixture(api_fixture&&) = delete;
  api_fixture& operator=(api_fixture&&) = delete;

  test::fake_http_responder::answer get(const std::string& path,
                                        const std::string& query = "",
                                        const std::string& method = "GET") {
    auto id = ++next_id;
    http_request req;
    req.req_id = id;
    req.method = method;
    req.path = path;
    req.query = query;
    caf::anon_send(api, std::move(req));
    run();
    auto i = responder.answers.find(id);
    if (i == responder.answers.end())
      throw std::runtime_error("no answer for " + path);
    return i->second;
  }

  rapidjson::Document json(const std::string& body) {
    rapidjson::Document doc;
    doc.Parse(body.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    return doc;
  }

  void stream(std::uint64_t conn, std::vector<std::string> frames) {
    ws.inject_opened(conn);
    ws.inject_frames(conn, frames);
    run();
  }
};

} // namespace

TEST_CASE_METHOD(
  api_fixture,
  "health is 503 and names the children that do not stream, then "
  "200 once all stream",
  "[api]") {
  auto a = get("/health");
  CHECK(a.status == 503);
  CHECK(
    a.body
    == R"({"status":"degraded","not_streaming":["BTCUSDT@aggTrade","ETHUSDT@aggTrade"]})");
  stream(
    1, {test::agg_trade_frame("BTCUSDT", 1, "1.00000000", "1.00000000", true)});
  CHECK(get("/health").body
        == R"({"status":"degraded","not_streaming":["ETHUSDT@aggTrade"]})");
  stream(
    2, {test::agg_trade_frame("ETHUSDT", 1, "1.00000000", "1.00000000", true)});
  a = get("/health");
  CHECK(a.status == 200);
  CHECK(a.body == R"({"status":"ok"})");
}

TEST_CASE_METHOD(api_fixture, "status lists every child with its counters",
                 "[api]") {
  stream(1,
         {test::agg_trade_frame("BTCUSDT", 1, "1.00000000", "1.00000000", true),
          "garbage"});
  auto a = get("/status");
  REQUIRE(a.status == 200);
  auto doc = json(a.body);
  REQUIRE(doc["children"].Size() == 2);
  auto& btc = doc["children"][0];
  CHECK(std::string{btc["symbol"].GetString()} == "BTCUSDT");
  CHECK(std::string{btc["stream"].GetString()} == "aggTrade");
  CHECK(std::string{btc["state"].GetString()} == "streaming");
  CHECK(btc["connect_attempts"].GetUint64() == 1);
  CHECK(btc["trades"].GetUint64() == 1);
  CHECK(btc["decode_errors"].GetUint64() == 1);
  CHECK(btc["last_message_age_ms"].GetInt64() == 0);
  CHECK(std::string{doc["children"][1]["state"].GetString()} == "connecting");
  CHECK(doc["children"][1]["last_message_age_ms"].GetInt64() == -1);
}

namespace {

/// The value of the sample line that starts with `series` (name and labels
/// exactly as written), or -1 if there is none.
double sample_of(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

} // namespace

TEST_CASE("metrics show each stream's state, counters and book, the "
          "connect-latency and frame-latency histograms, and the process's "
          "figures, in Prometheus's text format",
          "[api][metrics]") {
  api_fixture f{true};
  f.process.values.known = true;
  f.process.values.resident_bytes = 4096;
  f.process.values.open_fds = 12;
  f.advance(30ms); // the connect latency of what streams next
  // Frames stamped with the real clock, as the transport stamps them: the
  // aggregator measures frame-to-update latency in real time.
  auto stamped_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
  f.ws.inject_opened(1);
  f.ws.inject_frames(
    1,
    {test::agg_trade_frame("BTCUSDT", 1, "1.00000000", "1.00000000", true),
     test::agg_trade_frame("BTCUSDT", 2, "1.00000000", "1.00000000", false),
     "garbage"},
    stamped_ns);
  f.run();
  auto a = f.get("/metrics");
  REQUIRE(a.status == 200);
  CHECK(a.type == media_type::prometheus_text);
  const auto& m = a.body;
  CHECK(sample_of(m, R"(streamvisor_build_info{version="9.8.7"})") == 1);
  auto state = [&](const char* symbol, const char* stream, const char* s) {
    return sample_of(m, std::string{"streamvisor_stream_state{symbol=\""}
                          + symbol + "\",stream=\"" + stream + "\",state=\"" + s
                          + "\"}");
  };
  CHECK(state("BTCUSDT", "aggTrade", "streaming") == 1);
  CHECK(state("BTCUSDT", "aggTrade", "connecting") == 0);
  CHECK(state("BTCUSDT", "depth", "connecting") == 1);
  CHECK(state("ETHUSDT", "aggTrade", "connecting") == 1);
  CHECK(sample_of(m, R"(streamvisor_streams{state="streaming"})") == 1);
  CHECK(sample_of(m, R"(streamvisor_streams{state="connecting"})") == 2);
  CHECK(
    sample_of(
      m,
      R"(streamvisor_stream_messages_received_total{symbol="BTCUSDT",stream="aggTrade"})")
    == 3);
  CHECK(
    sample_of(
      m,
      R"(streamvisor_stream_decode_errors_total{symbol="BTCUSDT",stream="aggTrade"})")
    == 1);
  CHECK(
    sample_of(
      m,
      R"(streamvisor_stream_last_message_age_seconds{symbol="BTCUSDT",stream="aggTrade"})")
    == 0);
  // No frame yet: no age rather than a made-up one.
  CHECK(
    sample_of(
      m,
      R"(streamvisor_stream_last_message_age_seconds{symbol="ETHUSDT",stream="aggTrade"})")
    == -1);
  CHECK(
    sample_of(
      m,
      R"(streamvisor_stream_restarts_total{symbol="BTCUSDT",stream="aggTrade",cause="connection_closed"})")
    == 0);
  // The book actor answered: its state is there.
  CHECK(
    sample_of(m, R"(streamvisor_book_state{symbol="BTCUSDT",state="waiting"})")
    == 1);
  // One connect took 30 ms: it is in every bucket from le=0.05 up.
  CHECK(
    sample_of(
      m,
      R"(streamvisor_connect_latency_seconds_bucket{stream="aggTrade",le="0.025"})")
    == 0);
  CHECK(
    sample_of(
      m,
      R"(streamvisor_connect_latency_seconds_bucket{stream="aggTrade",le="0.05"})")
    == 1);
  CHECK(
    sample_of(
      m,
      R"(streamvisor_connect_latency_seconds_bucket{stream="aggTrade",le="+Inf"})")
    == 1);
  CHECK(sample_of(
          m, R"(streamvisor_connect_latency_seconds_sum{stream="aggTrade"})")
        == Approx(0.03));
  CHECK(
    sample_of(m, R"(streamvisor_connect_latency_seconds_count{stream="depth"})")
    == 0);
  // Two trades reached the aggregator.
  CHECK(sample_of(m, R"(streamvisor_frame_to_aggregator_latency_seconds_count)")
        == 2);
  CHECK(
    sample_of(
      m, R"(streamvisor_frame_to_aggregator_latency_seconds_bucket{le="+Inf"})")
    == 2);
  CHECK(sample_of(m, "process_resident_memory_bytes") == 4096);
  CHECK(sample_of(m, "process_open_fds") == 12);
  // No backfill actor, no socket pool: their families are left out.
  CHECK_THAT(m, !Catch::Contains("streamvisor_rest_"));
  CHECK_THAT(m, !Catch::Contains("streamvisor_sockets"));
  // Each family is declared once.
  CHECK(std::count(m.begin(), m.end(), '\n') > 50);
  auto declared = [&](const std::string& family) {
    std::size_t n = 0;
    for (auto at = m.find("# TYPE " + family + " "); at != std::string::npos;
         at = m.find("# TYPE " + family + " ", at + 1))
      ++n;
    return n;
  };
  CHECK(declared("streamvisor_stream_state") == 1);
  CHECK(declared("streamvisor_connect_latency_seconds") == 1);
}

TEST_CASE("on shared sockets status lists the sockets and each child's "
          "socket, and no socket for a stream that has none",
          "[api][socket_pool]") {
  api_fixture f{false, true};
  auto plain = f.json(f.get("/status").body);
  REQUIRE(f.ws.opened.size() == 1); // both streams wait on one socket
  auto sock = f.ws.opened[0].id;
  f.ws.inject_opened(sock);
  f.run();
  for (const auto& x : f.ws.sent) {
    control_error error;
    auto request = decode_control_request(x.text, error);
    REQUIRE(request);
    f.ws.inject_frames(sock, {encode_result_null(request->id)});
  }
  f.run();
  auto doc = f.json(f.get("/status").body);
  REQUIRE(doc["children"].Size() == 2);
  for (auto& child : doc["children"].GetArray())
    CHECK(child["socket"].GetUint64() == 1);
  auto& pool = doc["pool"];
  CHECK(pool["sockets_opened"].GetUint64() == 1);
  REQUIRE(pool["sockets"].Size() == 1);
  auto& s = pool["sockets"][0];
  CHECK(s["socket"].GetUint64() == 1);
  CHECK(std::string{s["state"].GetString()} == "open");
  CHECK(s["streams"].GetUint() == 2);
  CHECK(s["live"].GetUint() == 2);
  CHECK(s["requests_in_flight"].GetUint() == 0);
  CHECK(s["age_s"].GetInt64() == 0);
  // Before the socket opened, it was there without an age.
  REQUIRE(plain["pool"]["sockets"].Size() == 1);
  CHECK(std::string{plain["pool"]["sockets"][0]["state"].GetString()}
        == "connecting");
  CHECK(plain["pool"]["sockets"][0]["age_s"].GetInt64() == -1);
  CHECK(plain["pool"]["sockets"][0]["live"].GetUint() == 0);
  // The socket is lost: its streams are on no socket until they restart.
  f.ws.inject_closed(sock, "reset", 1006);
  f.run();
  doc = f.json(f.get("/status").body);
  for (auto& child : doc["children"].GetArray())
    CHECK(child["socket"].IsNull());
  CHECK(doc["pool"]["sockets"].Size() == 0);
}

TEST_CASE_METHOD(api_fixture,
                 "without a socket pool status has no pool and no child "
                 "socket",
                 "[api]") {
  auto doc = json(get("/status").body);
  CHECK_FALSE(doc.HasMember("pool"));
  CHECK_FALSE(doc["children"][0].HasMember("socket"));
}

TEST_CASE_METHOD(api_fixture,
                 "status reports binary frames, oversize and broken-UTF-8 "
                 "messages, and refused and timed-out API clients, which the "
                 "transports refuse before any actor sees them",
                 "[api]") {
  auto& t = transport.values;
  t.binary_frames = 3;
  t.oversize_messages = 1;
  t.invalid_utf8_messages = 2;
  t.oversize_rest_bodies = 4;
  t.api_clients = 5;
  t.api_refused = 6;
  t.api_header_timeouts = 7;
  t.api_accept_failures = 8;
  auto doc = json(get("/status").body);
  REQUIRE(doc.HasMember("transport"));
  auto& x = doc["transport"];
  CHECK(x["binary_frames"].GetUint64() == 3);
  CHECK(x["oversize_messages"].GetUint64() == 1);
  CHECK(x["invalid_utf8_messages"].GetUint64() == 2);
  CHECK(x["oversize_rest_bodies"].GetUint64() == 4);
  CHECK(x["api_clients"].GetUint64() == 5);
  CHECK(x["api_refused"].GetUint64() == 6);
  CHECK(x["api_header_timeouts"].GetUint64() == 7);
  CHECK(x["api_accept_failures"].GetUint64() == 8);
  t.binary_frames = 10; // read at each request, not once
  CHECK(json(get("/status").body)["transport"]["binary_frames"].GetUint64()
        == 10);
}

TEST_CASE_METHOD(
  api_fixture,
  "trades come back oldest first with the exchange's exact decimals", "[api]") {
  stream(1, {test::agg_trade_frame("BTCUSDT", 7, "91436.75000000", "0.00024000",
                                   true, 111),
             test::agg_trade_frame("BTCUSDT", 8, "91436.76000000", "1.00000000",
                                   false, 222),
             test::agg_trade_frame("BTCUSDT", 9, "91436.77000000", "2.00000000",
                                   false, 333)});
  auto a = get("/symbols/btcusdt/trades", "limit=2");
  REQUIRE(a.status == 200);
  CHECK(
    a.body
    == R"({"symbol":"BTCUSDT","trades":[)"
       R"({"id":8,"price":"91436.76000000","qty":"1.00000000","side":"buy","time":222},)"
       R"({"id":9,"price":"91436.77000000","qty":"2.00000000","side":"buy","time":333}]})");
  auto all = json(get("/symbols/BTCUSDT/trades").body);
  CHECK(all["trades"].Size() == 3);
  CHECK(std::string{all["trades"][0]["side"].GetString()} == "sell");
}

TEST_CASE_METHOD(api_fixture, "metrics are exact and rounded half to even",
                 "[api]") {
  stream(
    1,
    {test::agg_trade_frame("BTCUSDT", 1, "0.00000001", "0.00000001", false),
     test::agg_trade_frame("BTCUSDT", 2, "0.00000002", "0.00000001", true),
     test::agg_trade_frame("BTCUSDT", 3, "100.00000000", "0.50000000", false)});
  auto a = get("/symbols/BTCUSDT/metrics");
  REQUIRE(a.status == 200);
  CHECK_THAT(
    a.body,
    Catch::StartsWith(
      R"({"symbol":"BTCUSDT","trades":3,"duplicates":0,"first_trade_id":1,)"
      R"("last_trade_id":3,"last_price":"100.00000000","last_trade_time":1700000000000,)"
      R"("buy_volume":"0.50000001","sell_volume":"0.00000001","delta":"0.50000000",)"
      R"("buy_quote":"50.00000000","sell_quote":"0.00000000","vwap":"99.99999600",)"
      R"("cvd":"0.50000000","gaps_detected":0,"gaps_filled":0,"gaps_open":0,)"
      R"("backfilled":0,"warmup":"off","long_outages":0,"skipped_trades":0,"open_gaps":[],"windows":{"1m":{)"));
  // vwap = (5e17 + 3) / 50000002 = 9999999600.000015 e8 units (Python fractions).
}

TEST_CASE_METHOD(api_fixture,
                 "an unknown symbol answers 404 with the symbols that exist",
                 "[api]") {
  auto a = get("/symbols/DOGEUSDT/metrics");
  CHECK(a.status == 404);
  CHECK(
    a.body
    == R"({"error":"unknown symbol","symbol":"DOGEUSDT","symbols":["BTCUSDT","ETHUSDT"]})");
}

TEST_CASE_METHOD(api_fixture, "bad queries answer 400 and say why", "[api]") {
  for (auto q : {"limit=0", "limit=abc", "limit=", "limit=100001", "foo=1",
                 "limit=99999999999"}) {
    auto a = get("/symbols/BTCUSDT/trades", q);
    CHECK(a.status == 400);
    CHECK_THAT(a.body, Catch::StartsWith(R"({"error":"bad query")"));
  }
  CHECK(get("/symbols/BTCUSDT/metrics", "x=1").status == 400);
}

TEST_CASE_METHOD(api_fixture, "unknown paths are 404 and other methods 405",
                 "[api]") {
  CHECK(get("/nope").status == 404);
  CHECK(get("/symbols/BTCUSDT").status == 404);
  CHECK(get("/symbols/BTCUSDT/trades/x").status == 404);
  CHECK(get("/health", "", "POST").status == 405);
  auto s = get("/symbols");
  CHECK(s.status == 200);
  CHECK(s.body == R"({"symbols":["BTCUSDT","ETHUSDT"]})");
}

TEST_CASE_METHOD(
  api_fixture,
  "metrics carry every rolling window with exact values, and large "
  "trades are listed oldest first",
  "[api]") {
  stream(1, {test::agg_trade_frame("BTCUSDT", 1, "100.00000000", "0.10000000",
                                   false, 1'700'000'000'000),
             test::agg_trade_frame("BTCUSDT", 2, "101.00000000", "1.00000000",
                                   true, 1'700'000'030'000),
             test::agg_trade_frame("BTCUSDT", 3, "99.00000000", "0.60000000",
                                   false, 1'700'000'200'000)});
  auto doc = json(get("/symbols/BTCUSDT/metrics").body);
  auto& windows = doc["windows"];
  REQUIRE(windows.HasMember("1m"));
  REQUIRE(windows.HasMember("1h"));
  // At T = ...200000 the 1m window holds only trade 3; the 5m window all three.
  CHECK(windows["1m"]["trades"].GetUint64() == 1);
  CHECK(std::string{windows["1m"]["open"].GetString()} == "99.00000000");
  auto& w5 = windows["5m"];
  CHECK(w5["trades"].GetUint64() == 3);
  CHECK(std::string{w5["buy_volume"].GetString()} == "0.70000000");
  CHECK(std::string{w5["sell_volume"].GetString()} == "1.00000000");
  CHECK(std::string{w5["delta"].GetString()} == "-0.30000000");
  CHECK(std::string{w5["high"].GetString()} == "101.00000000");
  CHECK(std::string{w5["low"].GetString()} == "99.00000000");
  CHECK(std::string{w5["close"].GetString()} == "99.00000000");
  CHECK(w5["largest_trade"]["id"].GetUint64() == 2);
  CHECK(w5["large_trades"].GetUint64() == 2); // notional 101 and 59.4 >= 50
  CHECK(w5["complete"].GetBool());
  CHECK(std::string{doc["cvd"].GetString()} == "-0.30000000");
  auto large = json(get("/symbols/BTCUSDT/large_trades", "limit=10").body);
  REQUIRE(large["trades"].Size() == 2);
  CHECK(large["trades"][0]["id"].GetUint64() == 2);
  CHECK(large["trades"][1]["id"].GetUint64() == 3);
  CHECK(get("/symbols/BTCUSDT/large_trades", "limit=0").status == 400);
}

TEST_CASE("the book answers its top levels, figures and sync state",
          "[api][book]") {
  api_fixture f{true};
  auto a = f.get("/symbols/BTCUSDT/book");
  REQUIRE(a.status == 200);
  auto doc = f.json(a.body);
  CHECK(std::string{doc["state"].GetString()} == "waiting");
  CHECK_FALSE(doc["synced"].GetBool());
  CHECK(doc["bids"].Size() == 0);
  // 100..101 sets a bid at 100.01 and removes the ask at 100.02.
  f.stream(
    2,
    {R"({"e":"depthUpdate","E":1700000000000,"s":"BTCUSDT","U":100,"u":101,)"
     R"("b":[["100.01000000","1.00000000"]],"a":[["100.02000000","0.00000000"]]})"});
  a = f.get("/symbols/btcusdt/book", "depth=2");
  REQUIRE(a.status == 200);
  CHECK(
    a.body
    == R"({"symbol":"BTCUSDT","state":"synced","synced":true,"lastUpdateId":101,)"
       R"("last_event_time":1700000000000,"bid_levels":3,"ask_levels":1,)"
       R"("bids":[["100.01000000","1.00000000"],["100.00000000","2.00000000"]],)"
       R"("asks":[["100.05000000","4.00000000"]],)"
       R"("best_bid":"100.01000000","best_ask":"100.05000000","spread":"0.04000000",)"
       R"("mid":"100.03000000","spread_bps":3.9988,)"
       R"("imbalance":{"top_levels":10,"bid_qty":"6.00000000","ask_qty":"4.00000000","ratio":0.2},)"
       R"("band":{"bps":10,"bid_qty":"3.00000000","ask_qty":"4.00000000","ratio":-0.142857},)"
       R"("counters":{"syncs":1,"resyncs":0,"snapshots_requested":1,"snapshot_refetches":0,)"
       R"("snapshot_failures":0,"updates_applied":1,"updates_dropped":0,)"
       R"("buffer_overflows":0,"last_resync_reason":""}})");
  auto status = f.json(f.get("/status").body);
  REQUIRE(status["children"].Size() == 3);
  auto& depth = status["children"][1];
  CHECK(std::string{depth["stream"].GetString()} == "depth");
  CHECK(std::string{depth["book"].GetString()} == "synced");
  CHECK(depth["syncs"].GetUint64() == 1);
  CHECK(depth["resyncs"].GetUint64() == 0);
  CHECK(depth["lastUpdateId"].GetUint64() == 101);
  CHECK(depth["events"].GetUint64() == 1);
}

TEST_CASE("a book request names what exists when the symbol has no book",
          "[api][book]") {
  api_fixture f{true};
  auto a = f.get("/symbols/ETHUSDT/book");
  CHECK(a.status == 404);
  auto doc = f.json(a.body);
  CHECK(std::string{doc["error"].GetString()} == "no order book");
  REQUIRE(doc["book_symbols"].Size() == 1);
  CHECK(std::string{doc["book_symbols"][0].GetString()} == "BTCUSDT");
  a = f.get("/symbols/XRPUSDT/book");
  CHECK(a.status == 404);
  CHECK(std::string{f.json(a.body)["error"].GetString()} == "unknown symbol");
  CHECK(f.get("/symbols/BTCUSDT/book", "depth=0").status == 400);
  CHECK(f.get("/symbols/BTCUSDT/book", "depth=5001").status == 400);
  a = f.get("/symbols/BTCUSDT/book", "limit=5");
  CHECK(a.status == 400);
  CHECK(a.body.find("allowed: depth") != std::string::npos);
}

namespace {

/// Takes book and metrics requests and never answers them. (The unused int:
/// CAF 0.17 dereferences a null argument tuple when a function actor takes
/// only `self`, which UBSan reports.)
caf::behavior silent_actor(caf::event_based_actor* self, int /*unused*/) {
  return {
    [=](book_atom, std::uint32_t) {
      return self->make_response_promise<book_view>();
    },
    [=](metrics_atom) {
      return self->make_response_promise<metrics_snapshot>();
    },
    [=](latency_atom) {
      return self->make_response_promise<latency_snapshot>();
    },
  };
}

} // namespace

TEST_CASE("status waits at most one answer timeout when a book and an "
          "aggregator are both silent",
          "[api]") {
  test::actor_fixture f;
  test::fake_http_responder responder;
  auto silent = f.keep_for_teardown(f.sys.spawn(silent_actor, 0));
  std::map<std::string, stream_sinks> sinks;
  sinks["BTCUSDT"].trades = caf::actor_cast<trade_sink_if>(silent);
  sinks["BTCUSDT"].depth = caf::actor_cast<book_if>(silent);
  std::vector<std::pair<std::string, stream_kind>> children{
    {"BTCUSDT", stream_kind::agg_trade}, {"BTCUSDT", stream_kind::depth}};
  supervisor_config c;
  c.server.host = "127.0.0.1";
  api_config ac;
  ac.symbols = {"BTCUSDT"};
  ac.supervisor = f.keep_for_teardown(f.sys.spawn(
    supervisor_actor, c, static_cast<ws_client*>(&f.ws), sinks, children));
  ac.aggregators["BTCUSDT"] = caf::actor_cast<aggregator_if>(silent);
  ac.books["BTCUSDT"] = caf::actor_cast<book_if>(silent);
  ac.responder = &responder;
  auto api = f.keep_for_teardown(f.sys.spawn(api_actor, ac));
  f.run();
  auto path = GENERATE(std::string{"/status"}, std::string{"/metrics"});
  http_request req;
  req.req_id = 1;
  req.method = "GET";
  req.path = path;
  caf::anon_send(api, std::move(req));
  f.run();
  CHECK(responder.answers.count(1) == 0); // every leg waits for its actor
  f.advance(1999ms);
  CHECK(responder.answers.count(1) == 0);
  f.advance(1ms); // the legs time out together, not one after the other
  REQUIRE(responder.answers.count(1) == 1);
  auto& a = responder.answers[1];
  CHECK(a.status == 200);
  if (path == "/status") {
    CHECK_THAT(a.body, Catch::Contains(R"("book":"unknown")"));
    CHECK_THAT(a.body, Catch::Contains(R"("gaps_detected":0)"));
  } else {
    // The silent book's series are left out, not shown as zeros; the silent
    // aggregators leave no latency histogram.
    CHECK_THAT(a.body, !Catch::Contains("streamvisor_book_state{"));
    CHECK_THAT(a.body,
               !Catch::Contains("frame_to_aggregator_latency_seconds_"));
    CHECK_THAT(a.body, Catch::Contains("streamvisor_stream_state{symbol="
                                       "\"BTCUSDT\",stream=\"depth\","
                                       "state=\"connecting\"} 1\n"));
  }
}

namespace {

/// A shard group member that records the changes asked of it and answers
/// with `outcome`, or unknown for a removal of a symbol `group` lacks; an add
/// without streams gets aggTrade.
struct fake_shard : shard_membership {
  std::vector<std::string> group = {"BTCUSDT", "ETHUSDT", "XRPUSDT"};
  std::vector<group_symbol_change> changes; ///< as asked, in order
  group_change_outcome outcome = group_change_outcome::queued;

  [[nodiscard]] shard_status status() const override {
    shard_status s;
    s.group = "eu";
    return s;
  }
  [[nodiscard]] std::vector<std::string> symbols() const override {
    return group;
  }
  group_change_result change_symbol(group_symbol_change change) override {
    changes.push_back(change);
    group_change_result result{outcome, std::move(change)};
    if (result.change.add && result.change.streams.empty())
      result.change.streams = {stream_kind::agg_trade};
    if (!result.change.add
        && std::find(group.begin(), group.end(), result.change.symbol)
             == group.end())
      result.outcome = group_change_outcome::unknown;
    return result;
  }
};

/// The api fixture with a registry, an api actor that uses it and, if given,
/// an api_token and a shard group member.
struct symbols_fixture : api_fixture {
  registry_if registry;
  api_if control;

  explicit symbols_fixture(const std::string& token = {},
                           shard_membership* shard = nullptr) {
    registry_config rc;
    rc.supervisor = sup;
    rc.streams = {stream_kind::agg_trade};
    rc.table.symbols = {"BTCUSDT", "ETHUSDT"};
    rc.table.aggregators = aggregators;
    registry = keep_for_teardown(sys.spawn(registry_actor, rc));
    api_config ac;
    ac.symbols = rc.table.symbols;
    ac.supervisor = sup;
    ac.aggregators = aggregators;
    ac.responder = &responder;
    ac.registry = registry;
    ac.api_token = token;
    ac.shard = shard;
    control = keep_for_teardown(sys.spawn(api_actor, ac));
    caf::anon_send(registry, listen_atom::value,
                   caf::actor_cast<table_listener_if>(control));
    run();
  }

  /// Sends a request to the controlling api actor; its answer, if any yet.
  // NOLINTNEXTLINE(bugprone-easily-swappable-parameters): method, path, body as on the wire
  std::optional<test::fake_http_responder::answer>
  call(const std::string& method, const std::string& path,
       const std::string& body = {}, bool loopback = true,
       const std::string& authorization = {}) {
    auto id = ++next_id;
    http_request req;
    req.req_id = id;
    req.method = method;
    req.path = path;
    req.body = body;
    req.peer_loopback = loopback;
    req.authorization = authorization;
    caf::anon_send(control, std::move(req));
    run();
    last_id = id;
    auto i = responder.answers.find(id);
    if (i == responder.answers.end())
      return std::nullopt;
    return i->second;
  }

  std::uint64_t last_id = 0;
};

} // namespace

TEST_CASE("PUT starts a symbol (201, then 200), GET finds it at once, DELETE "
          "answers 200 once its socket closed, then 404 naming what exists",
          "[api][symbols]") {
  symbols_fixture f;
  auto a = f.call("PUT", "/symbols/solusdt");
  REQUIRE(a);
  CHECK(a->status == 201);
  CHECK(a->body == R"({"symbol":"SOLUSDT","started":true})");
  a = f.call("PUT", "/symbols/SOLUSDT", R"({"streams":["aggTrade"]})");
  CHECK(a->status == 200);
  CHECK(a->body == R"({"symbol":"SOLUSDT","started":false})");
  CHECK(f.call("GET", "/symbols")->body
        == R"({"symbols":["BTCUSDT","ETHUSDT","SOLUSDT"]})");
  auto sol = f.ws.opened.back().id;
  CHECK(f.ws.opened.back().target.path == "/ws/solusdt@aggTrade");
  f.ws.inject_opened(sol);
  f.ws.inject_frames(sol, {test::agg_trade_frame("SOLUSDT", 5, "150.00000000",
                                                 "2.00000000", true)});
  f.run();
  a = f.call("GET", "/symbols/SOLUSDT/trades");
  CHECK(a->status == 200);
  CHECK_THAT(a->body, Catch::Contains(R"("id":5)"));
  // DELETE waits for the close.
  CHECK_FALSE(f.call("DELETE", "/symbols/SOLUSDT"));
  auto pending = f.last_id;
  f.ws.inject_closed(sol, "closed by us", 1000);
  f.run();
  REQUIRE(f.responder.answers.count(pending) == 1);
  CHECK(f.responder.answers[pending].status == 200);
  CHECK(f.responder.answers[pending].body
        == R"({"symbol":"SOLUSDT","removed":true,"children":1})");
  a = f.call("DELETE", "/symbols/SOLUSDT");
  CHECK(a->status == 404);
  CHECK(
    a->body
    == R"({"error":"unknown symbol","symbol":"SOLUSDT","symbols":["BTCUSDT","ETHUSDT"]})");
  CHECK(f.call("GET", "/symbols/SOLUSDT/trades")->status == 404);
}

TEST_CASE("without api_token only loopback clients may change symbols; "
          "bodies and names are checked before anything starts",
          "[api][symbols]") {
  symbols_fixture f;
  auto opened = f.ws.opened.size();
  auto a = f.call("PUT", "/symbols/SOLUSDT", "", false);
  CHECK(a->status == 403);
  CHECK(f.call("DELETE", "/symbols/BTCUSDT", "", false)->status == 403);
  a = f.call("PUT", "/symbols/SOLUSDT", R"({"streams":["trades"]})");
  CHECK(a->status == 400);
  CHECK_THAT(a->body, Catch::Contains("bad body"));
  CHECK(f.call("PUT", "/symbols/SOLUSDT", R"({"streams":[]})")->status == 400);
  CHECK(f.call("PUT", "/symbols/SOLUSDT", R"({"depth":true})")->status == 400);
  CHECK(f.call("PUT", "/symbols/SOLUSDT", "not json")->status == 400);
  CHECK(f.call("PUT", "/symbols/SOL-USDT")->status == 400);
  CHECK(f.ws.opened.size() == opened);
  CHECK(f.call("POST", "/symbols/SOLUSDT")->status == 405);
}

TEST_CASE("with api_token a change needs its bearer token, from any client",
          "[api][symbols]") {
  symbols_fixture f{"0123456789abcdef"};
  CHECK(f.call("PUT", "/symbols/SOLUSDT")->status == 401);
  CHECK(f.call("PUT", "/symbols/SOLUSDT", "", true, "Bearer 0123456789abcdeX")
          ->status
        == 401);
  CHECK(f.call("PUT", "/symbols/SOLUSDT", "", true, "0123456789abcdef")->status
        == 401);
  CHECK(f.call("PUT", "/symbols/SOLUSDT", "", false, "Bearer 0123456789abcdef")
          ->status
        == 201);
  // Reads stay open.
  CHECK(f.call("GET", "/symbols", "", false)->status == 200);
}

TEST_CASE("in a shard group PUT and DELETE change the group's symbols (202) "
          "and start or stop nothing here",
          "[api][symbols][shard]") {
  fake_shard shard;
  symbols_fixture f{{}, &shard};
  auto opened = f.ws.opened.size();
  auto a = f.call("PUT", "/symbols/solusdt",
                  R"({"streams":["aggTrade","depth"]})");
  REQUIRE(a);
  CHECK(a->status == 202);
  CHECK(a->body
        == R"({"symbol":"SOLUSDT","group":"eu","change":"add",)"
           R"("streams":["aggTrade","depth"]})");
  a = f.call("PUT", "/symbols/BTCUSDT");
  CHECK(a->status == 202);
  CHECK(a->body
        == R"({"symbol":"BTCUSDT","group":"eu","change":"add",)"
           R"("streams":["aggTrade"]})");
  // A symbol the group has, though it does not stream here.
  a = f.call("DELETE", "/symbols/xrpusdt");
  CHECK(a->status == 202);
  CHECK(a->body == R"({"symbol":"XRPUSDT","group":"eu","change":"remove"})");
  REQUIRE(shard.changes.size() == 3);
  CHECK(shard.changes[0].symbol == "SOLUSDT");
  CHECK(shard.changes[0].add);
  CHECK(
    shard.changes[0].streams
    == std::vector<stream_kind>{stream_kind::agg_trade, stream_kind::depth});
  CHECK(shard.changes[1].streams.empty());
  CHECK(shard.changes[2].symbol == "XRPUSDT");
  CHECK_FALSE(shard.changes[2].add);
  // Nothing started or stopped here: the group's leases decide.
  CHECK(f.ws.opened.size() == opened);
  CHECK(f.call("GET", "/symbols")->body
        == R"({"symbols":["BTCUSDT","ETHUSDT"]})");
}

TEST_CASE("in a shard group a DELETE of a symbol the group lacks answers 404 "
          "with the group's symbols, a change it has already 200; bad names, "
          "an unreachable bucket and a full queue are refused",
          "[api][symbols][shard]") {
  fake_shard shard;
  symbols_fixture f{{}, &shard};
  auto a = f.call("DELETE", "/symbols/dogeusdt");
  CHECK(a->status == 404);
  CHECK(a->body
        == R"({"error":"unknown symbol","symbol":"DOGEUSDT",)"
           R"("symbols":["BTCUSDT","ETHUSDT","XRPUSDT"]})");
  CHECK(shard.changes.size() == 1);
  shard.changes.clear();
  CHECK(f.call("PUT", "/symbols/SOL-USDT")->status == 400);
  CHECK(f.call("DELETE", "/symbols/SOL-USDT")->status == 400);
  CHECK(f.call("PUT", "/symbols/SOLUSDT", R"({"streams":[]})")->status == 400);
  CHECK(f.call("PUT", "/symbols/SOLUSDT", "", false)->status == 403);
  CHECK(shard.changes.empty());
  shard.outcome = group_change_outcome::unchanged;
  a = f.call("PUT", "/symbols/ETHUSDT");
  CHECK(a->status == 200);
  CHECK(a->body
        == R"({"symbol":"ETHUSDT","group":"eu","change":"none",)"
           R"("streams":["aggTrade"]})");
  for (auto outcome :
       {group_change_outcome::unreachable, group_change_outcome::full}) {
    shard.outcome = outcome;
    a = f.call("PUT", "/symbols/SOLUSDT");
    CHECK(a->status == 503);
    CHECK_THAT(a->body, Catch::Contains("retry later"));
  }
}

TEST_CASE_METHOD(api_fixture,
                 "GET /api/v3/aggTrades answers Binance's rows from the "
                 "history, and Binance's errors",
                 "[api][mirror]") {
  stream(
    1,
    {test::agg_trade_frame("BTCUSDT", 7, "100.00000000", "0.50000000", false),
     test::agg_trade_frame("BTCUSDT", 8, "101.00000000", "0.00000001", true)});
  auto a = get("/api/v3/aggTrades", "symbol=BTCUSDT&fromId=8");
  REQUIRE(a.status == 200);
  CHECK(a.body
        == R"([{"a":8,"p":"101.00000000","q":"0.00000001","f":16,"l":16,)"
           R"("T":1700000000000,"m":true,"M":true}])");
  CHECK(get("/api/v3/aggTrades", "symbol=BTCUSDT&limit=1").body == a.body);
  // 500 most recent while 2 are held: older trades exist but are not held.
  auto short_recent = get("/api/v3/aggTrades", "symbol=BTCUSDT");
  CHECK(short_recent.status == 400);
  CHECK_THAT(short_recent.body,
             Catch::StartsWith(R"({"code":-1,"msg":"streamvisor does not )"
                               R"(hold BTCUSDT trades before T=)"));
  CHECK(get("/api/v3/aggTrades", "symbol=BTCUSDT&endTime=5").status == 400);
  CHECK(
    get("/api/v3/aggTrades", "symbol=BTCUSDT&startTime=1700000000000").status
    == 400); // the oldest millisecond held may have lost trades
  auto older = get("/api/v3/aggTrades", "symbol=BTCUSDT&fromId=3");
  CHECK(older.status == 400);
  CHECK_THAT(older.body,
             Catch::StartsWith(R"({"code":-1,"msg":"streamvisor does not )"
                               R"(hold BTCUSDT trades before id 7)"));
  auto unknown = get("/api/v3/aggTrades", "symbol=DOGEUSDT");
  CHECK(unknown.status == 400);
  CHECK(unknown.body
        == R"({"code":-1121,"msg":"Invalid symbol. streamvisor serves: )"
           R"(BTCUSDT, ETHUSDT."})");
  CHECK(get("/api/v3/aggTrades", "symbol=BTCUSDT&limit=1001").status == 400);
  // A symbol without a depth stream has no book to mirror.
  auto depth = get("/api/v3/depth", "symbol=BTCUSDT");
  CHECK(depth.status == 400);
  CHECK_THAT(depth.body, Catch::Contains("does not hold an order book"));
}

TEST_CASE("GET /api/v3/depth answers the synced book's snapshot, and 503 "
          "before it is synced",
          "[api][mirror]") {
  api_fixture f{true};
  auto before = f.get("/api/v3/depth", "symbol=BTCUSDT&limit=2");
  CHECK(before.status == 503);
  CHECK_THAT(before.body, Catch::StartsWith(R"({"code":-1001,)"));
  f.stream(
    2,
    {R"({"e":"depthUpdate","E":1700000000000,"s":"BTCUSDT","U":100,"u":101,)"
     R"("b":[["100.01000000","1.00000000"]],"a":[["100.02000000","0.00000000"]]})"});
  auto a = f.get("/api/v3/depth", "symbol=BTCUSDT&limit=2");
  REQUIRE(a.status == 200);
  CHECK(a.body
        == R"({"lastUpdateId":101,"bids":[["100.01000000","1.00000000"],)"
           R"(["100.00000000","2.00000000"]],"asks":[["100.05000000",)"
           R"("4.00000000"]]})");
}
