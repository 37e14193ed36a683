// feed_hop_bench: the latency streamvisor's feed adds, measured against a direct
// libwebsockets client of the same exchange in the same run.
//
// Usage: feed_hop_bench DIRECT_PORT FEED_PORT SECONDS [SYMBOL [native]]
//   DIRECT_PORT: the firehose (bench/firehose.c in -L mode: "E" is the send time in
//                microseconds, CLOCK_REALTIME), read directly on /ws/<sym>@aggTrade;
//   FEED_PORT:   streamvisor's API port, read on /ws/<sym>@aggTrade (the same
//                firehose upstream), or with "native" on /v1/feed with a trades
//                subscription.
// Both connections are served by one lws context and thread, so each frame costs
// the same client work on either path; the difference of the two latency
// distributions (exchange send -> this process's receive) is the hop through
// streamvisor. Prints one line per path (count, p50, p90, p99, p99.9, max in µs)
// and the added p50 and p99. bench/feed_hop.py runs it with the firehose and
// streamvisor (docs/performance.md, "Feed").
#include <libwebsockets.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"

namespace {

using sv::bench::number_after;
using sv::bench::percentile;
using sv::bench::realtime_us;

/// One measured connection.
struct path_samples {
  const char* name = "";
  std::vector<std::int64_t> us; ///< receive time - E, µs
  std::uint64_t frames = 0;
  std::uint64_t last_id = 0;
  std::uint64_t out_of_order = 0; ///< ids not one above the last
  bool connected = false;
  std::string subscribe; ///< sent once connected (the native feed), if any
};

/// Everything the callback updates; the lws context's user data.
struct bench_state {
  std::array<path_samples, 2> paths;
  bool done = false;
  std::int64_t measure_from_us = 0; ///< samples before this are warm-up
  std::int64_t measure_until_us = 0;
};

int callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in,
             size_t len) {
  auto* p = static_cast<path_samples*>(lws_get_opaque_user_data(wsi));
  auto* st = static_cast<bench_state*>(lws_context_user(lws_get_context(wsi)));
  if (p == nullptr || st == nullptr)
    return 0;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      p->connected = true;
      if (!p->subscribe.empty())
        lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (p->subscribe.empty())
        return 0;
      std::vector<unsigned char> buf(LWS_PRE + p->subscribe.size());
      std::memcpy(&buf.at(LWS_PRE), p->subscribe.data(), p->subscribe.size());
      auto n = lws_write(wsi, &buf.at(LWS_PRE), p->subscribe.size(),
                         LWS_WRITE_TEXT);
      p->subscribe.clear();
      return n < 0 ? -1 : 0;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      auto now = realtime_us();
      std::string_view frame{static_cast<const char*>(in), len};
      auto e = number_after(frame, R"("E":)");
      auto a = number_after(frame, R"("a":)");
      if (e <= 0)
        return 0;
      ++p->frames;
      if (p->last_id != 0 && static_cast<std::uint64_t>(a) != p->last_id + 1)
        ++p->out_of_order;
      p->last_id = static_cast<std::uint64_t>(a);
      if (now >= st->measure_from_us && now < st->measure_until_us)
        p->us.push_back(now - e);
      // Frames of one path may come before the other has connected: the window
      // (and its end) is set only once both have.
      if (st->measure_until_us != 0 && now >= st->measure_until_us)
        st->done = true;
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      std::fprintf(stderr, "%s: connection error: %s\n", p->name,
                   in != nullptr ? static_cast<const char*>(in) : "");
      st->done = true;
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
      if (realtime_us() < st->measure_until_us || st->measure_until_us == 0)
        std::fprintf(stderr,
                     "%s: closed after %llu frames, before the window ended\n",
                     p->name, static_cast<unsigned long long>(p->frames));
      st->done = true;
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
    std::fprintf(stderr, "usage: feed_hop_bench DIRECT_PORT FEED_PORT SECONDS "
                         "[SYMBOL [native]]\n");
    return 2;
  }
  const std::array<int, 2> ports = {std::atoi(args[1].c_str()),
                                    std::atoi(args[2].c_str())};
  double seconds = std::atof(args[3].c_str());
  std::string symbol = args.size() > 4 ? args[4] : std::string{"btcusdt"};
  std::string path = "/ws/" + symbol + "@aggTrade";
  bool native = args.size() > 5 && args[5] == "native";
  std::string feed_path = native ? std::string{"/v1/feed"} : path;
  bench_state st;
  st.paths[0].name = "direct";
  st.paths[1].name = "streamvisor";
  if (native)
    st.paths[1].subscribe = R"({"op":"subscribe","channel":"trades","symbol":")"
                            + symbol + R"("})";
  lws_set_log_level(LLL_ERR, nullptr);
  static const std::array<lws_protocols, 2> protocols = {{
    {"bench", callback, 0, 1 << 16, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
  }};
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols.data();
  info.user = &st;
  auto* ctx = lws_create_context(&info);
  if (ctx == nullptr)
    return 1;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    lws_client_connect_info c{};
    c.context = ctx;
    c.address = "127.0.0.1";
    c.port = ports.at(i);
    c.path = i == 0 ? path.c_str() : feed_path.c_str();
    c.host = "127.0.0.1";
    c.origin = "127.0.0.1";
    c.local_protocol_name = "bench";
    c.opaque_user_data = &st.paths.at(i);
    if (lws_client_connect_via_info(&c) == nullptr) {
      std::fprintf(stderr, "%s: connect failed\n", st.paths.at(i).name);
      return 1;
    }
  }
  // One second of warm-up once both are connected, then the measured window.
  while (!st.done && !(st.paths[0].connected && st.paths[1].connected))
    lws_service(ctx, 0);
  st.measure_from_us = realtime_us() + 1'000'000;
  st.measure_until_us = st.measure_from_us
                        + static_cast<std::int64_t>(seconds * 1e6);
  while (!st.done)
    lws_service(ctx, 0);
  lws_context_destroy(ctx);
  std::array<std::int64_t, 2> p50{};
  std::array<std::int64_t, 2> p99{};
  for (std::size_t i = 0; i < st.paths.size(); ++i) {
    auto& p = st.paths.at(i);
    auto n = p.us.size();
    p50.at(i) = percentile(p.us, 0.50);
    auto p90 = percentile(p.us, 0.90);
    p99.at(i) = percentile(p.us, 0.99);
    auto p999 = percentile(p.us, 0.999);
    auto max = p.us.empty() ? -1 : *std::max_element(p.us.begin(), p.us.end());
    std::printf("%-12s samples=%zu frames=%llu out_of_order=%llu p50_us=%lld "
                "p90_us=%lld p99_us=%lld p999_us=%lld max_us=%lld\n",
                p.name, n, static_cast<unsigned long long>(p.frames),
                static_cast<unsigned long long>(p.out_of_order),
                static_cast<long long>(p50.at(i)), static_cast<long long>(p90),
                static_cast<long long>(p99.at(i)), static_cast<long long>(p999),
                static_cast<long long>(max));
  }
  bool measured = !st.paths[0].us.empty() && !st.paths[1].us.empty();
  if (!measured)
    std::fprintf(stderr, "feed_hop_bench: a path has no sample (see above)\n");
  std::printf("added        p50_us=%lld p99_us=%lld\n",
              static_cast<long long>(p50[1] - p50[0]),
              static_cast<long long>(p99[1] - p99[0]));
  return measured ? 0 : 1;
}
