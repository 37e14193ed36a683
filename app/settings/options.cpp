// options: the option table, the command-line parser over it, usage() and
// version_text().
#include "app/settings/options.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"

#ifndef SV_VERSION
#  define SV_VERSION "unknown"
#endif

namespace sv::config_detail {

namespace {

/// Binance spot lists about 2,000 trading pairs (a universe of 1,500 symbols is
/// what issue 9 sizes the daemon for); more than 4096 is a mistake, not a
/// universe.
constexpr std::size_t symbols_max = 4096;

// -- setters: each validates one setting and stores it
// ------------------------------------------

problem set_endpoint(settings& s, std::string_view v) {
  return parse_endpoint_into(v, s.stream_endpoint);
}

problem set_rest_endpoint(settings& s, std::string_view v) {
  return parse_endpoint_into(v, s.rest_endpoint);
}

problem set_api_token(settings& s, std::string_view v) {
  // Long enough not to be guessed over a network, printable so it fits a
  // header, bounded like every input.
  if (!v.empty() && (v.size() < 16 || v.size() > 256))
    return "must be empty or 16 to 256 characters, got "
           + std::to_string(v.size());
  for (char c : v)
    if (c <= ' ' || c > '~')
      return std::string{"must be printable ASCII without spaces"};
  s.api_token = std::string(v);
  return std::nullopt;
}

problem set_ca_file(settings& s, std::string_view v) {
  // Fail at startup rather than at the first TLS handshake; empty means "system
  // store only".
  if (!v.empty()) {
    std::ifstream probe{std::string(v)};
    if (!probe)
      return "cannot open " + in_quotes(v) + ": " + errno_text();
  }
  s.ca_file = std::string(v);
  return std::nullopt;
}

/// A word a NATS bucket name or key may hold: letters, digits, '-' and '_'.
bool is_nats_word(std::string_view v) {
  auto ok = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_';
  };
  return !v.empty() && v.size() <= 64 && std::all_of(v.begin(), v.end(), ok);
}

problem set_nats_url(settings& s, std::string_view v) {
  // libnats takes nats://, tls:// or a bare HOST:PORT; what else it gets wrong
  // shows in the log and /status once it tries.
  if (!v.empty() && v.find_first_of(" \t\r\n") != std::string_view::npos)
    return "expected nats://HOST:PORT, got " + in_quotes(v);
  s.nats_url = std::string(v);
  return std::nullopt;
}

problem set_nats_stream(settings& s, std::string_view v) {
  // JetStream's own rule for stream names, kept to the safe part: letters,
  // digits, '-' and '_', as a subject token cannot hold '.', '*', '>' or space.
  if (!is_nats_word(v))
    return "expected 1 to 64 letters, digits, '-' or '_', got " + in_quotes(v);
  s.nats_stream = std::string(v);
  return std::nullopt;
}

problem set_shard_group(settings& s, std::string_view v) {
  if (!v.empty() && !is_nats_word(v))
    return "expected 1 to 64 letters, digits, '-' or '_', got " + in_quotes(v);
  s.shard_group = std::string(v);
  return std::nullopt;
}

problem set_shard_instance(settings& s, std::string_view v) {
  if (!v.empty() && !is_nats_word(v))
    return "expected 1 to 64 letters, digits, '-' or '_', got " + in_quotes(v);
  s.shard_instance = std::string(v);
  return std::nullopt;
}

problem set_http(settings& s, std::string_view v) {
  std::string host;
  std::optional<std::string_view> port_text;
  if (auto err = split_host_port(v, host, port_text))
    return err;
  if (!port_text)
    return "expected HOST:PORT (e.g. 127.0.0.1:8089 or [::1]:8089), got "
           + in_quotes(v);
  std::uint16_t port = 0;
  // Port 0 asks the kernel for a free port (the listener logs the one it got).
  if (auto err = parse_port(*port_text, 0, port))
    return err;
  s.http_host = std::move(host);
  s.http_port = port;
  return std::nullopt;
}

problem set_log_level(settings& s, std::string_view v) {
  auto level = lower_ascii(v);
  if (!parse_log_level(level))
    return "expected error, warn, info or debug, got " + in_quotes(v);
  s.log_level = std::move(level);
  return std::nullopt;
}

problem set_lock_file(settings& s, std::string_view v) {
  // open() would silently cut the path at a NUL, which TOML can spell as \u0000.
  if (v.find('\0') != std::string_view::npos)
    return "NUL character in " + in_quotes(v);
  // Empty selects the default location after loading (see default_lock_file()).
  s.lock_file = std::string(v);
  return std::nullopt;
}

std::string show_lock_file(const settings& s) {
  if (!s.lock_file.empty())
    return s.lock_file;
  // usage() explains the fallback below the options; the full text would pass 80 columns.
  return "$XDG_RUNTIME_DIR/streamvisor.lock";
}

problem set_symbols(settings& s, const std::vector<std::string>& items) {
  std::vector<std::string> out;
  if (auto err = parse_symbol_list(items, out))
    return err;
  if (out.empty())
    return std::string{"expected at least one symbol"};
  if (out.size() > symbols_max)
    return "at most " + std::to_string(symbols_max) + " symbols, got "
           + std::to_string(out.size());
  s.symbols = std::move(out);
  return std::nullopt;
}

problem set_book_symbols(settings& s, const std::vector<std::string>& items) {
  std::vector<std::string> out;
  if (auto err = parse_symbol_list(items, out))
    return err;
  s.book_symbols = std::move(out);
  return std::nullopt;
}

problem set_streams(settings& s, const std::vector<std::string>& items) {
  std::vector<stream_kind> out;
  for (const auto& item : items) {
    auto kind = parse_stream_kind(item);
    if (!kind)
      return "unknown stream " + in_quotes(item)
             + R"( (expected "aggTrade" or "depth"))";
    if (std::find(out.begin(), out.end(), *kind) == out.end())
      out.push_back(*kind);
  }
  if (out.empty())
    return std::string{"expected at least one stream"};
  s.streams = std::move(out);
  return std::nullopt;
}

// -- the option table: one row per setting
// -------------------------------------------------------

constexpr option_spec number_opt(std::string_view cli, std::string_view key,
                                 std::uint32_t settings::*field,
                                 int_range range, std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::number;
  o.number = field;
  o.range = range;
  o.arg = "N";
  o.help = help;
  return o;
}

constexpr option_spec fraction_opt(std::string_view cli, std::string_view key,
                                   double settings::*field,
                                   std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::fraction;
  o.real = field;
  o.arg = "F";
  o.help = help;
  return o;
}

constexpr option_spec symbol_map_opt(std::string_view key,
                                     symbol_numbers settings::*field,
                                     int_range range) {
  option_spec o;
  o.key = key;
  o.type = kind::symbol_map;
  o.map = field;
  o.range = range;
  return o;
}

constexpr option_spec windows_opt(std::string_view cli, std::string_view key,
                                  std::vector<std::uint32_t> settings::*field,
                                  std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::windows;
  o.durations = field;
  o.arg = "LIST";
  o.help = help;
  return o;
}

constexpr option_spec quote_opt(std::string_view cli, std::string_view key,
                                std::int64_t settings::*field,
                                std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::quote;
  o.e8 = field;
  o.arg = "AMOUNT";
  o.help = help;
  return o;
}

constexpr option_spec quote_map_opt(std::string_view key,
                                    symbol_quotes settings::*field) {
  option_spec o;
  o.key = key;
  o.type = kind::quote_map;
  o.quotes = field;
  return o;
}

/// `o` with a usage() group title printed before it.
constexpr option_spec titled(std::string_view heading, option_spec o) {
  o.heading = heading;
  return o;
}

constexpr option_spec flag_opt(std::string_view cli, std::string_view key,
                               bool settings::*field, std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::flag;
  o.flag = field;
  o.help = help;
  return o;
}

constexpr option_spec text_opt(std::string_view cli, std::string_view key,
                               text_setter set, shower show,
                               std::string_view arg, std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::text;
  o.text = set;
  o.show = show;
  o.arg = arg;
  o.help = help;
  return o;
}

constexpr option_spec list_opt(std::string_view cli, std::string_view key,
                               list_setter set, shower show,
                               std::string_view arg, std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::list;
  o.list = set;
  o.show = show;
  o.arg = arg;
  o.help = help;
  return o;
}

// Bounds: a connect deadline under 100 ms fails on any real network and over 10
// min hides a dead peer; 10 000 000 trades of ~64 bytes is ~640 MB per symbol;
// 604800 s = 7 days, 86400 s = 1 day, 3600000 ms = 1 hour. A connection age
// under 60 s would rotate connections faster than they stream. REST bodies:
// 65536 = 64 KiB (a depth snapshot of 1000 levels is bigger), 1073741824 = 1 GiB.
// A REST deadline has the connect deadline's bounds. Backfill jobs: 1000000 jobs
// of ~200 bytes is ~200 MB.
const std::array option_table = {
  list_opt(
    "--symbols", "symbols", set_symbols,
    [](const settings& s) { return join(s.symbols); }, "LIST",
    "comma-separated symbols to stream, e.g. BTCUSDT,ETHUSDT"),
  list_opt(
    "--streams", "streams", set_streams,
    [](const settings& s) { return join_streams(s.streams); }, "LIST",
    "streams per symbol: aggTrade, depth (local order book)"),
  text_opt(
    "--endpoint", "endpoint", set_endpoint,
    [](const settings& s) { return show_endpoint(s.stream_endpoint, true); },
    "URL", "stream base URL, ws:// or wss://host[:port][/path]"),
  text_opt(
    "--rest-endpoint", "rest_endpoint", set_rest_endpoint,
    [](const settings& s) { return show_endpoint(s.rest_endpoint, false); },
    "URL", "REST base URL, http:// or https://host[:port][/path]"),
  flag_opt("--combined", "combined", &settings::combined,
           "use the combined-stream wrapper /stream?streams=..."),
  text_opt(
    "--ca-file", "ca_file", set_ca_file,
    [](const settings& s) {
      return s.ca_file.empty() ? std::string{"none"} : s.ca_file;
    },
    "PATH", "extra PEM CA bundle trusted besides the system store"),
  flag_opt("--table", "table", &settings::table,
           "print a per-symbol table to stdout every second"),
  flag_opt("--insecure", "insecure", &settings::insecure,
           "disable certificate and host-name checks (testing only)"),
  text_opt("--http", "http", set_http, show_http, "HOST:PORT",
           "HTTP API listen address; port 0 picks a free port"),
  number_opt("--api-clients-max", "api_clients_max", &settings::api_clients_max,
             {0, 1000000},
             "API clients at once (503 beyond); 0: from the fd limit"),
  number_opt("--api-header-timeout-ms", "api_header_timeout_ms",
             &settings::api_header_timeout_ms, {100, 600000},
             "API connections without a full request header are closed"),
  number_opt("--api-idle-timeout-s", "api_idle_timeout_s",
             &settings::api_idle_timeout_s, {1, 3600},
             "idle keep-alive API connections are closed"),
  text_opt(
    "--api-token", "api_token", set_api_token,
    [](const settings& s) {
      return s.api_token.empty() ? std::string{"none"} : std::string{"set"};
    },
    "TOKEN",
    "PUT/DELETE /symbols need Authorization: Bearer TOKEN (else loopback "
    "only)"),
  number_opt("--feed-clients-max", "feed_clients_max",
             &settings::feed_clients_max, {1, 100000},
             "WebSocket feed clients at once (closed 1008 beyond)"),
  number_opt("--feed-gap-wait-ms", "feed_gap_wait_ms",
             &settings::feed_gap_wait_ms, {0, 3600000},
             "feed trades wait this long behind an unfilled gap"),
  number_opt("--feed-queue-bytes-max", "feed_queue_bytes_max",
             &settings::feed_queue_bytes_max, {4096, 1073741824},
             "a feed client with more queued is closed 1008"),
  number_opt("--feed-queue-age-ms", "feed_queue_age_ms",
             &settings::feed_queue_age_ms, {100, 600000},
             "a feed client with a frame queued this long is closed 1008"),
  number_opt("--feed-ping-interval-s", "feed_ping_interval_s",
             &settings::feed_ping_interval_s, {1, 3600},
             "feed clients are pinged after this long without a pong"),
  number_opt(
    "--feed-pong-timeout-s", "feed_pong_timeout_s",
    &settings::feed_pong_timeout_s, {1, 3600},
    "feed clients that do not pong this long after a ping are dropped"),
  number_opt(
    "--feed-requests-per-s", "feed_requests_per_s",
    &settings::feed_requests_per_s, {1, 1000},
    "incoming messages per second per feed client (closed 1008 beyond)"),
  number_opt("--feed-metrics-interval-ms", "feed_metrics_interval_ms",
             &settings::feed_metrics_interval_ms, {10, 3600000},
             "native feed: at most one metrics update per symbol this often"),
  number_opt("--feed-heartbeat-ms", "feed_heartbeat_ms",
             &settings::feed_heartbeat_ms, {100, 3600000},
             "native feed: a heartbeat with the streams' states this often"),
  number_opt("--connect-timeout-ms", "connect_timeout_ms",
             &settings::connect_timeout_ms, {100, 600000},
             "deadline for the upgrade and the first frame"),
  number_opt("--rest-body-bytes-max", "rest_body_bytes_max",
             &settings::rest_body_bytes_max, {65536, 1073741824},
             "largest REST response body; a bigger one fails"),
  number_opt("--backfill-request-timeout-ms", "backfill_request_timeout_ms",
             &settings::backfill_request_timeout_ms, {100, 600000},
             "a REST request unanswered this long fails"),
  number_opt("--backfill-jobs-max", "backfill_jobs_max",
             &settings::backfill_jobs_max, {1, 1000000},
             "REST jobs queued at most; one more is refused"),
  number_opt("--history-trades", "history_trades_max",
             &settings::history_trades_max, {1, 10000000},
             "trades kept per symbol"),
  number_opt("--history-age-s", "history_age_s", &settings::history_age_s,
             {1, 604800},
             "age (trade time) after which trades leave the history"),
  number_opt("--shutdown-timeout-ms", "shutdown_timeout_ms",
             &settings::shutdown_timeout_ms, {0, 600000},
             "grace period for connections to close on SIGINT/SIGTERM"),
  text_opt(
    "--log-level", "log_level", set_log_level,
    [](const settings& s) { return s.log_level; }, "LEVEL",
    "error, warn, info or debug"),
  text_opt("--lock-file", "lock_file", set_lock_file, show_lock_file, "PATH",
           "single-instance lock file (see below)"),
  titled("Supervision (restarts, connect rate limits, liveness; see "
         "docs/supervision.md):",
         number_opt("--backoff-initial-ms", "backoff_initial_ms",
                    &settings::backoff_initial_ms, {10, 600000},
                    "bound of the first restart delay (full jitter)")),
  number_opt("--backoff-max-ms", "backoff_max_ms", &settings::backoff_max_ms,
             {10, 3600000},
             "cap of the bound, doubling per restart; >= initial"),
  number_opt("--stable-after-s", "stable_after_s", &settings::stable_after_s,
             {1, 86400}, "streaming this long resets the backoff bound"),
  number_opt("--max-restarts", "max_restarts", &settings::max_restarts,
             {1, 100000}, "more restarts per restart window park the symbol"),
  number_opt("--restart-window-s", "restart_window_s",
             &settings::restart_window_s, {1, 86400},
             "window in which --max-restarts counts"),
  number_opt("--park-s", "park_s", &settings::park_s, {1, 86400},
             "how long a symbol over the restart limit is parked"),
  fraction_opt("--escalate-fraction", "escalate_fraction",
               &settings::escalate_fraction,
               "exit 3 if more than this share is parked"),
  number_opt("--connect-budget", "connect_budget", &settings::connect_budget,
             {1, 100000}, "connect attempts of all symbols per window"),
  number_opt("--connect-budget-window-s", "connect_budget_window_s",
             &settings::connect_budget_window_s, {1, 86400},
             "window of --connect-budget"),
  number_opt("--connect-burst", "connect_burst", &settings::connect_burst,
             {1, 10000}, "connect attempts of all symbols per second"),
  number_opt("--streams-per-connection", "streams_per_connection",
             &settings::streams_per_connection, {1, 1024},
             "streams sharing one socket (1: a socket per stream)"),
  number_opt("--delivery-interval-ms", "delivery_interval_ms",
             &settings::delivery_interval_ms, {0, 1000},
             "hand frames to the actors about once per this many ms (0: "
             "after every read)"),
  number_opt("--ping-interval-s", "ping_interval_s", &settings::ping_interval_s,
             {1, 3600}, "interval of the client's pings"),
  number_opt("--pong-timeout-s", "pong_timeout_s", &settings::pong_timeout_s,
             {1, 3600}, "no pong within this long drops the connection"),
  number_opt("--silence-timeout-s", "silence_timeout_s",
             &settings::silence_timeout_s, {1, 86400},
             "no frame for this long restarts the connection"),
  symbol_map_opt("silence_timeout_s_by_symbol",
                 &settings::silence_timeout_s_by_symbol, {1, 86400}),
  number_opt("--max-connection-age-s", "max_connection_age_s",
             &settings::max_connection_age_s, {60, 604800},
             "connections are rotated before this age"),
  titled("Order flow:",
         windows_opt("--windows", "windows", &settings::windows_s,
                     "rolling windows by trade time, e.g. 1m,5m,15m,1h")),
  quote_opt("--large-trade-quote", "large_trade_quote",
            &settings::large_trade_quote_e8,
            "notional (price x qty) of a large trade; 0: none"),
  quote_map_opt("large_trade_quote_by_symbol",
                &settings::large_trade_quote_e8_by_symbol),
  number_opt("--large-trades", "large_trades_max", &settings::large_trades_max,
             {1, 100000}, "most recent large trades kept per symbol"),
  number_opt("--warmup-s", "warmup_s", &settings::warmup_s, {0, 3600},
             "seconds of trades loaded from REST at start; 0: off"),
  titled("Order book (streams = [\"aggTrade\", \"depth\"]; see "
         "docs/data-integrity.md):",
         list_opt(
           "--book-symbols", "book_symbols", set_book_symbols,
           [](const settings& s) {
             return s.book_symbols.empty() ? std::string{"all"}
                                           : join(s.book_symbols);
           },
           "LIST", "symbols with a depth stream and a local book; empty: all")),
  number_opt("--book-snapshot-limit", "book_snapshot_limit",
             &settings::book_snapshot_limit, {1, 5000},
             "levels per side of each REST snapshot"),
  number_opt("--book-buffer-events", "book_buffer_events",
             &settings::book_buffer_events, {1, 100000},
             "depth events buffered while a snapshot is fetched"),
  number_opt("--book-top-levels", "book_top_levels", &settings::book_top_levels,
             {1, 5000}, "levels per side in the top-N imbalance"),
  number_opt("--book-band-bps", "book_band_bps", &settings::book_band_bps,
             {1, 10000}, "basis points around the mid in the band imbalance"),
  titled("NATS JetStream (see docs/scale-out.md):",
         text_opt(
           "--nats", "nats_url", set_nats_url,
           [](const settings& s) {
             return s.nats_url.empty() ? std::string{"off"} : s.nats_url;
           },
           "URL", "publish trades to JetStream there (nats://HOST:PORT)")),
  text_opt(
    "--nats-stream", "nats_stream", set_nats_stream,
    [](const settings& s) { return s.nats_stream; }, "NAME",
    "the stream (subjects md.>), created or updated at start"),
  number_opt("--nats-duplicate-window-s", "nats_duplicate_window_s",
             &settings::nats_duplicate_window_s, {120, 86400},
             "the stream stores an id once within this window"),
  number_opt("--nats-age-s-max", "nats_age_s_max", &settings::nats_age_s_max,
             {0, 315360000}, "the stream drops messages older; 0: none"),
  number_opt("--nats-mb-max", "nats_mb_max", &settings::nats_mb_max,
             {0, 16777216}, "the stream's size in MiB at most; 0: none"),
  number_opt("--nats-buffer-max", "nats_buffer_max", &settings::nats_buffer_max,
             {1000, 100000000},
             "messages kept while NATS is down; the oldest dropped beyond"),
  text_opt(
    "--shard-group", "shard_group", set_shard_group,
    [](const settings& s) {
      return s.shard_group.empty() ? std::string{"off"} : s.shard_group;
    },
    "NAME",
    "divide the symbols with the group's other instances (needs nats_url)"),
  text_opt(
    "--shard-instance", "shard_instance", set_shard_instance,
    [](const settings& s) {
      return s.shard_instance.empty() ? std::string{"host-pid"}
                                      : s.shard_instance;
    },
    "ID", "this instance's id in the shard group"),
  number_opt("--shard-lease-s", "shard_lease_s", &settings::shard_lease_s,
             {2, 300}, "a symbol's lease lapses unrenewed after this"),
  number_opt("--shard-replicas", "shard_replicas", &settings::shard_replicas,
             {1, 5}, "instances of the group streaming each symbol"),
};

} // namespace

std::vector<std::string_view> changed_keys(const settings& a,
                                           const settings& b) {
  std::vector<std::string_view> result;
  auto differs = [&](const option_spec& o) {
    switch (o.type) {
      case kind::number:
        return a.*o.number != b.*o.number;
      case kind::fraction:
        return a.*o.real != b.*o.real;
      case kind::flag:
        return a.*o.flag != b.*o.flag;
      case kind::symbol_map:
        return a.*o.map != b.*o.map;
      case kind::windows:
        return a.*o.durations != b.*o.durations;
      case kind::quote:
        return a.*o.e8 != b.*o.e8;
      case kind::quote_map:
        return a.*o.quotes != b.*o.quotes;
      case kind::text:
      case kind::list:
        // A secret shows only as set or not: compare it whole.
        return o.key == "api_token"
                 ? a.api_token != b.api_token
                 : o.show != nullptr && o.show(a) != o.show(b);
    }
    return false;
  };
  for (const auto& o : option_table)
    if (differs(o))
      result.push_back(o.key);
  return result;
}

const option_spec* find_cli(std::string_view name) {
  for (const auto& o : option_table)
    if (!o.cli.empty() && o.cli == name)
      return &o;
  return nullptr;
}

const option_spec* find_key(std::string_view key) {
  for (const auto& o : option_table)
    if (o.key == key)
      return &o;
  return nullptr;
}

// -- command line
// ------------------------------------------------------------------------------

config_error cli_error(std::string_view option, const std::string& detail) {
  return config_error{"config error: " + std::string(option) + ": " + detail};
}

problem apply_number(const option_spec& o, settings& s, std::int64_t value,
                     const std::string& shown) {
  if (value < o.range.lo || value > o.range.hi)
    return "expected " + range_text(o.range.lo, o.range.hi) + ", got " + shown;
  s.*o.number = static_cast<std::uint32_t>(value);
  return std::nullopt;
}

problem apply_fraction(const option_spec& o, settings& s, double value,
                       const std::string& shown) {
  // Written so that NaN fails too.
  if (!(value >= 0.0 && value <= 1.0))
    return std::string(fraction_expected) + shown;
  s.*o.real = value;
  return std::nullopt;
}

namespace {

/// Splits a comma-separated command-line list and trims each item.
std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> items;
  std::string_view rest = value;
  for (;;) {
    auto comma = rest.find(',');
    items.push_back(trim(rest.substr(0, comma)));
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  // "--symbols ''" is an empty list, not one empty symbol.
  if (items.size() == 1 && items.front().empty())
    items.clear();
  return items;
}

} // namespace

problem apply_cli(const option_spec& o, settings& s, std::string_view value,
                  bool has_value) {
  switch (o.type) {
    case kind::number: {
      auto n = to_integer(value);
      if (!n)
        return "expected " + range_text(o.range.lo, o.range.hi) + ", got "
               + in_quotes(value);
      return apply_number(o, s, *n, std::to_string(*n));
    }
    case kind::fraction: {
      double n = 0;
      // from_chars ignores the locale, so "0.5" means the same everywhere.
      auto [ptr, ec] = std::from_chars(value.data(),
                                       value.data() + value.size(), n);
      if (value.empty() || ec != std::errc{}
          || ptr != value.data() + value.size())
        return std::string(fraction_expected) + in_quotes(value);
      return apply_fraction(o, s, n, std::string(value));
    }
    case kind::symbol_map:
    case kind::quote_map:
      // File only: find_cli() never returns such an option.
      return std::string{"only valid in the config file"};
    case kind::flag:
      if (!has_value || value == "true") {
        s.*o.flag = true;
      } else if (value == "false") {
        s.*o.flag = false;
      } else {
        return "expected no value, true or false, got " + in_quotes(value);
      }
      return std::nullopt;
    case kind::text:
      return o.text(s, value);
    case kind::list:
      return o.list(s, split_list(value));
    case kind::windows: {
      std::size_t bad = 0;
      return parse_windows(split_list(value), s.*o.durations, bad);
    }
    case kind::quote:
      return parse_quote(value, s.*o.e8);
  }
  return std::string{"unhandled option kind"};
}

std::optional<config_error> parse_cli(const std::vector<std::string_view>& args,
                                      std::string& config_path,
                                      std::vector<cli_value>& values) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto arg = args[i];
    if (arg.size() < 3 || arg.substr(0, 2) != "--")
      return config_error{"config error: unexpected argument " + in_quotes(arg)
                          + " (options start with --; see --help)"};
    auto eq = arg.find('=');
    auto name = arg.substr(0, eq);
    bool inline_value = eq != std::string_view::npos;
    std::string_view value = inline_value ? arg.substr(eq + 1)
                                          : std::string_view{};
    const auto* spec = find_cli(name);
    bool is_config = name == "--config";
    if (spec == nullptr && !is_config)
      return config_error{"config error: unknown option " + in_quotes(name)
                          + " (see --help)"};
    bool takes_value = is_config || spec->type != kind::flag;
    if (takes_value && !inline_value) {
      // A following option is never taken as a value: "--symbols --insecure"
      // lacks one.
      if (i + 1 >= args.size() || args[i + 1].substr(0, 2) == "--")
        return cli_error(name, "missing value");
      value = args[++i];
    }
    if (is_config) {
      if (value.empty())
        return cli_error(name, "missing value");
      config_path = std::string(value);
    } else {
      values.push_back({spec, std::string(value), takes_value || inline_value});
    }
  }
  return std::nullopt;
}

} // namespace sv::config_detail

namespace sv {

std::string usage() {
  using namespace config_detail;
  const settings defaults;
  std::ostringstream out;
  out
    << "Usage: streamvisor [--config FILE] [OPTIONS]\n"
       "\n"
       "Streams Binance trades for the configured symbols, keeps a bounded "
       "history\n"
       "per symbol and serves it over HTTP. Settings come from the built-in "
       "defaults,\n"
       "then the TOML file named by --config, then the options below, which "
       "win over\n"
       "the file. Write an option as `--opt VALUE` or `--opt=VALUE`; flags "
       "also take\n"
       "=true or =false. Each option has a config-file key of the same name "
       "in\n"
       "snake_case (--history-trades is history_trades_max); see\n"
       "config/streamvisor.toml for all keys. Per-symbol silence timeouts and\n"
       "large-trade thresholds exist only in the file (tables\n"
       "silence_timeout_s_by_symbol and large_trade_quote_by_symbol).\n"
       "\n"
       "Options:\n";
  // "  --option ARG" padded to 30 columns, the help, and the default in
  // parentheses, which moves to its own line when the whole would pass 80
  // columns.
  static constexpr std::size_t indent = 30;
  static constexpr std::size_t width = 80;
  // NOLINTNEXTLINE(bugprone-easily-swappable-parameters): local, three distinct roles.
  auto line = [&out](std::string_view left, std::string_view help,
                     const std::string& dflt) {
    std::string text = "  " + std::string(left);
    text.resize(std::max(text.size() + 1, indent), ' ');
    text += help;
    if (!dflt.empty()) {
      if (text.size() + 2 + dflt.size() + 1 <= width)
        text += " (" + dflt + ")";
      else
        text += "\n" + std::string(indent, ' ') + "(" + dflt + ")";
    }
    out << text << '\n';
  };
  line("--config FILE", "TOML config file", "default: none");
  line("--help", "print this help and exit", "");
  line("--version", "print the version and exit", "");
  for (const auto& o : option_table) {
    if (o.cli.empty())
      continue;
    if (!o.heading.empty())
      out << '\n' << o.heading << '\n';
    std::string left(o.cli);
    if (!o.arg.empty())
      left += " " + std::string(o.arg);
    std::string dflt;
    switch (o.type) {
      case kind::number:
        dflt = std::to_string(o.range.lo) + ".." + std::to_string(o.range.hi)
               + "; default " + std::to_string(defaults.*o.number);
        break;
      case kind::fraction:
        dflt = "0..1; default " + show_fraction(defaults.*o.real);
        break;
      case kind::symbol_map:
      case kind::quote_map:
        break;
      case kind::windows:
        dflt = "default " + show_windows(defaults.*o.durations);
        break;
      case kind::quote:
        dflt = "default " + show_quote(defaults.*o.e8);
        break;
      case kind::flag:
        dflt = std::string("default ") + (defaults.*o.flag ? "on" : "off");
        break;
      case kind::text:
      case kind::list:
        dflt = "default " + o.show(defaults);
        break;
    }
    line(left, o.help, dflt);
  }
  out << "\n"
         "Lock file: a second streamvisor with the same lock file refuses to "
         "start.\n"
         "Without --lock-file it is $XDG_RUNTIME_DIR/streamvisor.lock when\n"
         "XDG_RUNTIME_DIR names a directory, else "
         "/tmp/streamvisor-<uid>.lock.\n\n"
         "Signals: SIGINT or SIGTERM shut down gracefully (sockets closed with "
         "a\n"
         "close frame); a second one exits at once.\n\n"
         "Exit status: 0 after a graceful shutdown, --help or --version; 1 "
         "when the\n"
         "API address cannot be bound or the transport cannot start; 2 when a "
         "setting\n"
         "is invalid (the message names the option, or the config file, line "
         "and\n"
         "key); 3 when more than --escalate-fraction of the symbols are parked "
         "at\n"
         "once; 130 when a second signal arrives during shutdown.\n";
  return out.str();
}

std::string version_text() {
  return "streamvisor " + version_number();
}

std::string version_number() {
  return SV_VERSION;
}

} // namespace sv
