// depth_update, depth_batch, depth_snapshot and the snapshot request: a symbol's order-book diffs and snapshots.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace sv {

/// One price level as Binance sends it: `["0.01234000","150.00000000"]`.
struct price_level {
  std::int64_t price_e8 = 0; ///< price in units of 1e-8 (exact)
  std::int64_t qty_e8
    = 0; ///< quantity in units of 1e-8; 0 in a diff removes the level
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_level& x) {
  return f(caf::meta::type_name("price_level"), x.price_e8, x.qty_e8);
}

inline bool operator==(const price_level& a, const price_level& b) {
  return a.price_e8 == b.price_e8 && a.qty_e8 == b.qty_e8;
}

/// One `depthUpdate` event of `<symbol>@depth@100ms`: the levels that changed
/// between update ids `first_update_id` and `final_update_id`, with their new
/// absolute quantities.
struct depth_update {
  std::string symbol;                ///< upper case (`s`)
  std::uint64_t first_update_id = 0; ///< `U`: first update id in the event
  std::uint64_t final_update_id = 0; ///< `u`: final update id in the event
  std::int64_t event_time_ms = 0;    ///< `E`: event time, Unix milliseconds
  std::vector<price_level> bids;     ///< `b`, as sent
  std::vector<price_level> asks;     ///< `a`, as sent
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, depth_update& x) {
  return f(caf::meta::type_name("depth_update"), x.symbol, x.first_update_id,
           x.final_update_id, x.event_time_ms, x.bids, x.asks);
}

/// Connection actor → book actor: the depth events of one transport read, in
/// arrival order.
struct depth_batch {
  std::string symbol;                ///< upper case
  std::vector<depth_update> updates; ///< in the order the frames arrived
  std::int64_t recv_ns = 0; ///< steady-clock time the transport read them
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, depth_batch& x) {
  return f(caf::meta::type_name("depth_batch"), x.symbol, x.updates, x.recv_ns);
}

/// Book actor → backfill actor (the process's REST caller): fetch
/// `GET /api/v3/depth?symbol=..&limit=..`. The answer goes to the sender: one
/// depth_snapshot or one depth_snapshot_failed.
struct depth_snapshot_request {
  std::string symbol;         ///< upper case
  std::uint32_t limit = 1000; ///< levels per side (Binance: 1..5000)
};

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, depth_snapshot_request& x) {
  return f(caf::meta::type_name("depth_snapshot_request"), x.symbol, x.limit);
}

/// A REST depth snapshot: the book as of update id `last_update_id`, best first.
struct depth_snapshot {
  std::string symbol;               ///< upper case
  std::uint64_t last_update_id = 0; ///< `lastUpdateId`
  std::vector<price_level> bids;    ///< best (highest) first, as sent
  std::vector<price_level> asks;    ///< best (lowest) first, as sent
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, depth_snapshot& x) {
  return f(caf::meta::type_name("depth_snapshot"), x.symbol, x.last_update_id,
           x.bids, x.asks);
}

/// The snapshot could not be fetched (retries exhausted or a malformed body).
struct depth_snapshot_failed {
  std::string symbol; ///< upper case
  std::string reason; ///< why, for the log and the API
};

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, depth_snapshot_failed& x) {
  return f(caf::meta::type_name("depth_snapshot_failed"), x.symbol, x.reason);
}

} // namespace sv
