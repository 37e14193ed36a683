// book_view: what a book actor answers about one symbol's local order book (the API's /book).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "messages/depth.hpp"
#include "messages/wide.hpp"

namespace sv {

/// Where a book stands (actors/core/book_sync.hpp draws the transitions).
enum class book_phase : std::uint8_t {
  waiting, ///< no depth event yet
  syncing, ///< events are buffered until a usable snapshot arrives
  synced,  ///< the book equals the exchange's as of its last update id
};

/// The API's and the logs' name of `x`: "waiting", "syncing", "synced".
constexpr const char* to_string(book_phase x) {
  switch (x) {
    case book_phase::waiting:
      return "waiting";
    case book_phase::syncing:
      return "syncing";
    case book_phase::synced:
      return "synced";
  }
  return "unknown";
}

/// Derived figures of a book, computed when asked (nothing here is stored state).
/// Prices are e8; a side that is empty leaves its best price at 0.
struct book_metrics {
  std::int64_t best_bid_e8 = 0; ///< highest bid, 0 if no bid
  std::int64_t best_ask_e8 = 0; ///< lowest ask, 0 if no ask
  std::int64_t spread_e8
    = 0; ///< best ask - best bid; 0 unless both sides exist
  std::int64_t mid_x2_e8 = 0;   ///< best bid + best ask (twice the mid, exact)
  std::uint32_t top_levels = 0; ///< N of the top-N imbalance
  wide bid_qty_top_e8;          ///< sum of bid quantities over the top N levels
  wide ask_qty_top_e8;          ///< sum of ask quantities over the top N levels
  std::uint32_t band_bps = 0;   ///< X of the within-X-bps imbalance
  wide bid_qty_band_e8;         ///< bid quantity priced >= mid * (1 - X/10^4)
  wide ask_qty_band_e8;         ///< ask quantity priced <= mid * (1 + X/10^4)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, book_metrics& x) {
  return f(caf::meta::type_name("book_metrics"), x.best_bid_e8, x.best_ask_e8,
           x.spread_e8, x.mid_x2_e8, x.top_levels, x.bid_qty_top_e8,
           x.ask_qty_top_e8, x.band_bps, x.bid_qty_band_e8, x.ask_qty_band_e8);
}

/// Lifetime counters of one symbol's book synchronisation.
struct book_counters {
  std::uint64_t syncs = 0;   ///< times the book became synced
  std::uint64_t resyncs = 0; ///< sequence breaks that discarded a synced book
  std::uint64_t snapshots_requested = 0; ///< REST snapshots asked for
  std::uint64_t snapshot_refetches
    = 0; ///< snapshots too old for the buffered events
  std::uint64_t snapshot_failures = 0; ///< snapshots that could not be fetched
  std::uint64_t updates_applied = 0; ///< depth events applied to a synced book
  std::uint64_t updates_dropped
    = 0; ///< events at or below a snapshot's lastUpdateId
  std::uint64_t buffer_overflows = 0; ///< buffered events dropped (buffer full)
  std::string last_resync_reason; ///< why the last resync happened, "" if none
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, book_counters& x) {
  return f(caf::meta::type_name("book_counters"), x.syncs, x.resyncs,
           x.snapshots_requested, x.snapshot_refetches, x.snapshot_failures,
           x.updates_applied, x.updates_dropped, x.buffer_overflows,
           x.last_resync_reason);
}

/// A book actor's answer to (book_atom, depth): the top `depth` levels and figures.
struct book_view {
  std::string symbol;                     ///< upper case
  book_phase state = book_phase::waiting; ///< where the book stands
  std::uint64_t last_update_id
    = 0; ///< id of the last applied update, 0 before a sync
  /// `E` of the last applied event (0 if none): how fresh the book is, also while
  /// the depth connection is down and no event can reveal a gap.
  std::int64_t last_event_time_ms = 0;
  std::uint32_t bid_levels = 0;  ///< levels on the bid side (whole book)
  std::uint32_t ask_levels = 0;  ///< levels on the ask side (whole book)
  std::vector<price_level> bids; ///< top levels, best first
  std::vector<price_level> asks; ///< top levels, best first
  book_metrics metrics;          ///< only meaningful when synced
  book_counters counters;        ///< since start
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, book_view& x) {
  return f(caf::meta::type_name("book_view"), x.symbol, x.state,
           x.last_update_id, x.last_event_time_ms, x.bid_levels, x.ask_levels,
           x.bids, x.asks, x.metrics, x.counters);
}

} // namespace sv
