// stream_kind: which Binance stream a child subscribes to; text only at the config, JSON and log edges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

/// The streams streamvisor subscribes to per symbol. Ordered as their text is
/// ("aggTrade" < "depth").
enum class stream_kind : std::uint8_t {
  agg_trade, ///< "aggTrade": aggregate trades, for the symbol's aggregator
  depth,     ///< "depth": 100 ms order-book diffs, for the symbol's book actor
};

/// Number of stream_kind values (tables indexed by stream_kind have this size).
constexpr std::size_t stream_kind_count = 2;

/// The config's, the API's and the logs' name of `x`: "aggTrade", "depth".
/// Also what CAF's deep_to_string shows.
constexpr const char* to_string(stream_kind x) {
  switch (x) {
    case stream_kind::agg_trade:
      return "aggTrade";
    case stream_kind::depth:
      return "depth";
  }
  return "unknown";
}

/// The Binance stream name of `stream`: depth subscribes to the 100 ms diff
/// stream "depth@100ms"; aggTrade is used as it is named.
inline std::string binance_stream_name(stream_kind stream) {
  return stream == stream_kind::depth ? "depth@100ms" : to_string(stream);
}

/// The stream named exactly `text` ("aggTrade" or "depth", case-sensitive, as
/// the config spells it); nullopt for anything else.
constexpr std::optional<stream_kind> parse_stream_kind(std::string_view text) {
  for (auto x : {stream_kind::agg_trade, stream_kind::depth})
    if (text == to_string(x))
      return x;
  return std::nullopt;
}

/// The names of `xs` joined by ',' ("aggTrade,depth"), as --streams takes them.
inline std::string join_streams(const std::vector<stream_kind>& xs) {
  std::string result;
  for (auto x : xs)
    result += (result.empty() ? "" : ",") + std::string{to_string(x)};
  return result;
}

} // namespace sv
