// agg_trade_json: Binance's exact text for an aggregate trade (stream event, combined wrapper, REST row).
#include "actors/wire/agg_trade_json.hpp"

#include <array>
#include <charconv>
#include <cstdint>

#include "actors/core/decimal.hpp"
#include "actors/wire/json_text.hpp"

namespace sv {

namespace {

/// The fields shared by the stream event and the REST row, from "a" to "M}".
void append_trade_fields(std::string& out, const trade& x) {
  out += "\"a\":";
  append_number(out, x.agg_id);
  out += ",\"p\":";
  append_quoted_e8(out, x.price_e8);
  out += ",\"q\":";
  append_quoted_e8(out, x.qty_e8);
  out += ",\"f\":";
  append_number(out, x.first_id);
  out += ",\"l\":";
  append_number(out, x.last_id);
  out += ",\"T\":";
  append_number(out, x.trade_time_ms);
  out += x.buyer_is_maker ? ",\"m\":true" : ",\"m\":false";
  // Binance always sends M=true ("was the trade the best price match").
  out += ",\"M\":true}";
}

} // namespace

void append_agg_trade_event(std::string& out, const trade& x) {
  out += R"({"e":"aggTrade","E":)";
  append_number(out, x.event_time_ms);
  out += R"(,"s":")";
  out += x.symbol;
  out += "\",";
  append_trade_fields(out, x);
}

void append_combined_agg_trade(std::string& out, std::string_view stream,
                               const trade& x) {
  out += R"({"stream":")";
  out += stream;
  out += R"(","data":)";
  append_agg_trade_event(out, x);
  out.push_back('}');
}

void append_agg_trade_row(std::string& out, const trade& x) {
  out.push_back('{');
  append_trade_fields(out, x);
}

} // namespace sv
