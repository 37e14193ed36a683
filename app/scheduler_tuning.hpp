// scheduler_tuning: the CAF scheduler settings streamvisor runs with (see docs/performance.md).
#pragma once

#include <caf/actor_system_config.hpp>

namespace sv {

/// Sets streamvisor's scheduler defaults on `cfg` before the actor system starts:
/// - `scheduler.max-threads` = cores - 1, at least 1: the libwebsockets feed thread
///   is the pipeline's bottleneck and gets a core of its own (CAF 0.17 would start
///   at least 4 workers). On 2 cores, 1 worker ran the firehose at 958,859 msgs/s
///   against 790,761 with 2, at the same latency (p50 10 µs, p99 ~200 µs at 20k/s);
/// - `work-stealing.moderate-sleep-duration` = 0: an idle worker polls for a short
///   while without sleeping before it blocks. With CAF's 50 µs sleep (stretched to
///   ~100 µs by timer slack) each batch at 20,000 msgs/s waited out a sleep: p50 went
///   from 70 µs to 14-20 µs in bench/pipeline_bench.
/// Later `cfg.set` calls override these.
void apply_scheduler_defaults(caf::actor_system_config& cfg);

} // namespace sv
