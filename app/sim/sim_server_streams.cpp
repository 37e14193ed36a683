// sim_server streams: WebSocket stream sessions (upgrade, subscribe, frames, replay, release).
#include "app/sim/sim_server_impl.hpp"

#include <algorithm>
#include <cstring>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "actors/core/log.hpp"
#include "app/sim/exchange/trade_json.hpp"
#include "app/sim/stream_path.hpp"

namespace sv {

using namespace sim_detail;

namespace {

/// Frames one WRITEABLE callback sends at most, so one fast reader cannot starve
/// the other connections or the listening socket.
constexpr int burst_frames_max = 1024;

/// The modes decided at the upgrade, when the symbols are known.
const std::vector<fault_mode> stream_fault_modes{
  fault_mode::reject,         fault_mode::reset_after,
  fault_mode::close_after,    fault_mode::silent_after,
  fault_mode::no_first_frame, fault_mode::malformed_every,
  fault_mode::no_pong,        fault_mode::server_shutdown_after,
};

} // namespace

int sim_server::impl::confirm_upgrade(lws* wsi) {
  char path[1024];
  if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) < 0)
    return reject_upgrade(wsi, "");
  auto query = query_string(wsi);
  auto req = parse_stream_path(path, query);
  if (!req)
    return reject_upgrade(wsi, path);
  auto& s = fresh_session(wsi);
  s.is_stream = true;
  s.combined = req->combined;
  for (const auto& ref : req->streams) {
    auto& m = ex.get_or_create(ref.symbol);
    start_depth_clock(m);
    if (ref.kind == stream_kind::agg_trade)
      s.subs.push_back(subscription{&m, 0});
    else
      s.depth_subs.push_back(depth_subscription{&m, 0});
  }
  if (!faults.empty()) {
    s.fault = faults.take(stream_fault_modes, req->symbols);
    if (s.fault) {
      note_fault(*s.fault, req->symbols);
      if (s.fault->mode == fault_mode::reject)
        return reject_with(wsi, *s.fault);
    }
  }
  return 0;
}

int sim_server::impl::reject_upgrade(lws* wsi, const char* path) {
  SV_INFO("sim", "-", "upgrade_rejected", "path=\"%s\" status=404", path);
  // >0 tells lws we answered ourselves (lws-callbacks.h, HTTP_CONFIRM_UPGRADE).
  if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "unknown stream"))
    return -1;
  return 1;
}

void sim_server::impl::established(lws* wsi) {
  auto* s = find_session(wsi);
  if (!s)
    return;
  s->registered = true;
  if (s->fault && s->fault->mode == fault_mode::no_pong)
    // Never reading the socket is the only way to keep lws from answering pings
    // (ops-ws.c queues the PONG as soon as it parses a PING); trades still go out.
    lws_rx_flow_control(wsi, 0);
  // Frames are small and written one per lws_write: with Nagle on, each burst
  // waits for the reader's delayed ACK and throughput collapses to ~40k frames/s.
  int one = 1;
  ::setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one,
               sizeof(one));
  for (auto& sub : s->subs)
    open_sub(wsi, *s, sub);
  for (auto& d : s->depth_subs)
    open_depth_sub(wsi, *s, d);
  if (replaying()) {
    start_replay(wsi, *s);
    return;
  }
  // Unpaced streams pull; an already exhausted sequence may need the 1000 close.
  lws_callback_on_writable(wsi);
}

void sim_server::impl::release(lws* wsi) {
  jails.erase(wsi);
  auto i = sessions.find(wsi);
  if (i == sessions.end())
    return;
  auto& s = *i->second;
  lws_sul_cancel(&s.timer.sul);
  if (s.registered) {
    for (auto& sub : s.subs)
      close_sub(wsi, sub);
    for (auto& d : s.depth_subs)
      close_depth_sub(wsi, d);
  }
  sessions.erase(i);
}

/// Registers one aggTrade subscription of an established connection with its
/// market: counted as a connection of the symbol (so skip-on-reconnect and the
/// drop-subscription fault see it), cursor at the next trade (Binance does not
/// replay), woken by the market's clock.
void sim_server::impl::open_sub(lws* wsi, session& s, subscription& sub) {
  auto& m = *sub.market;
  bool reconnect = m.connections_total() > 0;
  m.connection_opened();
  SV_INFO("sim", m.symbol(), "connected", "conns=%d total=%d combined=%d",
          m.connections(), m.connections_total(), s.combined ? 1 : 0);
  if (!m.started)
    start_market(m);
  if (reconnect)
    skip_on_reconnect(m);
  sub.next_id = m.next_id();
  if (!faults.empty() && !replaying())
    if (const auto* f = faults.take({fault_mode::drop_subscription},
                                    {m.symbol()})) {
      note_fault(*f, {m.symbol()});
      sub.drop_at_frames = s.frames_sent + f->frames;
    }
  clock_of(m).conns.push_back(wsi);
}

void sim_server::impl::open_depth_sub(lws* wsi, session& s,
                                      depth_subscription& d) {
  auto& feed = d.market->depth();
  feed.connection_opened();
  // Binance does not replay: the first event sent is the next one closed.
  d.next_pos = feed.next_pos();
  start_depth_clock(*d.market).conns.push_back(wsi);
  SV_INFO("sim", d.market->symbol(), "depth_connected",
          "conns=%d update_id=%lld combined=%d", feed.connections(),
          static_cast<long long>(feed.book().last_update_id()),
          s.combined ? 1 : 0);
}

void sim_server::impl::close_sub(lws* wsi, subscription& sub) {
  auto& m = *sub.market;
  m.connection_closed();
  auto& conns = clock_of(m).conns;
  conns.erase(std::remove(conns.begin(), conns.end(), wsi), conns.end());
  SV_INFO("sim", m.symbol(), "disconnected", "conns=%d total=%d sent_to=%lld",
          m.connections(), m.connections_total(),
          static_cast<long long>(sub.next_id - 1));
}

void sim_server::impl::close_depth_sub(lws* wsi, depth_subscription& d) {
  auto& feed = d.market->depth();
  feed.connection_closed();
  if (auto c = depth_clocks.find(d.market); c != depth_clocks.end()) {
    auto& conns = c->second->conns;
    conns.erase(std::remove(conns.begin(), conns.end(), wsi), conns.end());
  }
  SV_INFO("sim", d.market->symbol(), "depth_disconnected",
          "conns=%d events_sent=%lld", feed.connections(),
          static_cast<long long>(d.next_pos));
}

/// Sends `text` (already in scratch after LWS_PRE) as one text frame.
bool sim_server::impl::write_scratch(lws* wsi, lws_write_protocol kind) {
  auto len = scratch.size() - LWS_PRE;
  auto* p = reinterpret_cast<unsigned char*>(scratch.data()) + LWS_PRE;
  return lws_write(wsi, p, len, kind) >= static_cast<int>(len);
}

int sim_server::impl::close_normal(lws* wsi, const char* why) {
  lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
                   reinterpret_cast<unsigned char*>(const_cast<char*>(why)),
                   std::strlen(why));
  return -1;
}

int sim_server::impl::stream_writeable(lws* wsi) {
  auto* s = find_session(wsi);
  if (!s || !s->registered)
    return 0; // lws's own ping/pong writes wake us too (shared notes 4.5)
  if (int g = fault_gate(wsi, *s))
    return g < 0 ? -1 : 0;
  if (!write_answers(wsi, *s))
    return -1;
  if (replaying())
    return replay_writeable(wsi, *s);
  int frames = 0;
  bool choked = false;
  if (int g = send_depth(wsi, *s, frames, choked))
    return g < 0 ? -1 : 0;
  bool progressed = true;
  auto n = s->subs.size();
  // lws_send_pipe_choked costs a poll(2); check it once per frame, not more.
  while (n > 0 && progressed && !choked && frames < burst_frames_max) {
    progressed = false;
    for (std::size_t k = 0; k < n; ++k) {
      auto& sub = s->subs[(s->round_robin + k) % n];
      auto& m = *sub.market;
      if (sub.next_id < m.oldest_id()) {
        SV_WARN("sim", m.symbol(), "reader_lagged",
                "skipped=%lld hint=\"raise --rest-history or read faster\"",
                static_cast<long long>(m.oldest_id() - sub.next_id));
        sub.next_id = m.oldest_id();
      }
      if (sub.next_id >= m.next_id()) {
        if (options.rate != 0 || m.exhausted())
          continue;
        refill(m);
      }
      if ((choked = lws_send_pipe_choked(wsi)))
        break;
      const auto& t = m.at(sub.next_id);
      scratch.assign(LWS_PRE, '\0');
      if (s->combined)
        append_combined_agg_trade(scratch, m.stream_name(), m.symbol(), t);
      else
        append_agg_trade_event(scratch, m.symbol(), t);
      if (malformed_due(*s)) {
        auto whole = scratch;
        if (!write_truncated(wsi, *s))
          return -1;
        scratch = std::move(whole);
      }
      if (!write_scratch(wsi, LWS_WRITE_TEXT))
        return -1;
      ++sub.next_id;
      ++frames;
      ++s->frames_sent;
      progressed = true;
      if (int g = fault_gate(wsi, *s))
        return g < 0 ? -1 : 0;
    }
    s->round_robin = (s->round_robin + 1) % n;
  }
  drop_subscriptions_due(wsi, *s);
  bool pending = false;
  // --close-after-count is about trades: a depth-only stream never ends.
  bool all_done = !s->subs.empty();
  for (auto& sub : s->subs) {
    auto& m = *sub.market;
    if (sub.next_id < m.next_id() || (options.rate == 0 && !m.exhausted()))
      pending = true;
    if (!m.exhausted() || sub.next_id < m.next_id())
      all_done = false;
  }
  for (const auto& d : s->depth_subs)
    if (d.next_pos < d.market->depth().next_pos())
      pending = true;
  if (pending)
    lws_callback_on_writable(wsi);
  else if (all_done && options.close_after_count)
    return close_normal(wsi, "count reached");
  return 0;
}

/// Sends the depth events `s` has not had yet, oldest first, within the burst
/// budget `frames`; sets `choked` when the socket is full. Returns 0 = go on,
/// 1 = a fault says send nothing now, -1 = close now.
int sim_server::impl::send_depth(lws* wsi, session& s, int& frames,
                                 bool& choked) {
  for (auto& d : s.depth_subs) {
    auto& feed = d.market->depth();
    if (d.next_pos < feed.oldest_pos()) {
      SV_WARN("sim", d.market->symbol(), "depth_reader_lagged",
              "skipped_events=%lld hint=\"read faster: only the last %zu "
              "events are kept\"",
              static_cast<long long>(feed.oldest_pos() - d.next_pos),
              depth_feed::history_max);
      d.next_pos = feed.oldest_pos();
    }
    while (d.next_pos < feed.next_pos() && frames < burst_frames_max) {
      if ((choked = lws_send_pipe_choked(wsi)))
        return 0;
      const auto& e = feed.at(d.next_pos);
      scratch.assign(LWS_PRE, '\0');
      scratch += s.combined ? e.combined : e.raw;
      if (malformed_due(s)) {
        auto whole = scratch;
        if (!write_truncated(wsi, s))
          return -1;
        scratch = std::move(whole);
      }
      if (!write_scratch(wsi, LWS_WRITE_TEXT))
        return -1;
      ++d.next_pos;
      ++frames;
      ++s.frames_sent;
      if (int g = fault_gate(wsi, s))
        return g;
    }
  }
  return 0;
}

/// A replay begins with the connection's first stream: at the upgrade of a
/// /ws/<name> or /stream?streams= path, or at the first SUBSCRIBE of a bare one.
void sim_server::impl::start_replay(lws* wsi, session& s) {
  if (s.replay_started || (s.subs.empty() && s.depth_subs.empty()))
    return;
  s.replay_started = true;
  s.replay_start_us = steady_us();
  lws_callback_on_writable(wsi);
}

/// scratch = LWS_PRE + one replay line as the connection carries it: raw on
/// /ws/<name>, on a combined connection wrapped as the aggTrade stream of the
/// line's "s" symbol if subscribed, else of the first aggTrade subscription.
void sim_server::impl::fill_replay_line(const session& s,
                                        const std::string& line) {
  scratch.assign(LWS_PRE, '\0');
  if (!s.combined || s.subs.empty()) {
    scratch += line;
    return;
  }
  const symbol_market* market = s.subs.front().market;
  constexpr std::string_view key = R"("s":")";
  if (auto at = line.find(key); at != std::string::npos) {
    auto begin = at + key.size();
    auto symbol = std::string_view{line}.substr(begin,
                                                line.find('"', begin) - begin);
    for (const auto& sub : s.subs)
      if (sub.market->symbol() == symbol)
        market = sub.market;
  }
  scratch += R"({"stream":")";
  scratch += market->stream_name();
  scratch += R"(","data":)";
  scratch += line;
  scratch += '}';
}

std::size_t sim_server::impl::replay_due(const session& s) const {
  if (options.rate == 0)
    return replay.size();
  auto elapsed = steady_us() - s.replay_start_us;
  auto due = static_cast<int128>(elapsed) * options.rate / us_per_s + 1;
  return static_cast<std::size_t>(
    std::min<int128>(due, static_cast<int128>(replay.size())));
}

int sim_server::impl::replay_writeable(lws* wsi, session& s) {
  auto due = replay_due(s);
  int frames = 0;
  while (s.replay_next < due && frames < burst_frames_max
         && !lws_send_pipe_choked(wsi)) {
    const auto& line = replay[s.replay_next];
    fill_replay_line(s, line);
    if (malformed_due(s)) {
      if (!write_truncated(wsi, s))
        return -1;
      fill_replay_line(s, line);
    }
    if (!write_scratch(wsi, LWS_WRITE_TEXT))
      return -1;
    ++s.replay_next;
    ++frames;
    ++s.frames_sent;
    if (int g = fault_gate(wsi, s))
      return g < 0 ? -1 : 0;
  }
  if (s.replay_next >= replay.size())
    return options.close_after_count ? close_normal(wsi, "replay finished") : 0;
  if (s.replay_next < due) {
    lws_callback_on_writable(wsi);
  } else {
    auto next_us
      = s.replay_start_us
        + static_cast<std::int64_t>(
          (static_cast<int128>(s.replay_next) * us_per_s + options.rate - 1)
          / options.rate);
    lws_set_timer_usecs(wsi, std::max<lws_usec_t>(1, next_us - steady_us()));
  }
  return 0;
}

} // namespace sv
