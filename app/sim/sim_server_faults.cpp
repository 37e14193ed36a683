// sim_server faults: applies each --fault to the connection or request it is taken for.
#include "app/sim/sim_server_impl.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "actors/core/log.hpp"
#include "actors/core/symbol_case.hpp"
#include "app/sim/stream_path.hpp"

namespace sv {

using namespace sim_detail;

namespace {

/// Request bytes a hang-upgrade peek reads before deciding; lws takes at most this
/// much back through lws_adopt_socket_vhost_readbuf (its ah rx buffer, lws-adopt.h).
constexpr std::size_t peek_bytes_max = 2048;

/// reset-after: how often and how long to wait for the peer to have received
/// (ACKed) the last frame before the RST, so the reset never eats frames.
constexpr lws_usec_t reset_poll_us = 1000;
constexpr int reset_polls_max = 2000; // 2 s

} // namespace

/// skip-on-reconnect, on a symbol's non-first established connection: the
/// exchange's sequence advances by `trades` trades (stamped now) before the
/// connection's cursor is set, so the connection never gets them while REST, the
/// stats totals and the other open connections do. At --rate N the trades already
/// due are generated first, so the skipped ids follow the last id due by now; the
/// skipped trades are extra, outside the pacing schedule (they delay nothing).
void sim_server::impl::skip_on_reconnect(symbol_market& m) {
  if (faults.empty() || replaying())
    return;
  const auto* f = faults.take({fault_mode::skip_on_reconnect}, {m.symbol()});
  if (!f)
    return;
  note_fault(*f, {m.symbol()});
  auto& c = clock_of(m);
  if (options.rate > 0 && !m.exhausted()) {
    lws_sul_cancel(&c.sul);
    tick(c); // catches up and re-arms the timer
  }
  auto first = m.next_id();
  auto n = m.emit_skipped(f->trades, wall_ms());
  if (options.rate == 0)
    c.generated = m.totals().emitted;
  SV_INFO("sim", m.symbol(), "fault_skip",
          "first_id=%lld last_id=%lld skipped=%lld",
          static_cast<long long>(first), static_cast<long long>(first + n - 1),
          static_cast<long long>(n));
  wake(c);
}

/// Counts an applied fault on each symbol and logs it.
void sim_server::impl::note_fault(const fault_spec& f,
                                  const std::vector<std::string>& symbols) {
  if (symbols.empty())
    SV_INFO("sim", "-", "fault_applied", "fault=\"%s\"", f.text.c_str());
  for (const auto& sym : symbols) {
    auto& m = ex.get_or_create(sym);
    m.fault_applied();
    SV_INFO("sim", m.symbol(), "fault_applied", "fault=\"%s\" faults=%d",
            f.text.c_str(), m.faults_applied());
  }
}

/// reject: the fault's status, Retry-After and a Binance-style error body; >0
/// tells lws we answered (it then closes: an upgrade request is not keep-alive).
int sim_server::impl::reject_with(lws* wsi, const fault_spec& f) {
  std::string body
    = "{\"code\":-1003,\"msg\":\"sim fault: upgrade rejected with "
      + std::to_string(f.status) + "\"}";
  std::string retry = std::to_string(f.retry_after_s);
  std::string buf(LWS_PRE + 1024 + body.size(), '\0');
  auto* start = reinterpret_cast<unsigned char*>(buf.data()) + LWS_PRE;
  auto* p = start;
  auto* end = reinterpret_cast<unsigned char*>(buf.data()) + buf.size() - 1;
  static const char json_type[] = "application/json;charset=UTF-8";
  if (lws_add_http_header_status(wsi, static_cast<unsigned>(f.status), &p, end)
      || lws_add_http_header_by_token(
        wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
        reinterpret_cast<const unsigned char*>(json_type),
        static_cast<int>(sizeof(json_type) - 1), &p, end)
      || (f.retry_after_s >= 0
          && lws_add_http_header_by_token(
            wsi, WSI_TOKEN_HTTP_RETRY_AFTER,
            reinterpret_cast<const unsigned char*>(retry.data()),
            static_cast<int>(retry.size()), &p, end))
      || lws_add_http_header_content_length(wsi, body.size(), &p, end)
      || lws_finalize_http_header(wsi, &p, end))
    return -1;
  std::memcpy(p, body.data(), body.size());
  p += body.size();
  auto n = static_cast<int>(p - start);
  if (lws_write(wsi, start, static_cast<size_t>(n), LWS_WRITE_HTTP) != n)
    return -1;
  return 1;
}

/// At accept (LWS_CALLBACK_FILTER_NETWORK_CONNECTION): returns true if the sim
/// keeps `fd` itself (a copy is adopted as an lws raw socket; lws then closes
/// its own descriptor without touching the connection). Over TLS hang-upgrade is
/// decided here (unscoped only); over plain ws every connection is peeked while a
/// hang-upgrade may still apply, and handed back to lws when it does not.
bool sim_server::impl::filter_accept(int fd) {
  if (faults.empty())
    return false;
  const fault_spec* f = nullptr;
  bool peek = false;
  if (tls()) {
    f = faults.take({fault_mode::stall_tls, fault_mode::hang_upgrade}, {});
  } else {
    f = faults.take({fault_mode::stall_tls}, {});
    peek = !f && faults.may_apply({fault_mode::hang_upgrade});
  }
  if (!f && !peek)
    return false;
  // lws's TLS for hang-upgrade over wss; none for stall-tls (the ClientHello is
  // read and ignored) and none for a plain peek.
  bool with_tls = f && f->mode == fault_mode::hang_upgrade;
  auto* raw = adopt_copy(
    fd, LWS_ADOPT_SOCKET | (with_tls ? LWS_ADOPT_ALLOW_SSL : 0), "sim");
  if (!raw)
    return true; // lws's descriptor is closed by the listener; the copy by adopt
  auto& j = jails[raw];
  j.hanging = f != nullptr;
  if (f)
    note_fault(*f, {});
  return true;
}

/// Adopts dup(fd) into the vhost; nullptr (logged) on failure.
lws* sim_server::impl::adopt_copy(int fd, int type, const char* protocol,
                                  const std::string* readbuf) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    SV_WARN("sim", "-", "fault_adopt_failed", "reason=dup errno=%d", errno);
    return nullptr;
  }
  lws_sock_file_fd_type desc;
  desc.sockfd = copy;
  lws* wsi = nullptr;
  if (readbuf)
    wsi = lws_adopt_socket_vhost_readbuf(vhost, copy, readbuf->data(),
                                         readbuf->size());
  else
    wsi = lws_adopt_descriptor_vhost(
      vhost, static_cast<lws_adoption_type>(type), desc, protocol, nullptr);
  if (!wsi)
    SV_WARN("sim", "-", "fault_adopt_failed", "reason=adopt");
  return wsi;
}

/// LWS_CALLBACK_RAW_RX of a jailed connection: a hanging one discards; a peeking
/// one collects the request head, then hangs or hands the socket back to lws.
int sim_server::impl::jailed_rx(lws* wsi, const char* in, size_t len) {
  auto i = jails.find(wsi);
  if (i == jails.end())
    return 0;
  auto& j = i->second;
  // After a TLS accept lws arms PENDING_TIMEOUT_ESTABLISH_WITH_SERVER (timeout_secs,
  // 5 s; tls-server.c), which only HTTP parsing clears; a hang must outlive it.
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
  if (j.hanging)
    return 0;
  auto room = peek_bytes_max - std::min(peek_bytes_max, j.request.size());
  j.request.append(in, std::min(len, room));
  bool head_done = j.request.find("\r\n\r\n") != std::string::npos;
  if (!head_done && j.request.size() < peek_bytes_max && len > 0)
    return 0;
  if (auto symbols = upgrade_symbols(j.request)) {
    if (auto* f = faults.take({fault_mode::hang_upgrade}, *symbols)) {
      j.hanging = true;
      j.request.clear();
      note_fault(*f, *symbols);
      return 0;
    }
  }
  // Hand back: lws adopts a copy with the bytes read; closing this raw socket
  // then only closes our descriptor (lws shuts down no raw socket, close.c).
  adopt_copy(lws_get_socket_fd(wsi), 0, nullptr, &j.request);
  jails.erase(i);
  return -1;
}

/// The symbols of a WebSocket upgrade request head, or nullopt if it is not one
/// (REST, bad path: lws answers those).
std::optional<std::vector<std::string>>
sim_server::impl::upgrade_symbols(const std::string& head) {
  if (head.compare(0, 4, "GET ") != 0)
    return std::nullopt;
  auto sp = head.find(' ', 4);
  if (sp == std::string::npos)
    return std::nullopt;
  auto lower = lower_ascii(head);
  if (lower.find("\r\nupgrade: websocket") == std::string::npos
      && lower.find("\r\nupgrade:websocket") == std::string::npos)
    return std::nullopt;
  auto target = std::string_view(head).substr(4, sp - 4);
  auto q = target.find('?');
  auto path = std::string(target.substr(0, q));
  auto query = q == std::string_view::npos ? std::string_view{}
                                           : target.substr(q + 1);
  auto req = parse_stream_path(path, query);
  if (!req)
    return std::nullopt;
  return req->symbols;
}

void sim_server::impl::on_session_timer(lws_sorted_usec_list_t* sul) {
  auto* t = lws_container_of(sul, session_timer, sul);
  t->owner->session_timer_fired(t->wsi);
}

void sim_server::impl::session_timer_fired(lws* wsi) {
  auto* s = find_session(wsi);
  if (!s)
    return;
  if (s->reset_pending) {
    poll_reset(wsi, *s);
    return;
  }
  s->close_due = true; // server-shutdown grace is over
  lws_callback_on_writable(wsi);
}

/// reset-after: waits until the peer ACKed every byte (nothing buffered in lws,
/// empty kernel send queue), then aborts the connection: connect(AF_UNSPEC) on
/// a connected TCP socket makes Linux send RST and drop the connection
/// (tcp_disconnect), whatever lws does with its descriptor afterwards.
void sim_server::impl::poll_reset(lws* wsi, session& s) {
  int fd = lws_get_socket_fd(wsi);
  int queued = 0;
  bool drained = !lws_partial_buffered(wsi)
                 && ::ioctl(fd, TIOCOUTQ, &queued) == 0 && queued == 0;
  if (!drained && ++s.reset_polls < reset_polls_max) {
    lws_sul_schedule(ctx, 0, &s.timer.sul, on_session_timer, reset_poll_us);
    return;
  }
  linger lin{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
  sockaddr unspec{};
  unspec.sa_family = AF_UNSPEC;
  ::connect(fd, &unspec, sizeof(unspec));
  SV_INFO("sim", "-", "fault_reset", "frames=%lld drained=%d",
          static_cast<long long>(s.frames_sent), drained ? 1 : 0);
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/// Acts on the connection's fault before the next data frame (and right after
/// each one). Returns 0 = go on sending, 1 = send nothing now, -1 = close now.
int sim_server::impl::fault_gate(lws* wsi, session& s) {
  if (!s.fault)
    return 0;
  if (s.silenced || s.reset_pending)
    return 1;
  const auto& f = *s.fault;
  switch (f.mode) {
    case fault_mode::reset_after:
      if (s.frames_sent < f.frames)
        return 0;
      s.reset_pending = true;
      lws_sul_schedule(ctx, 0, &s.timer.sul, on_session_timer, 0);
      return 1;
    case fault_mode::close_after:
      if (s.frames_sent < f.frames)
        return 0;
      return close_with(wsi, f.code, f.reason);
    case fault_mode::silent_after:
    case fault_mode::no_first_frame:
      if (f.mode == fault_mode::silent_after && s.frames_sent < f.frames)
        return 0;
      s.silenced = true;
      SV_INFO("sim", "-", "fault_silent", "frames=%lld",
              static_cast<long long>(s.frames_sent));
      return 1;
    case fault_mode::no_pong:
      if (!f.silent)
        return 0;
      s.silenced = true;
      return 1;
    case fault_mode::server_shutdown_after:
      if (s.close_due)
        return close_with(wsi, LWS_CLOSE_STATUS_GOINGAWAY, "server shutdown");
      if (s.shutdown_sent || s.frames_sent < f.frames)
        return 0;
      return send_server_shutdown(wsi, s);
    case fault_mode::hang_upgrade:
    case fault_mode::stall_tls:
    case fault_mode::reject:
    case fault_mode::malformed_every:
    case fault_mode::skip_on_reconnect:
    case fault_mode::rest_429:
    case fault_mode::rest_down:
    case fault_mode::drop_depth:
    case fault_mode::drop_subscription:
      return 0;
  }
  return 0;
}

/// The documented serverShutdown event (raw, or wrapped as "!serverShutdown" on a
/// combined stream), then `grace_ms` more streaming before the 1001 close.
int sim_server::impl::send_server_shutdown(lws* wsi, session& s) {
  scratch.assign(LWS_PRE, '\0');
  scratch += encode_server_shutdown(wall_ms(), s.combined);
  if (!write_scratch(wsi, LWS_WRITE_TEXT))
    return -1;
  ++s.frames_sent;
  s.shutdown_sent = true;
  SV_INFO("sim", "-", "fault_server_shutdown", "frames=%lld grace_ms=%lld",
          static_cast<long long>(s.frames_sent),
          static_cast<long long>(s.fault->grace_ms));
  lws_sul_schedule(ctx, 0, &s.timer.sul, on_session_timer,
                   static_cast<lws_usec_t>(s.fault->grace_ms) * 1000);
  return 0;
}

/// malformed-every: whether the next frame is the extra truncated one.
bool sim_server::impl::malformed_due(const session& s) {
  return s.fault && s.fault->mode == fault_mode::malformed_every
         && (s.frames_sent + 1) % s.fault->k == 0;
}

/// Writes scratch's frame cut to half its length (at least one byte short, so
/// never valid JSON) instead of whole; the trade is sent whole afterwards.
bool sim_server::impl::write_truncated(lws* wsi, session& s) {
  auto len = scratch.size() - LWS_PRE;
  scratch.resize(LWS_PRE + std::max<std::size_t>(1, len / 2));
  if (!write_scratch(wsi, LWS_WRITE_TEXT))
    return false;
  ++s.frames_sent;
  return true;
}

int sim_server::impl::close_with(lws* wsi, int code, const std::string& why) {
  lws_close_reason(
    wsi, static_cast<lws_close_status>(code),
    reinterpret_cast<unsigned char*>(const_cast<char*>(why.data())),
    why.size());
  SV_INFO("sim", "-", "fault_close", "code=%d reason=\"%s\"", code,
          why.c_str());
  return -1;
}

} // namespace sv
