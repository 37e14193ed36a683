// Tests of app/sim/fault_spec: --fault parsing, validation and which connections get a fault.
#include <catch2/catch.hpp>

#include "app/sim/exchange/fault_spec.hpp"
#include "app/sim/sim_options.hpp"

using namespace sv;

namespace {

fault_spec parse_ok(const char* text) {
  std::string error;
  auto f = parse_fault_spec(text, error);
  INFO(text << ": " << error);
  REQUIRE(f);
  return *f;
}

std::string parse_error(const char* text) {
  std::string error;
  auto f = parse_fault_spec(text, error);
  CHECK(!f);
  return error;
}

} // namespace

TEST_CASE("A sim --fault spec parses its mode, scope and parameters") {
  auto r
    = parse_ok("reject:status=418,retry_after=7,symbol=btcusdt,connections=2");
  CHECK(r.mode == fault_mode::reject);
  CHECK(r.status == 418);
  CHECK(r.retry_after_s == 7);
  CHECK(r.symbol == "BTCUSDT");
  CHECK(r.connections_max == 2);
  auto c = parse_ok("close-after:frames=5,code=1011,reason=try later");
  CHECK(c.mode == fault_mode::close_after);
  CHECK(c.frames == 5);
  CHECK(c.code == 1011);
  CHECK(c.reason == "try later");
  auto h = parse_ok("hang-upgrade");
  CHECK(h.mode == fault_mode::hang_upgrade);
  CHECK(h.symbol.empty());
  CHECK(h.connections_max == -1);
  CHECK(parse_ok("server-shutdown-after:frames=0,grace_ms=250").grace_ms
        == 250);
  CHECK(parse_ok("no-pong:silent=1").silent);
  CHECK(parse_ok("malformed-every:k=4").k == 4);
  CHECK(fault_mode_name(parse_ok("stall-tls").mode)
        == std::string("stall-tls"));
}

TEST_CASE("A bad sim --fault spec is refused with a reason") {
  CHECK(parse_error("explode").find("unknown fault mode") != std::string::npos);
  CHECK(parse_error("reset-after").find("frames=N") != std::string::npos);
  CHECK(parse_error("malformed-every").find("k=K") != std::string::npos);
  CHECK(parse_error("malformed-every:k=1").find(">= 2") != std::string::npos);
  CHECK(parse_error("reject:status=200").find("400..599") != std::string::npos);
  CHECK(parse_error("close-after:frames=1,code=1006").find("close code")
        != std::string::npos);
  CHECK(parse_error("silent-after:frames=1,code=1000").find("not a parameter")
        != std::string::npos);
  CHECK(parse_error("hang-upgrade:connections=0").find(">= 1")
        != std::string::npos);
  CHECK(parse_error("stall-tls:symbol=BTCUSDT").find("cannot be scoped")
        != std::string::npos);
  CHECK(parse_error("reject:status").find("key=value") != std::string::npos);
}

TEST_CASE("The sim options take repeated --fault and refuse hang-upgrade by "
          "symbol over TLS") {
  auto ok = parse_sim_options(
    {"--fault", "reject:status=429", "--fault=no-first-frame"});
  REQUIRE(ok.options);
  REQUIRE(ok.options->faults.size() == 2);
  CHECK(ok.options->faults[1].mode == fault_mode::no_first_frame);
  auto bad = parse_sim_options({"--fault", "nope"});
  CHECK(!bad.options);
  CHECK(bad.error.find("--fault") != std::string::npos);
  auto tls = parse_sim_options({"--cert", "c.pem", "--key", "k.pem", "--fault",
                                "hang-upgrade:symbol=BTCUSDT"});
  CHECK(!tls.options);
  CHECK(parse_sim_options(
          {"--cert", "c.pem", "--key", "k.pem", "--fault", "hang-upgrade"})
          .options);
}

TEST_CASE("A sim fault with connections=N applies to the first N connections "
          "of each symbol, then never") {
  fault_plan plan({parse_ok("reset-after:frames=1,connections=2"),
                   parse_ok("reject:symbol=ETHUSDT,connections=1")});
  const std::vector<fault_mode> modes{fault_mode::reset_after,
                                      fault_mode::reject};
  const std::vector<std::string> btc{"BTCUSDT"}, eth{"ETHUSDT"};
  CHECK(plan.take(modes, btc)->mode == fault_mode::reset_after);
  CHECK(plan.take(modes, btc)->mode == fault_mode::reset_after);
  CHECK(plan.take(modes, btc) == nullptr);
  // The first matching spec in command-line order wins; ETH has its own budget.
  CHECK(plan.take(modes, eth)->mode == fault_mode::reset_after);
  CHECK(plan.take(modes, eth)->mode == fault_mode::reset_after);
  CHECK(plan.take(modes, eth)->mode == fault_mode::reject);
  CHECK(plan.take(modes, eth) == nullptr);
  CHECK(
    plan.stats_json()
    == "[{\"fault\":\"reset-after:frames=1,connections=2\",\"applied\":4},"
       "{\"fault\":\"reject:symbol=ETHUSDT,connections=1\",\"applied\":1}]");
}

TEST_CASE(
  "A sim fault scoped to a symbol is decided only once the symbol is known") {
  fault_plan plan({parse_ok("hang-upgrade:symbol=BTCUSDT,connections=1")});
  const std::vector<fault_mode> hang{fault_mode::hang_upgrade};
  CHECK(plan.may_apply(hang));
  CHECK(plan.take(hang, {}) == nullptr); // accept time: no symbol yet
  CHECK(plan.take(hang, {"ETHUSDT"}) == nullptr);
  CHECK(plan.take(hang, {"ETHUSDT", "BTCUSDT"}) != nullptr);
  CHECK(!plan.may_apply(hang));
  CHECK(plan.take(hang, {"BTCUSDT"}) == nullptr);
}

TEST_CASE("The sim's skip-on-reconnect and REST fault specs parse with their "
          "defaults and refuse what does not apply") {
  auto skip
    = parse_ok("skip-on-reconnect:trades=25,symbol=ethusdt,connections=2");
  CHECK(skip.mode == fault_mode::skip_on_reconnect);
  CHECK(skip.trades == 25);
  CHECK(skip.symbol == "ETHUSDT");
  CHECK(skip.connections_max == 2);
  auto r429 = parse_ok("rest-429:count=3,retry_after=9");
  CHECK(r429.mode == fault_mode::rest_429);
  CHECK(r429.count == 3);
  CHECK(r429.retry_after_s == 9);
  CHECK(parse_ok("rest-429:count=1").retry_after_s == 1);
  CHECK(parse_ok("rest-429").count == -1);
  auto down = parse_ok("rest-down");
  CHECK(down.mode == fault_mode::rest_down);
  CHECK(down.count == -1);
  CHECK(parse_ok("rest-down:count=4,symbol=BTCUSDT").count == 4);
  CHECK(fault_is_rest(fault_mode::rest_down));
  CHECK(!fault_is_rest(fault_mode::skip_on_reconnect));
  CHECK(parse_error("skip-on-reconnect").find("trades=G") != std::string::npos);
  CHECK(parse_error("skip-on-reconnect:trades=0").find("1..1000000")
        != std::string::npos);
  CHECK(parse_error("skip-on-reconnect:trades=1000001").find("1..1000000")
        != std::string::npos);
  CHECK(parse_error("rest-429:connections=2").find("count=N")
        != std::string::npos);
  CHECK(parse_error("rest-down:count=0").find(">= 1") != std::string::npos);
  CHECK(parse_error("rest-down:retry_after=1").find("not a parameter")
        != std::string::npos);
  CHECK(parse_error("reset-after:frames=1,trades=3").find("not a parameter")
        != std::string::npos);
  CHECK(!parse_sim_options(
           {"--replay", "x.jsonl", "--fault", "skip-on-reconnect:trades=1"})
           .options);
}

TEST_CASE("A sim REST fault applies to the first count requests it matches, in "
          "command-line order, and never to streams") {
  fault_plan plan({parse_ok("rest-429:symbol=ETHUSDT,count=1"),
                   parse_ok("rest-down:count=2"),
                   parse_ok("skip-on-reconnect:trades=3")});
  CHECK(plan.take_rest("BTCUSDT")->mode == fault_mode::rest_down);
  CHECK(plan.take_rest("ETHUSDT")->mode == fault_mode::rest_429);
  CHECK(plan.take_rest("")->mode
        == fault_mode::rest_down); // a ping: unscoped only
  CHECK(plan.take_rest("ETHUSDT") == nullptr);
  CHECK(plan.take({fault_mode::reject, fault_mode::rest_down}, {"BTCUSDT"})
        == nullptr);
  // skip-on-reconnect is taken on its own, per symbol reconnect.
  CHECK(plan.take({fault_mode::skip_on_reconnect}, {"BTCUSDT"})->trades == 3);
  CHECK(plan.stats_json()
        == "[{\"fault\":\"rest-429:symbol=ETHUSDT,count=1\",\"applied\":1},"
           "{\"fault\":\"rest-down:count=2\",\"applied\":2},"
           "{\"fault\":\"skip-on-reconnect:trades=3\",\"applied\":1}]");
}

TEST_CASE("A sim drop-depth spec needs after=N, takes every=K and symbol=, and "
          "refuses connections= and count=") {
  auto d = parse_ok("drop-depth:symbol=ethusdt,after=20,every=0");
  CHECK(d.mode == fault_mode::drop_depth);
  CHECK(d.symbol == "ETHUSDT");
  CHECK(d.after == 20);
  CHECK(d.every == 0);
  CHECK(fault_mode_name(d.mode) == std::string("drop-depth"));
  CHECK(parse_ok("drop-depth:after=0,every=3").every == 3);
  CHECK(parse_ok("drop-depth:after=7").every == 0);
  CHECK(parse_error("drop-depth").find("after=N") != std::string::npos);
  CHECK(parse_error("drop-depth:every=2").find("after=N") != std::string::npos);
  CHECK(parse_error("drop-depth:after=-1").find(">= 0") != std::string::npos);
  CHECK(parse_error("drop-depth:after=1,connections=1").find("not a parameter")
        != std::string::npos);
  CHECK(parse_error("drop-depth:after=1,count=1").find("not a parameter")
        != std::string::npos);
  CHECK(parse_error("reset-after:frames=1,after=3").find("not a parameter")
        != std::string::npos);
}

TEST_CASE("A sim drop-subscription spec needs symbol= and frames=N, takes "
          "connections=, and is taken per subscription of its symbol") {
  auto d = parse_ok("drop-subscription:symbol=ethusdt,frames=40,connections=1");
  CHECK(d.mode == fault_mode::drop_subscription);
  CHECK(d.symbol == "ETHUSDT");
  CHECK(d.frames == 40);
  CHECK(fault_mode_name(d.mode) == std::string("drop-subscription"));
  CHECK(parse_error("drop-subscription:frames=4").find("symbol=S")
        != std::string::npos);
  CHECK(parse_error("drop-subscription:symbol=BTCUSDT").find("frames=N")
        != std::string::npos);
  CHECK(parse_error("drop-subscription:symbol=BTCUSDT,frames=1,k=2")
          .find("not a parameter")
        != std::string::npos);
  fault_plan plan{{d}};
  // Never a connection's own fault, never another symbol's; once for ETHUSDT.
  CHECK(plan.take({fault_mode::reset_after}, {"ETHUSDT"}) == nullptr);
  CHECK(plan.take({fault_mode::drop_subscription}, {"BTCUSDT"}) == nullptr);
  CHECK(plan.take({fault_mode::drop_subscription}, {"ETHUSDT"}) != nullptr);
  CHECK(plan.take({fault_mode::drop_subscription}, {"ETHUSDT"}) == nullptr);
}

TEST_CASE("A sim drop-depth drops event after+1 of its symbol, then every K-th "
          "one after it with every=K, and never a connection") {
  auto once = parse_ok("drop-depth:after=20");
  for (std::int64_t n = 1; n < 100; ++n)
    CHECK(depth_drop_due(once, n) == (n == 21));
  auto periodic = parse_ok("drop-depth:after=2,every=5");
  std::vector<std::int64_t> dropped;
  for (std::int64_t n = 1; n <= 20; ++n)
    if (depth_drop_due(periodic, n))
      dropped.push_back(n);
  CHECK(dropped == std::vector<std::int64_t>{3, 8, 13, 18});
  CHECK(!depth_drop_due(parse_ok("reset-after:frames=2"), 3));

  fault_plan plan({parse_ok("drop-depth:symbol=ETHUSDT,after=4"),
                   parse_ok("drop-depth:after=1")});
  CHECK(plan.take_depth_drop("ETHUSDT", 4) == nullptr);
  CHECK(plan.take_depth_drop("ETHUSDT", 5)->symbol == "ETHUSDT");
  CHECK(plan.take_depth_drop("BTCUSDT", 5) == nullptr);
  CHECK(plan.take_depth_drop("BTCUSDT", 2)->symbol.empty()); // the unscoped one
  CHECK(plan.take_depth_drop("ETHUSDT", 2)->symbol.empty());
  CHECK(plan.take({fault_mode::drop_depth, fault_mode::reject}, {"ETHUSDT"})
        == nullptr);
  CHECK(!plan.may_apply({fault_mode::drop_depth}));
  CHECK(plan.stats_json()
        == "[{\"fault\":\"drop-depth:symbol=ETHUSDT,after=4\",\"applied\":1},"
           "{\"fault\":\"drop-depth:after=1\",\"applied\":2}]");
}
