// fake_ws_client: a ws_client that records open/close commands and lets a test inject events.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/send.hpp>

#include "actors/seams/ws_client.hpp"
#include "messages/ws_events.hpp"

namespace sv::test {

/// Records every command; the test plays the network by sending ws_* events to the
/// recorded listener on the test thread (never from another thread).
class fake_ws_client : public ws_client {
public:
  struct open_call {
    std::uint64_t id = 0;
    ws_target target;
  };

  struct sent_frame {
    std::uint64_t id = 0;
    std::string text;
  };

  void open(std::uint64_t id, const ws_target& target,
            const caf::actor& listener) override {
    opened.push_back(open_call{id, target});
    listeners[id] = listener;
    live[id] = true;
  }

  void close(std::uint64_t id) override {
    closed.push_back(id);
    live[id] = false;
  }

  void send(std::uint64_t id, std::string text) override {
    sent.push_back(sent_frame{id, std::move(text)});
  }

  /// Ids opened so far, in order.
  std::vector<std::uint64_t> opened_ids() const {
    std::vector<std::uint64_t> ids;
    for (auto& x : opened)
      ids.push_back(x.id);
    return ids;
  }

  /// Ids opened and not yet closed by the actors.
  std::size_t live_count() const {
    std::size_t n = 0;
    for (auto& [id, up] : live)
      n += up ? 1 : 0;
    return n;
  }

  std::uint64_t last_id() const {
    return opened.empty() ? 0 : opened.back().id;
  }

  /// The network side: the upgrade of `id` completed.
  void inject_opened(std::uint64_t id) {
    caf::anon_send(listeners.at(id), ws_opened{id});
  }

  /// The network side: these text frames arrived on `id` in one read.
  void inject_frames(std::uint64_t id, const std::vector<std::string>& frames,
                     std::int64_t recv_ns = 0) {
    ws_frames msg;
    msg.conn_id = id;
    msg.recv_ns = recv_ns;
    for (auto& f : frames) {
      msg.data += f;
      msg.ends.push_back(static_cast<std::uint32_t>(msg.data.size()));
    }
    caf::anon_send(listeners.at(id), std::move(msg));
  }

  /// The network side: `id` is gone.
  void inject_closed(std::uint64_t id, std::string reason,
                     std::uint16_t code = 0, bool was_open = true) {
    live[id] = false;
    ws_closed msg;
    msg.conn_id = id;
    msg.was_open = was_open;
    msg.close_code = code;
    msg.reason = std::move(reason);
    caf::anon_send(listeners.at(id), std::move(msg));
  }

  /// The network side: the upgrade of `id` was rejected with an HTTP status.
  void inject_rejected(std::uint64_t id, std::int32_t http_status,
                       std::int32_t retry_after_s = -1) {
    live[id] = false;
    ws_closed msg;
    msg.conn_id = id;
    msg.http_status = http_status;
    msg.retry_after_s = retry_after_s;
    msg.reason = "upgrade rejected";
    caf::anon_send(listeners.at(id), std::move(msg));
  }

  /// Drops every listener handle (call before the actor system goes away).
  void release() {
    listeners.clear();
  }

  std::vector<open_call> opened;
  std::vector<std::uint64_t> closed;
  std::vector<sent_frame> sent; ///< every send(), in order
  std::map<std::uint64_t, caf::actor> listeners;
  std::map<std::uint64_t, bool> live;
};

} // namespace sv::test
