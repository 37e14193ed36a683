// service_notifier: systemd's notification protocol (sd_notify(3)), the datagrams
// READY=1, STATUS=..., WATCHDOG=1 and STOPPING=1 sent to $NOTIFY_SOCKET.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

namespace sv {

/// Where the service tells its state: systemd, or a test's recorder.
class service_notify_sink {
public:
  service_notify_sink() = default;
  virtual ~service_notify_sink() = default;
  service_notify_sink(const service_notify_sink&) = delete;
  service_notify_sink& operator=(const service_notify_sink&) = delete;
  service_notify_sink(service_notify_sink&&) = delete;
  service_notify_sink& operator=(service_notify_sink&&) = delete;

  /// Sends newline-separated assignments ("READY=1\nSTATUS=streaming 2/2").
  /// Any thread; never blocks; a failure is logged (once) and dropped.
  virtual void notify(std::string_view state) = 0;
};

/// sd_notify(3) without libsystemd: one datagram per notify() on an AF_UNIX
/// socket to the path systemd passes in NOTIFY_SOCKET ("/run/..." or "@name" for
/// the abstract namespace). Without NOTIFY_SOCKET (not under systemd, or a unit
/// that is not Type=notify) it sends nothing.
class service_notifier final : public service_notify_sink {
public:
  /// `notify_socket` is NOTIFY_SOCKET's value (null: disabled). An unusable value
  /// (too long, relative) is logged and disables it.
  explicit service_notifier(const char* notify_socket);
  ~service_notifier() override;
  service_notifier(const service_notifier&) = delete;
  service_notifier& operator=(const service_notifier&) = delete;
  service_notifier(service_notifier&&) = delete;
  service_notifier& operator=(service_notifier&&) = delete;

  /// True if there is somewhere to send to.
  [[nodiscard]] bool enabled() const {
    return fd_ >= 0;
  }

  void notify(std::string_view state) override;

private:
  int fd_ = -1;      ///< SOCK_DGRAM | SOCK_CLOEXEC, or -1
  std::string path_; ///< NOTIFY_SOCKET, '@' already turned into '\0'
  std::atomic<bool> failure_logged_{false}; ///< one WARN, not one per ping
};

/// How often to send WATCHDOG=1: half of WATCHDOG_USEC (`watchdog_usec`, in
/// µs) when it is a positive number and WATCHDOG_PID (`watchdog_pid`) is unset
/// or `pid`; zero (no pings) otherwise. Pure.
std::chrono::microseconds watchdog_ping_interval(const char* watchdog_usec,
                                                 const char* watchdog_pid,
                                                 long pid);

} // namespace sv
