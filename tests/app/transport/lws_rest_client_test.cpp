// lws_rest_client_test: the rest_client contract of the libwebsockets client, against loopback peers.
#include "app/transport/lws_client.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "app/transport/lws_logging.hpp"
#include "tests/app/transport/support/system_fixture.hpp"
#include "tests/app/transport/support/ws_test_servers.hpp"

using namespace std::chrono_literals;
using sv::test::http_canned;
using sv::test::http_test_server;
using sv::test::lws_test_server;
using sv::test::raw_mode;
using sv::test::raw_test_server;
using sv::test::system_fixture;
using sv::test::temp_cert;
using sv::test::ws_recorder;
using sv::test::ws_script;

namespace {

constexpr const char* agg_path
  = "/api/v3/aggTrades?symbol=BTCUSDT&fromId=5&limit=1000";

sv::rest_target plain(std::uint16_t port, std::string target = agg_path) {
  return sv::rest_target{sv::endpoint{false, "127.0.0.1", port, ""},
                         std::move(target)};
}

sv::rest_target secure(std::uint16_t port, std::string target = agg_path) {
  return sv::rest_target{sv::endpoint{true, "127.0.0.1", port, ""},
                         std::move(target)};
}

/// A body of `n` bytes whose content depends on the position, so a lost or
/// misplaced chunk shows up as a mismatch.
std::string patterned(std::size_t n) {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
  return s;
}

http_canned ok(std::string body) {
  http_canned r;
  r.body = std::move(body);
  r.headers = {{"X-MBX-USED-WEIGHT-1M", "42"}, {"X-MBX-USED-WEIGHT", "42"}};
  return r;
}

/// Checks that `answers` is one refusal with `error`, status 0 and no body.
void check_too_large(const std::vector<sv::rest_response>& answers,
                     const std::string& error) {
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].status == 0);
  CHECK(answers[0].error == error);
  CHECK(answers[0].body.empty());
}

} // namespace

TEST_CASE_METHOD(
  system_fixture,
  "a plain GET answers once with the status, the byte-exact body "
  "and X-MBX-USED-WEIGHT-1M",
  "[transport][rest]") {
  const std::string body = R"([{"a":5,"p":"37000.10","q":"0.0123","f":1,)"
                           R"("l":2,"T":1700000000000,"m":true,"M":true}])";
  http_test_server server{{{agg_path, ok(body)}}};
  REQUIRE(server.port() != 0);
  ws_recorder rec{sys};
  sv::lws_client client;
  client.get(1, plain(server.port()), rec.handle());
  REQUIRE(rec.wait_rest(1, 5s));
  CHECK(rec.quiet_for(200ms));
  REQUIRE(rec.rest[1].size() == 1);
  const auto& r = rec.rest[1][0];
  CHECK(r.req_id == 1);
  CHECK(r.status == 200);
  CHECK(r.error.empty());
  CHECK(r.body == body);
  CHECK(r.used_weight_1m == 42);
  CHECK(r.retry_after_s == -1);
  // The request line carries the target verbatim (path and query).
  CHECK(server.targets() == std::vector<std::string>{agg_path});
  CHECK(client.stats().rest_responses == 1);
}

TEST_CASE_METHOD(
  system_fixture,
  "a GET's request line is the endpoint's base path followed by the target",
  "[transport][rest]") {
  http_test_server server{
    {{"/prefix/api/v3/depth?symbol=BTCUSDT&limit=5", ok("{}")}}};
  REQUIRE(server.port() != 0);
  ws_recorder rec{sys};
  sv::lws_client client;
  sv::rest_target target{sv::endpoint{false, "127.0.0.1", server.port(),
                                      "/prefix"},
                         "/api/v3/depth?symbol=BTCUSDT&limit=5"};
  client.get(1, target, rec.handle());
  REQUIRE(rec.wait_rest(1, 5s));
  REQUIRE(rec.rest[1].size() == 1);
  CHECK(rec.rest[1][0].status == 200);
  CHECK(
    server.targets()
    == std::vector<std::string>{"/prefix/api/v3/depth?symbol=BTCUSDT&limit=5"});
}

TEST_CASE_METHOD(system_fixture,
                 "a TLS GET trusted through ca_file returns 2 MB bodies "
                 "byte-exact, with Content-Length and chunked",
                 "[transport][rest]") {
  temp_cert cert;
  REQUIRE(cert.ok);
  auto big = patterned(2 * 1024 * 1024);
  auto chunked = ok(big);
  chunked.chunk_bytes = 7001; // odd size: chunk edges fall anywhere in a read
  http_test_server server{
    {{"/big", ok(big)}, {"/chunked", chunked}}, cert.cert, cert.key};
  REQUIRE(server.port() != 0);
  ws_recorder rec{sys};
  sv::lws_client_options opts;
  opts.ca_file = cert.cert;
  sv::lws_client client{opts};
  client.get(1, secure(server.port(), "/big"), rec.handle());
  client.get(2, secure(server.port(), "/chunked"), rec.handle());
  REQUIRE(rec.wait_until(
    [&] { return !rec.rest[1].empty() && !rec.rest[2].empty(); }, 20s));
  CHECK(rec.quiet_for(200ms));
  for (std::uint64_t id : {1, 2}) {
    REQUIRE(rec.rest[id].size() == 1);
    const auto& r = rec.rest[id][0];
    CHECK(r.status == 200);
    CHECK(r.error.empty());
    CHECK(r.body.size() == big.size());
    CHECK(r.body == big);
    CHECK(r.used_weight_1m == 42);
  }
}

TEST_CASE_METHOD(system_fixture,
                 "a plain chunked body is reassembled byte-exact",
                 "[transport][rest]") {
  auto body = patterned(100000);
  auto chunked = ok(body);
  chunked.chunk_bytes = 1000;
  http_test_server server{{{"/c", chunked}}};
  ws_recorder rec{sys};
  sv::lws_client client;
  client.get(3, plain(server.port(), "/c"), rec.handle());
  REQUIRE(rec.wait_rest(3, 5s));
  REQUIRE(rec.rest[3].size() == 1);
  CHECK(rec.rest[3][0].status == 200);
  CHECK(rec.rest[3][0].body == body);
}

TEST_CASE_METHOD(system_fixture,
                 "error statuses are responses with their body: 429 and 418 "
                 "carry Retry-After, 400 and 503 do not",
                 "[transport][rest]") {
  http_canned too_many;
  too_many.status = 429;
  too_many.reason = "Too Many Requests";
  too_many.headers = {{"Retry-After", "3"}, {"x-mbx-used-weight-1m", "6001"}};
  too_many.body = R"({"code":-1003,"msg":"Too many requests."})";
  http_canned banned = too_many;
  banned.status = 418;
  banned.reason = "I'm a teapot";
  banned.headers = {{"Retry-After", "120"}};
  http_canned bad;
  bad.status = 400;
  bad.reason = "Bad Request";
  bad.body = R"({"code":-1121,"msg":"Invalid symbol."})";
  http_canned down;
  down.status = 503;
  down.reason = "Service Unavailable";
  down.headers = {{"Retry-After", "Fri, 31 Dec 1999 23:59:59 GMT"}};
  down.body = "maintenance";
  http_test_server server{
    {{"/429", too_many}, {"/418", banned}, {"/400", bad}, {"/503", down}}};
  ws_recorder rec{sys};
  sv::lws_client client;
  client.get(1, plain(server.port(), "/429"), rec.handle());
  client.get(2, plain(server.port(), "/418"), rec.handle());
  client.get(3, plain(server.port(), "/400"), rec.handle());
  client.get(4, plain(server.port(), "/503"), rec.handle());
  client.get(5, plain(server.port(), "/nowhere"), rec.handle());
  REQUIRE(rec.wait_until(
    [&] {
      for (std::uint64_t id = 1; id <= 5; ++id)
        if (rec.rest[id].empty())
          return false;
      return true;
    },
    10s));
  CHECK(rec.quiet_for(200ms));
  for (std::uint64_t id = 1; id <= 5; ++id)
    REQUIRE(rec.rest[id].size() == 1);
  CHECK(rec.rest[1][0].status == 429);
  CHECK(rec.rest[1][0].retry_after_s == 3);
  CHECK(rec.rest[1][0].used_weight_1m == 6001);
  CHECK(rec.rest[1][0].body == too_many.body);
  CHECK(rec.rest[1][0].error.empty());
  CHECK(rec.rest[2][0].status == 418);
  CHECK(rec.rest[2][0].retry_after_s == 120);
  CHECK(rec.rest[2][0].used_weight_1m == -1);
  CHECK(rec.rest[3][0].status == 400);
  CHECK(rec.rest[3][0].retry_after_s == -1);
  CHECK(rec.rest[3][0].body == bad.body);
  CHECK(rec.rest[4][0].status == 503);
  CHECK(rec.rest[4][0].retry_after_s == -1); // an HTTP-date is not parsed
  CHECK(rec.rest[4][0].body == "maintenance");
  CHECK(rec.rest[5][0].status == 404);
  CHECK(rec.rest[5][0].body == "no route");
}

TEST_CASE_METHOD(system_fixture, "a redirect is a response, not followed",
                 "[transport][rest]") {
  http_canned moved;
  moved.status = 302;
  moved.reason = "Found";
  moved.headers = {{"Location", "/elsewhere"}};
  moved.body = "moved";
  http_test_server server{{{"/old", moved}, {"/elsewhere", ok("new")}}};
  ws_recorder rec{sys};
  sv::lws_client client;
  client.get(1, plain(server.port(), "/old"), rec.handle());
  REQUIRE(rec.wait_rest(1, 5s));
  CHECK(rec.quiet_for(200ms));
  REQUIRE(rec.rest[1].size() == 1);
  CHECK(rec.rest[1][0].status == 302);
  CHECK(rec.rest[1][0].body == "moved");
  CHECK(server.targets() == std::vector<std::string>{"/old"});
}

TEST_CASE_METHOD(system_fixture,
                 "a refused port answers once with status 0 and an error",
                 "[transport][rest]") {
  ws_recorder rec{sys};
  sv::lws_client client;
  client.get(9, plain(sv::test::unused_port()), rec.handle());
  REQUIRE(rec.wait_rest(9, 5s));
  CHECK(rec.quiet_for(200ms));
  REQUIRE(rec.rest[9].size() == 1);
  CHECK(rec.rest[9][0].status == 0);
  CHECK_FALSE(rec.rest[9][0].error.empty());
  CHECK(rec.rest[9][0].error != "timeout");
  CHECK(rec.rest[9][0].body.empty());
}

TEST_CASE_METHOD(system_fixture,
                 "a certificate nobody trusts answers with status 0 and a "
                 "verification error",
                 "[transport][rest]") {
  temp_cert cert;
  REQUIRE(cert.ok);
  http_test_server server{{{agg_path, ok("[]")}}, cert.cert, cert.key};
  ws_recorder rec{sys};
  sv::lws_client client; // no ca_file
  client.get(1, secure(server.port()), rec.handle());
  REQUIRE(rec.wait_rest(1, 10s));
  CHECK(rec.quiet_for(200ms));
  REQUIRE(rec.rest[1].size() == 1);
  CHECK(rec.rest[1][0].status == 0);
  CHECK(rec.rest[1][0].error == "TLS certificate verification failed");
}

TEST_CASE_METHOD(system_fixture,
                 "insecure accepts a certificate nobody trusts for REST too",
                 "[transport][rest]") {
  temp_cert cert;
  REQUIRE(cert.ok);
  http_test_server server{{{agg_path, ok("[]")}}, cert.cert, cert.key};
  ws_recorder rec{sys};
  sv::lws_client_options opts;
  opts.insecure = true;
  sv::lws_client client{opts};
  client.get(1, secure(server.port()), rec.handle());
  REQUIRE(rec.wait_rest(1, 10s));
  REQUIRE(rec.rest[1].size() == 1);
  CHECK(rec.rest[1][0].status == 200);
  CHECK(rec.rest[1][0].body == "[]");
}

TEST_CASE_METHOD(system_fixture,
                 "a server that accepts and never answers gives one timeout "
                 "after rest_timeout_ms",
                 "[transport][rest]") {
  http_canned silent;
  silent.hang = true;
  http_test_server server{{{agg_path, silent}}};
  ws_recorder rec{sys};
  sv::lws_client_options opts;
  opts.rest_timeout_ms = 300;
  sv::lws_client client{opts};
  auto t0 = std::chrono::steady_clock::now();
  client.get(4, plain(server.port()), rec.handle());
  REQUIRE(rec.wait_rest(4, 5s));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK(elapsed >= 300ms);
  CHECK(elapsed < 2s); // well before lws's own 10 s handshake timeout
  // The aborted connection's WSI_DESTROY must not produce a second answer.
  CHECK(rec.quiet_for(300ms));
  REQUIRE(rec.rest[4].size() == 1);
  CHECK(rec.rest[4][0].status == 0);
  CHECK(rec.rest[4][0].error == "timeout");
  CHECK(server.targets() == std::vector<std::string>{agg_path});
}

TEST_CASE_METHOD(system_fixture,
                 "a TLS server that never completes the handshake gives one "
                 "timeout after rest_timeout_ms",
                 "[transport][rest]") {
  raw_test_server server{raw_mode::hang};
  ws_recorder rec{sys};
  sv::lws_client_options opts;
  opts.rest_timeout_ms = 300;
  sv::lws_client client{opts};
  client.get(4, secure(server.port()), rec.handle());
  REQUIRE(rec.wait_rest(4, 5s));
  CHECK(rec.quiet_for(300ms));
  REQUIRE(rec.rest[4].size() == 1);
  CHECK(rec.rest[4][0].status == 0);
  CHECK(rec.rest[4][0].error == "timeout");
}

TEST_CASE_METHOD(system_fixture,
                 "a body over rest_body_bytes_max answers with status 0 and an "
                 "error, not a truncated body",
                 "[transport][rest]") {
  http_test_server server{{{"/big", ok(patterned(300000))}}};
  ws_recorder rec{sys};
  sv::lws_client_options opts;
  opts.rest_body_bytes_max = 100000;
  sv::lws_client client{opts};
  client.get(1, plain(server.port(), "/big"), rec.handle());
  REQUIRE(rec.wait_rest(1, 5s));
  CHECK(rec.quiet_for(200ms));
  REQUIRE(rec.rest[1].size() == 1);
  CHECK(rec.rest[1][0].status == 0);
  CHECK(rec.rest[1][0].error.find("too large") != std::string::npos);
  CHECK(rec.rest[1][0].body.empty());
}

TEST_CASE_METHOD(system_fixture,
                 "a 100 MiB answer is refused with a too-large error, with "
                 "Content-Length before its body and chunked while reading, "
                 "and the client lives on",
                 "[transport][rest][oversize]") {
  constexpr std::size_t mib = std::size_t{1} << 20;
  auto huge = ok(patterned(100 * mib));
  auto chunked = huge;
  chunked.chunk_bytes = mib;
  http_test_server server{
    {{"/huge", huge}, {"/chunked", chunked}, {agg_path, ok("[]")}}};
  REQUIRE(server.port() != 0);
  ws_recorder rec{sys};
  sv::lws_client client; // default bound: 16 MiB
  REQUIRE(sv::lws_client_options{}.rest_body_bytes_max == 16 * mib);
  client.get(1, plain(server.port(), "/huge"), rec.handle());
  REQUIRE(rec.wait_rest(1, 20s));
  client.get(2, plain(server.port(), "/chunked"), rec.handle());
  REQUIRE(rec.wait_rest(2, 20s));
  // Content-Length: refused at the headers, from the announced size.
  check_too_large(rec.rest[1],
                  "response body too large (104857600 bytes > limit 16777216)");
  // Chunked: refused at the first read that would pass the bound, so the size
  // is what had arrived by then.
  REQUIRE(rec.rest[2].size() == 1);
  auto chunked_error = rec.rest[2][0].error;
  CHECK(chunked_error.rfind("response body too large (", 0) == 0);
  check_too_large(rec.rest[2], chunked_error);
  CHECK(chunked_error.find(" bytes > limit 16777216)") != std::string::npos);
  CHECK(client.stats().oversize_rest_bodies == 2);
  client.get(3, plain(server.port()), rec.handle());
  REQUIRE(rec.wait_rest(3, 10s));
  CHECK(rec.rest[3][0].status == 200);
  CHECK(rec.rest[3][0].body == "[]");
  CHECK(rec.quiet_for(200ms));
}

TEST_CASE_METHOD(system_fixture,
                 "stop with a request outstanding answers it exactly once with "
                 "transport stopped, and later gets are refused at once",
                 "[transport][rest]") {
  http_canned silent;
  silent.hang = true;
  http_test_server server{{{agg_path, silent}}};
  ws_recorder rec{sys};
  sv::lws_client client; // default 10 s timeout: stop() must come first
  client.get(1, plain(server.port()), rec.handle());
  REQUIRE(rec.wait_until([&] { return server.targets().size() == 1; }, 5s));
  client.stop();
  REQUIRE(rec.wait_rest(1, 2s));
  CHECK(rec.quiet_for(200ms));
  REQUIRE(rec.rest[1].size() == 1);
  CHECK(rec.rest[1][0].status == 0);
  CHECK(rec.rest[1][0].error == "transport stopped");
  client.get(2, plain(server.port()), rec.handle());
  REQUIRE(rec.wait_rest(2, 1s));
  CHECK(rec.quiet_for(200ms));
  REQUIRE(rec.rest[2].size() == 1);
  CHECK(rec.rest[2][0].error == "transport stopped");
}

TEST_CASE_METHOD(system_fixture,
                 "a request id still in flight is refused without disturbing "
                 "the first request",
                 "[transport][rest]") {
  http_canned silent;
  silent.hang = true;
  http_test_server server{{{agg_path, silent}}};
  ws_recorder rec{sys};
  sv::lws_client_options opts;
  opts.rest_timeout_ms = 500;
  sv::lws_client client{opts};
  client.get(1, plain(server.port()), rec.handle());
  client.get(1, plain(server.port()), rec.handle());
  REQUIRE(rec.wait_rest(1, 5s));
  CHECK(rec.rest[1][0].error == "duplicate request id");
  REQUIRE(rec.wait_until([&] { return rec.rest[1].size() == 2; }, 5s));
  CHECK(rec.rest[1][1].error == "timeout");
  CHECK(rec.quiet_for(200ms));
}

TEST_CASE_METHOD(system_fixture,
                 "a WebSocket stream and REST requests run concurrently on one "
                 "client",
                 "[transport][rest]") {
  ws_script script;
  for (int i = 0; i < 200; ++i)
    script.messages.push_back("frame " + std::to_string(i));
  script.close_code = 1000;
  lws_test_server ws_server{script};
  REQUIRE(ws_server.port() != 0);
  auto body = patterned(500000);
  http_test_server http_server{{{"/a", ok(body)}, {"/b", ok("[]")}}};
  ws_recorder rec{sys};
  sv::lws_client client;
  // WebSocket id 1 and REST id 1 are different id spaces.
  client.open(1,
              sv::ws_target{
                sv::endpoint{false, "127.0.0.1", ws_server.port(), ""}, "/ws"},
              rec.handle());
  for (std::uint64_t id = 1; id <= 6; ++id)
    client.get(id, plain(http_server.port(), id % 2 == 0 ? "/b" : "/a"),
               rec.handle());
  REQUIRE(rec.wait_until(
    [&] {
      for (std::uint64_t id = 1; id <= 6; ++id)
        if (rec.rest[id].empty())
          return false;
      return !rec.log[1].closed.empty();
    },
    20s));
  CHECK(rec.quiet_for(200ms));
  for (std::uint64_t id = 1; id <= 6; ++id) {
    REQUIRE(rec.rest[id].size() == 1);
    CHECK(rec.rest[id][0].status == 200);
    CHECK(rec.rest[id][0].body == (id % 2 == 0 ? std::string{"[]"} : body));
  }
  auto& l = rec.log[1];
  CHECK(l.opened == 1);
  CHECK(l.frames == script.messages);
  REQUIRE(l.closed.size() == 1);
  CHECK(l.closed[0].close_code == 1000);
}
