// agg_trade_json: Binance's exact text for an aggregate trade (stream event, combined wrapper, REST row).
#pragma once

#include <string>
#include <string_view>

#include "messages/trade.hpp"

namespace sv {

/// Appends the raw `<symbol>@aggTrade` event with Binance's key order
/// e,E,s,a,p,q,f,l,T,m,M and 8-decimal price and quantity strings, e.g.
/// {"e":"aggTrade","E":2,"s":"BTCUSDT","a":1,"p":"60000.01000000","q":"0.00100000","f":5,"l":5,"T":1,"m":true,"M":true}.
/// `x.symbol` must be upper case. Binance always sends M=true.
void append_agg_trade_event(std::string& out, const trade& x);

/// Appends the combined-stream form {"stream":"<stream>","data":<event>};
/// `stream` is the lower-case stream name ("btcusdt@aggTrade").
void append_combined_agg_trade(std::string& out, std::string_view stream,
                               const trade& x);

/// Appends one REST `/api/v3/aggTrades` row:
/// {"a":..,"p":"..","q":"..","f":..,"l":..,"T":..,"m":..,"M":true}.
void append_agg_trade_row(std::string& out, const trade& x);

} // namespace sv
