// book_sync: Binance's procedure for a correct local order book (buffer, snapshot, sequence checks).
//
// Phases (the book actor mirrors them; see docs/data-integrity.md "order book"):
//
//   [waiting] --first event: buffer it, ask for a snapshot--> [syncing]
//   [syncing] --event: buffer it (bounded)--> [syncing]
//   [syncing] --snapshot, lastUpdateId L < first buffered U: ask again--> [syncing]
//   [syncing] --snapshot: drop buffered u <= L; first left must have U <= L+1 <= u;
//               apply the rest with U == previous u + 1--> [synced]
//   [synced]  --event with U == previous u + 1: apply--> [synced]
//   [synced]  --event with any other U: discard the book, buffer the event,
//               ask for a snapshot (a resync)--> [syncing]
//
// Pure: no I/O, no clock. The owner fetches the snapshots it is told to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "actors/core/order_book.hpp"
#include "messages/book.hpp"
#include "messages/depth.hpp"

namespace sv {

/// What the owner must do after feeding a book_sync.
enum class sync_step : std::uint8_t {
  none,             ///< nothing
  request_snapshot, ///< fetch a new REST snapshot and pass it to on_snapshot()
};

/// One symbol's book plus the sequence logic that keeps it equal to the exchange's.
/// After the first sync, every event is checked for the life of the book: a break
/// in `U == previous u + 1` discards the book and starts over from a new snapshot.
/// Not thread-safe: owned by one actor.
class book_sync {
public:
  /// `buffer_max` (>= 1) bounds the events kept while syncing; when full, the
  /// oldest is dropped and counted in buffer_overflows (a later snapshot must then
  /// reach past the dropped events, or it is refetched).
  explicit book_sync(std::size_t buffer_max);

  /// A live event, in arrival order. waiting: buffered, returns request_snapshot.
  /// syncing: buffered, returns none. synced: applied when it continues the
  /// sequence (the first event after a snapshot needs U <= L+1 <= u; an event with
  /// u <= the book's id is dropped as already contained), else a resync: the book is
  /// cleared, `resyncs` counted with a reason, the event buffered, request_snapshot.
  sync_step on_update(depth_update u);

  /// The snapshot that was asked for (ignored, returning none, unless syncing).
  /// L < first buffered U: counted as a refetch, returns request_snapshot. Otherwise
  /// buffered events with u <= L are dropped, the book becomes the snapshot and the
  /// rest is applied with the same checks as live events. If the first remaining
  /// event has U > L+1 (events lost from a full buffer) the snapshot is refetched.
  /// A sequence break inside the buffer is a resync as in on_update.
  sync_step on_snapshot(const depth_snapshot& s);

  /// The snapshot could not be fetched: counted; the phase stays syncing and the
  /// owner decides when to ask again.
  void on_snapshot_failed();

  /// Where the book stands (see the diagram above).
  book_phase phase() const noexcept {
    return phase_;
  }

  /// The id of the last update the book contains (the snapshot's L after a sync
  /// with nothing buffered); 0 unless synced.
  std::uint64_t last_update_id() const noexcept;

  /// Event time of the last applied event (0 if none).
  std::int64_t last_event_time_ms() const noexcept {
    return last_event_time_ms_;
  }

  /// The levels; meaningful only when synced (cleared on a resync).
  const order_book& book() const noexcept {
    return book_;
  }

  /// Lifetime counters (snapshots_requested counts every request_snapshot returned).
  const book_counters& counters() const noexcept {
    return counters_;
  }

  /// From now on, keep a copy of every event applied to the book (live, or
  /// from the buffer after a snapshot), in order, for take_applied().
  void keep_applied() noexcept {
    keep_applied_ = true;
  }

  /// The events applied since the last call: consecutive (U = previous u + 1),
  /// except that the first after a sync overlaps the snapshot's id as Binance's
  /// procedure allows. A resync shows as a jump in U.
  std::vector<depth_update> take_applied();

  /// Events currently buffered.
  std::size_t buffered() const noexcept {
    return buffer_.size();
  }

private:
  std::size_t buffer_max_;
  book_phase phase_ = book_phase::waiting;
  order_book book_;
  std::deque<depth_update> buffer_;  ///< syncing only, arrival order
  std::uint64_t last_update_id_ = 0; ///< synced: the book's id
  bool first_after_snapshot_
    = false; ///< synced, nothing applied since the snapshot
  std::int64_t last_event_time_ms_ = 0;
  book_counters counters_;
  bool keep_applied_ = false;
  std::vector<depth_update>
    applied_; ///< since take_applied(), with keep_applied_
};

} // namespace sv
