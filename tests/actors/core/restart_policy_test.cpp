// Tests of restart_policy (pure, no actors).
#include <catch2/catch.hpp>

#include <map>

#include "actors/core/restart_policy.hpp"

using namespace sv;

namespace {

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t s = 1000 * ms;

restart_policy_config policy() {
  restart_policy_config c;
  c.backoff_initial_ms = 500;
  c.backoff_max_ms = 30000;
  c.stable_after_ms = 60000;
  c.max_restarts = 1000; // intensity tested separately
  c.restart_window_ms = 300000;
  c.park_ms = 300000;
  return c;
}

} // namespace

TEST_CASE("every backoff delay lies in [0, min(cap, initial * 2^n)] and the "
          "bounds are used",
          "[restart_policy]") {
  auto cfg = policy();
  std::mt19937_64 rng{7};
  for (int run = 0; run < 200; ++run) {
    restart_history h;
    std::int64_t now = 0;
    for (int n = 0; n < 12; ++n) {
      auto d = decide_restart(cfg, h, now, -1, -1, rng);
      auto bound = std::min<std::int64_t>(30000, std::int64_t{500} << n);
      REQUIRE_FALSE(d.park);
      REQUIRE(d.delay_ms >= 0);
      REQUIRE(d.delay_ms <= bound);
      now += d.delay_ms * ms + ms;
    }
  }
  // Full jitter really spreads: over many draws of the 8th delay, both the lower
  // and the upper tenth of [0, 30000] occur.
  std::map<bool, int> low_high;
  for (int run = 0; run < 500; ++run) {
    restart_history h;
    h.exponent = 8;
    auto d = decide_restart(cfg, h, 0, -1, -1, rng);
    if (d.delay_ms < 3000)
      ++low_high[false];
    if (d.delay_ms > 27000)
      ++low_high[true];
  }
  CHECK(low_high[false] > 10);
  CHECK(low_high[true] > 10);
}

TEST_CASE(
  "a child that streamed for stable_after reconnects within the initial "
  "backoff",
  "[restart_policy]") {
  auto cfg = policy();
  std::mt19937_64 rng{1};
  restart_history h;
  h.exponent = 10; // many failures before
  auto d = decide_restart(cfg, h, 0, 60000, -1, rng);
  CHECK(d.delay_ms <= 500);
  restart_history h2;
  h2.exponent = 10;
  auto not_stable = decide_restart(cfg, h2, 0, 59999, -1, rng);
  CHECK(h2.exponent == 11);
  CHECK(not_stable.delay_ms <= 30000);
}

TEST_CASE("Retry-After raises the delay to at least its value",
          "[restart_policy]") {
  auto cfg = policy();
  std::mt19937_64 rng{1};
  restart_history h;
  CHECK(decide_restart(cfg, h, 0, -1, 7000, rng).delay_ms == 7000);
  restart_history h2;
  h2.exponent = 20;
  cfg.jitter = false;
  CHECK(decide_restart(cfg, h2, 0, -1, 7000, rng).delay_ms == 30000);
}

TEST_CASE(
  "more than max_restarts within the window parks, and restarts outside "
  "the window do not count",
  "[restart_policy]") {
  auto cfg = policy();
  cfg.max_restarts = 3;
  cfg.restart_window_ms = 10000;
  cfg.park_ms = 60000;
  std::mt19937_64 rng{1};
  restart_history h;
  for (int i = 0; i < 3; ++i)
    CHECK_FALSE(decide_restart(cfg, h, i * s, -1, -1, rng).park);
  auto fourth = decide_restart(cfg, h, 3 * s, -1, -1, rng);
  CHECK(fourth.park);
  CHECK(fourth.delay_ms == 60000);
  CHECK(h.restarts_ns.empty());
  // Spread out: never more than 3 inside any 10 s.
  restart_history spread;
  for (int i = 0; i < 20; ++i)
    CHECK_FALSE(decide_restart(cfg, spread, i * 4 * s, -1, -1, rng).park);
}
