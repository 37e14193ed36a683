// process_stats_source: the seam through which /metrics reads the process's own figures.
#pragma once

#include "messages/process_stats.hpp"

namespace sv {

/// Reads the process's figures: /proc/self in the daemon (app/proc_self_stats.hpp),
/// fixed values in tests.
class process_stats_source {
public:
  process_stats_source() = default;
  process_stats_source(const process_stats_source&) = delete;
  process_stats_source& operator=(const process_stats_source&) = delete;
  process_stats_source(process_stats_source&&) = delete;
  process_stats_source& operator=(process_stats_source&&) = delete;
  virtual ~process_stats_source() = default;

  /// Any thread; a few small reads of /proc, never blocks on the network. On a
  /// read failure the result has known = false.
  [[nodiscard]] virtual process_stats read() const = 0;
};

} // namespace sv
