// http_responder: the seam through which the api actor answers HTTP requests.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace sv {

/// What an answer's body is: its Content-Type.
enum class media_type : std::uint8_t {
  json,            ///< application/json (every answer but /metrics)
  prometheus_text, ///< text/plain; version=0.0.4 (Prometheus's text format)
};

/// Delivers the answer to an http_request. Implemented by the libwebsockets HTTP
/// server (app/transport/) and by a recording fake in tests.
class http_responder {
public:
  virtual ~http_responder() = default;

  /// Any thread, never blocks. Sends `status` with `body` as `type` to the
  /// client of `req_id`. An unknown or already answered req_id (client gone, server
  /// timed the request out) is ignored.
  virtual void
  respond(std::uint64_t req_id, int status, std::string body, media_type type)
    = 0;

  /// respond() with an application/json body.
  void respond(std::uint64_t req_id, int status, std::string body) {
    respond(req_id, status, std::move(body), media_type::json);
  }
};

} // namespace sv
