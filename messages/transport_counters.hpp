// transport_counters: what the transports count outside any actor, for /status (data only).
#pragma once

#include <cstdint>

namespace sv {

/// Process-wide counters of the stream/REST client and of the API's HTTP server,
/// since start. Peer input they refuse never reaches an actor, so /status takes
/// these from the transports themselves.
struct transport_counters {
  std::uint64_t binary_frames
    = 0; ///< binary WebSocket frames received and dropped
  std::uint64_t oversize_messages
    = 0; ///< text messages over the bound: each closed its connection with 1009
  std::uint64_t invalid_utf8_messages
    = 0; ///< text messages that were not UTF-8: each closed with 1007
  std::uint64_t oversize_rest_bodies
    = 0; ///< REST answers refused for a body over rest_body_bytes_max
  std::uint64_t api_clients = 0; ///< API connections open now
  std::uint64_t api_refused = 0; ///< API clients over the cap: 503 and closed
  std::uint64_t api_header_timeouts
    = 0; ///< API connections closed without a complete request header
  std::uint64_t api_accept_failures
    = 0; ///< accept() errors (e.g. EMFILE) that paused accepting
};

} // namespace sv
