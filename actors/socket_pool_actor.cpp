// socket_pool_actor: subscriptions on shared sockets, routing of their frames, pacing.
#include "actors/socket_pool_actor.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/actor_clock.hpp"
#include "actors/core/log.hpp"

namespace sv {

namespace {

using ull = unsigned long long;

constexpr std::int64_t ns_per_ms = 1'000'000;

caf::actor handle_of(socket_pool_self self) {
  return caf::actor_cast<caf::actor>(self);
}

/// The single ws_closed a stream gets; `was_open` is whether it got ws_opened.
void close_stream(const pooled_stream& s, std::string reason,
                  const ws_closed* socket_closed = nullptr) {
  ws_closed msg;
  msg.conn_id = s.conn_id;
  msg.was_open = s.phase == pooled_phase::live;
  msg.reason = std::move(reason);
  if (socket_closed != nullptr) {
    msg.close_code = socket_closed->close_code;
    msg.http_status = socket_closed->http_status;
    msg.retry_after_s = socket_closed->retry_after_s;
  }
  caf::anon_send(s.listener, std::move(msg));
}

/// The serverShutdown event as Binance sends it on a combined socket, for a
/// socket the pool drains at its age: the connection actors rotate on it.
std::string age_notice() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  return encode_server_shutdown(ms, true);
}

void schedule_tick(socket_pool_self self) {
  auto& st = self->state;
  if (st.tick_pending)
    return;
  st.tick_pending = true;
  self->delayed_send(self,
                     std::chrono::milliseconds{st.cfg.control_interval_ms},
                     pool_tick_atom::value);
}

bool has_work(const shared_socket& sock) {
  return !sock.to_subscribe.empty() || !sock.to_unsubscribe.empty()
         || !sock.in_flight.empty();
}

/// The socket a new stream `name` goes to: the oldest open or connecting socket
/// that has room and does not own the name; nullptr if none.
shared_socket* socket_for(socket_pool_state& st, const std::string& name) {
  for (auto& [id, sock] : st.sockets)
    if (sock.phase != socket_phase::draining && !sock.close_sent
        && sock.owners.size() < st.cfg.streams_per_socket
        && sock.owners.count(name) == 0)
      return &sock;
  return nullptr;
}

/// Connects `sock` if the connect budget has room now; else it keeps waiting
/// (the tick tries again).
void try_connect(socket_pool_self self, shared_socket& sock) {
  auto& st = self->state;
  if (sock.phase != socket_phase::budget_wait)
    return;
  if (!st.budget.try_acquire(clock_ns(self), 1)) {
    schedule_tick(self);
    return;
  }
  sock.phase = socket_phase::connecting;
  ++st.sockets_opened;
  st.unclosed->insert(sock.id);
  SV_INFO("pool", "-", "socket_opening", "socket=%llu streams=%zu sockets=%zu",
          ull(sock.id), sock.owners.size(), st.sockets.size());
  st.ws->open(sock.id, ws_target{st.cfg.server, "/stream"}, handle_of(self));
}

shared_socket& new_socket(socket_pool_self self) {
  auto& st = self->state;
  auto id = st.cfg.first_socket_id + st.next_socket_id++;
  auto& sock = st.sockets[id];
  sock.id = id;
  try_connect(self, sock);
  return sock;
}

/// Closes `sock` through the transport; its ws_closed tells its streams `why`.
void close_socket(socket_pool_self self, shared_socket& sock, std::string why) {
  sock.close_sent = true;
  sock.close_why = std::move(why);
  self->state.ws->close(sock.id);
}

/// Closes `sock` through the transport once nothing needs it; its ws_closed
/// removes it (a socket still waiting for the budget is just forgotten).
void close_if_idle(socket_pool_self self, shared_socket& sock) {
  if (sock.close_sent || !sock.owners.empty() || has_work(sock))
    return;
  if (sock.phase == socket_phase::budget_wait) {
    self->state.sockets.erase(sock.id);
    return;
  }
  SV_INFO("pool", "-", "socket_idle", "socket=%llu", ull(sock.id));
  close_socket(self, sock, "no stream left");
}

/// Sends the socket's next control message if its pacing allows; keeps a tick
/// scheduled while anything waits. Closes a socket whose oldest request is late.
void pump(socket_pool_self self, shared_socket& sock) {
  auto& st = self->state;
  if (sock.phase == socket_phase::budget_wait
      || sock.phase == socket_phase::connecting || sock.close_sent)
    return;
  auto now = clock_ns(self);
  if (!sock.in_flight.empty() && now >= sock.in_flight.front().deadline_ns) {
    SV_WARN("pool", "-", "answer_timeout",
            "socket=%llu request=%llu method=%s hint=\"the server did not "
            "answer a control message; the socket is closed and its streams "
            "restart; a server without SUBSCRIBE needs "
            "streams_per_connection = 1\"",
            ull(sock.id), ull(sock.in_flight.front().id),
            to_string(sock.in_flight.front().method));
    close_socket(self, sock,
                 std::string{"no answer to "}
                   + to_string(sock.in_flight.front().method) + " within "
                   + std::to_string(st.cfg.answer_timeout_ms) + " ms");
    return;
  }
  bool unsubscribe = !sock.to_unsubscribe.empty();
  auto& names = unsubscribe ? sock.to_unsubscribe : sock.to_subscribe;
  if (!names.empty() && now >= sock.next_control_ns) {
    pool_request req;
    req.id = ++st.next_request_id;
    req.method = unsubscribe ? control_method::unsubscribe
                             : control_method::subscribe;
    auto n = std::min<std::size_t>(names.size(), st.cfg.params_per_request_max);
    req.names.assign(names.begin(), names.begin() + static_cast<long>(n));
    names.erase(names.begin(), names.begin() + static_cast<long>(n));
    req.deadline_ns
      = now + static_cast<std::int64_t>(st.cfg.answer_timeout_ms) * ns_per_ms;
    if (!unsubscribe)
      for (const auto& name : req.names) {
        auto& s = st.streams.at(sock.owners.at(name));
        s.phase = pooled_phase::subscribing;
        s.request = req.id;
      }
    st.ws->send(sock.id,
                encode_control_request({req.method, req.names, req.id}));
    sock.next_control_ns
      = now + static_cast<std::int64_t>(st.cfg.control_interval_ms) * ns_per_ms;
    sock.in_flight.push_back(std::move(req));
  }
  if (has_work(sock))
    schedule_tick(self);
}

/// Hands a draining socket's serverShutdown frame to one live stream.
void send_notice(const shared_socket& sock, const pooled_stream& s) {
  ws_frames batch;
  batch.conn_id = s.conn_id;
  batch.data = sock.drain_notice;
  batch.ends.push_back(static_cast<std::uint32_t>(batch.data.size()));
  caf::anon_send(s.listener, std::move(batch));
}

void place(socket_pool_self self, pooled_stream& s);

/// Stops `sock` taking streams; its live streams get `notice` (a serverShutdown
/// frame) and rotate away, its waiting streams move to another socket now. The
/// socket closes when the last stream has left (close_if_idle).
void drain(socket_pool_self self, shared_socket& sock, std::string notice,
           const char* why) {
  auto& st = self->state;
  if (sock.phase == socket_phase::draining)
    return;
  sock.phase = socket_phase::draining;
  sock.drain_notice = std::move(notice);
  ++st.sockets_drained;
  SV_INFO("pool", "-", "socket_draining", "socket=%llu streams=%zu why=%s",
          ull(sock.id), sock.owners.size(), why);
  std::vector<std::uint64_t> moving;
  for (const auto& [name, id] : sock.owners) {
    auto& s = st.streams.at(id);
    if (s.phase == pooled_phase::live)
      send_notice(sock, s);
    else if (s.phase == pooled_phase::waiting)
      moving.push_back(id);
  }
  sock.to_subscribe.clear(); // exactly the waiting streams' names
  for (auto id : moving) {
    auto& s = st.streams.at(id);
    sock.owners.erase(s.name);
    place(self, s);
  }
}

/// The answer to control message `answer.id` on `sock`.
void on_answer(socket_pool_self self, shared_socket& sock,
               const control_answer& answer) {
  auto& st = self->state;
  auto i
    = std::find_if(sock.in_flight.begin(), sock.in_flight.end(),
                   [&](const pool_request& r) { return r.id == answer.id; });
  if (i == sock.in_flight.end()) {
    SV_WARN("pool", "-", "answer_unmatched", "socket=%llu id=%llu ok=%d",
            ull(sock.id), ull(answer.id), answer.ok ? 1 : 0);
    return;
  }
  auto req = std::move(*i);
  sock.in_flight.erase(i);
  if (req.method == control_method::unsubscribe) {
    if (!answer.ok)
      SV_WARN("pool", "-", "unsubscribe_refused",
              "socket=%llu code=%d msg=\"%s\"", ull(sock.id), answer.error_code,
              answer.error_msg.c_str());
    return;
  }
  for (const auto& name : req.names) {
    auto owner = sock.owners.find(name);
    if (owner == sock.owners.end())
      continue; // closed meantime: its UNSUBSCRIBE follows
    auto& s = st.streams.at(owner->second);
    if (s.phase != pooled_phase::subscribing || s.request != req.id)
      continue;
    if (answer.ok) {
      s.phase = pooled_phase::live;
      caf::anon_send(s.listener, ws_opened{s.conn_id});
      if (sock.phase == socket_phase::draining)
        send_notice(sock, s);
      continue;
    }
    close_stream(s, "subscribe refused: code "
                      + std::to_string(answer.error_code) + ": "
                      + answer.error_msg);
    auto conn_id = s.conn_id;
    sock.owners.erase(owner);
    st.streams.erase(conn_id);
  }
}

/// One read of a shared socket: answers to the pool, data frames to their
/// streams, one ws_frames per stream.
void route(socket_pool_self self, shared_socket& sock, const ws_frames& in) {
  auto& st = self->state;
  sock.last_frame_ns = clock_ns(self);
  std::unordered_map<std::uint64_t, ws_frames> out;
  auto append = [&](const pooled_stream& s, std::string_view frame) {
    auto& batch = out[s.conn_id];
    batch.conn_id = s.conn_id;
    batch.recv_ns = in.recv_ns;
    batch.data.append(frame);
    batch.ends.push_back(static_cast<std::uint32_t>(batch.data.size()));
    ++st.frames_routed;
  };
  std::string_view data{in.data};
  std::uint32_t begin = 0;
  for (auto end : in.ends) {
    auto frame = data.substr(begin, end - begin);
    begin = end;
    auto name = combined_stream_name(frame);
    if (!name.empty() && name.front() == '!') {
      // A socket-wide event (serverShutdown): every live stream rotates away.
      drain(self, sock, std::string{frame}, "serverShutdown");
      continue;
    }
    if (name.empty()) {
      control_answer answer;
      if (decode_control_answer(frame, answer))
        on_answer(self, sock, answer);
      else
        ++st.frames_unrouted;
      continue;
    }
    auto owner = sock.owners.find(name);
    if (owner == sock.owners.end()) {
      ++st.frames_unrouted; // unsubscribed; in flight before the answer
      continue;
    }
    const auto& s = st.streams.at(owner->second);
    if (s.phase == pooled_phase::live)
      append(s, frame);
    else
      ++st.frames_unrouted; // resubscribed, answer not here yet
  }
  for (auto& [id, batch] : out)
    caf::anon_send(st.streams.at(id).listener, std::move(batch));
  pump(self, sock);
  close_if_idle(self, sock);
}

/// Puts a waiting stream on a socket that can take it (opening one if none
/// can) and queues its SUBSCRIBE.
void place(socket_pool_self self, pooled_stream& s) {
  auto* sock = socket_for(self->state, s.name);
  if (sock == nullptr)
    sock = &new_socket(self);
  s.socket = sock->id;
  s.phase = pooled_phase::waiting;
  sock->owners.emplace(s.name, s.conn_id);
  sock->to_subscribe.push_back(s.name);
  pump(self, *sock);
}

void on_pool_open(socket_pool_self self, pool_open& x) {
  auto& st = self->state;
  pooled_stream s;
  s.conn_id = x.conn_id;
  s.name = pooled_stream_name(x.path);
  s.listener = std::move(x.listener);
  if (st.streams.count(s.conn_id) != 0 || s.name.empty()) {
    close_stream(s, s.name.empty() ? "not a single-stream path: " + x.path
                                   : "duplicate connection id");
    return;
  }
  place(self, st.streams.emplace(s.conn_id, std::move(s)).first->second);
}

void on_pool_close(socket_pool_self self, const pool_close& x) {
  auto& st = self->state;
  auto i = st.streams.find(x.conn_id);
  if (i == st.streams.end())
    return;
  auto s = std::move(i->second);
  st.streams.erase(i);
  close_stream(s, "closed locally");
  auto& sock = st.sockets.at(s.socket);
  sock.owners.erase(s.name);
  if (s.phase == pooled_phase::waiting) {
    auto& q = sock.to_subscribe;
    q.erase(std::remove(q.begin(), q.end(), s.name), q.end());
  } else {
    sock.to_unsubscribe.push_back(s.name);
  }
  auto silent_ns = clock_ns(self) - sock.last_frame_ns;
  if (st.cfg.socket_silence_ms > 0 && sock.opened_ns >= 0 && !sock.close_sent
      && silent_ns >= st.cfg.socket_silence_ms * ns_per_ms) {
    SV_WARN("pool", "-", "socket_silent",
            "socket=%llu streams=%zu silent_ms=%lld hint=\"no frame of any "
            "stream on this socket: it is closed and its streams restart on "
            "a new one\"",
            ull(sock.id), sock.owners.size(),
            static_cast<long long>(silent_ns / ns_per_ms));
    close_socket(self, sock,
                 "silent for " + std::to_string(silent_ns / ns_per_ms) + " ms");
    return;
  }
  pump(self, sock);
  close_if_idle(self, sock);
}

void on_socket_closed(socket_pool_self self, const ws_closed& x) {
  auto& st = self->state;
  auto i = st.sockets.find(x.conn_id);
  if (i == st.sockets.end())
    return;
  auto& sock = i->second;
  SV_INFO("pool", "-", "socket_closed",
          "socket=%llu streams=%zu code=%u reason=\"%s\"", ull(sock.id),
          sock.owners.size(), static_cast<unsigned>(x.close_code),
          x.reason.c_str());
  for (const auto& [name, id] : sock.owners) {
    auto s = st.streams.find(id);
    if (s == st.streams.end())
      continue;
    close_stream(s->second,
                 "shared socket closed: "
                   + (sock.close_why.empty() ? x.reason : sock.close_why),
                 &x);
    st.streams.erase(s);
  }
  st.unclosed->erase(x.conn_id);
  st.sockets.erase(i);
}

/// What /status shows of the pool: its sockets, which socket carries each
/// stream, its counters.
pool_status status_of(socket_pool_self self) {
  const auto& st = self->state;
  auto now = clock_ns(self);
  auto number = [&](std::uint64_t id) {
    return id - st.cfg.first_socket_id + 1;
  };
  pool_status out;
  std::map<std::string, std::uint64_t> socket_of; // newest lane wins
  for (const auto& [id, sock] : st.sockets) {
    socket_status x;
    x.number = number(id);
    x.phase = sock.phase;
    x.streams = static_cast<std::uint32_t>(sock.owners.size());
    for (const auto& [name, conn_id] : sock.owners) {
      x.live += st.streams.at(conn_id).phase == pooled_phase::live ? 1 : 0;
      socket_of[name] = x.number;
    }
    x.requests_in_flight = static_cast<std::uint32_t>(sock.in_flight.size());
    if (sock.opened_ns >= 0) {
      x.age_ms = (now - sock.opened_ns) / ns_per_ms;
      x.last_frame_age_ms = (now - sock.last_frame_ns) / ns_per_ms;
    }
    out.sockets.push_back(x);
  }
  for (auto& [name, socket] : socket_of)
    out.streams.push_back(stream_socket{name, socket});
  out.sockets_opened = st.sockets_opened;
  out.sockets_drained = st.sockets_drained;
  out.frames_routed = st.frames_routed;
  out.frames_unrouted = st.frames_unrouted;
  return out;
}

} // namespace

std::string pooled_stream_name(const std::string& path) {
  constexpr std::string_view prefix = "/ws/";
  std::string_view p{path};
  if (p.substr(0, prefix.size()) != prefix)
    return {};
  auto name = p.substr(prefix.size());
  if (name.empty() || name.find_first_of("/?\"\\") != std::string_view::npos)
    return {};
  return std::string{name};
}

socket_pool_if::behavior_type socket_pool_actor(socket_pool_self self,
                                                socket_pool_config cfg,
                                                ws_client* ws) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.ws = ws;
  st.budget = weight_budget{
    st.cfg.connect_budget,
    static_cast<std::int64_t>(st.cfg.connect_budget_window_ms) * ns_per_ms,
    st.cfg.connect_burst};
  // Sockets not closed at the end are closed, so none outlives the pool (the
  // functor runs after the state is gone: it holds its own set).
  st.unclosed = std::make_shared<std::set<std::uint64_t>>();
  self->attach_functor([ws, ids = st.unclosed](const caf::error&) {
    for (auto id : *ids)
      ws->close(id);
  });
  return {
    [=](pool_open& x) { on_pool_open(self, x); },
    [=](const pool_close& x) { on_pool_close(self, x); },
    [=](const ws_opened& x) {
      auto i = self->state.sockets.find(x.conn_id);
      if (i == self->state.sockets.end())
        return;
      if (i->second.phase == socket_phase::connecting) {
        i->second.phase = socket_phase::open;
        i->second.opened_ns = clock_ns(self);
        i->second.last_frame_ns = i->second.opened_ns;
        if (self->state.cfg.max_socket_age_ms > 0)
          self->delayed_send(
            self, std::chrono::milliseconds{self->state.cfg.max_socket_age_ms},
            rotate_atom::value, x.conn_id);
      }
      SV_INFO("pool", "-", "socket_open", "socket=%llu streams=%zu",
              ull(x.conn_id), i->second.owners.size());
      pump(self, i->second);
    },
    [=](const ws_frames& x) {
      auto i = self->state.sockets.find(x.conn_id);
      if (i != self->state.sockets.end())
        route(self, i->second, x);
    },
    [=](const ws_closed& x) { on_socket_closed(self, x); },
    [=](rotate_atom, std::uint64_t socket) {
      auto i = self->state.sockets.find(socket);
      if (i == self->state.sockets.end() || i->second.close_sent)
        return;
      drain(self, i->second, age_notice(), "max_socket_age");
      close_if_idle(self, i->second);
    },
    [=](status_atom) { return status_of(self); },
    [=](pool_tick_atom) {
      self->state.tick_pending = false;
      for (auto& [id, sock] : self->state.sockets) {
        try_connect(self, sock);
        pump(self, sock);
      }
      for (auto i = self->state.sockets.begin();
           i != self->state.sockets.end();) {
        auto& sock = (i++)->second;
        close_if_idle(self, sock);
      }
    },
  };
}

} // namespace sv
