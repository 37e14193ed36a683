// rest_handler: the simulator's HTTP API (GET /api/v3/aggTrades, /api/v3/depth, /api/v3/ping, /sim/stats, /sim/book) as a pure function.
#include "app/sim/rest_handler.hpp"

#include <optional>

#include "actors/wire/binance_rest.hpp"
#include "app/sim/exchange/depth_json.hpp"
#include "app/sim/exchange/trade_json.hpp"

namespace sv {

namespace {

constexpr std::uint32_t depth_limit_default = 100;
constexpr std::uint32_t depth_limit_max = 5000;

/// A Binance error as the simulator's HTTP answer.
http_reply error_reply(const binance_error& e) {
  return {static_cast<unsigned>(e.status), binance_error_json(e)};
}

/// The symbol parameter checked as Binance checks it (actors/wire/binance_rest):
/// the error reply, or nullopt with `*market` set (nullptr: well-formed but
/// unknown, which callers check last, as Binance validates syntax first).
std::optional<http_reply> symbol_arg(const sim_exchange& ex,
                                     const query_args& args,
                                     const symbol_market** market) {
  std::string symbol;
  if (auto err = read_symbol_arg(args, symbol))
    return error_reply(*err);
  *market = ex.find(symbol);
  return std::nullopt;
}

/// The limit parameter (`fallback` when absent, 1..`max`): the error reply, or
/// nullopt with `*limit` set.
std::optional<http_reply> limit_arg(const query_args& args,
                                    std::uint32_t fallback, std::uint32_t max,
                                    std::size_t* limit) {
  std::uint32_t value = 0;
  if (auto err = read_limit_arg(args, fallback, max, value))
    return error_reply(*err);
  *limit = value;
  return std::nullopt;
}

http_reply agg_trades(const sim_exchange& ex, const query_args& args) {
  agg_trades_request r;
  if (auto err = parse_agg_trades_request(args, r))
    return error_reply(*err);
  const symbol_market* market = ex.find(r.symbol);
  sim_trade_query q;
  q.limit = r.query.limit;
  if (r.query.by_id)
    q.from_id = static_cast<std::int64_t>(r.query.from_id);
  if (r.query.start_ms >= 0)
    q.start_ms = r.query.start_ms;
  if (r.query.end_ms >= 0)
    q.end_ms = r.query.end_ms;
  // Checked after the parameters, as Binance validates syntax before existence.
  if (!market)
    return error_reply(invalid_symbol());
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
    return error_reply(invalid_symbol());
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
  if (const auto* text = find_query_arg(args, "update_id")) {
    update_id = parse_binance_uint(*text);
    if (!update_id)
      return error_reply(illegal_characters("update_id", "^[0-9]{1,20}$"));
  }
  if (!market)
    return error_reply(invalid_symbol());
  const auto& book = market->depth().book();
  auto id = update_id.value_or(book.last_update_id());
  auto snapshot = book.snapshot_at(id, limit);
  if (!snapshot)
    return error_reply({400, -1,
                        "update_id " + std::to_string(id) + " is outside "
                          + std::to_string(book.initial_update_id()) + ".."
                          + std::to_string(book.last_update_id()) + "."});
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
    std::int64_t limit = depth_limit_default;
    if (const auto* text = find_query_arg(args, "limit"))
      limit = parse_binance_uint(*text).value_or(depth_limit_default);
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
