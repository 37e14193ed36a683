// sim_server pacing: trades generated at --rate per market; each order book moved on its clock.
#include "app/sim/sim_server_impl.hpp"

#include <algorithm>
#include <cstring>

#include "actors/core/log.hpp"

namespace sv {

using namespace sim_detail;

namespace {

/// Trades generated per refill at --rate 0 (capped by --rest-history).
constexpr std::size_t unpaced_batch = 256;

/// Trades one pacing tick generates at most; a rate above what the loop sustains
/// then degrades to "as fast as possible" instead of stalling the service thread.
constexpr std::int64_t tick_trades_max = 65536;

/// A depth clock this late (beyond its interval) gives up catching up and restarts
/// its schedule from now, so a stalled process does not replay minutes of events.
constexpr std::int64_t depth_lag_us_max = 1'000'000;

/// Depth steps (changes or event closes) one timer callback takes at most.
constexpr int depth_steps_max = 4096;

} // namespace

sim_detail::market_clock& sim_server::impl::clock_of(symbol_market& m) {
  auto& c = clocks[&m];
  if (!c) {
    c = std::make_unique<market_clock>();
    std::memset(&c->sul, 0, sizeof(c->sul));
    c->owner = this;
    c->market = &m;
  }
  return *c;
}

void sim_server::impl::wake(market_clock& c) {
  for (auto* conn : c.conns)
    lws_callback_on_writable(conn);
}

/// Begins a market's sequence (first subscriber, --start-on-connect semantics).
void sim_server::impl::start_market(symbol_market& m) {
  m.started = true;
  auto& c = clock_of(m);
  c.start_us = steady_us();
  c.generated = 0;
  SV_INFO("sim", m.symbol(), "started", "rate=%lld first_id=%lld",
          static_cast<long long>(options.rate),
          static_cast<long long>(m.next_id()));
  if (options.rate > 0 && !replaying() && !m.exhausted())
    lws_sul_schedule(ctx, 0, &c.sul, on_tick, 0);
}

void sim_server::impl::on_tick(lws_sorted_usec_list_t* sul) {
  auto* c = lws_container_of(sul, market_clock, sul);
  c->owner->tick(*c);
}

/// Generates every trade due by now (trade k is due k/rate seconds after start)
/// and re-arms the timer for the next one.
void sim_server::impl::tick(market_clock& c) {
  auto& m = *c.market;
  auto now = steady_us();
  auto rate = static_cast<int128>(options.rate);
  auto due_total = static_cast<std::int64_t>(
    static_cast<int128>(now - c.start_us) * rate / us_per_s + 1);
  auto n = std::min(due_total - c.generated, tick_trades_max);
  n = std::min<std::int64_t>(n,
                             static_cast<std::int64_t>(options.rest_history));
  auto ms = wall_ms();
  for (std::int64_t i = 0; i < n && !m.exhausted(); ++i) {
    m.emit(ms);
    ++c.generated;
  }
  wake(c);
  if (m.exhausted()) {
    SV_INFO("sim", m.symbol(), "exhausted", "emitted=%lld",
            static_cast<long long>(m.totals().emitted));
    return;
  }
  // Next due time: smallest t with floor(t * rate / 1e6) >= generated.
  auto next_us
    = c.start_us
      + static_cast<std::int64_t>(
        (static_cast<int128>(c.generated) * us_per_s + rate - 1) / rate);
  lws_sul_schedule(ctx, 0, &c.sul, on_tick,
                   std::max<std::int64_t>(0, next_us - now));
}

/// --rate 0: the fastest reader pulls the sequence forward in batches.
void sim_server::impl::refill(symbol_market& m) {
  auto n = std::min(unpaced_batch, options.rest_history);
  auto ms = wall_ms();
  for (std::size_t i = 0; i < n && !m.exhausted(); ++i)
    m.emit(ms);
  auto& c = clock_of(m);
  c.generated = m.totals().emitted;
  wake(c);
}

/// Starts `m`'s book clock unless it runs: the book moves from the moment the
/// market exists (--symbols at start, else its first stream request), whether or
/// not anyone reads its depth stream, like an exchange's.
sim_detail::depth_clock& sim_server::impl::start_depth_clock(symbol_market& m) {
  auto& c = depth_clocks[&m];
  if (c)
    return *c;
  c = std::make_unique<depth_clock>();
  std::memset(&c->sul, 0, sizeof(c->sul));
  c->owner = this;
  c->market = &m;
  c->interval_start_us = steady_us();
  SV_INFO("sim", m.symbol(), "book_started",
          "update_id=%lld interval_ms=%lld changes=%lld",
          static_cast<long long>(m.depth().book().last_update_id()),
          static_cast<long long>(options.depth_interval_ms),
          static_cast<long long>(options.depth_changes));
  lws_sul_schedule(ctx, 0, &c->sul, on_depth_tick, 0);
  return *c;
}

void sim_server::impl::on_depth_tick(lws_sorted_usec_list_t* sul) {
  auto* c = lws_container_of(sul, depth_clock, sul);
  c->owner->depth_tick(*c);
}

/// Takes every depth step due by now (the open event's next change, or closing
/// it), wakes the depth streams if an event was kept, and re-arms the timer.
void sim_server::impl::depth_tick(depth_clock& c) {
  auto& feed = c.market->depth();
  auto interval_us = options.depth_interval_ms * 1000;
  auto now = steady_us();
  if (now - c.interval_start_us > interval_us + depth_lag_us_max) {
    SV_WARN(
      "sim", c.market->symbol(), "depth_clock_late",
      "late_ms=%lld hint=\"the service thread was stalled; the schedule "
      "restarts now\"",
      static_cast<long long>((now - c.interval_start_us - interval_us) / 1000));
    c.interval_start_us = now;
  }
  bool kept = false;
  for (int step = 0; step < depth_steps_max; ++step) {
    auto n = feed.open_size();
    auto j = feed.open_applied();
    auto due = c.interval_start_us
               + (j < n ? interval_us * j / n : interval_us);
    if (due > now) {
      if (kept)
        wake(c.conns);
      lws_sul_schedule(ctx, 0, &c.sul, on_depth_tick, due - now);
      return;
    }
    if (j < n) {
      feed.apply_change();
      continue;
    }
    kept = close_depth_event(*c.market) || kept;
    c.interval_start_us += interval_us;
  }
  if (kept)
    wake(c.conns);
  lws_sul_schedule(ctx, 0, &c.sul, on_depth_tick, 0); // more steps are due
}

/// Closes `m`'s open depth event, dropped if a drop-depth fault says so. Returns
/// true if the event was kept for the streams.
bool sim_server::impl::close_depth_event(symbol_market& m) {
  auto& feed = m.depth();
  auto number = feed.next_number();
  const auto* f = faults.empty() ? nullptr
                                 : faults.take_depth_drop(m.symbol(), number);
  auto first = feed.book().last_update_id() - feed.open_size() + 1;
  feed.close_event(wall_ms(), f != nullptr);
  if (!f)
    return true;
  SV_INFO("sim", m.symbol(), "fault_depth_dropped",
          "fault=\"%s\" event=%lld first_update_id=%lld last_update_id=%lld "
          "dropped=%lld",
          f->text.c_str(), static_cast<long long>(number),
          static_cast<long long>(first),
          static_cast<long long>(feed.book().last_update_id()),
          static_cast<long long>(feed.dropped()));
  return false;
}

void sim_server::impl::wake(const std::vector<lws*>& conns) {
  for (auto* conn : conns)
    lws_callback_on_writable(conn);
}

} // namespace sv
