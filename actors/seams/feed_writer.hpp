// feed_writer: the seam through which the feed actor writes to its WebSocket clients.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sv {

/// One text message to a feed client. Shared: a trade's frame is written once and
/// queued for every client of its stream.
using feed_frame = std::shared_ptr<const std::string>;

/// Delivers the feed actor's frames. Implemented by the libwebsockets API server
/// (app/transport/lws_http_server) and by a recording fake in tests.
///
/// The transport owns each client's queue: it closes a client whose queue passes
/// its bounds (bytes or age) with 1008 and reports feed_closed, so a slow client
/// never holds up the feed actor, ingestion or the other clients.
class feed_writer {
public:
  feed_writer() = default;
  virtual ~feed_writer() = default;
  feed_writer(const feed_writer&) = delete;
  feed_writer& operator=(const feed_writer&) = delete;
  feed_writer(feed_writer&&) = delete;
  feed_writer& operator=(feed_writer&&) = delete;

  /// Any thread, never blocks. Queues `frames` for `client` after what was queued
  /// before. A client that is gone or closing is ignored.
  virtual void send(std::uint64_t client, std::vector<feed_frame> frames) = 0;

  /// Any thread, never blocks. Bytes queued for `client` and not yet written to
  /// its socket, 0 for a client that is gone. It may trail the latest send and
  /// write by a moment: the native feed reads it to conflate a slow client's book
  /// and metrics, never to decide anything about trades.
  [[nodiscard]] virtual std::size_t
  backlog_bytes(std::uint64_t client) const = 0;

  /// Any thread, never blocks. Closes `client` with `code` and `reason` (at most
  /// 123 bytes) once the frames queued before have gone out. The transport then
  /// reports feed_closed.
  virtual void
  close(std::uint64_t client, std::uint16_t code, std::string reason)
    = 0;
};

} // namespace sv
