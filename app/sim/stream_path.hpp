// stream_path: which aggTrade streams a WebSocket request path asks for (/ws/... or /stream?streams=...).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

/// The streams one WebSocket connection subscribes to.
struct stream_request {
  bool combined = false;            ///< /stream?streams=: frames wrapped as {"stream":..,"data":..}
  std::vector<std::string> symbols; ///< upper case, no duplicates, request order
};

/// Parses `/ws/<sym>@aggTrade[/<sym>@aggTrade...]` (raw frames) or
/// `/stream` + `streams=<sym>@aggTrade/<sym>@aggTrade` (combined frames). Symbols
/// may be any case; the stream type is the literal "aggTrade". Returns nullopt for
/// any other path, another stream type, an invalid symbol, or no stream at all
/// (the server then answers 404). `query` is the raw query string without '?'.
std::optional<stream_request> parse_stream_path(std::string_view path,
                                                std::string_view query);

} // namespace sv
