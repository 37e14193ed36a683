// restart_policy: when a failed child may connect again (jittered backoff, intensity, parking).
#pragma once

#include <cstdint>
#include <deque>
#include <random>

namespace sv {

/// The restart rules of docs/supervision.md, as numbers.
struct restart_policy_config {
  std::int64_t backoff_initial_ms = 500; ///< bound of the first delay
  std::int64_t backoff_max_ms = 30000;   ///< cap of the doubling bound
  std::int64_t stable_after_ms
    = 60000;                       ///< streaming this long resets the bound
  std::uint32_t max_restarts = 10; ///< more within the window parks the child
  std::int64_t restart_window_ms = 300000; ///< sliding window for max_restarts
  std::int64_t park_ms = 300000;           ///< how long a parked child waits
  /// Full jitter (uniform in [0, bound]). Off only in tests that need exact
  /// delays: then the delay is the bound itself.
  bool jitter = true;
};

/// One child's restart history (owned by the supervisor's child record).
struct restart_history {
  std::deque<std::int64_t>
    restarts_ns; ///< times of restarts inside the window, oldest first
  std::uint32_t exponent
    = 0; ///< consecutive restarts since the last stable period
};

/// What to do with a child that just died.
struct restart_decision {
  bool park = false;         ///< true: too many restarts, wait park_ms
  std::int64_t delay_ms = 0; ///< wait this long before the next attempt
};

/// Decides the next restart of one child and records it in `history`.
///
/// - `streamed_ms`: how long the attempt that died had been streaming (-1: never).
///   Streaming at least stable_after_ms resets the exponent first, so a long-lived
///   connection that drops reconnects within backoff_initial_ms.
/// - Delay: uniform in [0, min(backoff_max_ms, backoff_initial_ms * 2^exponent)]
///   ("full jitter"), drawn from `rng`; then the exponent grows.
/// - `retry_after_ms` >= 0 (a rejected upgrade's Retry-After): the delay is at least that.
/// - More than max_restarts restarts within restart_window_ms: park for park_ms and
///   forget the history, so the child starts afresh after the park.
restart_decision
decide_restart(const restart_policy_config& cfg, restart_history& history,
               std::int64_t now_ns, std::int64_t streamed_ms,
               std::int64_t retry_after_ms, std::mt19937_64& rng);

} // namespace sv
