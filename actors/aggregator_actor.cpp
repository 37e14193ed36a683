// aggregator_actor: one symbol's trade history, order-flow totals and latency histogram.
#include "actors/aggregator_actor.hpp"

#include <algorithm>
#include <chrono>

#include "actors/core/log.hpp"

namespace sv {

namespace {

using aggregator_self = aggregator_if::stateful_pointer<aggregator_state>;

/// Open gaps kept; past this the oldest is forgotten (its windows stay marked).
constexpr std::size_t gaps_max = 256;

void keep_large(aggregator_state& st, const trade& x) {
  auto pos = std::upper_bound(
    st.large_trades.begin(), st.large_trades.end(), x.agg_id,
    [](std::uint64_t id, const trade& held) { return id < held.agg_id; });
  st.large_trades.insert(pos, x);
  if (st.large_trades.size() > st.large_trades_max)
    st.large_trades.pop_front();
}

/// A gap up to `to_id` opened: the feed waits for it at most feed_gap_wait_ms.
void wait_for_gap(aggregator_self self, std::uint64_t to_id) {
  auto& st = self->state;
  if (st.feed)
    self->delayed_send(self, std::chrono::milliseconds(st.feed_gap_wait_ms),
                       gap_wait_atom::value, to_id);
}

/// The last id the feed may release: the last applied one, or the one before
/// the first id still awaited from a gap the feed waits for.
std::uint64_t release_limit(const aggregator_state& st) {
  auto limit = st.flow.last_trade_id();
  for (const auto& gap : st.gaps) {
    // The start-up warm start loads trades from before the first released one.
    bool before_feed = gap.warmup && !gap.outage;
    if (before_feed || gap.failed || gap.feed_passed || gap.next_id > gap.to_id)
      continue;
    limit = std::min(limit, gap.next_id - 1);
  }
  return limit;
}

/// Hands the feed what is no longer held up by a gap: the trades held between the
/// last released id and the limit. Ids in that range that the history lacks (a gap
/// given up, an outage's skip, eviction) are skipped for good. `recv_ns`: when
/// the live frames that caused this release were read, 0 for any other cause.
void release(aggregator_self self, std::int64_t recv_ns = 0) {
  auto& st = self->state;
  if (!st.feed || !st.feed_started)
    return;
  auto limit = release_limit(st);
  if (limit <= st.released_id)
    return;
  released_trades out;
  out.symbol = st.symbol;
  out.trades = st.history.between(st.released_id, limit);
  out.skipped = (limit - st.released_id) - out.trades.size();
  if (out.skipped > 0) {
    st.feed_skipped += out.skipped;
    SV_WARN("aggregator", st.symbol, "feed_skipped",
            "after_id=%llu through_id=%llu skipped=%llu total=%llu "
            "hint=\"a gap was not filled within feed_gap_wait_ms, its "
            "backfill failed, or the history (history_trades_max) could not "
            "hold all of it: feed clients get the trades after it\"",
            static_cast<unsigned long long>(st.released_id),
            static_cast<unsigned long long>(limit),
            static_cast<unsigned long long>(out.skipped),
            static_cast<unsigned long long>(st.feed_skipped));
  }
  st.released_id = limit;
  out.through_id = limit;
  out.recv_ns = recv_ns;
  self->send(st.feed, std::move(out));
}

/// What was released to the feed from `from_id` on, at most `limit` trades.
resume_page resume(aggregator_self self, std::uint64_t from_id,
                   std::uint32_t limit) {
  auto& st = self->state;
  resume_page page;
  page.released_id = st.released_id;
  page.oldest_id = st.history.oldest_id();
  if (from_id == 0 || from_id > st.released_id)
    return page;
  page.trades = st.history.between(from_id - 1, st.released_id,
                                   std::size_t{limit} + 1);
  if (page.trades.size() > limit) {
    page.trades.pop_back();
    page.more = true;
  }
  return page;
}

/// The gap wait of the gap up to `to_id` is over: if it is still open, the feed
/// passes it.
void on_gap_wait(aggregator_self self, std::uint64_t to_id) {
  auto& st = self->state;
  for (auto& gap : st.gaps) {
    if (gap.to_id != to_id || gap.failed || gap.next_id > gap.to_id)
      continue;
    gap.feed_passed = true;
    SV_WARN("aggregator", st.symbol, "feed_gap_wait_over",
            "from_id=%llu to_id=%llu wait_ms=%u",
            static_cast<unsigned long long>(gap.next_id),
            static_cast<unsigned long long>(gap.to_id), st.feed_gap_wait_ms);
  }
  release(self);
}

/// Keeps `gap`; past gaps_max the oldest is forgotten (its windows stay marked).
void push_gap(aggregator_state& st, const open_gap& gap) {
  st.gaps.push_back(gap);
  if (st.gaps.size() > gaps_max)
    st.gaps.pop_front();
}

/// A warm start: the warmup_s seconds of trades before `x`, ids up to `to_id`
/// from `next_id` on. Records the gap and asks the backfill actor for it.
// NOLINTBEGIN(bugprone-easily-swappable-parameters): next_id <= to_id, both named at each call
open_gap& request_warmup(aggregator_self self, const trade& x,
                         std::uint64_t next_id, std::uint64_t to_id) {
  // NOLINTEND(bugprone-easily-swappable-parameters)
  auto& st = self->state;
  open_gap gap;
  gap.from_id = 0;
  gap.to_id = to_id;
  gap.next_id = next_id;
  gap.before_ms = x.trade_time_ms - std::int64_t{st.warmup_s} * 1000;
  gap.after_ms = x.trade_time_ms;
  gap.warmup = true;
  push_gap(st, gap);
  st.warmup = warmup_state::loading;
  self->send(st.backfill,
             backfill_request{st.symbol, 0, gap.to_id, gap.before_ms});
  return st.gaps.back();
}

/// True if the first live trade `x` continues another instance's publication
/// from resume_after_id + 1 (a shard hand-over): then the ids between are a gap.
bool continues_handover(const aggregator_state& st, const trade& x) {
  return st.resume_after_id > 0 && st.backfill
         && x.agg_id > st.resume_after_id + 1
         && x.agg_id - st.resume_after_id - 1 <= st.trades_max;
}

/// The first live trade `x` of a hand-over: the feed starts after
/// resume_after_id and the ids up to `x` are backfilled, held up by the gap wait
/// as any gap, so the stream the feed publishes has no hole at the hand-over.
void open_handover_gap(aggregator_self self, const trade& x) {
  auto& st = self->state;
  open_gap gap;
  gap.from_id = st.resume_after_id + 1;
  gap.to_id = x.agg_id - 1;
  gap.next_id = gap.from_id;
  gap.before_ms = x.trade_time_ms;
  gap.after_ms = x.trade_time_ms;
  st.released_id = st.resume_after_id;
  SV_INFO("aggregator", st.symbol, "handover_backfill",
          "from_id=%llu to_id=%llu",
          static_cast<unsigned long long>(gap.from_id),
          static_cast<unsigned long long>(gap.to_id));
  wait_for_gap(self, gap.to_id);
  self->send(st.backfill, backfill_request{st.symbol, gap.from_id, gap.to_id});
  push_gap(st, gap);
}

/// The first live trade `x`: the hand-over gap, if `x` continues one, and the
/// warm start: the warmup_s seconds of trades before `x`, up to the hand-over
/// gap (which loads the ids after it).
void start_first(aggregator_self self, const trade& x) {
  auto& st = self->state;
  bool handover = continues_handover(st, x);
  if (handover)
    open_handover_gap(self, x);
  else if (st.resume_after_id > 0 && x.agg_id > st.resume_after_id + 1)
    SV_WARN("aggregator", st.symbol, "handover_not_backfilled",
            "after_id=%llu first_live_id=%llu trades_max=%u "
            "hint=\"the ids between were published by no one: more than "
            "history_trades_max of them, or no backfill\"",
            static_cast<unsigned long long>(st.resume_after_id),
            static_cast<unsigned long long>(x.agg_id), st.trades_max);
  if (st.warmup_s == 0 || !st.backfill || x.agg_id == 0)
    return;
  request_warmup(self, x, 0, handover ? st.resume_after_id : x.agg_id - 1);
}

/// A jump across more time than the history window: the outage's early trades could
/// not stay in the history anyway, so load the warmup_s seconds before `x` like at
/// start-up and skip (count) the ids before them.
void warm_start_after_outage(aggregator_self self, const trade& x) {
  auto& st = self->state;
  auto last_id = st.flow.last_trade_id();
  auto last_ms = st.flow.last_trade_time_ms();
  SV_INFO("aggregator", st.symbol, "long_outage",
          "last_id=%llu next_id=%llu outage_ms=%lld warmup_s=%u",
          static_cast<unsigned long long>(last_id),
          static_cast<unsigned long long>(x.agg_id),
          static_cast<long long>(x.trade_time_ms - last_ms), st.warmup_s);
  ++st.long_outages;
  // Nothing at or below the last applied id may be applied twice, whatever REST sends.
  auto& gap = request_warmup(self, x, last_id + 1, x.agg_id - 1);
  gap.outage = true;
  gap.skip_from_id = last_id + 1;
  wait_for_gap(self, gap.to_id);
  // The skipped part of the outage is missing from every window that overlaps it.
  st.windows->mark_gap(last_ms, gap.before_ms);
}

/// Counts the ids an outage skipped, once the first loaded id (or none) is known.
void count_skipped(aggregator_state& st, open_gap& gap,
                   std::uint64_t first_loaded_id) {
  if (!gap.outage || gap.skip_counted)
    return;
  gap.skip_counted = true;
  st.skipped_trades += first_loaded_id - gap.skip_from_id;
}

/// Missing ids that one REST page fills: a gap this small is always backfilled,
/// however long ago the last trade was (an illiquid market is not an outage).
constexpr std::uint64_t one_page_ids = 1000;

/// True if the jump to `x` is an outage to end with a warm start: it spans more
/// trade time than both the history window and the warm-up period (so the warm-up
/// starts after the last applied trade), and more ids than one REST page.
bool is_long_outage(const aggregator_state& st, const trade& x) {
  auto span_ms = x.trade_time_ms - st.flow.last_trade_time_ms();
  return st.warmup_s > 0 && st.backfill
         && span_ms
              > std::max(st.history_age_ms, std::int64_t{st.warmup_s} * 1000)
         && x.agg_id - st.flow.last_trade_id() - 1 > one_page_ids;
}

/// A jump from the last applied id to `x`: record the gap and ask for it.
void open_gap_before(aggregator_self self, const trade& x) {
  auto& st = self->state;
  if (is_long_outage(st, x)) {
    warm_start_after_outage(self, x);
    return;
  }
  open_gap gap;
  gap.from_id = st.flow.last_trade_id() + 1;
  gap.to_id = x.agg_id - 1;
  gap.next_id = gap.from_id;
  gap.before_ms = st.flow.last_trade_time_ms();
  gap.after_ms = x.trade_time_ms;
  ++st.gaps_detected;
  wait_for_gap(self, gap.to_id);
  if (!st.backfill) {
    gap.failed = true;
    st.windows->mark_gap(gap.before_ms, gap.after_ms);
  } else {
    self->send(st.backfill,
               backfill_request{st.symbol, gap.from_id, gap.to_id});
  }
  push_gap(st, gap);
}

open_gap* find_gap(aggregator_state& st, std::uint64_t from_id,
                   std::uint64_t to_id) {
  for (auto& gap : st.gaps)
    if (gap.from_id == from_id && gap.to_id == to_id)
      return &gap;
  return nullptr;
}

/// Applies a backfilled trade at its place: totals, history, windows (if its second
/// is still inside them), large trades.
void apply_backfilled(aggregator_state& st, const trade& x) {
  st.flow.add_backfilled(x);
  st.history.insert(x);
  auto inside = x.trade_time_ms
                > st.windows->now_ms() - st.windows->span_s() * 1000;
  if (inside ? st.windows->add(x) : st.windows->is_large(x))
    keep_large(st, x);
  ++st.backfilled;
}

// --- handlers: one per message of aggregator_if, in the behavior's order ---------

/// Applies each live trade whose id is new; an id jump opens a gap, the first
/// trade starts the warm start.
void on_trades(aggregator_self self, trade_batch& batch) {
  auto& st = self->state;
  std::uint64_t applied = 0;
  for (auto& x : batch.trades) {
    auto last = st.flow.last_trade_id();
    if (last != 0 && x.agg_id <= last) {
      st.flow.add_duplicate();
      continue;
    }
    if (last != 0 && x.agg_id > last + 1)
      open_gap_before(self, x);
    if (last == 0) {
      // The feed starts at the first live trade, or after a hand-over's last id.
      st.feed_started = true;
      st.released_id = x.agg_id > 0 ? x.agg_id - 1 : 0;
      start_first(self, x);
    }
    st.flow.add(x);
    st.history.push(x);
    if (st.windows->add(x))
      keep_large(st, x);
    ++applied;
  }
  // Latency is real time on purpose (steady clock, as the transport stamped it),
  // not the actor clock: it measures this process, not the simulation.
  auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now().time_since_epoch())
                  .count();
  if (applied > 0 && batch.recv_ns > 0)
    st.latency.add((now_ns - batch.recv_ns) / 1000, applied);
  if (applied > 0)
    release(self, batch.recv_ns);
}

/// Applies one REST page of a gap (or of the warm start) in its id places; closes
/// the gap when its last id has come.
void on_backfill(aggregator_self self, backfill_batch& batch) {
  auto& st = self->state;
  auto* gap = find_gap(st, batch.from_id, batch.to_id);
  if (gap == nullptr)
    return;
  for (auto& x : batch.trades) {
    if (x.agg_id < gap->next_id || x.agg_id > gap->to_id)
      continue;
    count_skipped(st, *gap, x.agg_id);
    apply_backfilled(st, x);
    gap->next_id = x.agg_id + 1;
  }
  // An empty page ends a warm start that found no trade in its period.
  if (gap->next_id > gap->to_id || (gap->warmup && batch.trades.empty())) {
    count_skipped(st, *gap, gap->to_id + 1);
    if (gap->warmup)
      st.warmup = warmup_state::done;
    else
      ++st.gaps_filled;
    auto from = gap->from_id;
    auto to = gap->to_id;
    st.gaps.erase(std::remove_if(st.gaps.begin(), st.gaps.end(),
                                 [from, to](const open_gap& g) {
                                   return g.from_id == from && g.to_id == to;
                                 }),
                  st.gaps.end());
  }
  release(self);
}

/// The backfill actor gave up: the rest of the gap stays open and the windows over
/// it say incomplete.
void on_backfill_failed(aggregator_self self, const backfill_failed& failed) {
  auto& st = self->state;
  // The failure names the part still missing: the gap that ends where it ends
  // (gaps are disjoint) and starts at or before it.
  open_gap* gap = nullptr;
  for (auto& g : st.gaps)
    if (g.to_id == failed.to_id && g.from_id <= failed.from_id)
      gap = &g;
  if (gap == nullptr)
    return;
  gap->failed = true;
  if (gap->warmup)
    st.warmup = warmup_state::failed;
  // The ids from the failure on are unfilled, those before the warm-up skipped
  // (a no-op once a trade was loaded); a failed lookup leaves the start unknown.
  count_skipped(st, *gap,
                failed.from_id >= gap->skip_from_id ? failed.from_id
                                                    : gap->to_id + 1);
  st.windows->mark_gap(gap->before_ms, gap->after_ms);
  release(self);
}

/// Totals since start, the rolling windows (slid to the wall clock if so
/// configured) and the open gaps.
metrics_snapshot metrics(aggregator_self self) {
  auto& st = self->state;
  if (st.windows_follow_wall_clock)
    st.windows->advance_to(
      std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch())
        .count());
  auto result = st.flow.snapshot(st.symbol);
  result.cvd_e8 = to_wide(st.windows->cvd_e8());
  result.windows = st.windows->snapshot();
  result.gaps_detected = st.gaps_detected;
  result.gaps_filled = st.gaps_filled;
  result.gaps_open = static_cast<std::uint64_t>(
    std::count_if(st.gaps.begin(), st.gaps.end(),
                  [](const open_gap& g) { return !g.warmup; }));
  result.backfilled = st.backfilled;
  result.warmup = st.warmup;
  result.long_outages = st.long_outages;
  result.skipped_trades = st.skipped_trades;
  for (auto& gap : st.gaps) {
    if (gap.warmup)
      continue;
    result.open_gaps.push_back(gap.next_id);
    result.open_gaps.push_back(gap.to_id);
    result.open_gaps.push_back(gap.failed ? 1 : 0);
  }
  return result;
}

/// The last `n` large trades, oldest first.
std::vector<trade> recent_large_trades(aggregator_self self, std::uint32_t n) {
  auto& large = self->state.large_trades;
  auto count = std::min<std::size_t>(n, large.size());
  return std::vector<trade>(large.end() - static_cast<std::ptrdiff_t>(count),
                            large.end());
}

} // namespace

aggregator_if::behavior_type
aggregator_actor(aggregator_if::stateful_pointer<aggregator_state> self,
                 std::string symbol, aggregator_limits limits,
                 backfill_sink_if backfill) {
  self->state.symbol = std::move(symbol);
  auto& st0 = self->state;
  st0.history = trade_history{st0.symbol, limits.trades_max,
                              std::int64_t{limits.age_s} * 1000};
  // price_e8 * qty_e8 is in 1e-16 units: the e8 threshold times 1e8.
  st0.windows = std::make_unique<rolling_windows>(
    limits.windows_ms, int128{limits.large_trade_quote_e8} * e8_scale);
  st0.large_trades_max = limits.large_trades_max;
  st0.windows_follow_wall_clock = limits.windows_follow_wall_clock;
  st0.backfill = std::move(backfill);
  st0.warmup_s = limits.warmup_s;
  st0.history_age_ms = std::int64_t{limits.age_s} * 1000;
  st0.feed = std::move(limits.feed);
  st0.feed_gap_wait_ms = limits.feed_gap_wait_ms;
  st0.resume_after_id = limits.resume_after_id;
  st0.trades_max = limits.trades_max;
  return {
    [=](trade_batch& batch) { on_trades(self, batch); },
    [=](backfill_batch& batch) { on_backfill(self, batch); },
    [=](backfill_failed& failed) { on_backfill_failed(self, failed); },
    [=](gap_wait_atom, std::uint64_t to_id) { on_gap_wait(self, to_id); },
    [=](trades_atom, std::uint32_t n) { return self->state.history.last(n); },
    [=](agg_trades_atom, const trade_query& q) {
      return self->state.history.select(q);
    },
    [=](resume_atom, std::uint64_t from_id, std::uint32_t limit) {
      return resume(self, from_id, limit);
    },
    [=](metrics_atom) { return metrics(self); },
    [=](large_trades_atom, std::uint32_t n) {
      return recent_large_trades(self, n);
    },
    [=](latency_atom) { return self->state.latency.snapshot(); },
  };
}

} // namespace sv
