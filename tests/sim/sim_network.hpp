// sim_network: the fault simulation's transport: a ws_client and a rest_client whose
// sockets and requests are records the simulation drives and the invariants read.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "actors/seams/rest_client.hpp"
#include "actors/seams/ws_client.hpp"

namespace sv::faultsim {

/// The low 48 bits of a connection id name the connect attempt; a rotation's lanes
/// share them (see rotation_id_shift in actors/connection_actor.hpp).
constexpr std::uint64_t attempt_mask = (std::uint64_t{1} << 48) - 1;

/// One WebSocket connection as the network sees it. Times are virtual ms, -1: not yet.
struct sim_socket {
  std::uint64_t id = 0;
  std::string path; ///< the key: one (symbol, stream)
  caf::actor listener;
  std::int64_t opened_ms = 0;       ///< the actor called open()
  bool decided = false;             ///< the network chose how the upgrade goes
  std::int64_t upgrade_at_ms = -1;  ///< when the upgrade completes; -1: never
  std::int64_t upgraded_ms = -1;    ///< ws_opened sent
  std::int64_t last_frame_ms = -1;  ///< the newest ws_frames sent
  std::int64_t close_asked_ms = -1; ///< the actor called close()
  std::int64_t close_confirm_ms = -1; ///< when the network answers close()
  std::int64_t closed_ms = -1;        ///< ws_closed sent
  std::uint64_t cursor = 0;           ///< next trade id this socket sends
  bool silent = false; ///< a hang: sends nothing more and stays open

  /// Open as far as the actors know: neither closed by them nor by the network.
  [[nodiscard]] bool live() const {
    return close_asked_ms < 0 && closed_ms < 0;
  }
  [[nodiscard]] std::uint64_t attempt() const {
    return id & attempt_mask;
  }
  [[nodiscard]] bool rotation_lane() const {
    return (id >> 48) != 0;
  }
};

/// How the network ends a socket: the ws_closed it sends.
struct close_info {
  std::string reason;              ///< "connection reset"
  std::uint16_t code = 0;          ///< WebSocket close code, 0: none
  std::int32_t http_status = 0;    ///< a rejected upgrade's status, 0: none
  std::int32_t retry_after_s = -1; ///< its Retry-After, -1: none
};

/// One REST request; answered once (`answered_ms`), at `answer_at_ms`.
struct sim_request {
  std::uint64_t id = 0;
  rest_target target;
  caf::actor listener;
  std::int64_t issued_ms = 0;
  std::int64_t answer_at_ms = -1; ///< chosen by the simulation, -1: not yet
  std::int64_t answered_ms = -1;
};

/// Records every command of the actors and sends the network's answers. Runs on the
/// test thread only (the actor system runs on CAF's deterministic scheduler), so the
/// records need no locks. `now_ms` is the simulation's virtual clock.
class sim_network : public ws_client, public rest_client {
public:
  /// `violation` is called with a description whenever a command breaks an invariant
  /// that is visible at the command itself (two attempts on one key, a reused id).
  sim_network(const std::int64_t& now_ms,
              std::function<void(std::string)> violation);

  void open(std::uint64_t id, const ws_target& target,
            const caf::actor& listener) override;
  void close(std::uint64_t id) override;
  /// The modelled exchange takes its streams from the path (one socket per
  /// stream): nothing sends on a socket yet, so a send breaks the model and is
  /// reported as a violation until shared sockets are modelled.
  void send(std::uint64_t id, std::string text) override;
  void get(std::uint64_t id, const rest_target& target,
           const caf::actor& listener) override;

  // The network's side; each keeps the ws_client / rest_client contract (one
  // ws_opened at most, frames only after it, exactly one ws_closed, one answer).
  void send_opened(sim_socket& s) const;
  void send_frames(sim_socket& s, const std::vector<std::string>& frames) const;
  void send_closed(sim_socket& s, close_info how) const;
  /// Status 0 is "no response": `body` is then the error text ("timeout").
  void answer(sim_request& r, std::int32_t status, std::string body,
              std::int32_t retry_after_s = -1) const;

  /// Sockets whose ws_closed has not been sent, by id.
  std::vector<sim_socket*> unclosed();
  /// Requests not answered yet.
  std::vector<sim_request*> unanswered();

  /// Drops every listener handle (before the actor system goes away).
  void release();

  std::map<std::uint64_t, sim_socket> sockets;   ///< every socket ever opened
  std::map<std::uint64_t, sim_request> requests; ///< every request ever made
  std::uint64_t opens = 0;                       ///< open() calls
  std::uint64_t closes_asked = 0;                ///< close() calls

private:
  const std::int64_t& now_ms_;
  std::function<void(std::string)> violation_;
};

} // namespace sv::faultsim
