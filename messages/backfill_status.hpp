// backfill_status: the backfill actor's REST budget and pauses, for /metrics (data only).
#pragma once

#include <cstdint>

#include <caf/meta/type_name.hpp>

namespace sv {

/// The backfill actor's answer to status_atom.
struct backfill_status {
  std::uint64_t weight_used = 0;   ///< REST weight spent in the budget's window
  std::uint32_t weight_budget = 0; ///< REST weight the window allows
  /// The exchange's own count (X-MBX-USED-WEIGHT-1M) in its last answer, -1 if none.
  std::int32_t weight_used_reported = -1;
  std::uint64_t pauses_429 = 0; ///< 429 answers (rate limit), each a pause
  std::uint64_t pauses_418 = 0; ///< 418 answers (IP ban), each a pause
  std::uint64_t requests_timed_out = 0; ///< requests given up at their deadline
  std::uint64_t jobs_refused = 0; ///< requests refused with jobs_max queued
  std::uint64_t jobs_queued = 0;  ///< jobs waiting or in flight now
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backfill_status& x) {
  return f(caf::meta::type_name("backfill_status"), x.weight_used,
           x.weight_budget, x.weight_used_reported, x.pauses_429, x.pauses_418,
           x.requests_timed_out, x.jobs_refused, x.jobs_queued);
}

} // namespace sv
