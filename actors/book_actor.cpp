// book_actor: one symbol's local order book, kept equal to the exchange's.
#include "actors/book_actor.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "actors/core/log.hpp"

namespace sv {

namespace {

/// Asks for a snapshot unless one is already on its way.
void request_snapshot(book_self self) {
  auto& st = self->state;
  if (st.snapshot_in_flight || !st.snapshots)
    return;
  st.snapshot_in_flight = true;
  ++st.snapshots_sent;
  // The deadline of this request; any older timer is stale from here on.
  self->delayed_send(self,
                     std::chrono::milliseconds(st.cfg.snapshot_timeout_ms),
                     snapshot_retry_atom::value, ++st.retry_generation);
  self->send(st.snapshots,
             depth_snapshot_request{st.symbol, st.cfg.snapshot_limit});
}

/// Runs one book_sync step and logs the phase change it caused, if any.
template <class Step>
void step(book_self self, const char* why, Step&& f) {
  auto& st = self->state;
  auto before = st.sync.phase();
  auto resyncs = st.sync.counters().resyncs;
  auto refetches = st.sync.counters().snapshot_refetches;
  auto next = f(st.sync);
  auto after = st.sync.phase();
  if (after != before || st.sync.counters().resyncs != resyncs) {
    auto& c = st.sync.counters();
    if (c.resyncs != resyncs)
      SV_WARN("book", st.symbol, "resync",
              "resyncs=%llu reason=\"%s\" hint=\"a depth event was lost; the "
              "book is rebuilt from a new snapshot\"",
              static_cast<unsigned long long>(c.resyncs),
              c.last_resync_reason.c_str());
    SV_INFO("book", st.symbol, "phase",
            "from=%s to=%s why=\"%s\" last_update_id=%llu bids=%zu asks=%zu",
            to_string(before), to_string(after), why,
            static_cast<unsigned long long>(st.sync.last_update_id()),
            st.sync.book().bid_levels(), st.sync.book().ask_levels());
  }
  if (st.sync.phase() == book_phase::synced)
    st.refetches_in_row = 0;
  if (next != sync_step::request_snapshot)
    return;
  // Snapshots that keep coming back older than the buffered events (a lagging REST
  // cache) would spend the process's whole weight budget: after a few in a row,
  // wait snapshot_retry_ms before the next one.
  if (st.sync.counters().snapshot_refetches != refetches
      && ++st.refetches_in_row >= book_state::refetches_before_pause) {
    SV_WARN(
      "book", st.symbol, "snapshot_stale",
      "refetches_in_row=%u retry_in_ms=%u hint=\"the REST snapshots lag the "
      "stream\"",
      st.refetches_in_row, st.cfg.snapshot_retry_ms);
    self->delayed_send(self,
                       std::chrono::milliseconds(st.cfg.snapshot_retry_ms),
                       snapshot_retry_atom::value, ++st.retry_generation);
    return;
  }
  request_snapshot(self);
}

/// Hands the feed the events applied since the last release.
void release(book_self self) {
  auto& st = self->state;
  if (!st.cfg.feed)
    return;
  auto applied = st.sync.take_applied();
  if (!applied.empty())
    self->send(st.cfg.feed, released_depth{st.symbol, std::move(applied)});
}

book_view make_view(book_self self, std::uint32_t depth) {
  auto& st = self->state;
  book_view v;
  v.symbol = st.symbol;
  v.state = st.sync.phase();
  v.last_update_id = st.sync.last_update_id();
  v.last_event_time_ms = st.sync.last_event_time_ms();
  auto& book = st.sync.book();
  v.bid_levels = static_cast<std::uint32_t>(book.bid_levels());
  v.ask_levels = static_cast<std::uint32_t>(book.ask_levels());
  if (st.sync.phase() == book_phase::synced) {
    v.bids = book.top_bids(depth);
    v.asks = book.top_asks(depth);
    v.metrics = book.metrics(st.cfg.top_levels, st.cfg.band_bps);
  }
  v.counters = st.sync.counters();
  v.counters.snapshots_requested = st.snapshots_sent;
  return v;
}

} // namespace

book_if::behavior_type book_actor(book_self self, std::string symbol,
                                  book_config cfg,
                                  snapshot_source_if snapshots) {
  self->state.symbol = std::move(symbol);
  self->state.cfg = std::move(cfg);
  self->state.sync
    = book_sync{std::max<std::uint32_t>(self->state.cfg.buffer_max, 1)};
  self->state.snapshots = std::move(snapshots);
  if (self->state.cfg.feed)
    self->state.sync.keep_applied();
  return {
    [=](depth_batch& batch) {
      for (auto& u : batch.updates)
        step(self, "depth event",
             [&](book_sync& s) { return s.on_update(std::move(u)); });
      release(self);
    },
    [=](depth_snapshot& snapshot) {
      self->state.snapshot_in_flight = false;
      ++self->state.retry_generation; // the request's deadline is void
      step(self, "snapshot",
           [&](book_sync& s) { return s.on_snapshot(snapshot); });
      release(self);
    },
    [=](depth_snapshot_failed& failed) {
      auto& st = self->state;
      st.snapshot_in_flight = false;
      st.sync.on_snapshot_failed();
      SV_WARN("book", st.symbol, "snapshot_failed",
              "reason=\"%s\" retry_in_ms=%u", failed.reason.c_str(),
              st.cfg.snapshot_retry_ms);
      self->delayed_send(self,
                         std::chrono::milliseconds(st.cfg.snapshot_retry_ms),
                         snapshot_retry_atom::value, ++st.retry_generation);
    },
    [=](snapshot_retry_atom, std::uint64_t generation) {
      auto& st = self->state;
      if (generation != st.retry_generation)
        return;
      if (st.snapshot_in_flight) {
        // No answer at all: the request was lost; a late answer is harmless (a
        // snapshot outside syncing is ignored).
        st.snapshot_in_flight = false;
        st.sync.on_snapshot_failed();
        SV_WARN(
          "book", st.symbol, "snapshot_timeout",
          "timeout_ms=%u hint=\"no answer from the REST side; asking again\"",
          st.cfg.snapshot_timeout_ms);
      }
      if (st.sync.phase() == book_phase::syncing)
        request_snapshot(self);
    },
    [=](book_atom, std::uint32_t depth) { return make_view(self, depth); },
  };
}

} // namespace sv
