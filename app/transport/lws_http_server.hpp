// lws_http_server: the HTTP/1.1 API server (own lws context, own service thread) behind http_responder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>

#include "actors/seams/feed_writer.hpp"
#include "actors/seams/http_responder.hpp"

namespace sv {

/// Settings of an lws_http_server; fixed for its lifetime.
struct lws_http_server_options {
  /// Listen address: an IPv4 or IPv6 literal ("127.0.0.1", "::1", "0.0.0.0").
  std::string host = "127.0.0.1";
  /// TCP port; 0 lets the kernel pick one (read it back with port()).
  std::uint16_t port = 0;
  /// A request the api actor has not answered after this long gets 504
  /// {"error":"timeout"}.
  unsigned request_timeout_ms = 5000;
  /// Requests waiting for the api actor at once; one more gets 503
  /// {"error":"busy"}.
  std::size_t pending_requests_max = 256;
  /// Clients connected at once. A further one is accepted, answered 503
  /// {"error":"too many clients"} and closed at once (counted in
  /// lws_http_server_stats::refused). Every client can hold one lws header table,
  /// so the pool has clients_max + 16 of them and cannot run dry while this holds.
  std::size_t clients_max = 1024;
  /// A connection without a complete request header this long after it was
  /// accepted is closed (counted in header_timeouts). A later request on a
  /// keep-alive connection has lws's header-table idle timeout, this rounded up to
  /// whole seconds.
  unsigned header_timeout_ms = 5000;
  /// A keep-alive connection without a new request for this long is closed (lws's
  /// keepalive_timeout).
  unsigned idle_timeout_s = 30;
  /// After accept() fails for lack of descriptors or memory (EMFILE, ENFILE,
  /// ENOBUFS, ENOMEM) the listen socket is not polled for this long; waiting
  /// clients stay in the kernel's backlog.
  unsigned accept_pause_ms = 500;
  /// Feed clients (WebSocket on /ws and /stream): frames queued for one client
  /// beyond what its socket took. Past either bound the client is closed with 1008
  /// "slow consumer: ..." (feed_queue_bytes_max, feed_queue_age_ms).
  std::size_t feed_queue_bytes_max = 8U << 20U;
  unsigned feed_queue_age_ms = 10000;
  /// Feed clients are pinged after this long without a pong (Binance: 20 s) ...
  std::uint16_t feed_ping_interval_s = 20;
  /// ... and dropped when no pong came this long after the ping (Binance: 60 s).
  std::uint16_t feed_pong_timeout_s = 60;
  /// A feed client's message (a control request) longer than this closes it 1009.
  std::size_t feed_message_bytes_max = 4096;
};

/// Counters of an lws_http_server since start(); any thread.
struct lws_http_server_stats {
  std::uint64_t clients = 0;         ///< connected now
  std::uint64_t accepted = 0;        ///< accepted and served
  std::uint64_t refused = 0;         ///< over clients_max: 503 and closed
  std::uint64_t header_timeouts = 0; ///< closed without a complete header
  std::uint64_t accept_failures = 0; ///< accept() errors that paused accepting
};

/// A small HTTP/1.1 JSON API server on its own libwebsockets context and service
/// thread, so a stalled feed thread never stalls the API.
///
/// Each complete GET becomes `caf::anon_send(api, http_request{...})`; the api actor
/// answers through respond(). `http_request::path` is the percent-decoded path (lws
/// also folds "//" and "/../"); `query` is rebuilt from lws's decoded arguments as
/// `name=value&...` with '&', '=' (in values after the first), '%', '+', '#', ' '
/// and non-printable bytes percent-encoded again, so decoding it gives what the
/// client meant ('+' has already become a space, as in form encoding). Any other
/// method gets 405 and the connection is closed.
///
/// Descriptors and slow clients (docs/operations.md, "Descriptors"): the server
/// accepts on its own listen socket (lws watches it as a raw descriptor), so it
/// decides what happens at the limits: beyond clients_max a client gets 503 and is
/// closed; when accept() fails for lack of descriptors the listen socket rests for
/// accept_pause_ms instead of being retried in a busy loop (lws 4.1.6's own
/// listener logs "accept: errno 24" and retries at once, forever); a connection
/// that sends no complete header within header_timeout_ms is closed.
///
/// WebSocket: with a feed actor given to start(), an upgrade on /ws, /ws/... or
/// /stream is accepted and the connection becomes a feed client: lws_http_server
/// reports feed_opened, feed_text and feed_closed to the feed actor and writes what
/// it sends through feed_writer, each client from its own bounded queue. Any other
/// upgrade gets 404.
///
/// Threads: start() and stop() from the owner thread; respond(), send(), close()
/// and port() from any thread; those never block (they queue and wake the service
/// thread).
class lws_http_server final : public http_responder, public feed_writer {
public:
  /// Owner thread. Does not listen yet.
  explicit lws_http_server(lws_http_server_options options = {});

  /// Owner thread. Calls stop().
  ~lws_http_server() override;

  lws_http_server(const lws_http_server&) = delete;
  lws_http_server& operator=(const lws_http_server&) = delete;

  /// Owner thread, once. Listens and starts the service thread; requests go to
  /// `api`, held weakly (a request arriving after `api` is gone gets 503).
  /// Returns false, after logging why, if the address cannot be bound.
  bool start(const caf::actor& api);

  /// As start(api), with WebSocket feed clients reported to `feed` (held weakly).
  bool start(const caf::actor& api, const caf::actor& feed);

  /// Owner thread, idempotent. Stops serving, closes all connections (pending
  /// requests are dropped unanswered) and joins the service thread. Later
  /// respond() calls are ignored.
  void stop();

  /// Any thread. The bound port after a successful start(), else 0.
  std::uint16_t port() const;

  /// Any thread. The counters so far.
  [[nodiscard]] lws_http_server_stats stats() const;

  /// Any thread, never blocks. See http_responder::respond.
  using http_responder::respond;
  void respond(std::uint64_t req_id, int status, std::string body,
               media_type type) override;

  /// Any thread, never blocks. See feed_writer.
  void send(std::uint64_t client, std::vector<feed_frame> frames) override;
  /// Any thread, never blocks long (one mutex). See feed_writer.
  [[nodiscard]] std::size_t backlog_bytes(std::uint64_t client) const override;
  void close(std::uint64_t client, std::uint16_t code,
             std::string reason) override;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace sv
