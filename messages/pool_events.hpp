// pool_open, pool_close: a connection actor's open() and close() on a shared socket, as
// pooled_ws_client hands them to the socket pool.
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

namespace sv {

/// ws_client::open of one stream: subscribe `path`'s stream on a shared socket of
/// the pool's server; the ws_* events for `conn_id` go to `listener`.
struct pool_open {
  std::uint64_t conn_id = 0; ///< the connection actor's attempt id
  std::string path;          ///< "/ws/btcusdt@aggTrade": one stream
  caf::actor listener;       ///< the connection actor
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_open& x) {
  return f(caf::meta::type_name("pool_open"), x.conn_id, x.path, x.listener);
}

/// ws_client::close of one stream: unsubscribe it; ws_closed follows at once.
struct pool_close {
  std::uint64_t conn_id = 0; ///< as in pool_open
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_close& x) {
  return f(caf::meta::type_name("pool_close"), x.conn_id);
}

} // namespace sv
