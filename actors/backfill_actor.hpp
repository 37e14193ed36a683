// backfill_actor: the process's one REST caller: fills gaps in aggregate trade ids, loads
// the warm start and fetches order-book snapshots, all within one weight budget.
//
// One state. Jobs (one per gap, warm start or snapshot) take turns, one request in
// flight at a time:
//
//   backfill_request / depth_snapshot_request --> queue the job, or, with jobs_max
//         queued, refuse it at once (backfill_failed / depth_snapshot_failed)
//   pump: nothing in flight; not paused (Retry-After, used weight); the next job
//         whose retry delay is over (snapshots first, else the longest waiting);
//         its weight within the budget, else bf_wake when it fits
//         --> GET, and (bf_dl, id) after request_timeout_ms
//         (a warm-start job first asks aggTrades?startTime=T&endTime=T+1h-1ms&limit=1
//         for the first id at T; a gap job asks aggTrades?fromId=next&limit<=1000;
//         a snapshot job asks depth?limit=N)
//   rest_response 200 --> backfill_batch (depth_snapshot) to the requester; a gap's
//         next = last id + 1; job done when next > to_id, failed when a page is empty
//   rest_response 429/418 --> pause every request for Retry-After (at least 1 s)
//   rest_response other, or (bf_dl, id) while id is in flight --> that job retries
//         after 1, 2, 4, 8, 16 s while the others go on; then backfill_failed
//         (depth_snapshot_failed) to the requester. An answer after its deadline
//         is ignored.
//   status_atom --> backfill_status (budget used, pauses, queue), for /metrics
//   after each answer or deadline, every job of that request's symbol goes to the
//         back of the queue (in their order): symbols take turns by request, so one
//         symbol's long, slow or many gaps delay another's by at most the request
//         in flight.
//
// Request weight is budgeted for the whole process (Binance counts it per IP):
// the weights of the requests in any 60 s sum to at most weight_budget_1m
// (aggTrades 4, depth 5..250 by limit), at most 10 requests start per second, and
// all requests pause whenever the exchange's X-MBX-USED-WEIGHT-1M header passes
// 80 % of the budget.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/core/log_limiter.hpp"
#include "actors/core/weight_budget.hpp"
#include "actors/protocols.hpp"
#include "actors/seams/endpoint.hpp"
#include "actors/seams/rest_client.hpp"

namespace sv {

/// Binance's request weight of GET /api/v3/depth with `limit` levels:
/// 1-100: 5, 101-500: 25, 501-1000: 50, 1001-5000: 250.
std::uint32_t depth_request_weight(std::uint32_t limit);

/// Where the REST API is and how much of it we may use.
struct backfill_config {
  endpoint server{true, "", 443,
                  ""}; ///< REST server: https or http, prefix before /api
  std::uint32_t weight_budget_1m
    = 6000; ///< Binance REQUEST_WEIGHT per minute per IP
  std::uint32_t weight_per_request = 4;  ///< aggTrades with limit 1000
  std::uint32_t rows_per_request = 1000; ///< Binance's maximum limit
  std::uint32_t attempts_max = 5; ///< failed requests per job before giving up
  /// A request without an answer after this long is given up here (a failure of
  /// its job), whatever the transport does. The daemon sets the transport's own
  /// timeout (lws_client_options::rest_timeout_ms) 2 s later as a second line
  /// (app/wiring.cpp); setting: backfill_request_timeout_ms.
  std::uint32_t request_timeout_ms = 10000;
  /// Jobs queued at most: a request beyond it is refused at once, so a burst of
  /// gaps or books cannot grow the queue without bound. 4096 is more than two
  /// gaps and a snapshot for each of 1,000 symbols; setting: backfill_jobs_max.
  std::uint32_t jobs_max = 4096;
};

/// What a job asks the REST API for.
enum class job_kind : std::uint8_t {
  gap,          ///< aggTrades pages from next_id until to_id has come
  warmup_start, ///< a warm start's first step: the first id at start_time_ms; then a gap
  depth_snapshot, ///< one /api/v3/depth snapshot of depth_limit levels per side
};

/// One gap being filled, one warm start, or one depth snapshot being fetched.
struct backfill_job {
  std::uint64_t id = 0; ///< unique per job, for the request in flight
  job_kind kind
    = job_kind::gap;          ///< what is asked for; decides every step below
  std::string symbol;         ///< upper case
  std::uint64_t from_id = 0;  ///< the gap as requested
  std::uint64_t to_id = 0;    ///< likewise
  std::uint64_t next_id = 0;  ///< first id not yet delivered
  std::uint32_t failures = 0; ///< consecutive failed requests
  std::int64_t not_before_ns
    = 0; ///< the retry delay: no request before (actor clock)
  std::int64_t start_time_ms
    = -1; ///< warmup_start: find the first id at this time
  backfill_requester_if requester; ///< gets the batches or the failure
  std::uint32_t depth_limit = 0; ///< depth_snapshot: levels per side asked for
  snapshot_requester_if
    snapshot_requester; ///< gets the snapshot or the failure
};

/// State of the backfill actor (plain data; behavior in backfill_actor.cpp).
struct backfill_state {
  static inline const char* name = "backfill";
  backfill_config cfg;         ///< endpoint and limits
  rest_client* rest = nullptr; ///< transport; outlives the actor
  /// In turn order: the jobs of the symbol served last are at the back. At most
  /// cfg.jobs_max, the job in flight included.
  std::deque<backfill_job> jobs;
  std::uint64_t in_flight_id = 0;    ///< request id awaited, 0 if none
  std::uint64_t in_flight_job = 0;   ///< id of the job it serves
  std::uint64_t next_request_id = 0; ///< last request id handed out
  std::uint64_t next_job_id = 0;     ///< last job id handed out
  std::int64_t paused_until_ns = 0;  ///< no request before this (actor clock)
  std::int64_t wake_at_ns = 0; ///< the earliest bf_wake pending, 0 if none
  std::uint64_t requests_timed_out = 0; ///< requests given up at their deadline
  std::uint64_t jobs_refused = 0; ///< requests refused with jobs_max queued
  std::uint64_t pauses_429 = 0;   ///< 429 answers, each paused every request
  std::uint64_t pauses_418 = 0;   ///< 418 answers, each paused every request
  /// X-MBX-USED-WEIGHT-1M of the last answer that carried it, -1 if none yet.
  std::int32_t weight_used_reported = -1;
  /// Decides which queue_full lines are written: the first of a 10 s window, the
  /// rest of the burst counted and written as one `suppressed` line at the first
  /// refusal or accepted job after the window. Fed the actor clock in ms.
  log_limiter refusal_log{log_limiter::options{}};
  weight_budget budget{6000, 60'000'000'000,
                       10}; ///< replaced from cfg at spawn
};

using backfill_self = backfill_if::stateful_pointer<backfill_state>;

/// Spawns with `sys.spawn(backfill_actor, cfg, &rest)`. `rest` must outlive the actor.
backfill_if::behavior_type
backfill_actor(backfill_self self, backfill_config cfg, rest_client* rest);

} // namespace sv
