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
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <dirent.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/aggregator_actor.hpp"
#include "actors/core/log.hpp"
#include "actors/supervisor_actor.hpp"
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
  unsigned poll_ms = 2;             ///< --poll-ms
  /// --caf KEY=VALUE (repeatable): any CAF setting, e.g.
  /// work-stealing.moderate-sleep-duration=0us; parsed by caf::config_value::parse.
  std::vector<std::pair<std::string, std::string>> caf_settings;
};

const char* usage_text
  = "usage: pipeline_bench --endpoint ws://127.0.0.1:PORT [options]\n"
    "  --endpoint URL      feed base URL (ws:// only is meaningful here)\n"
    "  --symbol S          symbol to stream (default BTCUSDT)\n"
    "  --count N           trades to wait for (default 1000000)\n"
    "  --combined          use /stream?streams=<s>@aggTrade\n"
    "  --timeout-s S       give up after S seconds (default 60), exit 1\n"
    "  --latency           also print the aggregator's latency percentiles\n"
    "  --caf-threads N     scheduler.max-threads (default: the daemon's, cores "
    "- 1)\n"
    "  --caf-policy P      scheduler.policy: stealing (default) or sharing\n"
    "  --caf KEY=VALUE     any CAF setting, repeatable (e.g.\n"
    "                      work-stealing.moderate-sleep-duration=0us)\n"
    "  --batch-frames N    transport batch_frames_max (default 4096)\n"
    "  --source NAME       label printed as source=NAME (default feed)\n"
    "  --ca-file PEM       trust this CA too (a wss:// simulator's "
    "certificate)\n"
    "  --poll-ms N         aggregator poll period (default 2)\n"
    "Prints one line: bench=pipeline source=.. msgs=.. seconds=.. "
    "msgs_per_s=.. ...\n"
    "Exit: 0 count reached, 1 not reached (message on stderr), 2 bad usage.\n";

/// Parses the command line into `out`; on error returns a one-line message.
std::string parse_options(int argc, char** argv, bench_options& out) {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    std::string value;
    bool has_inline = false;
    if (auto eq = name.find('=');
        name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline = true;
    }
    auto need = [&](std::string& dst) -> bool {
      if (has_inline) {
        dst = value;
        return true;
      }
      if (i + 1 >= argc)
        return false;
      dst = argv[++i];
      return true;
    };
    auto need_u64 = [&](std::uint64_t& dst) -> bool {
      std::string text;
      if (!need(text) || text.empty())
        return false;
      char* end = nullptr;
      auto x = std::strtoull(text.c_str(), &end, 10);
      if (*end != '\0')
        return false;
      dst = x;
      return true;
    };
    std::uint64_t n = 0;
    if (name == "--endpoint") {
      if (!need(out.endpoint))
        return "--endpoint: missing value";
    } else if (name == "--symbol") {
      if (!need(out.symbol) || out.symbol.empty())
        return "--symbol: missing value";
      for (auto& ch : out.symbol)
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    } else if (name == "--source") {
      if (!need(out.source))
        return "--source: missing value";
    } else if (name == "--ca-file") {
      if (!need(out.ca_file))
        return "--ca-file: missing value";
    } else if (name == "--count") {
      if (!need_u64(out.count) || out.count == 0)
        return "--count: expected a positive integer";
    } else if (name == "--combined") {
      out.combined = true;
    } else if (name == "--latency") {
      out.latency = true;
    } else if (name == "--timeout-s") {
      if (!need_u64(n) || n == 0 || n > 86400)
        return "--timeout-s: expected an integer in 1..86400";
      out.timeout_s = static_cast<double>(n);
    } else if (name == "--caf-threads") {
      if (!need_u64(n) || n > 256)
        return "--caf-threads: expected an integer in 0..256";
      out.caf_threads = static_cast<std::size_t>(n);
    } else if (name == "--caf-policy") {
      if (!need(out.caf_policy)
          || (out.caf_policy != "stealing" && out.caf_policy != "sharing"))
        return "--caf-policy: expected stealing or sharing";
    } else if (name == "--caf") {
      std::string kv;
      auto eq = std::string::npos;
      if (!need(kv) || (eq = kv.find('=')) == std::string::npos || eq == 0)
        return "--caf: expected KEY=VALUE";
      out.caf_settings.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (name == "--batch-frames") {
      if (!need_u64(n) || n == 0 || n > 1000000)
        return "--batch-frames: expected an integer in 1..1000000";
      out.batch_frames_max = static_cast<std::size_t>(n);
    } else if (name == "--poll-ms") {
      if (!need_u64(n) || n == 0 || n > 1000)
        return "--poll-ms: expected an integer in 1..1000";
      out.poll_ms = static_cast<unsigned>(n);
    } else if (name == "--help" || name == "-h") {
      return "help";
    } else {
      return "unknown option " + name;
    }
  }
  return {};
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

} // namespace

int main(int argc, char** argv) {
  using namespace sv;
  bench_options opt;
  if (auto err = parse_options(argc, argv, opt); !err.empty()) {
    if (err == "help") {
      std::fputs(usage_text, stdout);
      return exit_ok;
    }
    std::fprintf(stderr, "pipeline_bench: %s\n%s", err.c_str(), usage_text);
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
  apply_scheduler_defaults(
    sys_cfg); // what the daemon runs with; options override
  if (opt.caf_threads > 0)
    sys_cfg.set("scheduler.max-threads", opt.caf_threads);
  if (opt.caf_policy == "sharing")
    sys_cfg.set("scheduler.policy", caf::atom("sharing"));
  else if (opt.caf_policy == "stealing")
    sys_cfg.set("scheduler.policy", caf::atom("stealing"));
  for (auto& [key, text] : opt.caf_settings) {
    auto value = caf::config_value::parse(text);
    if (!value) {
      std::fprintf(stderr,
                   "pipeline_bench: --caf %s=%s: not a CAF config value\n",
                   key.c_str(), text.c_str());
      return exit_usage;
    }
    sys_cfg.set(key, std::move(*value));
  }
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

  // The daemon's wiring from settings, for one symbol on the bench's endpoint. The
  // aggregator has no backfill here: no warm start, and no large-trade detection.
  settings cfg;
  cfg.symbols = {opt.symbol};
  cfg.streams = {stream_kind::agg_trade};
  cfg.stream_endpoint = ep;
  cfg.combined = opt.combined;
  cfg.warmup_s = 0;
  cfg.large_trade_quote_e8 = 0;
  cfg.max_connection_age_s = 0; // never rotate during a run
  auto aggregator = sys.spawn(aggregator_actor, opt.symbol,
                              aggregator_limits_for(cfg, opt.symbol),
                              sv::backfill_sink_if{});
  std::map<std::string, stream_sinks> sinks;
  sinks[opt.symbol].trades = caf::actor_cast<trade_sink_if>(aggregator);
  auto sup_cfg = supervisor_config_for(cfg);
  // A feed that closes after its N frames must not be reconnected during the run.
  sup_cfg.policy.jitter = false;
  sup_cfg.policy.backoff_initial_ms = restart_delay_ms_never;
  sup_cfg.policy.backoff_max_ms = restart_delay_ms_never;
  sup_cfg.silence_timeout_ms = restart_delay_ms_never;
  auto children = stream_children(cfg);
  auto supervisor = sys.spawn(supervisor_actor, sup_cfg,
                              static_cast<ws_client*>(ws.get()), sinks,
                              children);

  // -- measure ----------------------------------------------------------------
  int exit_code = exit_ok;
  std::string failure;
  sample first;
  sample last;
  bool have_first = false;
  metrics_snapshot metrics;
  latency_snapshot latency;
  std::uint64_t polls = 0;
  {
    caf::scoped_actor self{sys};
    auto take = [&](sample& s) {
      s.at = steady::now();
      s.trades = metrics.trades;
      s.cpu_s = process_cpu_s();
      s.groups = cpu_by_group(groups);
      s.caf_threads = cpu_by_thread(groups.caf);
      s.ws = ws->stats();
    };
    steady::time_point closed_seen{};
    bool closed = false;
    std::string closed_why;
    for (;;) {
      bool ok = true;
      ++polls;
      self->request(aggregator, request_timeout, metrics_atom::value)
        .receive([&](metrics_snapshot& x) { metrics = std::move(x); },
                 [&](caf::error& err) {
                   failure = "metrics request failed: " + sys.render(err);
                   ok = false;
                 });
      if (!ok) {
        exit_code = exit_failed;
        break;
      }
      if (!have_first && metrics.trades > 0) {
        take(first);
        have_first = true;
      }
      if (metrics.trades >= opt.count) {
        take(last);
        break;
      }
      auto now = steady::now();
      if (now >= deadline) {
        std::ostringstream why;
        why << "timeout: " << metrics.trades << " of " << opt.count
            << " trades after " << opt.timeout_s << " s";
        failure = why.str();
        exit_code = exit_failed;
        break;
      }
      // Every 50 polls (~100 ms): has the feed closed under us?
      if (!closed && polls % 50 == 0) {
        self->request(supervisor, request_timeout, status_atom::value)
          .receive(
            [&](std::vector<child_status>& xs) {
              for (auto& x : xs)
                if (x.state == child_state::backoff) {
                  closed = true;
                  closed_why = x.last_error;
                }
            },
            [&](caf::error&) {});
        if (closed)
          closed_seen = steady::now();
      }
      if (closed && steady::now() - closed_seen > closed_grace) {
        std::ostringstream why;
        why << "feed closed or unreachable after " << metrics.trades << " of "
            << opt.count << " trades (" << closed_why
            << "); check --endpoint, the feed's -n/--count and that it serves "
            << opt.symbol << " aggTrade";
        failure = why.str();
        exit_code = exit_failed;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(opt.poll_ms));
    }
    if (exit_code == exit_ok) {
      self->request(aggregator, request_timeout, latency_atom::value)
        .receive([&](latency_snapshot& x) { latency = x; },
                 [&](caf::error&) {});
    }
  }

  // -- report -----------------------------------------------------------------
  if (exit_code == exit_ok) {
    auto seconds = std::chrono::duration<double>(last.at - first.at).count();
    auto msgs = last.trades - first.trades;
    auto cpu = last.cpu_s - first.cpu_s;
    double busiest_caf = 0;
    for (auto& [tid, s] : last.caf_threads) {
      auto it = first.caf_threads.find(tid);
      if (it != first.caf_threads.end() && s >= 0 && it->second >= 0)
        busiest_caf = std::max(busiest_caf, s - it->second);
    }
    auto frames = last.ws.frames - first.ws.frames;
    auto batches = last.ws.batches - first.ws.batches;
    auto per_s = seconds > 0 ? static_cast<double>(msgs) / seconds : 0.0;
    auto per_m = msgs > 0 ? cpu / (static_cast<double>(msgs) / 1e6) : 0.0;
    std::printf(
      "bench=pipeline source=%s caf_threads=%zu msgs=%llu seconds=%.3f "
      "msgs_per_s=%.0f cpu_s=%.3f cpu_s_per_million=%.3f "
      "peak_rss_mib=%.1f cpu_lws_s=%.2f cpu_caf_s=%.2f "
      "cpu_caf_busiest_s=%.2f cpu_other_s=%.2f",
      opt.source.c_str(), caf_threads_used,
      static_cast<unsigned long long>(msgs), seconds, per_s, cpu, per_m,
      peak_rss_mib(), last.groups["lws"] - first.groups["lws"],
      last.groups["caf"] - first.groups["caf"], busiest_caf,
      last.groups["other"] - first.groups["other"]);
    if (opt.latency)
      std::printf(" lat_samples=%llu lat_p50_us=%lld lat_p90_us=%lld "
                  "lat_p99_us=%lld lat_p999_us=%lld lat_max_us=%lld",
                  static_cast<unsigned long long>(latency.samples),
                  static_cast<long long>(latency.p50_us),
                  static_cast<long long>(latency.p90_us),
                  static_cast<long long>(latency.p99_us),
                  static_cast<long long>(latency.p999_us),
                  static_cast<long long>(latency.max_us));
    std::printf(" batches=%llu frames_per_batch=%.1f duplicates=%llu "
                "trades_total=%llu polls=%llu\n",
                static_cast<unsigned long long>(batches),
                batches > 0
                  ? static_cast<double>(frames) / static_cast<double>(batches)
                  : 0.0,
                static_cast<unsigned long long>(metrics.duplicates),
                static_cast<unsigned long long>(metrics.trades),
                static_cast<unsigned long long>(polls));
    std::fflush(stdout);
  } else {
    std::fprintf(stderr, "pipeline_bench: FAILED source=%s endpoint=%s: %s\n",
                 opt.source.c_str(), endpoint_text(ep).c_str(),
                 failure.c_str());
  }

  // -- graceful shutdown, as app/main.cpp ----------------------------------------
  if (!stop_supervisor(sys, supervisor, sup_cfg.shutdown_timeout_ms))
    std::fprintf(stderr, "pipeline_bench: supervisor stuck, killed it\n");
  caf::anon_send_exit(aggregator, caf::exit_reason::user_shutdown);
  supervisor = nullptr;
  aggregator = nullptr;
  sinks.clear();
  sys.await_all_actors_done();
  ws->stop();
  return exit_code;
}
