// main: streamvisor's process: settings, wiring of transport and actors, signals, shutdown.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/api_actor.hpp"
#include "actors/backfill_actor.hpp"
#include "actors/book_actor.hpp"
#include "actors/core/log.hpp"
#include "actors/supervisor_actor.hpp"
#include "messages/errc.hpp"
#include "app/settings/config.hpp"
#include "app/lock_file.hpp"
#include "app/scheduler_tuning.hpp"
#include "app/table_view.hpp"
#include "app/transport/lws_http_server.hpp"
#include "app/transport/lws_logging.hpp"
#include "app/transport/lws_client.hpp"

namespace {

/// Exit codes (docs/operations.md).
constexpr int exit_ok = 0;
constexpr int exit_runtime_error = 1;
constexpr int exit_bad_settings = 2;
constexpr int exit_escalated = 3;
constexpr int exit_second_signal = 130;

/// Wakes main: the first SIGINT/SIGTERM (from the signal thread), or the supervisor
/// quitting on its own (from the watcher actor), whichever comes first.
struct shutdown_signal {
  std::mutex mtx;
  std::condition_variable cv;
  int signo = 0;
  bool supervisor_down = false;
  bool escalated = false;

  void wait() {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait(guard, [this] { return signo != 0 || supervisor_down; });
  }

  void notify_supervisor_down(bool by_escalation) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      supervisor_down = true;
      escalated = by_escalation;
    }
    cv.notify_all();
  }
};

/// Watches the supervisor: it only quits on its own when it escalates.
caf::behavior supervisor_watcher(caf::event_based_actor* self,
                                 caf::actor supervisor, shutdown_signal* sig) {
  self->monitor(supervisor);
  self->set_down_handler([=](caf::down_msg& dm) {
    sig->notify_supervisor_down(dm.reason == sv::errc::escalated);
    self->quit();
  });
  return {[](sv::stop_atom) {}};
}

/// Blocks SIGINT/SIGTERM in every thread (call before any thread starts) and runs a
/// thread that turns the first into a graceful shutdown and the second into exit 130.
std::thread start_signal_thread(shutdown_signal& sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return std::thread{[&sig, set] {
    for (int count = 0;; ++count) {
      int signo = 0;
      if (sigwait(&set, &signo) != 0)
        continue;
      if (count == 0) {
        SV_INFO("streamvisor", "-", "signal",
                "signal=%s action=graceful_shutdown hint=\"send it again to exit "
                "at once\"",
                signo == SIGINT ? "SIGINT" : "SIGTERM");
        {
          std::lock_guard<std::mutex> guard{sig.mtx};
          sig.signo = signo;
        }
        sig.cv.notify_all();
        continue;
      }
      SV_WARN("streamvisor", "-", "signal",
              "signal=%s action=exit_now exit_code=%d",
              signo == SIGINT ? "SIGINT" : "SIGTERM", exit_second_signal);
      std::_Exit(exit_second_signal);
    }
  }};
}

std::string join(const std::vector<std::string>& xs) {
  std::string result;
  for (auto& x : xs)
    result += (result.empty() ? "" : ",") + x;
  return result;
}

} // namespace

int main(int argc, char** argv) {
  using namespace sv;
  auto loaded = load_settings(argc, argv);
  if (auto* err = std::get_if<config_error>(&loaded)) {
    std::fprintf(stderr, "%s\n", err->message.c_str());
    return exit_bad_settings;
  }
  auto& result = std::get<load_result>(loaded);
  if (result.show_help) {
    std::fputs(usage().c_str(), stdout);
    return exit_ok;
  }
  if (result.show_version) {
    std::printf("%s\n", version_text().c_str());
    return exit_ok;
  }
  const settings& cfg = result.values;
  // One process per lock file: two would share the IP's connection budget unknowingly.
  auto lock = lock_file::acquire(cfg.lock_file);
  if (auto* err = std::get_if<std::string>(&lock)) {
    std::fprintf(stderr, "%s\n", err->c_str());
    return exit_bad_settings;
  }
  // The config accepted the name, so it parses.
  set_log_level(parse_log_level(cfg.log_level).value_or(log_level::info));
  route_lws_logs(cfg.log_level == "debug");

  shutdown_signal sig;
  auto signal_thread = start_signal_thread(sig);
  signal_thread.detach(); // lives until exit; blocked in sigwait
  auto started = std::chrono::steady_clock::now();

  // Declared before the transports: they send into the system until they are stopped.
  caf::actor_system_config sys_cfg;
  apply_scheduler_defaults(sys_cfg);
  caf::actor_system sys{sys_cfg};

  lws_client_options ws_opts;
  ws_opts.ca_file = cfg.ca_file;
  ws_opts.insecure = cfg.insecure;
  // lws's own handshake timeout is a second line behind the supervisor's deadline.
  ws_opts.handshake_timeout_s = cfg.connect_timeout_ms / 1000 + 2;
  // lws pings after ping_interval_s without a valid pong and drops the connection
  // when none came pong_timeout_s later.
  ws_opts.ping_after_s = static_cast<std::uint16_t>(cfg.ping_interval_s);
  ws_opts.hangup_after_s
    = static_cast<std::uint16_t>(cfg.ping_interval_s + cfg.pong_timeout_s);
  std::unique_ptr<lws_client> ws;
  try {
    ws = std::make_unique<lws_client>(ws_opts);
  } catch (const std::exception& e) {
    SV_ERROR("streamvisor", "-", "transport_failed",
             "error=\"%s\" hint=\"check --ca-file\"", e.what());
    return exit_runtime_error;
  }

  // One backfill actor for the process: Binance budgets REST weight per IP.
  backfill_config bf_cfg;
  bf_cfg.tls = cfg.rest_endpoint.tls;
  bf_cfg.host = cfg.rest_endpoint.host;
  bf_cfg.port = cfg.rest_endpoint.port;
  bf_cfg.base_path = cfg.rest_endpoint.base_path;
  auto backfill = sys.spawn(backfill_actor, bf_cfg, static_cast<rest_client*>(ws.get()));

  std::map<std::string, aggregator_if> aggregators;
  std::map<std::string, stream_sinks> sinks;
  aggregator_limits limits;
  limits.trades_max = cfg.history_trades_max;
  limits.age_s = cfg.history_age_s;
  limits.windows_ms.clear();
  for (auto seconds : cfg.windows_s)
    limits.windows_ms.push_back(std::int64_t{seconds} * 1000);
  limits.large_trades_max = cfg.large_trades_max;
  limits.warmup_s = cfg.warmup_s;
  for (auto& symbol : cfg.symbols) {
    auto threshold = cfg.large_trade_quote_e8_by_symbol.find(symbol);
    limits.large_trade_quote_e8 = threshold != cfg.large_trade_quote_e8_by_symbol.end()
                                    ? threshold->second
                                    : cfg.large_trade_quote_e8;
    aggregators[symbol] = sys.spawn(aggregator_actor, symbol, limits,
                                    caf::actor_cast<backfill_sink_if>(backfill));
    sinks[symbol].trades = caf::actor_cast<trade_sink_if>(aggregators[symbol]);
  }
  // Order books: one book actor per symbol with a depth stream.
  std::map<std::string, book_if> books;
  book_config book_cfg;
  book_cfg.snapshot_limit = cfg.book_snapshot_limit;
  book_cfg.buffer_max = cfg.book_buffer_events;
  book_cfg.top_levels = cfg.book_top_levels;
  book_cfg.band_bps = cfg.book_band_bps;
  auto wants_book = [&cfg](const std::string& symbol) {
    return std::find(cfg.streams.begin(), cfg.streams.end(), "depth") != cfg.streams.end()
           && (cfg.book_symbols.empty()
               || std::find(cfg.book_symbols.begin(), cfg.book_symbols.end(), symbol)
                    != cfg.book_symbols.end());
  };
  std::vector<std::pair<std::string, std::string>> children;
  for (auto& symbol : cfg.symbols) {
    if (wants_book(symbol)) {
      books[symbol] = sys.spawn(book_actor, symbol, book_cfg,
                                caf::actor_cast<snapshot_source_if>(backfill));
      sinks[symbol].depth = caf::actor_cast<depth_sink_if>(books[symbol]);
    }
    for (auto& stream : cfg.streams)
      if (!is_depth_stream(stream) || wants_book(symbol))
        children.emplace_back(symbol, stream);
  }

  supervisor_config sup_cfg;
  sup_cfg.tls = cfg.stream_endpoint.tls;
  sup_cfg.host = cfg.stream_endpoint.host;
  sup_cfg.port = cfg.stream_endpoint.port;
  sup_cfg.base_path = cfg.stream_endpoint.base_path;
  sup_cfg.combined = cfg.combined;
  sup_cfg.connect_timeout_ms = cfg.connect_timeout_ms;
  sup_cfg.policy.backoff_initial_ms = cfg.backoff_initial_ms;
  sup_cfg.policy.backoff_max_ms = cfg.backoff_max_ms;
  sup_cfg.policy.stable_after_ms = std::int64_t{cfg.stable_after_s} * 1000;
  sup_cfg.policy.max_restarts = cfg.max_restarts;
  sup_cfg.policy.restart_window_ms = std::int64_t{cfg.restart_window_s} * 1000;
  sup_cfg.policy.park_ms = std::int64_t{cfg.park_s} * 1000;
  sup_cfg.escalate_fraction = cfg.escalate_fraction;
  sup_cfg.connect_budget = cfg.connect_budget;
  sup_cfg.connect_budget_window_s = cfg.connect_budget_window_s;
  sup_cfg.connect_burst = cfg.connect_burst;
  sup_cfg.silence_timeout_ms = cfg.silence_timeout_s * 1000;
  sup_cfg.max_connection_age_ms = std::int64_t{cfg.max_connection_age_s} * 1000;
  for (auto& [symbol, seconds] : cfg.silence_timeout_s_by_symbol)
    sup_cfg.silence_timeout_ms_by_symbol[symbol] = seconds * 1000;
  sup_cfg.shutdown_timeout_ms = cfg.shutdown_timeout_ms;
  SV_INFO("streamvisor", "-", "starting",
          "symbols=%s streams=%s endpoint=%s://%s:%u%s combined=%d "
          "connect_timeout_ms=%u config=%s",
          join(cfg.symbols).c_str(), join(cfg.streams).c_str(),
          sup_cfg.tls ? "wss" : "ws", sup_cfg.host.c_str(),
          static_cast<unsigned>(sup_cfg.port), sup_cfg.base_path.c_str(),
          cfg.combined ? 1 : 0, cfg.connect_timeout_ms,
          result.config_path.empty() ? "-" : result.config_path.c_str());
  auto supervisor = sys.spawn(supervisor_actor, sup_cfg,
                              static_cast<ws_client*>(ws.get()), sinks, children);

  lws_http_server_options http_opts;
  http_opts.host = cfg.http_host;
  http_opts.port = cfg.http_port;
  lws_http_server http{http_opts};
  api_config api_cfg;
  api_cfg.symbols = cfg.symbols;
  api_cfg.supervisor = supervisor;
  api_cfg.aggregators = aggregators;
  api_cfg.books = books;
  api_cfg.responder = &http;
  api_cfg.trades_limit_max = cfg.history_trades_max;
  auto api = sys.spawn(api_actor, api_cfg);
  int exit_code = exit_ok;
  if (!http.start(caf::actor_cast<caf::actor>(api))) {
    SV_ERROR("streamvisor", "-", "api_failed",
             "listen=%s:%u hint=\"is another process using the port? set --http\"",
             cfg.http_host.c_str(), static_cast<unsigned>(cfg.http_port));
    exit_code = exit_runtime_error;
  } else {
    SV_INFO("streamvisor", "-", "api_listening", "listen=%s:%u",
            cfg.http_host.c_str(), static_cast<unsigned>(http.port()));
  }
  caf::actor table;
  if (cfg.table)
    table = spawn_table_view(sys, supervisor, aggregators);
  auto watcher = sys.spawn(supervisor_watcher,
                           caf::actor_cast<caf::actor>(supervisor), &sig);

  if (exit_code == exit_ok)
    sig.wait();
  {
    std::lock_guard<std::mutex> guard{sig.mtx};
    if (sig.supervisor_down)
      exit_code = sig.escalated ? exit_escalated : exit_runtime_error;
  }
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  watcher = nullptr;

  // Graceful shutdown: children close their sockets (bounded by the supervisor's
  // shutdown deadline), then the API, the aggregators, and the transports.
  auto stop_started = std::chrono::steady_clock::now();
  if (!stop_supervisor(sys, supervisor, cfg.shutdown_timeout_ms))
    SV_ERROR("streamvisor", "-", "supervisor_stuck", "action=kill");
  http.stop();
  if (table)
    caf::anon_send_exit(table, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(api, caf::exit_reason::user_shutdown);
  for (auto& [symbol, agg] : aggregators)
    caf::anon_send_exit(agg, caf::exit_reason::user_shutdown);
  for (auto& [symbol, book] : books)
    caf::anon_send_exit(book, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(backfill, caf::exit_reason::user_shutdown);
  backfill = nullptr;
  table = nullptr;
  api = nullptr;
  supervisor = nullptr;
  aggregators.clear();
  books.clear();
  sinks.clear();
  api_cfg = api_config{};
  sys.await_all_actors_done();
  ws->stop();
  auto now = std::chrono::steady_clock::now();
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  SV_INFO("streamvisor", "-", "stopped",
          "exit_code=%d shutdown_ms=%lld uptime_s=%lld", exit_code,
          static_cast<long long>(
            duration_cast<milliseconds>(now - stop_started).count()),
          static_cast<long long>(
            duration_cast<std::chrono::seconds>(now - started).count()));
  return exit_code;
}
