// rest_handler: the simulator's HTTP API (GET /api/v3/aggTrades, /api/v3/depth, /api/v3/ping, /sim/stats, /sim/book) as a pure function.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/sim/exchange/fault_spec.hpp"
#include "app/sim/exchange/sim_exchange.hpp"

namespace sv {

/// Decoded query arguments in request order ("symbol", "BTCUSDT").
using query_args = std::vector<std::pair<std::string, std::string>>;

/// An HTTP answer; the body is always JSON.
struct http_reply {
  unsigned status = 200;           ///< HTTP status code
  std::string body;                ///< JSON document
  std::int64_t retry_after_s = -1; ///< Retry-After header in seconds; -1 = none
};

/// Splits "a=1&b=2" (already percent-decoded or plain) into arguments.
query_args parse_query(std::string_view query);

/// Answers GET `path` with `args`. /api/v3/aggTrades follows Binance: limit 1..1000
/// (default 500), fromId/startTime/endTime ^[0-9]{1,20}$, errors as HTTP 400 with
/// {"code":-1100|-1102|-1121,"msg":..}; a symbol no client subscribed to (and not
/// listed in --symbols) is -1121 "Invalid symbol.". /api/v3/depth follows Binance
/// too: limit 1..5000 (default 100), the best `limit` levels per side and the id of
/// the last change applied, {"lastUpdateId":L,"bids":[["p","q"],..],"asks":[..]},
/// with the same errors. /sim/book (symbol, limit as for depth, update_id
/// ^[0-9]{1,20}$, default the current id) answers the same shape for the book as it
/// was right after update_id, or HTTP 400 {"code":-1,"msg":..} when update_id is
/// below the initial book's id or above the last change applied. Unknown paths get
/// 404. Reads `ex` only; lws service thread.
http_reply handle_rest(const sim_exchange& ex, std::string_view path,
                       const query_args& args);

/// True for the paths the REST faults, counters and request weight cover: /api/v3/*.
bool is_rest_api_path(std::string_view path) noexcept;

/// Binance's request weight of `path` with `args`: /api/v3/aggTrades 4,
/// /api/v3/depth depth_request_weight(limit) (a limit that is absent or not a
/// number counts as the default 100), any other /api/v3/* path (ping, unknown) 1,
/// anything else (/sim/stats, /sim/book) 0.
int rest_request_weight(std::string_view path,
                        const query_args& args = {}) noexcept;

/// Binance's weight of GET /api/v3/depth by limit: 1..100 5, 101..500 25,
/// 501..1000 50, above 1000 250.
int depth_request_weight(std::int64_t limit) noexcept;

/// The answer a REST fault gives instead of serving the request: rest_429 is HTTP
/// 429 with Retry-After and Binance's -1003 body; rest_down is HTTP 503 with
/// {"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}.
http_reply rest_fault_reply(const fault_spec& f);

/// Request weight used in the last minute, sim-wide (what Binance reports per IP
/// in X-MBX-USED-WEIGHT-1M). Not thread-safe.
class weight_window {
public:
  /// Adds `weight` at `now_ms` (a monotonic clock) and returns the weight used in
  /// (now_ms - 60000, now_ms], this request included.
  std::int64_t add(std::int64_t now_ms, int weight);

  /// The weight used in (now_ms - 60000, now_ms].
  std::int64_t used(std::int64_t now_ms);

  static constexpr std::int64_t window_ms = 60'000;

private:
  struct entry {
    std::int64_t ms;
    int weight;
  };
  std::deque<entry> entries_;
  std::int64_t sum_ = 0;
};

} // namespace sv
