// service_watchdog: one tick = supervisor status, then every aggregator, then systemd.
#include "app/service_watchdog.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <utility>

#include "actors/core/log.hpp"
#include "actors/gather.hpp"

namespace sv {

namespace {

using watchdog_self
  = service_watchdog_if::stateful_pointer<service_watchdog_state>;

/// Tells systemd: WATCHDOG=1 if `alive`, and the status line if it changed.
void tell(watchdog_self self, bool alive, const std::string& status) {
  auto& st = self->state;
  std::string msg;
  if (alive && st.cfg.watchdog)
    msg += "WATCHDOG=1";
  if (!status.empty() && status != st.last_status) {
    msg += (msg.empty() ? "STATUS=" : "\nSTATUS=") + status;
    st.last_status = status;
  }
  if (!msg.empty())
    st.cfg.sink->notify(msg);
}

void withhold(watchdog_self self, const char* who, std::size_t late) {
  ++self->state.withheld;
  SV_WARN("watchdog", "-", "watchdog_withheld",
          "late=%s count=%zu withheld=%llu hint=\"an actor did not answer "
          "within the deadline; systemd restarts the service if this goes on "
          "for WatchdogSec\"",
          who, late, static_cast<unsigned long long>(self->state.withheld));
}

/// One tick: the supervisor, then the aggregators, then tell().
void check(watchdog_self self) {
  self
    ->request(self->state.cfg.supervisor, self->state.cfg.answer_timeout,
              status_atom::value)
    .then(
      [=](std::vector<child_status>& children) {
        auto status = service_status_line(children);
        gather<latency_snapshot>(
          self, self->state.cfg.aggregators, self->state.cfg.answer_timeout,
          [=](std::vector<caf::expected<latency_snapshot>>& replies) {
            std::size_t late = 0;
            for (const auto& r : replies)
              late += r ? 0 : 1;
            if (late > 0)
              withhold(self, "aggregators", late);
            tell(self, late == 0, status);
          },
          latency_atom::value);
      },
      [=](caf::error&) {
        withhold(self, "supervisor", 1);
        tell(self, false, "");
      });
}

} // namespace

std::string service_status_line(const std::vector<child_status>& children) {
  constexpr std::array<child_state, 5> others{
    child_state::connecting, child_state::waiting, child_state::backoff,
    child_state::parked, child_state::stopped};
  std::array<std::size_t, others.size()> counts{};
  std::size_t streaming = 0;
  for (const auto& c : children) {
    if (c.state == child_state::streaming) {
      ++streaming;
      continue;
    }
    for (std::size_t i = 0; i < others.size(); ++i)
      if (c.state == others.at(i))
        ++counts.at(i);
  }
  auto line = "streaming " + std::to_string(streaming) + "/"
              + std::to_string(children.size());
  for (std::size_t i = 0; i < others.size(); ++i)
    if (counts.at(i) > 0)
      line += ", " + std::to_string(counts.at(i)) + " "
              + to_string(others.at(i));
  return line;
}

service_watchdog_if::behavior_type
service_watchdog(watchdog_self self, service_watchdog_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.last_status = self->state.cfg.status_sent;
  self->send(self, heartbeat_atom::value);
  return {
    [=](heartbeat_atom) {
      check(self);
      self->delayed_send(self, self->state.cfg.tick, heartbeat_atom::value);
    },
    [=](symbol_table& table) {
      auto& aggregators = self->state.cfg.aggregators;
      aggregators.clear();
      for (auto& [symbol, agg] : table.aggregators)
        aggregators.push_back(std::move(agg));
    },
  };
}

} // namespace sv
