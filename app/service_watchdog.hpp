// service_watchdog: tells systemd the daemon is alive (WATCHDOG=1) only while the
// supervisor and every aggregator answer in time, and how many children stream
// (STATUS=), so a wedged actor system stops the pings and systemd restarts it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/protocols.hpp"
#include "app/service_notifier.hpp"

namespace sv {

/// What the watchdog asks and where it tells.
struct service_watchdog_config {
  supervisor_if supervisor;               ///< asked status_atom each tick
  std::vector<aggregator_if> aggregators; ///< each asked latency_atom each tick
  service_notify_sink* sink = nullptr;    ///< outlives the actor
  /// How often to ask: half of WATCHDOG_USEC, or 5 s for STATUS= only.
  std::chrono::milliseconds tick{5000};
  /// Whether systemd expects WATCHDOG=1 (WATCHDOG_USEC set for us).
  bool watchdog = false;
  /// An actor that has not answered this long after a tick is wedged (below
  /// `tick`, so a tick's answers are in before the next one).
  std::chrono::milliseconds answer_timeout{2000};
  /// The STATUS= already sent (with READY=1): not sent again until it changes.
  std::string status_sent;
};

/// State of the watchdog (plain data; behavior in service_watchdog.cpp).
struct service_watchdog_state {
  static inline const char* const name = "service_watchdog";
  service_watchdog_config cfg;
  std::string last_status;    ///< the last STATUS= sent, to send only changes
  std::uint64_t withheld = 0; ///< ticks without WATCHDOG=1 (someone was late)
};

using service_watchdog_if = caf::typed_actor<caf::reacts_to<heartbeat_atom>,
                                             caf::reacts_to<symbol_table>>;

/// Spawns with `sys.spawn(service_watchdog, cfg)`; ticks until it is stopped.
/// Each tick: the supervisor's status, then a latency_atom to every aggregator,
/// all within answer_timeout; if all answered, WATCHDOG=1 (with `watchdog`), and
/// STATUS= whenever the line changed. A late answer withholds that tick's ping
/// and logs `watchdog_withheld` naming who was late. A symbol_table (from the
/// registry, after a runtime change) replaces the aggregators it asks.
service_watchdog_if::behavior_type service_watchdog(
  service_watchdog_if::stateful_pointer<service_watchdog_state> self,
  service_watchdog_config cfg);

/// The STATUS= line for `children`: "streaming 98/100" and, for each other
/// state that has children, ", 2 backoff" (states in child_state order). Pure.
std::string service_status_line(const std::vector<child_status>& children);

} // namespace sv
