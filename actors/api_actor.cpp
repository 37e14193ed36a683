// api_actor: answers HTTP API requests by asking the supervisor and the aggregators.
#include "actors/api_actor.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/actor_clock.hpp"
#include "actors/core/http_query.hpp"
#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"
#include "actors/core/symbol_name.hpp"
#include "actors/gather.hpp"
#include "actors/wire/api_json.hpp"
#include "actors/wire/binance_rest.hpp"
#include "actors/wire/metrics_text.hpp"
#include "messages/errc.hpp"

namespace sv {

namespace {

/// How long a request waits for an actor before answering 503.
constexpr auto actor_answer_timeout = std::chrono::seconds(2);
constexpr std::uint32_t trades_limit_default = 100;
constexpr std::uint32_t book_depth_default = 20;
constexpr std::uint32_t book_depth_max = 5000; // Binance's largest snapshot

using api_self = api_if::stateful_pointer<api_state>;

void respond(api_self self, std::uint64_t req_id, int status,
             std::string body) {
  self->state.cfg.responder->respond(req_id, status, std::move(body));
}

void respond_unavailable(api_self self, std::uint64_t req_id,
                         const caf::error& err) {
  respond(self, req_id, 503, error_json("unavailable", caf::to_string(err)));
}

/// The path segments a route captured: `{symbol}` as the client wrote it.
struct route_args {
  std::string_view
    symbol; ///< raw, not yet upper-cased; empty if the route has none
};

using route_handler = void (*)(api_self, const http_request&,
                               const route_args&);

/// Replies 200 with `to_json(answer)`, or 503 if the actor did not answer.
template <class Answer, class ToJson>
auto answer_with(api_self self, std::uint64_t id, ToJson to_json) {
  return std::make_pair([=](Answer& x) { respond(self, id, 200, to_json(x)); },
                        [=](caf::error& err) {
                          respond_unavailable(self, id, err);
                        });
}

/// The aggregator of `symbol`, or null after answering 404 with the symbols that exist.
const aggregator_if* find_aggregator(api_self self, std::uint64_t id,
                                     std::string_view symbol) {
  auto& cfg = self->state.cfg;
  auto i = cfg.aggregators.find(upper_symbol(symbol));
  if (i == cfg.aggregators.end()) {
    respond(self, id, 404,
            unknown_symbol_json(std::string{symbol}, cfg.symbols));
    return nullptr;
  }
  return &i->second;
}

void get_health(api_self self, const http_request& req, const route_args&) {
  auto id = req.req_id;
  self
    ->request(self->state.cfg.supervisor, actor_answer_timeout,
              status_atom::value)
    .then(
      [=](std::vector<child_status>& children) {
        bool healthy = false;
        auto body = health_json(children, healthy);
        respond(self, id, healthy ? 200 : 503, std::move(body));
      },
      [=](caf::error& err) { respond_unavailable(self, id, err); });
}

/// Sets each child's socket to the one the pool says carries its stream.
void assign_sockets(std::vector<child_status>& children,
                    const pool_status& pool) {
  std::unordered_map<std::string, std::uint64_t> socket_of;
  for (const auto& s : pool.streams)
    socket_of.emplace(s.name, s.socket);
  for (auto& c : children)
    if (auto i = socket_of.find(binance_stream_id(c.symbol, c.stream));
        i != socket_of.end())
      c.socket = i->second;
}

/// What /status and /metrics gather from the actors before they render.
struct gathered {
  std::int64_t uptime_ns = 0; ///< actor clock since the api started
  std::vector<child_status>
    children;                      ///< the supervisor's, completed by the legs
  std::optional<pool_status> pool; ///< the socket pool's, if it answered
  std::optional<feed_status> feed; ///< the feed actor's, if it answered
  // /metrics only:
  std::optional<supervisor_metrics> supervisor; ///< if the supervisor answered
  std::optional<backfill_status> backfill; ///< if the backfill actor answered
  std::optional<histogram_counts>
    frame_latency; ///< every answering aggregator's
};

/// Answers a request from what was gathered.
using render_fn = void (*)(api_self, std::uint64_t req_id, const gathered&);

/// The /status body: the children, the pool's sockets when the pool answered
/// and, when the api actor has a source, the transports' own counters; with a
/// publisher, its state ("nats").
void render_status(api_self self, std::uint64_t id, const gathered& g) {
  const auto* source = self->state.cfg.transport;
  const auto* pool = g.pool ? &*g.pool : nullptr;
  auto uptime_s = g.uptime_ns / 1'000'000'000;
  const auto* consumers = g.feed ? &*g.feed : nullptr;
  std::optional<publisher_status> nats;
  if (self->state.cfg.publisher != nullptr)
    nats = self->state.cfg.publisher->status();
  const auto* nats_status = nats ? &*nats : nullptr;
  std::optional<shard_status> shard;
  if (self->state.cfg.shard != nullptr)
    shard = self->state.cfg.shard->status();
  std::optional<transport_counters> counters;
  if (source != nullptr)
    counters = source->counters();
  respond(self, id, 200,
          status_json(uptime_s, g.children, counters ? &*counters : nullptr,
                      pool, consumers, nats_status, shard ? &*shard : nullptr));
}

/// The /metrics body: every family whose source answered.
void render_metrics(api_self self, std::uint64_t id, const gathered& g) {
  const auto& cfg = self->state.cfg;
  metrics_inputs in;
  in.version = cfg.version;
  in.children = &g.children;
  in.supervisor = g.supervisor ? &*g.supervisor : nullptr;
  in.backfill = g.backfill ? &*g.backfill : nullptr;
  in.pool = g.pool ? &*g.pool : nullptr;
  in.frame_latency = g.frame_latency ? &*g.frame_latency : nullptr;
  in.feed = g.feed ? &*g.feed : nullptr;
  transport_counters counters;
  if (cfg.transport != nullptr) {
    counters = cfg.transport->counters();
    in.transport = &counters;
  }
  publisher_status nats;
  if (cfg.publisher != nullptr) {
    nats = cfg.publisher->status();
    in.nats = &nats;
  }
  shard_status shard;
  if (cfg.shard != nullptr) {
    shard = cfg.shard->status();
    in.shard = &shard;
  }
  process_stats process;
  if (cfg.process != nullptr) {
    process = cfg.process->read();
    in.process = &process;
  }
  self->state.cfg.responder->respond(id, 200, metrics_text(in),
                                     media_type::prometheus_text);
}

/// /metrics's own legs: the supervisor's figures, the backfill actor's (if
/// any) and every aggregator's latency histogram, merged. Each leg calls
/// `leg_done` once, answered or not.
template <class LegDone>
void ask_metrics_legs(api_self self, const std::shared_ptr<gathered>& g,
                      LegDone leg_done) {
  auto& cfg = self->state.cfg;
  self->request(cfg.supervisor, actor_answer_timeout, metrics_atom::value)
    .then(
      [=](supervisor_metrics& x) {
        g->supervisor = std::move(x);
        leg_done();
      },
      [=](caf::error&) { leg_done(); });
  if (cfg.backfill)
    self->request(cfg.backfill, actor_answer_timeout, status_atom::value)
      .then(
        [=](backfill_status& x) {
          g->backfill = x;
          leg_done();
        },
        [=](caf::error&) { leg_done(); });
  std::vector<aggregator_if> every_agg;
  for (auto& [symbol, agg] : cfg.aggregators)
    every_agg.push_back(agg);
  auto add_latency
    = [=](std::vector<caf::expected<latency_snapshot>>& replies) {
        histogram_counts merged;
        for (auto& r : replies)
          if (r)
            merge(merged, r->buckets);
        if (!merged.counts.empty())
          g->frame_latency = std::move(merged);
        leg_done();
      };
  gather<latency_snapshot>(self, every_agg, actor_answer_timeout, add_latency,
                           latency_atom::value);
}

/// The legs answer_gathered waits for: books and aggregators, the pool and the
/// feed when wired; for /metrics also the supervisor's figures, the latencies
/// and the backfill actor.
int legs_of(const api_config& cfg, bool for_metrics) {
  int legs = 2 + (cfg.pool ? 1 : 0) + (cfg.feed ? 1 : 0);
  if (for_metrics)
    legs += 2 + (cfg.backfill ? 1 : 0);
  return legs;
}

/// The feed's clients for /status's "consumers" and /metrics's feed families.
template <class LegDone>
void ask_feed_leg(api_self self, const std::shared_ptr<gathered>& g,
                  LegDone leg_done) {
  self->request(self->state.cfg.feed, actor_answer_timeout, status_atom::value)
    .then(
      [=](feed_status& x) {
        g->feed = std::move(x);
        leg_done();
      },
      [=](caf::error&) { leg_done(); });
}

/// Adds each child's book counters (from its book actor), gap counters (from
/// its aggregator) and socket (from the socket pool, if there is one) to the
/// supervisor's answer; for /metrics (`for_metrics`) also asks the supervisor's
/// own figures, the backfill actor's budget and every aggregator's latency.
/// Then `render`s, with the children in the supervisor's order. A child whose
/// actor is missing or does not answer keeps zero counters; a pool, supervisor
/// or backfill actor that does not answer leaves its part out. The legs run
/// side by side, so a silent actor delays the answer by at most one
/// actor_answer_timeout.
void answer_gathered(api_self self, std::uint64_t id,
                     const std::shared_ptr<gathered>& g, bool for_metrics,
                     render_fn render) {
  auto& cfg = self->state.cfg;
  std::vector<std::size_t> book_of, agg_of; // indexes into g->children
  std::vector<book_if> books;
  std::vector<aggregator_if> aggs;
  for (std::size_t i = 0; i < g->children.size(); ++i) {
    auto& c = g->children[i];
    if (c.stream == stream_kind::depth) {
      if (auto book = cfg.books.find(c.symbol); book != cfg.books.end()) {
        book_of.push_back(i);
        books.push_back(book->second);
      }
    } else if (auto agg = cfg.aggregators.find(c.symbol);
               agg != cfg.aggregators.end()) {
      agg_of.push_back(i);
      aggs.push_back(agg->second);
    }
  }
  auto legs_left = std::make_shared<int>(legs_of(cfg, for_metrics));
  auto leg_done = [=] {
    if (--*legs_left == 0)
      render(self, id, *g);
  };
  if (cfg.pool)
    self->request(cfg.pool, actor_answer_timeout, status_atom::value)
      .then(
        [=](pool_status& x) {
          assign_sockets(g->children, x);
          g->pool = std::move(x);
          leg_done();
        },
        [=](caf::error&) { leg_done(); });
  if (cfg.feed)
    ask_feed_leg(self, g, leg_done);
  auto add_books = [=](std::vector<caf::expected<book_view>>& replies) {
    for (std::size_t n = 0; n < replies.size(); ++n)
      if (auto& v = replies[n]) {
        auto& c = g->children[book_of[n]];
        c.book_state = v->state;
        c.book_known = true;
        c.book_syncs = v->counters.syncs;
        c.book_resyncs = v->counters.resyncs;
        c.book_last_update_id = v->last_update_id;
      }
    leg_done();
  };
  auto add_gaps = [=](std::vector<caf::expected<metrics_snapshot>>& replies) {
    for (std::size_t n = 0; n < replies.size(); ++n)
      if (auto& m = replies[n]) {
        auto& c = g->children[agg_of[n]];
        c.gaps_detected = m->gaps_detected;
        c.gaps_filled = m->gaps_filled;
        c.gaps_open = m->gaps_open;
        c.trades_backfilled = m->backfilled;
      }
    leg_done();
  };
  gather<book_view>(self, books, actor_answer_timeout, add_books,
                    book_atom::value, std::uint32_t{0});
  gather<metrics_snapshot>(self, aggs, actor_answer_timeout, add_gaps,
                           metrics_atom::value);
  if (for_metrics)
    ask_metrics_legs(self, g, leg_done);
}

/// /status and /metrics: the supervisor's children first, then the other legs.
void get_gathered(api_self self, const http_request& req, bool for_metrics,
                  render_fn render) {
  auto id = req.req_id;
  self
    ->request(self->state.cfg.supervisor, actor_answer_timeout,
              status_atom::value)
    .then(
      [=](std::vector<child_status>& children) {
        auto g = std::make_shared<gathered>();
        g->uptime_ns = clock_ns(self) - self->state.started_ns;
        g->children = std::move(children);
        answer_gathered(self, id, g, for_metrics, render);
      },
      [=](caf::error& err) { respond_unavailable(self, id, err); });
}

void get_status(api_self self, const http_request& req, const route_args&) {
  get_gathered(self, req, false, render_status);
}

void get_prometheus(api_self self, const http_request& req,
                    const route_args& /*args*/) {
  get_gathered(self, req, true, render_metrics);
}

void get_symbols(api_self self, const http_request& req, const route_args&) {
  respond(self, req.req_id, 200, symbols_json(self->state.cfg.symbols));
}

void get_book(api_self self, const http_request& req, const route_args& args) {
  auto& cfg = self->state.cfg;
  auto id = req.req_id;
  if (find_aggregator(self, id, args.symbol) == nullptr)
    return;
  auto symbol = upper_symbol(args.symbol);
  auto book = cfg.books.find(symbol);
  if (book == cfg.books.end()) {
    std::vector<std::string> with_book;
    for (auto& entry : cfg.books)
      with_book.push_back(entry.first);
    respond(self, id, 404, no_book_json(symbol, with_book));
    return;
  }
  std::uint32_t depth = book_depth_default;
  std::string why;
  if (!parse_count_query(req.query, "depth", book_depth_max, depth, why)) {
    respond(self, id, 400, error_json("bad query", why));
    return;
  }
  auto [reply, fail] = answer_with<book_view>(self, id, book_json);
  self->request(book->second, actor_answer_timeout, book_atom::value, depth)
    .then(reply, fail);
}

void get_metrics(api_self self, const http_request& req,
                 const route_args& args) {
  auto id = req.req_id;
  auto agg = find_aggregator(self, id, args.symbol);
  if (agg == nullptr)
    return;
  if (!req.query.empty()) {
    respond(self, id, 400,
            error_json("bad query", "metrics takes no parameters"));
    return;
  }
  auto [reply, fail] = answer_with<metrics_snapshot>(self, id, metrics_json);
  self->request(*agg, actor_answer_timeout, metrics_atom::value)
    .then(reply, fail);
}

/// /trades and /large_trades: the same query and answer, asked with `Atom`.
template <class Atom>
void get_trades_of(api_self self, const http_request& req,
                   const route_args& args) {
  auto id = req.req_id;
  auto agg = find_aggregator(self, id, args.symbol);
  if (agg == nullptr)
    return;
  std::uint32_t limit = trades_limit_default;
  std::string why;
  if (!parse_count_query(req.query, "limit", self->state.cfg.trades_limit_max,
                         limit, why)) {
    respond(self, id, 400, error_json("bad query", why));
    return;
  }
  auto symbol = upper_symbol(args.symbol);
  auto [reply, fail] = answer_with<std::vector<trade>>(
    self, id, [symbol](const std::vector<trade>& trades) {
      return trades_json(symbol, trades);
    });
  self->request(*agg, actor_answer_timeout, Atom::value, limit)
    .then(reply, fail);
}

void get_trades(api_self self, const http_request& req,
                const route_args& args) {
  get_trades_of<trades_atom>(self, req, args);
}

void get_large_trades(api_self self, const http_request& req,
                      const route_args& args) {
  get_trades_of<large_trades_atom>(self, req, args);
}

// -- runtime symbol control ------------------------------------------------------

/// How long a PUT waits for the registry (which waits up to 5 s for the supervisor).
constexpr auto put_answer_timeout = std::chrono::seconds(6);
/// How long a DELETE waits: the children's graceful close, bounded by the
/// supervisor's shutdown_timeout_ms (5 s by default) and the registry's 7 s.
constexpr auto delete_answer_timeout = std::chrono::seconds(8);

/// Equal contents, compared in time that does not depend on where they differ
/// (only the length may show).
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  return diff == 0;
}

/// Whether `req` may change the symbol set; answers 401, 403 or 503 if not.
/// With api_token set, only a request carrying `Authorization: Bearer <token>`
/// may; without it, only one from a loopback peer.
bool may_change_symbols(api_self self, const http_request& req) {
  const auto& cfg = self->state.cfg;
  if (!cfg.registry) {
    respond(self, req.req_id, 503,
            error_json("unavailable", "runtime symbol control is not wired"));
    return false;
  }
  if (!cfg.api_token.empty()) {
    if (same_secret(req.authorization, "Bearer " + cfg.api_token))
      return true;
    SV_WARN("api", "-", "unauthorized", "method=%s path=%s loopback=%d",
            req.method.c_str(), req.path.c_str(), req.peer_loopback ? 1 : 0);
    respond(self, req.req_id, 401,
            error_json("unauthorized", "PUT and DELETE need the header "
                                       "Authorization: Bearer <api_token>"));
    return false;
  }
  if (req.peer_loopback)
    return true;
  SV_WARN("api", "-", "forbidden",
          "method=%s path=%s hint=\"set api_token to "
          "change symbols from other hosts\"",
          req.method.c_str(), req.path.c_str());
  respond(self, req.req_id, 403,
          error_json("forbidden",
                     "PUT and DELETE are taken from loopback only; "
                     "set api_token to allow other peers"));
  return false;
}

/// The status and body for a registry error.
void respond_registry_error(api_self self, std::uint64_t id,
                            const std::string& symbol, const caf::error& err) {
  if (err == errc::invalid_symbol)
    respond(
      self, id, 400,
      error_json("invalid symbol",
                 "1 to 20 ASCII letters and digits, got '" + symbol + "'"));
  else if (err == errc::unknown_symbol)
    respond(self, id, 404,
            unknown_symbol_json(upper_symbol(symbol), self->state.cfg.symbols));
  else if (err == errc::being_removed)
    respond(self, id, 409,
            error_json("being removed", "the symbol's streams are closing; "
                                        "retry when the DELETE has answered"));
  else if (err == errc::limit_reached)
    respond(self, id, 409, error_json("too many symbols", caf::to_string(err)));
  else
    respond_unavailable(self, id, err);
}

/// In a shard group: asks the group's member for `change` and answers 202
/// (queued), 200 (the group has it so), 404 (a removal of a symbol the group
/// lacks, with its symbols) or 503. Nothing starts or stops here: the group's
/// leases decide which member streams the symbol.
void change_group_symbol(api_self self, std::uint64_t id,
                         group_symbol_change change) {
  auto& shard = *self->state.cfg.shard;
  auto group = shard.status().group;
  auto result = shard.change_symbol(std::move(change));
  const auto& symbol = result.change.symbol;
  switch (result.outcome) {
    case group_change_outcome::queued:
      SV_INFO("api", symbol, "group_change_queued", "group=%s change=%s",
              group.c_str(), result.change.add ? "add" : "remove");
      respond(self, id, 202, group_symbol_change_json(group, result));
      return;
    case group_change_outcome::unchanged:
      respond(self, id, 200, group_symbol_change_json(group, result));
      return;
    case group_change_outcome::unknown:
      respond(self, id, 404, unknown_symbol_json(symbol, shard.symbols()));
      return;
    case group_change_outcome::unreachable:
      respond(self, id, 503,
              error_json("unavailable",
                         "the shard group's bucket was not reached at the "
                         "last round (see /status shard), or the process is "
                         "stopping; retry later"));
      return;
    case group_change_outcome::full:
      respond(self, id, 503,
              error_json("unavailable",
                         "too many changes of the group's symbols wait for its "
                         "bucket; retry later"));
      return;
  }
}

/// PUT /symbols/{symbol}: 201 when a stream started, 200 when all ran already;
/// in a shard group 202, the symbol added to the group (200 if it has it).
void put_symbol(api_self self, const http_request& req,
                const route_args& args) {
  auto id = req.req_id;
  if (!may_change_symbols(self, req))
    return;
  std::vector<stream_kind> streams;
  std::string why;
  if (!decode_put_body(req.body, streams, why)) {
    respond(self, id, 400, error_json("bad body", why));
    return;
  }
  auto symbol = std::string{args.symbol};
  if (self->state.cfg.shard != nullptr) {
    if (!is_symbol_name(symbol)) {
      respond_registry_error(self, id, symbol, errc::invalid_symbol);
      return;
    }
    change_group_symbol(self, id, {upper_symbol(symbol), true, streams});
    return;
  }
  self
    ->request(self->state.cfg.registry, put_answer_timeout, put_atom::value,
              symbol, streams)
    .then(
      [=](bool started) {
        respond(self, id, started ? 201 : 200,
                symbol_changed_json(upper_symbol(symbol), started));
      },
      [=](caf::error& err) { respond_registry_error(self, id, symbol, err); });
}

/// DELETE /symbols/{symbol}: 200 once its children closed, 404 if not served;
/// in a shard group 202, the symbol removed from the group, or 404 with the
/// group's symbols (as this member last read them).
void delete_symbol(api_self self, const http_request& req,
                   const route_args& args) {
  auto id = req.req_id;
  if (!may_change_symbols(self, req))
    return;
  auto symbol = std::string{args.symbol};
  if (self->state.cfg.shard != nullptr) {
    if (!is_symbol_name(symbol))
      respond_registry_error(self, id, symbol, errc::invalid_symbol);
    else
      change_group_symbol(self, id, {upper_symbol(symbol), false, {}});
    return;
  }
  self
    ->request(self->state.cfg.registry, delete_answer_timeout,
              remove_atom::value, symbol)
    .then(
      [=](std::uint32_t children) {
        respond(self, id, 200,
                symbol_removed_json(upper_symbol(symbol), children));
      },
      [=](caf::error& err) { respond_registry_error(self, id, symbol, err); });
}

// -- the Binance REST mirror ----------------------------------------------------

void respond_binance(api_self self, std::uint64_t id, const binance_error& e) {
  respond(self, id, e.status, binance_error_json(e));
}

/// Binance's -1121 with, after its text, the symbols streamvisor serves.
binance_error unserved_symbol(api_self self) {
  auto e = invalid_symbol();
  std::string served;
  for (const auto& symbol : self->state.cfg.symbols)
    served += (served.empty() ? "" : ", ") + symbol;
  e.msg += " streamvisor serves: " + served + ".";
  return e;
}

/// What the mirror cannot answer from what it holds: Binance's shape, code -1,
/// and a message that says so (a client then asks the exchange).
binance_error not_held(const std::string& why) {
  return {400, -1, "streamvisor does not hold " + why + "; ask the exchange."};
}

/// The answer to `r` from the aggregator's `rows`: the rows, or why they would
/// not be the exchange's answer.
void answer_agg_trades(api_self self, std::uint64_t id,
                       const agg_trades_request& r, const trade_rows& rows) {
  const auto& q = r.query;
  auto held = [&] {
    return std::to_string(rows.oldest_id) + ".."
           + std::to_string(rows.newest_id)
           + " (from T=" + std::to_string(rows.oldest_ms) + ")";
  };
  if (rows.oldest_id == 0) {
    respond_binance(self, id, not_held("any trade of " + r.symbol + " yet"));
    return;
  }
  auto older_than_held = [&] {
    respond_binance(
      self, id,
      not_held(r.symbol + " trades before T=" + std::to_string(rows.oldest_ms)
               + ": it holds ids " + held()));
  };
  // Trades of the oldest millisecond held may have been evicted already.
  if ((q.start_ms >= 0 && q.start_ms <= rows.oldest_ms)
      || (q.end_ms >= 0 && q.end_ms < rows.oldest_ms)) {
    older_than_held();
    return;
  }
  bool most_recent = !q.by_id && q.start_ms < 0;
  if (most_recent && rows.from_oldest && rows.trades.size() < q.limit) {
    older_than_held();
    return;
  }
  if (q.by_id && q.from_id < rows.oldest_id) {
    respond_binance(self, id,
                    not_held(r.symbol + " trades before id "
                             + std::to_string(rows.oldest_id)
                             + ": it holds ids " + held()));
    return;
  }
  // A run stopped by a missing id: from an id, the rows up to it are the
  // exchange's first rows (a client pages on to the missing id, which is
  // refused); any other query would look complete while it is not.
  bool short_by_gap = rows.missing_id != 0 && (!q.by_id || rows.trades.empty())
                      && rows.trades.size() < q.limit;
  if (short_by_gap) {
    respond_binance(self, id,
                    not_held(r.symbol + " trade id "
                             + std::to_string(rows.missing_id)
                             + " (a gap being backfilled, or given up)"));
    return;
  }
  std::string body;
  append_agg_trades_json(body, rows.trades);
  respond(self, id, 200, std::move(body));
}

/// GET /api/v3/aggTrades: Binance's answer, from the symbol's history.
void get_binance_agg_trades(api_self self, const http_request& req,
                            const route_args& /*args*/) {
  auto id = req.req_id;
  agg_trades_request r;
  if (auto err = parse_agg_trades_request(decode_query(req.query), r)) {
    respond_binance(self, id, *err);
    return;
  }
  auto agg = self->state.cfg.aggregators.find(r.symbol);
  if (agg == self->state.cfg.aggregators.end()) {
    respond_binance(self, id, unserved_symbol(self));
    return;
  }
  self
    ->request(agg->second, actor_answer_timeout, agg_trades_atom::value,
              r.query)
    .then([=](trade_rows& rows) { answer_agg_trades(self, id, r, rows); },
          [=](caf::error& err) { respond_unavailable(self, id, err); });
}

/// GET /api/v3/depth: Binance's snapshot, from the symbol's synced book.
void get_binance_depth(api_self self, const http_request& req,
                       const route_args& /*args*/) {
  auto id = req.req_id;
  depth_request r;
  if (auto err = parse_depth_request(decode_query(req.query), r)) {
    respond_binance(self, id, *err);
    return;
  }
  const auto& cfg = self->state.cfg;
  if (cfg.aggregators.count(r.symbol) == 0) {
    respond_binance(self, id, unserved_symbol(self));
    return;
  }
  auto book = cfg.books.find(r.symbol);
  if (book == cfg.books.end()) {
    respond_binance(self, id,
                    not_held("an order book of " + r.symbol
                             + " (its depth stream is not configured)"));
    return;
  }
  auto symbol = r.symbol;
  self->request(book->second, actor_answer_timeout, book_atom::value, r.limit)
    .then(
      [=](book_view& v) {
        if (v.state != book_phase::synced) {
          // Binance's answer to a request it cannot serve now.
          respond_binance(
            self, id,
            {503, -1001,
             "Internal error; unable to process your request. Please try "
             "again. (streamvisor: the "
               + symbol + " book is " + to_string(v.state) + ")"});
          return;
        }
        respond(self, id, 200, depth_snapshot_json(v));
      },
      [=](caf::error& err) { respond_unavailable(self, id, err); });
}

/// Every endpoint. A pattern segment `{symbol}` matches any one segment.
struct route {
  std::string_view method;  ///< the only method the route takes
  std::string_view pattern; ///< '/'-separated segments, matched whole
  route_handler handler;    ///< answers exactly once
};

constexpr route routes[] = {
  {"GET", "/health", get_health},
  {"GET", "/status", get_status},
  {"GET", "/metrics", get_prometheus},
  {"GET", "/symbols", get_symbols},
  {"PUT", "/symbols/{symbol}", put_symbol},
  {"DELETE", "/symbols/{symbol}", delete_symbol},
  {"GET", "/symbols/{symbol}/book", get_book},
  {"GET", "/symbols/{symbol}/trades", get_trades},
  {"GET", "/symbols/{symbol}/metrics", get_metrics},
  {"GET", "/symbols/{symbol}/large_trades", get_large_trades},
  {"GET", "/api/v3/aggTrades", get_binance_agg_trades},
  {"GET", "/api/v3/depth", get_binance_depth},
};

/// True if `parts` matches `pattern`; fills `args` with what it captured.
bool match(std::string_view pattern, const std::vector<std::string_view>& parts,
           route_args& args) {
  auto want = split_path(pattern);
  if (want.size() != parts.size())
    return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "{symbol}")
      args.symbol = parts[i];
    else if (want[i] != parts[i])
      return false;
  }
  return true;
}

/// The router: 405 for a method no route takes, 404 for a path none matches.
void handle(api_self self, const http_request& req) {
  auto id = req.req_id;
  auto takes_method = [&](const route& r) { return r.method == req.method; };
  if (std::none_of(std::begin(routes), std::end(routes), takes_method)) {
    respond(self, id, 405, error_json("method not allowed", req.method));
    return;
  }
  auto parts = split_path(req.path);
  for (auto& r : routes) {
    route_args args;
    if (r.method == req.method && match(r.pattern, parts, args)) {
      r.handler(self, req, args);
      return;
    }
  }
  respond(self, id, 404, error_json("not found", req.path));
}

} // namespace

api_if::behavior_type api_actor(api_if::stateful_pointer<api_state> self,
                                api_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.started_ns = clock_ns(self);
  return {
    [=](http_request& req) {
      SV_DEBUG("api", "-", "request", "id=%llu method=%s path=%s query=%s",
               static_cast<unsigned long long>(req.req_id), req.method.c_str(),
               req.path.c_str(), req.query.c_str());
      handle(self, req);
    },
    [=](symbol_table& table) {
      auto& now = self->state.cfg;
      now.symbols = std::move(table.symbols);
      now.aggregators = std::move(table.aggregators);
      now.books = std::move(table.books);
    },
  };
}

} // namespace sv
