// service_notifier_test: sd_notify datagrams reach the socket NOTIFY_SOCKET names, on a
// path or in the abstract namespace; the watchdog period is half of WATCHDOG_USEC.
#include "app/service_notifier.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <string>

#include <catch2/catch.hpp>

namespace {

/// A bound AF_UNIX datagram socket standing in for systemd.
struct fake_systemd {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::string name; ///< as NOTIFY_SOCKET spells it

  explicit fake_systemd(std::string notify_socket)
    : name(std::move(notify_socket)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    auto path = name;
    if (path.front() == '@')
      path.front() = '\0';
    std::memcpy(static_cast<void*>(addr.sun_path), path.data(), path.size());
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path)
                                      + path.size()
                                      + (path.front() == '\0' ? 0 : 1));
    std::remove(name.c_str());
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): sockets API.
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) == 0);
  }
  fake_systemd(const fake_systemd&) = delete;
  fake_systemd& operator=(const fake_systemd&) = delete;
  fake_systemd(fake_systemd&&) = delete;
  fake_systemd& operator=(fake_systemd&&) = delete;
  ~fake_systemd() {
    ::close(fd);
    if (name.front() == '/')
      std::remove(name.c_str());
  }

  /// The next datagram (already sent: the sender never blocks).
  [[nodiscard]] std::string next() const {
    std::array<char, 512> buf{};
    auto n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    return n < 0 ? std::string{"<none>"}
                 : std::string{buf.data(), static_cast<std::size_t>(n)};
  }
};

} // namespace

TEST_CASE("notifications reach NOTIFY_SOCKET as one datagram each, on a path "
          "or in the abstract namespace",
          "[service_notifier]") {
  auto pid = std::to_string(::getpid());
  for (const auto& name : {"/tmp/sv_notify_" + pid, "@sv_notify_" + pid}) {
    INFO(name);
    fake_systemd systemd{name};
    sv::service_notifier n{name.c_str()};
    REQUIRE(n.enabled());
    n.notify("READY=1\nSTATUS=streaming 0/1, 1 connecting");
    n.notify("WATCHDOG=1");
    CHECK(systemd.next() == "READY=1\nSTATUS=streaming 0/1, 1 connecting");
    CHECK(systemd.next() == "WATCHDOG=1");
    CHECK(systemd.next() == "<none>");
  }
}

TEST_CASE("without a usable NOTIFY_SOCKET nothing is sent and nothing fails",
          "[service_notifier]") {
  for (const char* name : {static_cast<const char*>(nullptr), "", "relative"}) {
    sv::service_notifier n{name};
    CHECK_FALSE(n.enabled());
    n.notify("READY=1");
  }
  std::string too_long = "/" + std::string(200, 'x');
  sv::service_notifier n{too_long.c_str()};
  CHECK_FALSE(n.enabled());
  // A socket nobody listens on: the failure is logged once, not thrown.
  sv::service_notifier gone{"/tmp/sv_notify_nobody_listens"};
  REQUIRE(gone.enabled());
  gone.notify("WATCHDOG=1");
  gone.notify("WATCHDOG=1");
}

TEST_CASE("the watchdog pings at half of WATCHDOG_USEC, and only for the pid "
          "WATCHDOG_PID names",
          "[service_notifier]") {
  using us = std::chrono::microseconds;
  CHECK(sv::watchdog_ping_interval("30000000", nullptr, 42) == us{15000000});
  CHECK(sv::watchdog_ping_interval("30000000", "42", 42) == us{15000000});
  CHECK(sv::watchdog_ping_interval("30000000", "43", 42) == us{0});
  CHECK(sv::watchdog_ping_interval(nullptr, "42", 42) == us{0});
  CHECK(sv::watchdog_ping_interval("0", nullptr, 42) == us{0});
  CHECK(sv::watchdog_ping_interval("-5", nullptr, 42) == us{0});
  CHECK(sv::watchdog_ping_interval("12x", nullptr, 42) == us{0});
}
