// trade_json: Binance's exact text for an aggregate trade (stream event, combined wrapper, REST row).
#pragma once

#include <string>
#include <string_view>

#include "app/sim/exchange/trade_generator.hpp"

namespace sv {

/// Appends the raw `/ws/<sym>@aggTrade` event with Binance's key order
/// e,E,s,a,p,q,f,l,T,m,M and 8-decimal price/quantity strings, e.g.
/// {"e":"aggTrade","E":2,"s":"BTCUSDT","a":1,"p":"60000.01000000","q":"0.00100000","f":5,"l":5,"T":1,"m":true,"M":true}.
/// `symbol` must already be upper case.
void append_agg_trade_event(std::string& out, std::string_view symbol,
                            const sim_trade& t);

/// Appends the combined-stream form {"stream":"<stream>","data":<event>}; `stream`
/// is the lower-case stream name ("btcusdt@aggTrade").
void append_combined_agg_trade(std::string& out, std::string_view stream,
                               std::string_view symbol, const sim_trade& t);

/// Appends one REST `/api/v3/aggTrades` row: {"a":..,"p":"..","q":"..","f":..,"l":..,"T":..,"m":..,"M":true}.
void append_rest_row(std::string& out, const sim_trade& t);

/// The lower-case stream name of `symbol`'s aggTrade stream ("btcusdt@aggTrade").
std::string agg_trade_stream_name(std::string_view symbol);

} // namespace sv
