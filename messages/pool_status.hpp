// socket_phase, socket_status, pool_status: what the socket pool reports for /status.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace sv {

/// A shared socket's phase (drawing in actors/socket_pool_actor.hpp).
enum class socket_phase : std::uint8_t {
  budget_wait, ///< streams wait on it; the connect budget has no room yet
  connecting,  ///< TCP, TLS and upgrade in progress
  open,        ///< upgraded: takes streams and sends their control messages
  draining,    ///< serverShutdown or max_socket_age_ms: its streams move away
};

/// Text for a socket_phase ("draining").
const char* to_string(socket_phase x);

/// One shared socket as /status shows it.
struct socket_status {
  std::uint64_t number = 0; ///< 1 for the pool's first socket, in open order
  socket_phase phase = socket_phase::budget_wait; ///< see socket_phase
  std::uint32_t streams = 0; ///< streams on it, in any phase
  std::uint32_t live = 0; ///< of those, subscribed (their SUBSCRIBE answered)
  std::uint32_t requests_in_flight = 0; ///< control messages not answered yet
  std::int64_t age_ms = -1; ///< time since it opened, -1 if not open yet
  std::int64_t last_frame_age_ms
    = -1; ///< time since its last frame or answer (or its open), -1 if not open
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_status& x) {
  return f(caf::meta::type_name("socket_status"), x.number, x.phase, x.streams,
           x.live, x.requests_in_flight, x.age_ms, x.last_frame_age_ms);
}

/// Which socket carries one stream (its newest lane while it rotates).
struct stream_socket {
  std::string name;         ///< "btcusdt@aggTrade"
  std::uint64_t socket = 0; ///< socket_status::number
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_socket& x) {
  return f(caf::meta::type_name("stream_socket"), x.name, x.socket);
}

/// The socket pool's answer to status_atom.
struct pool_status {
  std::vector<socket_status>
    sockets; ///< every socket not yet closed, in open order
  std::vector<stream_socket> streams; ///< by name, ascending
  std::uint64_t sockets_opened = 0;   ///< connection attempts since start
  std::uint64_t sockets_drained = 0;  ///< serverShutdown or max_socket_age_ms
  std::uint64_t frames_routed = 0;    ///< data frames handed to a live stream
  std::uint64_t frames_unrouted = 0;  ///< data frames of no live stream
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_status& x) {
  return f(caf::meta::type_name("pool_status"), x.sockets, x.streams,
           x.sockets_opened, x.sockets_drained, x.frames_routed,
           x.frames_unrouted);
}

} // namespace sv
