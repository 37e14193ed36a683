// proc_self_stats: reads the process's CPU, memory and fds from /proc/self for /metrics.
#pragma once

#include "actors/seams/process_stats_source.hpp"

namespace sv {

/// The daemon's process_stats_source: /proc/self/stat (CPU time, sizes, start
/// time), /proc/stat (boot time), /proc/self/fd and RLIMIT_NOFILE, read on
/// every call (one scrape: about 20 µs plus one readdir of the fds).
class proc_self_stats : public process_stats_source {
public:
  /// Any thread. known = false if /proc/self/stat or /proc/stat cannot be read.
  [[nodiscard]] process_stats read() const override;
};

} // namespace sv
