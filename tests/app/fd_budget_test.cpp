// fd_budget_test: the descriptor limit is shared so that API clients never take the streams' share.
#include "app/fd_budget.hpp"

#include <catch2/catch.hpp>

TEST_CASE("API clients get what the limit leaves after the process, REST and "
          "two descriptors per stream connection",
          "[fd_budget]") {
  // 256 - (64 + 4 + 2 x 1) = 186.
  auto b = sv::plan_fd_budget(256, 1, 0);
  CHECK(b.limit == 256);
  CHECK(b.reserved == 70);
  CHECK(b.api_clients_max == 186);
  CHECK_FALSE(b.lowered);
  // Every further stream connection costs the API two clients.
  CHECK(sv::plan_fd_budget(256, 11, 0).api_clients_max == 166);
}

TEST_CASE("with room to spare the derived cap is 1024 and a configured cap "
          "that fits is kept",
          "[fd_budget]") {
  CHECK(sv::plan_fd_budget(1048576, 10, 0).api_clients_max == 1024);
  CHECK(sv::plan_fd_budget(65536, 10, 5000).api_clients_max == 5000);
  CHECK_FALSE(sv::plan_fd_budget(65536, 10, 5000).lowered);
}

TEST_CASE("a configured cap beyond the budget is lowered to it and says so",
          "[fd_budget]") {
  auto b = sv::plan_fd_budget(1024, 2, 2000);
  CHECK(b.api_clients_max == 1024 - 72);
  CHECK(b.lowered);
}

TEST_CASE("a limit below the reserve leaves no API client and keeps the "
          "streams' descriptors",
          "[fd_budget]") {
  auto b = sv::plan_fd_budget(64, 1000, 0);
  CHECK(b.reserved == 64 + 4 + 2000);
  CHECK(b.api_clients_max == 0);
  CHECK_FALSE(b.lowered);
}
