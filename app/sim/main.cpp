// main: streamvisor-sim entry point (options, port announcement, signals, wiring).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <libwebsockets.h>

#include "actors/core/log.hpp"
#include "app/sim/exchange/replay_source.hpp"
#include "app/sim/exchange/sim_exchange.hpp"
#include "app/sim/sim_options.hpp"
#include "app/sim/sim_server.hpp"

namespace {

std::atomic<bool> stop_requested{false};
std::atomic<lws_context*> signal_ctx{nullptr};

extern "C" void on_stop_signal(int) {
  stop_requested.store(true);
  // lws_cancel_service only writes to the context's wake pipe.
  if (auto* ctx = signal_ctx.load())
    lws_cancel_service(ctx);
}

/// Writes `port` to `path` via a temporary file and rename(2), so a reader polling
/// the path sees either nothing or the whole number.
bool write_port_file(const std::string& path, int port) {
  auto tmp = path + ".tmp";
  auto* f = std::fopen(tmp.c_str(), "w");
  if (!f)
    return false;
  bool ok = std::fprintf(f, "%d\n", port) > 0;
  ok = std::fclose(f) == 0 && ok;
  return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = sv::parse_sim_options(args);
  if (!parsed.options) {
    std::fprintf(stderr, "streamvisor-sim: %s (see --help)\n",
                 parsed.error.c_str());
    return 2;
  }
  const auto& opts = *parsed.options;
  if (opts.help) {
    std::fputs(sv::sim_usage().c_str(), stdout);
    return 0;
  }
  // The options accepted the name, so it parses.
  sv::set_log_level(
    sv::parse_log_level(opts.log_level).value_or(sv::log_level::info));

  std::vector<std::string> replay;
  if (!opts.replay_file.empty()) {
    std::string error;
    auto lines = sv::load_replay(opts.replay_file, error);
    if (!lines) {
      SV_ERROR("sim", "-", "replay_failed", "reason=\"%s\"", error.c_str());
      return 1;
    }
    replay = std::move(*lines);
  }

  sv::market_limits limits;
  limits.seed = opts.seed;
  limits.first_id = opts.first_id;
  limits.count_max = opts.count;
  limits.history_max = opts.rest_history;
  limits.depth_changes = opts.depth_changes;
  sv::sim_exchange ex(limits);
  for (const auto& sym : opts.symbols)
    ex.get_or_create(sym);

  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  {
    sv::sim_server server(opts, ex, std::move(replay));
    if (!server.start())
      return 1;
    if (!opts.port_file.empty()
        && !write_port_file(opts.port_file, server.port())) {
      SV_ERROR("sim", "-", "port_file_failed", "path=%s",
               opts.port_file.c_str());
      return 1;
    }
    std::printf("listening port=%d tls=%d\n", server.port(),
                server.tls() ? 1 : 0);
    std::fflush(stdout);
    signal_ctx.store(server.context());
    server.run(stop_requested);
    // Block the signals before the context goes away so no handler can touch it.
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, nullptr);
    signal_ctx.store(nullptr);
  }
  SV_INFO("sim", "-", "stopped", "reason=signal");
  return 0;
}
