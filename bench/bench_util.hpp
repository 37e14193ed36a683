// bench_util: measurements every benchmark program reports the same way (elapsed time, peak RSS).
#pragma once

#include <sys/resource.h>

#include <chrono>

namespace sv::bench {

/// Seconds on the steady clock since `t0`.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
    .count();
}

/// Peak resident set size of the process so far, MiB (ru_maxrss is KiB on Linux).
inline double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

} // namespace sv::bench
