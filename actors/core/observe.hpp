// observe: adds samples to a histogram_counts with fixed bounds (pure, no I/O).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "messages/histogram.hpp"

namespace sv {

/// An empty histogram with `bounds_s` (seconds, ascending) and the +Inf bucket.
inline histogram_counts make_histogram(std::vector<double> bounds_s) {
  histogram_counts result;
  result.counts.assign(bounds_s.size() + 1, 0);
  result.bounds_s = std::move(bounds_s);
  return result;
}

/// Adds one sample of `value_s` seconds to the first bucket whose bound is >= it
/// (Prometheus's `le`), or to +Inf.
inline void observe(histogram_counts& h, double value_s) {
  std::size_t slot = h.bounds_s.size();
  for (std::size_t i = 0; i < h.bounds_s.size(); ++i)
    if (value_s <= h.bounds_s[i]) {
      slot = i;
      break;
    }
  h.counts[slot] += 1;
  h.sum_s += value_s;
  h.count += 1;
}

} // namespace sv
