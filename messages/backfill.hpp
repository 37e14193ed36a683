// backfill_request, backfill_batch, backfill_failed: filling a gap in a symbol's trade ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "messages/trade.hpp"

namespace sv {

/// Aggregator → backfill actor: trades [from_id, to_id] are missing. The answer goes
/// to the sender: backfill_batch messages (ascending ids), then nothing more, or a
/// backfill_failed for what could not be fetched.
struct backfill_request {
  std::string symbol;        ///< upper case
  std::uint64_t from_id = 0; ///< first missing aggregate id
  std::uint64_t to_id = 0;   ///< last missing aggregate id (inclusive)
  /// Warm start: >= 0 means "from the first trade at or after this time" (from_id is
  /// then 0 and found by a startTime query first).
  std::int64_t start_time_ms = -1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backfill_request& x) {
  return f(caf::meta::type_name("backfill_request"), x.symbol, x.from_id,
           x.to_id, x.start_time_ms);
}

/// Backfill actor → aggregator: one page of the missing trades, ids ascending,
/// all within [from_id, to_id] of the request.
struct backfill_batch {
  std::string symbol;        ///< upper case
  std::uint64_t from_id = 0; ///< the gap this page belongs to
  std::uint64_t to_id = 0;   ///< likewise
  std::vector<trade> trades; ///< ascending aggregate ids
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backfill_batch& x) {
  return f(caf::meta::type_name("backfill_batch"), x.symbol, x.from_id, x.to_id,
           x.trades);
}

/// Backfill actor → aggregator: [from_id, to_id] stays missing (retries exhausted,
/// or the exchange no longer has those trades).
struct backfill_failed {
  std::string symbol;        ///< upper case
  std::uint64_t from_id = 0; ///< first id still missing
  std::uint64_t to_id = 0;   ///< last id still missing
  std::string reason;        ///< why, for the log and the API
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backfill_failed& x) {
  return f(caf::meta::type_name("backfill_failed"), x.symbol, x.from_id,
           x.to_id, x.reason);
}

} // namespace sv
