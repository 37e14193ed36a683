// connection_actor: one WebSocket session to one (symbol, stream), decoding frames into trades.
#include "actors/connection_actor.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <utility>

#include "actors/log.hpp"
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

std::int64_t now_ns(connection_self self) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           self->clock().now().time_since_epoch())
    .count();
}

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

/// Decodes every frame of a batch; forwards the trades in one message.
void handle_frames(connection_self self, ws_frames& batch) {
  auto& st = self->state;
  trade_batch out;
  out.symbol = st.args.symbol;
  out.recv_ns = batch.recv_ns;
  out.trades.reserve(batch.ends.size());
  std::uint32_t begin = 0;
  trade decoded;
  for (auto end : batch.ends) {
    std::string_view frame{batch.data.data() + begin, end - begin};
    begin = end;
    ++st.counters.frames;
    auto status = st.decoder->decode(frame, decoded);
    if (status == decode_status::ok) {
      out.trades.push_back(decoded);
      continue;
    }
    auto n = ++st.counters.decode_errors;
    if (n <= decode_errors_logged_in_full || n % decode_error_log_every == 0) {
      auto excerpt = frame.substr(0, frame_excerpt_max);
      SV_WARN("connection", st.args.symbol, "decode_error",
              "status=%s detail=\"%s\" count=%llu frame=%.*s",
              to_string(status), st.decoder->detail().c_str(),
              static_cast<unsigned long long>(n),
              static_cast<int>(excerpt.size()), excerpt.data());
    }
  }
  st.counters.trades += out.trades.size();
  st.counters.last_frame_ns = now_ns(self);
  if (!out.trades.empty())
    self->send(st.aggregator, std::move(out));
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
  auto silent_ms = (now_ns(self) - since_ns) / 1'000'000;
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
          st.args.stream.c_str(), static_cast<unsigned long long>(st.args.attempt),
          static_cast<long long>(silent_ms), st.args.silence_timeout_ms);
  // Quitting closes the socket: see the functor attached in connection_actor().
  transition(self, connection_phase::closed, why);
  self->quit(caf::make_error(errc::silence_timeout, why));
}

bool is_mine(connection_self self, std::uint64_t conn_id) {
  if (conn_id == self->state.args.conn_id)
    return true;
  SV_DEBUG("connection", self->state.args.symbol, "stale_event",
           "conn_id=%llu mine=%llu", static_cast<unsigned long long>(conn_id),
           static_cast<unsigned long long>(self->state.args.conn_id));
  return false;
}

void request_close(connection_self self, const char* why) {
  self->state.ws->close(self->state.args.conn_id);
  transition(self, connection_phase::closing, why);
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
      self->state.upgraded_ns = now_ns(self);
      self->delayed_send(self, silence_check_interval(self),
                         silence_check_atom::value);
    },
    [=](ws_frames& msg) {
      if (!is_mine(self, msg.conn_id))
        return;
      transition(self, connection_phase::streaming, "first frame");
      handle_frames(self, msg);
    },
    [=](ws_closed& msg) {
      if (is_mine(self, msg.conn_id))
        finish(self, msg);
    },
    [=](stop_atom) { request_close(self, "stop"); },
    [=](silence_check_atom) { check_silence(self); },
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
    status_handler(self),
  };
}

connection_if::behavior_type enter(connection_self self, connection_phase next,
                                   const std::string& why) {
  auto& st = self->state;
  SV_INFO("connection", st.args.symbol, "transition",
          "stream=%s attempt=%llu from=%s to=%s why=\"%s\"",
          st.args.stream.c_str(),
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
    case connection_phase::closing:
      return closing(self);
    case connection_phase::closed:
      return closed(self);
  }
  return closed(self);
}

} // namespace

connection_if::behavior_type connection_actor(connection_self self,
                                              connection_args args,
                                              ws_client* ws,
                                              child_report_sink_if supervisor,
                                              trade_sink_if aggregator) {
  auto& st = self->state;
  st.key = args.symbol + "@" + args.stream;
  st.decoder = std::make_unique<frame_decoder>(args.symbol);
  st.args = std::move(args);
  st.ws = ws;
  st.supervisor = std::move(supervisor);
  st.aggregator = std::move(aggregator);
  // Whatever ends this actor (ws_closed, stop, a kill at the connect deadline),
  // its socket must not outlive it. close() of a finished id is a no-op.
  auto conn_id = st.args.conn_id;
  self->attach_functor([ws, conn_id](const caf::error&) { ws->close(conn_id); });
  SV_INFO("connection", st.args.symbol, "connect",
          "stream=%s attempt=%llu conn_id=%llu target=%s://%s:%u%s",
          st.args.stream.c_str(),
          static_cast<unsigned long long>(st.args.attempt),
          static_cast<unsigned long long>(conn_id),
          st.args.target.tls ? "wss" : "ws", st.args.target.host.c_str(),
          static_cast<unsigned>(st.args.target.port),
          st.args.target.path.c_str());
  ws->open(conn_id, st.args.target, caf::actor_cast<caf::actor>(self));
  return connecting(self);
}

} // namespace sv
