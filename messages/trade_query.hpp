// trade_query: a GET /api/v3/aggTrades question to an aggregator, and its answer (data only).
#pragma once

#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "messages/trade.hpp"

namespace sv {

/// Which trades of the history, by Binance's aggTrades rules: from an id, from a
/// time, up to a time, or the most recent; at most `limit`. Times are trade times
/// (`T`), inclusive.
struct trade_query {
  bool by_id = false;         ///< fromId given
  std::uint64_t from_id = 0;  ///< with by_id
  std::int64_t start_ms = -1; ///< startTime, -1: none
  std::int64_t end_ms = -1;   ///< endTime, -1: none
  std::uint32_t limit = 500;  ///< 1..1000
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trade_query& x) {
  return f(caf::meta::type_name("trade_query"), x.by_id, x.from_id, x.start_ms,
           x.end_ms, x.limit);
}

/// An aggregator's answer: consecutive trades only (a run stops before a missing
/// id), and what the history holds, so the caller can tell "none" from "not held".
struct trade_rows {
  std::vector<trade> trades;   ///< ascending, consecutive ids
  std::uint64_t oldest_id = 0; ///< first id held, 0: none held
  std::uint64_t newest_id = 0; ///< last id held
  std::int64_t oldest_ms = 0;  ///< T of the first trade held
  /// A missing id the answer stopped at (or would have started with): inside a
  /// gap being filled, or given up; 0 if none.
  std::uint64_t missing_id = 0;
  /// The most recent run reached back to the oldest trade held with fewer rows
  /// than asked: older trades exist (on the exchange) but are not held.
  bool from_oldest = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trade_rows& x) {
  return f(caf::meta::type_name("trade_rows"), x.trades, x.oldest_id,
           x.newest_id, x.oldest_ms, x.missing_id, x.from_oldest);
}

} // namespace sv
