// http_responder: the seam through which the api actor answers HTTP requests.
#pragma once

#include <cstdint>
#include <string>

namespace sv {

/// Delivers the answer to an http_request. Implemented by the libwebsockets HTTP
/// server (app/transport/) and by a recording fake in tests.
class http_responder {
public:
  virtual ~http_responder() = default;

  /// Any thread, never blocks. Sends `status` with `body` as application/json to the
  /// client of `req_id`. An unknown or already answered req_id (client gone, server
  /// timed the request out) is ignored.
  virtual void respond(std::uint64_t req_id, int status, std::string body) = 0;
};

} // namespace sv
