// rest_response: the answer to one REST GET, from the transport to the actor that asked.
#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace sv {

/// Exactly one per rest_client::get(), whatever happens.
struct rest_response {
  std::uint64_t req_id = 0; ///< id given to rest_client::get
  std::int32_t status = 0;  ///< HTTP status; 0 if no response (see error)
  std::string
    error; ///< why there is no response ("timeout", "connection refused", TLS), else ""
  std::int32_t retry_after_s
    = -1; ///< Retry-After header (seconds), -1 if absent
  std::int32_t used_weight_1m
    = -1;           ///< X-MBX-USED-WEIGHT-1M header, -1 if absent
  std::string body; ///< the response body (any status)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rest_response& x) {
  return f(caf::meta::type_name("rest_response"), x.req_id, x.status, x.error,
           x.retry_after_s, x.used_weight_1m, x.body);
}

} // namespace sv
