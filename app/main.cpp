// main: streamvisor's process: settings, wiring of transport and actors, signals, shutdown.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/api_actor.hpp"
#include "actors/backfill_actor.hpp"
#include "actors/book_actor.hpp"
#include "actors/core/log.hpp"
#include "actors/pooled_ws_client.hpp"
#include "actors/registry_actor.hpp"
#include "actors/supervisor_actor.hpp"
#include "app/config_reload.hpp"
#include "app/fd_budget.hpp"
#include "app/journal_stream.hpp"
#include "app/lock_file.hpp"
#include "app/nofile_limit.hpp"
#include "app/proc_self_stats.hpp"
#include "app/publish/nats_publisher.hpp"
#include "app/scheduler_tuning.hpp"
#include "app/service_notifier.hpp"
#include "app/service_watchdog.hpp"
#include "app/settings/config.hpp"
#include "app/signals.hpp"
#include "app/table_view.hpp"
#include "app/transport/lws_client.hpp"
#include "app/transport/lws_counter_source.hpp"
#include "app/transport/lws_http_server.hpp"
#include "app/transport/lws_logging.hpp"
#include "app/wiring.hpp"
#include "messages/errc.hpp"

namespace {

/// Exit codes (docs/operations.md).
constexpr int exit_ok = 0;
constexpr int exit_runtime_error = 1;
constexpr int exit_bad_settings = 2;
constexpr int exit_escalated = 3;
constexpr int exit_second_signal = 130;

/// Wakes main: the first SIGINT/SIGTERM/SIGQUIT (from the signal thread), or the supervisor
/// quitting on its own (from the watcher actor), whichever comes first.
struct shutdown_signal {
  std::mutex mtx;
  std::condition_variable cv;
  int signo = 0;
  bool supervisor_down = false;
  bool escalated = false;
  bool reload_requested = false; ///< SIGHUP came and is not handled yet

  /// Waits for a shutdown signal, the supervisor's end or a SIGHUP; true for
  /// a SIGHUP (cleared: the caller reloads and waits again).
  bool wait() {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait(guard, [this] {
      return signo != 0 || supervisor_down || reload_requested;
    });
    bool reload = reload_requested && signo == 0 && !supervisor_down;
    reload_requested = false;
    return reload;
  }

  void notify_reload() {
    {
      std::lock_guard<std::mutex> guard{mtx};
      reload_requested = true;
    }
    cv.notify_all();
  }

  void notify_signal(int signo_taken) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      signo = signo_taken;
    }
    cv.notify_all();
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

std::string join(const std::vector<std::string>& xs) {
  std::string result;
  for (auto& x : xs)
    result += (result.empty() ? "" : ",") + x;
  return result;
}

/// What --help, --version or a settings error end with; nullopt: run the daemon.
std::optional<int>
early_exit(const std::variant<sv::load_result, sv::config_error>& loaded) {
  if (auto* err = std::get_if<sv::config_error>(&loaded)) {
    std::fprintf(stderr, "%s\n", err->message.c_str());
    return exit_bad_settings;
  }
  auto& result = std::get<sv::load_result>(loaded);
  if (result.show_help) {
    std::fputs(sv::usage().c_str(), stdout);
    return exit_ok;
  }
  if (result.show_version) {
    std::printf("%s\n", sv::version_text().c_str());
    return exit_ok;
  }
  return std::nullopt;
}

/// Starts the libwebsockets transport (its service thread) with tables sized for the
/// descriptors `budget` reserves for it; null after logging why it failed.
std::unique_ptr<sv::lws_client> start_transport(const sv::settings& cfg,
                                                const sv::fd_budget& budget) {
  auto options = sv::transport_options_for(cfg);
  options.fd_limit = static_cast<unsigned>(budget.reserved);
  try {
    return std::make_unique<sv::lws_client>(options);
  } catch (const std::exception& e) {
    SV_ERROR("streamvisor", "-", "transport_failed",
             "error=\"%s\" hint=\"check --ca-file\"", e.what());
    return nullptr;
  }
}

/// Raises the soft descriptor limit to the hard one and shares it out (one INFO
/// line with the figures; a WARN when the API gets less than configured or nothing).
sv::fd_budget plan_descriptors(const sv::settings& cfg) {
  auto limits = sv::raise_nofile_limit();
  auto budget = sv::plan_api_budget(cfg, limits.soft);
  SV_INFO("streamvisor", "-", "descriptors",
          "soft_before=%llu soft=%llu hard=%llu reserved=%llu "
          "api_clients_max=%u",
          static_cast<unsigned long long>(limits.soft_before),
          static_cast<unsigned long long>(limits.soft),
          static_cast<unsigned long long>(limits.hard),
          static_cast<unsigned long long>(budget.reserved),
          budget.api_clients_max);
  if (budget.lowered || budget.api_clients_max == 0)
    SV_WARN("streamvisor", "-", "descriptors_short",
            "api_clients_max=%u configured=%u limit=%llu reserved=%llu "
            "hint=\"raise the hard descriptor limit (LimitNOFILE=, ulimit "
            "-Hn) or stream fewer symbols\"",
            budget.api_clients_max, cfg.api_clients_max,
            static_cast<unsigned long long>(budget.limit),
            static_cast<unsigned long long>(budget.reserved));
  return budget;
}

/// The actors main starts, kept to stop them in order.
struct process_actors {
  sv::backfill_if backfill; ///< one per process (REST budget per IP)
  std::map<std::string, sv::aggregator_if> aggregators; ///< by symbol
  std::map<std::string, sv::book_if>
    books;                      ///< by symbol, those with a depth stream
  sv::supervisor_if supervisor; ///< owns the connection actors
  sv::socket_pool_if pool;      ///< shared sockets (streams_per_connection > 1)
  sv::registry_if registry; ///< runtime symbol control (PUT/DELETE /symbols)
  sv::feed_if feed;         ///< the WebSocket feed's clients
  sv::api_if api;           ///< answers the HTTP server
  caf::actor table;         ///< --table only
  sv::service_watchdog_if watchdog; ///< under systemd (NOTIFY_SOCKET) only
};

/// One aggregator per symbol, each with its limits; the backfill actor fills gaps,
/// the feed actor gets the trades released.
void spawn_aggregators(caf::actor_system& sys, const sv::settings& cfg,
                       process_actors& actors) {
  for (auto& symbol : cfg.symbols) {
    auto limits = sv::aggregator_limits_for(cfg, symbol);
    limits.feed = caf::actor_cast<sv::trade_release_sink_if>(actors.feed);
    actors.aggregators[symbol]
      = sys.spawn(sv::aggregator_actor, symbol, limits,
                  caf::actor_cast<sv::backfill_sink_if>(actors.backfill));
  }
}

/// One book actor per symbol with a depth stream; the backfill actor fetches snapshots.
void spawn_books(caf::actor_system& sys, const sv::settings& cfg,
                 process_actors& actors) {
  auto book_cfg = sv::book_config_for(cfg);
  book_cfg.feed = caf::actor_cast<sv::depth_release_sink_if>(actors.feed);
  for (auto& symbol : sv::book_symbols_of(cfg))
    actors.books[symbol]
      = sys.spawn(sv::book_actor, symbol, book_cfg,
                  caf::actor_cast<sv::snapshot_source_if>(actors.backfill));
}

/// Where each symbol's streams go: trades to its aggregator, depth to its book.
std::map<std::string, sv::stream_sinks> sinks_of(const process_actors& actors) {
  std::map<std::string, sv::stream_sinks> sinks;
  for (auto& [symbol, agg] : actors.aggregators)
    sinks[symbol].trades = caf::actor_cast<sv::trade_sink_if>(agg);
  for (auto& [symbol, book] : actors.books)
    sinks[symbol].depth = caf::actor_cast<sv::depth_sink_if>(book);
  return sinks;
}

void log_starting(const sv::settings& cfg, const std::string& config_path) {
  const auto& ep = cfg.stream_endpoint;
  SV_INFO("streamvisor", "-", "starting",
          "symbols=%s streams=%s endpoint=%s://%s:%u%s combined=%d "
          "connect_timeout_ms=%u config=%s",
          join(cfg.symbols).c_str(), sv::join_streams(cfg.streams).c_str(),
          ep.tls ? "wss" : "ws", ep.host.c_str(),
          static_cast<unsigned>(ep.port), ep.base_path.c_str(),
          cfg.combined ? 1 : 0, cfg.connect_timeout_ms,
          config_path.empty() ? "-" : config_path.c_str());
}

/// The api actor: answers `http`'s requests from the supervisor, aggregators and books.
sv::api_if spawn_api(caf::actor_system& sys, const sv::settings& cfg,
                     const process_actors& actors, sv::lws_http_server& http,
                     const sv::transport_counter_source& counters,
                     const sv::process_stats_source& process,
                     const sv::market_publisher* publisher,
                     sv::shard_membership* shard) {
  auto api_cfg = sv::api_config_for(cfg);
  api_cfg.supervisor = actors.supervisor;
  api_cfg.aggregators = actors.aggregators;
  api_cfg.books = actors.books;
  api_cfg.pool = actors.pool;
  api_cfg.responder = &http;
  api_cfg.transport = &counters;
  api_cfg.backfill = actors.backfill;
  api_cfg.process = &process;
  api_cfg.registry = actors.registry;
  api_cfg.feed = actors.feed;
  api_cfg.publisher = publisher;
  api_cfg.shard = shard;
  auto api = sys.spawn(sv::api_actor, std::move(api_cfg));
  caf::anon_send(actors.registry, sv::listen_atom::value,
                 caf::actor_cast<sv::table_listener_if>(api));
  return api;
}

/// Starts the HTTP server in front of the api actor; exit_ok, or exit_runtime_error
/// after logging why it cannot listen.
int start_http(sv::lws_http_server& http, const sv::settings& cfg,
               const sv::api_if& api, const sv::feed_if& feed) {
  if (!http.start(caf::actor_cast<caf::actor>(api),
                  caf::actor_cast<caf::actor>(feed))) {
    SV_ERROR(
      "streamvisor", "-", "api_failed",
      "listen=%s:%u hint=\"is another process using the port? set --http\"",
      cfg.http_host.c_str(), static_cast<unsigned>(cfg.http_port));
    return exit_runtime_error;
  }
  SV_INFO("streamvisor", "-", "api_listening", "listen=%s:%u",
          cfg.http_host.c_str(), static_cast<unsigned>(http.port()));
  return exit_ok;
}

/// Under systemd (`notifier` enabled): READY=1 with the first STATUS= once the
/// supervisor answers (it has started every configured child: each is connecting
/// or waiting for the connect budget), then the watchdog actor, which pings
/// only while the supervisor and every aggregator answer.
void announce_ready(caf::actor_system& sys, process_actors& actors,
                    sv::service_notifier& notifier) {
  if (!notifier.enabled())
    return;
  caf::scoped_actor self{sys};
  std::string status;
  self
    ->request(actors.supervisor, std::chrono::seconds(10),
              sv::status_atom::value)
    .receive(
      [&](std::vector<sv::child_status>& children) {
        status = sv::service_status_line(children);
      },
      [&](caf::error&) { status = "supervisor did not answer"; });
  notifier.notify("READY=1\nSTATUS=" + status);
  sv::service_watchdog_config w;
  w.supervisor = actors.supervisor;
  for (const auto& [symbol, agg] : actors.aggregators)
    w.aggregators.push_back(agg);
  w.sink = &notifier;
  w.status_sent = status;
  // NOLINTBEGIN(concurrency-mt-unsafe): nothing here sets the environment.
  auto ping = sv::watchdog_ping_interval(std::getenv("WATCHDOG_USEC"),
                                         std::getenv("WATCHDOG_PID"),
                                         static_cast<long>(::getpid()));
  // NOLINTEND(concurrency-mt-unsafe)
  if (ping.count() > 0) {
    w.watchdog = true;
    w.tick
      = std::max(std::chrono::milliseconds{1},
                 std::chrono::duration_cast<std::chrono::milliseconds>(ping));
    w.answer_timeout = std::max(std::chrono::milliseconds{1}, w.tick * 3 / 4);
  }
  SV_INFO("streamvisor", "-", "systemd_ready", "watchdog_ping_ms=%lld",
          static_cast<long long>(w.watchdog ? w.tick.count() : 0));
  actors.watchdog = sys.spawn(sv::service_watchdog, std::move(w));
  // Symbols added at runtime are pinged too: the registry tells it the table.
  caf::anon_send(actors.registry, sv::listen_atom::value,
                 caf::actor_cast<sv::table_listener_if>(actors.watchdog));
}

/// Waits for the first signal or the supervisor quitting on its own (unless the start
/// already failed with `exit_code`); returns the exit code the process ends with.
int wait_for_shutdown(caf::actor_system& sys,
                      const sv::supervisor_if& supervisor, shutdown_signal& sig,
                      int exit_code, sv::reload_target& reload) {
  auto watcher = sys.spawn(supervisor_watcher,
                           caf::actor_cast<caf::actor>(supervisor), &sig);
  if (exit_code == exit_ok)
    while (sig.wait())
      sv::reload_config(reload);
  {
    std::lock_guard<std::mutex> guard{sig.mtx};
    if (sig.supervisor_down)
      exit_code = sig.escalated ? exit_escalated : exit_runtime_error;
  }
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  return exit_code;
}

/// Graceful shutdown: children close their sockets (bounded by the supervisor's
/// shutdown deadline), then the API, the aggregators, and the transports.
void stop_in_order(caf::actor_system& sys, process_actors& actors,
                   sv::lws_http_server& http, sv::lws_client& ws,
                   std::uint32_t shutdown_timeout_ms) {
  if (actors.watchdog)
    caf::anon_send_exit(actors.watchdog, caf::exit_reason::user_shutdown);
  if (!sv::stop_supervisor(sys, actors.supervisor, shutdown_timeout_ms))
    SV_ERROR("streamvisor", "-", "supervisor_stuck", "action=kill");
  // After the connection actors: it closes the sockets they no longer use.
  if (actors.pool)
    caf::anon_send_exit(actors.pool, caf::exit_reason::user_shutdown);
  http.stop();
  if (actors.table)
    caf::anon_send_exit(actors.table, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(actors.api, caf::exit_reason::user_shutdown);
  // After http.stop(): its writes are ignored from then on.
  caf::anon_send_exit(actors.feed, caf::exit_reason::user_shutdown);
  // Its runtime-added aggregators and books are linked to it and end with it.
  caf::anon_send_exit(actors.registry, caf::exit_reason::user_shutdown);
  for (auto& [symbol, agg] : actors.aggregators)
    caf::anon_send_exit(agg, caf::exit_reason::user_shutdown);
  for (auto& [symbol, book] : actors.books)
    caf::anon_send_exit(book, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(actors.backfill, caf::exit_reason::user_shutdown);
  actors = process_actors{};
  sys.await_all_actors_done();
  ws.stop();
}

/// The last log line: exit code, how long the shutdown and the whole run took.
void log_stopped(int exit_code, std::chrono::steady_clock::time_point started,
                 std::chrono::steady_clock::time_point stop_started) {
  using std::chrono::duration_cast;
  auto now = std::chrono::steady_clock::now();
  SV_INFO(
    "streamvisor", "-", "stopped",
    "exit_code=%d shutdown_ms=%lld uptime_s=%lld", exit_code,
    static_cast<long long>(
      duration_cast<std::chrono::milliseconds>(now - stop_started).count()),
    static_cast<long long>(
      duration_cast<std::chrono::seconds>(now - started).count()));
}

} // namespace

int main(int argc, char** argv) {
  using namespace sv;
  using clock = std::chrono::steady_clock;
  // First: from here on no signal can end the process by its default action.
  take_process_signals();
  shutdown_signal sig;
  start_signal_thread([&sig](int signo) { sig.notify_signal(signo); },
                      [&sig] { sig.notify_reload(); }, exit_second_signal)
    .detach(); // lives until exit; blocked in sigwait
  auto loaded = load_settings(argc, argv);
  if (auto code = early_exit(loaded))
    return *code;
  const auto& result = std::get<load_result>(loaded);
  const settings& configured = result.values;
  // With a shard group the process starts with no symbol: the group's member
  // starts those whose leases it takes (docs/scale-out.md, "Sharding").
  settings started_with = configured;
  if (!configured.shard_group.empty())
    started_with.symbols.clear();
  const settings& cfg = started_with;
  // One process per lock file: two would share the IP's connection budget unknowingly.
  auto lock = lock_file::acquire(cfg.lock_file);
  if (auto* err = std::get_if<std::string>(&lock)) {
    std::fprintf(stderr, "%s\n", err->c_str());
    return exit_bad_settings;
  }
  // The config accepted the name, so it parses.
  set_log_level(parse_log_level(cfg.log_level).value_or(log_level::info));
  // Under systemd the journal takes each line's priority from its prefix.
  set_log_priority_prefix(stderr_is_journal());
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing here sets the environment.
  service_notifier notifier{std::getenv("NOTIFY_SOCKET")};
  route_lws_logs(cfg.log_level == "debug");
  // Before any lws context: lws sizes its tables from the limit.
  // Sized for every configured symbol: a shard member may hold them all.
  auto budget = plan_descriptors(configured);

  auto started = clock::now();

  // Declared before the transports: they send into the system until they are stopped.
  caf::actor_system_config sys_cfg;
  apply_scheduler_defaults(sys_cfg);
  caf::actor_system sys{sys_cfg};
  auto ws = start_transport(cfg, budget);
  if (!ws)
    return exit_runtime_error;

  process_actors actors;
  actors.backfill = sys.spawn(backfill_actor, backfill_config_for(cfg),
                              static_cast<rest_client*>(ws.get()));
  lws_http_server http{http_options_for(cfg, budget)};
  auto feed_cfg = feed_config_for(cfg);
  feed_cfg.writer = &http;
  // Outlives the feed actor, its only caller (stop_in_order, then stop below).
  std::unique_ptr<nats_publisher> nats;
  if (!cfg.nats_url.empty()) {
    nats = std::make_unique<nats_publisher>(nats_publisher_config_for(cfg));
    nats->start();
    feed_cfg.publisher = nats.get();
  }
  actors.feed = sys.spawn(feed_actor, std::move(feed_cfg));
  spawn_aggregators(sys, cfg, actors);
  spawn_books(sys, cfg, actors);
  log_starting(configured, result.config_path);
  // With shared sockets the connection actors reach the transport through the
  // pool; declared here so it outlives every connection actor (stop_in_order).
  ws_client* streams = ws.get();
  std::unique_ptr<pooled_ws_client> pooled;
  if (cfg.streams_per_connection > 1) {
    actors.pool = sys.spawn(socket_pool_actor, socket_pool_config_for(cfg),
                            static_cast<ws_client*>(ws.get()));
    pooled = std::make_unique<pooled_ws_client>(actors.pool);
    streams = pooled.get();
  }
  actors.supervisor = sys.spawn(supervisor_actor, supervisor_config_for(cfg),
                                streams, sinks_of(actors),
                                stream_children(cfg));
  caf::anon_send(actors.feed, actors.supervisor); // the heartbeats' source
  lws_counter_source counters{*ws, http};
  auto registry_cfg = registry_config_for(
    cfg, actors.supervisor, actors.backfill, actors.aggregators, actors.books);
  registry_cfg.limits.feed
    = caf::actor_cast<trade_release_sink_if>(actors.feed);
  registry_cfg.book.feed = caf::actor_cast<depth_release_sink_if>(actors.feed);
  registry_cfg.listeners.push_back(
    caf::actor_cast<table_listener_if>(actors.feed));
  // The registry publishes changes; the feed starts from the configured table.
  caf::anon_send(actors.feed, registry_cfg.table);
  actors.registry = sys.spawn(registry_actor, std::move(registry_cfg));
  std::unique_ptr<nats_shard_member> shard;
  if (!configured.shard_group.empty())
    shard = std::make_unique<nats_shard_member>(
      shard_member_config_for(configured),
      shard_member_actors{&sys, actors.registry, actors.supervisor});
  proc_self_stats process;
  actors.api = spawn_api(sys, cfg, actors, http, counters, process, nats.get(),
                         shard.get());
  if (shard)
    shard->start();
  int exit_code = start_http(http, cfg, actors.api, actors.feed);
  if (cfg.table)
    actors.table = spawn_table_view(sys, actors.supervisor, actors.aggregators);
  if (exit_code == exit_ok)
    announce_ready(sys, actors, notifier);

  settings running = configured;
  reload_target reload;
  reload.argc = argc;
  reload.argv = argv;
  reload.running = &running;
  reload.sys = &sys;
  reload.registry = actors.registry;
  reload.supervisor = actors.supervisor;
  reload.notifier = &notifier;
  if (shard)
    reload.regroup = [&shard](symbol_plan plan) {
      shard->set_plan(std::move(plan));
    };
  exit_code = wait_for_shutdown(sys, actors.supervisor, sig, exit_code, reload);
  notifier.notify("STOPPING=1\nSTATUS=stopping");
  auto stop_started = clock::now();
  // First: it asks the registry and supervisor, and its leases go to the
  // group's other members at their next round instead of after the TTL.
  if (shard)
    shard->stop();
  stop_in_order(sys, actors, http, *ws, cfg.shutdown_timeout_ms);
  // Every trade the aggregators released is queued by now: the publisher gets
  // the shutdown grace period to have them acked.
  if (nats)
    nats->stop(std::chrono::milliseconds{cfg.shutdown_timeout_ms});
  flush_lws_log_summaries();
  log_stopped(exit_code, started, stop_started);
  return exit_code;
}
