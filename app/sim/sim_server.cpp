// sim_server: the simulator's libwebsockets server (aggTrade and depth streams, REST, pacing) on one service thread.
#include "app/sim/sim_server.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "actors/core/log.hpp"
#include "app/sim/exchange/fault_spec.hpp"
#include "app/sim/rest_handler.hpp"
#include "app/sim/stream_path.hpp"
#include "app/sim/exchange/trade_json.hpp"

namespace sv {

namespace {

/// Frames one WRITEABLE callback sends at most, so one fast reader cannot starve
/// the other connections or the listening socket.
constexpr int burst_frames_max = 1024;

/// Trades generated per refill at --rate 0 (capped by --rest-history).
constexpr std::size_t unpaced_batch = 256;

/// Trades one pacing tick generates at most; a rate above what the loop sustains
/// then degrades to "as fast as possible" instead of stalling the service thread.
constexpr std::int64_t tick_trades_max = 65536;

/// HTTP body bytes written per HTTP_WRITEABLE.
constexpr std::size_t http_chunk = 16384;

constexpr std::int64_t us_per_s = 1'000'000;

/// Request bytes a hang-upgrade peek reads before deciding; lws takes at most this
/// much back through lws_adopt_socket_vhost_readbuf (its ah rx buffer, lws-adopt.h).
constexpr std::size_t peek_bytes_max = 2048;

/// A depth clock this late (beyond its interval) gives up catching up and restarts
/// its schedule from now, so a stalled process does not replay minutes of events.
constexpr std::int64_t depth_lag_us_max = 1'000'000;

/// Depth steps (changes or event closes) one timer callback takes at most.
constexpr int depth_steps_max = 4096;

/// reset-after: how often and how long to wait for the peer to have received
/// (ACKed) the last frame before the RST, so the reset never eats frames.
constexpr lws_usec_t reset_poll_us = 1000;
constexpr int reset_polls_max = 2000; // 2 s

/// The modes decided at the upgrade, when the symbols are known.
const std::vector<fault_mode> stream_fault_modes{
  fault_mode::reject,          fault_mode::reset_after,     fault_mode::close_after,
  fault_mode::silent_after,    fault_mode::no_first_frame,  fault_mode::malformed_every,
  fault_mode::no_pong,         fault_mode::server_shutdown_after,
};

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t steady_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

/// One symbol a stream connection reads; `next_id` is its cursor into the market.
struct subscription {
  symbol_market* market = nullptr; ///< owned by sim_exchange
  std::int64_t next_id = 0;        ///< id of the next trade to send
};

/// One symbol's depth stream on a connection; `next_pos` is its cursor into the
/// symbol's depth_feed (positions of kept events, so a dropped event leaves no hole).
struct depth_subscription {
  symbol_market* market = nullptr; ///< owned by sim_exchange
  std::int64_t next_pos = 0;       ///< feed position of the next event to send
};

/// A per-connection lws timer (reset-after polling, server-shutdown grace). `sul`
/// stays first so the callback can recover `this` (lws_container_of).
struct session_timer {
  lws_sorted_usec_list_t sul;       ///< lws timer; first member
  sim_server::impl* owner = nullptr;
  lws* wsi = nullptr;               ///< the connection the timer belongs to
};

/// Per-connection data, keyed by wsi; created at the HTTP request or upgrade,
/// dropped at CLOSED / WSI_DESTROY. lws service thread only.
struct session {
  bool is_stream = false;            ///< a WebSocket stream (else HTTP)
  bool combined = false;             ///< wrap frames as {"stream":..,"data":..}
  bool registered = false;           ///< counted in its markets' connections
  std::vector<subscription> subs;    ///< aggTrade streams of this connection
  std::vector<depth_subscription> depth_subs; ///< depth streams of this connection
  std::size_t round_robin = 0;       ///< first subscription served next burst
  std::size_t replay_next = 0;       ///< next replay line to send
  std::int64_t replay_start_us = 0;  ///< steady time the replay began
  std::string http_body;             ///< reply being written
  std::size_t http_sent = 0;         ///< bytes of http_body written
  bool http_pending = false;         ///< headers written, body not finished
  const fault_spec* fault = nullptr; ///< --fault this connection got (owned by fault_plan)
  std::int64_t frames_sent = 0;      ///< data frames written (trades, replay lines, extras)
  bool silenced = false;             ///< silent-after / no-first-frame: send nothing more
  bool shutdown_sent = false;        ///< serverShutdown event written
  bool close_due = false;            ///< server-shutdown grace over: close 1001 next
  bool reset_pending = false;        ///< reset-after reached: waiting for the peer's ACK
  int reset_polls = 0;               ///< ACK polls done so far
  session_timer timer;               ///< see session_timer
};

/// A TCP connection the sim took from lws's listener at accept (hang-upgrade,
/// stall-tls): an lws raw socket, with TLS done by lws for hang-upgrade over wss.
/// lws service thread only.
struct jailed_conn {
  bool hanging = false;   ///< the fault applies: read and discard forever
  std::string request;    ///< plain hang-upgrade: request bytes read so far (peek)
};

/// Pacing state of one market: a sorted-usec-list timer and the connections to
/// wake when trades appear. `sul` stays first so the callback can recover `this`.
struct market_clock {
  lws_sorted_usec_list_t sul;       ///< lws timer; first member (see lws_container_of)
  sim_server::impl* owner = nullptr;
  symbol_market* market = nullptr;  ///< owned by sim_exchange
  std::int64_t start_us = 0;        ///< steady time trade 0 was due
  std::int64_t generated = 0;       ///< trades generated since start
  std::vector<lws*> conns;          ///< established streams subscribed to `market`
};

/// Pacing state of one symbol's order book: a timer that applies the open depth
/// event's changes spread evenly over the interval (change j of n at j/n of it) and
/// closes the event at its end, and the depth streams to wake then. So the book is
/// always some changes ahead of the last event sent, as on Binance. `sul` stays
/// first so the callback can recover `this`.
struct depth_clock {
  lws_sorted_usec_list_t sul;       ///< lws timer; first member (see lws_container_of)
  sim_server::impl* owner = nullptr;
  symbol_market* market = nullptr;  ///< owned by sim_exchange
  std::int64_t interval_start_us = 0; ///< steady time the open event's interval began
  std::vector<lws*> conns;          ///< established streams with a depth subscription to `market`
};

void lws_log_emit(int level, const char* line) {
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  // lws 4.1.6 logs this at error level on every lws_adopt_socket_vhost_readbuf
  // (a plain hang-upgrade handing a connection back); it is not an error.
  if (text.find("adopt_socket_readbuf: calling service") != std::string::npos)
    return;
  if (level & LLL_ERR)
    SV_ERROR("sim", "-", "lws", "msg=\"%s\"", text.c_str());
  else
    SV_WARN("sim", "-", "lws", "msg=\"%s\"", text.c_str());
}

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

const lws_protocols protocols[] = {
  // One protocol serves HTTP and WebSocket: clients send no Sec-WebSocket-Protocol,
  // so lws binds upgrades to protocol 0.
  {"sim", callback, 0, 4096, 0, nullptr, 0},
  {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

} // namespace

struct sim_server::impl {
  sim_options options;
  sim_exchange& ex;
  std::vector<std::string> replay;
  lws_context* ctx = nullptr;
  int port = 0;
  std::unordered_map<lws*, std::unique_ptr<session>> sessions;
  std::map<const symbol_market*, std::unique_ptr<market_clock>> clocks;
  std::map<const symbol_market*, std::unique_ptr<depth_clock>> depth_clocks;
  std::unordered_map<lws*, jailed_conn> jails; // raw sockets taken at accept
  fault_plan faults;
  weight_window weights; // REST request weight of the last minute
  lws_vhost* vhost = nullptr;
  std::string scratch; // frame under construction, LWS_PRE bytes of headroom first

  impl(const sim_options& o, sim_exchange& e, std::vector<std::string> r)
    : options(o), ex(e), replay(std::move(r)), faults(o.faults) {
    ex.set_faults(&faults); // /sim/stats reads the counts when asked
  }

  ~impl() {
    ex.set_faults(nullptr);
  }

  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  bool tls() const {
    return !options.cert_file.empty() && !options.key_file.empty();
  }

  bool replaying() const {
    return !replay.empty();
  }

  market_clock& clock_of(symbol_market& m) {
    auto& c = clocks[&m];
    if (!c) {
      c = std::make_unique<market_clock>();
      std::memset(&c->sul, 0, sizeof(c->sul));
      c->owner = this;
      c->market = &m;
    }
    return *c;
  }

  session& fresh_session(lws* wsi) {
    release(wsi);
    auto& s = sessions[wsi];
    s = std::make_unique<session>();
    std::memset(&s->timer.sul, 0, sizeof(s->timer.sul));
    s->timer.owner = this;
    s->timer.wsi = wsi;
    return *s;
  }

  session* find_session(lws* wsi) {
    auto i = sessions.find(wsi);
    return i == sessions.end() ? nullptr : i->second.get();
  }

  // -- generation -------------------------------------------------------------

  void wake(market_clock& c) {
    for (auto* conn : c.conns)
      lws_callback_on_writable(conn);
  }

  /// Begins a market's sequence (first subscriber, --start-on-connect semantics).
  void start_market(symbol_market& m) {
    m.started = true;
    auto& c = clock_of(m);
    c.start_us = steady_us();
    c.generated = 0;
    SV_INFO("sim", m.symbol(), "started", "rate=%lld first_id=%lld",
            static_cast<long long>(options.rate), static_cast<long long>(m.next_id()));
    if (options.rate > 0 && !replaying() && !m.exhausted())
      lws_sul_schedule(ctx, 0, &c.sul, on_tick, 0);
  }

  static void on_tick(lws_sorted_usec_list_t* sul) {
    auto* c = lws_container_of(sul, market_clock, sul);
    c->owner->tick(*c);
  }

  /// Generates every trade due by now (trade k is due k/rate seconds after start)
  /// and re-arms the timer for the next one.
  void tick(market_clock& c) {
    auto& m = *c.market;
    auto now = steady_us();
    auto rate = static_cast<int128>(options.rate);
    auto due_total = static_cast<std::int64_t>(
      static_cast<int128>(now - c.start_us) * rate / us_per_s + 1);
    auto n = std::min(due_total - c.generated, tick_trades_max);
    n = std::min<std::int64_t>(n, static_cast<std::int64_t>(options.rest_history));
    auto ms = wall_ms();
    for (std::int64_t i = 0; i < n && !m.exhausted(); ++i) {
      m.emit(ms);
      ++c.generated;
    }
    wake(c);
    if (m.exhausted()) {
      SV_INFO("sim", m.symbol(), "exhausted", "emitted=%lld",
              static_cast<long long>(m.totals().emitted));
      return;
    }
    // Next due time: smallest t with floor(t * rate / 1e6) >= generated.
    auto next_us = c.start_us
                   + static_cast<std::int64_t>(
                     (static_cast<int128>(c.generated) * us_per_s + rate - 1) / rate);
    lws_sul_schedule(ctx, 0, &c.sul, on_tick, std::max<std::int64_t>(0, next_us - now));
  }

  /// skip-on-reconnect, on a symbol's non-first established connection: the
  /// exchange's sequence advances by `trades` trades (stamped now) before the
  /// connection's cursor is set, so the connection never gets them while REST, the
  /// stats totals and the other open connections do. At --rate N the trades already
  /// due are generated first, so the skipped ids follow the last id due by now; the
  /// skipped trades are extra, outside the pacing schedule (they delay nothing).
  void skip_on_reconnect(symbol_market& m) {
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
    SV_INFO("sim", m.symbol(), "fault_skip", "first_id=%lld last_id=%lld skipped=%lld",
            static_cast<long long>(first), static_cast<long long>(first + n - 1),
            static_cast<long long>(n));
    wake(c);
  }

  /// --rate 0: the fastest reader pulls the sequence forward in batches.
  void refill(symbol_market& m) {
    auto n = std::min(unpaced_batch, options.rest_history);
    auto ms = wall_ms();
    for (std::size_t i = 0; i < n && !m.exhausted(); ++i)
      m.emit(ms);
    auto& c = clock_of(m);
    c.generated = m.totals().emitted;
    wake(c);
  }

  // -- order book -------------------------------------------------------------

  /// Starts `m`'s book clock unless it runs: the book moves from the moment the
  /// market exists (--symbols at start, else its first stream request), whether or
  /// not anyone reads its depth stream, like an exchange's.
  depth_clock& start_depth_clock(symbol_market& m) {
    auto& c = depth_clocks[&m];
    if (c)
      return *c;
    c = std::make_unique<depth_clock>();
    std::memset(&c->sul, 0, sizeof(c->sul));
    c->owner = this;
    c->market = &m;
    c->interval_start_us = steady_us();
    SV_INFO("sim", m.symbol(), "book_started", "update_id=%lld interval_ms=%lld changes=%lld",
            static_cast<long long>(m.depth().book().last_update_id()),
            static_cast<long long>(options.depth_interval_ms),
            static_cast<long long>(options.depth_changes));
    lws_sul_schedule(ctx, 0, &c->sul, on_depth_tick, 0);
    return *c;
  }

  static void on_depth_tick(lws_sorted_usec_list_t* sul) {
    auto* c = lws_container_of(sul, depth_clock, sul);
    c->owner->depth_tick(*c);
  }

  /// Takes every depth step due by now (the open event's next change, or closing
  /// it), wakes the depth streams if an event was kept, and re-arms the timer.
  void depth_tick(depth_clock& c) {
    auto& feed = c.market->depth();
    auto interval_us = options.depth_interval_ms * 1000;
    auto now = steady_us();
    if (now - c.interval_start_us > interval_us + depth_lag_us_max) {
      SV_WARN("sim", c.market->symbol(), "depth_clock_late",
              "late_ms=%lld hint=\"the service thread was stalled; the schedule restarts now\"",
              static_cast<long long>((now - c.interval_start_us - interval_us) / 1000));
      c.interval_start_us = now;
    }
    bool kept = false;
    for (int step = 0; step < depth_steps_max; ++step) {
      auto n = feed.open_size();
      auto j = feed.open_applied();
      auto due = c.interval_start_us + (j < n ? interval_us * j / n : interval_us);
      if (due > now) {
        if (kept)
          wake(c.conns);
        lws_sul_schedule(ctx, 0, &c.sul, on_depth_tick, due - now);
        return;
      }
      if (j < n) {
        feed.apply_change();
        continue;
      }
      kept = close_depth_event(*c.market) || kept;
      c.interval_start_us += interval_us;
    }
    if (kept)
      wake(c.conns);
    lws_sul_schedule(ctx, 0, &c.sul, on_depth_tick, 0); // more steps are due
  }

  /// Closes `m`'s open depth event, dropped if a drop-depth fault says so. Returns
  /// true if the event was kept for the streams.
  bool close_depth_event(symbol_market& m) {
    auto& feed = m.depth();
    auto number = feed.next_number();
    const auto* f = faults.empty() ? nullptr : faults.take_depth_drop(m.symbol(), number);
    auto first = feed.book().last_update_id() - feed.open_size() + 1;
    feed.close_event(wall_ms(), f != nullptr);
    if (!f)
      return true;
    SV_INFO("sim", m.symbol(), "fault_depth_dropped",
            "fault=\"%s\" event=%lld first_update_id=%lld last_update_id=%lld dropped=%lld",
            f->text.c_str(), static_cast<long long>(number), static_cast<long long>(first),
            static_cast<long long>(feed.book().last_update_id()),
            static_cast<long long>(feed.dropped()));
    return false;
  }

  static void wake(const std::vector<lws*>& conns) {
    for (auto* conn : conns)
      lws_callback_on_writable(conn);
  }

  // -- stream connections -----------------------------------------------------

  int confirm_upgrade(lws* wsi) {
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

  // -- faults -----------------------------------------------------------------

  /// Counts an applied fault on each symbol and logs it.
  void note_fault(const fault_spec& f, const std::vector<std::string>& symbols) {
    if (symbols.empty())
      SV_INFO("sim", "-", "fault_applied", "fault=\"%s\"", f.text.c_str());
    for (const auto& sym : symbols) {
      auto& m = ex.get_or_create(sym);
      m.fault_applied();
      SV_INFO("sim", m.symbol(), "fault_applied", "fault=\"%s\" faults=%d", f.text.c_str(),
              m.faults_applied());
    }
  }

  /// reject: the fault's status, Retry-After and a Binance-style error body; >0
  /// tells lws we answered (it then closes: an upgrade request is not keep-alive).
  int reject_with(lws* wsi, const fault_spec& f) {
    std::string body = "{\"code\":-1003,\"msg\":\"sim fault: upgrade rejected with "
                       + std::to_string(f.status) + "\"}";
    std::string retry = std::to_string(f.retry_after_s);
    std::string buf(LWS_PRE + 1024 + body.size(), '\0');
    auto* start = reinterpret_cast<unsigned char*>(buf.data()) + LWS_PRE;
    auto* p = start;
    auto* end = reinterpret_cast<unsigned char*>(buf.data()) + buf.size() - 1;
    static const char json_type[] = "application/json;charset=UTF-8";
    if (lws_add_http_header_status(wsi, static_cast<unsigned>(f.status), &p, end)
        || lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
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
  bool filter_accept(int fd) {
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
    auto* raw = adopt_copy(fd, LWS_ADOPT_SOCKET | (with_tls ? LWS_ADOPT_ALLOW_SSL : 0),
                           "sim");
    if (!raw)
      return true; // lws's descriptor is closed by the listener; the copy by adopt
    auto& j = jails[raw];
    j.hanging = f != nullptr;
    if (f)
      note_fault(*f, {});
    return true;
  }

  /// Adopts dup(fd) into the vhost; nullptr (logged) on failure.
  lws* adopt_copy(int fd, int type, const char* protocol, const std::string* readbuf = nullptr) {
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
      SV_WARN("sim", "-", "fault_adopt_failed", "reason=dup errno=%d", errno);
      return nullptr;
    }
    lws_sock_file_fd_type desc;
    desc.sockfd = copy;
    lws* wsi = nullptr;
    if (readbuf)
      wsi = lws_adopt_socket_vhost_readbuf(vhost, copy, readbuf->data(), readbuf->size());
    else
      wsi = lws_adopt_descriptor_vhost(vhost, static_cast<lws_adoption_type>(type), desc,
                                       protocol, nullptr);
    if (!wsi)
      SV_WARN("sim", "-", "fault_adopt_failed", "reason=adopt");
    return wsi;
  }

  /// LWS_CALLBACK_RAW_RX of a jailed connection: a hanging one discards; a peeking
  /// one collects the request head, then hangs or hands the socket back to lws.
  int jailed_rx(lws* wsi, const char* in, size_t len) {
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
  static std::optional<std::vector<std::string>> upgrade_symbols(const std::string& head) {
    if (head.compare(0, 4, "GET ") != 0)
      return std::nullopt;
    auto sp = head.find(' ', 4);
    if (sp == std::string::npos)
      return std::nullopt;
    std::string lower = head;
    for (auto& c : lower)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find("\r\nupgrade: websocket") == std::string::npos
        && lower.find("\r\nupgrade:websocket") == std::string::npos)
      return std::nullopt;
    auto target = std::string_view(head).substr(4, sp - 4);
    auto q = target.find('?');
    auto path = std::string(target.substr(0, q));
    auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    auto req = parse_stream_path(path, query);
    if (!req)
      return std::nullopt;
    return req->symbols;
  }

  static void on_session_timer(lws_sorted_usec_list_t* sul) {
    auto* t = lws_container_of(sul, session_timer, sul);
    t->owner->session_timer_fired(t->wsi);
  }

  void session_timer_fired(lws* wsi) {
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
  void poll_reset(lws* wsi, session& s) {
    int fd = lws_get_socket_fd(wsi);
    int queued = 0;
    bool drained = !lws_partial_buffered(wsi) && ::ioctl(fd, TIOCOUTQ, &queued) == 0
                   && queued == 0;
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
  int fault_gate(lws* wsi, session& s) {
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
        SV_INFO("sim", "-", "fault_silent", "frames=%lld", static_cast<long long>(s.frames_sent));
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
        return 0;
    }
    return 0;
  }

  /// The documented serverShutdown event (raw, or wrapped as "!serverShutdown" on a
  /// combined stream), then `grace_ms` more streaming before the 1001 close.
  int send_server_shutdown(lws* wsi, session& s) {
    auto ms = std::to_string(wall_ms());
    scratch.assign(LWS_PRE, '\0');
    if (s.combined)
      scratch += "{\"stream\":\"!serverShutdown\",\"data\":{\"e\":\"serverShutdown\",\"E\":"
                 + ms + "}}";
    else
      scratch += "{\"e\":\"serverShutdown\",\"E\":" + ms + "}";
    if (!write_scratch(wsi, LWS_WRITE_TEXT))
      return -1;
    ++s.frames_sent;
    s.shutdown_sent = true;
    SV_INFO("sim", "-", "fault_server_shutdown", "frames=%lld grace_ms=%lld",
            static_cast<long long>(s.frames_sent), static_cast<long long>(s.fault->grace_ms));
    lws_sul_schedule(ctx, 0, &s.timer.sul, on_session_timer,
                     static_cast<lws_usec_t>(s.fault->grace_ms) * 1000);
    return 0;
  }

  /// malformed-every: whether the next frame is the extra truncated one.
  static bool malformed_due(const session& s) {
    return s.fault && s.fault->mode == fault_mode::malformed_every
           && (s.frames_sent + 1) % s.fault->k == 0;
  }

  /// Writes scratch's frame cut to half its length (at least one byte short, so
  /// never valid JSON) instead of whole; the trade is sent whole afterwards.
  bool write_truncated(lws* wsi, session& s) {
    auto len = scratch.size() - LWS_PRE;
    scratch.resize(LWS_PRE + std::max<std::size_t>(1, len / 2));
    if (!write_scratch(wsi, LWS_WRITE_TEXT))
      return false;
    ++s.frames_sent;
    return true;
  }

  int close_with(lws* wsi, int code, const std::string& why) {
    lws_close_reason(wsi, static_cast<lws_close_status>(code),
                     reinterpret_cast<unsigned char*>(const_cast<char*>(why.data())), why.size());
    SV_INFO("sim", "-", "fault_close", "code=%d reason=\"%s\"", code, why.c_str());
    return -1;
  }

  int reject_upgrade(lws* wsi, const char* path) {
    SV_INFO("sim", "-", "upgrade_rejected", "path=\"%s\" status=404", path);
    // >0 tells lws we answered ourselves (lws-callbacks.h, HTTP_CONFIRM_UPGRADE).
    if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "unknown stream"))
      return -1;
    return 1;
  }

  void established(lws* wsi) {
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
    ::setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    for (auto& sub : s->subs) {
      auto& m = *sub.market;
      bool reconnect = m.connections_total() > 0;
      m.connection_opened();
      SV_INFO("sim", m.symbol(), "connected", "conns=%d total=%d combined=%d",
              m.connections(), m.connections_total(), s->combined ? 1 : 0);
      if (!m.started)
        start_market(m);
      if (reconnect)
        skip_on_reconnect(m);
      sub.next_id = m.next_id();
      clock_of(m).conns.push_back(wsi);
    }
    for (auto& d : s->depth_subs) {
      auto& feed = d.market->depth();
      feed.connection_opened();
      // Binance does not replay: the first event sent is the next one closed.
      d.next_pos = feed.next_pos();
      start_depth_clock(*d.market).conns.push_back(wsi);
      SV_INFO("sim", d.market->symbol(), "depth_connected", "conns=%d update_id=%lld combined=%d",
              feed.connections(), static_cast<long long>(feed.book().last_update_id()),
              s->combined ? 1 : 0);
    }
    if (replaying()) {
      s->replay_start_us = steady_us();
      lws_callback_on_writable(wsi);
      return;
    }
    // Unpaced streams pull; an already exhausted sequence may need the 1000 close.
    lws_callback_on_writable(wsi);
  }

  void release(lws* wsi) {
    jails.erase(wsi);
    auto i = sessions.find(wsi);
    if (i == sessions.end())
      return;
    auto& s = *i->second;
    lws_sul_cancel(&s.timer.sul);
    if (s.registered) {
      for (auto& sub : s.subs) {
        auto& m = *sub.market;
        m.connection_closed();
        auto& conns = clock_of(m).conns;
        conns.erase(std::remove(conns.begin(), conns.end(), wsi), conns.end());
        SV_INFO("sim", m.symbol(), "disconnected", "conns=%d total=%d sent_to=%lld",
                m.connections(), m.connections_total(),
                static_cast<long long>(sub.next_id - 1));
      }
      for (auto& d : s.depth_subs) {
        auto& feed = d.market->depth();
        feed.connection_closed();
        if (auto c = depth_clocks.find(d.market); c != depth_clocks.end()) {
          auto& conns = c->second->conns;
          conns.erase(std::remove(conns.begin(), conns.end(), wsi), conns.end());
        }
        SV_INFO("sim", d.market->symbol(), "depth_disconnected", "conns=%d events_sent=%lld",
                feed.connections(), static_cast<long long>(d.next_pos));
      }
    }
    sessions.erase(i);
  }

  /// Sends `text` (already in scratch after LWS_PRE) as one text frame.
  bool write_scratch(lws* wsi, lws_write_protocol kind) {
    auto len = scratch.size() - LWS_PRE;
    auto* p = reinterpret_cast<unsigned char*>(scratch.data()) + LWS_PRE;
    return lws_write(wsi, p, len, kind) >= static_cast<int>(len);
  }

  int close_normal(lws* wsi, const char* why) {
    lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
                     reinterpret_cast<unsigned char*>(const_cast<char*>(why)),
                     std::strlen(why));
    return -1;
  }

  int stream_writeable(lws* wsi) {
    auto* s = find_session(wsi);
    if (!s || !s->registered)
      return 0; // lws's own ping/pong writes wake us too (shared notes 4.5)
    if (int g = fault_gate(wsi, *s))
      return g < 0 ? -1 : 0;
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
  int send_depth(lws* wsi, session& s, int& frames, bool& choked) {
    for (auto& d : s.depth_subs) {
      auto& feed = d.market->depth();
      if (d.next_pos < feed.oldest_pos()) {
        SV_WARN("sim", d.market->symbol(), "depth_reader_lagged",
                "skipped_events=%lld hint=\"read faster: only the last %zu events are kept\"",
                static_cast<long long>(feed.oldest_pos() - d.next_pos), depth_feed::history_max);
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

  std::size_t replay_due(const session& s) const {
    if (options.rate == 0)
      return replay.size();
    auto elapsed = steady_us() - s.replay_start_us;
    auto due = static_cast<int128>(elapsed) * options.rate / us_per_s + 1;
    return static_cast<std::size_t>(std::min<int128>(due, static_cast<int128>(replay.size())));
  }

  int replay_writeable(lws* wsi, session& s) {
    auto due = replay_due(s);
    int frames = 0;
    while (s.replay_next < due && frames < burst_frames_max && !lws_send_pipe_choked(wsi)) {
      const auto& line = replay[s.replay_next];
      scratch.assign(LWS_PRE, '\0');
      scratch += line;
      if (malformed_due(s)) {
        if (!write_truncated(wsi, s))
          return -1;
        scratch.assign(LWS_PRE, '\0');
        scratch += line;
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
      auto next_us = s.replay_start_us
                     + static_cast<std::int64_t>(
                       (static_cast<int128>(s.replay_next) * us_per_s + options.rate - 1)
                       / options.rate);
      lws_set_timer_usecs(wsi, std::max<lws_usec_t>(1, next_us - steady_us()));
    }
    return 0;
  }

  // -- HTTP -------------------------------------------------------------------

  static std::string query_string(lws* wsi) {
    std::string query;
    char frag[1024];
    for (int i = 0;; ++i) {
      int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
      if (n < 0)
        break;
      if (!query.empty())
        query.push_back('&');
      query.append(frag, static_cast<std::size_t>(n));
    }
    return query;
  }

  /// A REST fault for an /api/v3/* request with `args`, or nullptr; counted.
  const fault_spec* take_rest_fault(const query_args& args) {
    if (faults.empty())
      return nullptr;
    std::string symbol;
    for (const auto& [k, v] : args)
      if (k == "symbol")
        symbol = to_upper_symbol(v); // the last occurrence wins, as in handle_rest
    const auto* f = faults.take_rest(symbol);
    if (f) {
      SV_INFO("sim", symbol.empty() ? "-" : symbol.c_str(), "fault_applied",
              "fault=\"%s\" rest_rejected=%lld", f->text.c_str(),
              static_cast<long long>(ex.rest_rejected() + 1));
    }
    return f;
  }

  int http_request(lws* wsi, const char* in, size_t len) {
    auto& s = fresh_session(wsi);
    http_reply reply;
    std::string path(in ? in : "", in ? len : 0);
    auto args = parse_query(query_string(wsi));
    bool api = is_rest_api_path(path);
    auto now_ms = steady_us() / 1000;
    // Every /api/v3/* request costs its weight and is counted, the rejected too.
    auto used = api ? weights.add(now_ms, rest_request_weight(path, args)) : weights.used(now_ms);
    const fault_spec* f = api ? take_rest_fault(args) : nullptr;
    if (api)
      ex.count_rest_request(f != nullptr);
    if (f)
      reply = rest_fault_reply(*f);
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
      reply = {405, "{\"code\":-1,\"msg\":\"Only GET is supported.\"}", -1};
    else
      reply = handle_rest(ex, path, args);
    SV_DEBUG("sim", "-", "http", "path=\"%s\" status=%u bytes=%zu weight=%lld", path.c_str(),
             reply.status, reply.body.size(), static_cast<long long>(used));
    unsigned char headers[LWS_PRE + 512];
    unsigned char* start = headers + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = headers + sizeof(headers) - 1;
    auto weight = std::to_string(used);
    auto retry = std::to_string(reply.retry_after_s);
    if (lws_add_http_common_headers(wsi, reply.status, "application/json;charset=UTF-8",
                                    reply.body.size(), &p, end)
        || lws_add_http_header_by_name(
          wsi, reinterpret_cast<const unsigned char*>("X-MBX-USED-WEIGHT-1M:"),
          reinterpret_cast<const unsigned char*>(weight.data()), static_cast<int>(weight.size()),
          &p, end)
        || (reply.retry_after_s >= 0
            && lws_add_http_header_by_token(
              wsi, WSI_TOKEN_HTTP_RETRY_AFTER, reinterpret_cast<const unsigned char*>(retry.data()),
              static_cast<int>(retry.size()), &p, end))
        || lws_finalize_write_http_header(wsi, start, &p, end))
      return 1;
    s.http_body = std::move(reply.body);
    s.http_sent = 0;
    s.http_pending = true;
    lws_callback_on_writable(wsi);
    return 0;
  }

  int http_writeable(lws* wsi) {
    auto* s = find_session(wsi);
    if (!s || !s->http_pending)
      return 0;
    while (!lws_send_pipe_choked(wsi)) {
      auto chunk = std::min(http_chunk, s->http_body.size() - s->http_sent);
      bool final = s->http_sent + chunk == s->http_body.size();
      scratch.assign(LWS_PRE, '\0');
      scratch.append(s->http_body, s->http_sent, chunk);
      if (!write_scratch(wsi, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP))
        return -1;
      s->http_sent += chunk;
      if (final) {
        s->http_pending = false;
        s->http_body.clear();
        return lws_http_transaction_completed(wsi) ? -1 : 0;
      }
    }
    lws_callback_on_writable(wsi);
    return 0;
  }

  int dispatch(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    switch (reason) {
      case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        // `in` carries the accepted descriptor (roles/listen/ops-listen.c).
        return filter_accept(static_cast<int>(reinterpret_cast<std::intptr_t>(in))) ? 1 : 0;
      case LWS_CALLBACK_RAW_RX:
        return jailed_rx(wsi, static_cast<const char*>(in), len);
      case LWS_CALLBACK_RAW_ADOPT:
      case LWS_CALLBACK_RAW_WRITEABLE:
        return 0;
      case LWS_CALLBACK_RAW_CLOSE:
        release(wsi);
        return 0;
      case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(wsi);
      case LWS_CALLBACK_ESTABLISHED:
        established(wsi);
        return 0;
      case LWS_CALLBACK_SERVER_WRITEABLE:
        return stream_writeable(wsi);
      case LWS_CALLBACK_TIMER:
        lws_callback_on_writable(wsi); // a replay line became due
        return 0;
      case LWS_CALLBACK_RECEIVE:
        return 0; // SUBSCRIBE requests are not simulated; the path decides
      case LWS_CALLBACK_HTTP:
        return http_request(wsi, static_cast<const char*>(in), len);
      case LWS_CALLBACK_HTTP_WRITEABLE:
        return http_writeable(wsi);
      case LWS_CALLBACK_CLOSED:
      case LWS_CALLBACK_CLOSED_HTTP:
      case LWS_CALLBACK_WSI_DESTROY:
        release(wsi);
        return 0;
      default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
  }
};

namespace {

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* ctx = lws_get_context(wsi);
  auto* self = ctx ? static_cast<sim_server::impl*>(lws_context_user(ctx)) : nullptr;
  if (!self)
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  return self->dispatch(wsi, reason, user, in, len);
}

} // namespace

sim_server::sim_server(const sim_options& options, sim_exchange& ex,
                       std::vector<std::string> replay_lines)
  : impl_(std::make_unique<impl>(options, ex, std::move(replay_lines))) {}

sim_server::~sim_server() {
  if (impl_->ctx) {
    // Closes every connection (CLOSED / WSI_DESTROY run here, on this thread)
    // before the clocks whose timers lws still lists are freed with impl_.
    lws_context_destroy(impl_->ctx);
    impl_->ctx = nullptr;
  }
}

bool sim_server::start() {
  auto& o = impl_->options;
  lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = o.port;
  info.iface = o.host.c_str();
  info.protocols = protocols;
  info.user = impl_.get();
  info.vhost_name = "default";
  if (o.host != "::1")
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  if (tls()) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = o.cert_file.c_str();
    info.ssl_private_key_filepath = o.key_file.c_str();
  }
  impl_->ctx = lws_create_context(&info);
  if (!impl_->ctx) {
    SV_ERROR("sim", "-", "listen_failed",
             "host=%s port=%d tls=%d hint=\"check the port is free and the "
             "certificate/key are readable PEM files\"",
             o.host.c_str(), o.port, tls() ? 1 : 0);
    return false;
  }
  impl_->vhost = lws_get_vhost_by_name(impl_->ctx, "default");
  impl_->port = lws_get_vhost_listen_port(impl_->vhost);
  for (auto& [name, market] : impl_->ex.markets())
    impl_->start_depth_clock(*market);
  SV_INFO("sim", "-", "listening", "host=%s port=%d tls=%d rate=%lld count=%lld replay=%zu",
          o.host.c_str(), impl_->port, tls() ? 1 : 0, static_cast<long long>(o.rate),
          static_cast<long long>(o.count), impl_->replay.size());
  return true;
}

int sim_server::port() const noexcept {
  return impl_->port;
}

bool sim_server::tls() const noexcept {
  return impl_->tls();
}

void sim_server::run(const std::atomic<bool>& stop) {
  while (!stop.load())
    if (lws_service(impl_->ctx, 0) < 0)
      break;
}

lws_context* sim_server::context() const noexcept {
  return impl_->ctx;
}

} // namespace sv
