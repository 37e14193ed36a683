// connect_budget: the process-wide limit on connection attempts (Binance: 300 per 5 min per IP).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace sv {

/// Two sliding windows over the times of granted attempts: at most `budget` in any
/// `window_ns`, and at most `burst` in any second. Exact (a log of grants, not a
/// token bucket, which would allow budget + burst in a window). Memory: at most
/// `budget` timestamps. Not thread-safe: owned by the supervisor.
class connect_budget {
public:
  connect_budget(std::uint32_t budget, std::int64_t window_ns, std::uint32_t burst);

  /// Grants an attempt at `now_ns` if both windows allow it, and records it.
  bool try_acquire(std::int64_t now_ns);

  /// The earliest time at or after `now_ns` when try_acquire will succeed.
  std::int64_t next_available_ns(std::int64_t now_ns) const;

  /// Attempts granted within the long window ending at `now_ns`.
  std::size_t used(std::int64_t now_ns) const;

private:
  void expire(std::int64_t now_ns);

  std::uint32_t budget_;
  std::int64_t window_ns_;
  std::uint32_t burst_;
  std::deque<std::int64_t> grants_ns_; ///< inside the long window, oldest first
};

} // namespace sv
