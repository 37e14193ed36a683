// nofile_limit: raises the process's soft descriptor limit (RLIMIT_NOFILE) to its hard limit.
#pragma once

#include <cstdint>

namespace sv {

/// RLIMIT_NOFILE before and after raise_nofile_limit().
struct nofile_limits {
  std::uint64_t soft_before = 0; ///< soft limit found at start
  std::uint64_t soft = 0;        ///< soft limit now (the budget's limit)
  std::uint64_t hard = 0;        ///< hard limit (RLIM_INFINITY shown as is)
  bool raised = false;           ///< setrlimit succeeded and changed it
};

/// Raises the soft RLIMIT_NOFILE to the hard limit, capped at `ceiling` (the
/// kernel's nr_open is 1048576 by default; an unlimited hard limit would make lws
/// size its tables for it). Call from main before any thread or lws context
/// starts: lws reads the limit when a context is created. On failure the limits
/// stay as found.
nofile_limits raise_nofile_limit(std::uint64_t ceiling = 1048576);

} // namespace sv
