// depth_event_json: Binance's exact text for depth data (depthUpdate event, combined wrapper, price levels).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "messages/depth.hpp"

namespace sv {

/// Appends `[["p","q"],...]` with 8-decimal strings.
void append_price_levels(std::string& out,
                         const std::vector<price_level>& levels);

/// Appends the raw `<symbol>@depth@100ms` event with Binance's key order
/// e,E,s,U,u,b,a, e.g.
/// {"e":"depthUpdate","E":1,"s":"BNBBTC","U":157,"u":160,"b":[["0.00150000","10.00000000"]],"a":[]}.
/// `x.symbol` must be upper case.
void append_depth_event(std::string& out, const depth_update& x);

/// Appends {"stream":"<stream>","data":<event>}; `stream` is the lower-case name.
void append_combined_depth_event(std::string& out, std::string_view stream,
                                 const depth_update& x);

} // namespace sv
