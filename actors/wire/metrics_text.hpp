// metrics_text: renders /metrics in Prometheus's text format 0.0.4.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "messages/backfill_status.hpp"
#include "messages/feed.hpp"
#include "messages/histogram.hpp"
#include "messages/pool_status.hpp"
#include "messages/process_stats.hpp"
#include "messages/publisher_status.hpp"
#include "messages/shard_status.hpp"
#include "messages/status.hpp"
#include "messages/supervisor_metrics.hpp"
#include "messages/transport_counters.hpp"

namespace sv {

/// What one scrape shows. Null pointers leave their families out (an actor
/// that did not answer, a process without a socket pool or feed).
struct metrics_inputs {
  std::string_view version; ///< streamvisor_build_info
  const std::vector<child_status>* children = nullptr; ///< per-stream series
  const supervisor_metrics* supervisor = nullptr; ///< connect latency, budget
  const backfill_status* backfill = nullptr;      ///< REST weight and pauses
  const pool_status* pool = nullptr;              ///< shared sockets
  const transport_counters* transport = nullptr;  ///< refused peer input
  /// Frame arrival to aggregator update, every aggregator's samples merged.
  const histogram_counts* frame_latency = nullptr;
  const process_stats* process = nullptr; ///< process_* families (if known)
  const feed_status* feed = nullptr;      ///< the WebSocket feed's clients
  const publisher_status* nats = nullptr; ///< the JetStream publisher
  const shard_status* shard = nullptr;    ///< the shard group member
};

/// The body of GET /metrics: `# HELP` and `# TYPE` once per family, then its
/// samples; label values escaped; histograms as cumulative `_bucket` series up
/// to `le="+Inf"` (equal to `_count`), `_sum` and `_count`. Names follow the
/// naming guide (docs/operations.md lists every family). Pure.
std::string metrics_text(const metrics_inputs& in);

} // namespace sv
