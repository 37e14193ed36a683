// sim_options: streamvisor-sim's command line (parsing, validation, --help text).
#include "app/sim/sim_options.hpp"

#include <charconv>
#include <limits>

#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"
#include "app/sim/exchange/sim_exchange.hpp"
#include "app/sim/exchange/trade_generator.hpp"

namespace sv {

namespace {

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

} // namespace

std::string sim_usage() {
  return "usage: streamvisor-sim [options]\n"
         "A local Binance-like exchange: aggTrade and diff-depth WebSocket "
         "streams, REST aggTrades\n"
         "and depth snapshots.\n"
         "  --host ADDR            listen address, loopback only: 127.0.0.1 "
         "(default), ::1, localhost\n"
         "  --port N               listen port (default 0 = the kernel picks)\n"
         "  --port-file PATH       also write the port to PATH (written to "
         "PATH.tmp, then renamed)\n"
         "  --cert FILE            PEM certificate; TLS (wss/https) when given "
         "with --key\n"
         "  --key FILE             PEM private key\n"
         "  --seed N               generator seed (default 1); same seed + "
         "symbol = same trades\n"
         "  --first-id N           first aggregate trade id of every symbol "
         "(default 1000000)\n"
         "  --rate N               trades per second per symbol (default 10; 0 "
         "= as fast as read)\n"
         "  --count N              trades per symbol the exchange ever "
         "produces (default unlimited)\n"
         "  --close-after-count    close streams with 1000 once all --count "
         "trades were sent\n"
         "  --replay FILE.jsonl    send each line of FILE as one text frame to "
         "every stream, at --rate\n"
         "  --rest-history N       trades kept per symbol for REST and slow "
         "streams (default 1000000)\n"
         "  --symbols A,B          create these markets at start (REST knows "
         "them before any stream)\n"
         "  --depth-interval-ms N  one depthUpdate per symbol every N ms "
         "(default 100; 1..3600000);\n"
         "                         the stream keeps the name <sym>@depth@100ms "
         "whatever N is\n"
         "  --depth-changes N      mean order-book changes per depth event "
         "(default 5; 1..10000);\n"
         "                         an event groups N-N/2..N+N/2 changes, "
         "applied spread over the\n"
         "                         interval, so a REST snapshot's lastUpdateId "
         "can fall inside the\n"
         "                         next event's U..u\n"
         "  --log-level LEVEL      error|warn|info|debug (default info)\n"
         "  --fault MODE[:k=v,...] misbehave on stream connections or REST "
         "(repeatable). A connection\n"
         "                         gets the first matching stream --fault; "
         "skip-on-reconnect and REST\n"
         "                         faults are chosen apart and combine with "
         "it. Every mode takes\n"
         "                         symbol=SYM (only that symbol) and, except "
         "REST ones, connections=N\n"
         "                         (only the first N connections of each "
         "symbol).\n"
         "                         hang-upgrade              accept TCP (and "
         "TLS), never answer the upgrade\n"
         "                         stall-tls                 accept TCP, never "
         "finish TLS (no symbol=)\n"
         "                         reject:status=429,retry_after=7   refuse "
         "the upgrade\n"
         "                         reset-after:frames=N      send N frames, "
         "then TCP RST\n"
         "                         close-after:frames=N,code=1001,reason=TEXT  "
         " send N frames, then close\n"
         "                         silent-after:frames=N     send N frames, "
         "then nothing (pings answered)\n"
         "                         no-first-frame            upgrade, then "
         "never send (pings answered)\n"
         "                         malformed-every:k=K       every K-th frame "
         "is truncated JSON (extra)\n"
         "                         no-pong[:silent=1]        never read the "
         "socket: pings go unanswered\n"
         "                         "
         "server-shutdown-after:frames=N,grace_ms=5000   serverShutdown "
         "event,\n"
         "                                                   stream grace_ms "
         "more, close 1001\n"
         "                         skip-on-reconnect:trades=G   on a symbol's "
         "2nd, 3rd.. connection the\n"
         "                                                   sequence first "
         "advances by G trades that\n"
         "                                                   connection never "
         "gets (REST and /sim/stats\n"
         "                                                   have them): an id "
         "gap to backfill.\n"
         "                                                   connections=N: "
         "only the first N reconnects\n"
         "                         REST faults hit /api/v3/* requests and take "
         "count=N (the first N\n"
         "                         requests, default all) instead of "
         "connections=; symbol= matches\n"
         "                         the request's symbol parameter:\n"
         "                         rest-429[:count=N,retry_after=S]   HTTP "
         "429, Retry-After: S (default 1),\n"
         "                                                   "
         "{\"code\":-1003,\"msg\":\"Too much request weight..\"}\n"
         "                         rest-down[:count=N]       HTTP 503, "
         "{\"code\":-1001,\"msg\":\"Internal error;..\"}\n"
         "                         drop-depth:after=N[,every=K]   a symbol's "
         "depth events 1..N are sent,\n"
         "                                                   event N+1 is sent "
         "to no connection (its\n"
         "                                                   changes stay in "
         "the book: a U gap), then with\n"
         "                                                   K > 0 every K-th "
         "event after it too (default\n"
         "                                                   0: only one). "
         "Events count per symbol from\n"
         "                                                   its creation "
         "(--symbols: launch; else its\n"
         "                                                   first stream "
         "connection). symbol= scopes it;\n"
         "                                                   no connections=\n"
         "  --help                 print this text and exit\n"
         "Streams: /ws/<sym>@aggTrade, /ws/<sym>@depth@100ms, "
         "/stream?streams=<s1>@aggTrade/<s2>@depth@100ms\n"
         "(any mix; '/' separated).\n"
         "REST: GET "
         "/api/v3/aggTrades?symbol=&fromId=&startTime=&endTime=&limit=,\n"
         "/api/v3/depth?symbol=&limit= (1..5000, default 100), /api/v3/ping, "
         "/sim/stats,\n"
         "/sim/book?symbol=&limit=&update_id=L (the book right after update id "
         "L; default: now).\n"
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
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> inline_value;
    if (auto eq = name.find('=');
        name.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    auto flag = [&](bool& field) {
      if (inline_value)
        return false;
      field = true;
      return true;
    };
    std::string value;
    auto take = [&]() {
      if (inline_value) {
        value = *inline_value;
        return true;
      }
      if (i + 1 >= args.size())
        return false;
      value = args[++i];
      return true;
    };
    auto bad = [&](const char* why) {
      return fail("option " + name + ": " + why);
    };
    if (name == "--help" || name == "-h") {
      if (!flag(o.help))
        return bad("takes no value");
    } else if (name == "--close-after-count") {
      if (!flag(o.close_after_count))
        return bad("takes no value");
    } else if (name == "--host") {
      if (!take())
        return bad("needs a value");
      if (!is_loopback(value))
        return bad("must be a loopback address (127.0.0.1, ::1, localhost)");
      o.host = value == "localhost" ? "127.0.0.1" : value;
    } else if (name == "--port") {
      if (!take() || !parse_int(value, o.port, 0, 65535))
        return bad("needs a port number 0..65535");
    } else if (name == "--port-file") {
      if (!take() || value.empty())
        return bad("needs a path");
      o.port_file = value;
    } else if (name == "--cert") {
      if (!take() || value.empty())
        return bad("needs a file");
      o.cert_file = value;
    } else if (name == "--key") {
      if (!take() || value.empty())
        return bad("needs a file");
      o.key_file = value;
    } else if (name == "--seed") {
      if (!take()
          || !parse_int(value, o.seed, std::uint64_t{0},
                        std::numeric_limits<std::uint64_t>::max()))
        return bad("needs a non-negative integer");
    } else if (name == "--first-id") {
      if (!take()
          || !parse_int(value, o.first_id, std::int64_t{0},
                        std::int64_t{1} << 60))
        return bad("needs a non-negative integer below 2^60");
    } else if (name == "--rate") {
      if (!take()
          || !parse_int(value, o.rate, std::int64_t{0},
                        std::int64_t{100'000'000}))
        return bad("needs trades per second 0..100000000");
    } else if (name == "--count") {
      if (!take()
          || !parse_int(value, o.count, std::int64_t{0}, std::int64_t{1} << 60))
        return bad("needs a non-negative integer");
    } else if (name == "--replay") {
      if (!take() || value.empty())
        return bad("needs a file");
      o.replay_file = value;
    } else if (name == "--rest-history") {
      if (!take()
          || !parse_int(value, o.rest_history, std::size_t{1},
                        std::size_t{100'000'000}))
        return bad("needs an integer 1..100000000");
    } else if (name == "--symbols") {
      if (!take())
        return bad("needs a comma-separated list");
      std::string_view list = value;
      while (!list.empty()) {
        auto comma = list.find(',');
        auto sym = upper_symbol(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{}
                                               : list.substr(comma + 1);
        if (!valid_symbol(sym))
          return bad("has an invalid symbol");
        o.symbols.push_back(std::move(sym));
      }
    } else if (name == "--depth-interval-ms") {
      if (!take()
          || !parse_int(value, o.depth_interval_ms, std::int64_t{1},
                        std::int64_t{3'600'000}))
        return bad("needs milliseconds 1..3600000");
    } else if (name == "--depth-changes") {
      if (!take()
          || !parse_int(value, o.depth_changes, std::int64_t{1},
                        std::int64_t{10'000}))
        return bad("needs an integer 1..10000");
    } else if (name == "--fault") {
      if (!take())
        return bad("needs MODE[:key=value,...]");
      std::string why;
      auto spec = parse_fault_spec(value, why);
      if (!spec)
        return bad(why.c_str());
      o.faults.push_back(std::move(*spec));
    } else if (name == "--log-level") {
      if (!take() || !parse_log_level(value))
        return bad("needs error|warn|info|debug");
      o.log_level = value;
    } else {
      return fail("unknown option " + name);
    }
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
