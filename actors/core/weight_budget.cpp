// weight_budget: the process-wide limit on REST request weight.
#include "actors/core/weight_budget.hpp"

#include <algorithm>
#include <cassert>

namespace sv {

namespace {

constexpr std::int64_t burst_window_ns = 1'000'000'000;

} // namespace

weight_budget::weight_budget(std::uint32_t budget, std::int64_t window_ns,
                             std::uint32_t burst)
  : budget_(budget), window_ns_(window_ns), burst_(burst) {
  assert(budget_ > 0 && burst_ > 0 && window_ns_ > 0);
}

std::uint32_t weight_budget::charge(std::uint32_t weight) const {
  return std::min(std::max<std::uint32_t>(weight, 1), budget_);
}

void weight_budget::expire(std::int64_t now_ns) {
  auto horizon = std::max(window_ns_, burst_window_ns);
  while (!grants_.empty() && grants_.front().at_ns <= now_ns - horizon)
    grants_.pop_front();
}

bool weight_budget::try_acquire(std::int64_t now_ns, std::uint32_t weight) {
  if (next_available_ns(now_ns, weight) > now_ns)
    return false;
  expire(now_ns);
  grants_.push_back(grant{now_ns, charge(weight)});
  return true;
}

std::int64_t weight_budget::next_available_ns(std::int64_t now_ns,
                                              std::uint32_t weight) const {
  auto result = now_ns;
  // The weight window: drop the oldest grants (at their expiry times) until the
  // request fits.
  std::uint64_t in_window = used(now_ns);
  auto need = charge(weight);
  for (auto& g : grants_) {
    if (in_window + need <= budget_)
      break;
    if (g.at_ns <= now_ns - window_ns_)
      continue; // already outside, not counted in in_window
    in_window -= g.weight;
    result = std::max(result, g.at_ns + window_ns_);
  }
  // The burst window: the burst-th newest request must have left it.
  std::size_t in_second = 0;
  for (auto it = grants_.rbegin(); it != grants_.rend(); ++it) {
    if (it->at_ns <= now_ns - burst_window_ns)
      break;
    if (++in_second == burst_) {
      result = std::max(result, it->at_ns + burst_window_ns);
      break;
    }
  }
  return result;
}

std::uint64_t weight_budget::used(std::int64_t now_ns) const {
  std::uint64_t sum = 0;
  for (auto it = grants_.rbegin(); it != grants_.rend(); ++it) {
    if (it->at_ns <= now_ns - window_ns_)
      break;
    sum += it->weight;
  }
  return sum;
}

} // namespace sv
