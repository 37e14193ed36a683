// lws_client: the libwebsockets implementation of ws_client and rest_client (one context, one service thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/seams/rest_client.hpp"
#include "actors/seams/ws_client.hpp"

namespace sv {

/// Settings of an lws_client; fixed for its lifetime.
struct lws_client_options {
  /// Extra PEM bundle of trusted CAs. On this build (lws 4.1.6 with
  /// LWS_SSL_CLIENT_USE_OS_CA_CERTS) it is ADDED to the system CA store: lws first
  /// loads the OS default paths, then this file (verified by a test). Empty: system
  /// store only.
  std::string ca_file;
  /// Disables certificate verification (self-signed, unknown CA, expired, wrong
  /// host name all accepted). For local test servers only; logged as a warning.
  bool insecure = false;
  /// lws's per-phase timeout (TCP connect, TLS, HTTP upgrade). A second line of
  /// defence: the connection actor owns the real connect timeout.
  unsigned handshake_timeout_s = 10;
  /// lws pings an open connection after this many seconds without a valid PONG.
  /// Binance pings us itself; this only catches a dead TCP path.
  std::uint16_t ping_after_s = 30;
  /// lws drops a connection that has not been valid (PONG or handshake) for this
  /// long; must be greater than ping_after_s or lws never pings.
  std::uint16_t hangup_after_s = 60;
  /// Frames read are handed to the actors about once per this many ms (at least
  /// this minus 1 ms apart: lws polls in whole ms), every connection's at once,
  /// so one CAF wake-up carries many reads (waking a sleeping worker costs more
  /// than a quiet socket's frame). A frame waits at most this long; 0 hands them
  /// over after every service pass. The batch bounds below still send at once.
  std::uint32_t delivery_interval_ms = 0;
  /// A connection's pending ws_frames is sent early when it holds this many frames.
  std::size_t batch_frames_max = 4096;
  /// ... or this many payload bytes (1 MiB = 1 << 20).
  std::size_t batch_bytes_max = std::size_t{1} << 20;
  /// Bound of the open/close/send/get command queue between callers and the
  /// service thread.
  std::size_t commands_max = 4096;
  /// Bound of a connection's send() frames not yet written (1 MiB); past it the
  /// connection is closed with 1008 (the peer does not read, or the caller does
  /// not pace). Control messages are a few KB and at most a few per second.
  std::size_t send_bytes_max = std::size_t{1} << 20;
  /// Largest reassembled text message (16 MiB = 16 << 20); one of exactly this
  /// size is delivered. A bigger one is never buffered: it is detected from the
  /// frame headers at its first chunk that passes the bound, the rest of it is
  /// dropped, the connection is closed with 1009 and its ws_closed reason is
  /// "message too large (N bytes > limit M)".
  std::size_t message_bytes_max = std::size_t{16} << 20;
  /// A REST request that has no complete response this long after get() is
  /// answered with status 0, error "timeout", and its connection is aborted.
  /// Enforced by an lws timer on the service thread (millisecond resolution);
  /// lws's own handshake_timeout_s may end a silent connection first.
  std::uint32_t rest_timeout_ms = 10000;
  /// Largest REST response body (16 MiB = 16 << 20). A bigger one aborts the
  /// request's connection and is answered with status 0, error "response body
  /// too large (N bytes > limit M)"; with a Content-Length that says so, before
  /// any of the body is read.
  std::size_t rest_body_bytes_max = std::size_t{16} << 20;
  /// Descriptors lws sizes this context's tables for (fd_limit_per_thread); a
  /// connection beyond it fails like a refused one. 0: lws's default, the whole
  /// RLIMIT_NOFILE (main raises it, maybe to a million: 16 MB of tables).
  unsigned fd_limit = 0;
};

/// Counters for tests and status pages; read from any thread.
struct lws_client_stats {
  std::uint64_t frames = 0;        ///< complete text frames delivered
  std::uint64_t batches = 0;       ///< ws_frames messages sent
  std::uint64_t binary_frames = 0; ///< binary frames received and ignored
  std::uint64_t oversize_messages
    = 0; ///< text messages over message_bytes_max (each closed its connection)
  std::uint64_t invalid_utf8_messages
    = 0; ///< text messages that were not UTF-8 (each closed its connection, 1007)
  std::uint64_t rest_responses
    = 0; ///< rest_response messages sent (any outcome)
  std::uint64_t oversize_rest_bodies
    = 0; ///< REST responses refused for a body over rest_body_bytes_max
};

/// Opens WebSocket client connections and issues REST GETs on one libwebsockets
/// context serviced by one thread it owns, so all exchange traffic shares one
/// thread and one set of TLS rules.
///
/// Keeps the ws_client contract (see actors/ws_client.hpp): per open(), at most
/// one ws_opened, then ws_frames, then exactly one ws_closed, also when the
/// connection fails synchronously (DNS), times out without an lws error callback,
/// or is torn down by stop().
///
/// Keeps the rest_client contract (see actors/rest_client.hpp): per get(), exactly
/// one rest_response, whichever comes first of the complete response (any status,
/// with its body), a connection or TLS error, rest_timeout_ms, or stop(). One
/// HTTP/1.1 connection per request (ALPN "http/1.1", no keep-alive, redirects are
/// not followed: a 3xx is a response). REST ids are their own id space, separate
/// from WebSocket connection ids.
///
/// Threads: open(), close(), stats() and stop() may be called from any thread and
/// never block on the network (stop() joins the service thread). Callers only push
/// commands onto a bounded, mutex-guarded queue and wake the service thread with
/// lws_cancel_service(); every other lws call happens on the service thread.
class lws_client final : public ws_client, public rest_client {
public:
  /// Owner thread. Creates the lws context and starts the service thread. Throws
  /// std::runtime_error if lws cannot create the context (e.g. unreadable ca_file).
  /// route_lws_logs() should have been called before.
  explicit lws_client(lws_client_options options = {});

  /// Owner thread. Calls stop().
  ~lws_client() override;

  lws_client(const lws_client&) = delete;
  lws_client& operator=(const lws_client&) = delete;

  /// Any thread. Queues a connect; events for `id` go to `listener` (held weakly).
  /// If the queue is full or the client is stopped, ws_closed is sent at once from
  /// the calling thread (reason "transport command queue full" / "transport
  /// stopped").
  void open(std::uint64_t id, const ws_target& target,
            const caf::actor& listener) override;

  /// Any thread. Queues a close: code 1000 if open, abort if still connecting.
  /// Unknown or finished id, or after stop(): no-op.
  void close(std::uint64_t id) override;

  /// Any thread. Queues `text` as one text frame on `id` (see ws_client::send);
  /// written on CLIENT_WRITEABLE, one frame per callback, in order. If the
  /// command queue is full the frame is dropped and logged (send_dropped).
  void send(std::uint64_t id, std::string text) override;

  /// Any thread. Queues `GET target.server.base_path + target.target` on the server's
  /// host:port (https if target.server.tls, verified unless options.insecure); the one
  /// rest_response for `id` goes to `listener` (held weakly). Headers read: status, Retry-After
  /// (delta-seconds only) and X-MBX-USED-WEIGHT-1M. If the queue is full or the
  /// client is stopped, the rest_response (status 0, error "transport command
  /// queue full" / "transport stopped") is sent at once from the calling thread.
  /// An id whose connection still exists (also briefly after its timeout answer,
  /// until lws has torn the socket down) is answered with error "duplicate
  /// request id"; use a fresh id per get.
  void get(std::uint64_t id, const rest_target& target,
           const caf::actor& listener) override;

  /// Any thread, idempotent. Ignores further commands, closes every connection
  /// (each listener gets its ws_closed, reason "transport stopped" unless another
  /// cause came first), answers every unanswered REST request with status 0 and
  /// error "transport stopped", destroys the context on the service thread and
  /// joins it.
  /// Keep the actor system alive until this returns.
  void stop();

  /// Any thread. A snapshot of the counters.
  lws_client_stats stats() const;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace sv
