// system_fixture: a real-scheduler CAF actor system for the transport tests.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "app/transport/lws_logging.hpp"

namespace sv::test {

/// A real-scheduler actor system (the transport sends from its own thread, which a
/// test-mode system forbids). Declare it before the recorder and the client so they
/// go first: the client's stop() still sends to the recorder.
struct system_fixture {
  system_fixture() : sys(init(cfg)) {
    sv::route_lws_logs(false);
  }
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.max-threads", 2);
    return c;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys;
};

} // namespace sv::test
