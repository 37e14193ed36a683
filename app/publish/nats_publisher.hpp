// nats_publisher: market data published to a NATS JetStream stream, in order, acked, replayed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/seams/market_publisher.hpp"

namespace sv {

/// What the publisher connects to and how much it keeps (docs/scale-out.md).
struct nats_publisher_config {
  std::string url;                   ///< nats_url, e.g. nats://127.0.0.1:4222
  std::string stream = "MARKETDATA"; ///< nats_stream, subjects md.>
  std::uint32_t duplicate_window_s
    = 120;                         ///< the stream's de-duplication window
  std::uint32_t age_s_max = 86400; ///< the stream's MaxAge; 0: no limit
  std::uint32_t mb_max = 0; ///< the stream's MaxBytes in MiB; 0: no limit
  std::uint32_t buffer_max = 1000000; ///< messages queued and in flight at most
  std::uint32_t ack_wait_ms = 5000;   ///< an ack not in by then is an error
  std::uint32_t in_flight_max = 16384; ///< publishes awaiting their ack at most
};

/// Publishes to JetStream on one thread of its own, which owns the connection.
///
/// publish() appends to a bounded queue and returns. The thread sends in order,
/// each message with its id (Nats-Msg-Id) and ExpectStream, and keeps it until
/// its ack. After an ack error or a disconnect it stops sending, waits until
/// every ack in flight is in or timed out and the connection is back, makes sure
/// the stream exists, and sends the failed messages again, in order, before the
/// rest: the stream's de-duplication window makes the replay store each id once.
/// The library does not reconnect by itself (it would flush publishes it buffered
/// ahead of the replay); this thread does.
///
/// A message older than 90 % of the duplicate window (by its event time) may be
/// in the stream from longer ago than the window, where a copy is stored again:
/// it is sent only if the stream's last message of its subject has a lower
/// ordinal (asked with js_GetLastMsg, then kept from the acks), else counted as
/// expired. So a late instance, or a replay after a long NATS outage, stores
/// nothing twice and still sends what the stream lacks at its end.
///
/// What it loses, counted and logged: the oldest queued messages when queued +
/// in flight reach buffer_max.
class nats_publisher final : public market_publisher {
public:
  explicit nats_publisher(nats_publisher_config cfg);
  ~nats_publisher() override; ///< stop(0) if still running
  nats_publisher(const nats_publisher&) = delete;
  nats_publisher& operator=(const nats_publisher&) = delete;
  nats_publisher(nats_publisher&&) = delete;
  nats_publisher& operator=(nats_publisher&&) = delete;

  /// Starts the thread; it connects (retrying each second until stop) and
  /// creates or updates the stream. Call once.
  void start();

  /// Waits at most `drain` for what is queued and in flight to be acked, then
  /// closes the connection and joins the thread. Idempotent.
  void stop(std::chrono::milliseconds drain);

  void publish(std::vector<market_message> messages) override;
  [[nodiscard]] publisher_status status() const override;

  struct impl; ///< libnats stays in the .cpp

private:
  std::unique_ptr<impl> impl_;
};

/// `url` with any user:password@ left out, for logs and /status.
std::string url_without_credentials(const std::string& url);

} // namespace sv
