// backfill_actor: the process's one REST caller (gap backfill, warm start, depth snapshots).
#include "actors/backfill_actor.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>

#include "actors/actor_clock.hpp"
#include "actors/core/log.hpp"
#include "actors/wire/depth_decoder.hpp"
#include "actors/wire/rest_decoder.hpp"

namespace sv {

namespace {

constexpr std::int64_t second_ns = 1'000'000'000;
constexpr std::int64_t millisecond_ns = 1'000'000;
constexpr std::int64_t hour_ms = 3'600'000;
/// Above this share of the weight budget (as the exchange reports it), pause.
constexpr std::uint32_t used_weight_pause_percent = 80;
constexpr std::int64_t used_weight_pause_ns = 10 * second_ns;
/// Retry delays of a failing job: 1, 2, 4, 8, 16 s.
constexpr std::int64_t retry_delay_ns_initial = second_ns;

/// The actor clock in milliseconds, the unit the refusal limiter counts in.
std::int64_t clock_ms(backfill_self self) {
  return clock_ns(self) / millisecond_ns;
}

/// Sends bf_wake at `at_ns` unless one is due no later (timers cannot be cancelled,
/// so an earlier wake that finds nothing to do simply re-arms for the next time).
void arm_wake(backfill_self self, std::int64_t at_ns) {
  auto& st = self->state;
  if (st.wake_at_ns != 0 && st.wake_at_ns <= at_ns)
    return;
  st.wake_at_ns = at_ns;
  self->delayed_send(
    self,
    std::chrono::nanoseconds(std::max<std::int64_t>(at_ns - clock_ns(self), 0)),
    backfill_wake_atom::value);
}

void pause(backfill_self self, std::int64_t for_ns) {
  auto& st = self->state;
  st.paused_until_ns = std::max(st.paused_until_ns, clock_ns(self) + for_ns);
}

/// Binance's depth weights by limit, as data: {largest limit, weight}.
struct depth_weight_step {
  std::uint32_t limit_max;
  std::uint32_t weight;
};
constexpr depth_weight_step depth_weights[]
  = {{100, 5}, {500, 25}, {1000, 50}, {5000, 250}};

std::uint32_t job_weight(const backfill_state& st, const backfill_job& job) {
  switch (job.kind) {
    case job_kind::depth_snapshot:
      return depth_request_weight(job.depth_limit);
    case job_kind::gap:
    case job_kind::warmup_start:
      return st.cfg.weight_per_request;
  }
  return st.cfg.weight_per_request;
}

using job_iterator = std::deque<backfill_job>::iterator;

job_iterator find_job(backfill_state& st, std::uint64_t id) {
  return std::find_if(st.jobs.begin(), st.jobs.end(),
                      [id](const backfill_job& j) { return j.id == id; });
}

/// The job whose turn it is at `now`: the first snapshot whose retry delay is over
/// (a book is useless until its snapshot comes, a gap only incomplete), else the
/// first job whose retry delay is over; end() if every job waits.
job_iterator next_ready(backfill_state& st, std::int64_t now) {
  auto ready = [now](const backfill_job& j) { return j.not_before_ns <= now; };
  auto snapshot
    = std::find_if(st.jobs.begin(), st.jobs.end(), [&](const backfill_job& j) {
        return j.kind == job_kind::depth_snapshot && ready(j);
      });
  if (snapshot != st.jobs.end())
    return snapshot;
  return std::find_if(st.jobs.begin(), st.jobs.end(), ready);
}

/// A request is one turn of its symbol, whatever its answer: once it is answered
/// or past its deadline, every job of `symbol` (in their order) goes behind the
/// jobs of every other symbol, including jobs queued while it was in flight. So
/// symbols take turns by request whatever their number of gaps or pages, and a job
/// finishing does not hand the next turn to another job of the same symbol.
void symbol_to_back(backfill_state& st, const std::string& symbol) {
  std::stable_partition(st.jobs.begin(), st.jobs.end(),
                        [&symbol](const backfill_job& j) {
                          return j.symbol != symbol;
                        });
}

/// Sends the next request if nothing is in flight and the limits allow it.
void pump(backfill_self self) {
  auto& st = self->state;
  if (st.in_flight_id != 0 || st.jobs.empty())
    return;
  auto now = clock_ns(self);
  if (now < st.paused_until_ns) {
    arm_wake(self, st.paused_until_ns);
    return;
  }
  auto it = next_ready(st, now);
  if (it == st.jobs.end()) {
    auto soonest = std::min_element(st.jobs.begin(), st.jobs.end(),
                                    [](const auto& a, const auto& b) {
                                      return a.not_before_ns < b.not_before_ns;
                                    });
    arm_wake(self, soonest->not_before_ns);
    return;
  }
  auto& job = *it;
  auto weight = job_weight(st, job);
  if (!st.budget.try_acquire(now, weight)) {
    arm_wake(self, st.budget.next_available_ns(now, weight));
    return;
  }
  rest_target target;
  target.server = st.cfg.server;
  switch (job.kind) {
    case job_kind::depth_snapshot:
      target.target = "/api/v3/depth?symbol=" + job.symbol
                      + "&limit=" + std::to_string(job.depth_limit);
      break;
    case job_kind::warmup_start:
      // Binance wants startTime and endTime less than an hour apart.
      target.target = "/api/v3/aggTrades?symbol=" + job.symbol + "&startTime="
                      + std::to_string(job.start_time_ms) + "&endTime="
                      + std::to_string(job.start_time_ms + hour_ms - 1)
                      + "&limit=1";
      break;
    case job_kind::gap: {
      auto limit = std::min<std::uint64_t>(st.cfg.rows_per_request,
                                           job.to_id - job.next_id + 1);
      target.target = "/api/v3/aggTrades?symbol=" + job.symbol
                      + "&fromId=" + std::to_string(job.next_id)
                      + "&limit=" + std::to_string(limit);
      break;
    }
  }
  st.in_flight_id = ++st.next_request_id;
  st.in_flight_job = job.id;
  st.rest->get(st.in_flight_id, target, caf::actor_cast<caf::actor>(self));
  self->delayed_send(self, std::chrono::milliseconds(st.cfg.request_timeout_ms),
                     backfill_deadline_atom::value, st.in_flight_id);
}

void finish_job(backfill_self self, const job_iterator& it) {
  self->state.jobs.erase(it);
}

void fail_job(backfill_self self, const job_iterator& it,
              const std::string& why) {
  auto& job = *it;
  if (job.kind == job_kind::depth_snapshot) {
    SV_WARN("backfill", job.symbol, "snapshot_failed",
            "limit=%u reason=\"%s\" hint=\"the book stays unsynced and asks "
            "again; check --rest-endpoint\"",
            job.depth_limit, why.c_str());
    self->send(job.snapshot_requester, depth_snapshot_failed{job.symbol, why});
    finish_job(self, it);
    return;
  }
  SV_WARN("backfill", job.symbol, "gap_unfilled",
          "from=%llu to=%llu reason=\"%s\" hint=\"the gap stays visible in "
          "/metrics; check --rest-endpoint\"",
          static_cast<unsigned long long>(job.next_id),
          static_cast<unsigned long long>(job.to_id), why.c_str());
  self->send(job.requester,
             backfill_failed{job.symbol, job.next_id, job.to_id, why});
  finish_job(self, it);
}

/// A request failed for this job: it retries after its delay while the other jobs
/// go on, or gives up after attempts_max.
void request_failed(backfill_self self, const job_iterator& it,
                    const std::string& why) {
  auto& st = self->state;
  auto& job = *it;
  if (++job.failures >= st.cfg.attempts_max) {
    fail_job(self, it, why);
    return;
  }
  auto delay = retry_delay_ns_initial << (job.failures - 1);
  SV_WARN("backfill", job.symbol, "request_failed",
          "from=%llu attempt=%u retry_in_ms=%lld reason=\"%s\"",
          static_cast<unsigned long long>(job.next_id), job.failures,
          static_cast<long long>(delay / 1'000'000), why.c_str());
  job.not_before_ns = clock_ns(self) + delay;
}

/// Handles the answer to the request in flight for job `it`.
void handle_response(backfill_self self, const job_iterator& it,
                     rest_response& r);

void on_response(backfill_self self, rest_response& r) {
  auto& st = self->state;
  if (r.req_id != st.in_flight_id)
    return; // an answer after its deadline, or to nothing we asked
  st.in_flight_id = 0;
  auto it = find_job(st, st.in_flight_job);
  if (it == st.jobs.end())
    return;
  auto symbol = it->symbol; // the job may be gone after its answer
  handle_response(self, it, r);
  symbol_to_back(st, symbol);
}

/// The request `id` has had its time: if it is still in flight, it failed.
void on_deadline(backfill_self self, std::uint64_t id) {
  auto& st = self->state;
  if (id != st.in_flight_id)
    return; // answered in time
  st.in_flight_id = 0;
  ++st.requests_timed_out;
  auto it = find_job(st, st.in_flight_job);
  if (it == st.jobs.end())
    return;
  auto symbol = it->symbol; // the job may be gone after its last failure
  request_failed(self, it,
                 "no answer within " + std::to_string(st.cfg.request_timeout_ms)
                   + " ms");
  symbol_to_back(st, symbol);
}

void handle_response(backfill_self self, const job_iterator& it,
                     rest_response& r) {
  auto& st = self->state;
  if (r.used_weight_1m >= 0)
    st.weight_used_reported = r.used_weight_1m;
  if (r.used_weight_1m >= 0
      && static_cast<std::uint64_t>(r.used_weight_1m) * 100
           > std::uint64_t{st.cfg.weight_budget_1m}
               * used_weight_pause_percent) {
    SV_WARN("backfill", "-", "weight_high",
            "used_weight_1m=%d budget=%u pause_ms=%lld", r.used_weight_1m,
            st.cfg.weight_budget_1m,
            static_cast<long long>(used_weight_pause_ns / 1'000'000));
    pause(self, used_weight_pause_ns);
  }
  auto& job = *it;
  if (r.status == 429 || r.status == 418) {
    ++(r.status == 429 ? st.pauses_429 : st.pauses_418);
    auto seconds = std::max<std::int32_t>(r.retry_after_s, 1);
    SV_WARN("backfill", job.symbol, "rate_limited",
            "status=%d retry_after_s=%d detail=\"%s\"", r.status, seconds,
            describe_rest_error(r.body).c_str());
    pause(self, std::int64_t{seconds} * second_ns);
    return;
  }
  if (r.status != 200) {
    request_failed(self, it,
                   r.status == 0 ? r.error
                                 : "http " + std::to_string(r.status) + ": "
                                     + describe_rest_error(r.body));
    return;
  }
  if (job.kind == job_kind::depth_snapshot) {
    depth_snapshot snapshot;
    std::string error;
    if (!decode_depth_snapshot(r.body, job.symbol, snapshot, error)) {
      request_failed(self, it, "malformed depth body: " + error);
      return;
    }
    SV_INFO("backfill", job.symbol, "snapshot",
            "limit=%u last_update_id=%llu "
            "bids=%zu asks=%zu",
            job.depth_limit,
            static_cast<unsigned long long>(snapshot.last_update_id),
            snapshot.bids.size(), snapshot.asks.size());
    self->send(job.snapshot_requester, std::move(snapshot));
    finish_job(self, it);
    return;
  }
  std::vector<trade> rows;
  std::string error;
  if (!decode_agg_trades(r.body, job.symbol, rows, error)) {
    request_failed(self, it, "malformed aggTrades body: " + error);
    return;
  }
  if (job.kind == job_kind::warmup_start) {
    // Warm start: the first trade at or after the start time tells where to begin;
    // from there on the job is a gap.
    job.kind = job_kind::gap;
    job.start_time_ms = -1;
    job.failures = 0;
    if (rows.empty() || rows.front().agg_id > job.to_id) {
      SV_INFO("backfill", job.symbol, "warmup_empty", "before_id=%llu",
              static_cast<unsigned long long>(job.to_id + 1));
      self->send(job.requester,
                 backfill_batch{job.symbol, job.from_id, job.to_id, {}});
      finish_job(self, it);
    } else {
      job.next_id = rows.front().agg_id;
    }
    return;
  }
  backfill_batch batch{job.symbol, job.from_id, job.to_id, {}};
  for (auto& x : rows)
    if (x.agg_id >= job.next_id && x.agg_id <= job.to_id)
      batch.trades.push_back(std::move(x));
  if (batch.trades.empty()) {
    fail_job(self, it,
             "the exchange returned no trades from id "
               + std::to_string(job.next_id));
    return;
  }
  job.failures = 0;
  job.next_id = batch.trades.back().agg_id + 1;
  auto done = job.next_id > job.to_id;
  self->send(job.requester, std::move(batch));
  if (done) {
    SV_INFO("backfill", job.symbol, "gap_filled", "from=%llu to=%llu",
            static_cast<unsigned long long>(job.from_id),
            static_cast<unsigned long long>(job.to_id));
    finish_job(self, it);
  }
}

/// Writes what the refusal limiter counted but did not write, in the form the
/// transports use for their limited lines (app/transport/lws_logging.cpp).
void log_suppressed(const std::vector<log_limiter::summary>& summaries) {
  for (const auto& s : summaries)
    SV_WARN("backfill", "-", "suppressed",
            "similar=%llu over_s=%.1f msg=\"%s\"",
            static_cast<unsigned long long>(s.suppressed),
            static_cast<double>(s.over_ms) / 1000.0, s.sample.c_str());
}

/// Queues `job`, or refuses it when jobs_max are queued; false if refused.
bool enqueue(backfill_self self, backfill_job job) {
  auto& st = self->state;
  if (st.jobs.size() >= st.cfg.jobs_max) {
    auto n = ++st.jobs_refused;
    // One line per burst: the limiter writes the first refusal of a window and
    // counts the rest, summarised once the window is over.
    auto verdict = st.refusal_log.admit("queue_full", clock_ms(self));
    log_suppressed(verdict.summaries);
    if (verdict.write)
      SV_WARN("backfill", job.symbol, "queue_full",
              "jobs_max=%u refused=%llu hint=\"REST cannot keep up with the "
              "gaps and books; the refused gap stays open, a refused book asks "
              "again\"",
              st.cfg.jobs_max, static_cast<unsigned long long>(n));
    std::string why = "backfill queue full (" + std::to_string(st.cfg.jobs_max)
                      + " jobs)";
    if (job.kind == job_kind::depth_snapshot)
      self->send(job.snapshot_requester,
                 depth_snapshot_failed{job.symbol, why});
    else
      self->send(job.requester,
                 backfill_failed{job.symbol, job.from_id, job.to_id, why});
    return false;
  }
  // A burst that has ended says how many it refused.
  log_suppressed(st.refusal_log.flush(clock_ms(self)));
  job.id = ++st.next_job_id;
  st.jobs.push_back(std::move(job));
  return true;
}

} // namespace

std::uint32_t depth_request_weight(std::uint32_t limit) {
  for (auto& step : depth_weights)
    if (limit <= step.limit_max)
      return step.weight;
  return depth_weights[std::size(depth_weights) - 1].weight;
}

backfill_if::behavior_type
backfill_actor(backfill_self self, backfill_config cfg, rest_client* rest) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.rest = rest;
  st.budget = weight_budget{std::max<std::uint32_t>(1, st.cfg.weight_budget_1m),
                            60 * second_ns, 10};
  return {
    [=](backfill_request& req) {
      if (req.to_id < req.from_id)
        return;
      // A start time makes the request a warm start (messages/backfill.hpp).
      auto kind = req.start_time_ms >= 0 ? job_kind::warmup_start
                                         : job_kind::gap;
      if (kind == job_kind::warmup_start)
        SV_INFO("backfill", req.symbol, "warmup",
                "start_time_ms=%lld before_id=%llu",
                static_cast<long long>(req.start_time_ms),
                static_cast<unsigned long long>(req.to_id + 1));
      else
        SV_INFO("backfill", req.symbol, "gap_detected",
                "from=%llu to=%llu missing=%llu",
                static_cast<unsigned long long>(req.from_id),
                static_cast<unsigned long long>(req.to_id),
                static_cast<unsigned long long>(req.to_id - req.from_id + 1));
      backfill_job job;
      job.symbol = req.symbol;
      job.from_id = req.from_id;
      job.to_id = req.to_id;
      job.next_id = req.from_id;
      job.kind = kind;
      job.start_time_ms = req.start_time_ms;
      job.requester
        = caf::actor_cast<backfill_requester_if>(self->current_sender());
      if (enqueue(self, std::move(job)))
        pump(self);
    },
    [=](depth_snapshot_request& req) {
      backfill_job job;
      job.kind = job_kind::depth_snapshot;
      job.symbol = req.symbol;
      job.depth_limit = std::max<std::uint32_t>(req.limit, 1);
      job.snapshot_requester
        = caf::actor_cast<snapshot_requester_if>(self->current_sender());
      if (enqueue(self, std::move(job)))
        pump(self);
    },
    [=](rest_response& r) {
      on_response(self, r);
      pump(self);
    },
    [=](backfill_wake_atom) {
      if (clock_ns(self) >= self->state.wake_at_ns)
        self->state.wake_at_ns = 0;
      pump(self);
    },
    [=](backfill_deadline_atom, std::uint64_t id) {
      on_deadline(self, id);
      pump(self);
    },
    [=](status_atom) {
      const auto& now = self->state;
      backfill_status x;
      x.weight_used = now.budget.used(clock_ns(self));
      x.weight_budget = now.cfg.weight_budget_1m;
      x.weight_used_reported = now.weight_used_reported;
      x.pauses_429 = now.pauses_429;
      x.pauses_418 = now.pauses_418;
      x.requests_timed_out = now.requests_timed_out;
      x.jobs_refused = now.jobs_refused;
      x.jobs_queued = now.jobs.size();
      return x;
    },
  };
}

} // namespace sv
