// connection_actor: one WebSocket session to one (symbol, stream), decoding frames into trades or depth events.
#include "actors/connection_actor.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <type_traits>
#include <utility>

#include "actors/actor_clock.hpp"
#include "actors/core/log.hpp"
#include "messages/errc.hpp"

namespace sv {

namespace {

// Decode errors are logged in full for the first few per attempt, then one line
// per this many, so a broken feed cannot flood the log.
constexpr std::uint64_t decode_errors_logged_in_full = 10;
constexpr std::uint64_t decode_error_log_every = 1000;
// How much of a malformed frame a log line quotes.
constexpr std::size_t frame_excerpt_max = 160;
// The watchdog looks this often: a tenth of the timeout, at least every 100 ms, so a
// silence is detected within 110 % of the timeout.
constexpr std::int64_t silence_check_ms_min = 100;

connection_if::behavior_type enter(connection_self self, connection_phase next,
                                   const std::string& why);

/// The only place that changes state.
void transition(connection_self self, connection_phase next,
                const std::string& why) {
  self->become(enter(self, next, why));
}

// -- handlers shared by several states ---------------------------------------

auto status_handler(connection_self self) {
  return [=](status_atom) {
    return connection_status{self->state.args.attempt, self->state.phase,
                             self->state.counters};
  };
}

/// Held new-lane events beyond this switch over at once (the old lane is too slow).
constexpr std::size_t held_events_max = 100'000;

// Sequence ids: how lanes are joined and overlaps dropped (see the header).
std::uint64_t first_seq(const trade& x) {
  return x.agg_id;
}
std::uint64_t last_seq(const trade& x) {
  return x.agg_id;
}
std::uint64_t first_seq(const depth_update& x) {
  return x.first_update_id;
}
std::uint64_t last_seq(const depth_update& x) {
  return x.final_update_id;
}

decode_status decode_one(connection_state& st, std::string_view frame,
                         trade& out) {
  return st.decoder->decode(frame, out);
}
decode_status decode_one(connection_state& st, std::string_view frame,
                         depth_update& out) {
  return st.depth_decoder_->decode(frame, out);
}

const std::string& decode_detail(const connection_state& st) {
  return st.depth ? st.depth_decoder_->detail() : st.decoder->detail();
}

std::vector<trade>& held_events(connection_state& st, const trade*) {
  return st.held;
}
std::vector<depth_update>& held_events(connection_state& st,
                                       const depth_update*) {
  return st.held_depth;
}

/// Calls `f` with a null pointer of this stream's event type (trade or depth_update).
template <class F>
void with_event_type(connection_self self, F&& f) {
  if (self->state.depth)
    f(static_cast<const depth_update*>(nullptr));
  else
    f(static_cast<const trade*>(nullptr));
}

/// Decodes every frame of a batch into `out`; counts and logs the frames that do
/// not decode. Returns true if the batch carried a serverShutdown event.
template <class Event>
bool decode_frames(connection_self self, const ws_frames& batch,
                   std::vector<Event>& out) {
  auto& st = self->state;
  bool server_shutdown = false;
  out.reserve(out.size() + batch.ends.size());
  std::uint32_t begin = 0;
  Event decoded;
  for (auto end : batch.ends) {
    std::string_view frame{batch.data.data() + begin, end - begin};
    begin = end;
    ++st.counters.frames;
    auto status = decode_one(st, frame, decoded);
    if (status == decode_status::ok) {
      out.push_back(decoded);
      continue;
    }
    // Binance announces a disconnect with an event, not data: rotate, don't count it.
    if (status == decode_status::unknown_event
        && frame.find(R"("serverShutdown")") != std::string_view::npos) {
      server_shutdown = true;
      continue;
    }
    auto n = ++st.counters.decode_errors;
    if (n <= decode_errors_logged_in_full || n % decode_error_log_every == 0) {
      auto excerpt = frame.substr(0, frame_excerpt_max);
      SV_WARN("connection", st.args.symbol, "decode_error",
              "stream=%s status=%s detail=\"%s\" count=%llu frame=%.*s",
              to_string(st.args.stream), to_string(status),
              decode_detail(st).c_str(), static_cast<unsigned long long>(n),
              static_cast<int>(excerpt.size()), excerpt.data());
    }
  }
  st.counters.last_frame_ns = clock_ns(self);
  return server_shutdown;
}

void send_on(connection_self self, std::vector<trade>&& events,
             std::int64_t recv_ns) {
  auto& st = self->state;
  self->send(st.sinks.trades,
             trade_batch{st.args.symbol, std::move(events), recv_ns});
}

void send_on(connection_self self, std::vector<depth_update>&& events,
             std::int64_t recv_ns) {
  auto& st = self->state;
  self->send(st.sinks.depth,
             depth_batch{st.args.symbol, std::move(events), recv_ns});
}

/// Sends the events above the last forwarded id to the sink in one message;
/// `events` is moved from (the caller discards it).
template <class Event>
void forward(connection_self self, std::vector<Event>& events,
             std::int64_t recv_ns) {
  auto& st = self->state;
  // Compacted in place: the batch's own vector is what gets sent.
  auto kept = events.begin();
  for (auto i = events.begin(); i != events.end(); ++i) {
    if (st.last_forwarded_id != 0 && last_seq(*i) <= st.last_forwarded_id)
      continue; // an overlap of two lanes: the sink has it already
    st.last_forwarded_id = last_seq(*i);
    if (kept != i)
      *kept = std::move(*i);
    ++kept;
  }
  events.erase(kept, events.end());
  st.counters.trades += events.size();
  if (!events.empty())
    send_on(self, std::move(events), recv_ns);
}

void start_rotation(connection_self self, const char* why);

/// Frames of the active lane: decode and forward.
void handle_frames(connection_self self, ws_frames& batch) {
  bool server_shutdown = false;
  with_event_type(self, [&](auto tag) {
    std::vector<std::remove_cv_t<std::remove_pointer_t<decltype(tag)>>> events;
    server_shutdown = decode_frames(self, batch, events);
    forward(self, events, batch.recv_ns);
  });
  if (server_shutdown && self->state.phase == connection_phase::streaming)
    start_rotation(self, "serverShutdown");
}

/// Frames of the rotation's new lane: decode and hold.
void hold_frames(connection_self self, ws_frames& batch) {
  with_event_type(self, [&](auto tag) {
    decode_frames(self, batch, held_events(self->state, tag));
  });
}

void clear_held(connection_state& st) {
  st.held.clear();
  st.held_depth.clear();
}

/// The socket is gone: report, then quit. A close we asked for is a normal exit.
void finish(connection_self self, const ws_closed& msg) {
  std::string why = msg.reason.empty() ? std::string{"ws_closed"} : msg.reason;
  if (msg.close_code != 0)
    why += " (code " + std::to_string(msg.close_code) + ")";
  if (msg.http_status != 0)
    why += " (http " + std::to_string(msg.http_status) + ")";
  bool requested = self->state.phase == connection_phase::closing;
  transition(self, connection_phase::closed, why);
  if (requested)
    self->quit();
  else
    self->quit(caf::make_error(errc::connection_closed, why, msg.retry_after_s,
                               msg.http_status));
}

std::chrono::milliseconds silence_check_interval(connection_self self) {
  return std::chrono::milliseconds(std::max<std::int64_t>(
    silence_check_ms_min, self->state.args.silence_timeout_ms / 10));
}

/// One watchdog tick: quits if the feed has been silent too long, else re-arms.
void check_silence(connection_self self) {
  auto& st = self->state;
  auto since_ns = st.counters.last_frame_ns >= 0 ? st.counters.last_frame_ns
                                                 : st.upgraded_ns;
  auto silent_ms = (clock_ns(self) - since_ns) / 1'000'000;
  if (silent_ms < st.args.silence_timeout_ms) {
    self->delayed_send(self, silence_check_interval(self),
                       silence_check_atom::value);
    return;
  }
  std::string why = st.counters.last_frame_ns >= 0
                      ? "no frame for " + std::to_string(silent_ms) + " ms"
                      : "no first frame " + std::to_string(silent_ms)
                          + " ms after the upgrade";
  SV_WARN("connection", st.args.symbol, "silence_timeout",
          "stream=%s attempt=%llu silent_ms=%lld timeout_ms=%u hint=\"the feed "
          "stopped sending; for an illiquid market raise "
          "silence_timeout_s_by_symbol\"",
          to_string(st.args.stream),
          static_cast<unsigned long long>(st.args.attempt),
          static_cast<long long>(silent_ms), st.args.silence_timeout_ms);
  // Quitting closes the socket: see the functor attached in connection_actor().
  transition(self, connection_phase::closed, why);
  self->quit(caf::make_error(errc::silence_timeout, why));
}

/// True for events of the active lane; events of closed lanes are stale.
bool is_mine(connection_self self, std::uint64_t conn_id) {
  if (conn_id == self->state.active_id)
    return true;
  SV_DEBUG("connection", self->state.args.symbol, "stale_event",
           "conn_id=%llu active=%llu", static_cast<unsigned long long>(conn_id),
           static_cast<unsigned long long>(self->state.active_id));
  return false;
}

void request_close(connection_self self, const char* why) {
  auto& st = self->state;
  st.ws->close(st.active_id);
  if (st.pending_id != 0) {
    st.ws->close(st.pending_id);
    st.pending_id = 0;
    clear_held(st);
  }
  transition(self, connection_phase::closing, why);
}

// -- rotation ------------------------------------------------------------------

void arm_rotation(connection_self self) {
  auto& st = self->state;
  if (st.args.max_connection_age_ms <= 0)
    return;
  self->delayed_send(self,
                     std::chrono::milliseconds(st.args.max_connection_age_ms),
                     rotate_atom::value, st.rotations + 1);
}

/// Opens the next lane; the active one keeps streaming until the switch.
void start_rotation(connection_self self, const char* why) {
  auto& st = self->state;
  ++st.rotations;
  st.pending_id = st.args.conn_id
                  + (std::uint64_t{st.rotations} << rotation_id_shift);
  clear_held(st);
  st.opened_ids->push_back(st.pending_id);
  st.ws->open(st.pending_id, st.args.target, caf::actor_cast<caf::actor>(self));
  self->delayed_send(self,
                     std::chrono::milliseconds(st.args.rotation_timeout_ms),
                     rotate_deadline_atom::value, st.rotations);
  transition(self, connection_phase::rotating, why);
}

/// The new lane's held events: whether there are any, and the first one's id.
bool has_held(connection_self self) {
  return !self->state.held.empty() || !self->state.held_depth.empty();
}

std::uint64_t first_held_seq(connection_self self) {
  std::uint64_t result = 0;
  with_event_type(self, [&](auto tag) {
    auto& held = held_events(self->state, tag);
    result = held.empty() ? 0 : first_seq(held.front());
  });
  return result;
}

/// The new lane takes over: held events above the last forwarded id go out, the
/// old lane is closed.
void switch_lanes(connection_self self, const char* why) {
  auto& st = self->state;
  auto old_id = st.active_id;
  auto first_held = first_held_seq(self);
  if (first_held > st.last_forwarded_id + 1)
    SV_WARN("connection", st.args.symbol, "rotation_gap",
            "stream=%s last_forwarded=%llu first_new=%llu hint=\"events in "
            "between were not received on either connection\"",
            to_string(st.args.stream),
            static_cast<unsigned long long>(st.last_forwarded_id),
            static_cast<unsigned long long>(first_held));
  with_event_type(self,
                  [&](auto tag) { forward(self, held_events(st, tag), 0); });
  clear_held(st);
  st.active_id = st.pending_id;
  st.pending_id = 0;
  st.ws->close(old_id);
  SV_INFO("connection", st.args.symbol, "rotated",
          "stream=%s rotation=%u old_conn_id=%llu new_conn_id=%llu why=%s",
          to_string(st.args.stream), st.rotations,
          static_cast<unsigned long long>(old_id),
          static_cast<unsigned long long>(st.active_id), why);
  arm_rotation(self);
  transition(self, connection_phase::streaming, why);
}

/// Switches once the new lane's held events join the forwarded sequence. Trades
/// join when the first held id is at most one past the last forwarded one (the
/// overlap is dropped on forwarding). Depth events must continue it exactly
/// (U == last u + 1): an event straddling the join point would break the book's
/// sequence and force a resync, so held events the old lane has passed are
/// dropped and the switch waits for an aligned one (the rotation deadline still
/// switches if the lanes never align).
void try_switch(connection_self self) {
  auto& st = self->state;
  if (st.depth) {
    auto& held = st.held_depth;
    auto passed
      = std::find_if(held.begin(), held.end(), [&](const depth_update& u) {
          return u.final_update_id > st.last_forwarded_id;
        });
    held.erase(held.begin(), passed);
  }
  if (!has_held(self))
    return;
  auto first = first_held_seq(self);
  auto joins = st.depth ? first == st.last_forwarded_id + 1
                        : first <= st.last_forwarded_id + 1;
  if (joins)
    switch_lanes(self, "rotated");
  else if (st.held.size() + st.held_depth.size() > held_events_max)
    switch_lanes(self, "rotated: old connection too slow");
}

/// The rotation failed: stay on the old lane and try again later.
void give_up_rotation(connection_self self, const std::string& why,
                      bool pending_open) {
  auto& st = self->state;
  SV_WARN("connection", st.args.symbol, "rotation_failed",
          "stream=%s rotation=%u why=\"%s\" hint=\"staying on the current "
          "connection\"",
          to_string(st.args.stream), st.rotations, why.c_str());
  if (pending_open)
    st.ws->close(st.pending_id);
  st.pending_id = 0;
  clear_held(st);
  arm_rotation(self);
  transition(self, connection_phase::streaming, "rotation failed");
}

// -- states ------------------------------------------------------------------

connection_if::behavior_type connecting(connection_self self) {
  return {
    [=](ws_opened& msg) {
      if (!is_mine(self, msg.conn_id) || self->state.upgraded_ns >= 0)
        return;
      SV_INFO("connection", self->state.args.symbol, "upgraded",
              "attempt=%llu conn_id=%llu",
              static_cast<unsigned long long>(self->state.args.attempt),
              static_cast<unsigned long long>(msg.conn_id));
      self->state.upgraded_ns = clock_ns(self);
      self->delayed_send(self, silence_check_interval(self),
                         silence_check_atom::value);
    },
    [=](ws_frames& msg) {
      if (!is_mine(self, msg.conn_id))
        return;
      arm_rotation(self);
      transition(self, connection_phase::streaming, "first frame");
      handle_frames(self, msg);
    },
    [=](ws_closed& msg) {
      if (is_mine(self, msg.conn_id))
        finish(self, msg);
    },
    [=](stop_atom) { request_close(self, "stop"); },
    [=](silence_check_atom) { check_silence(self); },
    [=](rotate_atom, std::uint32_t) {},
    [=](rotate_deadline_atom, std::uint32_t) {},
    status_handler(self),
  };
}

connection_if::behavior_type streaming(connection_self self) {
  return {
    [=](ws_opened&) {
      // The transport sends ws_opened at most once, before any frame.
    },
    [=](ws_frames& msg) {
      if (is_mine(self, msg.conn_id))
        handle_frames(self, msg);
    },
    [=](ws_closed& msg) {
      if (is_mine(self, msg.conn_id))
        finish(self, msg);
    },
    [=](stop_atom) { request_close(self, "stop"); },
    [=](silence_check_atom) { check_silence(self); },
    [=](rotate_atom, std::uint32_t rotation) {
      if (rotation == self->state.rotations + 1)
        start_rotation(self, "max connection age");
    },
    [=](rotate_deadline_atom, std::uint32_t) {},
    status_handler(self),
  };
}

connection_if::behavior_type rotating(connection_self self) {
  return {
    [=](ws_opened& msg) {
      if (msg.conn_id == self->state.pending_id)
        SV_INFO("connection", self->state.args.symbol, "rotation_upgraded",
                "conn_id=%llu", static_cast<unsigned long long>(msg.conn_id));
    },
    [=](ws_frames& msg) {
      auto& st = self->state;
      if (msg.conn_id == st.pending_id) {
        hold_frames(self, msg);
        try_switch(self);
      } else if (is_mine(self, msg.conn_id)) {
        handle_frames(self, msg);
        try_switch(self);
      }
    },
    [=](ws_closed& msg) {
      auto& st = self->state;
      if (msg.conn_id == st.pending_id) {
        give_up_rotation(self, "new connection closed: " + msg.reason, false);
      } else if (is_mine(self, msg.conn_id)) {
        // The old lane ended first (e.g. after serverShutdown): the new one takes
        // over if it has delivered, else this attempt is over.
        if (has_held(self))
          switch_lanes(self, "old connection closed");
        else
          finish(self, msg);
      }
    },
    [=](stop_atom) { request_close(self, "stop"); },
    [=](silence_check_atom) { check_silence(self); },
    [=](rotate_atom, std::uint32_t) {},
    [=](rotate_deadline_atom, std::uint32_t rotation) {
      auto& st = self->state;
      if (rotation != st.rotations)
        return;
      if (has_held(self))
        switch_lanes(self, "rotation deadline");
      else
        give_up_rotation(self, "no frame on the new connection in time", true);
    },
    status_handler(self),
  };
}

connection_if::behavior_type closing(connection_self self) {
  return {
    [=](ws_opened&) {},
    [=](ws_frames& msg) {
      // Frames already read before our close frame are still trades: keep them.
      if (is_mine(self, msg.conn_id))
        handle_frames(self, msg);
    },
    [=](ws_closed& msg) {
      if (is_mine(self, msg.conn_id))
        finish(self, msg);
    },
    [=](stop_atom) {},
    [=](silence_check_atom) {
      // Closing is bounded by the supervisor's shutdown deadline, not by silence.
    },
    [=](rotate_atom, std::uint32_t) {},
    [=](rotate_deadline_atom, std::uint32_t) {},
    status_handler(self),
  };
}

connection_if::behavior_type closed(connection_self self) {
  // Terminal: the actor quits in the handler that entered this state.
  return {
    [=](ws_opened&) {},
    [=](ws_frames&) {},
    [=](ws_closed&) {},
    [=](stop_atom) {},
    [=](silence_check_atom) {},
    [=](rotate_atom, std::uint32_t) {},
    [=](rotate_deadline_atom, std::uint32_t) {},
    status_handler(self),
  };
}

connection_if::behavior_type enter(connection_self self, connection_phase next,
                                   const std::string& why) {
  auto& st = self->state;
  SV_INFO("connection", st.args.symbol, "transition",
          "stream=%s attempt=%llu from=%s to=%s why=\"%s\"",
          to_string(st.args.stream),
          static_cast<unsigned long long>(st.args.attempt), to_string(st.phase),
          to_string(next), why.c_str());
  st.transitions.push_back(connection_transition{st.phase, next, why});
  if (st.transitions.size() > connection_state::transitions_max)
    st.transitions.pop_front();
  st.phase = next;
  self->send(st.supervisor,
             child_report{st.key, st.args.attempt, next, why, st.counters});
  switch (next) {
    case connection_phase::connecting:
      return connecting(self);
    case connection_phase::streaming:
      return streaming(self);
    case connection_phase::rotating:
      return rotating(self);
    case connection_phase::closing:
      return closing(self);
    case connection_phase::closed:
      return closed(self);
  }
  return closed(self);
}

} // namespace

connection_if::behavior_type
connection_actor(connection_self self, connection_args args, ws_client* ws,
                 child_report_sink_if supervisor, stream_sinks sinks) {
  auto& st = self->state;
  st.key = child_key(args.symbol, args.stream);
  st.depth = args.stream == stream_kind::depth;
  if (st.depth)
    st.depth_decoder_ = std::make_unique<depth_decoder>(args.symbol);
  else
    st.decoder = std::make_unique<frame_decoder>(args.symbol);
  st.args = std::move(args);
  st.ws = ws;
  st.supervisor = std::move(supervisor);
  st.sinks = std::move(sinks);
  // Whatever ends this actor (ws_closed, stop, a kill at the connect deadline),
  // none of its sockets may outlive it. close() of a finished id is a no-op.
  auto conn_id = st.args.conn_id;
  st.active_id = conn_id;
  st.opened_ids = std::make_shared<std::vector<std::uint64_t>>(1, conn_id);
  auto ids = st.opened_ids;
  self->attach_functor([ws, ids](const caf::error&) {
    for (auto id : *ids)
      ws->close(id);
  });
  SV_INFO("connection", st.args.symbol, "connect",
          "stream=%s attempt=%llu conn_id=%llu target=%s://%s:%u%s",
          to_string(st.args.stream),
          static_cast<unsigned long long>(st.args.attempt),
          static_cast<unsigned long long>(conn_id),
          st.args.target.server.tls ? "wss" : "ws",
          st.args.target.server.host.c_str(),
          static_cast<unsigned>(st.args.target.server.port),
          (st.args.target.server.base_path + st.args.target.path).c_str());
  ws->open(conn_id, st.args.target, caf::actor_cast<caf::actor>(self));
  return connecting(self);
}

} // namespace sv
