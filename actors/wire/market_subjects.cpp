// market_subjects: the bus subjects and message ids streamvisor publishes market data under.
#include "actors/wire/market_subjects.hpp"

#include "actors/wire/agg_trade_json.hpp"

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

market_message trade_message(const trade& x, std::int64_t recv_ns) {
  market_message out;
  out.subject = trade_subject(x.symbol);
  out.msg_id = trade_msg_id(x.symbol, x.agg_id);
  out.payload.reserve(192);
  append_agg_trade_event(out.payload, x);
  out.recv_ns = recv_ns;
  return out;
}

} // namespace sv
