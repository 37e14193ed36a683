// feed_path: which feed a WebSocket upgrade's path reaches (the transport and the feed
// actor read paths through this one function).
#pragma once

#include <string_view>

namespace sv {

enum class feed_path_kind {
  none,     ///< not a feed path: the upgrade is refused 404
  raw,      ///< /ws, /ws/<stream>[/<stream>...]: Binance's raw frames
  combined, ///< /stream[?streams=...]: Binance's {"stream":..,"data":..}
  native,   ///< /v1/feed: the native feed (docs/feed.md)
};

inline feed_path_kind feed_path_of(std::string_view path) {
  if (path == "/ws" || path.substr(0, 4) == "/ws/")
    return feed_path_kind::raw;
  if (path == "/stream" || path == "/stream/")
    return feed_path_kind::combined;
  if (path == "/v1/feed")
    return feed_path_kind::native;
  return feed_path_kind::none;
}

} // namespace sv
