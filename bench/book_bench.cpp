// book_bench: the cost of keeping a local order book: decoding depth frames, applying them, answering /book.
//
// Builds a synthetic Binance book (--levels per side around 100.00, tick 0.01), encodes
// --events depthUpdate frames of --changes levels each (a fifth of them deletes, the
// rest new quantities, prices within 200 ticks of the top) exactly as Binance sends
// them, then measures, single-threaded and without CAF (the book actor adds one
// message per batch on top):
//   decode_ns_per_event  depth_decoder::decode of one frame
//   apply_ns_per_event   book_sync::on_update of one decoded event on a synced book
//   view_us              top 20 levels of each side + book_metrics (one /book answer)
//   snapshot_ms          book_sync::on_snapshot of a --levels-per-side snapshot
// and prints ONE line of key=value results. RSS is the process's peak (ru_maxrss).
// Figures and the command that produced them: docs/performance.md.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "actors/core/book_sync.hpp"
#include "actors/core/decimal.hpp"
#include "actors/wire/depth_decoder.hpp"
#include "bench/bench_util.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::uint32_t levels = 5000;   ///< levels per side in the snapshot
  std::uint32_t events = 200000; ///< depth events replayed
  std::uint32_t changes = 10;    ///< levels per event
  std::uint64_t seed = 1;        ///< generator seed
};

bool parse_options(int argc, char** argv, options& opt) {
  for (int i = 1; i + 1 < argc; i += 2) {
    auto value = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--levels") == 0)
      opt.levels = static_cast<std::uint32_t>(value);
    else if (std::strcmp(argv[i], "--events") == 0)
      opt.events = static_cast<std::uint32_t>(value);
    else if (std::strcmp(argv[i], "--changes") == 0)
      opt.changes = static_cast<std::uint32_t>(value);
    else if (std::strcmp(argv[i], "--seed") == 0)
      opt.seed = value;
    else
      return false;
  }
  return argc % 2 == 1 && opt.levels > 0 && opt.events > 0 && opt.changes > 0;
}

using sv::bench::peak_rss_mib;
using sv::bench::seconds_since;

constexpr std::int64_t tick_e8 = 1'000'000;     // 0.01
constexpr std::int64_t mid_e8 = 10'000'000'000; // 100.00

std::string level_json(std::int64_t price_e8, std::int64_t qty_e8) {
  return "[\"" + sv::format_e8(price_e8) + "\",\"" + sv::format_e8(qty_e8)
         + "\"]";
}

} // namespace

int main(int argc, char** argv) {
  options opt;
  if (!parse_options(argc, argv, opt)) {
    std::fprintf(stderr,
                 "usage: book_bench [--levels N] [--events N] [--changes N] "
                 "[--seed N]\n");
    return 2;
  }
  std::mt19937_64 rng{opt.seed};
  std::uniform_int_distribution<std::int64_t> qty{1, 1'000'000'000'000};
  std::uniform_int_distribution<std::int64_t> near_top{1, 200};

  sv::depth_snapshot snapshot;
  snapshot.symbol = "BTCUSDT";
  snapshot.last_update_id = 1'000'000;
  for (std::uint32_t i = 0; i < opt.levels; ++i) {
    snapshot.bids.push_back(
      {mid_e8 - static_cast<std::int64_t>(i + 1) * tick_e8, qty(rng)});
    snapshot.asks.push_back(
      {mid_e8 + static_cast<std::int64_t>(i) * tick_e8, qty(rng)});
  }

  // Frames as Binance sends them, contiguous ids; the first ends at the snapshot's
  // lastUpdateId, so it is buffered, then dropped, and the second is the first applied.
  std::vector<std::string> frames;
  frames.reserve(opt.events);
  auto next_id = snapshot.last_update_id - opt.changes + 1;
  std::size_t frame_bytes = 0;
  for (std::uint32_t e = 0; e < opt.events; ++e) {
    std::string bids, asks;
    for (std::uint32_t c = 0; c < opt.changes; ++c) {
      bool bid = c % 2 == 0;
      auto offset = near_top(rng) * tick_e8;
      auto price = bid ? mid_e8 - offset : mid_e8 + offset - tick_e8;
      auto q = rng() % 5 == 0 ? 0 : qty(rng);
      auto& side = bid ? bids : asks;
      side += (side.empty() ? "" : ",") + level_json(price, q);
    }
    auto first = next_id;
    next_id += opt.changes;
    frames.push_back(
      R"({"e":"depthUpdate","E":1700000000000,"s":"BTCUSDT","U":)"
      + std::to_string(first) + R"(,"u":)" + std::to_string(next_id - 1)
      + R"(,"b":[)" + bids + R"(],"a":[)" + asks + "]}");
    frame_bytes += frames.back().size();
  }

  sv::depth_decoder decoder{"BTCUSDT"};
  std::vector<sv::depth_update> decoded(opt.events);
  auto t0 = clock_type::now();
  for (std::uint32_t e = 0; e < opt.events; ++e)
    if (decoder.decode(frames[e], decoded[e]) != sv::decode_status::ok) {
      std::fprintf(stderr, "decode failed: %s\n", decoder.detail().c_str());
      return 1;
    }
  auto decode_s = seconds_since(t0);

  sv::book_sync sync{1000};
  sync.on_update(decoded[0]); // buffered, asks for the snapshot
  t0 = clock_type::now();
  sync.on_snapshot(snapshot);
  auto snapshot_s = seconds_since(t0);
  if (sync.phase() != sv::book_phase::synced) {
    std::fprintf(stderr, "book did not sync\n");
    return 1;
  }
  t0 = clock_type::now();
  for (std::uint32_t e = 1; e < opt.events; ++e)
    sync.on_update(std::move(decoded[e]));
  auto apply_s = seconds_since(t0);
  if (sync.phase() != sv::book_phase::synced || sync.counters().resyncs != 0) {
    std::fprintf(stderr, "book lost its sync\n");
    return 1;
  }

  constexpr int views = 10000;
  std::size_t sink = 0;
  t0 = clock_type::now();
  for (int i = 0; i < views; ++i) {
    auto bids = sync.book().top_bids(20);
    auto asks = sync.book().top_asks(20);
    auto m = sync.book().metrics(10, 10);
    sink += bids.size() + asks.size()
            + static_cast<std::size_t>(m.spread_e8 & 1);
  }
  auto view_s = seconds_since(t0);

  std::printf(
    "levels=%u events=%u changes=%u frame_bytes_avg=%zu "
    "decode_ns_per_event=%.0f apply_ns_per_event=%.0f apply_ns_per_level=%.1f "
    "events_per_s=%.0f snapshot_ms=%.2f view_us=%.2f bid_levels=%zu "
    "ask_levels=%zu peak_rss_mib=%.1f check=%zu\n",
    opt.levels, opt.events, opt.changes, frame_bytes / opt.events,
    decode_s * 1e9 / opt.events, apply_s * 1e9 / (opt.events - 1),
    apply_s * 1e9 / (double(opt.events - 1) * opt.changes),
    (opt.events - 1) / (decode_s + apply_s), snapshot_s * 1e3,
    view_s * 1e6 / views, sync.book().bid_levels(), sync.book().ask_levels(),
    peak_rss_mib(), sink);
  return 0;
}
