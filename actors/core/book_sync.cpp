// book_sync: Binance's procedure for a correct local order book (buffer, snapshot, sequence checks).
#include "actors/core/book_sync.hpp"

#include <cassert>
#include <string>
#include <utility>

namespace sv {

namespace {

/// How an event relates to a book whose last update id is `id`.
enum class fit : std::uint8_t {
  applies,   ///< continues the sequence
  contained, ///< u <= id: the book already has it
  gap,       ///< any other U: updates are missing or overlap
};

/// `first`: nothing applied since the snapshot, so Binance's general rule
/// U <= id+1 <= u holds instead of U == id+1 (a snapshot's lastUpdateId need
/// not equal any event's u).
fit classify(const depth_update& u, std::uint64_t id, bool first) {
  if (u.final_update_id <= id)
    return fit::contained;
  // From here u >= id + 1, so only U needs checking.
  if (first ? u.first_update_id <= id + 1 : u.first_update_id == id + 1)
    return fit::applies;
  return fit::gap;
}

std::string gap_reason(const depth_update& u, std::uint64_t id, bool first) {
  std::string r = first ? "first event after snapshot "
                        : "sequence break after update ";
  r += std::to_string(id);
  r += ": got U=";
  r += std::to_string(u.first_update_id);
  r += " u=";
  r += std::to_string(u.final_update_id);
  r += first ? ", need U <= " : ", need U == ";
  r += std::to_string(id + 1);
  return r;
}

/// Counts and returns a snapshot request (every request_snapshot returned is counted).
sync_step requested(book_counters& c) {
  ++c.snapshots_requested;
  return sync_step::request_snapshot;
}

/// Appends `u`, dropping (and counting) the oldest event when `buf` is full.
void push_bounded(std::deque<depth_update>& buf, std::size_t max,
                  book_counters& c, depth_update u) {
  if (buf.size() >= max) {
    buf.pop_front();
    ++c.buffer_overflows;
  }
  buf.push_back(std::move(u));
}

} // namespace

book_sync::book_sync(std::size_t buffer_max) : buffer_max_(buffer_max) {
  assert(buffer_max >= 1);
}

std::uint64_t book_sync::last_update_id() const noexcept {
  return phase_ == book_phase::synced ? last_update_id_ : 0;
}

sync_step book_sync::on_update(depth_update u) {
  switch (phase_) {
    case book_phase::waiting:
      push_bounded(buffer_, buffer_max_, counters_, std::move(u));
      phase_ = book_phase::syncing;
      return requested(counters_);
    case book_phase::syncing:
      push_bounded(buffer_, buffer_max_, counters_, std::move(u));
      return sync_step::none;
    case book_phase::synced:
      break;
  }
  switch (classify(u, last_update_id_, first_after_snapshot_)) {
    case fit::applies:
      book_.apply(u);
      last_update_id_ = u.final_update_id;
      last_event_time_ms_ = u.event_time_ms;
      first_after_snapshot_ = false;
      ++counters_.updates_applied;
      if (keep_applied_)
        applied_.push_back(std::move(u));
      return sync_step::none;
    case fit::contained:
      ++counters_.updates_dropped;
      return sync_step::none;
    case fit::gap:
      break;
  }
  counters_.last_resync_reason = gap_reason(u, last_update_id_,
                                            first_after_snapshot_);
  ++counters_.resyncs;
  book_.clear();
  last_update_id_ = 0;
  first_after_snapshot_ = false;
  phase_ = book_phase::syncing;
  // The event that exposed the gap is kept: the next snapshot may cover it.
  buffer_.clear();
  push_bounded(buffer_, buffer_max_, counters_, std::move(u));
  return requested(counters_);
}

sync_step book_sync::on_snapshot(const depth_snapshot& s) {
  if (phase_ != book_phase::syncing)
    return sync_step::none; // a late or duplicate answer: nothing asked for it
  const std::uint64_t l = s.last_update_id;
  // Binance: a snapshot older than the first buffered event cannot be joined to
  // the buffer (the updates between them were never seen). After an overflow
  // the front is the oldest event still kept, so the snapshot must reach past
  // the dropped ones.
  if (!buffer_.empty() && l < buffer_.front().first_update_id) {
    ++counters_.snapshot_refetches;
    return requested(counters_);
  }
  while (!buffer_.empty() && buffer_.front().final_update_id <= l) {
    buffer_.pop_front();
    ++counters_.updates_dropped;
  }
  if (!buffer_.empty() && buffer_.front().first_update_id > l + 1) {
    // Updates l+1 .. U-1 are in neither the snapshot nor the buffer.
    ++counters_.snapshot_refetches;
    return requested(counters_);
  }
  book_.reset(s);
  last_update_id_ = l;
  first_after_snapshot_ = true;
  phase_ = book_phase::synced;
  // Replaying through on_update gives the buffer exactly the live checks: a gap
  // is a resync there, and the events after it are buffered again (they fit:
  // they came from a buffer of the same bound).
  auto pending = std::move(buffer_);
  buffer_.clear();
  for (auto& u : pending)
    on_update(std::move(u));
  if (phase_ != book_phase::synced)
    return sync_step::request_snapshot; // on_update counted the request
  ++counters_.syncs;
  return sync_step::none;
}

void book_sync::on_snapshot_failed() {
  ++counters_.snapshot_failures;
}

std::vector<depth_update> book_sync::take_applied() {
  auto out = std::move(applied_);
  applied_.clear();
  return out;
}

} // namespace sv
