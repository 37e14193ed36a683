// publisher_status: what the JetStream publisher reports for /status and /metrics (data only).
#pragma once

#include <cstdint>
#include <string>

#include "messages/metrics.hpp"

namespace sv {

/// The publisher's counters since start and its state now (docs/scale-out.md).
/// Every message taken by publish() ends in exactly one of acked, dropped or
/// expired, or is still queued or in flight.
struct publisher_status {
  std::string url;             ///< the NATS server (credentials left out)
  std::string stream;          ///< the JetStream stream
  bool connected = false;      ///< the connection is up now
  bool stream_ready = false;   ///< the stream exists with the configured limits
  std::uint64_t queued = 0;    ///< taken, not yet sent (bounded by buffer_max)
  std::uint64_t in_flight = 0; ///< sent, ack not yet in
  std::uint64_t buffer_max = 0; ///< nats_buffer_max: queued + in_flight at most
  std::uint64_t published = 0;  ///< publishes sent, replays included
  std::uint64_t acked = 0;      ///< messages the stream acknowledged
  /// Of acked: the stream already held the id (another instance, or a replay
  /// of a message whose first ack was lost), so it stored nothing.
  std::uint64_t duplicates = 0;
  std::uint64_t republished
    = 0; ///< sent again after an ack error or a disconnect
  std::uint64_t ack_errors = 0; ///< acks that failed (timeout, refused)
  /// Lost: the oldest queued messages when the buffer was full.
  std::uint64_t dropped = 0;
  /// Not sent: messages older than 90 % of the duplicate window (by their event
  /// time) whose subject's last message in the stream already had their id or a
  /// later one: sending them could store an id twice. Lost only where the stream
  /// skipped that id for good.
  std::uint64_t expired = 0;
  std::uint64_t disconnects = 0; ///< the connection to NATS was lost
  std::uint64_t reconnects = 0;  ///< and came back
  std::string last_error;        ///< the last failure, empty if none
  /// Live trades: the transport's read of the frame to the stream's ack.
  latency_snapshot ack_latency;
};

} // namespace sv
