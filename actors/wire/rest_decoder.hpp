// rest_decoder: parses Binance REST bodies (aggTrades rows, error objects).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "messages/trade.hpp"

namespace sv {

/// Parses a `GET /api/v3/aggTrades` body, `[{"a":..,"p":"..","q":"..","f":..,"l":..,
/// "T":..,"m":..,"M":..}, ...]`, into trades of `symbol` (`E` is set to `T`: rows
/// carry no event time; T must be below 10^16, as on the stream). Returns false
/// with `error` naming the row and field on anything malformed; `out` is then
/// unspecified. Never throws.
bool decode_agg_trades(std::string_view body, const std::string& symbol,
                       std::vector<trade>& out, std::string& error);

/// "code -1003: Too much request weight used; ..." for a Binance error body, else
/// the first 200 bytes of `body`.
std::string describe_rest_error(std::string_view body);

} // namespace sv
