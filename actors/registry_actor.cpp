// registry_actor: the set of symbols streamvisor serves, changed at runtime.
#include "actors/registry_actor.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"
#include "actors/core/symbol_name.hpp"
#include "messages/errc.hpp"

namespace sv {

namespace {

/// How long a start waits for the supervisor (it answers at once unless wedged).
constexpr auto start_answer_timeout = std::chrono::seconds(5);

void publish(registry_self self) {
  for (auto& listener : self->state.cfg.listeners)
    self->send(listener, self->state.cfg.table);
}

/// Spawns what `symbol` lacks for `streams` (its aggregator, whose feed starts
/// after `resume_after_id` if not 0; its book when depth is asked); true if it
/// spawned anything.
bool spawn_missing(registry_self self, const std::string& symbol,
                   const std::vector<stream_kind>& streams,
                   std::uint64_t resume_after_id) {
  auto& cfg = self->state.cfg;
  auto& table = cfg.table;
  bool spawned = false;
  if (table.aggregators.count(symbol) == 0) {
    auto limits = cfg.limits;
    if (auto i = cfg.large_trade_quote_e8_by_symbol.find(symbol);
        i != cfg.large_trade_quote_e8_by_symbol.end())
      limits.large_trade_quote_e8 = i->second;
    limits.resume_after_id = resume_after_id;
    table.aggregators[symbol] = self->spawn<caf::linked>(
      aggregator_actor, symbol, limits,
      caf::actor_cast<backfill_sink_if>(cfg.backfill));
    table.symbols.push_back(symbol);
    spawned = true;
  }
  bool depth = std::find(streams.begin(), streams.end(), stream_kind::depth)
               != streams.end();
  if (depth && table.books.count(symbol) == 0) {
    table.books[symbol] = self->spawn<caf::linked>(
      book_actor, symbol, cfg.book,
      caf::actor_cast<snapshot_source_if>(cfg.backfill));
    spawned = true;
  }
  return spawned;
}

caf::result<bool> put(registry_self self, const std::string& listed,
                      std::vector<stream_kind> streams,
                      std::uint64_t resume_after_id = 0) {
  auto& st = self->state;
  if (!is_symbol_name(listed))
    return caf::make_error(errc::invalid_symbol, listed);
  auto symbol = upper_symbol(listed);
  if (st.removing.count(symbol) != 0)
    return caf::make_error(errc::being_removed, symbol);
  if (streams.empty())
    streams = st.cfg.streams;
  if (st.cfg.table.aggregators.count(symbol) == 0
      && st.cfg.table.symbols.size() >= st.cfg.symbols_max)
    return caf::make_error(errc::limit_reached,
                           "symbols_max=" + std::to_string(st.cfg.symbols_max));
  if (spawn_missing(self, symbol, streams, resume_after_id)) {
    SV_INFO("registry", symbol, "added", "streams=%s symbols=%zu",
            join_streams(streams).c_str(), st.cfg.table.symbols.size());
    publish(self);
  }
  stream_sinks sinks;
  sinks.trades
    = caf::actor_cast<trade_sink_if>(st.cfg.table.aggregators[symbol]);
  if (auto book = st.cfg.table.books.find(symbol);
      book != st.cfg.table.books.end())
    sinks.depth = caf::actor_cast<depth_sink_if>(book->second);
  // Every stream's start is asked at once; the answer waits for all of them.
  struct pending {
    caf::typed_response_promise<bool> rp;
    std::size_t left = 0;
    bool started = false;
    caf::error failure;
  };
  auto p = std::make_shared<pending>();
  p->rp = self->make_response_promise<bool>();
  p->left = streams.size();
  auto done = [p] {
    if (--p->left > 0)
      return;
    if (p->failure)
      p->rp.deliver(p->failure);
    else
      p->rp.deliver(p->started);
  };
  for (auto stream : streams)
    self
      ->request(st.cfg.supervisor, start_answer_timeout, start_atom::value,
                symbol, stream, sinks)
      .then(
        [=](bool) {
          p->started = true;
          done();
        },
        [=](caf::error& err) {
          if (err != errc::already_started)
            p->failure = std::move(err);
          done();
        });
  return p->rp;
}

caf::result<std::uint32_t> remove(registry_self self,
                                  const std::string& listed) {
  auto& st = self->state;
  auto symbol = upper_symbol(listed);
  if (st.cfg.table.aggregators.count(symbol) == 0)
    return caf::make_error(errc::unknown_symbol, symbol);
  if (!st.removing.insert(symbol).second)
    return caf::make_error(errc::being_removed, symbol);
  auto rp = self->make_response_promise<std::uint32_t>();
  // Its actors go only after its children are down: a closing child may still
  // hand them frames.
  auto forget = [=](std::uint32_t children) mutable {
    auto& state = self->state;
    auto& table = state.cfg.table;
    state.removing.erase(symbol);
    if (auto agg = table.aggregators.find(symbol);
        agg != table.aggregators.end()) {
      self->send_exit(agg->second, caf::exit_reason::user_shutdown);
      table.aggregators.erase(agg);
    }
    if (auto book = table.books.find(symbol); book != table.books.end()) {
      self->send_exit(book->second, caf::exit_reason::user_shutdown);
      table.books.erase(book);
    }
    table.symbols.erase(std::remove(table.symbols.begin(), table.symbols.end(),
                                    symbol),
                        table.symbols.end());
    SV_INFO("registry", symbol, "removed", "children=%u symbols=%zu", children,
            table.symbols.size());
    publish(self);
    rp.deliver(children);
  };
  self
    ->request(st.cfg.supervisor,
              std::chrono::milliseconds(st.cfg.remove_timeout_ms),
              remove_atom::value, symbol)
    .then([=](std::uint32_t children) mutable { forget(children); },
          [=](caf::error& err) mutable {
            // The supervisor knew no child of it (none was started): nothing
            // to close.
            if (err == errc::unknown_symbol) {
              forget(0);
              return;
            }
            self->state.removing.erase(symbol);
            rp.deliver(std::move(err));
          });
  return rp;
}

/// Makes the served symbols those of `plan`: removes the others, starts what
/// the plan's symbols lack (through the registry's own put and remove, so
/// every guarantee of those holds), answers once every one has answered.
caf::result<plan_applied> apply_plan(registry_self self, symbol_plan& plan) {
  auto& st = self->state;
  st.cfg.large_trade_quote_e8_by_symbol
    = std::move(plan.large_trade_quote_e8_by_symbol);
  std::vector<std::string> gone;
  for (const auto& symbol : st.cfg.table.symbols)
    if (std::find(plan.symbols.begin(), plan.symbols.end(), symbol)
        == plan.symbols.end())
      gone.push_back(symbol);
  if (gone.empty() && plan.symbols.empty())
    return plan_applied{};
  struct pending {
    caf::typed_response_promise<plan_applied> rp;
    std::size_t left = 0;
    plan_applied result;
  };
  auto p = std::make_shared<pending>();
  p->rp = self->make_response_promise<plan_applied>();
  p->left = gone.size() + plan.symbols.size();
  auto done = [p] {
    if (--p->left == 0)
      p->rp.deliver(p->result);
  };
  auto failed = [=](const std::string& symbol, const caf::error& err) {
    p->result.failed.push_back(symbol + ": " + caf::to_string(err));
    done();
  };
  auto me = caf::actor_cast<registry_if>(self);
  auto remove_wait = std::chrono::milliseconds(st.cfg.remove_timeout_ms)
                     + std::chrono::seconds(1);
  for (const auto& symbol : gone)
    self->request(me, remove_wait, remove_atom::value, symbol)
      .then(
        [=](std::uint32_t) {
          p->result.removed.push_back(symbol);
          done();
        },
        [=](caf::error& err) { failed(symbol, err); });
  for (std::size_t i = 0; i < plan.symbols.size(); ++i) {
    auto symbol = plan.symbols[i];
    auto streams = i < plan.streams.size() ? plan.streams[i]
                                           : std::vector<stream_kind>{};
    self
      ->request(me, start_answer_timeout + std::chrono::seconds(1),
                put_atom::value, symbol, streams)
      .then(
        [=](bool started) {
          if (started)
            p->result.added.push_back(symbol);
          done();
        },
        [=](caf::error& err) { failed(symbol, err); });
  }
  return p->rp;
}

} // namespace

registry_if::behavior_type registry_actor(registry_self self,
                                          registry_config cfg) {
  self->state.cfg = std::move(cfg);
  // A spawned aggregator or book that fails is logged; the registry goes on
  // (its symbol's streams keep their old sink handles until removed).
  self->set_exit_handler([=](caf::exit_msg& em) {
    if (em.source == self->address()) {
      self->quit(em.reason);
      return;
    }
    if (em.reason && em.reason != caf::exit_reason::user_shutdown)
      SV_ERROR("registry", "-", "actor_failed", "reason=\"%s\"",
               caf::to_string(em.reason).c_str());
  });
  return {
    [=](put_atom, std::string& symbol, std::vector<stream_kind>& streams)
      -> caf::result<bool> { return put(self, symbol, std::move(streams)); },
    [=](put_atom, std::string& symbol, std::vector<stream_kind>& streams,
        std::uint64_t resume_after_id) -> caf::result<bool> {
      return put(self, symbol, std::move(streams), resume_after_id);
    },
    [=](remove_atom, std::string& symbol) -> caf::result<std::uint32_t> {
      return remove(self, symbol);
    },
    [=](reload_atom, symbol_plan& plan) -> caf::result<plan_applied> {
      return apply_plan(self, plan);
    },
    [=](listen_atom, table_listener_if& listener) {
      self->send(listener, self->state.cfg.table);
      self->state.cfg.listeners.push_back(std::move(listener));
    },
  };
}

} // namespace sv
