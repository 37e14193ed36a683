// Tests of gather(): one fan-in, on the deterministic scheduler.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/gather.hpp"
#include "tests/support/actor_fixture.hpp"

using namespace sv;
using namespace std::chrono_literals;

namespace {

using go_atom = caf::atom_constant<caf::atom("go")>;

/// A target: answers x with x * factor, or never answers when factor is 0.
using target_if = caf::typed_actor<caf::replies_to<int>::with<int>>;

struct target_state {
  std::vector<caf::typed_response_promise<int>>
    held; ///< kept open, never delivered
};

target_if::behavior_type target(target_if::stateful_pointer<target_state> self,
                                int factor) {
  return {[=](int x) -> caf::typed_response_promise<int> {
    auto rp = self->make_response_promise<int>();
    if (factor == 0)
      self->state.held.push_back(rp);
    else
      rp.deliver(x * factor);
    return rp;
  }};
}

/// The asker: gathers `x` from its targets and answers with the replies in
/// order (-1 for an error) and how often the continuation ran.
using asker_if
  = caf::typed_actor<caf::replies_to<go_atom, int>::with<std::vector<int>>>;

asker_if::behavior_type asker(asker_if::pointer self,
                              std::vector<target_if> targets) {
  return {[=](go_atom, int x) {
    auto rp = self->make_response_promise<std::vector<int>>();
    auto calls = std::make_shared<int>(0);
    gather<int>(
      self, targets, std::chrono::seconds(1),
      [=](std::vector<caf::expected<int>>& replies) mutable {
        std::vector<int> out;
        for (auto& r : replies)
          out.push_back(r ? *r : -1);
        out.push_back(++*calls);
        rp.deliver(std::move(out));
      },
      x);
    return rp;
  }};
}

struct gather_fixture : test::actor_fixture {
  /// An asker over one target per factor, in that order.
  asker_if spawn_asker(std::vector<int> factors) {
    std::vector<target_if> targets;
    for (int factor : factors)
      targets.push_back(keep_for_teardown(sys.spawn(target, factor)));
    return keep_for_teardown(sys.spawn(asker, targets));
  }

  /// Sends go(x) to `a`, lets `wait` of virtual time pass, returns the answer.
  std::vector<int> go(const asker_if& a, int x,
                      std::chrono::milliseconds wait) {
    caf::scoped_actor self{sys};
    auto rh = self->request(a, caf::infinite, go_atom::value, x);
    run();
    if (wait.count() > 0)
      advance(wait);
    std::vector<int> result;
    rh.receive([&](std::vector<int>& v) { result = std::move(v); },
               [&](caf::error&) { result = {-2}; });
    return result;
  }
};

} // namespace

TEST_CASE_METHOD(
  gather_fixture,
  "gather continues once with every answer in the order of its targets",
  "[gather]") {
  auto a = spawn_asker({1, 2, 3});
  // Three answers, then the continuation's call count.
  CHECK(go(a, 7, 0ms) == std::vector<int>{7, 14, 21, 1});
}

TEST_CASE_METHOD(
  gather_fixture,
  "a target that does not answer in time is an error in its slot, the "
  "others keep theirs",
  "[gather]") {
  auto a = spawn_asker({1, 0, 3});
  CHECK(go(a, 5, 1000ms) == std::vector<int>{5, -1, 15, 1});
}

TEST_CASE_METHOD(gather_fixture, "gather with no targets continues at once",
                 "[gather]") {
  auto a = spawn_asker({});
  CHECK(go(a, 5, 0ms) == std::vector<int>{1});
}
