// latency_histogram: log-linear microsecond histogram for frame-to-update latency.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "messages/metrics.hpp"

namespace sv {

/// Counts latency samples in log-linear buckets up to `range_us`, plus one
/// overflow bucket: 1 µs buckets below 128 µs, then 64 buckets per power of two
/// (each 1/64 of its power wide, so a percentile above 128 µs is at most 1.6 %
/// high, never low: a bucket reports its highest value). 577 buckets, 4.6 KB per
/// symbol (1 µs buckets to 10 ms took 80 KB); O(1) per sample, percentiles by a
/// linear scan. Not thread-safe: owned by one actor.
class latency_histogram {
public:
  /// 10 ms: anything slower is reported as "at least 10 ms" (max_us = range_us).
  static constexpr std::int64_t range_us = 10'000;

  /// Adds `count` samples of `us` microseconds (negative clamps to 0).
  void add(std::int64_t us, std::uint64_t count = 1) noexcept {
    buckets_[bucket_of(us)] += count;
    samples_ += count;
    sum_us_ += static_cast<std::uint64_t>(us < 0 ? 0 : us) * count;
  }

  /// The upper bounds of /metrics's frame-to-aggregator histogram, in µs.
  static constexpr std::array<std::int64_t, 10> prometheus_bounds_us
    = {10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

  /// Everything added so far in prometheus_bounds_us buckets. A sample counts
  /// at its bucket's highest value, so above 128 µs it may land one bound high
  /// (a 250 µs sample shares a bucket with 251 µs: le=500), never low; samples
  /// over range_us count in +Inf only.
  [[nodiscard]] histogram_counts prometheus_counts() const {
    histogram_counts result;
    for (auto bound : prometheus_bounds_us)
      result.bounds_s.push_back(static_cast<double>(bound) / 1e6);
    result.counts.assign(prometheus_bounds_us.size() + 1, 0);
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      auto n = buckets_.at(i);
      if (n == 0)
        continue;
      std::size_t slot = 0;
      // The overflow bucket is over every bound: +Inf.
      while (slot < prometheus_bounds_us.size()
             && (i == overflow_bucket
                 || highest_of(i) > prometheus_bounds_us.at(slot)))
        ++slot;
      result.counts.at(slot) += n;
    }
    result.sum_s = static_cast<double>(sum_us_) / 1e6;
    result.count = samples_;
    return result;
  }

  /// Percentiles of everything added so far.
  latency_snapshot snapshot() const noexcept {
    latency_snapshot result;
    result.samples = samples_;
    result.buckets = prometheus_counts();
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
        *outputs[next++] = highest_of(i);
      result.max_us = highest_of(i);
    }
    return result;
  }

  /// The bucket of `us`: exact below 128 µs, then the top 7 bits of the value.
  static constexpr std::size_t bucket_of(std::int64_t us) noexcept {
    if (us < 0)
      us = 0;
    if (us > range_us)
      return overflow_bucket;
    auto v = static_cast<std::uint64_t>(us);
    if (v < exact_below)
      return static_cast<std::size_t>(v);
    unsigned shift = 0; // v >> shift keeps 7 bits: 64..127
    while ((v >> shift) >= exact_below)
      ++shift;
    return static_cast<std::size_t>(exact_below + (shift - 1) * sub_buckets
                                    + ((v >> shift) - sub_buckets));
  }

  /// The highest value bucket `i` holds (range_us for the overflow bucket).
  static constexpr std::int64_t highest_of(std::size_t i) noexcept {
    if (i == overflow_bucket)
      return range_us;
    if (i < exact_below)
      return static_cast<std::int64_t>(i);
    auto shift = (i - exact_below) / sub_buckets + 1;
    auto top = (i - exact_below) % sub_buckets + sub_buckets;
    auto highest = static_cast<std::int64_t>(((top + 1) << shift) - 1);
    return highest < range_us ? highest : range_us;
  }

private:
  static constexpr std::uint64_t exact_below = 128; ///< 1 µs buckets below this
  static constexpr std::uint64_t sub_buckets = 64;  ///< per power of two above
  /// Powers of two above exact_below up to range_us: 2^7..2^13 (10,000 < 2^14).
  static constexpr std::size_t powers = 7;
  static constexpr std::size_t overflow_bucket = exact_below
                                                 + powers * sub_buckets;
  static_assert(range_us < (std::int64_t{1} << 14), "powers covers range_us");

  std::array<std::uint64_t, overflow_bucket + 1> buckets_{};
  std::uint64_t samples_ = 0;
  std::uint64_t sum_us_ = 0; ///< of every sample as added (negatives as 0)
};

} // namespace sv
