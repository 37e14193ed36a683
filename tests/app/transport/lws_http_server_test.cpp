// lws_http_server_test: the API server's request/answer path, against a plain-socket client.
#include "app/transport/lws_http_server.hpp"

#include <chrono>
#include <future>
#include <string>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "app/transport/lws_logging.hpp"
#include "tests/app/transport/support/ws_test_servers.hpp"

using namespace std::chrono_literals;

namespace {

struct http_fixture {
  http_fixture() : sys(init(cfg)), api(sys) {
    sv::route_lws_logs(false);
  }
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.max-threads", 2);
    return c;
  }

  /// Waits for the next http_request the server hands to the api actor.
  bool next_request(sv::http_request& out, std::chrono::milliseconds timeout) {
    bool got = false;
    api->receive(
      [&](sv::http_request& r) {
        out = std::move(r);
        got = true;
      },
      caf::after(timeout) >> [] {});
    return got;
  }

  /// Runs a client exchange in the background while the test plays the api actor.
  std::future<sv::test::http_reply>
  request_async(std::uint16_t port, std::string request, int family = AF_INET,
                std::string host = "127.0.0.1") {
    return std::async(std::launch::async, [=] {
      return sv::test::http_exchange(family, host, port, request, 10s);
    });
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor api; // plays the api actor
};

std::string get(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

/// A connected TCP socket to 127.0.0.1:port that has sent nothing; -1 on failure.
int idle_connection(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  // The sockets API takes the generic sockaddr.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Reads from `fd` until the peer closes or `timeout` passes; what it sent, and
/// whether it closed.
std::pair<std::string, bool>
read_until_closed(int fd, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string data;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0)
      continue;
    std::array<char, 1024> buf{};
    auto n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0)
      return {data, true};
    data.append(buf.data(), static_cast<std::size_t>(n));
  }
  return {data, false};
}

/// Polls `done` every 10 ms until it holds or `timeout` passes.
template <class Predicate>
bool wait_for(Predicate done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

/// Descriptors this process has open now.
int open_descriptors() {
  int n = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/self/fd")) {
    static_cast<void>(entry);
    ++n;
  }
  return n - 1; // the iterator's own descriptor
}

/// The TCP_NODELAY of this process's socket that is connected to local port
/// `peer_port` (the server's end of a test client's connection); -1 if none.
int nodelay_of_peer(std::uint16_t peer_port) {
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = std::stoi(entry.path().filename().string());
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    // The sockets API takes the generic sockaddr.
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0
        || peer.sin_family != AF_INET || ntohs(peer.sin_port) != peer_port)
      continue;
    int on = 0;
    socklen_t on_len = sizeof(on);
    if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &on_len) == 0)
      return on;
  }
  return -1;
}

/// User + system CPU seconds of this process so far.
double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

} // namespace

TEST_CASE_METHOD(http_fixture,
                 "a GET reaches the api actor with decoded path and query and "
                 "its answer reaches the client",
                 "[transport]") {
  sv::lws_http_server server;
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  REQUIRE(server.port() != 0);
  auto reply = request_async(server.port(),
                             get("/symbols/BTC%55SDT/trades?limit=10&x=a%26b"));
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  CHECK(req.method == "GET");
  CHECK(req.path == "/symbols/BTCUSDT/trades");
  CHECK(req.query == "limit=10&x=a%26b");
  server.respond(req.req_id, 200, R"({"trades":[]})");
  auto r = reply.get();
  REQUIRE(r.ok);
  CHECK(r.status == 200);
  CHECK(r.headers.find("content-type: application/json") != std::string::npos);
  CHECK(r.body == R"({"trades":[]})");
  // A second answer for the same request is ignored.
  server.respond(req.req_id, 500, "{}");
}

TEST_CASE_METHOD(http_fixture,
                 "a metrics answer goes out as Prometheus text 0.0.4",
                 "[transport]") {
  sv::lws_http_server server;
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  auto reply = request_async(server.port(), get("/metrics"));
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  server.respond(req.req_id, 200, "up 1\n", sv::media_type::prometheus_text);
  auto r = reply.get();
  REQUIRE(r.ok);
  CHECK(r.headers.find("content-type: text/plain; version=0.0.4; charset=utf-8")
        != std::string::npos);
  CHECK(r.body == "up 1\n");
}

TEST_CASE_METHOD(http_fixture,
                 "a request the api actor never answers gets 504 after the "
                 "request timeout",
                 "[transport]") {
  sv::lws_http_server_options opts;
  opts.request_timeout_ms = 200;
  sv::lws_http_server server{opts};
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  auto t0 = std::chrono::steady_clock::now();
  auto reply = request_async(server.port(), get("/status"));
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  auto r = reply.get();
  auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(r.ok);
  CHECK(r.status == 504);
  CHECK(r.body == R"({"error":"timeout"})");
  CHECK(took >= 150ms);
  CHECK(took < 3s);
  server.respond(req.req_id, 200, "{}"); // late: ignored
}

TEST_CASE_METHOD(http_fixture, "a 5 MB answer arrives complete and byte-exact",
                 "[transport]") {
  sv::lws_http_server server;
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  auto reply = request_async(server.port(), get("/symbols/BTCUSDT/trades"));
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  std::string body = "[";
  for (int i = 0; body.size() < 5000000; ++i)
    body += R"({"p":"37000.10","q":"0.0123","i":)" + std::to_string(i) + "},";
  body.back() = ']';
  server.respond(req.req_id, 200, body);
  auto r = reply.get();
  REQUIRE(r.ok);
  CHECK(r.status == 200);
  CHECK(r.body.size() == body.size());
  CHECK(r.body == body);
}

TEST_CASE_METHOD(http_fixture, "a POST gets 405 with a JSON body",
                 "[transport]") {
  sv::lws_http_server server;
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  auto r = sv::test::http_exchange(
    AF_INET, "127.0.0.1", server.port(),
    "POST /symbols HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}",
    5s);
  REQUIRE(r.ok);
  CHECK(r.status == 405);
  CHECK(r.body
        == R"({"error":"method not allowed","allow":"GET, PUT, DELETE"})");
  sv::http_request req;
  CHECK_FALSE(next_request(req, 100ms));
}

TEST_CASE_METHOD(http_fixture,
                 "a PUT's body, Authorization header and loopback peer reach "
                 "the api actor, and so does a DELETE",
                 "[transport][symbols]") {
  sv::lws_http_server server;
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  std::string body = R"({"streams":["aggTrade","depth"]})";
  auto reply = request_async(
    server.port(), "PUT /symbols/ETHUSDT HTTP/1.1\r\nHost: localhost\r\n"
                   "Authorization: Bearer 0123456789abcdef\r\n"
                   "Content-Length: "
                     + std::to_string(body.size()) + "\r\n\r\n" + body);
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  CHECK(req.method == "PUT");
  CHECK(req.path == "/symbols/ETHUSDT");
  CHECK(req.body == body);
  CHECK(req.authorization == "Bearer 0123456789abcdef");
  CHECK(req.peer_loopback);
  server.respond(req.req_id, 201, R"({"started":true})");
  auto r = reply.get();
  REQUIRE(r.ok);
  CHECK(r.status == 201);
  reply = request_async(server.port(),
                        "DELETE /symbols/ETHUSDT HTTP/1.1\r\nHost: "
                        "localhost\r\n\r\n");
  REQUIRE(next_request(req, 5s));
  CHECK(req.method == "DELETE");
  CHECK(req.body.empty());
  CHECK(req.authorization.empty());
  server.respond(req.req_id, 200, "{}");
  CHECK(reply.get().status == 200);
}

TEST_CASE_METHOD(http_fixture,
                 "a PUT without Content-Length is answered and closed, one "
                 "with a body over 4 KiB gets 413 before the api actor sees it",
                 "[transport][symbols]") {
  sv::lws_http_server server;
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  auto reply = request_async(
    server.port(), "PUT /symbols/ETHUSDT HTTP/1.1\r\nHost: localhost\r\n\r\n");
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  CHECK(req.body.empty());
  server.respond(req.req_id, 201, "{}");
  auto r = reply.get();
  REQUIRE(r.ok);
  CHECK(r.status == 201);
  CHECK(r.headers.find("connection: close") != std::string::npos);
  std::string big(4097, 'x');
  r = sv::test::http_exchange(
    AF_INET, "127.0.0.1", server.port(),
    "PUT /symbols/ETHUSDT HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
      + std::to_string(big.size()) + "\r\n\r\n" + big,
    5s);
  REQUIRE(r.ok);
  CHECK(r.status == 413);
  CHECK(r.body.find("4096") != std::string::npos);
  CHECK_FALSE(next_request(req, 100ms));
}

TEST_CASE_METHOD(http_fixture,
                 "the server answers on IPv6 loopback and keeps the connection "
                 "alive between requests",
                 "[transport]") {
  sv::lws_http_server_options opts;
  opts.host = "::1";
  sv::lws_http_server server{opts};
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  // Two pipelined-in-sequence requests on one connection: the client sends both
  // up front; lws parses the second after the first transaction completes.
  auto reply = request_async(server.port(), get("/a") + get("/b"), AF_INET6,
                             "::1");
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  CHECK(req.path == "/a");
  server.respond(req.req_id, 200, R"({"n":1})");
  auto r = reply.get();
  REQUIRE(r.ok);
  CHECK(r.status == 200);
  CHECK(r.body == R"({"n":1})");
  REQUIRE(next_request(req, 5s));
  CHECK(req.path == "/b");
  server.respond(req.req_id, 200, "{}");
}

TEST_CASE_METHOD(http_fixture, "a request after the api actor is gone gets 503",
                 "[transport]") {
  sv::lws_http_server server;
  {
    caf::scoped_actor gone{sys};
    REQUIRE(server.start(caf::actor_cast<caf::actor>(gone)));
  }
  auto r = sv::test::http_exchange(AF_INET, "127.0.0.1", server.port(),
                                   get("/status"), 5s);
  REQUIRE(r.ok);
  CHECK(r.status == 503);
}

TEST_CASE_METHOD(http_fixture,
                 "more pending requests than the bound get 503 busy",
                 "[transport]") {
  sv::lws_http_server_options opts;
  opts.pending_requests_max = 1;
  sv::lws_http_server server{opts};
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  auto first = request_async(server.port(), get("/one"));
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  auto r = sv::test::http_exchange(AF_INET, "127.0.0.1", server.port(),
                                   get("/two"), 5s);
  REQUIRE(r.ok);
  CHECK(r.status == 503);
  CHECK(r.body == R"({"error":"busy"})");
  server.respond(req.req_id, 200, "{}");
  CHECK(first.get().status == 200);
}

TEST_CASE_METHOD(
  http_fixture, "stop with a request pending returns and ignores later answers",
  "[transport]") {
  sv::lws_http_server server;
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  auto reply = request_async(server.port(), get("/slow"));
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  server.stop();
  server.respond(req.req_id, 200, "{}");
  CHECK_FALSE(reply.get().ok);
  server.stop();
}

// Catch's CHECK macros count as branches for this check.
// NOLINTNEXTLINE(readability-function-cognitive-complexity)
TEST_CASE_METHOD(http_fixture,
                 "a client beyond clients_max gets 503 and is closed, and a "
                 "slot that frees up serves the next client",
                 "[transport]") {
  sv::lws_http_server_options opts;
  opts.clients_max = 2;
  sv::lws_http_server server{opts};
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  int a = idle_connection(server.port());
  int b = idle_connection(server.port());
  REQUIRE((a >= 0 && b >= 0));
  REQUIRE(wait_for([&] { return server.stats().clients == 2; }, 5s));
  auto third = sv::test::http_exchange(AF_INET, "127.0.0.1", server.port(),
                                       get("/health"), 5s);
  REQUIRE(third.ok);
  CHECK(third.status == 503);
  CHECK(third.body == R"({"error":"too many clients"})");
  CHECK(server.stats().refused == 1);
  ::close(a);
  REQUIRE(wait_for([&] { return server.stats().clients == 1; }, 5s));
  auto next = request_async(server.port(), get("/health"));
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  server.respond(req.req_id, 200, "{}");
  CHECK(next.get().status == 200);
  ::close(b);
}

// Catch's CHECK macros count as branches for this check.
// NOLINTNEXTLINE(readability-function-cognitive-complexity)
TEST_CASE_METHOD(http_fixture,
                 "a connection that sends nothing or half a header is closed "
                 "at the header deadline; a complete request is not",
                 "[transport]") {
  sv::lws_http_server_options opts;
  opts.header_timeout_ms = 300;
  sv::lws_http_server server{opts};
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  auto started = std::chrono::steady_clock::now();
  int silent = idle_connection(server.port());
  int half = idle_connection(server.port());
  REQUIRE((silent >= 0 && half >= 0));
  std::string partial = "GET /health HTTP/1.1\r\nHost: loc";
  REQUIRE(::send(half, partial.data(), partial.size(), MSG_NOSIGNAL)
          == static_cast<ssize_t>(partial.size()));
  // A complete request that waits longer than the header deadline for its
  // answer keeps its connection.
  auto slow = request_async(server.port(), get("/slow"));
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  auto [silent_data, silent_closed] = read_until_closed(silent, 3s);
  auto [half_data, half_closed] = read_until_closed(half, 3s);
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(silent_closed);
  CHECK(silent_data.empty());
  CHECK(half_closed);
  CHECK(waited >= 290ms);
  CHECK(waited < 2s);
  CHECK(server.stats().header_timeouts == 2);
  server.respond(req.req_id, 200, "{}");
  CHECK(slow.get().status == 200);
  ::close(silent);
  ::close(half);
}

// Catch's CHECK macros count as branches for this check.
// NOLINTNEXTLINE(readability-function-cognitive-complexity)
TEST_CASE_METHOD(http_fixture,
                 "out of descriptors, the server pauses accepting instead of "
                 "retrying in a busy loop, and accepts again once some are "
                 "free",
                 "[transport]") {
  sv::lws_http_server_options opts;
  opts.accept_pause_ms = 200;
  sv::lws_http_server server{opts};
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  // Room for 16 more descriptors in the whole process: the clients' and the
  // server's ends of each connection share them.
  rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(open_descriptors()) + 16;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
  std::vector<int> held;
  for (int i = 0; i < 40; ++i) {
    int fd = idle_connection(server.port());
    if (fd >= 0)
      held.push_back(fd);
  }
  // The server's accept() now fails with EMFILE for the queued connections.
  auto cpu_before = cpu_seconds();
  auto wall_before = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(2s);
  auto cpu = cpu_seconds() - cpu_before;
  auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                            - wall_before)
                .count();
  auto failures = server.stats().accept_failures;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  INFO("cpu_s=" << cpu << " wall_s=" << wall << " failures=" << failures
                << " held=" << held.size());
  CHECK(held.size() >= 8);
  CHECK(failures >= 1);
  // One try per pause of 200 ms: ~10 in 2 s, not millions.
  CHECK(failures <= 15);
  CHECK(cpu < 0.2 * wall);
  for (int fd : held)
    ::close(fd);
  // With descriptors back, queued and new clients are served.
  auto reply = request_async(server.port(), get("/after"));
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  server.respond(req.req_id, 200, "{}");
  CHECK(reply.get().status == 200);
}

namespace {

/// Sends a WebSocket upgrade request for `path` and checks the JSON 404.
void check_upgrade_refused(std::uint16_t port, const std::string& path) {
  auto r = sv::test::http_exchange(
    AF_INET, "127.0.0.1", port,
    "GET " + path
      + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: "
        "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    5s);
  REQUIRE(r.ok);
  CHECK(r.status == 404);
  CHECK(r.headers.find("content-type: application/json") != std::string::npos);
  CHECK(r.body.find(R"("error":"not found")") != std::string::npos);
}

} // namespace

TEST_CASE_METHOD(http_fixture,
                 "a WebSocket upgrade on any path is answered 404 in JSON, "
                 "never switched and held",
                 "[transport]") {
  sv::lws_http_server server;
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  check_upgrade_refused(server.port(), "/health");
  check_upgrade_refused(server.port(), "/ws/btcusdt@aggTrade");
  check_upgrade_refused(server.port(), "/");
  // The api actor never saw them; a plain request on the same server still works.
  sv::http_request req;
  CHECK_FALSE(next_request(req, 100ms));
  auto reply = request_async(server.port(), get("/health"));
  REQUIRE(next_request(req, 5s));
  server.respond(req.req_id, 200, R"({"status":"ok"})");
  CHECK(reply.get().status == 200);
}

namespace {

/// The first bytes of `request`, printable, for a failure message.
std::string shown(const std::string& request) {
  std::string out = request.substr(0, 60);
  for (auto& c : out)
    if (c < 0x20 || c > 0x7e)
      c = '.';
  return out;
}

/// Sends `request` and checks that the answer has `status` and a JSON body holding
/// `fragment`, and that the api actor never saw the request.
void check_json_refusal(http_fixture& f, std::uint16_t port,
                        const std::string& request, int status,
                        const std::string& fragment) {
  auto r = sv::test::http_exchange(AF_INET, "127.0.0.1", port, request, 5s);
  INFO("request: " << shown(request));
  REQUIRE(r.ok);
  CHECK(r.status == status);
  auto json = r.headers.find("content-type: application/json")
                != std::string::npos
              && r.body.find("<html") == std::string::npos;
  CHECK(json);
  CHECK(r.body.find(fragment) != std::string::npos);
  sv::http_request req;
  CHECK_FALSE(f.next_request(req, 50ms));
}

} // namespace

TEST_CASE_METHOD(
  http_fixture,
  "unknown methods, bad escapes, relative paths and TLS bytes, "
  "which libwebsockets refuses before any callback, are answered "
  "400 in JSON, never with its HTML page",
  "[transport][http-edges]") {
  sv::lws_http_server server;
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  auto port = server.port();
  const std::string bad = R"("error":"bad request")";
  check_json_refusal(*this, port, "TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                     bad);
  check_json_refusal(*this, port, "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                     bad);
  check_json_refusal(*this, port, get("/symbols/%zz/trades"), 400, bad);
  check_json_refusal(*this, port, "GET health HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                     bad);
  // The first bytes of a TLS ClientHello: a client that speaks https to us.
  std::string hello{"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11};
  hello.append(64, '\0');
  check_json_refusal(*this, port, hello, 400, bad);
}

TEST_CASE_METHOD(http_fixture,
                 "a %00 in the path is answered 400 in JSON, a request target "
                 "over 4 KiB 414, and a 10 KiB header is still served",
                 "[transport][http-edges]") {
  sv::lws_http_server server;
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  auto port = server.port();
  check_json_refusal(*this, port, get("/symbols/%00/trades"), 400,
                     "NUL byte (%00)");
  check_json_refusal(*this, port, get("/symbols/" + std::string(8000, 'A')),
                     414, R"("limit":4096)");
  check_json_refusal(*this, port, get("/x?limit=" + std::string(5000, '1')),
                     414, "uri too long");
  // A target just under the bound and a large header reach the api actor.
  auto reply = request_async(port, "GET /symbols/" + std::string(4000, 'B')
                                     + " HTTP/1.1\r\nHost: x\r\nFoo: "
                                     + std::string(10000, 'c') + "\r\n\r\n");
  sv::http_request req;
  REQUIRE(next_request(req, 5s));
  CHECK(req.path.size() == 9 + 4000);
  server.respond(req.req_id, 404, R"({"error":"not found"})");
  CHECK(reply.get().status == 404);
}

TEST_CASE_METHOD(http_fixture,
                 "accepted connections send without Nagle (TCP_NODELAY), so a "
                 "feed client that has written anything is not held behind its "
                 "delayed ACKs",
                 "[transport]") {
  sv::lws_http_server server;
  REQUIRE(server.start(caf::actor_cast<caf::actor>(api)));
  int fd = idle_connection(server.port());
  REQUIRE(fd >= 0);
  sockaddr_in local{};
  socklen_t len = sizeof(local);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0);
  auto client_port = ntohs(local.sin_port);
  int nodelay = -1;
  CHECK(wait_for(
    [&] {
      nodelay = nodelay_of_peer(client_port);
      return nodelay != -1;
    },
    2s));
  CHECK(nodelay == 1);
  ::close(fd);
}
