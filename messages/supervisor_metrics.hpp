// supervisor_metrics: the supervisor's process-wide figures for /metrics (data only).
#pragma once

#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "messages/histogram.hpp"

namespace sv {

/// The supervisor's answer to metrics_atom: what no single child shows.
struct supervisor_metrics {
  /// Attempt start to first frame of every attempt that streamed, one
  /// histogram per stream_kind (indexed by its value: aggTrade, depth).
  std::vector<histogram_counts> connect_latency;
  std::uint64_t connect_budget_used
    = 0;                            ///< attempts in the budget's window now
  std::uint32_t connect_budget = 0; ///< attempts the window allows
  std::uint64_t waiting = 0;        ///< children waiting for the budget now
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_metrics& x) {
  return f(caf::meta::type_name("supervisor_metrics"), x.connect_latency,
           x.connect_budget_used, x.connect_budget, x.waiting);
}

} // namespace sv
