// pooled_ws_client: the ws_client connection actors use when streams share sockets; it
// hands their opens and closes to the socket pool (actors/socket_pool_actor.hpp).
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>

#include <caf/send.hpp>

#include "actors/protocols.hpp"
#include "actors/seams/ws_client.hpp"

namespace sv {

/// Keeps the ws_client contract for each stream on behalf of the pool: the pool
/// sends ws_opened / ws_frames / ws_closed for `id` to `listener`. Any thread
/// (anon_send only); the pool must outlive its users' calls.
class pooled_ws_client final : public ws_client {
public:
  explicit pooled_ws_client(socket_pool_if pool) : pool_(std::move(pool)) {
  }

  /// `target.server` is the pool's server (one stream endpoint per process);
  /// `target.path` names one stream, "/ws/btcusdt@aggTrade".
  void open(std::uint64_t id, const ws_target& target,
            const caf::actor& listener) override {
    caf::anon_send(pool_, pool_open{id, target.path, listener});
  }

  void close(std::uint64_t id) override {
    caf::anon_send(pool_, pool_close{id});
  }

  /// A stream on a shared socket has no socket of its own to write to: the pool
  /// alone sends on its sockets. Connection actors never call this.
  void send(std::uint64_t id, std::string text) override {
    assert(false && "send on a pooled stream");
    (void) id;
    (void) text;
  }

private:
  socket_pool_if pool_;
};

} // namespace sv
