// sim_server: the simulator's libwebsockets server (aggTrade and depth streams, REST, pacing) on one service thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "app/sim/exchange/sim_exchange.hpp"
#include "app/sim/sim_options.hpp"

struct lws_context;

namespace sv {

/// Serves the simulated exchange over plain ws/http or TLS (one lws context).
/// Trades are generated once per symbol (sim_exchange) and fanned out to every
/// subscribed stream from the market's history, so all connections see the same
/// sequence. Likewise each symbol's order book moves on one clock per symbol
/// (--depth-interval-ms, --depth-changes) and each depth event is built once and
/// fanned out from the symbol's depth_feed. Everything runs on the thread that
/// calls `start` and `run` (the lws service thread); only `context()` is meant for
/// a signal handler.
class sim_server {
public:
  /// `ex` must outlive the server. `replay_lines` non-empty = replay mode.
  sim_server(const sim_options& options, sim_exchange& ex,
             std::vector<std::string> replay_lines);

  /// Destroys the lws context (closing every connection) if it exists.
  ~sim_server();

  sim_server(const sim_server&) = delete;
  sim_server& operator=(const sim_server&) = delete;

  /// Creates the context and listens. Returns false after logging why (bad
  /// address, port in use, unreadable certificate).
  bool start();

  /// The port actually listened on (after a successful `start`).
  int port() const noexcept;

  /// True when serving TLS.
  bool tls() const noexcept;

  /// Services events until `stop` becomes true; a signal handler sets it and then
  /// calls lws_cancel_service(context()) to end the current wait.
  void run(const std::atomic<bool>& stop);

  /// The lws context, or nullptr before `start`.
  lws_context* context() const noexcept;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace sv
