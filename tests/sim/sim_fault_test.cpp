// Tests of streamvisor-sim --fault over loopback: each mode happens as specified, and with
// connections=1 the next connection of the symbol is healthy.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include "sim/sim_test_client.hpp"

using namespace sv::test;
using namespace std::chrono_literals;

namespace {

/// A running simulator: started with `args` plus --port 0 --port-file; port known.
/// The child_process destructor kills it if a REQUIRE fails.
struct sim_fixture {
  std::string port_file;
  std::unique_ptr<child_process> child;
  int port = 0;
  bool tls = false;

  explicit sim_fixture(std::vector<std::string> args) {
    static int counter = 0;
    port_file = std::string(SV_BINARY_DIR) + "/sim-fault-port-" + std::to_string(::getpid())
                + "-" + std::to_string(++counter);
    std::remove(port_file.c_str());
    args.insert(args.end(), {"--port", "0", "--port-file", port_file, "--log-level", "warn"});
    child = std::make_unique<child_process>(SV_SIM_BINARY, args);
    auto line = child->read_line(10s);
    REQUIRE(line);
    int tls_flag = -1;
    REQUIRE(std::sscanf(line->c_str(), "listening port=%d tls=%d", &port, &tls_flag) == 2);
    tls = tls_flag == 1;
  }

  ~sim_fixture() {
    std::remove(port_file.c_str());
  }
};

/// A self-signed certificate for 127.0.0.1 in a temporary directory; empty if the
/// openssl CLI is missing.
struct test_cert {
  std::string dir;
  bool ok = false;
  test_cert() {
    dir = std::string(SV_BINARY_DIR) + "/sim-fault-tls-" + std::to_string(::getpid());
    std::string cmd = "mkdir -p " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout "
                      + dir + "/key.pem -out " + dir + "/cert.pem -days 2 -subj /CN=localhost "
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

} // namespace

TEST_CASE("The sim's hang-upgrade scoped to a symbol never answers its first upgrade, and its second connection and other symbols are served") {
  sim_fixture sim({"--rate", "200", "--fault", "hang-upgrade:symbol=BTCUSDT,connections=1"});
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

TEST_CASE("Over TLS the sim's hang-upgrade completes the TLS handshake but never answers the upgrade, then serves the next connection") {
  test_cert cert;
  if (!cert.ok) {
    WARN("openssl CLI unavailable: TLS test skipped");
    return;
  }
  auto args = cert.args();
  args.insert(args.end(), {"--rate", "200", "--fault", "hang-upgrade:connections=1"});
  sim_fixture sim(args);
  REQUIRE(sim.tls);
  ws_test_client hung;
  CHECK(hung.open(sim.port, btc_path, true, 500ms) == 0);
  CHECK(hung.connected()); // TLS handshake done
  CHECK(!hung.lost());
  expect_healthy(sim.port, true);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's stall-tls accepts TCP but never completes the TLS handshake, then serves the next connection") {
  test_cert cert;
  if (!cert.ok) {
    WARN("openssl CLI unavailable: TLS test skipped");
    return;
  }
  auto args = cert.args();
  args.insert(args.end(), {"--rate", "200", "--fault", "stall-tls:connections=1"});
  sim_fixture sim(args);
  ws_test_client stalled;
  auto start = test_clock::now();
  CHECK(stalled.open(sim.port, btc_path, true, 500ms) == 0);
  CHECK(!stalled.connected()); // TCP connected, SSL_connect timed out
  CHECK(test_clock::now() - start >= 450ms);
  expect_healthy(sim.port, true);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's stall-tls on plain ws behaves like hang-upgrade") {
  sim_fixture sim({"--rate", "200", "--fault", "stall-tls:connections=1"});
  ws_test_client stalled;
  CHECK(stalled.open(sim.port, btc_path, false, 500ms) == 0);
  CHECK(stalled.connected());
  CHECK(!stalled.lost());
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's reject refuses the upgrade with the given status and Retry-After, then the next upgrade succeeds") {
  sim_fixture sim({"--rate", "200", "--fault", "reject:status=429,retry_after=7,connections=1"});
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
  sim_fixture sim({"--fault", "reject:status=418"});
  ws_test_client ws;
  CHECK(ws.open(sim.port, btc_path, false, 2s) == 418);
  CHECK(ws.head().find("retry-after") == std::string::npos);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's reset-after delivers exactly N frames, then resets the TCP connection, and the next connection is healthy") {
  sim_fixture sim({"--rate", "200", "--fault", "reset-after:frames=3,connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  receive_trades(ws, 3);
  CHECK(!ws.next(1s));
  CHECK(ws.lost());
  CHECK(ws.peer_reset());
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's close-after delivers N frames, then a close frame with the given code and reason") {
  sim_fixture sim({"--rate", "200", "--fault", "close-after:frames=2,code=1001,reason=bye now,connections=1"});
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

TEST_CASE("The sim's silent-after delivers N frames, then nothing, while pings are still answered") {
  sim_fixture sim({"--rate", "200", "--fault", "silent-after:frames=2,connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  receive_trades(ws, 2);
  expect_silent_but_alive(ws);
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's no-first-frame completes the upgrade but never sends a frame, while pings are still answered") {
  sim_fixture sim({"--rate", "200", "--fault", "no-first-frame:connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  expect_silent_but_alive(ws);
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's malformed-every makes every K-th frame truncated JSON without skipping a trade") {
  sim_fixture sim({"--rate", "0", "--count", "100", "--fault", "malformed-every:k=3,connections=1"});
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

TEST_CASE("The sim's malformed-every stops after connections=N and the next connection gets only valid trades") {
  sim_fixture sim({"--rate", "200", "--fault", "malformed-every:k=2,connections=1"});
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

TEST_CASE("The sim's no-pong keeps sending trades but never answers a ping, and the next connection gets its pong") {
  sim_fixture sim({"--rate", "200", "--fault", "no-pong:connections=1"});
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

TEST_CASE("The sim's no-pong with silent=1 is a mute peer: upgrade, then neither frames nor pongs") {
  sim_fixture sim({"--rate", "200", "--fault", "no-pong:silent=1,connections=1"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, btc_path, false, 2s) == 101);
  REQUIRE(ws.send_ping("ping?"));
  CHECK(!ws.next(500ms));
  CHECK(ws.pongs() == 0);
  CHECK(!ws.lost());
  expect_healthy(sim.port, false);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE("The sim's server-shutdown-after sends the serverShutdown event after N frames, streams for grace_ms, then closes with 1001") {
  sim_fixture sim({"--rate", "200", "--fault", "server-shutdown-after:frames=2,grace_ms=300,connections=1"});
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

TEST_CASE("On a combined sim stream the serverShutdown event is wrapped as the !serverShutdown stream") {
  sim_fixture sim({"--rate", "200", "--fault", "server-shutdown-after:frames=0,grace_ms=100"});
  ws_test_client ws;
  REQUIRE(ws.open(sim.port, "/stream?streams=btcusdt@aggTrade", false, 2s) == 101);
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
