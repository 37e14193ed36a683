// aggregator_actor: one symbol's trade history, order-flow totals and latency histogram.
#include "actors/aggregator_actor.hpp"

#include <algorithm>
#include <chrono>

namespace sv {

aggregator_if::behavior_type
aggregator_actor(aggregator_if::stateful_pointer<aggregator_state> self,
                 std::string symbol, aggregator_limits limits) {
  self->state.symbol = std::move(symbol);
  auto& st0 = self->state;
  st0.history = trade_history{limits.trades_max, std::int64_t{limits.age_s} * 1000};
  // price_e8 * qty_e8 is in 1e-16 units: the e8 threshold times 1e8.
  st0.windows = std::make_unique<rolling_windows>(
    limits.windows_ms, int128{limits.large_trade_quote_e8} * e8_scale);
  st0.large_trade_quote_e8 = limits.large_trade_quote_e8;
  st0.large_trades_max = limits.large_trades_max;
  st0.windows_follow_wall_clock = limits.windows_follow_wall_clock;
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
        st.windows->add(x);
        if (st.large_trade_quote_e8 > 0
            && int128{x.price_e8} * x.qty_e8
                 >= int128{st.large_trade_quote_e8} * e8_scale) {
          st.large_trades.push_back(x);
          if (st.large_trades.size() > st.large_trades_max)
            st.large_trades.pop_front();
        }
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
      auto& st = self->state;
      if (st.windows_follow_wall_clock)
        st.windows->advance_to(
          std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
      auto result = st.flow.snapshot(st.symbol);
      result.cvd_e8 = to_wide(st.windows->cvd_e8());
      result.windows = st.windows->snapshot();
      return result;
    },
    [=](large_trades_atom, std::uint32_t n) {
      auto& large = self->state.large_trades;
      auto count = std::min<std::size_t>(n, large.size());
      return std::vector<trade>(large.end() - static_cast<std::ptrdiff_t>(count),
                                large.end());
    },
    [=](latency_atom) { return self->state.latency.snapshot(); },
  };
}

} // namespace sv
