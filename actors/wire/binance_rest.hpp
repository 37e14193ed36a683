// binance_rest: Binance's REST market-data requests and answers (aggTrades, depth) as the mirror serves them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/book.hpp"
#include "messages/trade.hpp"
#include "messages/trade_query.hpp"

namespace sv {

/// Decoded query arguments in request order ("symbol", "BTCUSDT").
using query_args = std::vector<std::pair<std::string, std::string>>;

/// Splits an encoded query ("symbol=BTCUSDT&limit=5") into arguments, each name
/// and value percent-decoded ('+' stays '+': Binance's parameters hold none).
query_args decode_query(std::string_view query);

/// A Binance error answer: HTTP `status` with {"code":C,"msg":"..."}.
struct binance_error {
  int status = 400;
  int code = 0;
  std::string msg;
};

/// `{"code":C,"msg":"..."}`, the message JSON-escaped.
std::string binance_error_json(const binance_error& x);

/// The value of the last `name` in `args`, or null.
const std::string* find_query_arg(const query_args& args,
                                  std::string_view name);

/// ^[0-9]{1,20}$ within int64, as Binance reads ids and times; nullopt otherwise.
std::optional<std::int64_t> parse_binance_uint(std::string_view text);

/// -1100 "Illegal characters found in parameter 'NAME'; legal range is 'RANGE'."
binance_error illegal_characters(std::string_view name, std::string_view range);

/// The mandatory symbol, ^[A-Z0-9-_.]{1,20}$ (-1102 missing, -1100 malformed).
std::optional<binance_error> read_symbol_arg(const query_args& args,
                                             std::string& out);

/// `limit`: `fallback` when absent, else 1..`max` (-1100).
std::optional<binance_error>
read_limit_arg(const query_args& args, std::uint32_t fallback,
               std::uint32_t max, std::uint32_t& out);

/// GET /api/v3/aggTrades's parameters.
struct agg_trades_request {
  std::string symbol; ///< as sent (Binance's symbols are upper case)
  trade_query query;
};

/// Reads aggTrades's parameters by Binance's rules: symbol mandatory
/// ^[A-Z0-9-_.]{1,20}$ (-1102, -1100), limit 1..1000 default 500, fromId,
/// startTime, endTime ^[0-9]{1,20}$ (-1100); fromId with startTime or endTime is
/// -1128 (Binance dropped its one-hour bound on startTime..endTime in 2022). The
/// symbol's
/// existence is the caller's to check (-1121 after these). nullopt: `out` is set.
std::optional<binance_error> parse_agg_trades_request(const query_args& args,
                                                      agg_trades_request& out);

/// GET /api/v3/depth's parameters.
struct depth_request {
  std::string symbol;
  std::uint32_t limit = 100; ///< 1..5000
};

/// Reads depth's parameters: symbol as for aggTrades, limit 1..5000 default 100.
std::optional<binance_error> parse_depth_request(const query_args& args,
                                                 depth_request& out);

/// `{"code":-1121,"msg":"Invalid symbol."}` with HTTP 400.
binance_error invalid_symbol();

/// Appends `[row,...]`, each row as Binance writes it (agg_trade_json).
void append_agg_trades_json(std::string& out, const std::vector<trade>& rows);

/// `{"lastUpdateId":L,"bids":[["p","q"],...],"asks":[...]}` of `book`'s levels.
std::string depth_snapshot_json(const book_view& book);

} // namespace sv
