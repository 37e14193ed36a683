// supervisor_actor: the only spawner of connection actors; restarts them and reports on them.
#include "actors/supervisor_actor.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include <caf/message.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/actor_clock.hpp"
#include "actors/connection_actor.hpp"
#include "actors/core/log.hpp"
#include "actors/core/observe.hpp"
#include "actors/core/symbol_case.hpp"
#include "actors/gather.hpp"
#include "messages/errc.hpp"

namespace sv {

namespace {

/// How long a status query waits for each live child before reporting last-known counters.
constexpr auto child_status_timeout = std::chrono::seconds(1);

enum class supervisor_phase { running, stopping };

/// "connect_timeout: no first frame within 1500 ms" for our errors, CAF's text otherwise.
std::string describe(const caf::error& err) {
  if (err.category() != caf::atom("sv"))
    return caf::to_string(err);
  std::string result = to_string(static_cast<errc>(err.code()));
  const auto& ctx = err.context();
  if (ctx.size() >= 1 && ctx.match_element<std::string>(0))
    result += ": " + ctx.get_as<std::string>(0);
  return result;
}

/// The Retry-After (ms) a connection actor put in its exit reason, -1 if none.
std::int64_t retry_after_ms(const caf::error& err) {
  if (err.category() != caf::atom("sv")
      || static_cast<errc>(err.code()) != errc::connection_closed)
    return -1;
  const auto& ctx = err.context();
  if (ctx.size() < 2 || !ctx.match_element<std::int32_t>(1))
    return -1;
  auto seconds = ctx.get_as<std::int32_t>(1);
  return seconds < 0 ? -1 : std::int64_t{seconds} * 1000;
}

/// Why a child went down, from its exit reason.
restart_cause cause_of(const caf::error& err) {
  if (!err || err.category() != caf::atom("sv"))
    return restart_cause::other;
  switch (static_cast<errc>(err.code())) {
    case errc::connect_timeout:
      return restart_cause::connect_timeout;
    case errc::connection_closed:
      return restart_cause::connection_closed;
    case errc::silence_timeout:
      return restart_cause::silence_timeout;
    default:
      return restart_cause::other;
  }
}

void add(connection_counters& total, const connection_counters& x) {
  total.frames += x.frames;
  total.trades += x.trades;
  total.decode_errors += x.decode_errors;
  total.last_frame_ns = std::max(total.last_frame_ns, x.last_frame_ns);
}

child_record* find_by_address(supervisor_self self, const caf::actor_addr& a) {
  for (auto& [key, rec] : self->state.children)
    if (rec.handle && rec.handle.address() == a)
      return &rec;
  return nullptr;
}

// -- attempts and restarts -------------------------------------------------------

/// Spawns the next connection attempt of `rec` and arms its connect deadline.
void start_attempt(supervisor_self self, const std::string& key,
                   child_record& rec) {
  auto& st = self->state;
  connection_args args;
  args.symbol = rec.symbol;
  args.stream = rec.stream;
  args.target = make_target(st.cfg, rec.symbol, rec.stream);
  args.conn_id = ++st.next_conn_id;
  args.attempt = ++rec.attempts;
  auto silence = st.cfg.silence_timeout_ms_by_symbol.find(rec.symbol);
  args.silence_timeout_ms = silence != st.cfg.silence_timeout_ms_by_symbol.end()
                              ? silence->second
                              : st.cfg.silence_timeout_ms;
  // Rotation ages are jittered down by up to 5 % so children do not all rotate at once.
  if (st.cfg.max_connection_age_ms > 0) {
    auto age = st.cfg.max_connection_age_ms;
    args.max_connection_age_ms
      = age - std::uniform_int_distribution<std::int64_t>{0, age / 20}(st.rng);
  }
  rec.live = connection_counters{};
  rec.streaming_since_ns = -1;
  rec.state = child_state::connecting;
  rec.attempt_started_ns = clock_ns(self);
  rec.handle = self->spawn<caf::monitored + caf::linked>(
    connection_actor, std::move(args), st.ws,
    caf::actor_cast<child_report_sink_if>(self), st.sinks.at(rec.symbol));
  self->delayed_send(self, std::chrono::milliseconds(st.cfg.connect_timeout_ms),
                     connect_deadline_atom::value, key, rec.attempts);
}

void arm_budget_tick(supervisor_self self) {
  auto& st = self->state;
  if (st.budget_tick_pending || st.waiting.empty())
    return;
  auto now = clock_ns(self);
  auto wait_ns
    = std::max<std::int64_t>(st.budget.next_available_ns(now, 1) - now, 0);
  st.budget_tick_pending = true;
  self->delayed_send(self, std::chrono::nanoseconds(wait_ns),
                     budget_tick_atom::value);
}

/// Every attempt passes here: it starts now if the connection budget has room and
/// nobody waits before it, else the child waits (FIFO) for a budget tick.
void request_attempt(supervisor_self self, const std::string& key,
                     child_record& rec) {
  auto& st = self->state;
  auto now = clock_ns(self);
  if (st.waiting.empty() && st.budget.try_acquire(now, 1)) {
    st.budget_exhausted_logged = false;
    start_attempt(self, key, rec);
    return;
  }
  rec.state = child_state::waiting;
  st.waiting.push_back(key);
  if (!st.budget_exhausted_logged) {
    st.budget_exhausted_logged = true;
    SV_WARN(
      "supervisor", rec.symbol, "budget_exhausted",
      "used=%zu budget=%u window_s=%u burst=%u waiting=%zu hint=\"attempts "
      "are paced to stay under the exchange's connection limit\"",
      static_cast<std::size_t>(st.budget.used(now)), st.cfg.connect_budget,
      st.cfg.connect_budget_window_s, st.cfg.connect_burst, st.waiting.size());
  }
  arm_budget_tick(self);
}

/// Quits the supervisor if too many children are parked at once.
void escalate_if_needed(supervisor_self self) {
  auto& st = self->state;
  std::size_t parked = 0;
  for (auto& [key, rec] : st.children)
    parked += rec.state == child_state::parked ? 1 : 0;
  auto share = static_cast<double>(parked)
               / static_cast<double>(st.children.size());
  if (share <= st.cfg.escalate_fraction)
    return;
  SV_ERROR("supervisor", "-", "escalate",
           "parked=%zu children=%zu escalate_fraction=%.2f hint=\"most streams "
           "keep failing: check the network, the endpoint and TLS settings; "
           "exiting with code 3 so the service manager restarts the process\"",
           parked, st.children.size(), st.cfg.escalate_fraction);
  self->quit(caf::make_error(errc::escalated));
}

/// The one place that decides what happens after a child died.
void schedule_restart(supervisor_self self, const std::string& key,
                      child_record& rec, std::int64_t streamed_ms,
                      std::int64_t retry_after) {
  auto& st = self->state;
  auto decision = decide_restart(st.cfg.policy, rec.history, clock_ns(self),
                                 streamed_ms, retry_after, st.rng);
  ++rec.restarts;
  rec.state = decision.park ? child_state::parked : child_state::backoff;
  if (decision.park)
    SV_WARN("supervisor", rec.symbol, "child_parked",
            "stream=%s attempt=%llu park_ms=%lld max_restarts=%u "
            "restart_window_ms=%lld error=\"%s\" hint=\"this stream keeps "
            "failing; check the symbol and the endpoint\"",
            to_string(rec.stream),
            static_cast<unsigned long long>(rec.attempts),
            static_cast<long long>(decision.delay_ms),
            st.cfg.policy.max_restarts,
            static_cast<long long>(st.cfg.policy.restart_window_ms),
            rec.last_error.c_str());
  else
    SV_WARN("supervisor", rec.symbol, "child_down",
            "stream=%s attempt=%llu restarts=%llu restart_in_ms=%lld "
            "streamed_ms=%lld retry_after_ms=%lld error=\"%s\"",
            to_string(rec.stream),
            static_cast<unsigned long long>(rec.attempts),
            static_cast<unsigned long long>(rec.restarts),
            static_cast<long long>(decision.delay_ms),
            static_cast<long long>(streamed_ms),
            static_cast<long long>(retry_after), rec.last_error.c_str());
  self->delayed_send(self, std::chrono::milliseconds(decision.delay_ms),
                     restart_atom::value, key, rec.attempts);
  if (decision.park)
    escalate_if_needed(self);
}

// -- status --------------------------------------------------------------------

std::vector<child_status> build_status(supervisor_self self) {
  std::vector<child_status> result;
  auto now = clock_ns(self);
  for (auto& [key, rec] : self->state.children) {
    child_status x;
    x.symbol = rec.symbol;
    x.stream = rec.stream;
    x.state = rec.state;
    x.connect_attempts = rec.attempts;
    x.restarts = rec.restarts;
    x.restarts_by_cause = rec.restarts_by_cause;
    x.last_error = rec.last_error;
    x.connect_latency_ms = rec.connect_latency_ms;
    connection_counters total = rec.finished;
    add(total, rec.live);
    x.frames = total.frames;
    x.trades = total.trades;
    x.decode_errors = total.decode_errors;
    if (total.last_frame_ns >= 0)
      x.last_message_age_ms = (now - total.last_frame_ns) / 1'000'000;
    result.push_back(std::move(x));
  }
  return result;
}

// -- runtime start and removal -----------------------------------------------------

/// Starts (symbol, stream) unless it runs: errc::already_started if its child
/// is alive, errc::being_removed while its symbol's children close,
/// errc::unknown_symbol without sinks for it. The one door for every start
/// after spawn (the configured children are started by supervisor_actor).
caf::result<bool> start_child(supervisor_self self, const std::string& symbol,
                              stream_kind stream) {
  auto key = child_key(symbol, stream);
  auto& st = self->state;
  if (st.removals.count(symbol) != 0)
    return caf::make_error(errc::being_removed, key);
  if (auto i = st.children.find(key);
      i != st.children.end() && i->second.state != child_state::stopped)
    return caf::make_error(errc::already_started, key);
  auto sinks = st.sinks.find(symbol);
  if (sinks == st.sinks.end()
      || (stream == stream_kind::depth && !sinks->second.depth))
    return caf::make_error(errc::unknown_symbol, key);
  auto& rec = st.children[key];
  rec.symbol = symbol;
  rec.stream = stream;
  SV_INFO("supervisor", symbol, "start", "stream=%s", to_string(stream));
  request_attempt(self, key, rec);
  return true;
}

/// Registers `sinks` for `symbol`: kept if it has sinks already, except that a
/// book is added to sinks without one.
void add_sinks(supervisor_self self, const std::string& symbol,
               const stream_sinks& sinks) {
  auto [i, added] = self->state.sinks.emplace(symbol, sinks);
  if (!added && !i->second.depth)
    i->second.depth = sinks.depth;
}

/// Ends `symbol`'s removal once none of its children is left: drops its sinks
/// and answers every remove request.
void finish_removal_if_done(supervisor_self self, const std::string& symbol) {
  auto& st = self->state;
  for (auto& [key, rec] : st.children)
    if (rec.symbol == symbol)
      return;
  st.sinks.erase(symbol);
  auto i = st.removals.find(symbol);
  if (i == st.removals.end())
    return;
  SV_INFO("supervisor", symbol, "removed", "children=%u", i->second.children);
  for (auto& rp : i->second.waiting)
    rp.deliver(i->second.children);
  st.removals.erase(i);
}

/// Stops `symbol`'s children gracefully and forgets them and its sinks; the
/// answer (children stopped) comes when the last is down.
caf::result<std::uint32_t> remove_symbol(supervisor_self self,
                                         const std::string& symbol) {
  auto& st = self->state;
  if (auto i = st.removals.find(symbol); i != st.removals.end()) {
    auto rp = self->make_response_promise<std::uint32_t>();
    i->second.waiting.push_back(rp);
    return rp;
  }
  std::uint32_t found = 0;
  std::uint32_t live = 0;
  for (auto i = st.children.begin(); i != st.children.end();) {
    auto& rec = i->second;
    if (rec.symbol != symbol) {
      ++i;
      continue;
    }
    ++found;
    if (!rec.handle) { // waiting, backoff, parked or stopped: nothing to close
      st.waiting.erase(std::remove(st.waiting.begin(), st.waiting.end(),
                                   i->first),
                       st.waiting.end());
      i = st.children.erase(i);
      continue;
    }
    ++live;
    rec.removing = true;
    self->send(rec.handle, stop_atom::value);
    ++i;
  }
  if (found == 0 && st.sinks.count(symbol) == 0)
    return caf::make_error(errc::unknown_symbol, symbol);
  SV_INFO("supervisor", symbol, "remove", "children=%u closing=%u", found,
          live);
  if (live == 0) {
    st.sinks.erase(symbol);
    return found;
  }
  auto& r = st.removals[symbol];
  r.children = found;
  auto rp = self->make_response_promise<std::uint32_t>();
  r.waiting.push_back(rp);
  self->delayed_send(self,
                     std::chrono::milliseconds(st.cfg.shutdown_timeout_ms),
                     remove_deadline_atom::value, symbol);
  return rp;
}

// -- shutdown ------------------------------------------------------------------

bool all_children_down(supervisor_self self) {
  for (auto& [key, rec] : self->state.children)
    if (rec.handle)
      return false;
  return true;
}

void quit_if_all_down(supervisor_self self) {
  if (!all_children_down(self))
    return;
  SV_INFO("supervisor", "-", "stopped", "children=%zu outcome=clean",
          self->state.children.size());
  self->quit();
}

// -- handlers shared by both states ---------------------------------------------

auto report_handler(supervisor_self self) {
  return [=](child_report& r) {
    auto i = self->state.children.find(r.key);
    if (i == self->state.children.end())
      return;
    auto& rec = i->second;
    switch (r.phase) {
      case connection_phase::streaming:
        // After a rotation the child reports streaming again: not a new connect.
        if (r.attempt == rec.attempts && rec.handle
            && rec.state != child_state::streaming) {
          rec.state = child_state::streaming;
          rec.streaming_since_ns = clock_ns(self);
          rec.live = r.counters;
          auto latency_ns = clock_ns(self) - rec.attempt_started_ns;
          rec.connect_latency_ms = latency_ns / 1'000'000;
          observe(
            self->state.connect_latency[static_cast<std::size_t>(rec.stream)],
            static_cast<double>(latency_ns) / 1e9);
          SV_INFO("supervisor", rec.symbol, "child_streaming",
                  "stream=%s attempt=%llu connect_latency_ms=%lld",
                  to_string(rec.stream),
                  static_cast<unsigned long long>(r.attempt),
                  static_cast<long long>(rec.connect_latency_ms));
        }
        break;
      case connection_phase::closed:
        if (r.attempt > rec.finished_attempt) {
          add(rec.finished, r.counters);
          rec.finished_attempt = r.attempt;
          if (r.attempt == rec.attempts)
            rec.live = connection_counters{};
          if (!self->state.stopping)
            rec.last_error = r.detail;
        }
        break;
      case connection_phase::connecting:
      case connection_phase::rotating:
      case connection_phase::closing:
        break;
    }
  };
}

auto metrics_handler(supervisor_self self) {
  return [=](metrics_atom) {
    auto& st = self->state;
    supervisor_metrics x;
    x.connect_latency = st.connect_latency;
    x.connect_budget_used = st.budget.used(clock_ns(self));
    x.connect_budget = st.cfg.connect_budget;
    x.waiting = st.waiting.size();
    return x;
  };
}

auto status_handler(supervisor_self self) {
  return [=](status_atom) {
    auto rp = self->make_response_promise<std::vector<child_status>>();
    // Ask each live child for its counters; a child that does not answer keeps
    // the counters it had.
    std::vector<std::string> keys;
    std::vector<connection_if> handles;
    for (auto& [key, rec] : self->state.children)
      if (rec.handle) {
        keys.push_back(key);
        handles.push_back(rec.handle);
      }
    gather<connection_status>(
      self, handles, child_status_timeout,
      [=](std::vector<caf::expected<connection_status>>& replies) mutable {
        for (std::size_t n = 0; n < replies.size(); ++n) {
          auto i = self->state.children.find(keys[n]);
          if (replies[n] && i != self->state.children.end()
              && replies[n]->attempt == i->second.attempts
              && replies[n]->attempt > i->second.finished_attempt)
            i->second.live = replies[n]->counters;
        }
        rp.deliver(build_status(self));
      },
      status_atom::value);
    return rp;
  };
}

supervisor_if::behavior_type enter(supervisor_self self, supervisor_phase next,
                                   const char* why);

void transition(supervisor_self self, supervisor_phase next, const char* why) {
  self->become(enter(self, next, why));
}

// -- states --------------------------------------------------------------------

supervisor_if::behavior_type running(supervisor_self self) {
  return {
    report_handler(self),
    [=](start_atom, std::string& symbol,
        stream_kind stream) -> caf::result<bool> {
      return start_child(self, upper_symbol(symbol), stream);
    },
    [=](start_atom, std::string& symbol, stream_kind stream,
        stream_sinks& sinks) -> caf::result<bool> {
      auto upper = upper_symbol(symbol);
      if (self->state.removals.count(upper) == 0)
        add_sinks(self, upper, sinks);
      return start_child(self, upper, stream);
    },
    [=](remove_atom, std::string& symbol) -> caf::result<std::uint32_t> {
      return remove_symbol(self, upper_symbol(symbol));
    },
    [=](reload_atom, std::uint32_t silence_timeout_ms,
        std::map<std::string, std::uint32_t>& by_symbol) {
      auto& cfg = self->state.cfg;
      cfg.silence_timeout_ms = silence_timeout_ms;
      cfg.silence_timeout_ms_by_symbol = std::move(by_symbol);
      SV_INFO("supervisor", "-", "reloaded",
              "silence_timeout_ms=%u by_symbol=%zu applies=next_attempt",
              silence_timeout_ms, cfg.silence_timeout_ms_by_symbol.size());
    },
    [=](remove_deadline_atom, std::string& symbol) {
      if (self->state.removals.count(symbol) == 0)
        return;
      for (auto& [key, rec] : self->state.children)
        if (rec.symbol == symbol && rec.handle) {
          SV_WARN("supervisor", symbol, "remove_deadline",
                  "stream=%s timeout_ms=%u hint=\"the child did not close in "
                  "time; killed\"",
                  to_string(rec.stream), self->state.cfg.shutdown_timeout_ms);
          self->send_exit(rec.handle, caf::exit_reason::kill);
        }
    },
    status_handler(self),
    metrics_handler(self),
    [=](connect_deadline_atom, std::string& key, std::uint64_t attempt) {
      auto i = self->state.children.find(key);
      if (i == self->state.children.end())
        return;
      auto& rec = i->second;
      // A deadline from an earlier attempt, or for a child that streams, is stale.
      if (rec.attempts != attempt || rec.state != child_state::connecting
          || !rec.handle)
        return;
      auto ms = self->state.cfg.connect_timeout_ms;
      SV_WARN(
        "supervisor", rec.symbol, "connect_deadline",
        "stream=%s attempt=%llu timeout_ms=%u hint=\"no upgrade and first "
        "frame in time; check the endpoint, network and TLS settings\"",
        to_string(rec.stream), static_cast<unsigned long long>(attempt), ms);
      self->send_exit(
        rec.handle,
        caf::make_error(errc::connect_timeout,
                        "no first frame within " + std::to_string(ms) + " ms"));
    },
    [=](restart_atom, std::string& key, std::uint64_t attempt) {
      auto i = self->state.children.find(key);
      if (i == self->state.children.end())
        return;
      auto& rec = i->second;
      if ((rec.state == child_state::backoff
           || rec.state == child_state::parked)
          && rec.attempts == attempt)
        request_attempt(self, key, rec);
    },
    [=](budget_tick_atom) {
      auto& st = self->state;
      st.budget_tick_pending = false;
      auto now = clock_ns(self);
      while (!st.waiting.empty() && st.budget.try_acquire(now, 1)) {
        auto key = st.waiting.front();
        st.waiting.pop_front();
        auto i = st.children.find(key);
        if (i != st.children.end() && i->second.state == child_state::waiting)
          start_attempt(self, key, i->second);
      }
      if (st.waiting.empty())
        st.budget_exhausted_logged = false;
      arm_budget_tick(self);
    },
    [=](stop_atom) { transition(self, supervisor_phase::stopping, "stop"); },
    [=](shutdown_deadline_atom) {},
  };
}

supervisor_if::behavior_type stopping(supervisor_self self) {
  return {
    report_handler(self),
    [=](start_atom, std::string&, stream_kind) -> caf::result<bool> {
      return caf::make_error(errc::shutting_down);
    },
    [=](start_atom, std::string&, stream_kind, stream_sinks&)
      -> caf::result<bool> { return caf::make_error(errc::shutting_down); },
    [=](remove_atom, std::string&) -> caf::result<std::uint32_t> {
      return caf::make_error(errc::shutting_down);
    },
    [=](remove_deadline_atom, std::string&) {},
    [=](reload_atom, std::uint32_t, std::map<std::string, std::uint32_t>&) {},
    status_handler(self),
    metrics_handler(self),
    [=](connect_deadline_atom, std::string&, std::uint64_t) {},
    [=](restart_atom, std::string&, std::uint64_t) {},
    [=](budget_tick_atom) {},
    [=](stop_atom) {},
    [=](shutdown_deadline_atom) {
      std::size_t killed = 0;
      for (auto& [key, rec] : self->state.children) {
        if (!rec.handle)
          continue;
        ++killed;
        self->send_exit(rec.handle, caf::exit_reason::kill);
      }
      SV_WARN("supervisor", "-", "stopped",
              "children=%zu outcome=deadline killed=%zu timeout_ms=%u",
              self->state.children.size(), killed,
              self->state.cfg.shutdown_timeout_ms);
      self->quit();
    },
  };
}

supervisor_if::behavior_type enter(supervisor_self self, supervisor_phase next,
                                   const char* why) {
  switch (next) {
    case supervisor_phase::running:
      return running(self);
    case supervisor_phase::stopping: {
      auto& st = self->state;
      st.stopping = true;
      std::size_t live = 0;
      for (auto& [key, rec] : st.children) {
        if (rec.handle) {
          ++live;
          self->send(rec.handle, stop_atom::value);
        } else {
          rec.state = child_state::stopped;
        }
      }
      st.waiting.clear();
      SV_INFO("supervisor", "-", "transition",
              "from=running to=stopping why=%s live_children=%zu", why, live);
      self->delayed_send(self,
                         std::chrono::milliseconds(st.cfg.shutdown_timeout_ms),
                         shutdown_deadline_atom::value);
      quit_if_all_down(self);
      return stopping(self);
    }
  }
  return stopping(self);
}

} // namespace

ws_target make_target(const supervisor_config& cfg, const std::string& symbol,
                      stream_kind stream) {
  ws_target result;
  result.server = cfg.server;
  auto name = binance_stream_id(symbol, stream);
  result.path = cfg.combined ? "/stream?streams=" + name : "/ws/" + name;
  return result;
}

supervisor_if::behavior_type
supervisor_actor(supervisor_self self, supervisor_config cfg, ws_client* ws,
                 std::map<std::string, stream_sinks> sinks,
                 std::vector<std::pair<std::string, stream_kind>> children) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.ws = ws;
  st.budget = weight_budget{st.cfg.connect_budget,
                            std::int64_t{st.cfg.connect_budget_window_s}
                              * 1'000'000'000,
                            st.cfg.connect_burst};
  st.rng.seed(st.cfg.rng_seed != 0 ? st.cfg.rng_seed : std::random_device{}());
  st.sinks = std::move(sinks);
  st.connect_latency.assign(stream_kind_count,
                            make_histogram(connect_latency_bounds_s()));
  // Children are linked, so their non-normal exits reach us as exit_msg; restart
  // decisions are made in the down handler. Only an exit addressed to us from
  // outside (anon_send_exit: source == self) stops the supervisor.
  self->set_exit_handler([=](caf::exit_msg& em) {
    if (em.source == self->address())
      self->quit(em.reason);
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto* rec = find_by_address(self, dm.source);
    if (rec == nullptr)
      return;
    rec->handle = nullptr;
    if (rec->removing) {
      auto symbol = rec->symbol;
      self->state.children.erase(child_key(rec->symbol, rec->stream));
      finish_removal_if_done(self, symbol);
      if (self->state.stopping)
        quit_if_all_down(self);
      return;
    }
    if (self->state.stopping) {
      rec->state = child_state::stopped;
      quit_if_all_down(self);
      return;
    }
    if (dm.reason)
      rec->last_error = describe(dm.reason);
    ++rec->restarts_by_cause.at(static_cast<std::size_t>(cause_of(dm.reason)));
    auto streamed_ms = rec->streaming_since_ns >= 0
                         ? (clock_ns(self) - rec->streaming_since_ns)
                             / 1'000'000
                         : std::int64_t{-1};
    rec->streaming_since_ns = -1;
    schedule_restart(self, child_key(rec->symbol, rec->stream), *rec,
                     streamed_ms, retry_after_ms(dm.reason));
  });
  for (auto& [listed, stream] : children) {
    auto symbol = upper_symbol(listed);
    auto key = child_key(symbol, stream);
    if (st.children.count(key) != 0) {
      SV_WARN(
        "supervisor", symbol, "duplicate_symbol",
        "stream=%s hint=\"listed twice in the configuration; started once\"",
        to_string(stream));
      continue;
    }
    auto& rec = st.children[key];
    rec.symbol = symbol;
    rec.stream = stream;
    request_attempt(self, key, rec);
  }
  return running(self);
}

bool stop_supervisor(caf::actor_system& sys, const supervisor_if& supervisor,
                     std::uint32_t shutdown_timeout_ms) {
  caf::scoped_actor self{sys};
  self->monitor(supervisor);
  self->send(supervisor, stop_atom::value);
  bool down = false;
  // The supervisor bounds its own shutdown; the 2 s on top are for it to report.
  self->receive(
    [&](caf::down_msg&) { down = true; },
    caf::after(std::chrono::milliseconds(shutdown_timeout_ms + 2000)) >> [] {});
  if (!down)
    caf::anon_send_exit(supervisor, caf::exit_reason::kill);
  return down;
}

} // namespace sv
