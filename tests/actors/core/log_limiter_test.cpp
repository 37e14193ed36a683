// log_limiter_test: repeated log lines are written once per window, then summarised.
#include "actors/core/log_limiter.hpp"

#include <string>

#include <catch2/catch.hpp>

using sv::log_limiter;

namespace {

// Test helper: a window and a group count.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
log_limiter::options opts(std::int64_t window_ms, std::size_t groups_max) {
  log_limiter::options o;
  o.window_ms = window_ms;
  o.groups_max = groups_max;
  return o;
}

} // namespace

TEST_CASE("the first line of a group is written and its repeats in the window "
          "are only counted",
          "[log_limiter]") {
  log_limiter limiter{opts(10000, 8)};
  auto first = limiter.admit("accept: errno 24", 0);
  CHECK(first.write);
  CHECK(first.summaries.empty());
  int written = 0;
  for (int i = 1; i <= 1000; ++i) {
    auto v = limiter.admit("accept: errno 24", i);
    written += (v.write ? 1 : 0) + static_cast<int>(v.summaries.size());
  }
  CHECK(written == 0);
}

// Catch's CHECK macros count as branches for this check.
// NOLINTNEXTLINE(readability-function-cognitive-complexity)
TEST_CASE("a repeat after the window writes the count of the window before it",
          "[log_limiter]") {
  log_limiter limiter{opts(10000, 8)};
  REQUIRE(limiter.admit("accept: errno 24", 1000).write);
  int written = 0;
  for (int i = 0; i < 41; ++i)
    written += limiter.admit("accept: errno 24", 2000 + i * 100).write ? 1 : 0;
  REQUIRE(written == 0);
  auto v = limiter.admit("accept: errno 24", 11000);
  CHECK(v.write);
  REQUIRE(v.summaries.size() == 1);
  CHECK(v.summaries[0].sample == "accept: errno 24");
  CHECK(v.summaries[0].suppressed == 41);
  CHECK(v.summaries[0].over_ms == 5000);
  // The next window starts empty.
  CHECK_FALSE(limiter.admit("accept: errno 24", 11001).write);
  CHECK(limiter.flush(21001).at(0).suppressed == 1);
}

TEST_CASE("lines that differ only in numbers are one group", "[log_limiter]") {
  CHECK(log_limiter::similarity_key("Socket fd 251 is too high (256) 0x7f3a")
        == "Socket fd # is too high (#) #");
  CHECK(log_limiter::similarity_key("h2 frame 3ms v4") == "h2 frame # v4");
  log_limiter limiter{opts(10000, 8)};
  CHECK(limiter.admit("Socket fd 251 is too high", 0).write);
  CHECK_FALSE(limiter.admit("Socket fd 252 is too high", 1).write);
  CHECK(limiter.admit("Too many fds", 2).write);
  auto out = limiter.flush(20000);
  REQUIRE(out.size() == 1);
  CHECK(out[0].sample == "Socket fd 251 is too high");
  CHECK(out[0].suppressed == 1);
}

TEST_CASE("flush writes the counts of ended windows and keeps running ones",
          "[log_limiter]") {
  log_limiter limiter{opts(1000, 8)};
  limiter.admit("a", 0);
  limiter.admit("a", 10);
  limiter.admit("b", 500);
  limiter.admit("b", 600);
  auto out = limiter.flush(1000);
  REQUIRE(out.size() == 1);
  CHECK(out[0].sample == "a");
  CHECK(limiter.groups() == 1);
  out = limiter.flush(1000, true);
  REQUIRE(out.size() == 1);
  CHECK(out[0].sample == "b");
  CHECK(limiter.groups() == 0);
  // A group without repeats has nothing to summarise.
  limiter.admit("c", 2000);
  CHECK(limiter.flush(5000, true).empty());
}

TEST_CASE("whatever the input, at most two lines per group and window are "
          "written",
          "[log_limiter]") {
  constexpr std::size_t groups_max = 4;
  log_limiter limiter{opts(1000, groups_max)};
  std::size_t written = 0;
  std::uint64_t counted = 0;
  // 100 000 lines of 50 000 different groups within one window.
  for (int i = 0; i < 100000; ++i) {
    auto line = "error kind " + std::string(1, static_cast<char>('a' + i % 26))
                + std::string(1, static_cast<char>('a' + (i / 26) % 26))
                + std::string(1, static_cast<char>('a' + (i / 676) % 26));
    auto v = limiter.admit(line, i / 200);
    written += (v.write ? 1 : 0) + v.summaries.size();
    for (auto& s : v.summaries)
      counted += s.suppressed;
  }
  CHECK(limiter.groups() <= groups_max + 1);
  CHECK(written <= 2 * (groups_max + 1));
  for (auto& s : limiter.flush(1000, true))
    counted += s.suppressed;
  // Nothing is lost: every line was written or counted.
  CHECK(counted + groups_max == 100000);
}

TEST_CASE("a new group takes the place of one whose window is over",
          "[log_limiter]") {
  log_limiter limiter{opts(1000, 2)};
  CHECK(limiter.admit("a", 0).write);
  CHECK(limiter.admit("b", 0).write);
  auto third = limiter.admit("c", 10);
  CHECK_FALSE(third.write); // both groups are in their window: overflow
  auto later = limiter.admit("d", 1500);
  CHECK(later.write);
  CHECK(limiter.admit("d", 1501).write == false);
}
