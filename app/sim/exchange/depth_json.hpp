// depth_json: Binance's exact text for order-book data (depthUpdate event, combined wrapper, REST depth snapshot).
#pragma once

#include <string>
#include <string_view>

#include "app/sim/exchange/sim_order_book.hpp"

namespace sv {

/// Appends the raw `/ws/<sym>@depth@100ms` event with Binance's key order
/// e,E,s,U,u,b,a and 8-decimal price/quantity strings, e.g.
/// {"e":"depthUpdate","E":1,"s":"BNBBTC","U":157,"u":160,"b":[["0.00240000","10.00000000"]],"a":[["0.00260000","0.00000000"]]}.
/// `symbol` must already be upper case.
void append_depth_event(std::string& out, std::string_view symbol,
                        const depth_diff& d);

/// Appends the GET /api/v3/depth body {"lastUpdateId":L,"bids":[["p","q"],...],"asks":[...]}.
void append_depth_snapshot(std::string& out, const book_snapshot& s);

/// The lower-case name of `symbol`'s diff-depth stream ("btcusdt@depth@100ms").
std::string depth_stream_name(std::string_view symbol);

} // namespace sv
