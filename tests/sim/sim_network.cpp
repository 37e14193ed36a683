// sim_network: the fault simulation's transport (see sim_network.hpp).
#include "tests/sim/sim_network.hpp"

#include <caf/send.hpp>

#include "messages/rest.hpp"
#include "messages/ws_events.hpp"

namespace sv::faultsim {

sim_network::sim_network(const std::int64_t& now_ms,
                         std::function<void(std::string)> violation)
  : now_ms_(now_ms), violation_(std::move(violation)) {
}

void sim_network::open(std::uint64_t id, const ws_target& target,
                       const caf::actor& listener) {
  ++opens;
  if (sockets.count(id) != 0) {
    violation_("connection id " + std::to_string(id) + " opened twice");
    return;
  }
  // One key, one attempt: a second attempt while the first still holds a socket
  // means the supervisor started a symbol twice; a third lane means a rotation
  // that did not end its predecessor.
  std::size_t same_attempt = 0;
  for (auto& [other_id, other] : sockets) {
    if (!other.live() || other.path != target.path)
      continue;
    if (other.attempt() != (id & attempt_mask))
      violation_("two attempts hold sockets on " + target.path + ": "
                 + std::to_string(other_id) + " and " + std::to_string(id));
    else
      ++same_attempt;
  }
  if (same_attempt > 1)
    violation_("a third lane on " + target.path + ": " + std::to_string(id));
  auto& s = sockets[id];
  s.id = id;
  s.path = target.path;
  s.listener = listener;
  s.opened_ms = now_ms_;
}

void sim_network::send(std::uint64_t id, std::string text) {
  violation_("send on connection " + std::to_string(id)
             + " (shared sockets are not modelled): " + text.substr(0, 80));
}

void sim_network::close(std::uint64_t id) {
  ++closes_asked;
  auto i = sockets.find(id);
  if (i == sockets.end() || i->second.close_asked_ms >= 0
      || i->second.closed_ms >= 0)
    return; // the contract: unknown or finished id is a no-op
  i->second.close_asked_ms = now_ms_;
}

void sim_network::get(std::uint64_t id, const rest_target& target,
                      const caf::actor& listener) {
  if (requests.count(id) != 0) {
    violation_("REST request id " + std::to_string(id) + " used twice");
    return;
  }
  auto& r = requests[id];
  r.id = id;
  r.target = target;
  r.listener = listener;
  r.issued_ms = now_ms_;
}

void sim_network::send_opened(sim_socket& s) const {
  s.upgraded_ms = now_ms_;
  caf::anon_send(s.listener, ws_opened{s.id});
}

void sim_network::send_frames(sim_socket& s,
                              const std::vector<std::string>& frames) const {
  if (frames.empty())
    return;
  ws_frames msg;
  msg.conn_id = s.id;
  for (const auto& f : frames) {
    msg.data += f;
    msg.ends.push_back(static_cast<std::uint32_t>(msg.data.size()));
  }
  s.last_frame_ms = now_ms_;
  caf::anon_send(s.listener, std::move(msg));
}

void sim_network::send_closed(sim_socket& s, close_info how) const {
  ws_closed msg;
  msg.conn_id = s.id;
  msg.was_open = s.upgraded_ms >= 0;
  msg.close_code = how.code;
  msg.http_status = how.http_status;
  msg.retry_after_s = how.retry_after_s;
  msg.reason = std::move(how.reason);
  s.closed_ms = now_ms_;
  caf::anon_send(s.listener, std::move(msg));
}

void sim_network::answer(sim_request& r, std::int32_t status, std::string body,
                         std::int32_t retry_after_s) const {
  rest_response msg;
  msg.req_id = r.id;
  msg.status = status;
  if (status == 0)
    msg.error = std::move(body);
  else
    msg.body = std::move(body);
  msg.retry_after_s = retry_after_s;
  msg.used_weight_1m = -1;
  r.answered_ms = now_ms_;
  caf::anon_send(r.listener, std::move(msg));
}

std::vector<sim_socket*> sim_network::unclosed() {
  std::vector<sim_socket*> result;
  for (auto& [id, s] : sockets)
    if (s.closed_ms < 0)
      result.push_back(&s);
  return result;
}

std::vector<sim_request*> sim_network::unanswered() {
  std::vector<sim_request*> result;
  for (auto& [id, r] : requests)
    if (r.answered_ms < 0)
      result.push_back(&r);
  return result;
}

void sim_network::release() {
  for (auto& [id, s] : sockets)
    s.listener = nullptr;
  for (auto& [id, r] : requests)
    r.listener = nullptr;
}

} // namespace sv::faultsim
