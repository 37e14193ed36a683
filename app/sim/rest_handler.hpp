// rest_handler: the simulator's HTTP API (GET /api/v3/aggTrades, /api/v3/ping, /sim/stats) as a pure function.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/sim/sim_exchange.hpp"

namespace sv {

/// Decoded query arguments in request order ("symbol", "BTCUSDT").
using query_args = std::vector<std::pair<std::string, std::string>>;

/// An HTTP answer; the body is always JSON.
struct http_reply {
  unsigned status = 200; ///< HTTP status code
  std::string body;      ///< JSON document
};

/// Splits "a=1&b=2" (already percent-decoded or plain) into arguments.
query_args parse_query(std::string_view query);

/// Answers GET `path` with `args`. /api/v3/aggTrades follows Binance: limit 1..1000
/// (default 500), fromId/startTime/endTime ^[0-9]{1,20}$, errors as HTTP 400 with
/// {"code":-1100|-1102|-1121,"msg":..}; a symbol no client subscribed to (and not
/// listed in --symbols) is -1121 "Invalid symbol.". Unknown paths get 404. Reads
/// `ex` only; lws service thread.
http_reply handle_rest(const sim_exchange& ex, std::string_view path,
                       const query_args& args);

} // namespace sv
