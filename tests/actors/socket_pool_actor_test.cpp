// Tests of socket_pool_actor on the deterministic scheduler: the fake transport plays
// Binance's combined endpoint, a recorder stands in for each connection actor.
#include "actors/socket_pool_actor.hpp"

#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/pooled_ws_client.hpp"
#include "actors/wire/ws_control.hpp"
#include "tests/support/actor_fixture.hpp"

using namespace sv;
using namespace std::chrono_literals;

namespace {

/// What one stream id was told, in order.
struct stream_log {
  int opened = 0;
  std::vector<std::string> frames;
  std::vector<ws_closed> closed;
  bool out_of_order
    = false; ///< frames before ws_opened, or anything after ws_closed
};

using stream_logs = std::map<std::uint64_t, stream_log>;

struct recorder_state {
  stream_logs* logs = nullptr;
};

using recorder_if
  = caf::typed_actor<caf::reacts_to<ws_opened>, caf::reacts_to<ws_frames>,
                     caf::reacts_to<ws_closed>>;

recorder_if::behavior_type
stream_recorder(recorder_if::stateful_pointer<recorder_state> self,
                stream_logs* logs) {
  self->state.logs = logs;
  return {
    [=](const ws_opened& x) {
      auto& l = (*self->state.logs)[x.conn_id];
      l.out_of_order = l.out_of_order || !l.closed.empty() || l.opened > 0;
      ++l.opened;
    },
    [=](const ws_frames& x) {
      auto& l = (*self->state.logs)[x.conn_id];
      l.out_of_order = l.out_of_order || l.opened == 0 || !l.closed.empty();
      std::uint32_t begin = 0;
      for (auto end : x.ends) {
        l.frames.emplace_back(x.data.substr(begin, end - begin));
        begin = end;
      }
    },
    [=](const ws_closed& x) {
      auto& l = (*self->state.logs)[x.conn_id];
      l.out_of_order = l.out_of_order || !l.closed.empty();
      l.closed.push_back(x);
    },
  };
}

std::string trade_frame(const std::string& name, std::uint64_t id) {
  return R"({"stream":")" + name + R"(","data":{"e":"aggTrade","a":)"
         + std::to_string(id) + "}}";
}

struct pool_fixture : test::actor_fixture {
  stream_logs logs;
  caf::actor listener;
  socket_pool_if pool;
  std::unique_ptr<pooled_ws_client> client;
  socket_pool_config cfg;

  pool_fixture() {
    cfg.server = endpoint{false, "127.0.0.1", 9443, ""};
    cfg.streams_per_socket = 3;
    listener = caf::actor_cast<caf::actor>(
      keep_for_teardown(sys.spawn(stream_recorder, &logs)));
  }

  void start() {
    pool = keep_for_teardown(
      sys.spawn(socket_pool_actor, cfg, static_cast<ws_client*>(&ws)));
    client = std::make_unique<pooled_ws_client>(pool);
  }

  void open(std::uint64_t id, const std::string& name) {
    client->open(id, ws_target{cfg.server, "/ws/" + name}, listener);
    run();
  }

  socket_pool_state& st() {
    return state_of<socket_pool_state>(pool);
  }

  /// The control messages sent on `socket`, decoded.
  std::vector<control_request> requests_on(std::uint64_t socket) {
    std::vector<control_request> out;
    for (const auto& x : ws.sent)
      if (x.id == socket) {
        control_error error;
        auto r = decode_control_request(x.text, error);
        REQUIRE(r);
        out.push_back(*r);
      }
    return out;
  }

  /// The exchange completes the upgrade of `socket`.
  void upgrade(std::uint64_t socket) {
    ws.inject_opened(socket);
    run();
  }

  /// Streams 1 (btcusdt@aggTrade) and 2 (ethusdt@aggTrade) live on the first
  /// socket, their SUBSCRIBE answered; returns that socket.
  std::uint64_t two_live_streams() {
    open(1, "btcusdt@aggTrade");
    open(2, "ethusdt@aggTrade");
    auto sock = ws.opened.at(0).id;
    upgrade(sock);
    answer_ok(sock, requests_on(sock).at(0).id);
    return sock;
  }

  /// The exchange answers request `id` on `socket` with result null.
  void answer_ok(std::uint64_t socket, std::uint64_t id) {
    ws.inject_frames(socket, {encode_result_null(id)});
    run();
  }

  void frames(std::uint64_t socket, const std::vector<std::string>& xs) {
    ws.inject_frames(socket, xs);
    run();
  }
};

} // namespace

TEST_CASE_METHOD(pool_fixture,
                 "streams share a socket up to streams_per_socket; each gets "
                 "ws_opened when Binance answers the SUBSCRIBE that carried it",
                 "[socket_pool]") {
  start();
  open(1, "btcusdt@aggTrade");
  REQUIRE(ws.opened.size() == 1);
  auto sock = ws.opened[0].id;
  CHECK(ws.opened[0].target.path == "/stream");
  CHECK(sock >= cfg.first_socket_id); // apart from the supervisor's attempt ids
  open(2, "ethusdt@aggTrade");
  open(3, "btcusdt@depth@100ms");
  open(4, "bnbusdt@aggTrade"); // a fourth stream: a second socket
  REQUIRE(ws.opened.size() == 2);
  auto sock2 = ws.opened[1].id;
  CHECK(requests_on(sock).empty()); // nothing is sent before the upgrade
  upgrade(sock);
  auto reqs = requests_on(sock);
  REQUIRE(reqs.size() == 1); // the three names ride in one SUBSCRIBE
  CHECK(reqs[0].method == control_method::subscribe);
  CHECK(reqs[0].params
        == std::vector<std::string>{"btcusdt@aggTrade", "ethusdt@aggTrade",
                                    "btcusdt@depth@100ms"});
  CHECK(logs[1].opened == 0);
  answer_ok(sock, reqs[0].id);
  CHECK(logs[1].opened == 1);
  CHECK(logs[2].opened == 1);
  CHECK(logs[3].opened == 1);
  CHECK(logs[4].opened == 0); // its socket is still connecting
  upgrade(sock2);
  answer_ok(sock2, requests_on(sock2).at(0).id);
  CHECK(logs[4].opened == 1);
}

TEST_CASE_METHOD(pool_fixture,
                 "frames go to the stream they name, one ws_frames per stream "
                 "per read; answers and unknown names go to nobody",
                 "[socket_pool]") {
  start();
  open(1, "btcusdt@aggTrade");
  open(2, "ethusdt@aggTrade");
  auto sock = ws.opened[0].id;
  upgrade(sock);
  // A frame before the answer belongs to nobody yet.
  frames(sock, {trade_frame("btcusdt@aggTrade", 1)});
  answer_ok(sock, requests_on(sock).at(0).id);
  frames(sock, {trade_frame("btcusdt@aggTrade", 2),
                trade_frame("ethusdt@aggTrade", 10),
                trade_frame("xrpusdt@aggTrade", 5), "not json",
                trade_frame("btcusdt@aggTrade", 3)});
  CHECK(logs[1].frames
        == std::vector<std::string>{trade_frame("btcusdt@aggTrade", 2),
                                    trade_frame("btcusdt@aggTrade", 3)});
  CHECK(logs[2].frames
        == std::vector<std::string>{trade_frame("ethusdt@aggTrade", 10)});
  CHECK(st().frames_routed == 3);
  CHECK(st().frames_unrouted == 3);
  CHECK_FALSE(logs[1].out_of_order);
  CHECK_FALSE(logs[2].out_of_order);
}

TEST_CASE_METHOD(
  pool_fixture,
  "a restarted stream is unsubscribed and subscribed again on its "
  "own socket, in that order, and no other stream notices",
  "[socket_pool]") {
  start();
  auto sock = two_live_streams();
  // The connection actor of stream 1 quits (say, its silence watchdog) and the
  // supervisor starts a new attempt right away.
  client->close(1);
  run();
  REQUIRE(logs[1].closed.size() == 1);
  CHECK(logs[1].closed[0].was_open);
  CHECK(logs[1].closed[0].reason == "closed locally");
  open(3, "btcusdt@aggTrade");
  CHECK(ws.opened.size() == 1); // no new connection attempt
  // Both wait for the pacing; the UNSUBSCRIBE goes first, then the SUBSCRIBE.
  CHECK(requests_on(sock).size() == 1);
  advance(std::chrono::milliseconds{cfg.control_interval_ms});
  auto reqs = requests_on(sock);
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].method == control_method::unsubscribe);
  CHECK(reqs[1].params == std::vector<std::string>{"btcusdt@aggTrade"});
  advance(std::chrono::milliseconds{cfg.control_interval_ms});
  reqs = requests_on(sock);
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[2].method == control_method::subscribe);
  CHECK(reqs[2].params == std::vector<std::string>{"btcusdt@aggTrade"});
  answer_ok(sock, reqs[1].id);
  frames(sock, {trade_frame("btcusdt@aggTrade", 7)}); // before the new answer
  answer_ok(sock, reqs[2].id);
  frames(sock, {trade_frame("btcusdt@aggTrade", 8),
                trade_frame("ethusdt@aggTrade", 9)});
  CHECK(logs[3].opened == 1);
  CHECK(logs[3].frames
        == std::vector<std::string>{trade_frame("btcusdt@aggTrade", 8)});
  CHECK(logs[1].frames.empty());
  CHECK(logs[2].closed.empty());
  CHECK(logs[2].frames
        == std::vector<std::string>{trade_frame("ethusdt@aggTrade", 9)});
}

TEST_CASE_METHOD(pool_fixture,
                 "control messages on one socket are paced at one per "
                 "control_interval_ms, names queued meanwhile ride together",
                 "[socket_pool]") {
  cfg.streams_per_socket = 100;
  start();
  open(1, "a@aggTrade");
  auto sock = ws.opened[0].id;
  upgrade(sock);
  CHECK(requests_on(sock).size() == 1);
  for (std::uint64_t id = 2; id <= 20; ++id)
    open(id, "s" + std::to_string(id) + "@aggTrade");
  CHECK(requests_on(sock).size() == 1);
  advance(std::chrono::milliseconds{cfg.control_interval_ms - 1});
  CHECK(requests_on(sock).size() == 1);
  advance(1ms);
  auto reqs = requests_on(sock);
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].params.size() == 19);
  // Never more than 4 a second, however many opens come.
  for (std::uint64_t id = 21; id <= 60; ++id) {
    open(id, "s" + std::to_string(id) + "@aggTrade");
    advance(50ms);
  }
  auto sent = requests_on(sock).size();
  CHECK(sent <= 2 + 2000 / cfg.control_interval_ms);
}

TEST_CASE_METHOD(
  pool_fixture,
  "a socket that closes costs each of its streams one ws_closed "
  "with its code and Retry-After, and the next open makes one new "
  "socket",
  "[socket_pool]") {
  start();
  auto sock = two_live_streams();
  open(3, "bnbusdt@aggTrade"); // waiting in the next SUBSCRIBE
  ws.inject_closed(sock, "connection reset", 1006);
  run();
  for (std::uint64_t id = 1; id <= 3; ++id) {
    REQUIRE(logs[id].closed.size() == 1);
    CHECK(logs[id].closed[0].reason
          == "shared socket closed: connection reset");
    CHECK(logs[id].closed[0].close_code == 1006);
  }
  CHECK(logs[1].closed[0].was_open);
  CHECK_FALSE(logs[3].closed[0].was_open);
  // The restarts come back one by one and share one new socket.
  open(4, "btcusdt@aggTrade");
  open(5, "ethusdt@aggTrade");
  CHECK(ws.opened.size() == 2);
  CHECK(st().sockets.size() == 1);
}

TEST_CASE_METHOD(pool_fixture,
                 "a refused SUBSCRIBE closes the streams it carried with the "
                 "server's message; an unanswered one closes the socket",
                 "[socket_pool]") {
  start();
  open(1, "btcusdt@aggTrade");
  open(2, "nope@kline");
  auto sock = ws.opened[0].id;
  upgrade(sock);
  auto req = requests_on(sock).at(0);
  frames(sock, {encode_control_error(
                 {2, "Invalid request: invalid stream", req.id})});
  for (std::uint64_t id = 1; id <= 2; ++id) {
    REQUIRE(logs[id].closed.size() == 1);
    CHECK(logs[id].closed[0].reason
          == "subscribe refused: code 2: Invalid request: invalid stream");
    CHECK_FALSE(logs[id].closed[0].was_open);
  }
  // Nothing left on the socket: it is closed.
  CHECK(ws.closed == std::vector<std::uint64_t>{sock});
  ws.inject_closed(sock, "closed locally");
  run();
  open(3, "btcusdt@aggTrade");
  auto sock2 = ws.opened.at(1).id;
  upgrade(sock2);
  CHECK(requests_on(sock2).size() == 1);
  advance(std::chrono::milliseconds{cfg.answer_timeout_ms});
  CHECK(ws.closed.back() == sock2); // no answer in time
  ws.inject_closed(sock2, "closed locally");
  run();
  REQUIRE(logs[3].closed.size() == 1);
  CHECK_FALSE(logs[3].closed[0].was_open);
}

TEST_CASE_METHOD(
  pool_fixture,
  "the second lane of a stream goes to another socket; "
  "serverShutdown drains its socket and reaches every live stream",
  "[socket_pool]") {
  start();
  auto sock = two_live_streams();
  std::string shutdown
    = R"({"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1}})";
  frames(sock, {shutdown});
  CHECK(logs[1].frames == std::vector<std::string>{shutdown});
  CHECK(logs[2].frames == std::vector<std::string>{shutdown});
  // Rotation: each connection actor opens a second lane of its stream.
  open(3, "btcusdt@aggTrade");
  open(4, "ethusdt@aggTrade");
  REQUIRE(ws.opened.size() == 2); // not on the draining socket
  auto sock2 = ws.opened[1].id;
  open(5, "newusdt@aggTrade"); // the draining socket has room, but takes none
  CHECK(st().streams.at(5).socket == sock2);
  upgrade(sock2);
  answer_ok(sock2, requests_on(sock2).at(0).id);
  frames(sock, {trade_frame("btcusdt@aggTrade", 5)});
  frames(sock2, {trade_frame("btcusdt@aggTrade", 5)});
  CHECK(logs[1].frames.back() == trade_frame("btcusdt@aggTrade", 5));
  CHECK(logs[3].frames
        == std::vector<std::string>{trade_frame("btcusdt@aggTrade", 5)});
  // The old lanes close; once their UNSUBSCRIBEs are answered the empty socket
  // is closed.
  client->close(1);
  client->close(2);
  run();
  advance(std::chrono::milliseconds{cfg.control_interval_ms});
  auto reqs = requests_on(sock);
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].params
        == std::vector<std::string>{"btcusdt@aggTrade", "ethusdt@aggTrade"});
  CHECK(ws.closed.empty());
  answer_ok(sock, reqs[1].id);
  CHECK(ws.closed == std::vector<std::uint64_t>{sock});
}

TEST_CASE_METHOD(pool_fixture,
                 "a duplicate id or a path that is not one stream is refused "
                 "at once, and the pool closes its sockets when it ends",
                 "[socket_pool]") {
  start();
  open(1, "btcusdt@aggTrade");
  open(1, "ethusdt@aggTrade");
  REQUIRE(logs[1].closed.size() == 1);
  CHECK(logs[1].closed[0].reason == "duplicate connection id");
  client->open(2, ws_target{cfg.server, "/stream?streams=a@aggTrade"},
               listener);
  run();
  REQUIRE(logs[2].closed.size() == 1);
  CHECK(logs[2].closed[0].reason.rfind("not a single-stream path", 0) == 0);
  CHECK(pooled_stream_name("/ws/btcusdt@aggTrade") == "btcusdt@aggTrade");
  CHECK(pooled_stream_name("/ws/a/b").empty());
  CHECK(pooled_stream_name("/ws/").empty());
  auto sock = ws.opened.at(0).id;
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
  run();
  CHECK(ws.closed == std::vector<std::uint64_t>{sock});
}

TEST_CASE_METHOD(
  pool_fixture,
  "socket opens pass the connect budget: streams wait on a socket "
  "that waits for room, and a stream's own start costs nothing",
  "[socket_pool]") {
  cfg.streams_per_socket = 2;
  cfg.connect_burst = 1;  // one socket a second
  cfg.connect_budget = 2; // two per window
  cfg.connect_budget_window_ms = 60'000;
  start();
  for (std::uint64_t id = 1; id <= 6; ++id)
    open(id, "s" + std::to_string(id) + "@aggTrade");
  // Three sockets are needed; the burst lets one connect now.
  CHECK(st().sockets.size() == 3);
  CHECK(ws.opened.size() == 1);
  advance(1000ms);
  CHECK(ws.opened.size() == 2);
  advance(10'000ms);
  CHECK(ws.opened.size() == 2); // the window's two are spent
  advance(50'000ms);
  CHECK(ws.opened.size() == 3);
  // Streams restarting on a connected socket cost no attempt.
  auto sock = ws.opened[0].id;
  upgrade(sock);
  answer_ok(sock, requests_on(sock).at(0).id);
  client->close(1);
  run();
  open(7, "s1@aggTrade");
  advance(1000ms);
  CHECK(ws.opened.size() == 3);
  CHECK(st().streams.at(7).socket == sock);
}

TEST_CASE_METHOD(pool_fixture,
                 "a socket still waiting for the budget is forgotten when its "
                 "last stream closes, without an attempt",
                 "[socket_pool]") {
  cfg.streams_per_socket = 1;
  cfg.connect_burst = 1;
  start();
  open(1, "a@aggTrade");
  open(2, "b@aggTrade"); // second socket: waits for the next second
  CHECK(ws.opened.size() == 1);
  client->close(2);
  run();
  REQUIRE(logs[2].closed.size() == 1);
  CHECK_FALSE(logs[2].closed[0].was_open);
  CHECK(st().sockets.size() == 1);
  advance(2000ms);
  CHECK(ws.opened.size() == 1);
}

TEST_CASE_METHOD(pool_fixture,
                 "a socket drains at max_socket_age_ms: live streams get "
                 "serverShutdown, waiting ones move",
                 "[socket_pool]") {
  cfg.streams_per_socket = 4;
  cfg.max_socket_age_ms = 10'000;
  start();
  auto sock = two_live_streams(); // opened and subscribed at t = 0
  advance(9'900ms);
  open(3, "solusdt@aggTrade"); // its SUBSCRIBE goes out at once
  open(4, "xrpusdt@aggTrade"); // waits for the socket's pacing
  REQUIRE(requests_on(sock).size() == 2);
  CHECK(logs[1].frames.empty());
  advance(100ms); // the socket's age
  CHECK(st().sockets_drained == 1);
  for (std::uint64_t id : {1U, 2U}) {
    REQUIRE(logs[id].frames.size() == 1);
    CHECK(
      logs[id].frames[0].rfind(
        R"({"stream":"!serverShutdown","data":{"e":"serverShutdown","E":)", 0)
      == 0);
  }
  // The waiting stream is on a new socket; the one being subscribed gets the
  // notice with its ws_opened.
  REQUIRE(ws.opened.size() == 2);
  auto sock2 = ws.opened[1].id;
  CHECK(st().streams.at(4).socket == sock2);
  CHECK(requests_on(sock).size() == 2);
  answer_ok(sock, requests_on(sock)[1].id);
  CHECK(logs[3].opened == 1);
  CHECK(logs[3].frames.size() == 1);
  // Nothing new goes to the draining socket; it closes when its streams left.
  open(5, "adausdt@aggTrade");
  CHECK(st().streams.at(5).socket == sock2);
  for (std::uint64_t id : {1U, 2U, 3U})
    client->close(id);
  run();
  advance(std::chrono::milliseconds{cfg.control_interval_ms});
  answer_ok(sock, requests_on(sock).back().id);
  CHECK(ws.closed == std::vector<std::uint64_t>{sock});
}

TEST_CASE_METHOD(pool_fixture,
                 "a stream closing on a socket silent for socket_silence_ms "
                 "closes the socket; its restart goes to a new one",
                 "[socket_pool]") {
  cfg.socket_silence_ms = 5'000;
  start();
  auto sock = two_live_streams();
  // A quiet stretch shorter than the bound: a stream's close is only that.
  advance(4'000ms);
  frames(sock, {trade_frame("ethusdt@aggTrade", 1)});
  advance(4'000ms);
  client->close(1);
  run();
  CHECK(ws.closed.empty());
  open(3, "btcusdt@aggTrade"); // the restart, back on its socket
  CHECK(st().streams.at(3).socket == sock);
  advance(std::chrono::milliseconds{cfg.control_interval_ms});
  // Now nothing at all for 5 s more (not even answers): the socket is dead.
  advance(5'000ms);
  client->close(3);
  run();
  REQUIRE(ws.closed == std::vector<std::uint64_t>{sock});
  ws.inject_closed(sock, "closed locally");
  run();
  REQUIRE(logs[2].closed.size() == 1);
  // Silent since the last frame at t = 4 s, closed at t = 13.25 s.
  CHECK(logs[2].closed[0].reason == "shared socket closed: silent for 9250 ms");
  open(4, "btcusdt@aggTrade");
  CHECK(st().streams.at(4).socket != sock);
  CHECK(ws.opened.size() == 2);
}
