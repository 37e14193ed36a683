// config_reload: SIGHUP's work: re-read the settings and apply what can change live.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/protocols.hpp"
#include "app/service_notifier.hpp"
#include "app/settings/settings.hpp"

namespace sv {

/// The settings keys a reload applies to the running process; a change of any
/// other key is logged as needing a restart.
const std::vector<std::string>& live_keys();

/// What a reload needs from the running process. Pointers outlive the call.
struct reload_target {
  int argc = 0;                         ///< main's argc
  const char* const* argv = nullptr;    ///< main's argv: the same options again
  settings* running = nullptr;          ///< in force; replaced by a good reload
  caf::actor_system* sys = nullptr;     ///< to ask the actors from outside
  registry_if registry;                 ///< applies the symbol plan
  supervisor_if supervisor;             ///< takes the silence timeouts
  service_notifier* notifier = nullptr; ///< RELOADING=1 ... READY=1
  /// With a shard group: takes the symbol plan instead of the registry (the
  /// group's member starts and stops the symbols whose leases it holds).
  std::function<void(symbol_plan)> regroup;
};

/// Re-reads the command line and config file as at start. An invalid file is
/// rejected with one ERROR line naming file:line:key; the running settings
/// stay and false is returned. Otherwise applies, in this order: the log
/// level, the supervisor's silence timeouts (for later attempts), the symbol
/// plan (symbols removed and added through the registry, waiting for them),
/// logs what changed and what needs a restart, and returns true. Tells
/// systemd RELOADING=1 first and READY=1 last, either way. Blocking: main
/// thread only.
bool reload_config(reload_target& target);

} // namespace sv
