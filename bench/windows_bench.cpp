// windows_bench: the cost per trade of the order-flow windows and totals (rolling_windows::add, order_flow::add).
//
// Replays --trades synthetic trades (about 670 per second of trade time, a few ms late
// now and then, random 8-decimal prices and sizes) through rolling_windows with the
// default windows 1m/5m/15m/1h and a large-trade threshold, and through order_flow,
// single-threaded, and prints ONE line of key=value results: ns per trade for each,
// the windows' fixed memory, and the check values that keep the work from being
// optimized away. Figures and the command: docs/performance.md.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "actors/core/order_flow.hpp"
#include "actors/core/rolling_windows.hpp"
#include "bench/bench_util.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double ns_since(clock_type::time_point t0) {
  return sv::bench::seconds_since(t0) * 1e9;
}

} // namespace

int main(int argc, char** argv) {
  long long trades = 5'000'000;
  if (argc == 3 && std::strcmp(argv[1], "--trades") == 0)
    trades = std::atoll(argv[2]);
  else if (argc != 1 || trades <= 0) {
    std::fprintf(stderr, "usage: windows_bench [--trades N]\n");
    return 2;
  }
  // 65,536 distinct trades, replayed with times shifted forward each pass.
  constexpr std::size_t distinct = 1 << 16;
  std::vector<sv::trade> feed(distinct);
  std::vector<std::int64_t> base_ms(distinct);
  std::mt19937_64 rng(11);
  std::int64_t t = 1'700'000'000'000;
  for (std::size_t i = 0; i < distinct; ++i) {
    t += static_cast<std::int64_t>(rng() % 4);
    if (rng() % 50 == 0)
      t -= 2; // a few ms late
    auto& x = feed[i];
    x.symbol = "BTCUSDT";
    x.price_e8 = 9'000'000'000'000
                 + static_cast<std::int64_t>(rng() % 100'000'000);
    x.qty_e8 = static_cast<std::int64_t>(rng() % 100'000'000) + 1;
    x.buyer_is_maker = (rng() & 1U) != 0;
    base_ms[i] = t;
  }
  auto span = t - base_ms.front() + 4;
  auto prepare = [&](long long i) -> sv::trade& {
    auto k = static_cast<std::size_t>(i) & (distinct - 1);
    auto& x = feed[k];
    x.trade_time_ms = base_ms[k] + span * (i >> 16);
    x.event_time_ms = x.trade_time_ms;
    x.agg_id = x.first_id = x.last_id = static_cast<std::uint64_t>(i) + 1;
    return x;
  };

  sv::rolling_windows windows(sv::rolling_windows::default_lengths_ms(),
                              sv::int128{100'000} * sv::e8_scale
                                * sv::e8_scale);
  auto t0 = clock_type::now();
  for (long long i = 0; i < trades; ++i)
    windows.add(prepare(i));
  auto windows_ns = ns_since(t0);

  sv::order_flow flow;
  t0 = clock_type::now();
  for (long long i = 0; i < trades; ++i)
    flow.add(prepare(i));
  auto flow_ns = ns_since(t0);

  auto w = windows.snapshot();
  auto totals = flow.snapshot("BTCUSDT");
  std::printf(
    "trades=%lld windows_ns_per_trade=%.1f order_flow_ns_per_trade=%.1f "
    "windows_memory_bytes=%zu check_1h_trades=%llu check_trades=%llu\n",
    trades, windows_ns / static_cast<double>(trades),
    flow_ns / static_cast<double>(trades), windows.memory_bytes(),
    static_cast<unsigned long long>(w.at(3).trades),
    static_cast<unsigned long long>(totals.trades));
  return 0;
}
