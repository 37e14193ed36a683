// histogram_counts: a histogram as Prometheus exposes it (bounds, counts, sum), data only.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace sv {

/// A histogram with fixed upper bounds, as /metrics renders it. Counts are per
/// bucket (not cumulative): `counts[i]` holds the samples in
/// (bounds_s[i-1], bounds_s[i]], and `counts.back()` those above every bound
/// (`le="+Inf"`), so `counts.size() == bounds_s.size() + 1`.
struct histogram_counts {
  std::vector<double> bounds_s;      ///< upper bounds in seconds, ascending
  std::vector<std::uint64_t> counts; ///< per bucket; one more than bounds_s
  double sum_s = 0;                  ///< sum of every sample, seconds
  std::uint64_t count = 0;           ///< samples; equals the sum of counts
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, histogram_counts& x) {
  return f(caf::meta::type_name("histogram_counts"), x.bounds_s, x.counts,
           x.sum_s, x.count);
}

/// Adds `from`'s counts into `into`. Both must have the same bounds, or `into`
/// none yet (then it takes `from`'s).
inline void merge(histogram_counts& into, const histogram_counts& from) {
  if (into.counts.empty()) {
    into = from;
    return;
  }
  if (into.bounds_s != from.bounds_s)
    return;
  for (std::size_t i = 0; i < into.counts.size(); ++i)
    into.counts[i] += from.counts[i];
  into.sum_s += from.sum_s;
  into.count += from.count;
}

} // namespace sv
