// weight_budget: the process-wide limit on REST request weight (Binance: 6000 per minute per IP).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace sv {

/// Two sliding windows over granted requests: their weights sum to at most `budget`
/// in any `window_ns`, and at most `burst` requests start in any second. Exact (a
/// log of grants, not a token bucket). A request heavier than the whole budget is
/// charged the whole budget, so it waits for an empty window instead of forever.
/// Memory: one entry per request in the window. Not thread-safe: owned by one actor.
class weight_budget {
public:
  /// `budget` weight per `window_ns`, `burst` requests per second; all > 0 (asserted).
  weight_budget(std::uint32_t budget, std::int64_t window_ns,
                std::uint32_t burst);

  /// Grants a request of `weight` at `now_ns` if both windows allow it, and records it.
  bool try_acquire(std::int64_t now_ns, std::uint32_t weight);

  /// The earliest time at or after `now_ns` when a request of `weight` fits.
  std::int64_t next_available_ns(std::int64_t now_ns,
                                 std::uint32_t weight) const;

  /// Weight granted within the window ending at `now_ns`.
  std::uint64_t used(std::int64_t now_ns) const;

private:
  struct grant {
    std::int64_t at_ns = 0;   ///< when it was granted
    std::uint32_t weight = 0; ///< what it was charged
  };

  std::uint32_t charge(std::uint32_t weight) const;
  void expire(std::int64_t now_ns);

  std::uint32_t budget_;
  std::int64_t window_ns_;
  std::uint32_t burst_;
  std::deque<grant>
    grants_; ///< inside the longer of the two windows, oldest first
};

} // namespace sv
