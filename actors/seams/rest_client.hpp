// rest_client: the seam between actors and HTTPS GET requests to the exchange's REST API.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>

#include "actors/seams/endpoint.hpp"

namespace sv {

/// Where one REST request goes: `http[s]://host:port` + base path + `target`.
struct rest_target {
  /// https (certificate and host name verified) or http; host (also SNI and verified
  /// name), TCP port and the base path the request target starts with.
  endpoint server;
  /// Path and query under server.base_path, e.g.
  /// "/api/v3/aggTrades?symbol=BTCUSDT&fromId=5&limit=1000".
  std::string target;
};

/// Issues HTTP GET requests on behalf of actors.
///
/// Contract (kept by the libwebsockets implementation in app/transport/ and by the
/// fake in tests/support/):
/// - Every call is thread-safe and never blocks on the network.
/// - After get(id, ...), the listener receives exactly one `rest_response{id, ...}`
///   through caf::anon_send: with the HTTP status, the Retry-After and
///   X-MBX-USED-WEIGHT-1M headers and the body, or with status 0 and an error text
///   (refused, TLS failure, timeout after timeout_ms, transport stopped).
/// - The client never retries and holds the listener weakly.
/// - TLS rules are the WebSocket client's: verification on unless `insecure`.
class rest_client {
public:
  virtual ~rest_client() = default;

  /// Starts `GET target.server.base_path + target.target` on `target.server`; the
  /// answer goes to `listener`.
  virtual void
  get(std::uint64_t id, const rest_target& target, const caf::actor& listener)
    = 0;
};

} // namespace sv
