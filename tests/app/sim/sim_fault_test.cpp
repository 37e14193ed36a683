// Tests of streamvisor-sim --fault over loopback: each mode happens as specified, and with
// connections=1 the next connection of the symbol is healthy.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <thread>
#include <unistd.h>

#include "actors/core/decimal.hpp"
#include "app/sim/exchange/depth_feed.hpp"
#include "app/sim/exchange/trade_generator.hpp"
#include "app/sim/exchange/trade_json.hpp"
#include "tests/app/sim/sim_test_client.hpp"

using namespace sv::test;
using namespace std::chrono_literals;

namespace {

/// A self-signed certificate for 127.0.0.1 in a temporary directory; empty if the
/// openssl CLI is missing.
struct test_cert {
  std::string dir;
  bool ok = false;
  test_cert() {
    dir = std::string(SV_BINARY_DIR) + "/sim-fault-tls-"
          + std::to_string(::getpid());
    std::string cmd
      = "mkdir -p " + dir
        + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir
        + "/key.pem -out " + dir + "/cert.pem -days 2 -subj /CN=localhost "
        + "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1";
    ok = std::system(cmd.c_str()) == 0;
  }
  ~test_cert() {
    std::system(("rm -rf " + dir).c_str());
  }
  std::vector<std::string> args() const {
    return {"--cert", dir + "/cert.pem", "--key", dir + "/key.pem"};
  }
};

const std::string btc_path = "/ws/btcusdt@aggTrade";

/// The aggregate id of a raw aggTrade frame; fails the test on anything else.
std::int64_t trade_id(const ws_message& msg) {
  REQUIRE(msg.opcode == 1);
  rapidjson::Document d;
  d.Parse(msg.payload.c_str());
  REQUIRE(!d.HasParseError());
  REQUIRE(std::string(d["e"].GetString()) == "aggTrade");
  return d["a"].GetInt64();
}

/// Receives `n` aggTrade frames with consecutive ids; returns the ids.
std::vector<std::int64_t> receive_trades(ws_test_client& ws, std::size_t n) {
  std::vector<std::int64_t> ids;
  while (ids.size() < n) {
    auto msg = ws.next(2s);
    REQUIRE(msg);
    ids.push_back(trade_id(*msg));
    if (ids.size() > 1)
      REQUIRE(ids.back() == ids[ids.size() - 2] + 1);
  }
  return ids;
}

/// The close code of a close frame.
int close_code(const ws_message& msg) {
  REQUIRE(msg.opcode == 8);
  REQUIRE(msg.payload.size() >= 2);
  return (static_cast<unsigned char>(msg.payload[0]) << 8)
         | static_cast<unsigned char>(msg.payload[1]);
}

/// Opens a connection that must be healthy: 101, trades flowing, pings answered.
void expect_healthy(int port, bool tls, const std::string& path = btc_path) {
  ws_test_client ws;
  REQUIRE(ws.open(port, path, tls, 2s) == 101);
  receive_trades(ws, 5);
  REQUIRE(ws.send_ping("hi"));
  auto deadline = test_clock::now() + 2s;
  while (ws.pongs() == 0 && test_clock::now() < deadline)
    REQUIRE(ws.next(2s));
  CHECK(ws.pongs() == 1);
}

/// /sim/stats parsed.
rapidjson::Document stats(int port, bool tls) {
  auto r = http_get(port, "/sim/stats", tls, 2s);
  REQUIRE(r.status == 200);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE(!d.HasParseError());
  return d;
}

/// A silent connection: nothing for 500 ms, but pings still answered and the
/// connection still open.
void expect_silent_but_alive(ws_test_client& ws) {
  CHECK(!ws.next(500ms));
  CHECK(!ws.lost());
  REQUIRE(ws.send_ping("still there?"));
  CHECK(!ws.next(300ms));
  CHECK(ws.pongs() == 1);
  CHECK(!ws.lost());
}

/// Polls /sim/stats until `symbol` has no open connection (the server saw the
/// clients go); at --rate 0 nothing is generated after that.
rapidjson::Document stats_when_idle(int port, const std::string& symbol) {
  auto deadline = test_clock::now() + 5s;
  for (;;) {
    auto d = stats(port, false);
    if (d["symbols"][symbol.c_str()]["connections"].GetInt() == 0)
      return d;
    REQUIRE(test_clock::now() < deadline);
    std::this_thread::sleep_for(10ms);
  }
}

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// A raw aggTrade frame parsed.
rapidjson::Document parse_frame(const ws_message& msg) {
  REQUIRE(msg.opcode == 1);
  rapidjson::Document d;
  d.Parse(msg.payload.c_str());
  REQUIRE(!d.HasParseError());
  return d;
}

/// REST aggTrades rows parsed; REQUIREs HTTP 200.
rapidjson::Document rest_rows(int port, const std::string& query) {
  auto r = http_get(port, "/api/v3/aggTrades?" + query, false, 5s);
  REQUIRE(r.status == 200);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE(d.IsArray());
  return d;
}

std::int64_t e8(const rapidjson::Value& text) {
  std::int64_t v = 0;
  REQUIRE(sv::parse_e8(text.GetString(), v));
  return v;
}

/// The used-weight header of an answer as a number; REQUIREs it present.
long used_weight(const http_result& r) {
  auto h = r.header("X-MBX-USED-WEIGHT-1M");
  REQUIRE(h);
  return std::stol(*h);
}

} // namespace

TEST_CASE("The sim's hang-upgrade scoped to a symbol never answers its first "
          "upgrade, and its second connection and other symbols are served") {
  running_sim sim(
    {"--rate", "200", "--fault", "hang-upgrade:symbol=BTCUSDT,connections=1"});
  ws_test_client hung;
  CHECK(hung.open(sim.port, btc_path, false, 500ms) == 0);
  CHECK(hung.connected());
  CHECK(!hung.lost()); // still open, just unanswered
  expect_healthy(sim.port, false, "/ws/ethusdt@aggTrade");
  expect_healthy(sim.port, false);
  CHECK(!hung.next(100ms));
  CHECK(!hung.lost());
  auto d = stats(sim.port, false);
  CHECK(d["symbols"]["BTCUSDT"]["faults_applied"].GetInt() == 1);
  CHECK(d["symbols"]["BTCUSDT"]["connections_total"].GetInt() == 1);
  CHECK(d["symbols"]["ETHUSDT"]["faults_applied"].GetInt() == 0);
  CHECK(d["faults"][0]["applied"].GetInt() == 1);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("Over TLS the sim's hang-upgrade completes the TLS handshake but "
          "never answers the upgrade, then serves the next connection") {
  test_cert cert;
  if (!cert.ok) {
    WARN("openssl CLI unavailable: TLS test skipped");
    return;
  }
  auto args = cert.args();
  args.insert(args.end(),
              {"--rate", "200", "--fault", "hang-upgrade:connections=1"});
  running_sim sim(args);
  REQUIRE(sim.tls);
  ws_test_client hung;
  CHECK(hung.open(sim.port, btc_path, true, 500ms) == 0);
  CHECK(hung.connected()); // TLS handshake done
  CHECK(!hung.lost());
  expect_healthy(sim.port, true);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's stall-tls accepts TCP but never completes the TLS "
          "handshake, then serves the next connection") {
  test_cert cert;
  if (!cert.ok) {
    WARN("openssl CLI unavailable: TLS test skipped");
    return;
  }
  auto args = cert.args();
  args.insert(args.end(),
              {"--rate", "200", "--fault", "stall-tls:connections=1"});
  running_sim sim(args);
  ws_test_client stalled;
  auto start = test_clock::now();
  CHECK(stalled.open(sim.port, btc_path, true, 500ms) == 0);
  CHECK(!stalled.connected()); // TCP connected, SSL_connect timed out
  CHECK(test_clock::now() - start >= 450ms);
  expect_healthy(sim.port, true);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's stall-tls on plain ws behaves like hang-upgrade") {
  running_sim sim({"--rate", "200", "--fault", "stall-tls:connections=1"});
  ws_test_client stalled;
  CHECK(stalled.open(sim.port, btc_path, false, 500ms) == 0);
  CHECK(stalled.connected());
  CHECK(!stalled.lost());
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's reject refuses the upgrade with the given status and "
          "Retry-After, then the next upgrade succeeds") {
  running_sim sim({"--rate", "200", "--fault",
                   "reject:status=429,retry_after=7,connections=1"});
  ws_test_client ws;
  CHECK(ws.open(sim.port, btc_path, false, 2s) == 429);
  CHECK(ws.head().find("\r\nretry-after: 7") != std::string::npos);
  CHECK(!ws.next(1s)); // the body is not a frame; then the server closes
  CHECK(ws.lost());
  expect_healthy(sim.port, false);
  auto d = stats(sim.port, false);
  CHECK(d["symbols"]["BTCUSDT"]["faults_applied"].GetInt() == 1);
  CHECK(d["symbols"]["BTCUSDT"]["connections_total"].GetInt() == 1);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's reject without retry_after sends no Retry-After header") {
  running_sim sim({"--fault", "reject:status=418"});
  ws_test_client ws;
  CHECK(ws.open(sim.port, btc_path, false, 2s) == 418);
  CHECK(ws.head().find("retry-after") == std::string::npos);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's reset-after delivers exactly N frames, then resets the "
          "TCP connection, and the next connection is healthy") {
  running_sim sim(
    {"--rate", "200", "--fault", "reset-after:frames=3,connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  receive_trades(ws, 3);
  CHECK(!ws.next(1s));
  CHECK(ws.lost());
  CHECK(ws.peer_reset());
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's close-after delivers N frames, then a close frame with "
          "the given code and reason") {
  running_sim sim(
    {"--rate", "200", "--fault",
     "close-after:frames=2,code=1001,reason=bye now,connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  receive_trades(ws, 2);
  auto msg = ws.next(1s);
  REQUIRE(msg);
  CHECK(close_code(*msg) == 1001);
  CHECK(msg->payload.substr(2) == "bye now");
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's silent-after delivers N frames, then nothing, while pings "
          "are still answered") {
  running_sim sim(
    {"--rate", "200", "--fault", "silent-after:frames=2,connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  receive_trades(ws, 2);
  expect_silent_but_alive(ws);
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's no-first-frame completes the upgrade but never sends a "
          "frame, while pings are still answered") {
  running_sim sim({"--rate", "200", "--fault", "no-first-frame:connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  expect_silent_but_alive(ws);
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's malformed-every makes every K-th frame truncated JSON "
          "without skipping a trade") {
  running_sim sim({"--rate", "0", "--count", "100", "--fault",
                   "malformed-every:k=3,connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  std::vector<std::int64_t> ids;
  int malformed = 0;
  for (int frame = 1; ids.size() < 100; ++frame) {
    auto msg = ws.next(2s);
    REQUIRE(msg);
    REQUIRE(msg->opcode == 1);
    rapidjson::Document d;
    d.Parse(msg->payload.c_str());
    INFO("frame " << frame << ": " << msg->payload);
    REQUIRE(d.HasParseError() == (frame % 3 == 0));
    if (d.HasParseError()) {
      ++malformed;
      CHECK(msg->payload.rfind("{\"e\":\"aggTrade\"", 0) == 0);
      continue;
    }
    ids.push_back(d["a"].GetInt64());
  }
  CHECK(malformed == 49); // frames 3, 6, ..., 147 among 149
  for (std::size_t i = 0; i < ids.size(); ++i)
    REQUIRE(ids[i] == 1000000 + static_cast<std::int64_t>(i));
  // The second connection gets the (exhausted) sequence's tail without a fault: idle.
  ws_test_client second;
  REQUIRE(second.open(sim.port, btc_path, false, 2s) == 101);
  CHECK(!second.next(300ms));
  auto d = stats(sim.port, false);
  CHECK(d["symbols"]["BTCUSDT"]["faults_applied"].GetInt() == 1);
  CHECK(d["symbols"]["BTCUSDT"]["connections_total"].GetInt() == 2);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's malformed-every stops after connections=N and the next "
          "connection gets only valid trades") {
  running_sim sim(
    {"--rate", "200", "--fault", "malformed-every:k=2,connections=1"});
  {
    ws_test_client first;
    REQUIRE(first.open(sim.port, btc_path, false, 2s) == 101);
    REQUIRE(first.next(2s));
    auto bad = first.next(2s);
    REQUIRE(bad);
    rapidjson::Document d;
    d.Parse(bad->payload.c_str());
    CHECK(d.HasParseError());
  }
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  receive_trades(ws, 20); // REQUIREs valid JSON and consecutive ids
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's no-pong keeps sending trades but never answers a ping, "
          "and the next connection gets its pong") {
  running_sim sim({"--rate", "200", "--fault", "no-pong:connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  receive_trades(ws, 2);
  REQUIRE(ws.send_ping("ping?"));
  auto until = test_clock::now() + 500ms;
  int frames = 0;
  while (test_clock::now() < until) {
    auto msg = ws.next(300ms);
    REQUIRE(msg);
    trade_id(*msg);
    ++frames;
  }
  CHECK(frames > 20);
  CHECK(ws.pongs() == 0);
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's no-pong with silent=1 is a mute peer: upgrade, then "
          "neither frames nor pongs") {
  running_sim sim(
    {"--rate", "200", "--fault", "no-pong:silent=1,connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  REQUIRE(ws.send_ping("ping?"));
  CHECK(!ws.next(500ms));
  CHECK(ws.pongs() == 0);
  CHECK(!ws.lost());
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's server-shutdown-after sends the serverShutdown event "
          "after N frames, streams for grace_ms, then closes with 1001") {
  running_sim sim(
    {"--rate", "200", "--fault",
     "server-shutdown-after:frames=2,grace_ms=300,connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  auto before = receive_trades(ws, 2);
  auto event = ws.next(1s);
  REQUIRE(event);
  auto event_at = test_clock::now();
  rapidjson::Document d;
  d.Parse(event->payload.c_str());
  REQUIRE(d.IsObject());
  REQUIRE(d.MemberCount() == 2);
  CHECK(std::string(d["e"].GetString()) == "serverShutdown");
  CHECK(d["E"].IsInt64());
  // Trades continue (no id skipped) during the grace period, then 1001.
  std::int64_t last = before.back();
  for (;;) {
    auto msg = ws.next(2s);
    REQUIRE(msg);
    if (msg->opcode == 8) {
      CHECK(close_code(*msg) == 1001);
      break;
    }
    auto id = trade_id(*msg);
    REQUIRE(id == last + 1);
    last = id;
  }
  auto grace = test_clock::now() - event_at;
  CHECK(grace >= 250ms);
  CHECK(grace < 1500ms);
  CHECK(last - before.back() >= 20); // ~60 trades at 200/s in 300 ms
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("On a combined sim stream the serverShutdown event is wrapped as the "
          "!serverShutdown stream") {
  running_sim sim({"--rate", "200", "--fault",
                   "server-shutdown-after:frames=0,grace_ms=100"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, "/stream?streams=btcusdt@aggTrade", false, 2s)
          == 101);
  auto event = ws.next(1s);
  REQUIRE(event);
  rapidjson::Document d;
  d.Parse(event->payload.c_str());
  REQUIRE(d.IsObject());
  CHECK(std::string(d["stream"].GetString()) == "!serverShutdown");
  CHECK(std::string(d["data"]["e"].GetString()) == "serverShutdown");
  CHECK(d["data"]["E"].IsInt64());
  for (;;) {
    auto msg = ws.next(2s);
    REQUIRE(msg);
    if (msg->opcode == 8) {
      CHECK(close_code(*msg) == 1001);
      break;
    }
  }
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's skip-on-reconnect serves the first connection from the "
          "first id, then a reconnect starts G ids after the last emitted, and "
          "REST has exactly the skipped trades") {
  running_sim sim({"--rate", "0", "--fault", "skip-on-reconnect:trades=7"});
  {
    ws_test_client first;
    REQUIRE(first.open(sim.port, btc_path, false, 2s) == 101);
    CHECK(receive_trades(first, 5).front() == 1000000);
  }
  auto before = stats_when_idle(sim.port, "BTCUSDT");
  const auto& b = before["symbols"]["BTCUSDT"];
  CHECK(b["skipped_on_reconnect"].GetInt64() == 0);
  CHECK(b["faults_applied"].GetInt() == 0);
  auto last
    = b["last_id"]
        .GetInt64(); // at --rate 0 the sequence rests while nobody reads
  auto t0 = wall_ms();
  ws_test_client second;
  REQUIRE(second.open(sim.port, btc_path, false, 2s) == 101);
  auto ids = receive_trades(second, 5);
  auto t1 = wall_ms();
  CHECK(ids.front() == last + 7 + 1);
  // REST: the last trade before the gap, the 7 skipped, the second's first trade.
  auto r = http_get(sim.port,
                    "/api/v3/aggTrades?symbol=BTCUSDT&fromId="
                      + std::to_string(last) + "&limit=9",
                    false, 5s);
  REQUIRE(r.status == 200);
  rapidjson::Document rows;
  rows.Parse(r.body.c_str());
  REQUIRE(rows.IsArray());
  REQUIRE(rows.Size() == 9);
  // Byte for byte the deterministic sequence's next trades (--seed 1), stamped now.
  sv::trade_generator gen("BTCUSDT", 1, 1000000);
  while (gen.next_id() < last)
    gen.next(0);
  std::string expected = "[";
  for (rapidjson::SizeType i = 0; i < rows.Size(); ++i) {
    auto t = gen.next(0);
    REQUIRE(rows[i]["a"].GetInt64() == last + static_cast<std::int64_t>(i));
    t.trade_ms = rows[i]["T"].GetInt64();
    if (i >= 1 && i <= 7) {
      CHECK(t.trade_ms >= t0);
      CHECK(t.trade_ms <= t1);
    }
    if (i > 0)
      expected.push_back(',');
    sv::append_rest_row(expected, t);
  }
  expected.push_back(']');
  CHECK(r.body == expected);
  second.close();
  // The skipped trades count as emitted, with their volumes in the totals.
  auto after = stats_when_idle(sim.port, "BTCUSDT");
  const auto& a = after["symbols"]["BTCUSDT"];
  CHECK(a["skipped_on_reconnect"].GetInt64() == 7);
  CHECK(a["faults_applied"].GetInt() == 1);
  CHECK(a["connections_total"].GetInt() == 2);
  CHECK(after["faults"][0]["applied"].GetInt() == 1);
  auto emitted = a["emitted"].GetInt64();
  auto end_id = a["last_id"].GetInt64();
  CHECK(end_id - 1000000 + 1 == emitted);
  std::int64_t buy = 0, sell = 0, seen = 0;
  for (std::int64_t from = 1000000; from <= end_id;) {
    auto page = rest_rows(sim.port, "symbol=BTCUSDT&limit=1000&fromId="
                                      + std::to_string(from));
    REQUIRE(page.Size() > 0);
    for (const auto& row : page.GetArray()) {
      REQUIRE(row["a"].GetInt64() == from);
      (row["m"].GetBool() ? sell : buy) += e8(row["q"]);
      ++from;
      ++seen;
    }
  }
  CHECK(seen == emitted);
  CHECK(sv::format_e8(buy) == a["buy_volume"].GetString());
  CHECK(sv::format_e8(sell) == a["sell_volume"].GetString());
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("At --rate N the sim's skip-on-reconnect puts G consecutive trades "
          "in the shared sequence that open connections and REST see, only for "
          "the scoped symbol and the first N reconnects") {
  running_sim sim({"--rate", "200", "--fault",
                   "skip-on-reconnect:trades=5,symbol=BTCUSDT,connections=1"});
  ws_test_client observer; // BTCUSDT's first connection: no skip
  REQUIRE(observer.open(sim.port, btc_path, false, 2s) == 101);
  auto seen_before = receive_trades(observer, 3);
  CHECK(seen_before.front() == 1000000);
  ws_test_client second;
  REQUIRE(second.open(sim.port, btc_path, false, 2s) == 101);
  auto first_msg = second.next(2s);
  REQUIRE(first_msg);
  auto first_id = trade_id(*first_msg);
  CHECK(first_id >= seen_before.back() + 5 + 1);
  // The observer gets every id, the skipped ones included; keep their frames.
  std::vector<rapidjson::Document> skipped;
  for (auto id = seen_before.back() + 1; id < first_id; ++id) {
    auto msg = observer.next(2s);
    REQUIRE(msg);
    auto d = parse_frame(*msg);
    REQUIRE(d["a"].GetInt64() == id);
    if (id >= first_id - 5)
      skipped.push_back(std::move(d));
  }
  REQUIRE(skipped.size() == 5);
  auto rows = rest_rows(sim.port, "symbol=BTCUSDT&limit=5&fromId="
                                    + std::to_string(first_id - 5));
  REQUIRE(rows.Size() == 5);
  for (rapidjson::SizeType i = 0; i < 5; ++i) {
    const auto& row = rows[i];
    const auto& frame = skipped[i];
    CHECK(row["a"].GetInt64() == frame["a"].GetInt64());
    CHECK(std::string(row["p"].GetString()) == frame["p"].GetString());
    CHECK(std::string(row["q"].GetString()) == frame["q"].GetString());
    CHECK(row["f"].GetInt64() == frame["f"].GetInt64());
    CHECK(row["l"].GetInt64() == frame["l"].GetInt64());
    CHECK(row["T"].GetInt64() == frame["T"].GetInt64());
    CHECK(row["m"].GetBool() == frame["m"].GetBool());
    CHECK(row["T"].GetInt64() == rows[0]["T"].GetInt64()); // emitted at once
  }
  // connections=1: the next reconnect is not skipped; ETHUSDT is out of scope.
  for (const auto& path : {btc_path, std::string("/ws/ethusdt@aggTrade"),
                           std::string("/ws/ethusdt@aggTrade")}) {
    ws_test_client ws;
    REQUIRE(ws.open(sim.port, path, false, 2s) == 101);
    receive_trades(ws, 2);
  }
  auto d = stats(sim.port, false);
  CHECK(d["symbols"]["BTCUSDT"]["skipped_on_reconnect"].GetInt64() == 5);
  CHECK(d["symbols"]["BTCUSDT"]["faults_applied"].GetInt() == 1);
  CHECK(d["symbols"]["BTCUSDT"]["connections_total"].GetInt() == 3);
  CHECK(d["symbols"]["ETHUSDT"]["skipped_on_reconnect"].GetInt64() == 0);
  CHECK(d["symbols"]["ETHUSDT"]["faults_applied"].GetInt() == 0);
  CHECK(d["faults"][0]["applied"].GetInt() == 1);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's skip-on-reconnect combines with a stream fault: after a "
          "reset the reconnect's first id leaves a gap REST fills") {
  running_sim sim({"--rate", "0", "--fault",
                   "reset-after:frames=3,connections=1", "--fault",
                   "skip-on-reconnect:trades=4"});
  ws_test_client first;
  REQUIRE(first.open(sim.port, btc_path, false, 2s) == 101);
  auto got = receive_trades(first, 3);
  CHECK(!first.next(1s));
  CHECK(first.peer_reset());
  auto last = stats_when_idle(sim.port,
                              "BTCUSDT")["symbols"]["BTCUSDT"]["last_id"]
                .GetInt64();
  ws_test_client second;
  REQUIRE(second.open(sim.port, btc_path, false, 2s) == 101);
  auto ids = receive_trades(second, 3);
  CHECK(ids.front() == last + 4 + 1);
  // Everything between the last frame seen and the reconnect's first is in REST.
  auto rows = rest_rows(sim.port, "symbol=BTCUSDT&limit=1000&fromId="
                                    + std::to_string(got.back() + 1));
  REQUIRE(rows.Size()
          >= static_cast<rapidjson::SizeType>(ids.front() - got.back() - 1));
  for (rapidjson::SizeType i = 0; i < rows.Size(); ++i)
    REQUIRE(rows[i]["a"].GetInt64()
            == got.back() + 1 + static_cast<std::int64_t>(i));
  auto d = stats(sim.port, false);
  CHECK(d["symbols"]["BTCUSDT"]["skipped_on_reconnect"].GetInt64() == 4);
  CHECK(d["symbols"]["BTCUSDT"]["faults_applied"].GetInt()
        == 2); // the reset and the skip
  CHECK(d["faults"][0]["applied"].GetInt() == 1);
  CHECK(d["faults"][1]["applied"].GetInt() == 1);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's rest-429 answers the first K REST requests 429 with "
          "Retry-After and Binance's -1003 body, then serves them") {
  running_sim sim(
    {"--symbols", "BTCUSDT", "--fault", "rest-429:count=2,retry_after=3"});
  auto s0 = stats(
    sim.port, false); // /sim/stats is not REST API: never rejected, not counted
  CHECK(s0["rest_requests"].GetInt64() == 0);
  for (const char* target :
       {"/api/v3/aggTrades?symbol=BTCUSDT", "/api/v3/ping"}) {
    auto r = http_get(sim.port, target, false, 2s);
    CHECK(r.status == 429);
    CHECK(r.header("Retry-After") == std::optional<std::string>("3"));
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    REQUIRE(d.IsObject());
    CHECK(d["code"].GetInt() == -1003);
    CHECK(std::string(d["msg"].GetString())
            .rfind("Too much request weight used;", 0)
          == 0);
  }
  auto ok = http_get(sim.port, "/api/v3/aggTrades?symbol=BTCUSDT", false, 2s);
  CHECK(ok.status == 200);
  CHECK(ok.body == "[]");
  CHECK(!ok.header("Retry-After"));
  CHECK(http_get(sim.port, "/api/v3/ping", false, 2s).status == 200);
  auto d = stats(sim.port, false);
  CHECK(d["rest_requests"].GetInt64() == 4);
  CHECK(d["rest_rejected"].GetInt64() == 2);
  CHECK(d["faults"][0]["applied"].GetInt() == 2);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's rest-429 defaults to Retry-After 1 and with symbol= "
          "rejects only that symbol's requests") {
  running_sim sim({"--symbols", "BTCUSDT,ETHUSDT", "--fault",
                   "rest-429:symbol=ETHUSDT,count=1"});
  CHECK(http_get(sim.port, "/api/v3/ping", false, 2s).status == 200);
  CHECK(http_get(sim.port, "/api/v3/aggTrades?symbol=BTCUSDT", false, 2s).status
        == 200);
  auto r = http_get(sim.port, "/api/v3/aggTrades?symbol=ETHUSDT", false, 2s);
  CHECK(r.status == 429);
  CHECK(r.header("Retry-After") == std::optional<std::string>("1"));
  CHECK(http_get(sim.port, "/api/v3/aggTrades?symbol=ETHUSDT", false, 2s).status
        == 200);
  auto d = stats(sim.port, false);
  CHECK(d["rest_requests"].GetInt64() == 4);
  CHECK(d["rest_rejected"].GetInt64() == 1);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's rest-down answers REST with 503 and a JSON body: the "
          "first K requests, or all without count") {
  {
    running_sim sim({"--symbols", "BTCUSDT", "--fault", "rest-down:count=2"});
    for (int i = 0; i < 2; ++i) {
      auto r = http_get(sim.port, "/api/v3/aggTrades?symbol=BTCUSDT", false,
                        2s);
      CHECK(r.status == 503);
      CHECK(!r.header("Retry-After"));
      rapidjson::Document d;
      d.Parse(r.body.c_str());
      REQUIRE(d.IsObject());
      CHECK(d["code"].GetInt() == -1001);
    }
    CHECK(
      http_get(sim.port, "/api/v3/aggTrades?symbol=BTCUSDT", false, 2s).status
      == 200);
    CHECK(sim.child->stop(SIGTERM, 5s) == 0);
  }
  running_sim sim({"--symbols", "BTCUSDT", "--fault", "rest-down"});
  for (int i = 0; i < 5; ++i)
    CHECK(http_get(sim.port,
                   i % 2 ? "/api/v3/ping" : "/api/v3/aggTrades?symbol=BTCUSDT",
                   false, 2s)
            .status
          == 503);
  expect_healthy(sim.port, false); // streams are not affected
  auto d = stats(sim.port, false);
  CHECK(d["rest_requests"].GetInt64() == 5);
  CHECK(d["rest_rejected"].GetInt64() == 5);
  CHECK(d["faults"][0]["applied"].GetInt() == 5);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("Every sim HTTP answer carries X-MBX-USED-WEIGHT-1M, the last "
          "minute's REST weight with aggTrades 4 and ping 1") {
  running_sim sim({"--symbols", "BTCUSDT", "--fault", "rest-429:count=1"});
  auto first = http_get(sim.port, "/api/v3/ping", false, 2s);
  CHECK(first.status == 429); // rejected requests cost their weight too
  CHECK(used_weight(first) == 1);
  CHECK(used_weight(
          http_get(sim.port, "/api/v3/aggTrades?symbol=BTCUSDT", false, 2s))
        == 5);
  CHECK(used_weight(http_get(sim.port, "/api/v3/ping", false, 2s)) == 6);
  auto bad = http_get(sim.port, "/api/v3/aggTrades?symbol=BTCUSDT&limit=0",
                      false, 2s);
  CHECK(bad.status == 400);
  CHECK(used_weight(bad) == 10);
  CHECK(used_weight(http_get(sim.port, "/sim/stats", false, 2s))
        == 10); // weight 0
  auto unknown = http_get(sim.port, "/nope", false, 2s);
  CHECK(unknown.status == 404);
  CHECK(used_weight(unknown) == 10);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

namespace {

/// (stream, U, u) of one combined depth frame; fails the test on anything else.
struct depth_ids {
  std::string stream;
  std::int64_t first = 0; ///< U
  std::int64_t last = 0;  ///< u
};

depth_ids depth_ids_of(const ws_message& msg) {
  REQUIRE(msg.opcode == 1);
  rapidjson::Document d;
  d.Parse(msg.payload.c_str());
  REQUIRE(!d.HasParseError());
  REQUIRE(std::string(d["data"]["e"].GetString()) == "depthUpdate");
  return {d["stream"].GetString(), d["data"]["U"].GetInt64(),
          d["data"]["u"].GetInt64()};
}

} // namespace

TEST_CASE(
  "The sim's drop-depth leaves exactly one gap, the size of the dropped event, "
  "in the scoped symbol's depth stream and none in another symbol's") {
  running_sim sim({"--depth-interval-ms", "20", "--seed", "9", "--fault",
                   "drop-depth:symbol=ETHUSDT,after=5"});
  ws_test_client ws;
  // Both books start with this request, so the connection gets every event from the first.
  REQUIRE(ws.open(sim.port,
                  "/stream?streams=ethusdt@depth@100ms/btcusdt@depth@100ms",
                  false, 2s)
          == 101);
  std::map<std::string, std::vector<depth_ids>> by_stream;
  auto& eth = by_stream["ethusdt@depth@100ms"];
  auto& btc = by_stream["btcusdt@depth@100ms"];
  while (eth.size() < 15 || btc.size() < 15) {
    auto msg = ws.next(2s);
    REQUIRE(msg);
    auto ids = depth_ids_of(*msg);
    REQUIRE(by_stream.count(ids.stream) == 1);
    by_stream[ids.stream].push_back(ids);
  }
  constexpr std::int64_t initial = 1'000'000'000;
  CHECK(btc.front().first == initial + 1);
  for (std::size_t i = 1; i < btc.size(); ++i)
    REQUIRE(btc[i].first == btc[i - 1].last + 1);
  REQUIRE(eth.front().first == initial + 1); // event 1
  std::vector<std::size_t> gaps;
  for (std::size_t i = 1; i < eth.size(); ++i)
    if (eth[i].first != eth[i - 1].last + 1)
      gaps.push_back(i);
  REQUIRE(gaps
          == std::vector<std::size_t>{5}); // events 1..5 sent, event 6 missing
  const auto& before = eth[4];
  const auto& after = eth[5];
  auto missing = after.first - before.last - 1;
  CHECK(missing == sv::depth_event_changes("ETHUSDT", 9, before.last + 1, 5));
  CHECK(missing >= 3);
  // The lost event's changes are in the book: its last id is a state the sim can show.
  CHECK(http_get(sim.port,
                 "/sim/book?symbol=ETHUSDT&limit=1&update_id="
                   + std::to_string(after.first - 1),
                 false, 2s)
          .status
        == 200);
  auto d = stats(sim.port, false);
  CHECK(d["symbols"]["ETHUSDT"]["depth_dropped"].GetInt64() == 1);
  CHECK(d["symbols"]["BTCUSDT"]["depth_dropped"].GetInt64() == 0);
  CHECK(d["faults"][0]["applied"].GetInt() == 1);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's drop-depth with every=K drops every K-th depth event "
          "after the first drop, for every connection alike") {
  running_sim sim({"--depth-interval-ms", "20", "--symbols", "BNBBTC",
                   "--fault", "drop-depth:after=0,every=3"});
  ws_test_client a, b;
  REQUIRE(a.open(sim.port, "/stream?streams=bnbbtc@depth@100ms", false, 2s)
          == 101);
  REQUIRE(b.open(sim.port, "/stream?streams=bnbbtc@depth@100ms", false, 2s)
          == 101);
  std::vector<depth_ids> got[2];
  for (int k = 0; k < 2; ++k) {
    auto& ws = k == 0 ? a : b;
    while (got[k].size() < 12) {
      auto msg = ws.next(2s);
      REQUIRE(msg);
      got[k].push_back(depth_ids_of(*msg));
    }
  }
  // Every third event is missing: between two received events at most one is lost,
  // and losses are exactly two received events apart.
  std::vector<std::size_t> gaps;
  for (std::size_t i = 1; i < got[0].size(); ++i)
    if (got[0][i].first != got[0][i - 1].last + 1)
      gaps.push_back(i);
  REQUIRE(gaps.size() >= 4);
  for (std::size_t g = 1; g < gaps.size(); ++g)
    CHECK(gaps[g] - gaps[g - 1] == 2);
  // Both connections miss the same events: the drop happens once, at the exchange.
  for (const auto& e : got[1]) {
    bool seen = e.last < got[0].front().first || e.first > got[0].back().last;
    for (const auto& f : got[0])
      seen = seen || (f.first == e.first && f.last == e.last);
    CHECK(seen);
  }
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's rest-429 and rest-down apply to /api/v3/depth as to every "
          "/api/v3 request") {
  running_sim sim({"--symbols", "BTCUSDT,ETHUSDT", "--fault",
                   "rest-429:count=1", "--fault",
                   "rest-down:symbol=ETHUSDT,count=1"});
  auto r = http_get(sim.port, "/api/v3/depth?symbol=BTCUSDT&limit=5", false,
                    2s);
  CHECK(r.status == 429);
  CHECK(r.header("Retry-After") == std::optional<std::string>("1"));
  CHECK(used_weight(r) == 5); // rejected requests cost their weight too
  CHECK(
    http_get(sim.port, "/api/v3/depth?symbol=BTCUSDT&limit=5", false, 2s).status
    == 200);
  CHECK(http_get(sim.port, "/api/v3/depth?symbol=ETHUSDT", false, 2s).status
        == 503);
  CHECK(http_get(sim.port, "/api/v3/depth?symbol=ETHUSDT", false, 2s).status
        == 200);
  // /sim/book is the test's window on the truth: never faulted, never weighed.
  auto book = http_get(sim.port, "/sim/book?symbol=BTCUSDT", false, 2s);
  CHECK(book.status == 200);
  CHECK(used_weight(book) == 20);
  auto d = stats(sim.port, false);
  CHECK(d["rest_requests"].GetInt64() == 4);
  CHECK(d["rest_rejected"].GetInt64() == 2);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}
