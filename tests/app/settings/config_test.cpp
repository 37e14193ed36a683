// config_test: settings from defaults, the TOML config file and the command
// line.
#include "app/settings/config.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace {

using sv::test::temp_dir;

/// A TOML file in the temp directory, removed when the test ends.
struct temp_file {
  std::string path;
  /// Writes `text` to a fresh file whose name ends in `suffix`.
  explicit temp_file(const std::string& text,
                     std::string_view suffix = ".toml") {
    static std::atomic<int> counter{0};
    auto name = "sv_config_test_" + std::to_string(getpid()) + "_"
                + std::to_string(counter++);
    name += suffix;
    path = (std::filesystem::temp_directory_path() / name).string();
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  ~temp_file() {
    std::remove(path.c_str());
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  temp_file(temp_file&&) = delete;
  temp_file& operator=(temp_file&&) = delete;
};

std::variant<sv::load_result, sv::config_error>
load(std::vector<std::string> args) {
  args.insert(args.begin(), "streamvisor");
  std::vector<const char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args)
    argv.push_back(a.c_str());
  argv.push_back(nullptr);
  return sv::load_settings(static_cast<int>(args.size()), argv.data());
}

/// The result of a load that must succeed.
sv::load_result ok(const std::vector<std::string>& args) {
  auto r = load(args);
  if (const auto* e = std::get_if<sv::config_error>(&r))
    FAIL("unexpected error: " << e->message);
  return std::get<sv::load_result>(r);
}

/// The message of a load that must fail.
std::string err(const std::vector<std::string>& args) {
  auto r = load(args);
  if (std::holds_alternative<sv::load_result>(r))
    FAIL("expected an error for the arguments");
  return std::get<sv::config_error>(r).message;
}

sv::endpoint endpoint_ok(std::string_view url) {
  auto r = sv::parse_endpoint(url, "endpoint");
  if (const auto* e = std::get_if<sv::config_error>(&r))
    FAIL("unexpected error: " << e->message);
  return std::get<sv::endpoint>(r);
}

std::string endpoint_err(std::string_view url) {
  auto r = sv::parse_endpoint(url, "--endpoint");
  if (std::holds_alternative<sv::endpoint>(r))
    FAIL("expected an error for " << url);
  return std::get<sv::config_error>(r).message;
}

/// One quote unit in units of 1e-8.
constexpr std::int64_t e8 = 100000000;

/// Checks every setting against its default; `lock_file` against `lock` (load_settings() fills
/// in default_lock_file(); --help and --version leave it empty).
void check_defaults(const sv::settings& s,
                    const std::string& lock = sv::default_lock_file()) {
  const sv::settings d;
  CHECK(s.symbols == std::vector<std::string>{"BTCUSDT"});
  CHECK(s.streams == std::vector<sv::stream_kind>{sv::stream_kind::agg_trade});
  CHECK(s.stream_endpoint.tls);
  CHECK(s.stream_endpoint.host == "stream.binance.com");
  CHECK(s.stream_endpoint.port == 9443);
  CHECK(s.stream_endpoint.base_path.empty());
  CHECK(s.rest_endpoint.tls);
  CHECK(s.rest_endpoint.host == "api.binance.com");
  CHECK(s.rest_endpoint.port == 443);
  CHECK(s.rest_endpoint.base_path.empty());
  CHECK(s.combined == d.combined);
  CHECK(s.ca_file.empty());
  CHECK_FALSE(s.insecure);
  CHECK_FALSE(s.table);
  CHECK(s.http_host == "127.0.0.1");
  CHECK(s.http_port == 8089);
  CHECK(s.api_clients_max == 0);
  CHECK(s.api_header_timeout_ms == 5000);
  CHECK(s.api_idle_timeout_s == 30);
  CHECK(s.connect_timeout_ms == d.connect_timeout_ms);
  CHECK(s.rest_body_bytes_max == 16U << 20);
  CHECK(s.backfill_request_timeout_ms == 10000);
  CHECK(s.backfill_jobs_max == 4096);
  CHECK(s.backoff_initial_ms == 500);
  CHECK(s.backoff_max_ms == 30000);
  CHECK(s.stable_after_s == 60);
  CHECK(s.max_restarts == 10);
  CHECK(s.restart_window_s == 300);
  CHECK(s.park_s == 300);
  CHECK(s.escalate_fraction == 0.5);
  CHECK(s.connect_budget == 300);
  CHECK(s.connect_budget_window_s == 300);
  CHECK(s.connect_burst == 10);
  CHECK(s.streams_per_connection == 200);
  CHECK(s.ping_interval_s == 20);
  CHECK(s.pong_timeout_s == 10);
  CHECK(s.silence_timeout_s == 30);
  CHECK(s.silence_timeout_s_by_symbol.empty());
  CHECK(s.max_connection_age_s == 84600);
  CHECK(s.lock_file == lock);
  CHECK(s.history_trades_max == d.history_trades_max);
  CHECK(s.history_age_s == d.history_age_s);
  CHECK(s.shutdown_timeout_ms == d.shutdown_timeout_ms);
  CHECK(s.log_level == "info");
  CHECK(s.windows_s == std::vector<std::uint32_t>{60, 300, 900, 3600});
  CHECK(s.large_trade_quote_e8 == 100000LL * e8);
  CHECK(s.large_trade_quote_e8_by_symbol.empty());
  CHECK(s.large_trades_max == 1000);
  CHECK(s.book_symbols.empty());
  CHECK(s.book_snapshot_limit == 1000);
  CHECK(s.book_buffer_events == 1000);
  CHECK(s.book_top_levels == 10);
  CHECK(s.book_band_bps == 10);
  CHECK(s.warmup_s == 900);
  CHECK(s.nats_url.empty());
  CHECK(s.nats_stream == "MARKETDATA");
  CHECK(s.nats_duplicate_window_s == 120);
  CHECK(s.nats_age_s_max == 86400);
  CHECK(s.nats_mb_max == 0);
  CHECK(s.nats_buffer_max == 1000000);
  CHECK(s.shard_group.empty());
  CHECK(s.shard_instance.empty());
  CHECK(s.shard_lease_s == 10);
  CHECK(s.shard_replicas == 1);
}

/// "--name value" or "--name=value", as the section asks.
void add(std::vector<std::string>& args, bool joined, const std::string& name,
         const std::string& value) {
  if (joined) {
    args.push_back(name + "=" + value);
  } else {
    args.push_back(name);
    args.push_back(value);
  }
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Sets (or, with nullopt, unsets) an environment variable for one scope and restores the old
/// value afterwards.
struct scoped_env {
  std::string name;
  std::optional<std::string> old;
  scoped_env(std::string var, const std::optional<std::string>& value)
    : name(std::move(var)) {
    if (const char* prev = std::getenv(name.c_str()))
      old = prev;
    set(value);
  }
  ~scoped_env() {
    set(old);
  }
  void set(const std::optional<std::string>& value) const {
    if (value)
      setenv(name.c_str(), value->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
  scoped_env(scoped_env&&) = delete;
  scoped_env& operator=(scoped_env&&) = delete;
};

/// The config error for a file holding `text`, with the temp file's path replaced by "FILE".
std::string file_err(const std::string& text) {
  temp_file f(text);
  auto message = err({"--config", f.path});
  auto at = message.find(f.path);
  if (at != std::string::npos)
    message.replace(at, f.path.size(), "FILE");
  return message;
}

} // namespace

TEST_CASE("config: without arguments every setting has its documented default",
          "[config]") {
  auto r = ok({});
  CHECK_FALSE(r.show_help);
  CHECK_FALSE(r.show_version);
  CHECK(r.config_path.empty());
  check_defaults(r.values);
}

TEST_CASE("config: every command-line option overrides its default in both "
          "--opt value and --opt=value "
          "form",
          "[config]") {
  temp_file ca("-----BEGIN CERTIFICATE-----\n", ".pem");
  for (bool joined : {false, true}) {
    INFO("joined form: " << joined);
    std::vector<std::string> args;
    add(args, joined, "--symbols", "ethusdt,SOLUSDT");
    add(args, joined, "--endpoint", "ws://127.0.0.1:9001/feed/");
    add(args, joined, "--rest-endpoint", "http://localhost:9002");
    add(args, joined, "--ca-file", ca.path);
    add(args, joined, "--http", "0.0.0.0:9100");
    add(args, joined, "--connect-timeout-ms", "2500");
    add(args, joined, "--rest-body-bytes-max", "1048576");
    add(args, joined, "--backfill-request-timeout-ms", "3000");
    add(args, joined, "--backfill-jobs-max", "64");
    add(args, joined, "--backoff-initial-ms", "250");
    add(args, joined, "--backoff-max-ms", "4000");
    add(args, joined, "--stable-after-s", "90");
    add(args, joined, "--max-restarts", "7");
    add(args, joined, "--restart-window-s", "120");
    add(args, joined, "--park-s", "600");
    add(args, joined, "--escalate-fraction", "0.25");
    add(args, joined, "--connect-budget", "100");
    add(args, joined, "--connect-budget-window-s", "60");
    add(args, joined, "--connect-burst", "3");
    add(args, joined, "--ping-interval-s", "15");
    add(args, joined, "--pong-timeout-s", "5");
    add(args, joined, "--silence-timeout-s", "45");
    add(args, joined, "--max-connection-age-s", "3600");
    add(args, joined, "--lock-file", "/run/sv/test.lock");
    add(args, joined, "--history-trades", "42");
    add(args, joined, "--history-age-s", "60");
    add(args, joined, "--shutdown-timeout-ms", "1500");
    add(args, joined, "--log-level", "debug");
    add(args, joined, "--windows", "30s, 2h,5m");
    add(args, joined, "--large-trade-quote", "250000.5");
    add(args, joined, "--large-trades", "50");
    add(args, joined, "--streams", "aggTrade,depth");
    add(args, joined, "--book-symbols", "solusdt");
    add(args, joined, "--book-snapshot-limit", "500");
    add(args, joined, "--book-buffer-events", "300");
    add(args, joined, "--book-top-levels", "5");
    add(args, joined, "--book-band-bps", "25");
    add(args, joined, "--nats", "nats://10.0.0.5:4223");
    add(args, joined, "--nats-stream", "MD_test-2");
    add(args, joined, "--nats-duplicate-window-s", "600");
    add(args, joined, "--nats-age-s-max", "3600");
    add(args, joined, "--nats-mb-max", "512");
    add(args, joined, "--nats-buffer-max", "5000");
    args.emplace_back("--combined");
    args.emplace_back("--insecure");
    args.emplace_back("--table");
    auto s = ok(args).values;
    CHECK(s.symbols == std::vector<std::string>{"ETHUSDT", "SOLUSDT"});
    CHECK_FALSE(s.stream_endpoint.tls);
    CHECK(s.stream_endpoint.host == "127.0.0.1");
    CHECK(s.stream_endpoint.port == 9001);
    CHECK(s.stream_endpoint.base_path == "/feed");
    CHECK_FALSE(s.rest_endpoint.tls);
    CHECK(s.rest_endpoint.host == "localhost");
    CHECK(s.rest_endpoint.port == 9002);
    CHECK(s.ca_file == ca.path);
    CHECK(s.http_host == "0.0.0.0");
    CHECK(s.http_port == 9100);
    CHECK(s.connect_timeout_ms == 2500);
    CHECK(s.rest_body_bytes_max == 1048576);
    CHECK(s.backfill_request_timeout_ms == 3000);
    CHECK(s.backfill_jobs_max == 64);
    CHECK(s.backoff_initial_ms == 250);
    CHECK(s.backoff_max_ms == 4000);
    CHECK(s.stable_after_s == 90);
    CHECK(s.max_restarts == 7);
    CHECK(s.restart_window_s == 120);
    CHECK(s.park_s == 600);
    CHECK(s.escalate_fraction == 0.25);
    CHECK(s.connect_budget == 100);
    CHECK(s.connect_budget_window_s == 60);
    CHECK(s.connect_burst == 3);
    CHECK(s.ping_interval_s == 15);
    CHECK(s.pong_timeout_s == 5);
    CHECK(s.silence_timeout_s == 45);
    CHECK(s.max_connection_age_s == 3600);
    CHECK(s.lock_file == "/run/sv/test.lock");
    CHECK(s.history_trades_max == 42);
    CHECK(s.history_age_s == 60);
    CHECK(s.shutdown_timeout_ms == 1500);
    CHECK(s.log_level == "debug");
    CHECK(s.windows_s == std::vector<std::uint32_t>{30, 7200, 300});
    CHECK(s.large_trade_quote_e8 == 25000050000000);
    CHECK(s.large_trades_max == 50);
    CHECK(s.streams
          == std::vector<sv::stream_kind>{sv::stream_kind::agg_trade,
                                          sv::stream_kind::depth});
    CHECK(s.book_symbols == std::vector<std::string>{"SOLUSDT"});
    CHECK(s.book_snapshot_limit == 500);
    CHECK(s.book_buffer_events == 300);
    CHECK(s.book_top_levels == 5);
    CHECK(s.book_band_bps == 25);
    CHECK(s.nats_url == "nats://10.0.0.5:4223");
    CHECK(s.nats_stream == "MD_test-2");
    CHECK(s.nats_duplicate_window_s == 600);
    CHECK(s.nats_age_s_max == 3600);
    CHECK(s.nats_mb_max == 512);
    CHECK(s.nats_buffer_max == 5000);
    CHECK(s.combined);
    CHECK(s.insecure);
    CHECK(s.table);
  }
}

TEST_CASE("config: flags take no value but accept =true and =false, and the "
          "last occurrence wins",
          "[config]") {
  CHECK(ok({"--insecure"}).values.insecure);
  CHECK(ok({"--insecure=true"}).values.insecure);
  CHECK_FALSE(ok({"--insecure", "--insecure=false"}).values.insecure);
  CHECK_FALSE(ok({"--combined=false"}).values.combined);
  CHECK(ok({"--connect-timeout-ms", "200", "--connect-timeout-ms=300"})
          .values.connect_timeout_ms
        == 300);
  CHECK(contains(err({"--combined=yes"}),
                 "--combined: expected no value, true or false"));
}

TEST_CASE("config: the command line wins over the config file, which wins over "
          "the defaults",
          "[config]") {
  temp_file f("symbols = [\"ethusdt\", \"SOLUSDT\"]\n"
              "connect_timeout_ms = 3000\n"
              "history_age_s = 120\n"
              "insecure = true\n"
              "http = \"[::1]:9000\"\n");
  auto r = ok(
    {"--connect-timeout-ms", "4000", "--config", f.path, "--symbols=xrpusdt"});
  CHECK(r.config_path == f.path);
  CHECK(r.values.symbols == std::vector<std::string>{"XRPUSDT"});
  CHECK(r.values.connect_timeout_ms == 4000);
  CHECK(r.values.history_age_s == 120);
  CHECK(r.values.insecure);
  CHECK(r.values.http_host == "::1");
  CHECK(r.values.http_port == 9000);
  CHECK(r.values.backoff_initial_ms == sv::settings{}.backoff_initial_ms);
  auto from_file = ok({"--config=" + f.path});
  CHECK(from_file.values.symbols
        == std::vector<std::string>{"ETHUSDT", "SOLUSDT"});
  CHECK(from_file.values.connect_timeout_ms == 3000);
}

TEST_CASE("config: symbols are upper-cased and de-duplicated "
          "case-insensitively in first-seen order",
          "[config]") {
  CHECK(ok({"--symbols", "btcusdt,BTCUSDT,EthUsdt"}).values.symbols
        == std::vector<std::string>{"BTCUSDT", "ETHUSDT"});
  CHECK(ok({"--symbols", " solusdt , btcusdt,SOLUSDT"}).values.symbols
        == std::vector<std::string>{"SOLUSDT", "BTCUSDT"});
  temp_file f("symbols = [\"ethusdt\", \"BTCUSDT\", \"EthUsdt\"]\n");
  CHECK(ok({"--config", f.path}).values.symbols
        == std::vector<std::string>{"ETHUSDT", "BTCUSDT"});
}

TEST_CASE(
  "config: an empty or malformed symbol list is refused naming the option",
  "[config]") {
  CHECK(contains(err({"--symbols", ""}),
                 "--symbols: expected at least one symbol"));
  CHECK(contains(err({"--symbols", "BTCUSDT,,ETHUSDT"}),
                 "--symbols: invalid symbol \"\""));
  CHECK(contains(err({"--symbols", "BTC-USDT"}),
                 "--symbols: invalid symbol \"BTC-USDT\""));
  CHECK(contains(err({"--symbols", std::string(21, 'A')}),
                 "--symbols: invalid symbol"));
  CHECK(ok({"--symbols", std::string(20, 'A')}).values.symbols.size() == 1);
}

TEST_CASE("config: a universe of 4096 symbols is accepted, one more is refused "
          "naming the option",
          "[config]") {
  auto list = [](std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
      out += (i == 0 ? "" : ",") + std::string("S") + std::to_string(i)
             + "USDT";
    return out;
  };
  CHECK(ok({"--symbols", list(1500)}).values.symbols.size() == 1500);
  CHECK(ok({"--symbols", list(4096)}).values.symbols.size() == 4096);
  CHECK(contains(err({"--symbols", list(4097)}),
                 "--symbols: at most 4096 symbols, got 4097"));
}

TEST_CASE("config: each invalid value in the config file is reported with "
          "file, line, key and the "
          "expected type",
          "[config]") {
  struct bad_case {
    std::string line;     // the offending TOML line, written as line 3
    std::string expected; // what the message must contain after "<file>:3: "
  };
  const std::vector<bad_case> cases = {
    {"connect_timeout_ms = \"abc\"",
     "connect_timeout_ms: expected an integer in 100..600000, got \"abc\""},
    {"connect_timeout_ms = 99",
     "connect_timeout_ms: expected an integer in 100..600000, got 99"},
    {"connect_timeout_ms = 1.5",
     "connect_timeout_ms: expected an integer in 100..600000, got 1.5"},
    {"rest_body_bytes_max = 65535",
     "rest_body_bytes_max: expected an integer in 65536..1073741824, got "
     "65535"},
    {"backfill_request_timeout_ms = 99",
     "backfill_request_timeout_ms: expected an integer in 100..600000, got 99"},
    {"backfill_request_timeout_ms = 600001",
     "backfill_request_timeout_ms: expected an integer in 100..600000, got "
     "600001"},
    {"backfill_jobs_max = 0",
     "backfill_jobs_max: expected an integer in 1..1000000, got 0"},
    {"backfill_jobs_max = 1000001",
     "backfill_jobs_max: expected an integer in 1..1000000, got 1000001"},
    {"backoff_initial_ms = 9",
     "backoff_initial_ms: expected an integer in 10..600000, got 9"},
    {"backoff_max_ms = 3600001",
     "backoff_max_ms: expected an integer in 10..3600000"},
    {"stable_after_s = 0",
     "stable_after_s: expected an integer in 1..86400, got 0"},
    {"max_restarts = 100001", "max_restarts: expected an integer in 1..100000"},
    {"restart_window_s = -1",
     "restart_window_s: expected an integer in 1..86400, got -1"},
    {"park_s = 86401", "park_s: expected an integer in 1..86400"},
    {"escalate_fraction = 1.5",
     "escalate_fraction: expected a number in 0..1 (e.g. 0.5), got 1.5"},
    {"escalate_fraction = -0.1",
     "escalate_fraction: expected a number in 0..1"},
    {"escalate_fraction = 2",
     "escalate_fraction: expected a number in 0..1 (e.g. 0.5), got 2"},
    {"escalate_fraction = nan", "escalate_fraction: expected a number in 0..1"},
    {"escalate_fraction = inf", "escalate_fraction: expected a number in 0..1"},
    {"escalate_fraction = \"0.5\"",
     "escalate_fraction: expected a number in 0..1 (e.g. 0.5), got \"0.5\""},
    {"escalate_fraction = true",
     "escalate_fraction: expected a number in 0..1 (e.g. 0.5), got true"},
    {"connect_budget = 0",
     "connect_budget: expected an integer in 1..100000, got 0"},
    {"connect_budget_window_s = 86401",
     "connect_budget_window_s: expected an integer in 1..86400"},
    {"connect_burst = 10001", "connect_burst: expected an integer in 1..10000"},
    {"streams_per_connection = 1025",
     "streams_per_connection: expected an integer in 1..1024"},
    {"streams_per_connection = 0",
     "streams_per_connection: expected an integer in 1..1024"},
    {"delivery_interval_ms = 1001",
     "delivery_interval_ms: expected an integer in 0..1000"},
    {"ping_interval_s = 3601",
     "ping_interval_s: expected an integer in 1..3600"},
    {"pong_timeout_s = 0",
     "pong_timeout_s: expected an integer in 1..3600, got 0"},
    {"silence_timeout_s = 2.5",
     "silence_timeout_s: expected an integer in 1..86400, got 2.5"},
    {"max_connection_age_s = 59",
     "max_connection_age_s: expected an integer in 60..604800, got 59"},
    {"lock_file = 5", "lock_file: expected a string, got 5"},
    {"lock_file = \"a\\u0000b\"", "lock_file: NUL character in \"a\\x00b\""},
    {"silence_timeout_s_by_symbol = 30",
     "silence_timeout_s_by_symbol: expected a table of SYMBOL = an integer in "
     "1..86400, got 30"},
    {"silence_timeout_s_by_symbol = { nknusdt = 0 }",
     "silence_timeout_s_by_symbol.nknusdt: expected an integer in 1..86400, "
     "got 0"},
    {"silence_timeout_s_by_symbol = { nknusdt = \"60\" }",
     "silence_timeout_s_by_symbol.nknusdt: expected an integer in 1..86400, "
     "got \"60\""},
    {"silence_timeout_s_by_symbol = { \"nkn-usdt\" = 60 }",
     "silence_timeout_s_by_symbol.nkn-usdt: invalid symbol \"nkn-usdt\""},
    {"silence_timeout_s_by_symbol = { \"a b\" = 60 }",
     "silence_timeout_s_by_symbol.\"a b\": invalid symbol \"a b\""},
    {"silence_timeout_s_by_symbol = { nknusdt = 60, NKNUSDT = 90 }",
     "silence_timeout_s_by_symbol.NKNUSDT: symbol NKNUSDT appears twice"},
    {"silence_timeout_s_by_symbol = { x = { y = 1 } }",
     "silence_timeout_s_by_symbol.x: expected an integer in 1..86400, got a "
     "table"},
    {"history_trades_max = 0",
     "history_trades_max: expected an integer in 1..10000000, got 0"},
    {"history_trades_max = 10000001",
     "history_trades_max: expected an integer in 1..10000000"},
    {"history_age_s = true",
     "history_age_s: expected an integer in 1..604800, got true"},
    {"shutdown_timeout_ms = 600001",
     "shutdown_timeout_ms: expected an integer in 0..600000"},
    {"combined = \"yes\"", "combined: expected true or false, got \"yes\""},
    {"insecure = 1", "insecure: expected true or false, got 1"},
    {"table = \"on\"", "table: expected true or false, got \"on\""},
    {"endpoint = 42", "endpoint: expected a string, got 42"},
    {"endpoint = \"ftp://x\"", "endpoint: unsupported scheme \"ftp\""},
    {"rest_endpoint = \"https://api.binance.com:0\"",
     "rest_endpoint: port must be an integer in"},
    {"ca_file = \"/nonexistent/ca.pem\"",
     "ca_file: cannot open \"/nonexistent/ca.pem\""},
    {"http = \"localhost\"", "http: expected HOST:PORT"},
    {"http = \"127.0.0.1:65536\"",
     "http: port must be an integer in 0..65535, got \"65536\""},
    {"log_level = \"loud\"",
     "log_level: expected error, warn, info or debug, got \"loud\""},
    {"symbols = \"BTCUSDT\"",
     "symbols: expected an array of strings, got \"BTCUSDT\""},
    {"symbols = []", "symbols: expected at least one symbol"},
    {"symbols = [\"BTC USDT\"]", "symbols: invalid symbol \"BTC USDT\""},
    {"symbols = [\"BTCUSDT\", 7]",
     "symbols: element 1: expected a string, got 7"},
    {"streams = [\"trade\"]",
     "streams: unknown stream \"trade\" (expected \"aggTrade\" or \"depth\")"},
    {"book_symbols = [\"BTC USDT\"]",
     "book_symbols: invalid symbol \"BTC USDT\""},
    {"book_snapshot_limit = 0",
     "book_snapshot_limit: expected an integer in 1..5000, got 0"},
    {"book_snapshot_limit = 5001",
     "book_snapshot_limit: expected an integer in 1..5000"},
    {"book_buffer_events = 0",
     "book_buffer_events: expected an integer in 1..100000, got 0"},
    {"book_top_levels = 0",
     "book_top_levels: expected an integer in 1..5000, got 0"},
    {"book_band_bps = 10001", "book_band_bps: expected an integer in 1..10000"},
    {"streams = [\"bookTicker\"]", "streams: unknown stream \"bookTicker\""},
    {"streams = []", "streams: expected at least one stream"},
    {"windows = \"1m\"", "windows: expected an array of duration strings like "
                         "[\"1m\", \"5m\"], got \"1m\""},
    {"windows = [\"1m\", \"5x\"]",
     "windows: expected a duration string like \"5m\" (<N>s, <N>m or <N>h, N a "
     "positive integer), got \"5x\""},
    {"windows = [\"0m\"]",
     "windows: window \"0m\" is out of range: expected 1s to 24h (86400 s)"},
    {"windows = [\"25h\"]",
     "windows: window \"25h\" is out of range: expected 1s to 24h (86400 s)"},
    {"windows = [\"86401s\"]", "windows: window \"86401s\" is out of range"},
    {"windows = [\"99999999999999999999h\"]",
     "windows: window \"99999999999999999999h\" is out of range"},
    {"windows = [\"2d\"]",
     "windows: expected a duration string like \"5m\" (<N>s, <N>m or <N>h, N a "
     "positive integer), got \"2d\"; days are not supported, the longest "
     "window is 24h"},
    {"windows = [\"m\"]", "windows: expected a duration string like \"5m\""},
    {"windows = [\"-1m\"]", "windows: expected a duration string like \"5m\""},
    {"windows = [\"1.5m\"]", "windows: expected a duration string like \"5m\""},
    {"windows = [\"1M\"]", "windows: expected a duration string like \"5m\""},
    {"windows = [\" 1m\"]", "windows: expected a duration string like \"5m\""},
    {"windows = [\"1m\", \"5m\", \"60s\"]",
     "windows: duplicate window \"60s\": 60 s, the same as \"1m\""},
    {"windows = [\"1h\", \"1h\"]",
     "windows: duplicate window \"1h\": 3600 s, the same as \"1h\""},
    {"windows = [\"1m\", 300]",
     "windows: element 1: expected a duration string like \"5m\" (<N>s, <N>m "
     "or <N>h, N a positive integer), got 300"},
    {"windows = []", "windows: expected 1 to 8 windows, got 0"},
    {"windows = "
     "[\"1s\",\"2s\",\"3s\",\"4s\",\"5s\",\"6s\",\"7s\",\"8s\",\"9s\"]",
     "windows: expected 1 to 8 windows, got 9"},
    {"large_trade_quote = 2.5",
     "large_trade_quote: expected a decimal string like \"250000.5\" or an "
     "integer, got the float 2.5; quote it (\"2.5\") so that it is read "
     "exactly"},
    {"large_trade_quote = 250000.5",
     "got the float 250000.5; quote it (\"250000.5\")"},
    {"large_trade_quote = \"1.123456789\"",
     "large_trade_quote: more than 8 fractional digits in \"1.123456789\" (the "
     "resolution is 0.00000001)"},
    {"large_trade_quote = \"abc\"",
     "large_trade_quote: expected a non-negative decimal with at most 8 "
     "fractional digits, e.g. \"250000.5\", got \"abc\""},
    {"large_trade_quote = \"-5\"",
     "large_trade_quote: expected a non-negative decimal with at most 8 "
     "fractional digits, e.g. \"250000.5\", got \"-5\""},
    {"large_trade_quote = \"1,000\"",
     "large_trade_quote: expected a non-negative decimal"},
    {"large_trade_quote = \"1e5\"",
     "large_trade_quote: expected a non-negative decimal"},
    {"large_trade_quote = \"\"",
     "large_trade_quote: expected a non-negative decimal"},
    {"large_trade_quote = \".\"",
     "large_trade_quote: expected a non-negative decimal"},
    {"large_trade_quote = \"1.2.3\"",
     "large_trade_quote: expected a non-negative decimal"},
    {"large_trade_quote = \"92233720368.54775808\"",
     "large_trade_quote: \"92233720368.54775808\" is too large (at most "
     "92233720368.54775807)"},
    {"large_trade_quote = -1",
     "large_trade_quote: expected a non-negative decimal with at most 8 "
     "fractional digits, e.g. \"250000.5\", got -1"},
    {"large_trade_quote = 92233720369", "large_trade_quote: 92233720369 is too "
                                        "large (at most 92233720368.54775807)"},
    {"large_trade_quote = true", "large_trade_quote: expected a decimal string "
                                 "like \"250000.5\" or an integer, got true"},
    {"large_trade_quote_by_symbol = \"100\"",
     "large_trade_quote_by_symbol: expected a table of SYMBOL = \"<decimal>\", "
     "e.g. { BTCUSDT = \"1000000\" }, got \"100\""},
    {"large_trade_quote_by_symbol = { btcusdt = 1.5 }",
     "large_trade_quote_by_symbol.btcusdt: expected a decimal string like "
     "\"250000.5\" or an integer, got the float 1.5"},
    {"large_trade_quote_by_symbol = { btcusdt = \"x\" }",
     "large_trade_quote_by_symbol.btcusdt: expected a non-negative decimal"},
    {"large_trade_quote_by_symbol = { \"btc/usdt\" = \"1\" }",
     "large_trade_quote_by_symbol.\"btc/usdt\": invalid symbol \"btc/usdt\""},
    {"large_trade_quote_by_symbol = { btcusdt = \"1\", BTCUSDT = \"2\" }",
     "large_trade_quote_by_symbol.BTCUSDT: symbol BTCUSDT appears twice"},
    {"large_trades_max = 0",
     "large_trades_max: expected an integer in 1..100000, got 0"},
    {"large_trades_max = 100001",
     "large_trades_max: expected an integer in 1..100000, got 100001"},
    {"large_trades_max = \"10\"",
     "large_trades_max: expected an integer in 1..100000, got \"10\""},
    {"nats_url = 4222", "nats_url: expected a string, got 4222"},
    {"nats_url = \"nats://a b:4222\"",
     "nats_url: expected nats://HOST:PORT, got \"nats://a b:4222\""},
    {"nats_stream = \"a.b\"",
     "nats_stream: expected 1 to 64 letters, digits, '-' or '_', got \"a.b\""},
    {"nats_stream = \"\"",
     "nats_stream: expected 1 to 64 letters, digits, '-' or '_', got \"\""},
    {"nats_duplicate_window_s = 119",
     "nats_duplicate_window_s: expected an integer in 120..86400, got 119"},
    {"nats_duplicate_window_s = 86401",
     "nats_duplicate_window_s: expected an integer in 120..86400, got 86401"},
    {"nats_age_s_max = -1",
     "nats_age_s_max: expected an integer in 0..315360000, got -1"},
    {"nats_mb_max = 16777217",
     "nats_mb_max: expected an integer in 0..16777216, got 16777217"},
    {"nats_buffer_max = 999",
     "nats_buffer_max: expected an integer in 1000..100000000, got 999"},
    {"shard_group = \"eu.west\"",
     "shard_group: expected 1 to 64 letters, digits, '-' or '_', got "
     "\"eu.west\""},
    {"shard_instance = \"a b\"",
     "shard_instance: expected 1 to 64 letters, digits, '-' or '_', got "
     "\"a b\""},
    {"shard_lease_s = 1",
     "shard_lease_s: expected an integer in 2..300, got 1"},
    {"shard_replicas = 0",
     "shard_replicas: expected an integer in 1..5, got 0"},
    {"bogus_key = 1", "bogus_key: unknown key"},
    {"[server]", "server: unknown key"},
  };
  for (const auto& c : cases) {
    INFO("TOML line: " << c.line);
    // A comment and a valid key first, and a valid key after: the error must
    // point at line 3. The valid keys differ from the bad one, since TOML
    // refuses a repeated key.
    bool timeout_case = c.line.rfind("connect_timeout_ms", 0) == 0;
    bool level_case = c.line.rfind("log_level", 0) == 0;
    std::string before = timeout_case ? "history_age_s = 100"
                                      : "connect_timeout_ms = 1000";
    std::string after = level_case ? "combined = true" : "log_level = \"warn\"";
    std::ostringstream text;
    text << "# a comment\n"
         << before << '\n'
         << c.line << "\n\n"
         << after << '\n';
    temp_file f(text.str());
    auto message = err({"--config", f.path});
    CHECK(message.rfind("config error: " + f.path + ":3: ", 0) == 0);
    CHECK(contains(message, c.expected));
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE(
  "config: the error reported is the first one in file order, not in key order",
  "[config]") {
  temp_file f("zzz = 1\naaa = 2\n");
  CHECK(contains(err({"--config", f.path}), f.path + ":1: zzz: unknown key"));
}

TEST_CASE("config: a multi-line array element of the wrong type is reported at "
          "its own line",
          "[config]") {
  temp_file f("symbols = [\n  \"BTCUSDT\",\n  false,\n]\n");
  CHECK(contains(err({"--config", f.path}),
                 f.path + ":3: symbols: element 1: expected a string"));
}

TEST_CASE("config: a TOML syntax error is reported with file, line, column and "
          "toml++'s description",
          "[config]") {
  temp_file f("symbols = [\"BTCUSDT\"]\nconnect_timeout_ms = = 5\n");
  auto message = err({"--config", f.path});
  INFO(message);
  CHECK(message.rfind("config error: " + f.path + ":2:", 0) == 0);
  // file:line:column: description
  auto rest = message.substr(("config error: " + f.path + ":2:").size());
  CHECK(std::isdigit(static_cast<unsigned char>(rest.front())) != 0);
  CHECK(contains(rest, ": "));
  CHECK(rest.size() > 5);
}

TEST_CASE("config: a TOML syntax error stays one line when toml++ quotes a "
          "newline or another control byte of the file",
          "[config]") {
  // Found by fuzz/config_file_fuzz.cpp: toml++ described `tio=n<LF>` as
  // "expected 'nan', saw 'n<LF>'" and the error printed as two lines.
  temp_file f("truetio=n\n");
  auto message = err({"--config", f.path});
  INFO(message);
  CHECK(message.rfind("config error: " + f.path + ":1:", 0) == 0);
  CHECK(message.find_first_of("\r\n") == std::string::npos);
  CHECK(contains(message, "\\x0a"));
}

TEST_CASE("config: a missing config file is an error naming the file",
          "[config]") {
  auto message = err({"--config", "/nonexistent/streamvisor.toml"});
  CHECK(contains(message, "\"/nonexistent/streamvisor.toml\""));
  CHECK(contains(message, "No such file or directory"));
}

TEST_CASE("config: unknown options, stray arguments and missing values are "
          "errors naming the option",
          "[config]") {
  CHECK(contains(err({"--bogus"}), "unknown option \"--bogus\""));
  CHECK(contains(err({"--bogus=1"}), "unknown option \"--bogus\""));
  CHECK(contains(err({"BTCUSDT"}), "unexpected argument \"BTCUSDT\""));
  CHECK(err({"--endpoint"}) == "config error: --endpoint: missing value");
  CHECK(err({"--symbols", "--insecure"})
        == "config error: --symbols: missing value");
  CHECK(err({"--config"}) == "config error: --config: missing value");
  CHECK(err({"--config="}) == "config error: --config: missing value");
  CHECK(contains(
    err({"--connect-timeout-ms", "abc"}),
    "--connect-timeout-ms: expected an integer in 100..600000, got \"abc\""));
  CHECK(
    contains(err({"--history-trades=0"}),
             "--history-trades: expected an integer in 1..10000000, got 0"));
  CHECK(contains(err({"--log-level", "verbose"}),
                 "--log-level: expected error, warn, info or debug"));
  CHECK(contains(err({"--ca-file", "/nonexistent/ca.pem"}),
                 "--ca-file: cannot open"));
}

TEST_CASE("config: the log level is case-insensitive and stored in lower case",
          "[config]") {
  CHECK(ok({"--log-level=WARN"}).values.log_level == "warn");
  CHECK(ok({"--log-level", "error"}).values.log_level == "error");
}

TEST_CASE("config: an endpoint without port gets its scheme's default: 443 for "
          "wss and https, 80 for "
          "ws and http",
          "[config][endpoint]") {
  auto wss = endpoint_ok("wss://stream.binance.com");
  CHECK(wss.tls);
  CHECK(wss.host == "stream.binance.com");
  CHECK(wss.port == 443);
  CHECK(wss.base_path.empty());
  auto https = endpoint_ok("https://api.binance.com/");
  CHECK(https.tls);
  CHECK(https.port == 443);
  CHECK(https.base_path.empty());
  auto ws = endpoint_ok("ws://localhost");
  CHECK_FALSE(ws.tls);
  CHECK(ws.port == 80);
  auto http = endpoint_ok("HTTP://localhost");
  CHECK_FALSE(http.tls);
  CHECK(http.port == 80);
}

TEST_CASE("config: an endpoint keeps its explicit port, IPv6 literal and path "
          "without trailing slash",
          "[config][endpoint]") {
  auto e = endpoint_ok("wss://127.0.0.1:9443");
  CHECK(e.host == "127.0.0.1");
  CHECK(e.port == 9443);
  auto v6 = endpoint_ok("wss://[::1]:9443");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 9443);
  auto v6_default = endpoint_ok("ws://[2001:db8::1]/x");
  CHECK(v6_default.host == "2001:db8::1");
  CHECK(v6_default.port == 80);
  CHECK(v6_default.base_path == "/x");
  auto path = endpoint_ok("wss://example.com:8443/api/v3//");
  CHECK(path.port == 8443);
  CHECK(path.base_path == "/api/v3");
}

TEST_CASE("config: a bad scheme, port or URL is refused naming the setting",
          "[config][endpoint]") {
  CHECK(endpoint_err("ftp://example.com")
        == "config error: --endpoint: unsupported scheme \"ftp\" (expected ws, "
           "wss, http or "
           "https)");
  CHECK(
    contains(endpoint_err("wss://example.com:70000"),
             "--endpoint: port must be an integer in 1..65535, got \"70000\""));
  CHECK(contains(endpoint_err("wss://example.com:0"),
                 "port must be an integer in 1..65535"));
  CHECK(contains(endpoint_err("wss://example.com:"), "port must be"));
  CHECK(contains(endpoint_err("wss://example.com:abc"), "got \"abc\""));
  CHECK(contains(endpoint_err("example.com:443"),
                 "expected scheme://host[:port][/path]"));
  CHECK(contains(endpoint_err("wss://"), "missing host"));
  CHECK(contains(endpoint_err("wss://:443"), "missing host"));
  CHECK(contains(endpoint_err("wss://::1:443"), "IPv6 literal needs brackets"));
  CHECK(contains(endpoint_err("wss://[::1:443"), "unterminated IPv6 literal"));
  CHECK(contains(endpoint_err("wss://[::1]x"), "after the IPv6 literal"));
  CHECK(
    contains(endpoint_err("wss://example.com/ws?x=1"), "query and fragment"));
  CHECK(contains(endpoint_err("wss://user@example.com"), "user info"));
  CHECK(contains(endpoint_err("wss://exa mple.com"), "whitespace"));
  CHECK(contains(err({"--endpoint", "wss://example.com:70000"}),
                 "config error: --endpoint: port must be"));
  CHECK(contains(err({"--rest-endpoint=gopher://x"}),
                 "--rest-endpoint: unsupported scheme"));
}

TEST_CASE("config: --http takes HOST:PORT, an IPv6 literal in brackets, and "
          "port 0 for any free port",
          "[config]") {
  auto v4 = ok({"--http", "127.0.0.1:8089"}).values;
  CHECK(v4.http_host == "127.0.0.1");
  CHECK(v4.http_port == 8089);
  auto v6 = ok({"--http=[::1]:8089"}).values;
  CHECK(v6.http_host == "::1");
  CHECK(v6.http_port == 8089);
  auto name = ok({"--http", "localhost:0"}).values;
  CHECK(name.http_host == "localhost");
  CHECK(name.http_port == 0);
  CHECK(contains(err({"--http", "127.0.0.1"}), "--http: expected HOST:PORT"));
  CHECK(contains(err({"--http", "[::1]"}), "--http: expected HOST:PORT"));
  CHECK(contains(err({"--http", "127.0.0.1:70000"}),
                 "--http: port must be an integer in 0..65535"));
  CHECK(contains(err({"--http", ":8089"}), "--http: missing host"));
  CHECK(contains(err({"--http", "::1:8089"}),
                 "--http: an IPv6 literal needs brackets"));
}

TEST_CASE("config: --help and --version are reported to the caller even beside "
          "invalid options",
          "[config]") {
  auto help = ok({"--bogus", "--help"});
  CHECK(help.show_help);
  CHECK_FALSE(help.show_version);
  check_defaults(help.values, "");
  auto version = ok({"--version", "--connect-timeout-ms=1"});
  CHECK(version.show_version);
  CHECK_FALSE(version.show_help);
  CHECK(sv::version_text().rfind("streamvisor ", 0) == 0);
}

TEST_CASE("config: usage names every command-line option", "[config]") {
  auto text = sv::usage();
  for (const char* option : {"--config FILE",
                             "--symbols",
                             "--endpoint",
                             "--rest-endpoint",
                             "--ca-file",
                             "--http",
                             "--api-clients-max N",
                             "--api-header-timeout-ms N",
                             "--api-idle-timeout-s N",
                             "--connect-timeout-ms",
                             "--rest-body-bytes-max N",
                             "--backfill-request-timeout-ms N",
                             "--backfill-jobs-max N",
                             "--insecure",
                             "--combined",
                             "--history-trades",
                             "--history-age-s",
                             "--shutdown-timeout-ms",
                             "--log-level",
                             "--table",
                             "--lock-file PATH",
                             "--backoff-initial-ms N",
                             "--backoff-max-ms N",
                             "--stable-after-s N",
                             "--max-restarts N",
                             "--restart-window-s N",
                             "--park-s N",
                             "--escalate-fraction F",
                             "--connect-budget N",
                             "--connect-budget-window-s N",
                             "--connect-burst N",
                             "--ping-interval-s N",
                             "--pong-timeout-s N",
                             "--silence-timeout-s N",
                             "--max-connection-age-s N",
                             "silence_timeout_s_by_symbol",
                             "--help",
                             "--version",
                             "--windows LIST",
                             "--large-trade-quote AMOUNT",
                             "--large-trades N",
                             "large_trade_quote_by_symbol",
                             "--streams LIST",
                             "--book-symbols LIST",
                             "--book-snapshot-limit N",
                             "--book-buffer-events N",
                             "--book-top-levels N",
                             "--book-band-bps N",
                             "--nats URL",
                             "--nats-stream NAME",
                             "--nats-duplicate-window-s N",
                             "--nats-age-s-max N",
                             "--nats-mb-max N",
                             "--nats-buffer-max N"}) {
    INFO(option);
    CHECK(contains(text, option));
  }
  CHECK_FALSE(contains(text, "restart-delay"));
  CHECK(contains(text, "wss://stream.binance.com:9443"));
  CHECK(contains(text, "0..1; default 0.5"));
  CHECK(contains(text, "$XDG_RUNTIME_DIR/streamvisor.lock"));
  CHECK(contains(text, "/tmp/streamvisor-<uid>.lock"));
  CHECK(contains(text, "\nOrder flow:\n  --windows LIST"));
  CHECK(contains(text, "default 1m,5m,15m,1h"));
  CHECK(contains(text, "default 100000)"));
  CHECK(contains(text, "1..100000; default 1000"));
  // The order-flow lines fit in 80 columns.
  std::istringstream lines(text.substr(text.find("\nOrder flow:\n")));
  for (std::string line; std::getline(lines, line) && !line.empty();) {
    INFO(line);
    CHECK(line.size() <= 80);
  }
}

TEST_CASE("config: the shipped config/streamvisor.toml parses and holds "
          "exactly the defaults",
          "[config]") {
  auto r = ok({"--config", SV_SOURCE_DIR "/config/streamvisor.toml"});
  check_defaults(r.values);
}

TEST_CASE("config: the shipped config/demo.toml parses with the three demo "
          "symbols and a small history",
          "[config]") {
  auto r = ok({"--config", SV_SOURCE_DIR "/config/demo.toml", "--endpoint",
               "wss://127.0.0.1:9443"});
  CHECK(r.values.symbols
        == std::vector<std::string>{"BTCUSDT", "ETHUSDT", "SOLUSDT"});
  CHECK(r.values.history_trades_max < sv::settings{}.history_trades_max);
  CHECK(r.values.backoff_initial_ms == 200);
  CHECK(r.values.backoff_max_ms == 2000);
  CHECK(r.values.stream_endpoint.host == "127.0.0.1");
  CHECK(r.values.stream_endpoint.port == 9443);
  CHECK(r.values.large_trade_quote_e8 == 5000 * e8);
  CHECK(r.values.streams
        == std::vector<sv::stream_kind>{sv::stream_kind::agg_trade,
                                        sv::stream_kind::depth});
  CHECK(r.values.book_symbols == std::vector<std::string>{"BTCUSDT"});
}

TEST_CASE("config: supervision settings are read from the config file",
          "[config]") {
  temp_file f("backoff_initial_ms = 100\n"
              "backoff_max_ms = 100\n"
              "stable_after_s = 5\n"
              "max_restarts = 1\n"
              "restart_window_s = 86400\n"
              "park_s = 1\n"
              "escalate_fraction = 0.75\n"
              "connect_budget = 100000\n"
              "connect_budget_window_s = 1\n"
              "connect_burst = 10000\n"
              "ping_interval_s = 3600\n"
              "delivery_interval_ms = 1000\n"
              "pong_timeout_s = 1\n"
              "silence_timeout_s = 86400\n"
              "max_connection_age_s = 60\n"
              "lock_file = \"/var/run/sv.lock\"\n");
  auto s = ok({"--config", f.path}).values;
  CHECK(s.backoff_initial_ms == 100);
  CHECK(s.backoff_max_ms == 100);
  CHECK(s.stable_after_s == 5);
  CHECK(s.max_restarts == 1);
  CHECK(s.restart_window_s == 86400);
  CHECK(s.park_s == 1);
  CHECK(s.escalate_fraction == 0.75);
  CHECK(s.connect_budget == 100000);
  CHECK(s.connect_budget_window_s == 1);
  CHECK(s.connect_burst == 10000);
  CHECK(s.ping_interval_s == 3600);
  CHECK(s.delivery_interval_ms == 1000);
  CHECK(s.pong_timeout_s == 1);
  CHECK(s.silence_timeout_s == 86400);
  CHECK(s.max_connection_age_s == 60);
  CHECK(s.lock_file == "/var/run/sv.lock");
}

TEST_CASE(
  "config: book_symbols must be streamed symbols and needs the depth stream",
  "[config]") {
  CHECK(err({"--symbols", "BTCUSDT", "--streams", "aggTrade,depth",
             "--book-symbols", "ETHUSDT"})
        == "config error: book_symbols (--book-symbols) has ETHUSDT, which is "
           "not in symbols "
           "(--symbols); every book symbol must be streamed");
  CHECK(err({"--book-symbols", "BTCUSDT"})
        == "config error: book_symbols (--book-symbols) is set but streams "
           "(default) has no "
           "\"depth\"; add \"depth\" to streams");
  auto s
    = ok({"--symbols", "BTCUSDT,ETHUSDT", "--streams", "depth,aggTrade,depth"})
        .values;
  CHECK(s.streams
        == std::vector<sv::stream_kind>{sv::stream_kind::depth,
                                        sv::stream_kind::agg_trade});
  CHECK(s.book_symbols.empty()); // every symbol gets a book
}

TEST_CASE("config: restart_delay_ms is gone and refused in both forms",
          "[config]") {
  CHECK(contains(err({"--restart-delay-ms", "500"}),
                 "unknown option \"--restart-delay-ms\""));
  CHECK(contains(file_err("restart_delay_ms = 500\n"),
                 "FILE:1: restart_delay_ms: unknown key"));
}

TEST_CASE("config: streams_per_connection above 1 with combined is refused "
          "naming both and their origins; each alone is accepted",
          "[config]") {
  CHECK(err({"--combined", "--streams-per-connection", "200"})
        == "config error: combined (--combined) and streams_per_connection 200 "
           "(--streams-per-connection) exclude each other: shared sockets "
           "always use the combined endpoint; unset combined or set "
           "streams_per_connection = 1");
  CHECK(
    contains(file_err("streams_per_connection = 3\ncombined = true\n"),
             "config error: combined (FILE:2) and streams_per_connection 3"));
  CHECK(ok({"--combined", "--streams-per-connection", "1"}).values.combined);
  // combined alone keeps one combined socket per stream (packing is a default).
  auto combined = ok({"--combined"}).values;
  CHECK(combined.combined);
  CHECK(combined.streams_per_connection == 1);
  CHECK(ok({"--streams-per-connection", "1024"}).values.streams_per_connection
        == 1024);
}

TEST_CASE("config: backoff_max_ms below backoff_initial_ms is refused naming "
          "both and their origins",
          "[config]") {
  CHECK(err({"--backoff-initial-ms", "2000", "--backoff-max-ms=1000"})
        == "config error: backoff_max_ms 1000 (--backoff-max-ms) is less than "
           "backoff_initial_ms "
           "2000 (--backoff-initial-ms); backoff_max_ms must be >= "
           "backoff_initial_ms");
  CHECK(
    err({"--backoff-initial-ms", "40000"})
    == "config error: backoff_max_ms 30000 (default) is less than "
       "backoff_initial_ms 40000 "
       "(--backoff-initial-ms); backoff_max_ms must be >= backoff_initial_ms");
  CHECK(file_err("# backoff\nbackoff_max_ms = 300\n")
        == "config error: backoff_max_ms 300 (FILE:2) is less than "
           "backoff_initial_ms 500 "
           "(default); backoff_max_ms must be >= backoff_initial_ms");
  // Equal is fine, and the command line can repair a file value.
  CHECK(ok({"--backoff-initial-ms", "700", "--backoff-max-ms", "700"})
          .values.backoff_max_ms
        == 700);
  temp_file f("backoff_max_ms = 300\n");
  CHECK(ok({"--config", f.path, "--backoff-initial-ms", "300"})
          .values.backoff_initial_ms
        == 300);
}

TEST_CASE("config: the nats_* settings are read from the config file, and "
          "the command line wins over it",
          "[config][nats]") {
  temp_file f("nats_url = \"nats://user:pw@nats.internal:4222\"\n"
              "nats_stream = \"TRADES\"\n"
              "nats_duplicate_window_s = 86400\n"
              "nats_age_s_max = 0\n"
              "nats_mb_max = 16777216\n"
              "nats_buffer_max = 100000000\n");
  auto s = ok({"--config", f.path}).values;
  CHECK(s.nats_url == "nats://user:pw@nats.internal:4222");
  CHECK(s.nats_stream == "TRADES");
  CHECK(s.nats_duplicate_window_s == 86400);
  CHECK(s.nats_age_s_max == 0);
  CHECK(s.nats_mb_max == 16777216);
  CHECK(s.nats_buffer_max == 100000000);
  auto over
    = ok({"--config", f.path, "--nats=127.0.0.1:4222", "--nats-stream", "OTHER",
          "--nats-duplicate-window-s", "120", "--nats-buffer-max", "1000"})
        .values;
  CHECK(over.nats_url == "127.0.0.1:4222");
  CHECK(over.nats_stream == "OTHER");
  CHECK(over.nats_duplicate_window_s == 120);
  CHECK(over.nats_buffer_max == 1000);
  CHECK(over.nats_mb_max == 16777216);
}

TEST_CASE("config: a bad nats_stream or nats_url is refused naming the "
          "option, a stream name being 1 to 64 letters, digits, '-' or '_'",
          "[config][nats]") {
  for (const auto& bad :
       std::vector<std::string>{"a.b", "", "md.>", "A*", "has space",
                                "tab\tname", std::string(65, 'S')}) {
    INFO("nats_stream: " << bad);
    CHECK(contains(err({"--nats-stream", bad}),
                   "config error: --nats-stream: expected 1 to 64 letters, "
                   "digits, '-' or '_', got "));
  }
  CHECK(err({"--nats-stream=a.b"})
        == "config error: --nats-stream: expected 1 to 64 letters, digits, "
           "'-' or '_', got \"a.b\"");
  CHECK(ok({"--nats-stream", std::string(64, 'S')}).values.nats_stream
        == std::string(64, 'S'));
  CHECK(ok({"--nats-stream", "a-Z_09"}).values.nats_stream == "a-Z_09");
  CHECK(contains(err({"--nats", "nats://host:4222 x"}),
                 "config error: --nats: expected nats://HOST:PORT, got "));
  // Empty is the default: nothing is published.
  CHECK(ok({"--nats", ""}).values.nats_url.empty());
  CHECK(contains(err({"--nats-duplicate-window-s", "119"}),
                 "config error: --nats-duplicate-window-s: expected an "
                 "integer in 120..86400, got 119"));
  CHECK(contains(err({"--nats-duplicate-window-s", "86401"}),
                 "--nats-duplicate-window-s: expected an integer in "
                 "120..86400, got 86401"));
  CHECK(ok({"--nats-duplicate-window-s", "86400", "--nats-age-s-max", "0"})
          .values.nats_duplicate_window_s
        == 86400);
}

TEST_CASE("config: nats_age_s_max below nats_duplicate_window_s is refused "
          "naming both and their origins, while 0 (no age limit) and equal "
          "are accepted",
          "[config][nats]") {
  CHECK(err({"--nats-age-s-max", "60"})
        == "config error: nats_age_s_max 60 (--nats-age-s-max) is less than "
           "nats_duplicate_window_s 120 (default); JetStream needs the age "
           "limit to be 0 (none) or at least the duplicate window");
  CHECK(err({"--nats-duplicate-window-s=3600", "--nats-age-s-max=600"})
        == "config error: nats_age_s_max 600 (--nats-age-s-max) is less than "
           "nats_duplicate_window_s 3600 (--nats-duplicate-window-s); "
           "JetStream needs the age limit to be 0 (none) or at least the "
           "duplicate window");
  temp_file f("# nats\nnats_duplicate_window_s = 7200\n"
              "nats_age_s_max = 3600\n");
  CHECK(err({"--config", f.path})
        == "config error: nats_age_s_max 3600 (" + f.path
             + ":3) is less than nats_duplicate_window_s 7200 (" + f.path
             + ":2); JetStream needs the age limit to be 0 (none) or at "
               "least the duplicate window");
  // The widest window and the default age limit fit together.
  CHECK(ok({"--nats-duplicate-window-s", "86400"}).values.nats_age_s_max
        == 86400);
  CHECK(ok({"--nats-duplicate-window-s", "3600", "--nats-age-s-max", "3600"})
          .values.nats_age_s_max
        == 3600);
  CHECK(ok({"--nats-duplicate-window-s", "3600", "--nats-age-s-max", "0"})
          .values.nats_age_s_max
        == 0);
}

TEST_CASE("config: shard_group needs nats_url, naming where the group was set",
          "[config][nats][shard]") {
  CHECK(err({"--shard-group", "eu"})
        == "config error: shard_group eu (--shard-group) needs nats_url: the "
           "group's leases are kept in JetStream; set nats_url or unset "
           "shard_group");
  auto s = ok({"--shard-group", "eu", "--nats", "nats://127.0.0.1:4222",
               "--shard-instance", "node-1", "--shard-lease-s", "5",
               "--shard-replicas", "2"})
             .values;
  CHECK(s.shard_group == "eu");
  CHECK(s.shard_instance == "node-1");
  CHECK(s.shard_lease_s == 5);
  CHECK(s.shard_replicas == 2);
}

TEST_CASE("config: --escalate-fraction takes a number in 0..1 and refuses "
          "anything else",
          "[config]") {
  CHECK(ok({"--escalate-fraction", "0"}).values.escalate_fraction == 0.0);
  CHECK(ok({"--escalate-fraction=1"}).values.escalate_fraction == 1.0);
  CHECK(ok({"--escalate-fraction", "0.125"}).values.escalate_fraction == 0.125);
  CHECK(ok({"--escalate-fraction", ".5"}).values.escalate_fraction == 0.5);
  for (const char* bad :
       {"1.01", "-0.5", "abc", "0.5x", "nan", "inf", "50%", "1e3", " 0.5"}) {
    INFO(bad);
    CHECK(err({"--escalate-fraction", bad})
            .rfind("config error: --escalate-fraction: expected a number in "
                   "0..1 (e.g. 0.5), got ",
                   0)
          == 0);
  }
  CHECK(err({"--escalate-fraction=2"})
        == "config error: --escalate-fraction: expected a number in 0..1 (e.g. "
           "0.5), got 2");
  CHECK(err({"--escalate-fraction="})
        == "config error: --escalate-fraction: expected a number "
           "in 0..1 (e.g. 0.5), got \"\"");
}

TEST_CASE(
  "config: escalate_fraction in the file is a float or the integer 0 or 1",
  "[config]") {
  temp_file f_float("escalate_fraction = 0.3\n");
  CHECK(ok({"--config", f_float.path}).values.escalate_fraction == 0.3);
  temp_file f_zero("escalate_fraction = 0\n");
  CHECK(ok({"--config", f_zero.path}).values.escalate_fraction == 0.0);
  temp_file f_one("escalate_fraction = 1\n");
  CHECK(ok({"--config", f_one.path}).values.escalate_fraction == 1.0);
}

TEST_CASE("config: silence_timeout_s_by_symbol maps upper-cased symbols to "
          "timeouts, inline or "
          "as a section",
          "[config]") {
  temp_file inline_table(
    "silence_timeout_s_by_symbol = { nknusdt = 300, \"1000SATSUSDT\" = 1 }\n");
  auto s
    = ok({"--config", inline_table.path, "--symbols", "NKNUSDT,1000SATSUSDT"})
        .values;
  CHECK(s.silence_timeout_s_by_symbol
        == std::map<std::string, std::uint32_t>{{"1000SATSUSDT", 1},
                                                {"NKNUSDT", 300}});
  temp_file section("symbols = [\"BTCUSDT\"]\n"
                    "[silence_timeout_s_by_symbol]\n"
                    "EthUsdt = 86400\n"
                    "btcusdt = 120\n");
  // The command line's symbols replace the file's before the entries are checked.
  auto t
    = ok({"--config", section.path, "--symbols", "BTCUSDT,ETHUSDT"}).values;
  CHECK(t.symbols == std::vector<std::string>{"BTCUSDT", "ETHUSDT"});
  CHECK(t.silence_timeout_s_by_symbol
        == std::map<std::string, std::uint32_t>{{"BTCUSDT", 120},
                                                {"ETHUSDT", 86400}});
  temp_file empty("silence_timeout_s_by_symbol = {}\n");
  CHECK(
    ok({"--config", empty.path}).values.silence_timeout_s_by_symbol.empty());
}

TEST_CASE("config: a bad silence_timeout_s_by_symbol entry is reported at its "
          "own line with the "
          "key as written",
          "[config]") {
  CHECK(file_err("[silence_timeout_s_by_symbol]\nBTCUSDT = 60\nnknusdt = 1.5\n")
        == "config error: FILE:3: silence_timeout_s_by_symbol.nknusdt: "
           "expected an integer in "
           "1..86400, got 1.5");
  CHECK(
    file_err("[silence_timeout_s_by_symbol]\nBTCUSDT = 60\nnknusdt = \"x\"\n")
    == "config error: FILE:3: silence_timeout_s_by_symbol.nknusdt: expected an "
       "integer in "
       "1..86400, got \"x\"");
  CHECK(file_err("[silence_timeout_s_by_symbol]\n\n\"nkn_usdt\" = 60\n")
        == "config error: FILE:3: silence_timeout_s_by_symbol.nkn_usdt: "
           "invalid symbol "
           "\"nkn_usdt\" (expected 1 to 20 letters or digits)");
  CHECK(file_err("[silence_timeout_s_by_symbol]\nnknusdt = 86401\n")
        == "config error: FILE:2: silence_timeout_s_by_symbol.nknusdt: "
           "expected an integer in "
           "1..86400, got 86401");
  // Only this one table is allowed; any other stays an unknown key.
  CHECK(file_err("[silence_timeouts]\nBTCUSDT = 60\n")
        == "config error: FILE:1: silence_timeouts: unknown key (valid keys "
           "are listed in "
           "config/streamvisor.toml)");
  CHECK(
    contains(err({"--silence-timeout-s-by-symbol", "x"}), "unknown option"));
}

TEST_CASE("config: the default lock file is in XDG_RUNTIME_DIR when that is a "
          "directory, else "
          "per uid in /tmp",
          "[config]") {
  const std::string fallback = "/tmp/streamvisor-" + std::to_string(getuid())
                               + ".lock";
  temp_dir runtime{"sv_config_test_dir_"};
  {
    scoped_env env("XDG_RUNTIME_DIR", runtime.path.string());
    CHECK(sv::default_lock_file()
          == (runtime.path / "streamvisor.lock").string());
    CHECK(ok({}).values.lock_file
          == (runtime.path / "streamvisor.lock").string());
    // An explicit setting wins, and so does the file's.
    CHECK(ok({"--lock-file", "/x/y.lock"}).values.lock_file == "/x/y.lock");
    temp_file f("lock_file = \"/a/b.lock\"\n");
    CHECK(ok({"--config", f.path}).values.lock_file == "/a/b.lock");
    // An empty setting asks for the default.
    CHECK(ok({"--config", f.path, "--lock-file="}).values.lock_file
          == (runtime.path / "streamvisor.lock").string());
  }
  {
    scoped_env env("XDG_RUNTIME_DIR", runtime.path.string() + "/");
    CHECK(sv::default_lock_file()
          == (runtime.path / "streamvisor.lock").string());
  }
  {
    scoped_env env("XDG_RUNTIME_DIR", std::nullopt);
    CHECK(sv::default_lock_file() == fallback);
    CHECK(ok({}).values.lock_file == fallback);
  }
  {
    scoped_env env("XDG_RUNTIME_DIR", "");
    CHECK(sv::default_lock_file() == fallback);
  }
  {
    scoped_env env("XDG_RUNTIME_DIR", (runtime.path / "missing").string());
    CHECK(sv::default_lock_file() == fallback);
  }
  {
    temp_file not_a_dir("", ".txt");
    scoped_env env("XDG_RUNTIME_DIR", not_a_dir.path);
    CHECK(sv::default_lock_file() == fallback);
  }
  {
    // The XDG spec says to ignore a relative path.
    scoped_env env("XDG_RUNTIME_DIR", ".");
    CHECK(sv::default_lock_file() == fallback);
  }
}

TEST_CASE("config: windows keep the order written, take s, m and h from 1s to "
          "24h, and come from "
          "the file or --windows",
          "[config][order_flow]") {
  temp_file f("windows = [\"1h\", \"90s\", \"5m\", \"24h\", \"1s\"]\n");
  CHECK(ok({"--config", f.path}).values.windows_s
        == std::vector<std::uint32_t>{3600, 90, 300, 86400, 1});
  temp_file eight(
    "windows = [\"1s\",\"2s\",\"3s\",\"4s\",\"5s\",\"6s\",\"7s\",\"8s\"]\n");
  CHECK(ok({"--config", eight.path}).values.windows_s.size() == 8);
  temp_file upper_bounds("windows = [\"86400s\"]\n");
  CHECK(ok({"--config", upper_bounds.path}).values.windows_s
        == std::vector<std::uint32_t>{86400});
  CHECK(ok({"--windows", "1440m"}).values.windows_s
        == std::vector<std::uint32_t>{86400});
  CHECK(ok({"--windows=05m"}).values.windows_s
        == std::vector<std::uint32_t>{300});
  // The command line replaces the file's list as a whole.
  CHECK(ok({"--config", f.path, "--windows", "15m,1m"}).values.windows_s
        == std::vector<std::uint32_t>{900, 60});
}

TEST_CASE(
  "config: a bad --windows value is refused naming the option and the duration",
  "[config][order_flow]") {
  CHECK(err({"--windows", "1m,5x"})
        == "config error: --windows: expected a duration string like \"5m\" "
           "(<N>s, <N>m or <N>h, "
           "N a positive integer), got \"5x\"");
  CHECK(err({"--windows=0m"})
        == "config error: --windows: window \"0m\" is out of range: expected "
           "1s to 24h (86400 s)");
  CHECK(err({"--windows", "25h"})
        == "config error: --windows: window \"25h\" is out of range: expected "
           "1s to 24h (86400 s)");
  CHECK(contains(err({"--windows", "2d"}),
                 "--windows: expected a duration string"));
  CHECK(err({"--windows", "1m,60s"})
        == "config error: --windows: duplicate window \"60s\": 60 s, the same "
           "as \"1m\"");
  CHECK(err({"--windows", ""})
        == "config error: --windows: expected 1 to 8 windows, got 0");
  CHECK(err({"--windows", "1s,2s,3s,4s,5s,6s,7s,8s,9s"})
        == "config error: --windows: expected 1 to 8 windows, got 9");
  CHECK(contains(err({"--windows", "1m,,5m"}),
                 "--windows: expected a duration string"));
  CHECK(contains(err({"--windows"}), "--windows: missing value"));
}

TEST_CASE("config: a bad window in a multi-line array is reported at the "
          "element's own line",
          "[config][order_flow]") {
  CHECK(file_err("windows = [\n  \"1m\",\n  \"5m\",\n  \"60s\",\n]\n")
        == "config error: FILE:4: windows: duplicate window \"60s\": 60 s, the "
           "same as \"1m\"");
  CHECK(file_err("windows = [\n  \"1m\",\n  \"5x\",\n]\n")
          .rfind("config error: FILE:3: windows: ", 0)
        == 0);
  CHECK(file_err("windows = [\n  \"1m\",\n  60,\n]\n")
        == "config error: FILE:3: windows: element 1: expected a duration "
           "string like \"5m\" "
           "(<N>s, <N>m or <N>h, N a positive integer), got 60");
  // A count error points at the key.
  CHECK(file_err("# windows\nwindows = [\n]\n")
        == "config error: FILE:2: windows: expected 1 to 8 windows, got 0");
}

TEST_CASE("config: large_trade_quote is an exact decimal string or an integer, "
          "and a float is "
          "refused",
          "[config][order_flow]") {
  auto quote = [](const std::string& toml_value) {
    temp_file f("large_trade_quote = " + toml_value + "\n");
    return ok({"--config", f.path}).values.large_trade_quote_e8;
  };
  CHECK(quote("\"100000\"") == 100000 * e8);
  CHECK(quote("\"250000.5\"") == 25000050000000);
  CHECK(quote("\"0.00000001\"") == 1);
  CHECK(quote("\"0.1\"") == 10000000);
  CHECK(quote("\"0\"") == 0);
  CHECK(quote("\"92233720368.54775807\"")
        == std::numeric_limits<std::int64_t>::max());
  CHECK(quote("250000") == 250000 * e8);
  CHECK(quote("0") == 0);
  CHECK(quote("92233720368") == 92233720368 * e8);
  CHECK(file_err("large_trade_quote = 0.1\n")
        == "config error: FILE:1: large_trade_quote: expected a decimal string "
           "like \"250000.5\" "
           "or an integer, got the float 0.1; quote it (\"0.1\") so that it is "
           "read exactly");
  CHECK(file_err("large_trade_quote = \"0.123456789\"\n")
        == "config error: FILE:1: large_trade_quote: more than 8 fractional "
           "digits in "
           "\"0.123456789\" (the resolution is 0.00000001)");
  CHECK(file_err("large_trade_quote = \"12a\"\n")
        == "config error: FILE:1: large_trade_quote: expected a non-negative "
           "decimal with at "
           "most 8 fractional digits, e.g. \"250000.5\", got \"12a\"");
}

TEST_CASE("config: --large-trade-quote takes an exact decimal and "
          "--large-trades a count, in both "
          "forms",
          "[config][order_flow]") {
  for (bool joined : {false, true}) {
    INFO("joined form: " << joined);
    std::vector<std::string> args;
    add(args, joined, "--large-trade-quote", "0.00000001");
    add(args, joined, "--large-trades", "100000");
    auto s = ok(args).values;
    CHECK(s.large_trade_quote_e8 == 1);
    CHECK(s.large_trades_max == 100000);
  }
  CHECK(ok({"--large-trade-quote", "0"}).values.large_trade_quote_e8 == 0);
  CHECK(ok({"--large-trade-quote=5000"}).values.large_trade_quote_e8
        == 5000 * e8);
  CHECK(ok({"--large-trades=1"}).values.large_trades_max == 1);
  CHECK(err({"--large-trade-quote", "1.000000001"})
        == "config error: --large-trade-quote: more than 8 fractional digits "
           "in \"1.000000001\" "
           "(the resolution is 0.00000001)");
  CHECK(err({"--large-trade-quote", "-1"})
        == "config error: --large-trade-quote: expected a non-negative decimal "
           "with at most 8 "
           "fractional digits, e.g. \"250000.5\", got \"-1\"");
  CHECK(contains(err({"--large-trade-quote="}),
                 "--large-trade-quote: expected a non-negative"));
  CHECK(contains(err({"--large-trade-quote", "1e6"}),
                 "--large-trade-quote: expected a non-negative"));
  CHECK(contains(err({"--large-trade-quote", "100000000000"}),
                 "--large-trade-quote: \"100000000000\" is too large"));
  CHECK(
    err({"--large-trades", "0"})
    == "config error: --large-trades: expected an integer in 1..100000, got 0");
  CHECK(contains(err({"--large-trades=100001"}),
                 "--large-trades: expected an integer in 1..100000"));
  CHECK(contains(err({"--large-trades", "ten"}), "got \"ten\""));
  temp_file f("large_trades_max = 7\nlarge_trade_quote = \"1\"\n");
  auto s = ok({"--config", f.path}).values;
  CHECK(s.large_trades_max == 7);
  CHECK(s.large_trade_quote_e8 == e8);
  CHECK(ok({"--config", f.path, "--large-trade-quote", "2"})
          .values.large_trade_quote_e8
        == 2 * e8);
}

TEST_CASE("config: large_trade_quote_by_symbol maps upper-cased symbols to "
          "exact thresholds, "
          "inline or as a section",
          "[config][order_flow]") {
  temp_file inline_table("large_trade_quote_by_symbol = { BTCUSDT = "
                         "\"1000000\", ethusdt = \"250000.25\", "
                         "SOLUSDT = 5000 }\n");
  CHECK(
    ok({"--config", inline_table.path, "--symbols", "BTCUSDT,ETHUSDT,SOLUSDT"})
      .values.large_trade_quote_e8_by_symbol
    == std::map<std::string, std::int64_t>{{"BTCUSDT", 1000000 * e8},
                                           {"ETHUSDT", 25000025000000},
                                           {"SOLUSDT", 5000 * e8}});
  temp_file section(
    "[large_trade_quote_by_symbol]\nbtcusdt = \"0\"\n\"1000SATSUSDT\" = 10\n");
  CHECK(ok({"--config", section.path, "--symbols", "BTCUSDT,1000SATSUSDT"})
          .values.large_trade_quote_e8_by_symbol
        == std::map<std::string, std::int64_t>{{"1000SATSUSDT", 10 * e8},
                                               {"BTCUSDT", 0}});
  temp_file empty("large_trade_quote_by_symbol = {}\n");
  CHECK(
    ok({"--config", empty.path}).values.large_trade_quote_e8_by_symbol.empty());
  CHECK(
    contains(err({"--large-trade-quote-by-symbol", "x"}), "unknown option"));
}

TEST_CASE("config: a bad large_trade_quote_by_symbol entry is reported at its "
          "own line with the "
          "key as written",
          "[config][order_flow]") {
  CHECK(
    file_err("[large_trade_quote_by_symbol]\nBTCUSDT = \"1\"\nethusdt = 2.5\n")
    == "config error: FILE:3: large_trade_quote_by_symbol.ethusdt: expected a "
       "decimal string "
       "like \"250000.5\" or an integer, got the float 2.5; quote it (\"2.5\") "
       "so that it is "
       "read exactly");
  CHECK(file_err("[large_trade_quote_by_symbol]\n\nethusdt = \"1.000000001\"\n")
        == "config error: FILE:3: large_trade_quote_by_symbol.ethusdt: more "
           "than 8 fractional "
           "digits in \"1.000000001\" (the resolution is 0.00000001)");
  CHECK(file_err("[large_trade_quote_by_symbol]\n\"eth-usdt\" = \"1\"\n")
        == "config error: FILE:2: large_trade_quote_by_symbol.eth-usdt: "
           "invalid symbol "
           "\"eth-usdt\" (expected 1 to 20 letters or digits)");
  CHECK(file_err(
          "[large_trade_quote_by_symbol]\nEthUsdt = \"1\"\nETHUSDT = \"2\"\n")
        == "config error: FILE:3: large_trade_quote_by_symbol.ETHUSDT: symbol "
           "ETHUSDT appears "
           "twice (symbols are case-insensitive)");
  CHECK(
    file_err("[large_trade_quote_by_symbol]\nethusdt = -3\n")
    == "config error: FILE:2: large_trade_quote_by_symbol.ethusdt: expected a "
       "non-negative "
       "decimal with at most 8 fractional digits, e.g. \"250000.5\", got -3");
}

TEST_CASE("config: a per-symbol override for a symbol that is not streamed is "
          "refused, naming the table, the symbol and where each came from",
          "[config]") {
  temp_file f("symbols = [\"BTCUSDT\", \"ETHUSDT\"]\n"
              "silence_timeout_s_by_symbol = { XRPUSDT = 300 }\n");
  auto message = err({"--config", f.path});
  CHECK(message
        == "config error: silence_timeout_s_by_symbol (" + f.path
             + ":2) has XRPUSDT, which is not in symbols (" + f.path
             + ":1); remove the entry or stream the symbol");
  temp_file quotes("large_trade_quote_by_symbol = { ethusdt = 100000 }\n");
  CHECK(contains(err({"--config", quotes.path, "--symbols", "BTCUSDT"}),
                 "large_trade_quote_by_symbol (" + quotes.path
                   + ":1) has ETHUSDT, which is not in symbols (--symbols)"));
  // Streamed symbols, in any case, are accepted.
  auto s = ok({"--config", quotes.path, "--symbols", "btcusdt,ETHUSDT"}).values;
  CHECK(s.large_trade_quote_e8_by_symbol.count("ETHUSDT") == 1);
}

TEST_CASE("config: a config path that is not a regular file is refused at once",
          "[config]") {
  auto dir = std::filesystem::temp_directory_path()
             / ("sv_config_test_fifo_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto fifo = (dir / "config.toml").string();
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // Before the check this open waited for a writer forever.
  CHECK(err({"--config", fifo})
        == "config error: config file \"" + fifo + "\" is not a regular file");
  CHECK(err({"--config", dir.string()})
        == "config error: config file \"" + dir.string()
             + "\" is not a regular file");
  std::filesystem::remove_all(dir);
}

TEST_CASE("config: api_token is empty or 16 to 256 printable characters, and "
          "is named with its line when it is not",
          "[config]") {
  temp_file f("symbols = [\"BTCUSDT\"]\napi_token = \"short\"\n");
  auto message = err({"--config", f.path});
  INFO(message);
  CHECK(
    contains(message, f.path + ":2: api_token: must be empty or 16 to 256"));
  CHECK(contains(err({"--api-token", "with space 0123456789"}),
                 "printable ASCII without spaces"));
  auto r = ok({"--api-token", "0123456789abcdef"});
  CHECK(r.values.api_token == "0123456789abcdef");
  CHECK(ok({}).values.api_token.empty());
}

TEST_CASE("config: changed_settings names each key whose value differs, the "
          "token by value",
          "[config]") {
  auto a = ok({"--symbols", "BTCUSDT"}).values;
  auto b = a;
  CHECK(sv::changed_settings(a, b).empty());
  b.symbols = {"BTCUSDT", "ETHUSDT"};
  b.history_trades_max += 1;
  b.api_token = "0123456789abcdef";
  b.silence_timeout_s_by_symbol["BTCUSDT"] = 5;
  auto keys = sv::changed_settings(a, b);
  std::vector<std::string> got(keys.begin(), keys.end());
  std::sort(got.begin(), got.end());
  CHECK(got
        == std::vector<std::string>{"api_token", "history_trades_max",
                                    "silence_timeout_s_by_symbol", "symbols"});
}
