// lws_client: the libwebsockets implementation of ws_client and rest_client (one context, one service thread).
#include "app/transport/lws_client.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
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

#include "actors/core/log.hpp"
#include "actors/core/utf8.hpp"
#include "messages/rest.hpp"
#include "messages/ws_events.hpp"

namespace sv {

namespace {

/// Whether this process can open no socket now (EMFILE or ENFILE): asked when a
/// connect fails, because lws reports a failed socket() like a refused connect.
bool out_of_descriptors() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return errno == EMFILE || errno == ENFILE;
  ::close(fd);
  return false;
}

constexpr const char* no_descriptor_hint
  = "the process is out of file descriptors (EMFILE/ENFILE), not the server's "
    "fault: raise LimitNOFILE or lower api_clients_max";

// The protocol name binds our callback to every client wsi we create.
constexpr const char* protocol_name = "sv-ws";

// lws reads at most this much per socket read and hands ws payload to us in chunks
// of at most this size; 64 KiB lets one read carry hundreds of small frames.
constexpr std::size_t rx_chunk_bytes = 64 * 1024;

// Smallest reserve for a fresh batch buffer: a few typical Binance trade frames.
constexpr std::size_t batch_reserve_min = 4096;

constexpr std::int64_t ns_per_ms = 1'000'000;

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

unsigned long long ull(std::uint64_t x) {
  return static_cast<unsigned long long>(x);
}

// HTTP header names as lws stores unknown ones: lower case, with the colon.
constexpr const char used_weight_header[] = "x-mbx-used-weight-1m:";
// sizeof counts the NUL: 20 letters + ':' = 21.
constexpr int used_weight_header_len = sizeof(used_weight_header) - 1;

/// What a queued command asks the service thread to do.
enum class command_kind {
  open,  ///< ws_client::open
  close, ///< ws_client::close
  send,  ///< ws_client::send
  get,   ///< rest_client::get
};

/// One queued request from a caller thread to the service thread.
struct command {
  command_kind kind = command_kind::close; ///< what to do
  std::uint64_t id = 0; ///< connection id (open/close) or request id (get)
  ws_target target;     ///< where to connect (open only)
  std::string text;     ///< the text frame (send only)
  rest_target rest;     ///< where to send the GET (get only)
  caf::weak_actor_ptr listener; ///< who gets the events (open and get)
};

/// Every wsi we create carries a pointer to one of these as opaque user data;
/// the flag says which derived type it is.
struct wsi_owner {
  bool is_rest = false; ///< a rest request (true) or a ws connection (false)
};

/// Parses a non-negative decimal header value; -1 if absent or malformed.
std::int32_t parse_count(const char* value, int copied) {
  if (copied <= 0)
    return -1;
  char* end = nullptr;
  auto n = std::strtol(value, &end, 10);
  if (end == value || n < 0 || n > 0x7fffffff)
    return -1;
  return static_cast<std::int32_t>(n);
}

/// Sends `msg` to `listener` if it still exists; returns false if it is gone.
template <class T>
bool deliver(const caf::weak_actor_ptr& listener, T&& msg) {
  auto strong = caf::actor_cast<caf::actor>(listener);
  if (!strong)
    return false;
  caf::anon_send(strong, std::forward<T>(msg));
  return true;
}

/// lws client connection flags for TLS: none for plain ws/http; with --insecure,
/// every certificate and host-name check off (logged at start by the caller).
int client_tls_flags(bool tls, bool insecure) {
  if (!tls)
    return 0;
  int flags = LCCSCF_USE_SSL;
  if (insecure)
    flags |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK
             | LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
  return flags;
}

/// What goes on the request line: the server's base path, then `path` (path and
/// query); "/" when both are empty.
std::string request_path(const endpoint& server, const std::string& path) {
  auto result = server.base_path + path;
  return result.empty() ? std::string{"/"} : result;
}

} // namespace

/// Everything behind lws_client; the lws callback reaches it through the
/// context user pointer.
struct lws_client::impl {
  /// The abort timer of one connection that is closed while still handshaking.
  /// Standard layout with the sul first, so the sul pointer lws hands back
  /// converts to it. lws service thread only.
  struct abort_timer {
    lws_sorted_usec_list_t sul; ///< scheduled in the context's timer list
    impl* owner;                ///< the client
    std::uint64_t id;           ///< the connection it aborts
  };

  /// The delivery_interval_ms timer: wakes the service loop when held frames are
  /// due. Standard layout with the sul first. lws service thread only.
  struct delivery_timer {
    lws_sorted_usec_list_t sul; ///< scheduled in the context's timer list
    impl* owner;                ///< the client
  };

  /// Routing entry of one open() on the service thread; lives from the open
  /// command until WSI_DESTROY (or a synchronous connect failure). The wsi's
  /// opaque user data points here. lws service thread only.
  struct connection : wsi_owner {
    std::uint64_t id = 0;         ///< caller's connection id
    caf::weak_actor_ptr listener; ///< event destination, never kept alive
    lws* wsi = nullptr; ///< set from connect's return and every callback
    std::string host;   ///< kept alive for lws (address, host, origin)
    std::string path;   ///< kept alive for lws
    std::chrono::steady_clock::time_point started; ///< for handshake ms
    bool established = false;       ///< CLIENT_ESTABLISHED seen, ws_opened sent
    bool close_requested = false;   ///< local close or abort under way
    bool tls_verify_failed = false; ///< OpenSSL rejected the peer certificate
    bool peer_closed = false;       ///< WS_PEER_INITIATED_CLOSE seen
    bool in_message = false;        ///< a fragmented message is being read
    bool message_binary = false;    ///< the message being read is binary
    bool oversize = false;          ///< a text message passed message_bytes_max
    std::uint16_t close_code = 0;   ///< peer's close code
    /// Code of the close frame our local close sends from CLIENT_WRITEABLE.
    lws_close_status local_close_code = LWS_CLOSE_STATUS_NORMAL;
    std::int32_t http_status = 0;    ///< status of the upgrade response
    std::int32_t retry_after_s = -1; ///< Retry-After of a rejected upgrade
    std::string error;        ///< CLIENT_CONNECTION_ERROR text or our own cause
    std::string local_reason; ///< why we closed it ourselves
    std::string peer_reason;  ///< reason text of the peer's close frame
    std::string partial;      ///< fragments of the text message being read
    ws_frames batch;          ///< complete frames not yet sent
    abort_timer abort{};      ///< close() while handshaking (begin_close)
    std::deque<std::string> outbox; ///< send() frames not yet written, in order
    std::size_t outbox_bytes = 0;   ///< their total size (send_bytes_max)
  };

  /// The timer of one REST request. Standard layout with the sul first, so the
  /// sul pointer lws hands back converts to it. lws service thread only.
  struct rest_timer {
    lws_sorted_usec_list_t sul; ///< scheduled in the context's timer list
    impl* owner;                ///< the client
    std::uint64_t id;           ///< the request it guards
  };

  /// Routing entry of one get() on the service thread; lives from the get command
  /// until WSI_DESTROY (or a synchronous connect failure, or the context's
  /// destruction). The wsi's opaque user data points here. The response goes out
  /// exactly once, through answer(), which sets `answered`. lws service thread
  /// only.
  struct request : wsi_owner {
    std::uint64_t id = 0;         ///< caller's request id
    caf::weak_actor_ptr listener; ///< response destination, never kept alive
    lws* wsi = nullptr;     ///< set from connect's return and every callback
    rest_timer timer{};     ///< fires after rest_timeout_ms
    std::string host;       ///< kept alive for lws (address, host)
    std::string path;       ///< kept alive for lws
    std::uint16_t port = 0; ///< for logs
    bool tls = false;       ///< for logs
    std::chrono::steady_clock::time_point started; ///< for elapsed ms
    bool answered = false;            ///< the rest_response has been sent
    bool tls_verify_failed = false;   ///< OpenSSL rejected the peer certificate
    bool headers_seen = false;        ///< ESTABLISHED_CLIENT_HTTP seen
    std::int32_t status = 0;          ///< HTTP status of the response
    std::int32_t retry_after_s = -1;  ///< Retry-After (delta-seconds)
    std::int32_t used_weight_1m = -1; ///< X-MBX-USED-WEIGHT-1M
    std::string error; ///< CLIENT_CONNECTION_ERROR text or our own cause
    std::string body;  ///< the body read so far
  };

  explicit impl(lws_client_options opts) : options(std::move(opts)) {
  }

  // Immutable after construction.
  lws_client_options options;
  lws_retry_bo_t retry{}; // ping / hangup policy every connection uses
  lws_protocols protocols[2]{};
  lws_context* context = nullptr; // destroyed on the service thread
  std::thread service_thread;

  // any thread; guarded by queue_mutex
  std::mutex queue_mutex;
  std::vector<command> queue;
  bool stopped = false; // no more commands, no more lws_cancel_service

  std::mutex join_mutex;                   // serializes the join in stop()
  std::atomic<bool> stop_requested{false}; // read by the service loop

  // written on the service thread, read anywhere
  std::atomic<std::uint64_t> frames_delivered{0};
  std::atomic<std::uint64_t> batches_sent{0};
  std::atomic<std::uint64_t> binary_frames{0};
  std::atomic<std::uint64_t> invalid_utf8_messages{0};
  std::atomic<std::uint64_t> oversize_messages{0};
  std::atomic<std::uint64_t> rest_responses{0};
  std::atomic<std::uint64_t> oversize_rest_bodies{0};

  /// Delivers the one rest_response of a request and counts it. Any thread (the
  /// counter is atomic; deliver only sends).
  void deliver_rest(const caf::weak_actor_ptr& listener, rest_response msg) {
    if (deliver(listener, std::move(msg)))
      rest_responses.fetch_add(1, std::memory_order_relaxed);
  }

  // lws service thread only
  std::unordered_map<std::uint64_t, std::unique_ptr<connection>> connections;
  std::unordered_map<std::uint64_t, std::unique_ptr<request>> requests;
  bool shutting_down = false;     // set just before lws_context_destroy
  bool context_destroyed = false; // lws_context_destroy has returned
  std::vector<command> drained;   // reused swap buffer for the queue
  std::vector<char> read_buf; // lws_http_client_read buffer (LWS_PRE + chunk)
  std::vector<unsigned char> write_buf; // send() frame: LWS_PRE + text
  /// Connections whose batch holds frames, in the order they got their first
  /// (an id may repeat or be gone: flush of an empty batch is a no-op).
  std::vector<std::uint64_t> pending;
  std::int64_t last_delivery_ns = 0; // steady clock; delivery_interval_ms
  delivery_timer delivery{};         // armed while frames wait for their turn
  bool delivery_armed = false;

  static int callback(lws* wsi, lws_callback_reasons reason, void* user,
                      void* in, size_t len);
  /// lws service thread only: callback() for a wsi whose owner is a request.
  int rest_callback(request& r, lws* wsi, lws_callback_reasons reason, void* in,
                    size_t len);
  /// lws service thread only: the rest_timeout_ms timer.
  static void on_rest_timeout(lws_sorted_usec_list_t* sul);
  /// lws service thread only: kills a connection that close() found handshaking.
  static void on_abort(lws_sorted_usec_list_t* sul);
  /// lws service thread only: held frames are due; delivers them (deliver_held).
  static void on_delivery_due(lws_sorted_usec_list_t* sul);

  /// Any thread. Queues `cmd` and wakes the service thread; false if stopped or
  /// full (the command was not queued).
  bool post(command&& cmd, const char** why);

  /// lws service thread only: the body of the service thread.
  void run();
  /// lws service thread only: handles every queued command.
  void drain_commands();
  void start_connect(command& cmd);
  /// Starts a local close of `c` (no-op if one is under way): a close frame
  /// with `code` from CLIENT_WRITEABLE if established (bounded by a 5 s
  /// timeout), else an abort. `why` becomes the ws_closed reason.
  void begin_close(connection& c, std::string why,
                   lws_close_status code = LWS_CLOSE_STATUS_NORMAL);
  /// Queues a send() frame on `c` (dropped while closing); closes `c` when its
  /// unsent frames pass send_bytes_max.
  void queue_text(connection& c, std::string text);
  /// CLIENT_WRITEABLE of an established `c` that is not closing: writes the
  /// oldest queued frame (one lws_write per WRITEABLE, as lws requires) and asks
  /// for the next. Returns -1 when the write failed (lws then closes).
  int write_text(connection& c);
  void on_receive(connection& c, lws* wsi, const char* data, std::size_t len);
  /// `c` is receiving a text message of at least `bytes` > message_bytes_max:
  /// drops what is buffered, counts and logs it, closes with 1009.
  void reject_oversize(connection& c, std::size_t bytes);
  /// `c` received a text message that is not UTF-8: drops it, counts and logs
  /// it, closes with 1007 (RFC 6455 section 8.1).
  void reject_invalid_utf8(connection& c);
  void append_frame(connection& c, const char* data, std::size_t len);
  void flush(connection& c);
  /// Flushes every connection in `pending` and empties it.
  void flush_pending();
  /// After a service pass: flush_pending() now, or, under delivery_interval_ms,
  /// once the interval since the last delivery has passed (arming the timer).
  void deliver_due();
  /// Disarms the timer, notes `now_ns` as the last delivery, flush_pending().
  void deliver_held(std::int64_t now_ns);
  /// Sends ws_closed for `c`, logs it, and forgets `c` (invalidates it).
  void finish(connection& c);

  /// lws service thread only: the REST side.
  void start_get(command& cmd);
  /// Sends `msg` as the one response of `r` unless it was answered already;
  /// cancels the timer. Does not touch the wsi.
  void answer(request& r, rest_response&& msg);
  /// Answers `r` with status 0 and `why` (if not answered yet).
  void answer_error(request& r, std::string why);
  /// `r`'s body is at least `bytes` > rest_body_bytes_max: drops what was read,
  /// counts it and sets the error its answer carries (the caller closes).
  void refuse_oversize(request& r, unsigned long long bytes);
  /// Answers `r` from what is known (if not answered yet) and forgets it
  /// (invalidates it).
  void finish_request(request& r);
};

bool lws_client::impl::post(command&& cmd, const char** why) {
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

void lws_client::impl::run() {
  while (!stop_requested.load(std::memory_order_acquire)) {
    lws_service(context, 0);
    // One ws_frames per connection per delivery (at most per service pass),
    // not per frame.
    deliver_due();
  }
  flush_pending();
  if (delivery_armed)
    lws_sul_cancel(&delivery.sul);
  // `stopped` is set: nothing is queued any more. Opens that never started still
  // owe their listener a ws_closed.
  {
    std::lock_guard<std::mutex> guard{queue_mutex};
    drained.swap(queue);
  }
  for (auto& cmd : drained) {
    if (cmd.kind == command_kind::open) {
      ws_closed msg;
      msg.conn_id = cmd.id;
      msg.reason = "transport stopped";
      deliver(cmd.listener, std::move(msg));
    } else if (cmd.kind == command_kind::get) {
      rest_response msg;
      msg.req_id = cmd.id;
      msg.error = "transport stopped";
      deliver_rest(cmd.listener, std::move(msg));
    }
  }
  drained.clear();
  shutting_down = true;
  // Unanswered requests get their one response now, before the context (and
  // with it the timer list) goes away; their WSI_DESTROY then only forgets them.
  for (auto& entry : requests)
    answer_error(*entry.second, "transport stopped");
  // Runs CLIENT_CLOSED / CLOSED_CLIENT_HTTP and WSI_DESTROY for every live wsi on
  // this thread, so each listener gets its ws_closed through finish().
  lws_context_destroy(context);
  context_destroyed = true;
  // Defensive: a connection lws never destroyed must still be reported.
  while (!connections.empty())
    finish(*connections.begin()->second);
  while (!requests.empty())
    finish_request(*requests.begin()->second);
}

void lws_client::impl::drain_commands() {
  {
    std::lock_guard<std::mutex> guard{queue_mutex};
    drained.swap(queue);
  }
  for (auto& cmd : drained) {
    switch (cmd.kind) {
      case command_kind::open:
        start_connect(cmd);
        break;
      case command_kind::close: {
        auto it = connections.find(cmd.id);
        if (it != connections.end())
          begin_close(*it->second, "closed locally");
        break;
      }
      case command_kind::send: {
        auto it = connections.find(cmd.id);
        if (it != connections.end())
          queue_text(*it->second, std::move(cmd.text));
        break;
      }
      case command_kind::get:
        start_get(cmd);
        break;
    }
  }
  drained.clear();
}

void lws_client::impl::start_connect(command& cmd) {
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
  c->host = std::move(cmd.target.server.host);
  c->path = request_path(cmd.target.server, cmd.target.path);
  c->started = std::chrono::steady_clock::now();
  c->batch.conn_id = cmd.id;
  c->batch.data.reserve(batch_reserve_min);
  c->abort.owner = this;
  c->abort.id = cmd.id;
  connections.emplace(cmd.id, std::move(owned));

  lws_client_connect_info info;
  std::memset(&info, 0, sizeof(info));
  info.context = context;
  info.address = c->host.c_str();
  info.port = cmd.target.server.port;
  info.path = c->path.c_str();
  // SNI and the certificate host-name check use `host`.
  info.host = c->host.c_str();
  info.origin = c->host.c_str();
  info.ssl_connection = client_tls_flags(cmd.target.server.tls,
                                         options.insecure);
  info.local_protocol_name = protocol_name;
  info.opaque_user_data = c;
  info.retry_and_idle_policy = &retry;
  SV_INFO("transport", "-", "ws_connecting", "conn=%llu url=%s://%s:%u%s",
          ull(c->id), cmd.target.server.tls ? "wss" : "ws", c->host.c_str(),
          static_cast<unsigned>(cmd.target.server.port), c->path.c_str());
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
    c->wsi = nullptr; // freed by lws; a callback may have stored it
    finish(*c);
    return;
  }
  c->wsi = wsi;
}

void lws_client::impl::begin_close(connection& c, std::string why,
                                   lws_close_status code) {
  if (c.close_requested || c.wsi == nullptr)
    return;
  c.close_requested = true;
  c.local_reason = std::move(why);
  c.local_close_code = code;
  if (c.established) {
    // The close frame goes out in CLIENT_WRITEABLE. If the peer never lets us
    // write (full window), the timeout kills the socket anyway.
    lws_callback_on_writable(c.wsi);
    lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, 5);
  } else {
    // Still handshaking: nothing to say to the peer, abort at the start of the
    // next service pass. Not with lws_set_timeout(..., LWS_TO_KILL_ASYNC): a wsi
    // has one timeout slot and lws rewrites it itself when the handshake moves
    // on (the TCP connect completing and the upgrade request going out set
    // PENDING_TIMEOUT_AWAITING_SERVER_RESPONSE for handshake_timeout_s), which
    // silently replaced the abort whenever the connect completed in the same
    // service pass as this close (seen under load). Our own timer is ours alone.
    lws_sul_schedule(context, 0, &c.abort.sul, &impl::on_abort, 0);
  }
}

void lws_client::impl::on_abort(lws_sorted_usec_list_t* sul) {
  // `sul` is the first member of a standard-layout abort_timer. lws unlinked it
  // before calling us and does not touch it afterwards.
  auto* t = reinterpret_cast<abort_timer*>(sul);
  auto* self = t->owner;
  auto it = self->connections.find(t->id);
  if (it == self->connections.end() || &it->second->abort != t)
    return;
  auto& c = *it->second;
  if (c.wsi == nullptr)
    return;
  if (c.established) {
    // The handshake completed before the timer ran: CLIENT_ESTABLISHED has
    // already asked for WRITEABLE, which sends the close frame; bound it.
    lws_callback_on_writable(c.wsi);
    lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, 5);
    return;
  }
  // Outside any wsi callback (lws kills timed-out wsis from here too): closes
  // now, running CLOSED_CLIENT_HTTP or CLIENT_CONNECTION_ERROR and WSI_DESTROY,
  // whose finish() destroys `c`.
  lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

void lws_client::impl::queue_text(connection& c, std::string text) {
  if (c.close_requested || c.wsi == nullptr)
    return;
  c.outbox_bytes += text.size();
  c.outbox.push_back(std::move(text));
  if (c.outbox_bytes > options.send_bytes_max) {
    SV_WARN("transport", "-", "send_queue_full",
            "conn=%llu queued_bytes=%zu limit=%zu hint=\"the caller sends "
            "faster than the peer reads: pace control messages\"",
            ull(c.id), c.outbox_bytes, options.send_bytes_max);
    c.outbox.clear();
    c.outbox_bytes = 0;
    begin_close(c, "send queue full (peer not reading)",
                LWS_CLOSE_STATUS_POLICY_VIOLATION);
    return;
  }
  // Before the upgrade completes, CLIENT_ESTABLISHED asks for WRITEABLE.
  if (c.established)
    lws_callback_on_writable(c.wsi);
}

int lws_client::impl::write_text(connection& c) {
  if (c.outbox.empty())
    return 0;
  auto& text = c.outbox.front();
  // lws_write needs LWS_PRE bytes of headroom before the payload.
  write_buf.assign(LWS_PRE, 0);
  write_buf.insert(write_buf.end(), text.begin(), text.end());
  auto written = lws_write(c.wsi, &write_buf[LWS_PRE], text.size(),
                           LWS_WRITE_TEXT);
  c.outbox_bytes -= text.size();
  c.outbox.pop_front();
  if (written < 0)
    return -1;
  if (!c.outbox.empty())
    lws_callback_on_writable(c.wsi);
  return 0;
}

void lws_client::impl::append_frame(connection& c, const char* data,
                                    std::size_t len) {
  auto& b = c.batch;
  if (b.ends.empty()) {
    b.recv_ns = steady_now_ns();
    pending.push_back(c.id);
  }
  b.data.append(data, len);
  b.ends.push_back(static_cast<std::uint32_t>(b.data.size()));
  if (b.ends.size() >= options.batch_frames_max
      || b.data.size() >= options.batch_bytes_max)
    flush(c);
}

void lws_client::impl::on_receive(connection& c, lws* wsi, const char* data,
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
  // The message's size as far as the frame headers tell: what is buffered, this
  // chunk and the rest of this frame (later fragments are not announced yet).
  // Checked before anything is appended, so a single frame over the bound is
  // refused at its first chunk and nothing over the bound is ever buffered.
  auto known = c.partial.size() + len + lws_remaining_packet_payload(wsi);
  if (known > options.message_bytes_max) {
    reject_oversize(c, known);
    return;
  }
  if (complete && c.partial.empty()) {
    // Hot path: a whole frame in one chunk goes straight into the batch.
    c.in_message = false;
    if (!is_valid_utf8({data, len})) {
      reject_invalid_utf8(c);
      return;
    }
    append_frame(c, data, len);
    return;
  }
  c.partial.append(data, len);
  if (complete) {
    c.in_message = false;
    if (!is_valid_utf8(c.partial)) {
      reject_invalid_utf8(c);
      return;
    }
    append_frame(c, c.partial.data(), c.partial.size());
    c.partial.clear();
  }
}

void lws_client::impl::reject_invalid_utf8(connection& c) {
  std::string{}.swap(c.partial);
  invalid_utf8_messages.fetch_add(1, std::memory_order_relaxed);
  // Once per connection: begin_close sets close_requested, after which
  // CLIENT_RECEIVE drops every chunk without looking at it.
  SV_WARN("transport", "-", "ws_invalid_utf8",
          "conn=%llu host=%s hint=\"the peer sent a text message that is not "
          "UTF-8 (RFC 6455 asks to fail the connection); closing with 1007, "
          "the connection is restarted\"",
          ull(c.id), c.host.c_str());
  flush(c); // frames complete before this message still go to the listener
  begin_close(c, "invalid UTF-8 in a text message",
              LWS_CLOSE_STATUS_INVALID_PAYLOAD);
}

void lws_client::impl::reject_oversize(connection& c, std::size_t bytes) {
  c.oversize = true;
  std::string{}.swap(c.partial); // give the memory back, not just the size
  oversize_messages.fetch_add(1, std::memory_order_relaxed);
  // Once per connection: begin_close sets close_requested, after which
  // CLIENT_RECEIVE drops every chunk without looking at it.
  SV_WARN("transport", "-", "ws_oversize",
          "conn=%llu host=%s bytes=%zu limit=%zu hint=\"the peer sent a text "
          "message over the transport's bound; closing with 1009, the "
          "connection is restarted; check --endpoint if it repeats\"",
          ull(c.id), c.host.c_str(), bytes, options.message_bytes_max);
  // Frames complete before this message still go to the listener.
  flush(c);
  begin_close(c,
              "message too large (" + std::to_string(bytes) + " bytes > limit "
                + std::to_string(options.message_bytes_max) + ")",
              LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
}

void lws_client::impl::flush(connection& c) {
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

void lws_client::impl::flush_pending() {
  for (auto id : pending)
    if (auto it = connections.find(id); it != connections.end())
      flush(*it->second);
  pending.clear();
}

void lws_client::impl::deliver_due() {
  if (pending.empty())
    return;
  if (options.delivery_interval_ms == 0) {
    flush_pending();
    return;
  }
  // lws 4.1 polls in whole milliseconds, rounding a timer's wait down: a timer
  // less than 1 ms away makes every pass poll(0) until it is ripe. So frames are
  // due 1 ms early, when the pass that slept until then ends, and the timer
  // rarely fires at all.
  auto due_ns = last_delivery_ns
                + static_cast<std::int64_t>(options.delivery_interval_ms)
                    * ns_per_ms;
  auto now = steady_now_ns();
  if (now + ns_per_ms > due_ns) {
    deliver_held(now);
    return;
  }
  if (!delivery_armed) {
    delivery.owner = this;
    delivery_armed = true;
    lws_sul_schedule(context, 0, &delivery.sul, &impl::on_delivery_due,
                     (due_ns - now) / 1000);
  }
}

void lws_client::impl::deliver_held(std::int64_t now_ns) {
  if (delivery_armed) {
    lws_sul_cancel(&delivery.sul);
    delivery_armed = false;
  }
  last_delivery_ns = now_ns;
  flush_pending();
}

void lws_client::impl::on_delivery_due(lws_sorted_usec_list_t* sul) {
  // `sul` is the first member of the standard-layout delivery_timer; lws
  // unlinked it before calling us.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): as above.
  auto* self = reinterpret_cast<delivery_timer*>(sul)->owner;
  self->delivery_armed = false;
  self->deliver_held(steady_now_ns());
}

void lws_client::impl::finish(connection& c) {
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
  } else if (c.close_requested
             && (c.oversize || (c.error.empty() && !c.peer_closed))) {
    // Our own close; an oversize message (logged once as ws_oversize) is the
    // cause even if the socket then failed or the peer's close crossed ours.
    msg.reason = c.local_reason;
  } else if (!c.error.empty()) {
    msg.reason = c.error;
    if (c.error.find("SSL") != std::string::npos
        || c.error.find("ssl") != std::string::npos)
      hint = "TLS handshake failed: check --ca-file, the port and that the "
             "server speaks TLS";
    else if (c.error.find("DNS") != std::string::npos)
      hint = "check the host name and DNS";
    else if (out_of_descriptors()) {
      // lws reports a failed socket() as "Unable to connect", like a refusal.
      msg.reason += " (no file descriptor left)";
      hint = no_descriptor_hint;
    } else
      hint = "check the host, the port and that the server is up";
  } else if (c.peer_closed) {
    msg.reason = c.peer_reason.empty() ? "closed by peer (code "
                                           + std::to_string(c.close_code) + ")"
                                       : c.peer_reason;
  } else if (shutting_down) {
    msg.reason = "transport stopped";
  } else if (c.established) {
    msg.reason = "connection lost (socket error or ping timeout)";
  } else if (out_of_descriptors()) {
    // lws 4.1.6 ends a connect whose socket() failed without an error text.
    msg.reason = "could not open a socket (no file descriptor left)";
    hint = no_descriptor_hint;
  } else {
    msg.reason = "handshake timed out";
    hint = "TCP, TLS or the upgrade did not complete in time; check the "
           "port, the tls setting and the network";
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
          ull(c.id), msg.was_open ? 1 : 0,
          static_cast<unsigned>(msg.close_code), msg.http_status,
          msg.retry_after_s, msg.reason.c_str());
  deliver(c.listener, std::move(msg));
  if (!context_destroyed) {
    lws_sul_cancel(&c.abort.sul); // no-op unless a close() is still pending
    if (c.wsi != nullptr)
      lws_set_opaque_user_data(c.wsi, nullptr);
  }
  connections.erase(c.id); // destroys c
}

// -- REST ---------------------------------------------------------------------

void lws_client::impl::start_get(command& cmd) {
  if (requests.count(cmd.id) != 0) {
    SV_WARN("transport", "-", "duplicate_id",
            "req=%llu hint=\"use a fresh request id per get\"", ull(cmd.id));
    rest_response msg;
    msg.req_id = cmd.id;
    msg.error = "duplicate request id";
    deliver_rest(cmd.listener, std::move(msg));
    return;
  }
  auto owned = std::make_unique<request>();
  auto* r = owned.get();
  r->is_rest = true;
  r->id = cmd.id;
  r->listener = std::move(cmd.listener);
  r->host = std::move(cmd.rest.server.host);
  r->path = request_path(cmd.rest.server, cmd.rest.target);
  r->port = cmd.rest.server.port;
  r->tls = cmd.rest.server.tls;
  r->started = std::chrono::steady_clock::now();
  r->timer.owner = this;
  r->timer.id = cmd.id;
  requests.emplace(cmd.id, std::move(owned));
  // Armed before connecting: the budget includes DNS and the TCP connect.
  lws_sul_schedule(context, 0, &r->timer.sul, &impl::on_rest_timeout,
                   static_cast<lws_usec_t>(options.rest_timeout_ms) * 1000);

  lws_client_connect_info info;
  std::memset(&info, 0, sizeof(info));
  info.context = context;
  info.address = r->host.c_str();
  info.port = r->port;
  info.path = r->path.c_str();
  // Host header, SNI and the certificate host-name check use `host`.
  info.host = r->host.c_str();
  info.method = "GET";
  // h1 only: lws keeps unknown headers (X-MBX-USED-WEIGHT-1M) for h1, not for
  // h2 streams, and one request per connection gains nothing from h2.
  info.alpn = "http/1.1";
  // A 3xx is a response for the caller, never followed.
  info.ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT
                        | client_tls_flags(r->tls, options.insecure);
  info.local_protocol_name = protocol_name;
  info.opaque_user_data = r;
  SV_DEBUG("transport", "-", "rest_get", "req=%llu url=%s://%s:%u%s",
           ull(r->id), r->tls ? "https" : "http", r->host.c_str(),
           static_cast<unsigned>(r->port), r->path.c_str());
  auto* wsi = lws_client_connect_via_info(&info);
  // Callbacks may already have run (even WSI_DESTROY), so look `r` up again.
  auto it = requests.find(cmd.id);
  if (it == requests.end() || it->second.get() != r)
    return;
  if (wsi == nullptr) {
    // Synchronous failure (DNS, socket): no error callback, no WSI_DESTROY, and
    // the wsi a callback may have shown us is gone.
    r->wsi = nullptr;
    if (r->error.empty())
      r->error = "connect failed (DNS lookup or socket error)";
    finish_request(*r);
    return;
  }
  r->wsi = wsi;
}

void lws_client::impl::answer(request& r, rest_response&& msg) {
  if (r.answered)
    return;
  r.answered = true;
  if (!context_destroyed)
    lws_sul_cancel(&r.timer.sul);
  msg.req_id = r.id;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - r.started)
              .count();
  if (msg.status == 0) {
    const char* hint
      = "check the host, the port, the tls setting and --ca-file";
    if (msg.error == "timeout")
      hint = "the server accepted but did not answer in time; raise "
             "rest_timeout_ms if it is just slow";
    else if (msg.error.rfind("response body too large", 0) == 0)
      hint = "the answer is bigger than any Binance answer; check "
             "--rest-endpoint, or raise --rest-body-bytes-max";
    SV_WARN("transport", "-", "rest_failed",
            "req=%llu url=%s://%s:%u%s after_ms=%lld error=\"%s\" hint=\"%s\"",
            ull(r.id), r.tls ? "https" : "http", r.host.c_str(),
            static_cast<unsigned>(r.port), r.path.c_str(),
            static_cast<long long>(ms), msg.error.c_str(), hint);
  } else
    SV_DEBUG("transport", "-", "rest_response",
             "req=%llu status=%d bytes=%zu after_ms=%lld retry_after_s=%d "
             "used_weight_1m=%d",
             ull(r.id), msg.status, msg.body.size(), static_cast<long long>(ms),
             msg.retry_after_s, msg.used_weight_1m);
  deliver_rest(r.listener, std::move(msg));
}

void lws_client::impl::answer_error(request& r, std::string why) {
  rest_response msg;
  msg.error = std::move(why);
  answer(r, std::move(msg));
}

void lws_client::impl::refuse_oversize(request& r, unsigned long long bytes) {
  std::string{}.swap(r.body);
  oversize_rest_bodies.fetch_add(1, std::memory_order_relaxed);
  r.error = "response body too large (" + std::to_string(bytes)
            + " bytes > limit " + std::to_string(options.rest_body_bytes_max)
            + ")";
}

void lws_client::impl::finish_request(request& r) {
  if (!r.answered) {
    // No COMPLETED_CLIENT_HTTP: the response is incomplete or never came.
    if (shutting_down)
      answer_error(r, "transport stopped");
    else if (r.tls_verify_failed)
      answer_error(r, "TLS certificate verification failed");
    else if (!r.error.empty())
      answer_error(r, r.error);
    else if (r.headers_seen)
      answer_error(r, "connection closed before the response body was "
                      "complete (status "
                        + std::to_string(r.status) + ")");
    else
      answer_error(r, "connection closed before a response arrived");
  }
  if (!context_destroyed)
    lws_sul_cancel(&r.timer.sul);
  if (r.wsi != nullptr && !context_destroyed)
    lws_set_opaque_user_data(r.wsi, nullptr);
  requests.erase(r.id); // destroys r
}

void lws_client::impl::on_rest_timeout(lws_sorted_usec_list_t* sul) {
  // `sul` is the first member of a standard-layout rest_timer.
  auto* t = reinterpret_cast<rest_timer*>(sul);
  auto* self = t->owner;
  auto it = self->requests.find(t->id);
  if (it == self->requests.end())
    return;
  auto& r = *it->second;
  if (r.answered)
    return;
  self->answer_error(r, "timeout");
  // The entry stays until WSI_DESTROY, which now only forgets it.
  if (r.wsi != nullptr)
    lws_set_timeout(r.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

int lws_client::impl::rest_callback(request& r, lws* wsi,
                                    lws_callback_reasons reason, void* in,
                                    size_t len) {
  r.wsi = wsi;
  switch (reason) {
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
      // `len` is OpenSSL's preverify_ok after lws applied the insecure flags.
      if (len == 0)
        r.tls_verify_failed = true;
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (r.error.empty())
        r.error = in != nullptr && len > 0
                    ? std::string(static_cast<const char*>(in), len)
                    : std::string{"connection error"};
      return 0;
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP: {
      // Status line and headers are parsed; lws calls this for every status.
      r.headers_seen = true;
      r.status = static_cast<std::int32_t>(lws_http_client_http_response(wsi));
      char value[32];
      auto n = lws_hdr_copy(wsi, value, sizeof(value),
                            WSI_TOKEN_HTTP_RETRY_AFTER);
      // Only delta-seconds; an HTTP-date is left as -1 (absent).
      r.retry_after_s = parse_count(value, n);
      if (r.retry_after_s > 86400)
        r.retry_after_s = -1;
      n = lws_hdr_custom_copy(wsi, value, sizeof(value), used_weight_header,
                              used_weight_header_len);
      r.used_weight_1m = parse_count(value, n);
      // A Content-Length over the bound is refused before any body is read.
      // Non-zero here is lws's own "disallowed at ESTABLISHED" path: it raises
      // CLIENT_CONNECTION_ERROR (our error text stays) and closes the wsi.
      std::array<char, 32> length{};
      n = lws_hdr_copy(wsi, length.data(), static_cast<int>(length.size()),
                       WSI_TOKEN_HTTP_CONTENT_LENGTH);
      if (n > 0 && length[0] >= '0' && length[0] <= '9') {
        char* end = nullptr;
        auto announced = std::strtoull(length.data(), &end, 10);
        if (end != length.data() && announced > options.rest_body_bytes_max) {
          refuse_oversize(r, announced);
          return -1;
        }
      }
      return 0;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
      // Body bytes are waiting: lws_http_client_read strips chunked framing and
      // calls back RECEIVE_CLIENT_HTTP_READ with payload, then COMPLETED.
      if (read_buf.size() < LWS_PRE + rx_chunk_bytes)
        read_buf.resize(LWS_PRE + rx_chunk_bytes);
      char* p = read_buf.data() + LWS_PRE;
      int n = static_cast<int>(rx_chunk_bytes);
      if (lws_http_client_read(wsi, &p, &n) < 0)
        return -1;
      return 0;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
      if (r.answered)
        return -1; // timed out meanwhile: stop reading
      if (r.body.size() + len > options.rest_body_bytes_max) {
        // Chunked or no Content-Length: the bound trips while reading. An
        // HTTP client wsi has no polite close, so non-zero closes it at once.
        refuse_oversize(r, r.body.size() + len);
        return -1;
      }
      r.body.append(static_cast<const char*>(in), len);
      return 0;
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP: {
      rest_response msg;
      msg.status = r.status;
      msg.retry_after_s = r.retry_after_s;
      msg.used_weight_1m = r.used_weight_1m;
      msg.body = std::move(r.body);
      answer(r, std::move(msg));
      // One request per connection: close it now (WSI_DESTROY forgets `r`).
      return -1;
    }
    case LWS_CALLBACK_WSI_DESTROY:
      // The one terminal event of every wsi we created.
      r.wsi = nullptr; // lws frees it after this callback
      finish_request(r);
      return 0;
    default:
      return 0;
  }
}

int lws_client::impl::callback(lws* wsi, lws_callback_reasons reason,
                               void* /*user*/, void* in, size_t len) {
  auto* self = static_cast<impl*>(lws_context_user(lws_get_context(wsi)));
  if (self == nullptr)
    return 0;
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
    self->drain_commands();
    return 0;
  }
  auto* owner = static_cast<wsi_owner*>(lws_get_opaque_user_data(wsi));
  if (owner == nullptr)
    return 0;
  if (owner->is_rest)
    return self->rest_callback(*static_cast<request*>(owner), wsi, reason, in,
                               len);
  auto* c = static_cast<connection*>(owner);
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
      c->http_status
        = static_cast<std::int32_t>(lws_http_client_http_response(wsi));
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
      // lws also raises this when WE close a wsi that is still connecting
      // (close(), stop()): "closed before established". That is not a cause of
      // its own; finish() reports ours ("closed locally" / "transport stopped").
      if (c->error.empty() && !c->close_requested && !self->shutting_down)
        c->error = in != nullptr && len > 0
                     ? std::string(static_cast<const char*>(in), len)
                     : std::string{"connection error"};
      if (c->http_status == 0)
        c->http_status
          = static_cast<std::int32_t>(lws_http_client_http_response(wsi));
      return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
      c->established = true;
      auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - c->started)
                  .count();
      SV_INFO("transport", "-", "ws_opened",
              "conn=%llu host=%s handshake_ms=%.1f", ull(c->id),
              c->host.c_str(), static_cast<double>(ms) / 1000.0);
      if (!deliver(c->listener, ws_opened{c->id}))
        self->begin_close(*c, "listener gone");
      else if (c->close_requested || !c->outbox.empty())
        lws_callback_on_writable(wsi); // close() or send() raced the handshake
      return 0;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE:
      // Always 0: never close from here. In lws 4.1.6 a non-zero return makes
      // lws_ws_client_rx_sm() leave before it resets rx_ubuf_head; with a close
      // reason set the wsi then lives on (polite close, LRS_WAITING_TO_SEND_CLOSE)
      // and keeps parsing the rest of the frame into rx_ubuf from that stale
      // head, past the end of the rx_buffer_size buffer, because the client
      // parser only spills when the head EQUALS the size (heap overflow:
      // SIGSEGV / "free(): invalid next size"). Closes start in begin_close()
      // and happen in CLIENT_WRITEABLE, outside the receive path.
      if (c->close_requested)
        return 0; // closing: drop the chunk, don't queue more for the listener
      self->on_receive(*c, wsi, static_cast<const char*>(in), len);
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
        lws_close_reason(wsi, c->local_close_code, nullptr, 0);
        return -1;
      }
      return self->write_text(*c);
    case LWS_CALLBACK_WSI_DESTROY:
      // The one terminal event of every wsi we created.
      self->finish(*c);
      return 0;
    default:
      return 0;
  }
}

lws_client::lws_client(lws_client_options options)
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
  if (opts.fd_limit != 0)
    info.fd_limit_per_thread = opts.fd_limit;
  if (!opts.ca_file.empty())
    info.client_ssl_ca_filepath = opts.ca_file.c_str();
  d.context = lws_create_context(&info);
  if (d.context == nullptr)
    throw std::runtime_error("lws_create_context failed for the ws client");
  d.service_thread = std::thread([this] { impl_->run(); });
}

lws_client::~lws_client() {
  stop();
}

void lws_client::open(std::uint64_t id, const ws_target& target,
                      const caf::actor& listener) {
  command cmd;
  cmd.kind = command_kind::open;
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

void lws_client::close(std::uint64_t id) {
  command cmd;
  cmd.kind = command_kind::close;
  cmd.id = id;
  const char* why = nullptr;
  if (!impl_->post(std::move(cmd), &why)
      && std::strcmp(why, "transport stopped") != 0)
    SV_ERROR("transport", "-", "close_dropped",
             "conn=%llu reason=\"%s\" hint=\"raise commands_max\"", ull(id),
             why);
}

void lws_client::send(std::uint64_t id, std::string text) {
  command cmd;
  cmd.kind = command_kind::send;
  cmd.id = id;
  cmd.text = std::move(text);
  const char* why = nullptr;
  // A lost frame is a control message that is never answered: the caller's
  // answer deadline closes the connection.
  if (!impl_->post(std::move(cmd), &why)
      && std::strcmp(why, "transport stopped") != 0)
    SV_ERROR("transport", "-", "send_dropped",
             "conn=%llu reason=\"%s\" hint=\"raise commands_max\"", ull(id),
             why);
}

void lws_client::get(std::uint64_t id, const rest_target& target,
                     const caf::actor& listener) {
  command cmd;
  cmd.kind = command_kind::get;
  cmd.id = id;
  cmd.rest = target;
  cmd.listener = caf::actor_cast<caf::weak_actor_ptr>(listener);
  auto weak = cmd.listener;
  const char* why = nullptr;
  if (impl_->post(std::move(cmd), &why))
    return;
  SV_WARN("transport", "-", "get_refused", "req=%llu reason=\"%s\"", ull(id),
          why);
  rest_response msg;
  msg.req_id = id;
  msg.error = why;
  impl_->deliver_rest(weak, std::move(msg));
}

void lws_client::stop() {
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

lws_client_stats lws_client::stats() const {
  lws_client_stats s;
  s.frames = impl_->frames_delivered.load(std::memory_order_relaxed);
  s.batches = impl_->batches_sent.load(std::memory_order_relaxed);
  s.binary_frames = impl_->binary_frames.load(std::memory_order_relaxed);
  s.invalid_utf8_messages
    = impl_->invalid_utf8_messages.load(std::memory_order_relaxed);
  s.oversize_messages
    = impl_->oversize_messages.load(std::memory_order_relaxed);
  s.rest_responses = impl_->rest_responses.load(std::memory_order_relaxed);
  s.oversize_rest_bodies
    = impl_->oversize_rest_bodies.load(std::memory_order_relaxed);
  return s;
}

} // namespace sv
