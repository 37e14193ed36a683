// depth_feed: one simulated symbol's diff-depth stream (changes grouped into depthUpdate events, kept for the streams).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "app/sim/exchange/sim_order_book.hpp"

namespace sv {

/// How many changes the event starting at update id `first_update_id` groups, for
/// `changes_per_event` N >= 1: N - N/2 .. N + N/2 (mean N), a pure function of
/// (symbol, seed, first_update_id), so a test can tell the size of an event it
/// never received from the id it should have started at.
std::int64_t depth_event_changes(std::string_view symbol, std::uint64_t seed,
                                 std::int64_t first_update_id,
                                 std::int64_t changes_per_event) noexcept;

/// One depthUpdate event as the exchange emitted it, in both stream forms.
struct depth_event {
  std::int64_t number
    = 0;           ///< 1-based among the symbol's events, dropped ones included
  depth_diff diff; ///< U, u, E and the levels
  std::string raw; ///< the /ws/<sym>@depth@100ms frame
  std::string combined; ///< the /stream?streams=<sym>@depth@100ms frame
};

/// A symbol's order book and the one sequence of depth events built from its
/// changes, shared by every connection (never built per connection). The owner
/// applies the open event's changes one by one (`apply_change`) while time passes
/// and then closes it (`close_event`): so a REST snapshot taken in between has a
/// lastUpdateId inside the next event's U..u. Emitted events are kept (the last
/// `history_max`) for the streams to send at their own pace; a dropped event's
/// changes are in the book but it is not kept. Not thread-safe: lws service thread.
class depth_feed {
public:
  /// Events kept for streams that lag: 100 s at 100 ms per event.
  static constexpr std::size_t history_max = 1000;

  /// `symbol` is upper case; `changes_per_event` >= 1.
  depth_feed(std::string symbol, std::uint64_t seed,
             std::int64_t changes_per_event);

  const sim_order_book& book() const noexcept {
    return book_;
  }

  /// Changes the open event groups (depth_event_changes of its U).
  std::int64_t open_size() const noexcept {
    return open_size_;
  }

  /// Changes of the open event applied so far.
  std::int64_t open_applied() const noexcept {
    return book_.last_update_id() - open_first_id_ + 1;
  }

  /// Applies the open event's next change to the book. Requires
  /// open_applied() < open_size().
  void apply_change();

  /// Closes the open event (every change applied) stamped `now_ms`, and opens the
  /// next. `drop`: the event is counted in dropped() and not kept; returns nullptr.
  /// Otherwise it is kept (the oldest kept beyond history_max is forgotten) and
  /// returned.
  const depth_event* close_event(std::int64_t now_ms, bool drop);

  /// Number the open event gets when closed (1 for the first).
  std::int64_t next_number() const noexcept {
    return emitted_ + dropped_ + 1;
  }

  /// Events closed and kept.
  std::int64_t emitted() const noexcept {
    return emitted_;
  }

  /// Events closed and dropped (drop-depth).
  std::int64_t dropped() const noexcept {
    return dropped_;
  }

  /// Position the next kept event gets; positions count kept events only, so a
  /// stream's cursor moves on without a hole where an event was dropped.
  std::int64_t next_pos() const noexcept {
    return emitted_;
  }

  /// Position of the oldest kept event (== next_pos() when none is kept).
  std::int64_t oldest_pos() const noexcept {
    return emitted_ - static_cast<std::int64_t>(history_.size());
  }

  /// The kept event at `pos`; requires oldest_pos() <= pos < next_pos().
  const depth_event& at(std::int64_t pos) const;

  /// Counts a stream connection subscribed to this feed.
  void connection_opened() noexcept {
    ++connections_;
  }

  /// Counts a subscribed stream connection gone.
  void connection_closed() noexcept {
    --connections_;
  }

  int connections() const noexcept {
    return connections_;
  }

private:
  void open_next();

  std::string symbol_;
  std::string stream_name_;
  std::uint64_t seed_;
  std::int64_t changes_per_event_;
  sim_order_book book_;
  std::int64_t open_first_id_ = 0; ///< U of the open event
  std::int64_t open_size_ = 0;
  /// Levels the open event touched, with their latest quantity (0 = deleted).
  std::map<std::int64_t, std::int64_t, std::greater<>> open_bids_;
  std::map<std::int64_t, std::int64_t> open_asks_;
  std::deque<depth_event> history_;
  std::int64_t emitted_ = 0;
  std::int64_t dropped_ = 0;
  int connections_ = 0;
};

} // namespace sv
