// sim_options: streamvisor-sim's command line (parsing, validation, --help text).
#include "app/sim/sim_options.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <string_view>
#include <utility>

#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"
#include "app/command_line.hpp"
#include "app/sim/exchange/sim_exchange.hpp"
#include "app/sim/exchange/trade_generator.hpp"

namespace sv {

namespace {

using problem = std::optional<std::string>;

template <class Int>
bool parse_int(const std::string& text, Int& out, Int lo, Int hi) {
  Int v{};
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (res.ec != std::errc{} || res.ptr != text.data() + text.size() || v < lo
      || v > hi)
    return false;
  out = v;
  return true;
}

bool is_loopback(const std::string& host) {
  return host == "::1" || host == "localhost" || host.rfind("127.", 0) == 0;
}

/// Stores an integer in lo..hi in `Field`.
template <auto Field, auto Lo, auto Hi>
problem set_int(sim_options& o, const std::string& v) {
  return parse_int(v, o.*Field, Lo, Hi) ? problem{} : cli_refused();
}

problem set_host(sim_options& o, const std::string& v) {
  if (!is_loopback(v))
    return std::string{
      "must be a loopback address (127.0.0.1, ::1, localhost)"};
  o.host = v == "localhost" ? "127.0.0.1" : v;
  return {};
}

problem set_symbols(sim_options& o, const std::string& v) {
  std::string_view list = v;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto sym = upper_symbol(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{}
                                           : list.substr(comma + 1);
    if (!valid_symbol(sym))
      return std::string{"has an invalid symbol"};
    o.symbols.push_back(std::move(sym));
  }
  return {};
}

problem set_fault(sim_options& o, const std::string& v) {
  std::string why;
  auto spec = parse_fault_spec(v, why);
  if (!spec)
    return why;
  o.faults.push_back(std::move(*spec));
  return {};
}

problem set_log_level(sim_options& o, const std::string& v) {
  if (!parse_log_level(v))
    return cli_refused();
  o.log_level = v;
  return {};
}

/// Every option: name, value, setter, what it needs, the --help text (lines after the
/// first start at column 25).
const std::array sim_option_table = {
  cli_value_option(
    "--host", "ADDR", set_host, "needs a value",
    "listen address, loopback only: 127.0.0.1 (default), ::1, localhost"),
  cli_value_option("--port", "N", set_int<&sim_options::port, 0, 65535>,
                   "needs a port number 0..65535",
                   "listen port (default 0 = the kernel picks)"),
  cli_value_option(
    "--port-file", "PATH", cli_set_text<&sim_options::port_file, true>,
    "needs a path",
    "also write the port to PATH (written to PATH.tmp, then renamed)"),
  cli_value_option("--cert", "FILE",
                   cli_set_text<&sim_options::cert_file, true>, "needs a file",
                   "PEM certificate; TLS (wss/https) when given with --key"),
  cli_value_option("--key", "FILE", cli_set_text<&sim_options::key_file, true>,
                   "needs a file", "PEM private key"),
  cli_value_option(
    "--seed", "N",
    set_int<&sim_options::seed, std::uint64_t{0},
            std::numeric_limits<std::uint64_t>::max()>,
    "needs a non-negative integer",
    "generator seed (default 1); same seed + symbol = same trades"),
  cli_value_option(
    "--first-id", "N",
    set_int<&sim_options::first_id, std::int64_t{0}, std::int64_t{1} << 60>,
    "needs a non-negative integer below 2^60",
    "first aggregate trade id of every symbol (default 1000000)"),
  cli_value_option(
    "--rate", "N",
    set_int<&sim_options::rate, std::int64_t{0}, std::int64_t{100'000'000}>,
    "needs trades per second 0..100000000",
    "trades per second per symbol (default 10; 0 = as fast as read)"),
  cli_value_option(
    "--count", "N",
    set_int<&sim_options::count, std::int64_t{0}, std::int64_t{1} << 60>,
    "needs a non-negative integer",
    "trades per symbol the exchange ever produces (default unlimited)"),
  cli_flag_option("--close-after-count",
                  cli_set_flag<&sim_options::close_after_count>,
                  "close streams with 1000 once all --count trades were sent"),
  cli_value_option(
    "--replay", "FILE.jsonl", cli_set_text<&sim_options::replay_file, true>,
    "needs a file",
    "send each line of FILE as one text frame to every stream, at --rate"),
  cli_value_option(
    "--rest-history", "N",
    set_int<&sim_options::rest_history, std::size_t{1},
            std::size_t{100'000'000}>,
    "needs an integer 1..100000000",
    "trades kept per symbol for REST and slow streams (default 1000000)"),
  cli_value_option(
    "--symbols", "A,B", set_symbols, "needs a comma-separated list",
    "create these markets at start (REST knows them before any stream)"),
  cli_value_option(
    "--depth-interval-ms", "N",
    set_int<&sim_options::depth_interval_ms, std::int64_t{1},
            std::int64_t{3'600'000}>,
    "needs milliseconds 1..3600000",
    "one depthUpdate per symbol every N ms (default 100; 1..3600000);\n"
    "the stream keeps the name <sym>@depth@100ms whatever N is"),
  cli_value_option(
    "--depth-changes", "N",
    set_int<&sim_options::depth_changes, std::int64_t{1}, std::int64_t{10'000}>,
    "needs an integer 1..10000",
    "mean order-book changes per depth event (default 5; 1..10000);\n"
    "an event groups N-N/2..N+N/2 changes, applied spread over the\n"
    "interval, so a REST snapshot's lastUpdateId can fall inside the\n"
    "next event's U..u"),
  cli_value_option("--log-level", "LEVEL", set_log_level,
                   "needs error|warn|info|debug",
                   "error|warn|info|debug (default info)"),
  cli_value_option(
    "--fault", "MODE[:k=v,...]", set_fault, "needs MODE[:key=value,...]",
    "misbehave on stream connections or REST (repeatable). A connection\n"
    "gets the first matching stream --fault; skip-on-reconnect and REST\n"
    "faults are chosen apart and combine with it. Every mode takes\n"
    "symbol=SYM (only that symbol) and, except REST ones, connections=N\n"
    "(only the first N connections of each symbol).\n"
    "hang-upgrade              accept TCP (and TLS), never answer the upgrade\n"
    "stall-tls                 accept TCP, never finish TLS (no symbol=)\n"
    "reject:status=429,retry_after=7   refuse the upgrade\n"
    "reset-after:frames=N      send N frames, then TCP RST\n"
    "close-after:frames=N,code=1001,reason=TEXT   send N frames, then close\n"
    "silent-after:frames=N     send N frames, then nothing (pings answered)\n"
    "no-first-frame            upgrade, then never send (pings answered)\n"
    "malformed-every:k=K       every K-th frame is truncated JSON (extra)\n"
    "no-pong[:silent=1]        never read the socket: pings go unanswered\n"
    "server-shutdown-after:frames=N,grace_ms=5000   serverShutdown event,\n"
    "                          stream grace_ms more, close 1001\n"
    "skip-on-reconnect:trades=G   on a symbol's 2nd, 3rd.. connection the\n"
    "                          sequence first advances by G trades that\n"
    "                          connection never gets (REST and /sim/stats\n"
    "                          have them): an id gap to backfill.\n"
    "                          connections=N: only the first N reconnects\n"
    "REST faults hit /api/v3/* requests and take count=N (the first N\n"
    "requests, default all) instead of connections=; symbol= matches\n"
    "the request's symbol parameter:\n"
    "rest-429[:count=N,retry_after=S]   HTTP 429, Retry-After: S (default 1),\n"
    "                          {\"code\":-1003,\"msg\":\"Too much request "
    "weight..\"}\n"
    "rest-down[:count=N]       HTTP 503, {\"code\":-1001,\"msg\":\"Internal "
    "error;..\"}\n"
    "drop-depth:after=N[,every=K]   a symbol's depth events 1..N are sent,\n"
    "                          event N+1 is sent to no connection (its\n"
    "                          changes stay in the book: a U gap), then with\n"
    "                          K > 0 every K-th event after it too (default\n"
    "                          0: only one). Events count per symbol from\n"
    "                          its creation (--symbols: launch; else its\n"
    "                          first stream connection). symbol= scopes it;\n"
    "                          no connections=\n"
    "drop-subscription:symbol=S,frames=N   N frames after a connection\n"
    "                          subscribed S's aggTrade, the server drops that\n"
    "                          subscription without a word (its other streams\n"
    "                          go on); connections=K: S's first K "
    "subscriptions"),
  cli_flag_option("--help", cli_set_flag<&sim_options::help>,
                  "print this text and exit", "-h"),
};

/// The column where the --help text of each option starts.
constexpr std::size_t help_column = 25;

} // namespace

std::string sim_usage() {
  return "usage: streamvisor-sim [options]\n"
         "A local Binance-like exchange: aggTrade and diff-depth WebSocket "
         "streams, REST aggTrades\n"
         "and depth snapshots.\n"
         + command_line_usage(sim_option_table, help_column)
         + "Streams: /ws/<sym>@aggTrade, /ws/<sym>@depth@100ms, "
           "/stream?streams=<s1>@aggTrade/<s2>@depth@100ms\n"
           "(any mix; '/' separated), or /ws and /stream without streams, "
           "then\n"
           "SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, "
           "SET_PROPERTY/GET_PROPERTY "
           "combined as\n"
           "Binance answers them; more than 5 client messages in a second or "
           "1024 streams\n"
           "close the connection (1008).\n"
           "REST: GET "
           "/api/v3/aggTrades?symbol=&fromId=&startTime=&endTime=&limit=,\n"
           "/api/v3/depth?symbol=&limit= (1..5000, default 100), /api/v3/ping, "
           "/sim/stats,\n"
           "/sim/book?symbol=&limit=&update_id=L (the book right after update "
           "id L; default: now).\n"
           "Every HTTP answer has X-MBX-USED-WEIGHT-1M: the sim-wide /api/v3/* "
           "request weight of the\n"
           "last 60 s (aggTrades 4, depth 5/25/50/250 for limit "
           "<=100/<=500/<=1000/<=5000, other\n"
           "/api/v3/* 1), this request included.\n"
           "Prints 'listening port=<N> tls=<0|1>' as the first stdout line.\n";
}

sim_options_result parse_sim_options(const std::vector<std::string>& args) {
  sim_options o;
  auto fail = [](std::string msg) {
    return sim_options_result{std::nullopt, std::move(msg)};
  };
  if (auto failure = parse_command_line(sim_option_table, args, o)) {
    if (failure->unknown)
      return fail("unknown option " + failure->option);
    return fail("option " + failure->option + ": " + failure->detail);
  }
  if (o.cert_file.empty() != o.key_file.empty())
    return fail("option --cert and --key must be given together");
  for (const auto& f : o.faults)
    if (!o.cert_file.empty() && f.mode == fault_mode::hang_upgrade
        && !f.symbol.empty())
      return fail(
        "option --fault: hang-upgrade with symbol= needs plain ws (no --cert): "
        "over TLS the path is not known before the fault is chosen");
  for (const auto& f : o.faults)
    if (!o.replay_file.empty() && f.mode == fault_mode::skip_on_reconnect)
      return fail("option --fault: skip-on-reconnect needs generated trades "
                  "(not --replay)");
  return {std::move(o), {}};
}

} // namespace sv
