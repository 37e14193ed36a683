// rest_handler: the simulator's HTTP API (GET /api/v3/aggTrades, /api/v3/depth, /api/v3/ping, /sim/stats, /sim/book) as a pure function.
#include "app/sim/rest_handler.hpp"

#include <optional>

#include "app/sim/exchange/depth_json.hpp"
#include "app/sim/exchange/trade_json.hpp"

namespace sv {

namespace {

constexpr std::int64_t limit_default = 500;
constexpr std::int64_t limit_max = 1000;
constexpr std::int64_t depth_limit_default = 100;
constexpr std::int64_t depth_limit_max = 5000;

http_reply binance_error(int code, const std::string& msg) {
  return {400,
          "{\"code\":" + std::to_string(code) + ",\"msg\":\"" + msg + "\"}"};
}

const std::string* find_arg(const query_args& args, std::string_view name) {
  const std::string* found = nullptr;
  for (const auto& [k, v] : args)
    if (k == name)
      found = &v; // the last occurrence wins
  return found;
}

/// Parses ^[0-9]{1,20}$ into a non-negative int64; nullopt if malformed or too big.
std::optional<std::int64_t> parse_uint(std::string_view text) {
  constexpr std::size_t digits_max = 20;
  if (text.empty() || text.size() > digits_max)
    return std::nullopt;
  std::uint64_t acc = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    auto d = static_cast<std::uint64_t>(c - '0');
    if (acc > (static_cast<std::uint64_t>(INT64_MAX) - d) / 10)
      return std::nullopt;
    acc = acc * 10 + d;
  }
  return static_cast<std::int64_t>(acc);
}

http_reply illegal_chars(std::string_view name) {
  return binance_error(-1100, "Illegal characters found in parameter '"
                                + std::string(name)
                                + "'; legal range is '^[0-9]{1,20}$'.");
}

/// The symbol parameter checked as aggTrades checks it: the error reply, or nullopt
/// with `*market` set (nullptr: well-formed but unknown, which callers check last).
std::optional<http_reply> symbol_arg(const sim_exchange& ex,
                                     const query_args& args,
                                     const symbol_market** market) {
  const auto* symbol = find_arg(args, "symbol");
  if (!symbol || symbol->empty())
    return binance_error(-1102,
                         "Mandatory parameter 'symbol' was not sent, was "
                         "empty/null, or malformed.");
  if (!valid_symbol(*symbol))
    return binance_error(-1100,
                         "Illegal characters found in parameter 'symbol'; "
                         "legal range is '^[A-Z0-9-_.]{1,20}$'.");
  *market = ex.find(*symbol);
  return std::nullopt;
}

/// The limit parameter (`fallback` when absent, 1..`max`): the error reply, or
/// nullopt with `*limit` set.
std::optional<http_reply> limit_arg(const query_args& args,
                                    std::int64_t fallback, std::int64_t max,
                                    std::size_t* limit) {
  *limit = static_cast<std::size_t>(fallback);
  if (const auto* text = find_arg(args, "limit")) {
    auto v = parse_uint(*text);
    if (!v)
      return illegal_chars("limit");
    if (*v < 1 || *v > max)
      return binance_error(-1100,
                           "Illegal characters found in parameter 'limit'; "
                           "legal range is '1.."
                             + std::to_string(max) + "'.");
    *limit = static_cast<std::size_t>(*v);
  }
  return std::nullopt;
}

http_reply agg_trades(const sim_exchange& ex, const query_args& args) {
  const symbol_market* market = nullptr;
  if (auto err = symbol_arg(ex, args, &market))
    return *err;
  trade_query q;
  if (auto err = limit_arg(args, limit_default, limit_max, &q.limit))
    return *err;
  struct bound {
    const char* name;
    std::optional<std::int64_t>* field;
  };
  for (auto b : {bound{"fromId", &q.from_id}, bound{"startTime", &q.start_ms},
                 bound{"endTime", &q.end_ms}}) {
    if (const auto* text = find_arg(args, b.name)) {
      auto v = parse_uint(*text);
      if (!v)
        return illegal_chars(b.name);
      *b.field = v;
    }
  }
  // Checked after the parameters, as Binance validates syntax before existence.
  if (!market)
    return binance_error(-1121, "Invalid symbol.");
  std::string body = "[";
  bool first = true;
  for (const auto& t : market->select(q)) {
    if (!first)
      body.push_back(',');
    first = false;
    append_rest_row(body, t);
  }
  body.push_back(']');
  return {200, std::move(body)};
}

http_reply depth(const sim_exchange& ex, const query_args& args) {
  const symbol_market* market = nullptr;
  if (auto err = symbol_arg(ex, args, &market))
    return *err;
  std::size_t limit = 0;
  if (auto err = limit_arg(args, depth_limit_default, depth_limit_max, &limit))
    return *err;
  if (!market)
    return binance_error(-1121, "Invalid symbol.");
  std::string body;
  append_depth_snapshot(body, market->depth().book().snapshot(limit));
  return {200, std::move(body)};
}

http_reply sim_book(const sim_exchange& ex, const query_args& args) {
  const symbol_market* market = nullptr;
  if (auto err = symbol_arg(ex, args, &market))
    return *err;
  std::size_t limit = 0;
  if (auto err = limit_arg(args, depth_limit_default, depth_limit_max, &limit))
    return *err;
  std::optional<std::int64_t> update_id;
  if (const auto* text = find_arg(args, "update_id")) {
    update_id = parse_uint(*text);
    if (!update_id)
      return illegal_chars("update_id");
  }
  if (!market)
    return binance_error(-1121, "Invalid symbol.");
  const auto& book = market->depth().book();
  auto id = update_id.value_or(book.last_update_id());
  auto snapshot = book.snapshot_at(id, limit);
  if (!snapshot)
    return binance_error(-1, "update_id " + std::to_string(id) + " is outside "
                               + std::to_string(book.initial_update_id()) + ".."
                               + std::to_string(book.last_update_id()) + ".");
  std::string body;
  append_depth_snapshot(body, *snapshot);
  return {200, std::move(body)};
}

} // namespace

query_args parse_query(std::string_view query) {
  query_args out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{}
                                          : query.substr(amp + 1);
    if (part.empty())
      continue;
    auto eq = part.find('=');
    if (eq == std::string_view::npos)
      out.emplace_back(std::string(part), std::string());
    else
      out.emplace_back(std::string(part.substr(0, eq)),
                       std::string(part.substr(eq + 1)));
  }
  return out;
}

bool is_rest_api_path(std::string_view path) noexcept {
  return path.substr(0, 8) == "/api/v3/";
}

int depth_request_weight(std::int64_t limit) noexcept {
  if (limit <= 100)
    return 5;
  if (limit <= 500)
    return 25;
  if (limit <= 1000)
    return 50;
  return 250;
}

int rest_request_weight(std::string_view path,
                        const query_args& args) noexcept {
  if (path == "/api/v3/aggTrades")
    return 4;
  if (path == "/api/v3/depth") {
    auto limit = depth_limit_default;
    if (const auto* text = find_arg(args, "limit"))
      limit = parse_uint(*text).value_or(depth_limit_default);
    return depth_request_weight(limit);
  }
  return is_rest_api_path(path) ? 1 : 0;
}

http_reply rest_fault_reply(const fault_spec& f) {
  if (f.mode == fault_mode::rest_429)
    return {429,
            "{\"code\":-1003,\"msg\":\"Too much request weight used; current "
            "limit is 6000 "
            "request weight per 1 MINUTE. Please use WebSocket Streams for "
            "live updates to "
            "avoid polling the API.\"}",
            f.retry_after_s};
  return {
    503,
    "{\"code\":-1001,\"msg\":\"Internal error; unable to process your request. "
    "Please try again.\"}",
    -1};
}

std::int64_t weight_window::add(std::int64_t now_ms, int weight) {
  if (weight > 0) {
    entries_.push_back({now_ms, weight});
    sum_ += weight;
  }
  return used(now_ms);
}

std::int64_t weight_window::used(std::int64_t now_ms) {
  while (!entries_.empty() && entries_.front().ms <= now_ms - window_ms) {
    sum_ -= entries_.front().weight;
    entries_.pop_front();
  }
  return sum_;
}

http_reply handle_rest(const sim_exchange& ex, std::string_view path,
                       const query_args& args) {
  if (path == "/api/v3/aggTrades")
    return agg_trades(ex, args);
  if (path == "/api/v3/depth")
    return depth(ex, args);
  if (path == "/api/v3/ping")
    return {200, "{}"};
  if (path == "/sim/book")
    return sim_book(ex, args);
  if (path == "/sim/stats")
    return {200, ex.stats_json()};
  return {404, "{\"code\":-1,\"msg\":\"Unknown path.\"}"};
}

} // namespace sv
