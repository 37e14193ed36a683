// lws_rest_sim_test: the libwebsockets REST client against the real streamvisor-sim over TLS.
#include "app/transport/lws_client.hpp"

#include <csignal>
#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

#include "app/transport/lws_logging.hpp"
#include "tests/app/sim/sim_test_client.hpp"
#include "tests/app/transport/support/system_fixture.hpp"
#include "tests/app/transport/support/ws_test_servers.hpp"

using namespace std::chrono_literals;
using sv::test::system_fixture;

TEST_CASE_METHOD(
  system_fixture,
  "the simulator's TLS aggTrades answers a 429 with Retry-After, "
  "then a 200 JSON body, both with the used weight",
  "[transport][rest]") {
  sv::test::temp_cert cert;
  REQUIRE(cert.ok);
  sv::test::running_sim sim({"--symbols", "BTCUSDT", "--fault",
                             "rest-429:count=1,retry_after=3", "--cert",
                             cert.cert, "--key", cert.key});
  REQUIRE(sim.tls);
  auto port = sim.port;
  sv::test::ws_recorder rec{sys};
  sv::lws_client_options opts;
  opts.ca_file = cert.cert;
  sv::lws_client client{opts};
  sv::rest_target target{sv::endpoint{true, "127.0.0.1",
                                      static_cast<std::uint16_t>(port), ""},
                         "/api/v3/aggTrades?symbol=BTCUSDT&limit=10"};
  client.get(1, target, rec.handle());
  REQUIRE(rec.wait_rest(1, 10s));
  client.get(2, target, rec.handle());
  REQUIRE(rec.wait_rest(2, 10s));
  CHECK(rec.quiet_for(200ms));
  REQUIRE(rec.rest[1].size() == 1);
  REQUIRE(rec.rest[2].size() == 1);
  const auto& rejected = rec.rest[1][0];
  CHECK(rejected.status == 429);
  CHECK(rejected.retry_after_s == 3);
  CHECK(rejected.used_weight_1m >= 1);
  CHECK(rejected.body.find("-1003") != std::string::npos);
  const auto& served = rec.rest[2][0];
  CHECK(served.status == 200);
  CHECK(served.error.empty());
  CHECK(served.retry_after_s == -1);
  CHECK(served.used_weight_1m >= 2);
  REQUIRE_FALSE(served.body.empty());
  CHECK(served.body.front() == '[');
  CHECK(served.body.back() == ']');
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}
