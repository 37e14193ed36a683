// scheduler_tuning: the CAF scheduler settings streamvisor runs with.
#include "app/scheduler_tuning.hpp"

#include <algorithm>
#include <thread>

#include <caf/timespan.hpp>

namespace sv {

void apply_scheduler_defaults(caf::actor_system_config& cfg) {
  auto cores = static_cast<std::size_t>(std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads",
          std::max<std::size_t>(1, cores > 1 ? cores - 1 : 1));
  cfg.set("work-stealing.moderate-sleep-duration", caf::timespan{0});
}

} // namespace sv
