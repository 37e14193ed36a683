// actor_fixture: a CAF actor system on the deterministic test scheduler, for Catch2 tests.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "tests/support/fake_ws_client.hpp"

namespace sv::test {

/// Owns a test-mode actor system and the fake transport. Time moves only through
/// advance(); nothing runs unless run() is called. The destructor stops every actor
/// registered with keep_for_teardown() and drains the scheduler, because a live actor
/// would make the actor system's destructor wait forever.
struct actor_fixture {
  fake_ws_client ws; // declared first: actors' cleanup calls it during teardown
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  std::vector<caf::actor> teardown;

  static caf::actor_system_config& testing(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    return c;
  }

  actor_fixture()
    : sys(testing(cfg)),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
  }

  ~actor_fixture() {
    ws.release();
    for (auto& h : teardown)
      caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
    teardown.clear();
    while (sched.run() + sched.trigger_timeouts() > 0) {
    }
  }

  actor_fixture(const actor_fixture&) = delete;
  actor_fixture& operator=(const actor_fixture&) = delete;

  /// Registers `h` to be stopped at teardown; returns it.
  template <class Handle>
  Handle keep_for_teardown(Handle h) {
    teardown.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  /// Runs every queued message (no timers).
  void run() {
    sched.run();
  }

  /// Moves the virtual clock, fires what is due, runs everything.
  void advance(std::chrono::milliseconds d) {
    sched.advance_time(d);
    sched.run();
  }

  /// Asks `h` and returns the answer; throws if it answers with an error.
  template <class T, class Handle, class... Ts>
  T ask(const Handle& h, Ts&&... xs) {
    caf::scoped_actor self{sys};
    auto rh = self->request(h, caf::infinite, std::forward<Ts>(xs)...);
    sched.run();
    T result{};
    std::string failure;
    rh.receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { failure = sys.render(err); });
    if (!failure.empty())
      throw std::runtime_error("request failed: " + failure);
    return result;
  }

  /// Asks `h` and returns the error it answers with (an empty error if it succeeded).
  template <class T, class Handle, class... Ts>
  caf::error ask_error(const Handle& h, Ts&&... xs) {
    caf::scoped_actor self{sys};
    auto rh = self->request(h, caf::infinite, std::forward<Ts>(xs)...);
    sched.run();
    caf::error result;
    rh.receive([&](T&) {}, [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// The state of a stateful actor (safe: nothing else runs while the test reads it).
  template <class State, class Handle>
  State& state_of(const Handle& h) {
    auto* ptr = caf::actor_cast<caf::abstract_actor*>(h);
    return dynamic_cast<caf::stateful_actor<State, typename Handle::base>&>(
             *ptr)
      .state;
  }
};

} // namespace sv::test
