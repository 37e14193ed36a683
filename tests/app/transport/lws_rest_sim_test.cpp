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

namespace {

/// The frames of `log` that answer a control message (`{"result":..` or
/// `{"error":..`), in arrival order, and the index of the first data frame.
struct split_frames {
  std::vector<std::string> answers;
  std::vector<std::size_t> answer_at; ///< position of each answer among frames
  std::size_t first_data = std::string::npos;
};

split_frames split(const sv::test::ws_log& log) {
  split_frames out;
  for (std::size_t i = 0; i < log.frames.size(); ++i) {
    const auto& f = log.frames[i];
    if (f.rfind("{\"result\"", 0) == 0 || f.rfind("{\"error\"", 0) == 0) {
      out.answers.push_back(f);
      out.answer_at.push_back(i);
    } else if (out.first_data == std::string::npos) {
      out.first_data = i;
    }
  }
  return out;
}

} // namespace

TEST_CASE_METHOD(
  system_fixture,
  "send writes text frames in order, also when called before the "
  "upgrade: the simulator answers each SUBSCRIBE before its "
  "stream's first frame",
  "[transport][send]") {
  sv::test::running_sim sim({"--symbols", "BTCUSDT,ETHUSDT", "--rate", "200"});
  sv::test::ws_recorder rec{sys};
  sv::lws_client client;
  sv::ws_target target{sv::endpoint{false, "127.0.0.1",
                                    static_cast<std::uint16_t>(sim.port), ""},
                       "/stream"};
  client.open(1, target, rec.handle());
  // Queued while connecting: written once the upgrade is done, in this order.
  client.send(1,
              R"({"method":"SUBSCRIBE","params":["btcusdt@aggTrade"],"id":1})");
  client.send(1, R"({"method":"LIST_SUBSCRIPTIONS","id":2})");
  REQUIRE(
    rec.wait_until([&] { return split(rec.log[1]).answers.size() == 2; }, 10s));
  auto first = split(rec.log[1]);
  CHECK(first.answers[0] == R"({"result":null,"id":1})");
  CHECK(first.answers[1] == R"({"result":["btcusdt@aggTrade"],"id":2})");
  CHECK(first.answer_at[0] == 0); // nothing before the first answer
  client.send(1,
              R"({"method":"SUBSCRIBE","params":["ethusdt@aggTrade"],"id":3})");
  client.send(
    1, R"({"method":"UNSUBSCRIBE","params":["btcusdt@aggTrade"],"id":4})");
  client.send(1, R"({"method":"LIST_SUBSCRIPTIONS","id":5})");
  REQUIRE(
    rec.wait_until([&] { return split(rec.log[1]).answers.size() == 5; }, 10s));
  auto all = split(rec.log[1]);
  CHECK(all.answers[2] == R"({"result":null,"id":3})");
  CHECK(all.answers[3] == R"({"result":null,"id":4})");
  CHECK(all.answers[4] == R"({"result":["ethusdt@aggTrade"],"id":5})");
  // Between the SUBSCRIBE answer of ETHUSDT and the UNSUBSCRIBE answer of
  // BTCUSDT both flow; after it only ETHUSDT.
  REQUIRE(rec.wait_until(
    [&] { return rec.log[1].frames.size() > all.answer_at[4] + 20; }, 10s));
  const auto& frames = rec.log[1].frames;
  bool eth_seen = false;
  for (std::size_t i = all.answer_at[0] + 1; i < frames.size(); ++i) {
    bool btc = frames[i].find(R"("stream":"btcusdt@aggTrade")")
               != std::string::npos;
    bool eth = frames[i].find(R"("stream":"ethusdt@aggTrade")")
               != std::string::npos;
    if (i < all.answer_at[2])
      CHECK_FALSE(eth);
    if (i > all.answer_at[3])
      CHECK_FALSE(btc);
    eth_seen = eth_seen || eth;
  }
  CHECK(eth_seen);
  client.close(1);
  REQUIRE(rec.wait_closed(1, 10s));
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}

TEST_CASE_METHOD(
  system_fixture,
  "a connection whose unsent frames pass send_bytes_max is closed "
  "with that as its reason, and send on an unknown id is a no-op",
  "[transport][send]") {
  sv::test::running_sim sim({"--symbols", "BTCUSDT"});
  sv::test::ws_recorder rec{sys};
  sv::lws_client_options opts;
  opts.send_bytes_max = 100;
  sv::lws_client client{opts};
  client.send(7, "nobody"); // unknown id: nothing happens
  sv::ws_target target{sv::endpoint{false, "127.0.0.1",
                                    static_cast<std::uint16_t>(sim.port), ""},
                       "/ws"};
  client.open(1, target, rec.handle());
  std::string frame(60, 'x');
  client.send(1, frame);
  client.send(1, frame); // 120 bytes queued before the upgrade completes
  REQUIRE(rec.wait_closed(1, 10s));
  CHECK(rec.quiet_for(200ms));
  REQUIRE(rec.log[1].closed.size() == 1);
  CHECK(rec.log[1].closed[0].reason.find("send queue full")
        != std::string::npos);
  CHECK(rec.log.count(7) == 0);
  CHECK(sim.child->stop(SIGTERM, 5s) == 0);
}
