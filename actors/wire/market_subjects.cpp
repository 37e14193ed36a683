// market_subjects: the bus subjects and message ids streamvisor publishes market data under.
#include "actors/wire/market_subjects.hpp"

#include <limits>

#include "actors/wire/agg_trade_json.hpp"
#include "actors/wire/api_json.hpp"
#include "actors/wire/binance_rest.hpp"
#include "actors/wire/depth_event_json.hpp"

namespace sv {

std::string trade_subject(std::string_view symbol) {
  std::string out;
  out.reserve(market_subject_root.size() + symbol.size() + 6);
  out.append(market_subject_root).append(symbol).append(".trade");
  return out;
}

std::string trade_msg_id(std::string_view symbol, std::uint64_t agg_id) {
  std::string out = "binance.spot.";
  out.append(symbol).append(".trade.").append(std::to_string(agg_id));
  return out;
}

std::string book_subject(std::string_view symbol) {
  std::string out;
  out.append(market_subject_root).append(symbol).append(".book");
  return out;
}

market_message book_delta_message(const depth_update& x) {
  market_message out;
  out.subject = book_subject(x.symbol);
  out.msg_id = "binance.spot.";
  out.msg_id.append(x.symbol).append(".book.").append(
    std::to_string(x.final_update_id));
  append_depth_event(out.payload, x);
  out.ordinal = x.final_update_id;
  out.time_ms = x.event_time_ms;
  return out;
}

market_message book_snapshot_message(const book_view& book) {
  market_message out;
  out.subject = book_subject(book.symbol);
  out.msg_id = "binance.spot.";
  out.msg_id.append(book.symbol)
    .append(".book.snap.")
    .append(std::to_string(book.last_update_id));
  out.payload = depth_snapshot_json(book);
  out.ordinal = book.last_update_id;
  out.time_ms = book.last_event_time_ms;
  return out;
}

std::string metrics_subject(std::string_view symbol) {
  std::string out;
  out.append(market_subject_root).append(symbol).append(".metrics");
  return out;
}

market_message metrics_message(const metrics_snapshot& m) {
  market_message out;
  out.subject = metrics_subject(m.symbol);
  out.payload = metrics_json(m);
  return out;
}

std::uint64_t ordinal_of_msg_id(std::string_view msg_id) {
  auto dot = msg_id.rfind('.');
  auto digits = dot == std::string_view::npos ? msg_id : msg_id.substr(dot + 1);
  if (digits.empty())
    return 0;
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t out = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return 0;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (out > (max - digit) / 10)
      return 0; // past 64 bits: not an ordinal
    out = out * 10 + digit;
  }
  return out;
}

market_message trade_message(const trade& x, std::int64_t recv_ns) {
  market_message out;
  out.subject = trade_subject(x.symbol);
  out.msg_id = trade_msg_id(x.symbol, x.agg_id);
  out.payload.reserve(192);
  append_agg_trade_event(out.payload, x);
  out.recv_ns = recv_ns;
  out.ordinal = x.agg_id;
  out.time_ms = x.trade_time_ms;
  return out;
}

} // namespace sv
