// ws_client: the seam between connection actors and the WebSocket transport.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>

#include "actors/seams/endpoint.hpp"

namespace sv {

/// Where one WebSocket connection goes: `ws[s]://host:port` + base path + `path`.
struct ws_target {
  /// wss:// (TLS, certificate and host name verified) or ws://; host (also the SNI and
  /// verified host name), TCP port and the base path the request path starts with.
  endpoint server;
  /// Request path under server.base_path incl. query, e.g. "/ws/btcusdt@aggTrade".
  std::string path;
};

/// Opens and closes WebSocket client connections on behalf of actors.
///
/// Contract (the fake in tests/support/ and the libwebsockets implementation in
/// app/transport/ both keep it):
/// - Every call is thread-safe and never blocks on the network.
/// - After open(id, ...), the listener receives, through caf::anon_send and in this
///   order: at most one `ws_opened{id}`, zero or more `ws_frames{id, ...}` (only after
///   ws_opened), and exactly one `ws_closed{id, ...}`, whatever the cause.
/// - The transport never retries and never keeps the listener alive (it holds a weak
///   reference); events for a listener that is gone are dropped.
/// - A second open() with an id that is still live is refused: ws_closed follows at
///   once with reason "duplicate connection id" and the live connection is untouched.
class ws_client {
public:
  virtual ~ws_client() = default;

  /// Starts connecting to `target`; events for `id` go to `listener`.
  virtual void
  open(std::uint64_t id, const ws_target& target, const caf::actor& listener)
    = 0;

  /// Sends a close frame (code 1000) if `id` is open, aborts it if it is still
  /// connecting; `ws_closed` follows either way. Unknown or finished id: no-op.
  virtual void close(std::uint64_t id) = 0;

  /// Queues `text` as one text frame on `id`. Frames go out in the order of the
  /// calls, once the upgrade is done (calls made while connecting wait for it).
  /// Unknown, finished or closing id: dropped (ws_closed says why the connection
  /// ended). A connection whose unsent frames pass the transport's bound is
  /// closed, with that as the ws_closed reason: the caller paces what it sends.
  virtual void send(std::uint64_t id, std::string text) = 0;
};

} // namespace sv
