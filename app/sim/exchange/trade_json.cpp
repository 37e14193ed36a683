// trade_json: Binance's exact text for an aggregate trade (stream event, combined wrapper, REST row).
#include "app/sim/exchange/trade_json.hpp"

#include "actors/core/decimal.hpp"
#include "app/sim/exchange/stream_json.hpp"

namespace sv {

namespace {

void append_quoted_e8(std::string& out, std::int64_t v) {
  out.push_back('"');
  append_e8(out, v);
  out.push_back('"');
}

/// The fields shared by the stream event and the REST row, from "a" to "M".
void append_trade_fields(std::string& out, const sim_trade& t) {
  out += "\"a\":";
  append_int(out, t.a);
  out += ",\"p\":";
  append_quoted_e8(out, t.price_e8);
  out += ",\"q\":";
  append_quoted_e8(out, t.qty_e8);
  out += ",\"f\":";
  append_int(out, t.f);
  out += ",\"l\":";
  append_int(out, t.l);
  out += ",\"T\":";
  append_int(out, t.trade_ms);
  out += t.m ? ",\"m\":true" : ",\"m\":false";
  // Binance always sends M=true ("was the trade the best price match").
  out += ",\"M\":true}";
}

} // namespace

void append_agg_trade_event(std::string& out, std::string_view symbol,
                            const sim_trade& t) {
  out += "{\"e\":\"aggTrade\",\"E\":";
  append_int(out, t.event_ms);
  out += ",\"s\":\"";
  out += symbol;
  out += "\",";
  append_trade_fields(out, t);
}

void append_combined_agg_trade(std::string& out, std::string_view stream,
                               std::string_view symbol, const sim_trade& t) {
  append_combined(out, stream, [&](std::string& o) {
    append_agg_trade_event(o, symbol, t);
  });
}

void append_rest_row(std::string& out, const sim_trade& t) {
  out.push_back('{');
  append_trade_fields(out, t);
}

std::string agg_trade_stream_name(std::string_view symbol) {
  return stream_name(symbol, "@aggTrade");
}

} // namespace sv
