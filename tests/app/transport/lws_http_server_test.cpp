// lws_http_server_test: the API server's request/answer path, against a plain-socket client.
#include "app/transport/lws_http_server.hpp"

#include <chrono>
#include <future>
#include <string>

#include <netinet/in.h>
#include <sys/socket.h>

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
  CHECK(r.body.find(R"("error")") != std::string::npos);
  sv::http_request req;
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
