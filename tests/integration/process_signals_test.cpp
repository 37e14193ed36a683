// process_signals_test: no signal ends streamvisor by its default action; the shutdown
// signals close every stream and exit 0, the others are logged and ignored.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdint>
#include <fstream>
#include <string>

#include "tests/integration/harness.hpp"

using namespace sv::test;
using namespace std::chrono_literals;

namespace {

/// `pid`'s signal mask (SigBlk in /proc/PID/status); bit N-1 is signal N.
std::uint64_t blocked_signals(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("SigBlk:", 0) == 0)
      return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

} // namespace

TEST_CASE("signals that would end the process by default are logged and "
          "ignored (SIGHUP reloads: config_reload_test.py), and SIGQUIT shuts "
          "down gracefully",
          "[integration][signals]") {
  auto dir = scratch_dir("signals");
  make_certificate(dir);
  sim_process sim{dir, {"--rate", "10"}};
  streamvisor_process sv{dir, sim.port, {"--symbols", "BTCUSDT"}};
  REQUIRE(eventually([&] { return sv.get("/health").status == 200; }, 20s));
  for (int signo : {SIGUSR1, SIGUSR2, SIGALRM, SIGRTMIN + 1, SIGUSR1})
    REQUIRE(::kill(sv.child->pid(), signo) == 0);
  // Still alive and streaming after all of them.
  CHECK(eventually([&] { return sv.get("/health").status == 200; }, 5s));
  CHECK(sv.child->stop(SIGQUIT, 7s) == 0);
}

TEST_CASE("a SIGTERM as soon as main has started exits 0 through the graceful "
          "shutdown",
          "[integration][signals]") {
  auto dir = scratch_dir("early-signal");
  child_process sv{SV_STREAMVISOR_BINARY,
                   {"--symbols", "BTCUSDT", "--endpoint", "ws://127.0.0.1:1",
                    "--rest-endpoint", "http://127.0.0.1:1", "--http",
                    "127.0.0.1:0", "--warmup-s", "0", "--lock-file",
                    dir + "/streamvisor.lock", "--log-level", "warn"}};
  REQUIRE(sv.pid() > 0);
  // The first instruction of main blocks SIGTERM; send it the moment that shows.
  REQUIRE(eventually(
    [&] { return ((blocked_signals(sv.pid()) >> (SIGTERM - 1)) & 1U) != 0; },
    5s, 0ms));
  CHECK(sv.stop(SIGTERM, 10s) == 0);
}
