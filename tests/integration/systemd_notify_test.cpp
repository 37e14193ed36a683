// systemd_notify_test: streamvisor under a fake systemd (a datagram socket named by
// NOTIFY_SOCKET): READY, STATUS, WATCHDOG at half of WATCHDOG_USEC, STOPPING.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"

using namespace sv::test;
using namespace std::chrono_literals;

namespace {

using test_clock = std::chrono::steady_clock;

/// One datagram and when it came.
struct notification {
  std::string text;
  test_clock::time_point at;
};

/// systemd's end of the protocol: a bound AF_UNIX datagram socket.
struct notify_socket {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::string path;
  std::vector<notification> got;

  explicit notify_socket(std::string p) : path(std::move(p)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(addr.sun_path));
    std::memcpy(static_cast<void*>(addr.sun_path), path.data(), path.size());
    std::remove(path.c_str());
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): sockets API.
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr))
            == 0);
  }
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;
  notify_socket(notify_socket&&) = delete;
  notify_socket& operator=(notify_socket&&) = delete;
  ~notify_socket() {
    ::close(fd);
    std::remove(path.c_str());
  }

  /// Reads datagrams until `done(got)` holds or `timeout` passes.
  template <class Predicate>
  bool read_until(Predicate done, std::chrono::milliseconds timeout) {
    auto deadline = test_clock::now() + timeout;
    while (!done(got)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - test_clock::now());
      if (left.count() <= 0)
        return false;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        continue;
      std::array<char, 512> buf{};
      auto n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n > 0)
        got.push_back({std::string{buf.data(), static_cast<std::size_t>(n)},
                       test_clock::now()});
    }
    return true;
  }
};

std::size_t count_with(const std::vector<notification>& xs,
                       const std::string& part) {
  return static_cast<std::size_t>(
    std::count_if(xs.begin(), xs.end(), [&](const notification& x) {
      return x.text.find(part) != std::string::npos;
    }));
}

} // namespace

TEST_CASE("under systemd streamvisor says READY once every child is started, "
          "pings the watchdog at half of WATCHDOG_USEC, reports how many "
          "children stream, and says STOPPING at SIGTERM",
          "[integration][systemd]") {
  auto dir = scratch_dir("systemd");
  make_certificate(dir);
  sim_process sim{dir, {"--rate", "10"}};
  notify_socket systemd{dir + "/notify.sock"};
  streamvisor_process sv{dir,
                         sim.port,
                         {"--symbols", "BTCUSDT,ETHUSDT"},
                         "export NOTIFY_SOCKET='" + systemd.path
                           + R"(' WATCHDOG_USEC=1000000; exec "$0" "$@")"};
  REQUIRE(
    systemd.read_until([](const auto& got) { return !got.empty(); }, 20s));
  CHECK(systemd.got[0].text.rfind("READY=1\nSTATUS=streaming ", 0) == 0);
  CHECK(systemd.got[0].text.find("/2") != std::string::npos);
  // Both stream; 6 pings, 0.5 s apart.
  REQUIRE(systemd.read_until(
    [](const auto& got) {
      return count_with(got, "STATUS=streaming 2/2") == 1
             && count_with(got, "WATCHDOG=1") >= 6;
    },
    20s));
  std::vector<double> gaps_ms;
  test_clock::time_point last{};
  for (const auto& x : systemd.got)
    if (x.text.find("WATCHDOG=1") != std::string::npos) {
      if (last != test_clock::time_point{})
        gaps_ms.push_back(
          std::chrono::duration<double, std::milli>(x.at - last).count());
      last = x.at;
    }
  std::sort(gaps_ms.begin(), gaps_ms.end());
  auto median = gaps_ms.at(gaps_ms.size() / 2);
  INFO("median gap between pings: " << median << " ms");
  CHECK(median > 400);
  CHECK(median < 700);
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
  systemd.read_until(
    [](const auto& got) { return count_with(got, "STOPPING=1") > 0; }, 2s);
  CHECK(count_with(systemd.got, "STOPPING=1\nSTATUS=stopping") == 1);
  CHECK(count_with(systemd.got, "READY=1") == 1);
}
