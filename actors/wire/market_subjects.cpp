// market_subjects: the bus subjects and message ids streamvisor publishes market data under.
#include "actors/wire/market_subjects.hpp"

#include <limits>

#include "actors/wire/agg_trade_json.hpp"
#include "actors/wire/api_json.hpp"
#include "actors/wire/binance_rest.hpp"
#include "actors/wire/depth_event_json.hpp"
#include "actors/wire/native_feed_json.hpp"

namespace sv {

namespace {

/// md.binance.spot.<symbol>.<kind>
std::string subject_of(std::string_view symbol, std::string_view kind) {
  std::string out;
  out.reserve(market_subject_root.size() + symbol.size() + 1 + kind.size());
  out.append(market_subject_root).append(symbol).append(".").append(kind);
  return out;
}

/// binance.spot.<symbol>.<kind>.<ordinal>: one id scheme for every message
/// that has one, its ordinal last (ordinal_of_msg_id reads it back).
std::string msg_id_of(std::string_view symbol, std::string_view kind,
                      std::uint64_t ordinal) {
  std::string out = "binance.spot.";
  out.append(symbol).append(".").append(kind).append(".").append(
    std::to_string(ordinal));
  return out;
}

} // namespace

std::string trade_subject(std::string_view symbol) {
  return subject_of(symbol, "trade");
}

std::string trade_msg_id(std::string_view symbol, std::uint64_t agg_id) {
  return msg_id_of(symbol, "trade", agg_id);
}

std::string book_subject(std::string_view symbol) {
  return subject_of(symbol, "book");
}

market_message book_delta_message(const depth_update& x) {
  market_message out;
  out.subject = book_subject(x.symbol);
  out.msg_id = msg_id_of(x.symbol, "book", x.final_update_id);
  append_depth_event(out.payload, x);
  out.ordinal = x.final_update_id;
  out.time_ms = x.event_time_ms;
  return out;
}

market_message book_snapshot_message(const book_view& book) {
  market_message out;
  out.subject = book_subject(book.symbol);
  out.msg_id = msg_id_of(book.symbol, "book.snap", book.last_update_id);
  out.payload = depth_snapshot_json(book);
  out.ordinal = book.last_update_id;
  out.time_ms = book.last_event_time_ms;
  return out;
}

// The subject's order: whose bar, then which interval.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
std::string bar_subject(std::string_view symbol, std::string_view interval) {
  std::string kind = "bar.";
  kind.append(interval);
  return subject_of(symbol, kind);
}

market_message bar_message(std::string_view symbol, std::string_view interval,
                           const bar& x) {
  market_message out;
  std::string kind = "bar.";
  kind.append(interval);
  out.subject = subject_of(symbol, kind);
  auto open_ms = static_cast<std::uint64_t>(x.open_ms);
  out.msg_id = msg_id_of(symbol, kind, open_ms);
  append_bar_object(out.payload, symbol, interval, x);
  out.ordinal = open_ms;
  out.time_ms = x.open_ms + x.interval_ms - 1;
  return out;
}

std::string metrics_subject(std::string_view symbol) {
  return subject_of(symbol, "metrics");
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
