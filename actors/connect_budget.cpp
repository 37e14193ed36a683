// connect_budget: the process-wide limit on connection attempts.
#include "actors/connect_budget.hpp"

#include <algorithm>
#include <cassert>

namespace sv {

namespace {

constexpr std::int64_t burst_window_ns = 1'000'000'000;

} // namespace

connect_budget::connect_budget(std::uint32_t budget, std::int64_t window_ns,
                               std::uint32_t burst)
  : budget_(budget), window_ns_(window_ns), burst_(burst) {
  assert(budget_ > 0 && burst_ > 0 && window_ns_ > 0);
}

void connect_budget::expire(std::int64_t now_ns) {
  while (!grants_ns_.empty() && grants_ns_.front() <= now_ns - window_ns_)
    grants_ns_.pop_front();
}

bool connect_budget::try_acquire(std::int64_t now_ns) {
  if (next_available_ns(now_ns) > now_ns)
    return false;
  expire(now_ns);
  grants_ns_.push_back(now_ns);
  return true;
}

std::int64_t connect_budget::next_available_ns(std::int64_t now_ns) const {
  auto result = now_ns;
  // The long window: the grant that must leave it is the budget-th newest.
  auto in_window = static_cast<std::size_t>(
    grants_ns_.end()
    - std::upper_bound(grants_ns_.begin(), grants_ns_.end(), now_ns - window_ns_));
  if (in_window >= budget_)
    result = std::max(result, grants_ns_[grants_ns_.size() - budget_] + window_ns_);
  // The burst window, likewise with the burst-th newest grant.
  auto in_second = static_cast<std::size_t>(
    grants_ns_.end()
    - std::upper_bound(grants_ns_.begin(), grants_ns_.end(),
                       now_ns - burst_window_ns));
  if (in_second >= burst_)
    result = std::max(result,
                      grants_ns_[grants_ns_.size() - burst_] + burst_window_ns);
  return result;
}

std::size_t connect_budget::used(std::int64_t now_ns) const {
  return static_cast<std::size_t>(
    grants_ns_.end()
    - std::upper_bound(grants_ns_.begin(), grants_ns_.end(), now_ns - window_ns_));
}

} // namespace sv
