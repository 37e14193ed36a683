// book_actor: one symbol's local order book, kept equal to the exchange's from depth diffs and snapshots.
//
// One behavior; the phases are book_sync's (actors/book_sync.hpp has the diagram):
//
//   depth_batch ---------------> each event into book_sync; when it says so, ask
//                                 the backfill actor for a snapshot (one at a time)
//   depth_snapshot -------------> book_sync.on_snapshot (sync, or ask again; from
//                                 the third too-old snapshot in a row on, only
//                                 after snapshot_retry_ms)
//   depth_snapshot_failed ------> counted; ask again after snapshot_retry_ms
//   (snapshot_retry_atom, gen) -> the retry; or, if the request is still
//                                 unanswered after snapshot_timeout_ms, a
//                                 timeout: counted as a failure, asked again
//                                 (stale generations ignored)
//   (book_atom, n) -------------> top n levels, figures, counters
//
// With cfg.feed set, the events a depth_batch or a snapshot got applied are sent
// on as released_depth, in order (book_sync::take_applied).
//
// Every phase change is logged: `book ETHUSDT phase from=synced to=syncing why="..."`.
// A resync touches this symbol only: other books never hear of it.
#pragma once

#include <cstdint>
#include <string>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/core/book_sync.hpp"
#include "actors/protocols.hpp"

namespace sv {

/// Settings of one book.
struct book_config {
  std::uint32_t snapshot_limit
    = 1000; ///< levels per side asked of /api/v3/depth
  std::uint32_t buffer_max
    = 1000; ///< events buffered while syncing (100 s at 100 ms)
  std::uint32_t top_levels = 10;          ///< N of the top-N imbalance
  std::uint32_t band_bps = 10;            ///< X of the within-X-bps imbalance
  std::uint32_t snapshot_retry_ms = 5000; ///< wait after a failed snapshot
  /// An unanswered request is given up after this long and asked again. Longer than
  /// the backfill actor's own retries (1+2+4+8+16 s) plus a Retry-After pause.
  std::uint32_t snapshot_timeout_ms = 120000;
  /// Where the events applied to the book go (the feed actor); null: nowhere.
  depth_release_sink_if feed{};
};

/// State of one book actor (plain data; behavior in book_actor.cpp).
struct book_state {
  static inline const char* name = "book";
  std::string symbol;              ///< upper case
  book_config cfg;                 ///< limits
  book_sync sync{1};               ///< replaced at spawn with cfg.buffer_max
  snapshot_source_if snapshots;    ///< fetches snapshots; null: never syncs
  bool snapshot_in_flight = false; ///< a request is out, its answer not yet in
  /// Requests actually sent (book_sync counts only those it asked for, not the
  /// retries and timeouts this actor adds); reported as snapshots_requested.
  std::uint64_t snapshots_sent = 0;
  std::uint64_t retry_generation
    = 0; ///< tags snapshot_retry_atom timers; only the newest counts
  /// Snapshots refetched in a row (too old for the buffer) without a sync since.
  std::uint32_t refetches_in_row = 0;
  /// From this many refetches in a row on, the next one waits snapshot_retry_ms.
  static constexpr std::uint32_t refetches_before_pause = 3;
};

/// What a book actor's handlers see of themselves.
using book_self = book_if::stateful_pointer<book_state>;

/// Spawns with `sys.spawn(book_actor, "BTCUSDT", cfg, snapshots)`. `snapshots` may
/// be null (the book then buffers and stays syncing).
book_if::behavior_type book_actor(book_self self, std::string symbol,
                                  book_config cfg,
                                  snapshot_source_if snapshots);

} // namespace sv
