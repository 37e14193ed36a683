// service_notifier: the sd_notify(3) datagram, written by hand: the protocol is one
// sendto() and does not justify a libsystemd dependency.
#include "app/service_notifier.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "actors/core/log.hpp"

namespace sv {

namespace {

/// `text` as a positive decimal without sign or space; 0 for anything else.
unsigned long long positive_number(const char* text) {
  if (text == nullptr || *text < '0' || *text > '9')
    return 0;
  char* end = nullptr;
  errno = 0;
  auto n = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0')
    return 0;
  return n;
}

} // namespace

service_notifier::service_notifier(const char* notify_socket) {
  if (notify_socket == nullptr || *notify_socket == '\0')
    return;
  std::string path{notify_socket};
  if (path.front() != '/' && path.front() != '@') {
    SV_WARN("streamvisor", "-", "notify_socket_unusable",
            "path=\"%s\" hint=\"NOTIFY_SOCKET must be absolute or @abstract; "
            "systemd readiness and watchdog are off\"",
            path.c_str());
    return;
  }
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    SV_WARN("streamvisor", "-", "notify_socket_unusable",
            "path=\"%s\" hint=\"NOTIFY_SOCKET is too long; systemd readiness "
            "and watchdog are off\"",
            path.c_str());
    return;
  }
  if (path.front() == '@')
    path.front() = '\0'; // the abstract namespace
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    SV_WARN("streamvisor", "-", "notify_socket_unusable",
            "error=\"%s\" hint=\"systemd readiness and watchdog are off\"",
            std::generic_category().message(errno).c_str());
    return;
  }
  path_ = std::move(path);
}

service_notifier::~service_notifier() {
  if (fd_ >= 0)
    ::close(fd_);
}

void service_notifier::notify(std::string_view state) {
  if (fd_ < 0)
    return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(static_cast<void*>(addr.sun_path), path_.data(), path_.size());
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path)
                                    + path_.size()
                                    + (path_.front() == '\0' ? 0 : 1));
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API.
  const auto* to = reinterpret_cast<const sockaddr*>(&addr);
  if (::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT, to,
               len)
      >= 0)
    return;
  if (!failure_logged_.exchange(true)) {
    SV_WARN("streamvisor", "-", "notify_failed",
            "error=\"%s\" hint=\"systemd did not get the service state; the "
            "next notifications are tried, failures no longer logged\"",
            std::generic_category().message(errno).c_str());
  }
}

std::chrono::microseconds watchdog_ping_interval(const char* watchdog_usec,
                                                 const char* watchdog_pid,
                                                 long pid) {
  auto usec = positive_number(watchdog_usec);
  if (usec == 0)
    return std::chrono::microseconds{0};
  if (watchdog_pid != nullptr
      && positive_number(watchdog_pid) != static_cast<unsigned long long>(pid))
    return std::chrono::microseconds{0};
  return std::chrono::microseconds{static_cast<long long>(usec / 2)};
}

} // namespace sv
