// pipeline_bench: msgs/s, CPU, RSS and latency of the real pipeline (lws thread -> connection actor -> aggregator).
//
// Wires the daemon's own pieces with app/wiring.hpp, as app/main.cpp does (lws_client, one
// aggregator, one supervisor with one child, the real CAF scheduler), points them at
// a loopback feed (../shared/bench/firehose or streamvisor-sim), waits until the
// aggregator has applied --count trades and prints ONE line of key=value results on
// stdout. Method and figures: docs/performance.md.
//
// Measurement window: from the first poll that sees trades > 0 (t0, count c0) to the
// first poll that sees trades >= --count (t1, count c1); msgs = c1 - c0. The
// aggregator is polled from the main thread (never a CAF worker) with a scoped_actor
// request every --poll-ms (2 ms), so both ends are known to within one poll. CPU is
// getrusage(RUSAGE_SELF) user+sys over the same window; per-thread CPU comes from
// /proc/self/task/<tid>/stat and is attributed to "lws" (the transport's service
// thread), "caf" (threads the actor system started: workers, clock) or "other".
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <dirent.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"
#include "actors/supervisor_actor.hpp"
#include "app/command_line.hpp"
#include "app/scheduler_tuning.hpp"
#include "app/settings/config.hpp"
#include "app/settings/settings.hpp"
#include "app/transport/lws_client.hpp"
#include "app/transport/lws_logging.hpp"
#include "app/wiring.hpp"
#include "bench/bench_util.hpp"

namespace {

/// Exit codes: 0 = count reached, 1 = count not reached (timeout, feed closed,
/// transport failure), 2 = bad command line.
constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

/// A closed feed must not be reconnected during a run: one hour (3600 * 1000 ms)
/// is far beyond any --timeout-s.
constexpr std::uint32_t restart_delay_ms_never = 3600U * 1000U;

/// After the child is seen in backoff (the feed closed), trades already read may
/// still be in the aggregator's mailbox: give them this long before failing.
constexpr auto closed_grace = std::chrono::milliseconds(500);

/// Bound of every request to an actor from the main thread.
constexpr auto request_timeout = std::chrono::seconds(5);

/// Command line.
struct bench_options {
  std::string endpoint = "ws://127.0.0.1:9443"; ///< --endpoint
  std::string symbol = "BTCUSDT";               ///< --symbol (upper-cased)
  std::string source = "feed";      ///< --source: label printed as source=
  std::string ca_file;              ///< --ca-file: extra CA for a wss:// feed
  std::uint64_t count = 1000000;    ///< --count: trades to wait for
  bool combined = false;            ///< --combined: /stream?streams=
  double timeout_s = 60;            ///< --timeout-s: from start to count
  bool latency = false;             ///< --latency: print lat_* keys
  std::size_t caf_threads = 0;      ///< --caf-threads: 0 = CAF default
  std::string caf_policy;           ///< --caf-policy stealing|sharing
  std::size_t batch_frames_max = 0; ///< --batch-frames: 0 = transport default
  std::uint32_t delivery_interval_ms = 0; ///< --delivery-interval-ms
  unsigned poll_ms = 2;                   ///< --poll-ms
  /// --caf KEY=VALUE (repeatable): any CAF setting, e.g.
  /// work-stealing.moderate-sleep-duration=0us; parsed by caf::config_value::parse.
  std::vector<std::pair<std::string, std::string>> caf_settings;
  bool help = false; ///< --help or -h: print the usage, exit 0
};

using problem = std::optional<std::string>;

problem set_symbol(bench_options& o, const std::string& v) {
  if (v.empty())
    return sv::cli_refused();
  o.symbol = sv::upper_symbol(v);
  return {};
}

problem set_caf_policy(bench_options& o, const std::string& v) {
  if (v != "stealing" && v != "sharing")
    return sv::cli_refused();
  o.caf_policy = v;
  return {};
}

problem set_caf(bench_options& o, const std::string& v) {
  auto eq = v.find('=');
  if (eq == std::string::npos || eq == 0)
    return sv::cli_refused();
  o.caf_settings.emplace_back(v.substr(0, eq), v.substr(eq + 1));
  return {};
}

/// Every option: name, value, setter, what it needs, the usage text (lines after the
/// first start at column 22). --help and -h win over any later mistake.
const std::array bench_option_table = {
  sv::cli_value_option(
    "--endpoint", "URL", sv::cli_set_text<&bench_options::endpoint>,
    "missing value", "feed base URL (ws:// only is meaningful here)"),
  sv::cli_value_option("--symbol", "S", set_symbol, "missing value",
                       "symbol to stream (default BTCUSDT)"),
  sv::cli_value_option(
    "--count", "N",
    sv::cli_set_integer<&bench_options::count, ~std::uint64_t{0}>,
    "expected a positive integer", "trades to wait for (default 1000000)"),
  sv::cli_flag_option("--combined", sv::cli_set_flag<&bench_options::combined>,
                      "use /stream?streams=<s>@aggTrade"),
  sv::cli_value_option("--timeout-s", "S",
                       sv::cli_set_integer<&bench_options::timeout_s, 86400>,
                       "expected an integer in 1..86400",
                       "give up after S seconds (default 60), exit 1"),
  sv::cli_flag_option("--latency", sv::cli_set_flag<&bench_options::latency>,
                      "also print the aggregator's latency percentiles"),
  sv::cli_value_option(
    "--caf-threads", "N",
    sv::cli_set_integer<&bench_options::caf_threads, 256, true>,
    "expected an integer in 0..256",
    "scheduler.max-threads (default: the daemon's, cores - 1)"),
  sv::cli_value_option("--caf-policy", "P", set_caf_policy,
                       "expected stealing or sharing",
                       "scheduler.policy: stealing (default) or sharing"),
  sv::cli_value_option("--caf", "KEY=VALUE", set_caf, "expected KEY=VALUE",
                       "any CAF setting, repeatable (e.g.\n"
                       "work-stealing.moderate-sleep-duration=0us)"),
  sv::cli_value_option(
    "--batch-frames", "N",
    sv::cli_set_integer<&bench_options::batch_frames_max, 1000000>,
    "expected an integer in 1..1000000",
    "transport batch_frames_max (default 4096)"),
  sv::cli_value_option(
    "--delivery-interval-ms", "N",
    sv::cli_set_integer<&bench_options::delivery_interval_ms, 1000, true>,
    "expected an integer in 0..1000",
    "transport delivery_interval_ms (default 0)"),
  sv::cli_value_option(
    "--source", "NAME", sv::cli_set_text<&bench_options::source>,
    "missing value", "label printed as source=NAME (default feed)"),
  sv::cli_value_option(
    "--ca-file", "PEM", sv::cli_set_text<&bench_options::ca_file>,
    "missing value", "trust this CA too (a wss:// simulator's certificate)"),
  sv::cli_value_option(
    "--poll-ms", "N", sv::cli_set_integer<&bench_options::poll_ms, 1000>,
    "expected an integer in 1..1000", "aggregator poll period (default 2)"),
  // Not listed in the usage; like every flag here it ignores a value (--help=1).
  sv::cli_flag_option("--help", sv::cli_set_flag<&bench_options::help>, "",
                      "-h", true),
};

std::string usage_text() {
  return "usage: pipeline_bench --endpoint ws://127.0.0.1:PORT [options]\n"
         + sv::command_line_usage(bench_option_table, 22)
         + "Prints one line: bench=pipeline source=.. msgs=.. seconds=.. "
           "msgs_per_s=.. ...\n"
           "Exit: 0 count reached, 1 not reached (message on stderr), 2 bad "
           "usage.\n";
}

/// Parses the command line into `out`; on error returns a one-line message, "help" for
/// --help.
std::string parse_options(int argc, char** argv, bench_options& out) {
  // argv is the C array main() received.
  std::vector<std::string> args(argv + 1,
                                argv + argc); // NOLINT(*-pointer-arithmetic)
  if (auto failure = sv::parse_command_line(bench_option_table, args, out,
                                            sv::cli_flag_value::ignored)) {
    if (failure->unknown)
      return "unknown option " + failure->option;
    return failure->option + ": " + failure->detail;
  }
  return out.help ? "help" : "";
}

// -- process and thread accounting -------------------------------------------

using steady = std::chrono::steady_clock;

/// User + system CPU seconds of the whole process so far.
double process_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& x) {
    return static_cast<double>(x.tv_sec)
           + static_cast<double>(x.tv_usec) * 1e-6;
  };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

using sv::bench::peak_rss_mib;

/// Thread ids of this process now.
std::set<long> thread_ids() {
  std::set<long> result;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.')
        result.insert(std::strtol(entry->d_name, nullptr, 10));
    }
    closedir(dir);
  }
  return result;
}

/// User + system CPU seconds of one thread (clock-tick resolution), -1 if gone.
double thread_cpu_s(long tid) {
  std::ifstream in{"/proc/self/task/" + std::to_string(tid) + "/stat"};
  std::string line;
  if (!std::getline(in, line))
    return -1;
  // The comm field may contain spaces: fields restart after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return -1;
  std::istringstream rest{line.substr(close + 2)};
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // Fields 3..13 precede utime (14) and stime (15).
  for (int k = 3; k <= 13 && (rest >> field); ++k) {
  }
  rest >> utime >> stime;
  auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return static_cast<double>(utime + stime) / ticks;
}

/// Which part of the program started a thread.
struct thread_groups {
  std::set<long> caf; ///< started while the actor system was built
  std::set<long> lws; ///< started while the ws client was built
};

/// CPU seconds per group ("caf", "lws", "other") at one instant.
std::map<std::string, double> cpu_by_group(const thread_groups& groups) {
  std::map<std::string, double> result{{"caf", 0}, {"lws", 0}, {"other", 0}};
  for (auto tid : thread_ids()) {
    auto s = thread_cpu_s(tid);
    if (s < 0)
      continue;
    if (groups.caf.count(tid) != 0)
      result["caf"] += s;
    else if (groups.lws.count(tid) != 0)
      result["lws"] += s;
    else
      result["other"] += s;
  }
  return result;
}

/// The busiest single CAF thread's CPU seconds at one instant, per thread id.
std::map<long, double> cpu_by_thread(const std::set<long>& tids) {
  std::map<long, double> result;
  for (auto tid : tids)
    result[tid] = thread_cpu_s(tid);
  return result;
}

/// One observation of the pipeline from the main thread.
struct sample {
  steady::time_point at;                ///< when the metrics reply arrived
  std::uint64_t trades = 0;             ///< aggregator's applied trades
  double cpu_s = 0;                     ///< process CPU
  std::map<std::string, double> groups; ///< CPU per thread group
  std::map<long, double> caf_threads;   ///< CPU per CAF thread
  sv::lws_client_stats ws;              ///< transport counters
};

std::string endpoint_text(const sv::endpoint& ep) {
  return std::string{ep.tls ? "wss" : "ws"} + "://" + ep.host + ":"
         + std::to_string(ep.port) + ep.base_path;
}

/// The daemon's scheduler defaults, then the --caf-threads, --caf-policy and --caf
/// options; false after printing which --caf value CAF cannot parse.
bool configure_caf(const bench_options& opt,
                   caf::actor_system_config& sys_cfg) {
  sv::apply_scheduler_defaults(
    sys_cfg); // what the daemon runs with; options override
  if (opt.caf_threads > 0)
    sys_cfg.set("scheduler.max-threads", opt.caf_threads);
  if (opt.caf_policy == "sharing")
    sys_cfg.set("scheduler.policy", caf::atom("sharing"));
  else if (opt.caf_policy == "stealing")
    sys_cfg.set("scheduler.policy", caf::atom("stealing"));
  for (const auto& [key, text] : opt.caf_settings) {
    auto value = caf::config_value::parse(text);
    if (!value) {
      std::fprintf(stderr,
                   "pipeline_bench: --caf %s=%s: not a CAF config value\n",
                   key.c_str(), text.c_str());
      return false;
    }
    sys_cfg.set(key, std::move(*value));
  }
  return true;
}

/// The daemon's settings for one symbol on the bench's endpoint, for app/wiring.hpp. The
/// aggregator has no backfill here: no warm start, and no large-trade detection.
sv::settings settings_for(const bench_options& opt, const sv::endpoint& ep) {
  sv::settings cfg;
  cfg.symbols = {opt.symbol};
  cfg.streams = {sv::stream_kind::agg_trade};
  cfg.stream_endpoint = ep;
  cfg.combined = opt.combined;
  cfg.warmup_s = 0;
  cfg.large_trade_quote_e8 = 0;
  cfg.max_connection_age_s = 0; // never rotate during a run
  return cfg;
}

/// The daemon's supervisor config, except that a feed that closes after its N frames
/// is not reconnected during the run.
sv::supervisor_config bench_supervisor_config(const sv::settings& cfg) {
  auto sup_cfg = sv::supervisor_config_for(cfg);
  sup_cfg.policy.jitter = false;
  sup_cfg.policy.backoff_initial_ms = restart_delay_ms_never;
  sup_cfg.policy.backoff_max_ms = restart_delay_ms_never;
  sup_cfg.silence_timeout_ms = restart_delay_ms_never;
  return sup_cfg;
}

/// What one run measured.
struct run_result {
  int exit_code = exit_ok;      ///< exit_ok: --count reached; else exit_failed
  std::string failure;          ///< why not, for stderr
  sample first;                 ///< the first poll that saw trades
  sample last;                  ///< the poll that saw --count trades
  sv::metrics_snapshot metrics; ///< the aggregator's last answer
  sv::latency_snapshot latency; ///< its latency percentiles at the end
  std::uint64_t polls = 0;      ///< metrics requests sent
};

/// The last error of a child in backoff (the feed closed or is unreachable);
/// nullopt while every child streams or the supervisor does not answer.
std::optional<std::string> backoff_error(caf::scoped_actor& self,
                                         const sv::supervisor_if& supervisor) {
  std::optional<std::string> why;
  self->request(supervisor, request_timeout, sv::status_atom::value)
    .receive(
      [&](std::vector<sv::child_status>& xs) {
        for (auto& x : xs)
          if (x.state == sv::child_state::backoff)
            why = x.last_error;
      },
      [&](caf::error&) {});
  return why;
}

/// Polls the aggregator every --poll-ms from this (non-CAF) thread until it has applied
/// --count trades, `deadline` passes or the feed closed (the supervisor's child is in
/// backoff for longer than closed_grace).
run_result measure(caf::actor_system& sys, const bench_options& opt,
                   const sv::aggregator_if& aggregator,
                   const sv::supervisor_if& supervisor,
                   const thread_groups& groups, sv::lws_client& ws,
                   steady::time_point deadline) {
  using namespace sv;
  run_result r;
  bool have_first = false;
  caf::scoped_actor self{sys};
  auto take = [&](sample& s) {
    s.at = steady::now();
    s.trades = r.metrics.trades;
    s.cpu_s = process_cpu_s();
    s.groups = cpu_by_group(groups);
    s.caf_threads = cpu_by_thread(groups.caf);
    s.ws = ws.stats();
  };
  steady::time_point closed_seen{};
  bool closed = false;
  std::string closed_why;
  for (;;) {
    bool ok = true;
    ++r.polls;
    self->request(aggregator, request_timeout, metrics_atom::value)
      .receive([&](metrics_snapshot& x) { r.metrics = std::move(x); },
               [&](caf::error& err) {
                 r.failure = "metrics request failed: " + sys.render(err);
                 ok = false;
               });
    if (!ok) {
      r.exit_code = exit_failed;
      break;
    }
    if (!have_first && r.metrics.trades > 0) {
      take(r.first);
      have_first = true;
    }
    if (r.metrics.trades >= opt.count) {
      take(r.last);
      break;
    }
    auto now = steady::now();
    if (now >= deadline) {
      std::ostringstream why;
      why << "timeout: " << r.metrics.trades << " of " << opt.count
          << " trades after " << opt.timeout_s << " s";
      r.failure = why.str();
      r.exit_code = exit_failed;
      break;
    }
    // Every 50 polls (~100 ms): has the feed closed under us?
    if (!closed && r.polls % 50 == 0) {
      if (auto why = backoff_error(self, supervisor)) {
        closed = true;
        closed_why = std::move(*why);
        closed_seen = steady::now();
      }
    }
    if (closed && steady::now() - closed_seen > closed_grace) {
      std::ostringstream why;
      why << "feed closed or unreachable after " << r.metrics.trades << " of "
          << opt.count << " trades (" << closed_why
          << "); check --endpoint, the feed's -n/--count and that it serves "
          << opt.symbol << " aggTrade";
      r.failure = why.str();
      r.exit_code = exit_failed;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(opt.poll_ms));
  }
  if (r.exit_code == exit_ok) {
    self->request(aggregator, request_timeout, latency_atom::value)
      .receive([&](latency_snapshot& x) { r.latency = x; },
               [&](caf::error&) {});
  }
  return r;
}

/// Prints the one result line of a run that reached --count.
void print_result(const bench_options& opt, run_result& r,
                  std::size_t caf_threads_used) {
  auto seconds = std::chrono::duration<double>(r.last.at - r.first.at).count();
  auto msgs = r.last.trades - r.first.trades;
  auto cpu = r.last.cpu_s - r.first.cpu_s;
  double busiest_caf = 0;
  for (auto& [tid, s] : r.last.caf_threads) {
    auto it = r.first.caf_threads.find(tid);
    if (it != r.first.caf_threads.end() && s >= 0 && it->second >= 0)
      busiest_caf = std::max(busiest_caf, s - it->second);
  }
  auto frames = r.last.ws.frames - r.first.ws.frames;
  auto batches = r.last.ws.batches - r.first.ws.batches;
  auto per_s = seconds > 0 ? static_cast<double>(msgs) / seconds : 0.0;
  auto per_m = msgs > 0 ? cpu / (static_cast<double>(msgs) / 1e6) : 0.0;
  std::printf("bench=pipeline source=%s caf_threads=%zu msgs=%llu seconds=%.3f "
              "msgs_per_s=%.0f cpu_s=%.3f cpu_s_per_million=%.3f "
              "peak_rss_mib=%.1f cpu_lws_s=%.2f cpu_caf_s=%.2f "
              "cpu_caf_busiest_s=%.2f cpu_other_s=%.2f",
              opt.source.c_str(), caf_threads_used,
              static_cast<unsigned long long>(msgs), seconds, per_s, cpu, per_m,
              peak_rss_mib(), r.last.groups["lws"] - r.first.groups["lws"],
              r.last.groups["caf"] - r.first.groups["caf"], busiest_caf,
              r.last.groups["other"] - r.first.groups["other"]);
  if (opt.latency)
    std::printf(" lat_samples=%llu lat_p50_us=%lld lat_p90_us=%lld "
                "lat_p99_us=%lld lat_p999_us=%lld lat_max_us=%lld",
                static_cast<unsigned long long>(r.latency.samples),
                static_cast<long long>(r.latency.p50_us),
                static_cast<long long>(r.latency.p90_us),
                static_cast<long long>(r.latency.p99_us),
                static_cast<long long>(r.latency.p999_us),
                static_cast<long long>(r.latency.max_us));
  std::printf(" batches=%llu frames_per_batch=%.1f duplicates=%llu "
              "trades_total=%llu polls=%llu\n",
              static_cast<unsigned long long>(batches),
              batches > 0
                ? static_cast<double>(frames) / static_cast<double>(batches)
                : 0.0,
              static_cast<unsigned long long>(r.metrics.duplicates),
              static_cast<unsigned long long>(r.metrics.trades),
              static_cast<unsigned long long>(r.polls));
  std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
  using namespace sv;
  bench_options opt;
  if (auto err = parse_options(argc, argv, opt); !err.empty()) {
    if (err == "help") {
      std::fputs(usage_text().c_str(), stdout);
      return exit_ok;
    }
    std::fprintf(stderr, "pipeline_bench: %s\n%s", err.c_str(),
                 usage_text().c_str());
    return exit_usage;
  }
  auto parsed = parse_endpoint(opt.endpoint, "--endpoint");
  if (auto* err = std::get_if<config_error>(&parsed)) {
    std::fprintf(stderr, "pipeline_bench: %s\n", err->message.c_str());
    return exit_usage;
  }
  auto ep = std::get<endpoint>(parsed);

  // Warn level: the per-connection info lines would be few, but keep the hot path
  // free of any log formatting.
  set_log_level(log_level::warn);
  route_lws_logs(false);
  auto started = steady::now();
  auto deadline = started
                  + std::chrono::milliseconds(
                    static_cast<std::int64_t>(opt.timeout_s * 1000.0));

  thread_groups groups;
  auto before_caf = thread_ids();
  caf::actor_system_config sys_cfg;
  if (!configure_caf(opt, sys_cfg))
    return exit_usage;
  // Declared before the transport: it sends into the system until it is stopped.
  caf::actor_system sys{sys_cfg};
  auto caf_threads_used = sys.scheduler().num_workers();
  auto after_caf = thread_ids();
  std::set_difference(after_caf.begin(), after_caf.end(), before_caf.begin(),
                      before_caf.end(),
                      std::inserter(groups.caf, groups.caf.end()));

  lws_client_options ws_opts;
  if (opt.batch_frames_max > 0)
    ws_opts.batch_frames_max = opt.batch_frames_max;
  ws_opts.ca_file = opt.ca_file;
  ws_opts.delivery_interval_ms = opt.delivery_interval_ms;
  std::unique_ptr<lws_client> ws;
  try {
    ws = std::make_unique<lws_client>(ws_opts);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pipeline_bench: transport failed: %s\n", e.what());
    return exit_failed;
  }
  auto after_ws = thread_ids();
  std::set_difference(after_ws.begin(), after_ws.end(), after_caf.begin(),
                      after_caf.end(),
                      std::inserter(groups.lws, groups.lws.end()));

  auto cfg = settings_for(opt, ep);
  auto aggregator = sys.spawn(aggregator_actor, opt.symbol,
                              aggregator_limits_for(cfg, opt.symbol),
                              sv::backfill_sink_if{});
  std::map<std::string, stream_sinks> sinks;
  sinks[opt.symbol].trades = caf::actor_cast<trade_sink_if>(aggregator);
  auto sup_cfg = bench_supervisor_config(cfg);
  auto children = stream_children(cfg);
  auto supervisor = sys.spawn(supervisor_actor, sup_cfg,
                              static_cast<ws_client*>(ws.get()), sinks,
                              children);

  auto run = measure(sys, opt, aggregator, supervisor, groups, *ws, deadline);
  if (run.exit_code == exit_ok)
    print_result(opt, run, caf_threads_used);
  else
    std::fprintf(stderr, "pipeline_bench: FAILED source=%s endpoint=%s: %s\n",
                 opt.source.c_str(), endpoint_text(ep).c_str(),
                 run.failure.c_str());

  // -- graceful shutdown, as app/main.cpp ----------------------------------------
  if (!stop_supervisor(sys, supervisor, sup_cfg.shutdown_timeout_ms))
    std::fprintf(stderr, "pipeline_bench: supervisor stuck, killed it\n");
  caf::anon_send_exit(aggregator, caf::exit_reason::user_shutdown);
  supervisor = nullptr;
  aggregator = nullptr;
  sinks.clear();
  sys.await_all_actors_done();
  ws->stop();
  return run.exit_code;
}
