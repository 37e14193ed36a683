// api_flood_test: streamvisor under a 256-descriptor limit with 400 idle API connections: no busy loop, no log flood, the stream goes on.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "tests/integration/harness.hpp"

using namespace sv::test;
using namespace std::chrono_literals;

namespace {

using test_clock = std::chrono::steady_clock;

/// CPU time (user + system) of process `pid` so far, in seconds; -1 if unknown.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat); // one line
  // Fields after the command name, which is in parentheses and may hold spaces.
  auto close = stat.rfind(')');
  if (close == std::string::npos)
    return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) // state .. cmajflt: fields 3..13
    fields >> skip;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime)
         / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

long long file_bytes(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size)
                                        : -1;
}

/// A TCP connection to 127.0.0.1:port that sends nothing; -1 on failure.
int idle_connection(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  // The sockets API takes the generic sockaddr.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// What became of one idle connection.
struct outcome {
  int fd = -1;
  bool ended = false;           ///< the server closed it
  bool refused = false;         ///< it got a 503 first
  test_clock::duration after{}; ///< from the flood's start to the close
};

/// BTCUSDT's restarts and trades in /status; false if the API did not answer.
// Two outputs of one query, named.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
bool child_counters(streamvisor_process& sv, std::uint64_t& restarts,
                    std::uint64_t& trades) {
  auto r = http_get(sv.api_port, "/status", false, 2s);
  if (r.status != 200)
    return false;
  auto doc = parse(r.body);
  auto& c = doc["children"][0];
  restarts = c["restarts"].GetUint64();
  trades = c["trades"].GetUint64();
  return true;
}

} // namespace

// Catch's CHECK macros count as branches for this check.
// NOLINTNEXTLINE(readability-function-cognitive-complexity)
TEST_CASE("under a 256-descriptor limit, 400 idle API connections neither "
          "busy-loop streamvisor, flood its log nor stall the stream, and "
          "idle ones are closed at the header deadline",
          "[integration][api_flood]") {
  auto dir = scratch_dir("fd-budget");
  make_certificate(dir);
  sim_process sim{dir, {"--rate", "100", "--seed", "3"}};
  auto log = dir + "/streamvisor.log";
  constexpr int header_timeout_ms = 1500;
  // Under prlimit, stderr into `log`; exec keeps the pid, so /proc/<pid> is
  // streamvisor's.
  streamvisor_process sv{dir,
                         sim.port,
                         {"--symbols", "BTCUSDT", "--api-header-timeout-ms",
                          std::to_string(header_timeout_ms)},
                         R"(exec prlimit --nofile=256:256 -- "$0" "$@" 2>')"
                           + log + "'"};
  auto pid = sv.child->pid();

  std::uint64_t restarts = 0;
  std::uint64_t trades_before = 0;
  std::uint64_t trades_after = 0;
  REQUIRE(eventually(
    [&] {
      return child_counters(sv, restarts, trades_before) && trades_before > 0;
    },
    15s));

  // The flood: 400 connections that never send a byte.
  constexpr int flood = 400;
  auto log_before = file_bytes(log);
  auto cpu_before = cpu_seconds(pid);
  auto flood_start = test_clock::now();
  std::vector<outcome> conns;
  for (int i = 0; i < flood; ++i) {
    outcome o;
    o.fd = idle_connection(sv.api_port);
    REQUIRE(o.fd >= 0);
    conns.push_back(o);
  }
  // Hold them until every one was answered 503 or closed by the server, and at
  // least 4 s (the old server busy-looped on EMFILE for as long as they stayed).
  auto hold_until = flood_start + 4s;
  auto give_up = flood_start + std::chrono::milliseconds(header_timeout_ms)
                 + 3s;
  std::size_t ended = 0;
  while (test_clock::now() < hold_until
         || (ended < conns.size() && test_clock::now() < give_up)) {
    std::vector<pollfd> fds;
    std::vector<outcome*> open;
    for (auto& c : conns)
      if (!c.ended) {
        fds.push_back(pollfd{c.fd, POLLIN, 0});
        open.push_back(&c);
      }
    if (fds.empty()) {
      std::this_thread::sleep_for(50ms);
      continue;
    }
    ::poll(fds.data(), fds.size(), 50);
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
        continue;
      std::array<char, 512> buf{};
      auto n = ::recv(fds[i].fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n > 0) {
        open[i]->refused = open[i]->refused
                           || std::string(buf.data(),
                                          static_cast<std::size_t>(n))
                                  .find(" 503 ")
                                != std::string::npos;
        continue;
      }
      open[i]->ended = true;
      open[i]->after = test_clock::now() - flood_start;
      ++ended;
    }
  }
  auto held = test_clock::now() - flood_start;
  auto cpu_used = cpu_seconds(pid) - cpu_before;
  auto held_s = std::chrono::duration<double>(held).count();

  // While the 400 sockets are still open on our side, the API answers again
  // (the server closed its ends) and the stream never restarted.
  bool api_answered = child_counters(sv, restarts, trades_after);
  auto log_growth = file_bytes(log) - log_before;

  std::size_t refused = 0;
  std::size_t timed_out = 0;
  auto earliest_timeout = test_clock::duration::max();
  auto latest_timeout = test_clock::duration::zero();
  for (auto& c : conns) {
    if (c.refused)
      ++refused;
    else if (c.ended) {
      ++timed_out;
      earliest_timeout = std::min(earliest_timeout, c.after);
      latest_timeout = std::max(latest_timeout, c.after);
    }
  }
  auto ms = [](test_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  std::printf("api_flood: held_s=%.2f cpu_s=%.3f cpu_pct=%.1f log_bytes=%lld "
              "refused=%zu header_timeouts=%zu first_timeout_ms=%lld "
              "last_timeout_ms=%lld api_answered=%d restarts=%llu "
              "trades=%llu->%llu\n",
              held_s, cpu_used, 100.0 * cpu_used / held_s, log_growth, refused,
              timed_out, static_cast<long long>(ms(earliest_timeout)),
              static_cast<long long>(ms(latest_timeout)), api_answered ? 1 : 0,
              static_cast<unsigned long long>(restarts),
              static_cast<unsigned long long>(trades_before),
              static_cast<unsigned long long>(trades_after));
  CHECK(api_answered);
  CHECK(cpu_used < 0.2 * held_s);
  CHECK(log_growth < 1'000'000);
  CHECK(restarts == 0);
  CHECK(trades_after > trades_before);
  // Every connection was refused at once or closed at the header deadline.
  CHECK(refused + timed_out == conns.size());
  CHECK(refused > 0);
  CHECK(timed_out > 0);
  CHECK(ms(earliest_timeout) >= header_timeout_ms - 100);
  CHECK(ms(latest_timeout) <= header_timeout_ms + 1000);

  // Released: /health answers within a second.
  for (auto& c : conns)
    ::close(c.fd);
  auto released = test_clock::now();
  bool healthy = eventually(
    [&] { return http_get(sv.api_port, "/health", false, 1s).status == 200; },
    1s, 10ms);
  std::printf("api_flood: health_after_release_ms=%lld\n",
              static_cast<long long>(ms(test_clock::now() - released)));
  CHECK(healthy);
  // Over the whole run, the stream never restarted.
  std::uint64_t trades_end = 0;
  REQUIRE(child_counters(sv, restarts, trades_end));
  std::printf("api_flood: restarts_at_end=%llu trades_at_end=%llu\n",
              static_cast<unsigned long long>(restarts),
              static_cast<unsigned long long>(trades_end));
  CHECK(restarts == 0);
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}
