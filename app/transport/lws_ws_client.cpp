// lws_ws_client: the libwebsockets implementation of ws_client (one context, one service thread).
#include "app/transport/lws_ws_client.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include <libwebsockets.h>

#include "actors/log.hpp"
#include "messages/ws_events.hpp"

namespace sv {

namespace {

// The protocol name binds our callback to every client wsi we create.
constexpr const char* protocol_name = "sv-ws";

// lws reads at most this much per socket read and hands ws payload to us in chunks
// of at most this size; 64 KiB lets one read carry hundreds of small frames.
constexpr std::size_t rx_chunk_bytes = 64 * 1024;

// Smallest reserve for a fresh batch buffer: a few typical Binance trade frames.
constexpr std::size_t batch_reserve_min = 4096;

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

unsigned long long ull(std::uint64_t x) {
  return static_cast<unsigned long long>(x);
}

/// One queued request from a caller thread to the service thread.
struct command {
  bool is_open = false;         ///< open (true) or close (false)
  std::uint64_t id = 0;         ///< connection id given by the caller
  ws_target target;             ///< where to connect (open only)
  caf::weak_actor_ptr listener; ///< who gets the events (open only)
};

/// Sends `msg` to `listener` if it still exists; returns false if it is gone.
template <class T>
bool deliver(const caf::weak_actor_ptr& listener, T&& msg) {
  auto strong = caf::actor_cast<caf::actor>(listener);
  if (!strong)
    return false;
  caf::anon_send(strong, std::forward<T>(msg));
  return true;
}

} // namespace

/// Everything behind lws_ws_client; the lws callback reaches it through the
/// context user pointer.
struct lws_ws_client::impl {
  /// Routing entry of one open() on the service thread; lives from the open
  /// command until WSI_DESTROY (or a synchronous connect failure). The wsi's
  /// opaque user data points here. lws service thread only.
  struct connection {
    std::uint64_t id = 0;          ///< caller's connection id
    caf::weak_actor_ptr listener;  ///< event destination, never kept alive
    lws* wsi = nullptr;            ///< set from connect's return and every callback
    std::string host;              ///< kept alive for lws (address, host, origin)
    std::string path;              ///< kept alive for lws
    std::chrono::steady_clock::time_point started; ///< for handshake ms
    bool established = false;      ///< CLIENT_ESTABLISHED seen, ws_opened sent
    bool close_requested = false;  ///< local close or abort under way
    bool tls_verify_failed = false; ///< OpenSSL rejected the peer certificate
    bool peer_closed = false;      ///< WS_PEER_INITIATED_CLOSE seen
    bool in_message = false;       ///< a fragmented message is being read
    bool message_binary = false;   ///< the message being read is binary
    std::uint16_t close_code = 0;  ///< peer's close code
    std::int32_t http_status = 0;  ///< status of the upgrade response
    std::int32_t retry_after_s = -1; ///< Retry-After of a rejected upgrade
    std::string error;             ///< CLIENT_CONNECTION_ERROR text or our own cause
    std::string local_reason;      ///< why we closed it ourselves
    std::string peer_reason;       ///< reason text of the peer's close frame
    std::string partial;           ///< fragments of the text message being read
    ws_frames batch;               ///< complete frames not yet sent
  };

  explicit impl(lws_ws_client_options opts) : options(std::move(opts)) {}

  // Immutable after construction.
  lws_ws_client_options options;
  lws_retry_bo_t retry{}; // ping / hangup policy every connection uses
  lws_protocols protocols[2]{};
  lws_context* context = nullptr; // destroyed on the service thread
  std::thread service_thread;

  // any thread; guarded by queue_mutex
  std::mutex queue_mutex;
  std::vector<command> queue;
  bool stopped = false; // no more commands, no more lws_cancel_service

  std::mutex join_mutex; // serializes the join in stop()
  std::atomic<bool> stop_requested{false}; // read by the service loop

  // written on the service thread, read anywhere
  std::atomic<std::uint64_t> frames_delivered{0};
  std::atomic<std::uint64_t> batches_sent{0};
  std::atomic<std::uint64_t> binary_frames{0};

  // lws service thread only
  std::unordered_map<std::uint64_t, std::unique_ptr<connection>> connections;
  bool shutting_down = false; // set just before lws_context_destroy
  std::vector<command> drained; // reused swap buffer for the queue

  static int callback(lws* wsi, lws_callback_reasons reason, void* user,
                      void* in, size_t len);

  /// Any thread. Queues `cmd` and wakes the service thread; false if stopped or
  /// full (the command was not queued).
  bool post(command&& cmd, const char** why);

  /// lws service thread only: the body of the service thread.
  void run();
  /// lws service thread only: handles every queued command.
  void drain_commands();
  void start_connect(command& cmd);
  void begin_close(connection& c, const char* why);
  void on_receive(connection& c, lws* wsi, const char* data, std::size_t len);
  void append_frame(connection& c, const char* data, std::size_t len);
  void flush(connection& c);
  void flush_all();
  /// Sends ws_closed for `c`, logs it, and forgets `c` (invalidates it).
  void finish(connection& c);
};

bool lws_ws_client::impl::post(command&& cmd, const char** why) {
  std::lock_guard<std::mutex> guard{queue_mutex};
  if (stopped) {
    *why = "transport stopped";
    return false;
  }
  if (queue.size() >= options.commands_max) {
    *why = "transport command queue full";
    return false;
  }
  queue.push_back(std::move(cmd));
  // Under the mutex: stop() sets `stopped` under it before the context can be
  // destroyed, so the context is alive here.
  lws_cancel_service(context);
  return true;
}

void lws_ws_client::impl::run() {
  while (!stop_requested.load(std::memory_order_acquire)) {
    lws_service(context, 0);
    // One ws_frames per connection per service pass (socket read), not per frame.
    flush_all();
  }
  // `stopped` is set: nothing is queued any more. Opens that never started still
  // owe their listener a ws_closed.
  {
    std::lock_guard<std::mutex> guard{queue_mutex};
    drained.swap(queue);
  }
  for (auto& cmd : drained) {
    if (!cmd.is_open)
      continue;
    ws_closed msg;
    msg.conn_id = cmd.id;
    msg.reason = "transport stopped";
    deliver(cmd.listener, std::move(msg));
  }
  drained.clear();
  shutting_down = true;
  // Runs CLIENT_CLOSED / CLOSED_CLIENT_HTTP and WSI_DESTROY for every live wsi on
  // this thread, so each listener gets its ws_closed through finish().
  lws_context_destroy(context);
  // Defensive: a connection lws never destroyed must still be reported.
  while (!connections.empty())
    finish(*connections.begin()->second);
}

void lws_ws_client::impl::drain_commands() {
  {
    std::lock_guard<std::mutex> guard{queue_mutex};
    drained.swap(queue);
  }
  for (auto& cmd : drained) {
    if (cmd.is_open) {
      start_connect(cmd);
    } else {
      auto it = connections.find(cmd.id);
      if (it != connections.end())
        begin_close(*it->second, "closed locally");
    }
  }
  drained.clear();
}

void lws_ws_client::impl::start_connect(command& cmd) {
  if (connections.count(cmd.id) != 0) {
    SV_WARN("transport", "-", "duplicate_id",
            "conn=%llu hint=\"use a fresh connection id per attempt\"",
            ull(cmd.id));
    ws_closed msg;
    msg.conn_id = cmd.id;
    msg.reason = "duplicate connection id";
    deliver(cmd.listener, std::move(msg));
    return;
  }
  auto owned = std::make_unique<connection>();
  auto* c = owned.get();
  c->id = cmd.id;
  c->listener = std::move(cmd.listener);
  c->host = std::move(cmd.target.host);
  c->path = cmd.target.path.empty() ? std::string{"/"}
                                    : std::move(cmd.target.path);
  c->started = std::chrono::steady_clock::now();
  c->batch.conn_id = cmd.id;
  c->batch.data.reserve(batch_reserve_min);
  connections.emplace(cmd.id, std::move(owned));

  lws_client_connect_info info;
  std::memset(&info, 0, sizeof(info));
  info.context = context;
  info.address = c->host.c_str();
  info.port = cmd.target.port;
  info.path = c->path.c_str();
  // SNI and the certificate host-name check use `host`.
  info.host = c->host.c_str();
  info.origin = c->host.c_str();
  if (cmd.target.tls) {
    info.ssl_connection = LCCSCF_USE_SSL;
    if (options.insecure)
      info.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED
                             | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK
                             | LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
  }
  info.local_protocol_name = protocol_name;
  info.opaque_user_data = c;
  info.retry_and_idle_policy = &retry;
  SV_INFO("transport", "-", "ws_connecting", "conn=%llu url=%s://%s:%u%s",
          ull(c->id), cmd.target.tls ? "wss" : "ws", c->host.c_str(),
          static_cast<unsigned>(cmd.target.port), c->path.c_str());
  auto* wsi = lws_client_connect_via_info(&info);
  // Callbacks may already have run (even WSI_DESTROY), so look `c` up again.
  auto it = connections.find(cmd.id);
  if (it == connections.end() || it->second.get() != c)
    return;
  if (wsi == nullptr) {
    // lws reports a synchronous failure (typically DNS: getaddrinfo runs right
    // here) only through the NULL return: no error callback, no WSI_DESTROY.
    if (c->error.empty())
      c->error = "connect failed (DNS lookup or socket error)";
    finish(*c);
    return;
  }
  c->wsi = wsi;
}

void lws_ws_client::impl::begin_close(connection& c, const char* why) {
  if (c.close_requested || c.wsi == nullptr)
    return;
  c.close_requested = true;
  c.local_reason = why;
  if (c.established) {
    // The close frame goes out in CLIENT_WRITEABLE. If the peer never lets us
    // write (full window), the timeout kills the socket anyway.
    lws_callback_on_writable(c.wsi);
    lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, 5);
  } else {
    // Still handshaking: nothing to say to the peer, abort at the next pass.
    lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  }
}

void lws_ws_client::impl::append_frame(connection& c, const char* data,
                                       std::size_t len) {
  auto& b = c.batch;
  if (b.ends.empty())
    b.recv_ns = steady_now_ns();
  b.data.append(data, len);
  b.ends.push_back(static_cast<std::uint32_t>(b.data.size()));
  if (b.ends.size() >= options.batch_frames_max
      || b.data.size() >= options.batch_bytes_max)
    flush(c);
}

void lws_ws_client::impl::on_receive(connection& c, lws* wsi, const char* data,
                                     std::size_t len) {
  if (!c.in_message) {
    c.in_message = true;
    c.message_binary = lws_frame_is_binary(wsi) != 0;
  }
  bool complete = lws_is_final_fragment(wsi) != 0
                  && lws_remaining_packet_payload(wsi) == 0;
  if (c.message_binary) {
    // Binance sends text only; binary frames are counted and dropped.
    if (complete) {
      c.in_message = false;
      binary_frames.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  if (complete && c.partial.empty()) {
    // Hot path: a whole frame in one chunk goes straight into the batch.
    c.in_message = false;
    append_frame(c, data, len);
    return;
  }
  c.partial.append(data, len);
  if (complete) {
    c.in_message = false;
    append_frame(c, c.partial.data(), c.partial.size());
    c.partial.clear();
  }
}

void lws_ws_client::impl::flush(connection& c) {
  if (c.batch.ends.empty())
    return;
  auto used = c.batch.data.size();
  auto frames = c.batch.ends.size();
  ws_frames msg = std::move(c.batch);
  c.batch = ws_frames{};
  c.batch.conn_id = c.id;
  // Size the next buffer like the last batch so steady streams never regrow.
  c.batch.data.reserve(
    std::min(std::max(used, batch_reserve_min), options.batch_bytes_max));
  c.batch.ends.reserve(std::min(frames, options.batch_frames_max));
  if (!deliver(c.listener, std::move(msg))) {
    begin_close(c, "listener gone");
    return;
  }
  frames_delivered.fetch_add(frames, std::memory_order_relaxed);
  batches_sent.fetch_add(1, std::memory_order_relaxed);
}

void lws_ws_client::impl::flush_all() {
  for (auto& entry : connections)
    flush(*entry.second);
}

void lws_ws_client::impl::finish(connection& c) {
  flush(c);
  ws_closed msg;
  msg.conn_id = c.id;
  msg.was_open = c.established;
  msg.close_code = c.close_code;
  msg.http_status = c.http_status == 101 ? 0 : c.http_status;
  msg.retry_after_s = msg.http_status != 0 ? c.retry_after_s : -1;
  const char* hint = nullptr;
  if (c.tls_verify_failed) {
    msg.reason = "TLS certificate verification failed";
    hint = "check --ca-file or the server certificate (host name, expiry)";
  } else if (msg.http_status != 0) {
    msg.reason = "HTTP upgrade rejected with status "
                 + std::to_string(msg.http_status);
    hint = msg.http_status == 429 || msg.http_status == 418
             ? "rate limited: wait at least Retry-After before reconnecting"
             : "check the request path and the server";
  } else if (!c.error.empty()) {
    msg.reason = c.error;
    if (c.error.find("SSL") != std::string::npos
        || c.error.find("ssl") != std::string::npos)
      hint = "TLS handshake failed: check --ca-file, the port and that the "
             "server speaks TLS";
    else if (c.error.find("DNS") != std::string::npos)
      hint = "check the host name and DNS";
    else
      hint = "check the host, the port and that the server is up";
  } else if (c.peer_closed) {
    msg.reason = c.peer_reason.empty()
                   ? "closed by peer (code " + std::to_string(c.close_code) + ")"
                   : c.peer_reason;
  } else if (c.close_requested) {
    msg.reason = c.local_reason;
  } else if (shutting_down) {
    msg.reason = "transport stopped";
  } else if (c.established) {
    msg.reason = "connection lost (socket error or ping timeout)";
  } else {
    msg.reason = "handshake timed out";
    hint = "the server accepted TCP but never completed the handshake; check "
           "the port and the tls setting";
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - c.started)
              .count();
  if (hint != nullptr)
    SV_WARN("transport", "-", "ws_failed",
            "conn=%llu host=%s was_open=%d http_status=%d after_ms=%lld "
            "reason=\"%s\" hint=\"%s\"",
            ull(c.id), c.host.c_str(), msg.was_open ? 1 : 0, msg.http_status,
            static_cast<long long>(ms), msg.reason.c_str(), hint);
  SV_INFO("transport", "-", "ws_closed",
          "conn=%llu was_open=%d code=%u http_status=%d retry_after_s=%d "
          "reason=\"%s\"",
          ull(c.id), msg.was_open ? 1 : 0, static_cast<unsigned>(msg.close_code),
          msg.http_status, msg.retry_after_s, msg.reason.c_str());
  deliver(c.listener, std::move(msg));
  if (c.wsi != nullptr)
    lws_set_opaque_user_data(c.wsi, nullptr);
  connections.erase(c.id); // destroys c
}

int lws_ws_client::impl::callback(lws* wsi, lws_callback_reasons reason,
                                  void* /*user*/, void* in, size_t len) {
  auto* self = static_cast<impl*>(lws_context_user(lws_get_context(wsi)));
  if (self == nullptr)
    return 0;
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
    self->drain_commands();
    return 0;
  }
  auto* c = static_cast<connection*>(lws_get_opaque_user_data(wsi));
  if (c == nullptr)
    return 0;
  c->wsi = wsi;
  switch (reason) {
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
      // `len` is OpenSSL's preverify_ok. lws has already waived the errors the
      // insecure flags allow, so 0 here means the handshake will fail.
      if (len == 0)
        c->tls_verify_failed = true;
      return 0;
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP: {
      // Called for every upgrade response, 101 or not, with headers parsed.
      c->http_status = static_cast<std::int32_t>(
        lws_http_client_http_response(wsi));
      char value[32];
      if (lws_hdr_copy(wsi, value, sizeof(value), WSI_TOKEN_HTTP_RETRY_AFTER)
          > 0) {
        char* end = nullptr;
        auto secs = std::strtol(value, &end, 10);
        // Only delta-seconds; an HTTP-date is left as -1 (absent).
        if (end != value && secs >= 0 && secs <= 86400)
          c->retry_after_s = static_cast<std::int32_t>(secs);
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (c->error.empty())
        c->error = in != nullptr && len > 0
                     ? std::string(static_cast<const char*>(in), len)
                     : std::string{"connection error"};
      if (c->http_status == 0)
        c->http_status = static_cast<std::int32_t>(
          lws_http_client_http_response(wsi));
      return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
      c->established = true;
      auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - c->started)
                  .count();
      SV_INFO("transport", "-", "ws_opened", "conn=%llu host=%s handshake_ms=%.1f",
              ull(c->id), c->host.c_str(), static_cast<double>(ms) / 1000.0);
      if (!deliver(c->listener, ws_opened{c->id}))
        self->begin_close(*c, "listener gone");
      else if (c->close_requested)
        lws_callback_on_writable(wsi); // close() raced the handshake
      return 0;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE:
      if (c->close_requested)
        return 0; // the listener asked to stop; don't queue more for it
      self->on_receive(*c, wsi, static_cast<const char*>(in), len);
      if (c->partial.size() > self->options.message_bytes_max) {
        c->error = "message too large";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nullptr, 0);
        return -1;
      }
      return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      c->peer_closed = true;
      auto* p = static_cast<const unsigned char*>(in);
      if (p != nullptr && len >= 2) {
        c->close_code = static_cast<std::uint16_t>((p[0] << 8) | p[1]);
        c->peer_reason.assign(reinterpret_cast<const char*>(p + 2), len - 2);
      }
      return 0; // lws echoes the close
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      // lws also raises WRITEABLE for its own PING/PONG: only act on our flag.
      if (c->close_requested) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
        return -1;
      }
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      // The one terminal event of every wsi we created.
      self->finish(*c);
      return 0;
    default:
      return 0;
  }
}

lws_ws_client::lws_ws_client(lws_ws_client_options options)
  : impl_(std::make_unique<impl>(std::move(options))) {
  auto& d = *impl_;
  auto& opts = d.options;
  if (opts.batch_frames_max == 0)
    opts.batch_frames_max = 1;
  if (opts.batch_bytes_max == 0)
    opts.batch_bytes_max = 1;
  if (opts.hangup_after_s <= opts.ping_after_s) {
    // lws never pings when ping >= hangup; keep the ping meaningful.
    SV_WARN("transport", "-", "config",
            "ping_after_s=%u hangup_after_s=%u: hangup must exceed ping, using "
            "hangup=%u",
            static_cast<unsigned>(opts.ping_after_s),
            static_cast<unsigned>(opts.hangup_after_s),
            static_cast<unsigned>(opts.ping_after_s) * 2U);
    opts.hangup_after_s = static_cast<std::uint16_t>(opts.ping_after_s * 2U);
  }
  if (!opts.ca_file.empty() && !std::ifstream{opts.ca_file}.good())
    throw std::runtime_error("ca_file not readable: " + opts.ca_file);
  if (opts.insecure)
    SV_WARN("transport", "-", "tls_insecure",
            "TLS verification DISABLED (--insecure): any certificate is "
            "accepted; use only against local test servers");

  d.retry.secs_since_valid_ping = opts.ping_after_s;
  d.retry.secs_since_valid_hangup = opts.hangup_after_s;

  d.protocols[0].name = protocol_name;
  d.protocols[0].callback = &impl::callback;
  d.protocols[0].rx_buffer_size = rx_chunk_bytes;

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = d.protocols;
  info.user = impl_.get();
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.timeout_secs = opts.handshake_timeout_s;
  info.connect_timeout_secs = opts.handshake_timeout_s;
  info.pt_serv_buf_size = rx_chunk_bytes;
  info.retry_and_idle_policy = &d.retry;
  if (!opts.ca_file.empty())
    info.client_ssl_ca_filepath = opts.ca_file.c_str();
  d.context = lws_create_context(&info);
  if (d.context == nullptr)
    throw std::runtime_error("lws_create_context failed for the ws client");
  d.service_thread = std::thread([this] { impl_->run(); });
}

lws_ws_client::~lws_ws_client() {
  stop();
}

void lws_ws_client::open(std::uint64_t id, const ws_target& target,
                         const caf::actor& listener) {
  command cmd;
  cmd.is_open = true;
  cmd.id = id;
  cmd.target = target;
  cmd.listener = caf::actor_cast<caf::weak_actor_ptr>(listener);
  auto weak = cmd.listener;
  const char* why = nullptr;
  if (impl_->post(std::move(cmd), &why))
    return;
  SV_WARN("transport", "-", "open_refused", "conn=%llu reason=\"%s\"", ull(id),
          why);
  ws_closed msg;
  msg.conn_id = id;
  msg.reason = why;
  deliver(weak, std::move(msg));
}

void lws_ws_client::close(std::uint64_t id) {
  command cmd;
  cmd.id = id;
  const char* why = nullptr;
  if (!impl_->post(std::move(cmd), &why) && std::strcmp(why, "transport stopped") != 0)
    SV_ERROR("transport", "-", "close_dropped",
             "conn=%llu reason=\"%s\" hint=\"raise commands_max\"", ull(id), why);
}

void lws_ws_client::stop() {
  auto& d = *impl_;
  {
    std::lock_guard<std::mutex> guard{d.queue_mutex};
    if (!d.stopped) {
      d.stopped = true;
      d.stop_requested.store(true, std::memory_order_release);
      lws_cancel_service(d.context);
    }
  }
  std::lock_guard<std::mutex> guard{d.join_mutex};
  if (d.service_thread.joinable())
    d.service_thread.join();
}

lws_ws_client_stats lws_ws_client::stats() const {
  lws_ws_client_stats s;
  s.frames = impl_->frames_delivered.load(std::memory_order_relaxed);
  s.batches = impl_->batches_sent.load(std::memory_order_relaxed);
  s.binary_frames = impl_->binary_frames.load(std::memory_order_relaxed);
  return s;
}

} // namespace sv
