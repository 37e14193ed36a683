// Tests of weight_budget: the sliding-window REST weight limit.
#include <catch2/catch.hpp>

#include <vector>

#include "actors/core/weight_budget.hpp"

using namespace sv;

namespace {
constexpr std::int64_t s = 1'000'000'000;
}

TEST_CASE("weights in any window never sum above the budget",
          "[weight_budget]") {
  weight_budget b{100, 60 * s, 1000};
  CHECK(b.try_acquire(0, 50));
  CHECK(b.try_acquire(1 * s, 40));
  CHECK_FALSE(b.try_acquire(2 * s, 20));
  CHECK(b.next_available_ns(2 * s, 20) == 60 * s); // the 50 must leave first
  CHECK(b.try_acquire(2 * s, 10));
  CHECK(b.used(2 * s) == 100);
  CHECK_FALSE(b.try_acquire(60 * s, 60)); // 50 left, 40 + 10 = 50 remain
  CHECK(b.next_available_ns(60 * s, 60) == 61 * s);
  CHECK(b.try_acquire(61 * s, 60));
}

TEST_CASE("at most burst requests start in any second", "[weight_budget]") {
  weight_budget b{1000, 60 * s, 3};
  CHECK(b.try_acquire(0, 1));
  CHECK(b.try_acquire(0, 1));
  CHECK(b.try_acquire(s / 2, 1));
  CHECK_FALSE(b.try_acquire(s / 2, 1));
  CHECK(b.next_available_ns(s / 2, 1) == s);
  CHECK(b.try_acquire(s, 1));
}

TEST_CASE("a request heavier than the budget waits for an empty window",
          "[weight_budget]") {
  weight_budget b{100, 60 * s, 10};
  CHECK(b.try_acquire(0, 10));
  CHECK(b.next_available_ns(0, 250) == 60 * s);
  CHECK(b.try_acquire(60 * s, 250));
  CHECK(b.used(60 * s) == 100);
}

TEST_CASE("the connection budget never grants more than budget per window nor "
          "burst per second",
          "[weight_budget]") {
  weight_budget b{300, 300 * s, 10}; // the supervisor's: one unit per attempt
  std::vector<std::int64_t> grants;
  std::int64_t now = 0;
  while (grants.size() < 1000) {
    if (b.try_acquire(now, 1)) {
      grants.push_back(now);
      continue;
    }
    auto next = b.next_available_ns(now, 1);
    REQUIRE(next > now);
    now = next;
  }
  for (std::size_t i = 0; i < grants.size(); ++i) {
    if (i >= 300)
      REQUIRE(grants[i] - grants[i - 300] >= 300 * s);
    if (i >= 10)
      REQUIRE(grants[i] - grants[i - 10] >= 1 * s);
  }
  // Paced, not starved: the 1000th grant comes within four windows.
  CHECK(grants.back() < 4 * 300 * s);
  CHECK(grants[299] < 30 * s);
}
