// feed_fanout_bench: N consumers of streamvisor's feed at once, each frame's latency
// from the exchange's send time, and whether every consumer got every trade in order.
//
// Usage: feed_fanout_bench FEED_PORT SECONDS PATH [PATH...]
//   one connection per PATH ("/ws/t000usdt@aggTrade", "/stream?streams=a/b", ...) to
//   streamvisor's API port; the upstream is the firehose in -L mode ("E" is the send
//   time in µs, CLOCK_REALTIME). After one second of warm-up, SECONDS are measured.
// Prints, over all consumers: frames, frames per second, out-of-order or repeated
// ids per (consumer, symbol) stream, p50/p99/p99.9/max latency in µs; and the
// slowest consumer's frame count. bench/feed_fanout.py runs it (docs/performance.md,
// "Feed").
#include <libwebsockets.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/bench_util.hpp"

namespace {

using sv::bench::number_after;
using sv::bench::percentile;
using sv::bench::realtime_us;

/// One consumer connection.
struct consumer {
  std::string path;
  std::uint64_t frames = 0;
  std::uint64_t out_of_order = 0;
  std::map<std::string, std::uint64_t> last_id; ///< by symbol
  bool connected = false;
  bool closed = false;
};

/// Everything the callback updates; the lws context's user data.
struct bench_state {
  std::vector<consumer> consumers;
  std::vector<std::int64_t> us; ///< receive time - E, all consumers
  std::int64_t measure_from_us = 0;
  std::int64_t measure_until_us = 0;
  std::uint64_t measured_frames = 0;
};

std::string symbol_of(std::string_view text) {
  auto at = text.find(R"("s":")");
  if (at == std::string_view::npos)
    return {};
  at += 5;
  return std::string{text.substr(at, text.find('"', at) - at)};
}

int callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in,
             size_t len) {
  auto* c = static_cast<consumer*>(lws_get_opaque_user_data(wsi));
  auto* st = static_cast<bench_state*>(lws_context_user(lws_get_context(wsi)));
  if (c == nullptr || st == nullptr)
    return 0;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      c->connected = true;
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      auto now = realtime_us();
      std::string_view text{static_cast<const char*>(in), len};
      auto e = number_after(text, R"("E":)");
      auto a = number_after(text, R"("a":)");
      if (e <= 0 || a < 0)
        return 0;
      ++c->frames;
      auto& last = c->last_id[symbol_of(text)];
      if (last != 0 && static_cast<std::uint64_t>(a) != last + 1)
        ++c->out_of_order;
      last = static_cast<std::uint64_t>(a);
      if (now >= st->measure_from_us && now < st->measure_until_us) {
        st->us.push_back(now - e);
        ++st->measured_frames;
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
      c->closed = true;
      return 0;
    default:
      return 0;
  }
}

} // namespace

int main(int argc, char** argv) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-pointer-arithmetic): argv
  std::vector<std::string> args(argv, argv + argc);
  if (args.size() < 4) {
    std::fprintf(stderr,
                 "usage: feed_fanout_bench FEED_PORT SECONDS PATH [PATH...]\n");
    return 2;
  }
  int port = std::atoi(args[1].c_str());
  double seconds = std::atof(args[2].c_str());
  bench_state st;
  for (std::size_t i = 3; i < args.size(); ++i) {
    consumer c;
    c.path = args[i];
    st.consumers.push_back(std::move(c));
  }
  lws_set_log_level(LLL_ERR, nullptr);
  static const std::array<lws_protocols, 2> protocols = {{
    {"bench", callback, 0, 1 << 16, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
  }};
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols.data();
  info.user = &st;
  info.fd_limit_per_thread = static_cast<unsigned>(st.consumers.size() + 16);
  auto* ctx = lws_create_context(&info);
  if (ctx == nullptr)
    return 1;
  for (auto& c : st.consumers) {
    lws_client_connect_info ci{};
    ci.context = ctx;
    ci.address = "127.0.0.1";
    ci.port = port;
    ci.path = c.path.c_str();
    ci.host = "127.0.0.1";
    ci.origin = "127.0.0.1";
    ci.local_protocol_name = "bench";
    ci.opaque_user_data = &c;
    if (lws_client_connect_via_info(&ci) == nullptr) {
      std::fprintf(stderr, "%s: connect failed\n", c.path.c_str());
      return 1;
    }
  }
  auto all = [&](auto pred) {
    return std::all_of(st.consumers.begin(), st.consumers.end(), pred);
  };
  auto started = realtime_us();
  while (!all([](const consumer& c) { return c.connected || c.closed; })
         && realtime_us() - started < 30'000'000)
    lws_service(ctx, 0);
  st.measure_from_us = realtime_us() + 1'000'000;
  st.measure_until_us = st.measure_from_us
                        + static_cast<std::int64_t>(seconds * 1e6);
  while (realtime_us() < st.measure_until_us)
    lws_service(ctx, 0);
  // Closed before the end: refused, dropped as slow, or failed.
  std::size_t closed = 0;
  for (const auto& c : st.consumers)
    closed += c.closed ? 1 : 0;
  lws_context_destroy(ctx);
  std::uint64_t frames = 0;
  std::uint64_t disorder = 0;
  std::uint64_t slowest = UINT64_MAX;
  for (const auto& c : st.consumers) {
    frames += c.frames;
    disorder += c.out_of_order;
    slowest = std::min(slowest, c.frames);
  }
  auto p50 = percentile(st.us, 0.50);
  auto p99 = percentile(st.us, 0.99);
  auto p999 = percentile(st.us, 0.999);
  auto max = st.us.empty() ? -1 : *std::max_element(st.us.begin(), st.us.end());
  std::printf("fanout       consumers=%zu closed=%zu frames=%llu "
              "measured_frames_per_s=%.0f out_of_order=%llu "
              "slowest_consumer_frames=%llu p50_us=%lld p99_us=%lld "
              "p999_us=%lld max_us=%lld\n",
              st.consumers.size(), closed,
              static_cast<unsigned long long>(frames),
              static_cast<double>(st.measured_frames) / seconds,
              static_cast<unsigned long long>(disorder),
              static_cast<unsigned long long>(slowest),
              static_cast<long long>(p50), static_cast<long long>(p99),
              static_cast<long long>(p999), static_cast<long long>(max));
  return 0;
}
