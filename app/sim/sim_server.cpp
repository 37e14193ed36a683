// sim_server: the simulator's libwebsockets server (aggTrade streams, REST, pacing) on one service thread.
#include "app/sim/sim_server.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <unordered_map>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "actors/log.hpp"
#include "app/sim/rest_handler.hpp"
#include "app/sim/stream_path.hpp"
#include "app/sim/trade_json.hpp"

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

/// Per-connection data, keyed by wsi; created at the HTTP request or upgrade,
/// dropped at CLOSED / WSI_DESTROY. lws service thread only.
struct session {
  bool is_stream = false;            ///< a WebSocket stream (else HTTP)
  bool combined = false;             ///< wrap frames as {"stream":..,"data":..}
  bool registered = false;           ///< counted in its markets' connections
  std::vector<subscription> subs;    ///< streams of this connection
  std::size_t round_robin = 0;       ///< first subscription served next burst
  std::size_t replay_next = 0;       ///< next replay line to send
  std::int64_t replay_start_us = 0;  ///< steady time the replay began
  std::string http_body;             ///< reply being written
  std::size_t http_sent = 0;         ///< bytes of http_body written
  bool http_pending = false;         ///< headers written, body not finished
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

void lws_log_emit(int level, const char* line) {
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
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
  std::string scratch; // frame under construction, LWS_PRE bytes of headroom first

  impl(const sim_options& o, sim_exchange& e, std::vector<std::string> r)
    : options(o), ex(e), replay(std::move(r)) {}

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
    for (const auto& sym : req->symbols)
      s.subs.push_back(subscription{&ex.get_or_create(sym), 0});
    return 0;
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
    // Frames are small and written one per lws_write: with Nagle on, each burst
    // waits for the reader's delayed ACK and throughput collapses to ~40k frames/s.
    int one = 1;
    ::setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    for (auto& sub : s->subs) {
      auto& m = *sub.market;
      m.connection_opened();
      SV_INFO("sim", m.symbol(), "connected", "conns=%d total=%d combined=%d",
              m.connections(), m.connections_total(), s->combined ? 1 : 0);
      if (!m.started)
        start_market(m);
      sub.next_id = m.next_id();
      clock_of(m).conns.push_back(wsi);
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
    auto i = sessions.find(wsi);
    if (i == sessions.end())
      return;
    auto& s = *i->second;
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
    if (replaying())
      return replay_writeable(wsi, *s);
    int frames = 0;
    bool progressed = true;
    bool choked = false;
    auto n = s->subs.size();
    // lws_send_pipe_choked costs a poll(2); check it once per frame, not more.
    while (progressed && !choked && frames < burst_frames_max) {
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
        if (!write_scratch(wsi, LWS_WRITE_TEXT))
          return -1;
        ++sub.next_id;
        ++frames;
        progressed = true;
      }
      s->round_robin = (s->round_robin + 1) % n;
    }
    bool pending = false;
    bool all_done = true;
    for (auto& sub : s->subs) {
      auto& m = *sub.market;
      if (sub.next_id < m.next_id() || (options.rate == 0 && !m.exhausted()))
        pending = true;
      if (!m.exhausted() || sub.next_id < m.next_id())
        all_done = false;
    }
    if (pending)
      lws_callback_on_writable(wsi);
    else if (all_done && options.close_after_count)
      return close_normal(wsi, "count reached");
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
      if (!write_scratch(wsi, LWS_WRITE_TEXT))
        return -1;
      ++s.replay_next;
      ++frames;
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

  int http_request(lws* wsi, const char* in, size_t len) {
    auto& s = fresh_session(wsi);
    http_reply reply;
    std::string path(in ? in : "", in ? len : 0);
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
      reply = {405, "{\"code\":-1,\"msg\":\"Only GET is supported.\"}"};
    else
      reply = handle_rest(ex, path, parse_query(query_string(wsi)));
    SV_DEBUG("sim", "-", "http", "path=\"%s\" status=%u bytes=%zu", path.c_str(),
             reply.status, reply.body.size());
    unsigned char headers[LWS_PRE + 512];
    unsigned char* start = headers + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = headers + sizeof(headers) - 1;
    if (lws_add_http_common_headers(wsi, reply.status, "application/json;charset=UTF-8",
                                    reply.body.size(), &p, end)
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
  impl_->port = lws_get_vhost_listen_port(lws_get_vhost_by_name(impl_->ctx, "default"));
  SV_INFO("sim", "-", "listening", "host=%s port=%d tls=%d rate=%lld count=%lld replay=%zu",
          o.host.c_str(), impl_->port, tls() ? 1 : 0, static_cast<long long>(o.rate),
          static_cast<long long>(o.count), impl_->replay.size());
  return true;
}

int sim_server::port() const noexcept {
  return impl_->port;
}

bool sim_server::tls() const noexcept {
  return !impl_->options.cert_file.empty() && !impl_->options.key_file.empty();
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
