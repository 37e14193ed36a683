// market_publisher: the seam through which the feed actor hands market data to a message bus.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/publisher_status.hpp"

namespace sv {

/// One message for the bus: a subject, an id that is the same on every instance
/// that publishes the same event (the bus stores each id once), and the payload.
struct market_message {
  std::string subject; ///< md.binance.spot.<SYMBOL>.trade
  std::string msg_id;  ///< binance.spot.<SYMBOL>.trade.<a>; empty: no de-dup
  std::string payload; ///< the event's JSON text
  /// The number that ends msg_id, ascending per subject (a trade's aggregate id);
  /// 0: none. With it the publisher can ask the bus whether an old message is
  /// already stored (the bus keeps a subject's messages in this order).
  std::uint64_t ordinal = 0;
  std::int64_t time_ms
    = 0; ///< the event's exchange time, Unix ms (a trade's T)
  /// Steady-clock time its frame was read (latency origin); 0: not timed
  /// (a backfilled trade).
  std::int64_t recv_ns = 0;
};

/// Publishes market data. Implemented over NATS JetStream (app/publish/) and by a
/// recording fake in tests.
///
/// The implementation owns a bounded buffer: when the bus is slow or down it keeps
/// the unpublished tail, in order, up to its bound, and counts what it loses, so a
/// slow bus never holds up the feed actor or ingestion.
class market_publisher {
public:
  market_publisher() = default;
  virtual ~market_publisher() = default;
  market_publisher(const market_publisher&) = delete;
  market_publisher& operator=(const market_publisher&) = delete;
  market_publisher(market_publisher&&) = delete;
  market_publisher& operator=(market_publisher&&) = delete;

  /// Any thread, never blocks on I/O. Publishes `messages` in order, after those
  /// handed over before.
  virtual void publish(std::vector<market_message> messages) = 0;

  /// Any thread, never blocks on I/O.
  [[nodiscard]] virtual publisher_status status() const = 0;
};

} // namespace sv
