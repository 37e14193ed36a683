// scheduler_tuning: the CAF scheduler settings streamvisor runs with.
#include "app/scheduler_tuning.hpp"

#include <algorithm>
#include <thread>

#include <caf/timespan.hpp>

namespace sv {

void apply_scheduler_defaults(caf::actor_system_config& cfg) {
  auto cores = std::max<std::size_t>(1, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", cores);
  cfg.set("work-stealing.moderate-sleep-duration", caf::timespan{0});
}

} // namespace sv
