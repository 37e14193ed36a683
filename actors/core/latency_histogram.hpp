// latency_histogram: fixed-size microsecond histogram for frame-to-update latency.
#pragma once

#include <array>
#include <cstdint>

#include "messages/metrics.hpp"

namespace sv {

/// Counts latency samples in 1 µs buckets up to `range_us`, plus one overflow
/// bucket. Fixed memory (80 KB), O(1) per sample, percentiles by a linear scan.
/// Not thread-safe: owned by one actor.
class latency_histogram {
public:
  /// 10 ms: anything slower is reported as "at least 10 ms" (max_us = range_us).
  static constexpr std::int64_t range_us = 10'000;

  /// Adds `count` samples of `us` microseconds (negative clamps to 0).
  void add(std::int64_t us, std::uint64_t count = 1) noexcept {
    auto index = us < 0 ? 0 : (us > range_us ? range_us : us);
    buckets_[static_cast<std::size_t>(index)] += count;
    samples_ += count;
  }

  /// Percentiles of everything added so far.
  latency_snapshot snapshot() const noexcept {
    latency_snapshot result;
    result.samples = samples_;
    if (samples_ == 0)
      return result;
    auto rank = [this](double q) {
      return static_cast<std::uint64_t>(q * static_cast<double>(samples_ - 1))
             + 1;
    };
    const std::uint64_t targets[] = {rank(0.5), rank(0.9), rank(0.99),
                                     rank(0.999)};
    std::int64_t* outputs[] = {&result.p50_us, &result.p90_us, &result.p99_us,
                               &result.p999_us};
    std::uint64_t seen = 0;
    std::size_t next = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      if (buckets_[i] == 0)
        continue;
      seen += buckets_[i];
      while (next < 4 && seen >= targets[next])
        *outputs[next++] = static_cast<std::int64_t>(i);
      result.max_us = static_cast<std::int64_t>(i);
    }
    return result;
  }

private:
  std::array<std::uint64_t, range_us + 1> buckets_{};
  std::uint64_t samples_ = 0;
};

} // namespace sv
