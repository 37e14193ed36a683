// http_request: one API request handed from the HTTP server thread to the api actor.
#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace sv {

/// A parsed HTTP request; the answer goes back through http_responder::respond(req_id, ...).
struct http_request {
  std::uint64_t req_id = 0; ///< the server's handle for this request
  std::string method;       ///< "GET", "POST", ...
  std::string
    path; ///< decoded path without query, e.g. "/symbols/BTCUSDT/trades"
  std::string
    query; ///< raw query string without '?', e.g. "limit=10" (may be empty)
  std::string body; ///< the request body (PUT), at most 4 KiB; empty if none
  /// The Authorization header as sent ("Bearer abc"), empty if none.
  std::string authorization;
  bool peer_loopback = false; ///< the client connected from 127.0.0.0/8 or ::1
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_request& x) {
  return f(caf::meta::type_name("http_request"), x.req_id, x.method, x.path,
           x.query, x.body, x.authorization, x.peer_loopback);
}

} // namespace sv
