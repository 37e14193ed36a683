// table_view: a once-a-second per-symbol table on stdout (the demo's live view).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/supervisor_actor.hpp"

namespace sv {

/// Spawns an actor that every second asks the supervisor and every aggregator and
/// prints one table row per child: state, trades, last price, buy/sell volume,
/// delta, VWAP. On a terminal it redraws in place. Stop it with an exit message.
caf::actor spawn_table_view(caf::actor_system& sys, supervisor_if supervisor,
                            std::map<std::string, aggregator_if> aggregators);

} // namespace sv
