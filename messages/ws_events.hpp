// ws_opened, ws_frames, ws_closed: what the transport tells a connection actor about one socket.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace sv {

/// The WebSocket upgrade of connection `conn_id` completed (HTTP 101 received).
struct ws_opened {
  std::uint64_t conn_id = 0; ///< id given to ws_client::open
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_opened& x) {
  return f(caf::meta::type_name("ws_opened"), x.conn_id);
}

/// Complete text frames read from connection `conn_id` in one service pass of the
/// transport thread. Frame i is `data[begin_i, ends[i])` with `begin_0 = 0` and
/// `begin_i = ends[i-1]`. Batching amortizes one CAF message over many frames.
struct ws_frames {
  std::uint64_t conn_id = 0; ///< id given to ws_client::open
  std::int64_t recv_ns
    = 0; ///< steady-clock ns when the first frame of the batch was read
  std::string data;                ///< the frames' payloads, back to back
  std::vector<std::uint32_t> ends; ///< end offset of each frame in `data`
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_frames& x) {
  return f(caf::meta::type_name("ws_frames"), x.conn_id, x.recv_ns, x.data,
           x.ends);
}

/// Connection `conn_id` is gone; the transport sends this exactly once per open(),
/// whatever the cause (refused, TLS failure, timeout, peer close, local close).
struct ws_closed {
  std::uint64_t conn_id = 0; ///< id given to ws_client::open
  bool was_open = false;     ///< true if ws_opened was sent before
  std::uint16_t close_code
    = 0; ///< the peer's close code, 0 if none was received
  std::int32_t http_status = 0; ///< status of a rejected upgrade, 0 if none
  std::int32_t retry_after_s
    = -1; ///< Retry-After of a rejected upgrade, -1 if absent
  std::string
    reason; ///< human-readable cause ("connection refused", close reason text)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_closed& x) {
  return f(caf::meta::type_name("ws_closed"), x.conn_id, x.was_open,
           x.close_code, x.http_status, x.retry_after_s, x.reason);
}

} // namespace sv
