// restart_policy: when a failed child may connect again (jittered backoff, intensity, parking).
#include "actors/core/restart_policy.hpp"

#include <algorithm>

namespace sv {

namespace {

// 2^20 * any sane initial delay exceeds any sane cap; stop doubling there so the
// shift can never overflow.
constexpr std::uint32_t exponent_max = 20;

} // namespace

restart_decision
decide_restart(const restart_policy_config& cfg, restart_history& history,
               std::int64_t now_ns, std::int64_t streamed_ms,
               std::int64_t retry_after_ms, std::mt19937_64& rng) {
  if (streamed_ms >= cfg.stable_after_ms)
    history.exponent = 0;
  auto window_ns = cfg.restart_window_ms * 1'000'000;
  while (!history.restarts_ns.empty()
         && history.restarts_ns.front() <= now_ns - window_ns)
    history.restarts_ns.pop_front();
  history.restarts_ns.push_back(now_ns);
  restart_decision result;
  if (history.restarts_ns.size() > cfg.max_restarts) {
    result.park = true;
    result.delay_ms = cfg.park_ms;
    history.restarts_ns.clear();
    history.exponent = 0;
  } else {
    auto bound = std::min(cfg.backoff_max_ms,
                          cfg.backoff_initial_ms << history.exponent);
    result.delay_ms
      = cfg.jitter ? std::uniform_int_distribution<std::int64_t>{0, bound}(rng)
                   : bound;
    history.exponent = std::min(history.exponent + 1, exponent_max);
  }
  if (retry_after_ms >= 0)
    result.delay_ms = std::max(result.delay_ms, retry_after_ms);
  return result;
}

} // namespace sv
