// aggregator_actor: one symbol's trade history, order-flow totals and latency histogram.
#include "actors/aggregator_actor.hpp"

#include <chrono>

namespace sv {

aggregator_if::behavior_type
aggregator_actor(aggregator_if::stateful_pointer<aggregator_state> self,
                 std::string symbol, aggregator_limits limits) {
  self->state.symbol = std::move(symbol);
  self->state.history = trade_history{limits.trades_max,
                                      std::int64_t{limits.age_s} * 1000};
  return {
    [=](trade_batch& batch) {
      auto& st = self->state;
      std::uint64_t applied = 0;
      for (auto& x : batch.trades) {
        if (st.flow.last_trade_id() != 0 && x.agg_id <= st.flow.last_trade_id()) {
          st.flow.add_duplicate();
          continue;
        }
        st.flow.add(x);
        st.history.push(x);
        ++applied;
      }
      // Latency is real time on purpose (steady clock, as the transport stamped it),
      // not the actor clock: it measures this process, not the simulation.
      auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
      if (applied > 0 && batch.recv_ns > 0)
        st.latency.add((now_ns - batch.recv_ns) / 1000, applied);
    },
    [=](trades_atom, std::uint32_t n) {
      return self->state.history.last(n);
    },
    [=](metrics_atom) {
      return self->state.flow.snapshot(self->state.symbol);
    },
    [=](latency_atom) { return self->state.latency.snapshot(); },
  };
}

} // namespace sv
