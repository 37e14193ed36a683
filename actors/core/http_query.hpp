// http_query: the HTTP API's request-target parsing (path segments, the count parameter,
// and the query re-encoding the server applies); pure, shared by the server, the api
// actor and fuzz/http_query_fuzz.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

/// Splits `path` at '/' into its non-empty segments ("/symbols//BTCUSDT/" ->
/// {"symbols", "BTCUSDT"}). The views point into `path`, which must outlive them.
/// Pure; any thread.
std::vector<std::string_view> split_path(std::string_view path);

/// Parses a query made only of "<name>=N" pairs separated by '&' (the one parameter
/// /trades, /large_trades and /book take: limit, limit, depth); empty pairs are
/// skipped and the last pair wins. On success sets `limit` (left unchanged when the
/// query holds no pair) and returns true. Returns false with `why` (one line naming
/// the parameter) on another name or a value that is not an integer in
/// 1..`limit_max`. Pure; any thread.
bool parse_count_query(std::string_view query, std::string_view name,
                       std::uint32_t limit_max, std::uint32_t& limit,
                       std::string& why);

/// Appends `s` to `out`, percent-encoding (%XX, upper-case hex) every byte
/// that would change the meaning of a query string: controls, space, bytes >= 0x7f,
/// '&', '%', '+', '#', and '=' when `encode_equals`. Pure; any thread.
void append_query_encoded(std::string& out, std::string_view s,
                          bool encode_equals);

} // namespace sv
