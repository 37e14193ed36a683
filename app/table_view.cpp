// table_view: a once-a-second per-symbol table on stdout (the demo's live view).
#include "app/table_view.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include <caf/event_based_actor.hpp>

#include "actors/core/decimal.hpp"
#include "actors/core/order_flow.hpp"

namespace sv {

namespace {

using tick_atom = caf::atom_constant<caf::atom("tv_tick")>;
constexpr auto refresh_interval = std::chrono::seconds(1);
constexpr auto answer_timeout = std::chrono::milliseconds(900);

struct table_state {
  static inline const char* name = "table_view";
  supervisor_if supervisor;
  std::map<std::string, aggregator_if> aggregators;
  bool tty = false;
};

void print_table(const table_state& st,
                 const std::vector<child_status>& children,
                 const std::map<std::string, metrics_snapshot>& metrics) {
  std::string out;
  if (st.tty)
    out += "\x1b[H\x1b[2J"; // cursor home, clear screen
  char line[512];
  std::snprintf(line, sizeof(line),
                "%-10s %-10s %8s %10s %16s %18s %18s %18s %16s\n", "SYMBOL",
                "STATE", "ATTEMPTS", "TRADES", "LAST PRICE", "BUY VOLUME",
                "SELL VOLUME", "DELTA", "VWAP");
  out += line;
  for (auto& c : children) {
    // One row per symbol's trade stream; a depth child's book is in /book and /status.
    if (c.stream == stream_kind::depth)
      continue;
    auto i = metrics.find(c.symbol);
    metrics_snapshot m;
    if (i != metrics.end())
      m = i->second;
    auto buy = from_wide(m.buy_volume_e8);
    auto sell = from_wide(m.sell_volume_e8);
    std::snprintf(line, sizeof(line),
                  "%-10s %-10s %8llu %10llu %16s %18s %18s %18s %16s\n",
                  c.symbol.c_str(), to_string(c.state),
                  static_cast<unsigned long long>(c.connect_attempts),
                  static_cast<unsigned long long>(m.trades),
                  format_e8(m.last_price_e8).c_str(), format_e8(buy).c_str(),
                  format_e8(sell).c_str(), format_e8(buy - sell).c_str(),
                  format_e8(vwap_e8(m)).c_str());
    out += line;
  }
  if (!st.tty)
    out += "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

caf::behavior table_view(caf::stateful_actor<table_state>* self,
                         supervisor_if supervisor,
                         std::map<std::string, aggregator_if> aggregators) {
  self->state.supervisor = std::move(supervisor);
  self->state.aggregators = std::move(aggregators);
  self->state.tty = isatty(STDOUT_FILENO) != 0;
  self->delayed_send(self, refresh_interval, tick_atom::value);
  return {
    [=](tick_atom) {
      self->delayed_send(self, refresh_interval, tick_atom::value);
      self->request(self->state.supervisor, answer_timeout, status_atom::value)
        .then(
          [=](std::vector<child_status>& children) {
            auto metrics
              = std::make_shared<std::map<std::string, metrics_snapshot>>();
            auto pending
              = std::make_shared<std::size_t>(self->state.aggregators.size());
            auto shared_children = std::make_shared<std::vector<child_status>>(
              std::move(children));
            auto done = [=] {
              if (--*pending == 0)
                print_table(self->state, *shared_children, *metrics);
            };
            for (auto& [symbol, agg] : self->state.aggregators)
              self->request(agg, answer_timeout, metrics_atom::value)
                .then(
                  [=](metrics_snapshot& m) {
                    (*metrics)[m.symbol] = std::move(m);
                    done();
                  },
                  [=](caf::error&) { done(); });
          },
          [](caf::error&) {
            // The supervisor is busy or stopping: skip this refresh.
          });
    },
  };
}

} // namespace

caf::actor spawn_table_view(caf::actor_system& sys, supervisor_if supervisor,
                            std::map<std::string, aggregator_if> aggregators) {
  return sys.spawn(table_view, std::move(supervisor), std::move(aggregators));
}

} // namespace sv
