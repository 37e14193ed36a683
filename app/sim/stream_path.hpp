// stream_path: which streams a WebSocket request path asks for (/ws/... or /stream?streams=...).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/stream_kind.hpp"

namespace sv {

/// One stream of a connection.
struct stream_ref {
  std::string symbol;                        ///< upper case
  stream_kind kind = stream_kind::agg_trade; ///< what it carries
};

/// The streams one WebSocket connection subscribes to.
struct stream_request {
  bool combined
    = false; ///< /stream?streams=: frames wrapped as {"stream":..,"data":..}
  std::vector<std::string>
    symbols; ///< upper case, no duplicates, request order (every kind)
  std::vector<stream_ref> streams; ///< no duplicates, request order
};

/// Parses `/ws/<stream>[/<stream>...]` (raw frames) or `/stream` +
/// `streams=<stream>/<stream>...` (combined frames), where a stream is
/// `<sym>@aggTrade` or `<sym>@depth@100ms`. Symbols may be any case; the stream type
/// is literal. `/ws`, `/ws/` and `/stream` without streams are valid: the client
/// subscribes with SUBSCRIBE. Returns nullopt for any other path, another stream
/// type (`@depth` without `@100ms` included) or an invalid symbol (the server then
/// answers 404). `query` is the raw query string without '?'.
std::optional<stream_request> parse_stream_path(std::string_view path,
                                                std::string_view query);

/// One stream name as in a path or a SUBSCRIBE: `<sym>@aggTrade` or
/// `<sym>@depth@100ms`, symbol in any case; nullopt for anything else.
std::optional<stream_ref> parse_stream_name(std::string_view name);

} // namespace sv
