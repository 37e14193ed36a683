// bench_util: measurements every benchmark program reports the same way (elapsed time, peak RSS).
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string_view>
#include <vector>

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

/// CLOCK_REALTIME in µs since the epoch: the firehose's -L send stamps in "E".
inline std::int64_t realtime_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

/// The unsigned integer right after `key` in `text` (`"E":` -> its value), or -1.
inline std::int64_t number_after(std::string_view text, std::string_view key) {
  auto at = text.find(key);
  if (at == std::string_view::npos)
    return -1;
  std::int64_t v = 0;
  for (auto i = at + key.size();
       i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
    v = v * 10 + (text[i] - '0');
  return v;
}

/// The q-quantile (0..1) of `xs` by nth_element (reorders xs); -1 when empty.
inline std::int64_t percentile(std::vector<std::int64_t>& xs, double q) {
  if (xs.empty())
    return -1;
  auto k = static_cast<std::size_t>(q * static_cast<double>(xs.size() - 1));
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(k),
                   xs.end());
  return xs[k];
}

} // namespace sv::bench
