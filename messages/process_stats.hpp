// process_stats: the process's own resource use, for /metrics (data only).
#pragma once

#include <cstdint>

namespace sv {

/// The process's resource use as Prometheus's client libraries name it
/// (process_cpu_seconds_total, ...). `known` is false if it could not be read.
struct process_stats {
  bool known = false;               ///< the figures below were read
  double cpu_seconds = 0;           ///< user + system CPU time since start
  std::uint64_t resident_bytes = 0; ///< resident set size
  std::uint64_t virtual_bytes = 0;  ///< virtual memory size
  std::uint64_t open_fds = 0;       ///< file descriptors open now
  std::uint64_t max_fds = 0;        ///< RLIMIT_NOFILE (soft)
  double start_time_seconds = 0;    ///< start time, seconds since the epoch
};

} // namespace sv
