// trade_json: Binance's exact text for an aggregate trade (stream event, combined wrapper, REST row).
#include "app/sim/exchange/trade_json.hpp"

#include "actors/wire/agg_trade_json.hpp"
#include "app/sim/exchange/stream_json.hpp"

namespace sv {

namespace {

/// `t` as streamvisor's trade: the simulator writes with streamvisor's writer,
/// so the two cannot drift apart.
trade as_trade(std::string_view symbol, const sim_trade& t) {
  trade x;
  x.symbol.assign(symbol.data(), symbol.size());
  x.agg_id = static_cast<std::uint64_t>(t.a);
  x.first_id = static_cast<std::uint64_t>(t.f);
  x.last_id = static_cast<std::uint64_t>(t.l);
  x.price_e8 = t.price_e8;
  x.qty_e8 = t.qty_e8;
  x.trade_time_ms = t.trade_ms;
  x.event_time_ms = t.event_ms;
  x.buyer_is_maker = t.m;
  return x;
}

} // namespace

void append_agg_trade_event(std::string& out, std::string_view symbol,
                            const sim_trade& t) {
  append_agg_trade_event(out, as_trade(symbol, t));
}

void append_combined_agg_trade(std::string& out, std::string_view stream,
                               std::string_view symbol, const sim_trade& t) {
  append_combined_agg_trade(out, stream, as_trade(symbol, t));
}

void append_rest_row(std::string& out, const sim_trade& t) {
  append_agg_trade_row(out, as_trade("", t));
}

std::string agg_trade_stream_name(std::string_view symbol) {
  return stream_name(symbol, "@aggTrade");
}

} // namespace sv
