// lws_http_server: the HTTP/1.1 API server (own lws context, own service thread) behind http_responder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>

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
/// Threads: start() and stop() from the owner thread; respond() and port() from any
/// thread; respond() never blocks (it queues and wakes the service thread).
class lws_http_server final : public http_responder {
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

  /// Owner thread, idempotent. Stops serving, closes all connections (pending
  /// requests are dropped unanswered) and joins the service thread. Later
  /// respond() calls are ignored.
  void stop();

  /// Any thread. The bound port after a successful start(), else 0.
  std::uint16_t port() const;

  /// Any thread, never blocks. See http_responder::respond.
  void respond(std::uint64_t req_id, int status, std::string body) override;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace sv
