// lws_http_server: the HTTP/1.1 API server (own lws context, own service thread) behind http_responder.
#include "app/transport/lws_http_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include <libwebsockets.h>

#include "actors/core/feed_path.hpp"
#include "actors/core/http_query.hpp"
#include "actors/core/log.hpp"
#include "actors/core/log_limiter.hpp"
#include "app/transport/lws_json_status.hpp"
#include "app/transport/lws_logging.hpp"
#include "messages/feed.hpp"
#include "messages/http.hpp"

namespace sv {

namespace {

constexpr const char* protocol_name = "sv-http";

// Body bytes written per HTTP_WRITEABLE: large enough that a 5 MB answer takes
// ~80 passes, small enough that other clients are served in between.
constexpr std::size_t body_chunk_bytes = 64 * 1024;

// Longest decoded query argument we accept (the request target's own bound,
// target_bytes_max, is above it).
constexpr int arg_bytes_max = 2048;

// lws's header buffer per connection: the request line and every header must fit,
// or lws closes the connection inside its parser with no answer and no hook (logged
// through lws's log, rate-limited). 16 KiB: four times the largest target we
// answer, so a long target still gets its 414 instead of a silent close.
constexpr unsigned short header_bytes_max = 16 * 1024;

// Longest request target (path and query, decoded) we serve: longer ones are
// answered 414.
constexpr std::size_t target_bytes_max = 4096;

/// The largest request body (PUT /symbols/{S}'s `{"streams":[...]}` is tens of
/// bytes); a larger Content-Length gets 413 before any of it is read.
constexpr std::size_t request_body_bytes_max = 4096;

// Connections accepted per wake of the listen socket before lws serves the others
// (the rest stay in the backlog and wake it again).
constexpr int accepts_per_wake = 64;

// The answer of a client over clients_max, written straight to its socket.
constexpr std::string_view refusal_body = R"({"error":"too many clients"})";

// Header tables beyond clients_max: a margin, never needed while the cap holds.
constexpr std::size_t header_pool_margin = 16;

// lws descriptors beyond clients_max: the listen socket, the event pipe, margin.
constexpr std::size_t fd_table_margin = 16;

/// The Content-Type header of a body of `type`.
const char* content_type_of(media_type type) {
  return type == media_type::prometheus_text
           ? "text/plain; version=0.0.4; charset=utf-8"
           : "application/json";
}

unsigned long long ull(std::uint64_t x) {
  return static_cast<unsigned long long>(x);
}

/// A listening TCP socket (non-blocking, close-on-exec) on host:port; -1 with
/// `error` set on failure. An empty host or "0.0.0.0" is every IPv4 address.
int open_listener(const std::string& host, std::uint16_t port,
                  std::string& error) {
  bool any = host.empty() || host == "0.0.0.0";
  addrinfo hints{};
  hints.ai_family = any ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  int rc = ::getaddrinfo(any ? nullptr : host.c_str(), service.c_str(), &hints,
                         &found);
  if (rc != 0) {
    error = ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (auto* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  ai->ai_protocol);
    if (fd < 0) {
      error = std::generic_category().message(errno);
      continue;
    }
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0
        || ::listen(fd, SOMAXCONN) != 0) {
      error = std::generic_category().message(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

/// The port `fd` is bound to, or 0.
std::uint16_t bound_port_of(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  // The sockets API takes the generic sockaddr.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return 0;
  if (addr.ss_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &addr, sizeof(v6));
    return ntohs(v6.sin6_port);
  }
  sockaddr_in v4{};
  std::memcpy(&v4, &addr, sizeof(v4));
  return ntohs(v4.sin_port);
}

/// A request method and the header token lws puts its target in.
struct method_token {
  lws_token_indexes token;
  const char* name;
};

/// The method of the request on `wsi`, from the token lws filled in; "?" if
/// none (the token is then WSI_TOKEN_GET_URI, which holds nothing).
method_token method_of(lws* wsi) {
  static const method_token methods[] = {
    {WSI_TOKEN_GET_URI, "GET"},     {WSI_TOKEN_POST_URI, "POST"},
    {WSI_TOKEN_PUT_URI, "PUT"},     {WSI_TOKEN_DELETE_URI, "DELETE"},
    {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
    {WSI_TOKEN_HEAD_URI, "HEAD"},   {WSI_TOKEN_CONNECT, "CONNECT"},
  };
  for (const auto& m : methods)
    if (lws_hdr_total_length(wsi, m.token) > 0)
      return m;
  return {WSI_TOKEN_GET_URI, "?"};
}

/// Whether the client of `wsi` connected from loopback (127.0.0.0/8, ::1 or
/// ::ffff:127.0.0.0/104): the only peers that may change the symbol set
/// without api_token.
bool peer_is_loopback(lws* wsi) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  if (getpeername(lws_get_socket_fd(wsi), reinterpret_cast<sockaddr*>(&addr),
                  &len)
      != 0)
    return false;
  if (addr.ss_family == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, &addr, sizeof(v4));
    return (ntohl(v4.sin_addr.s_addr) >> 24U) == 127U;
  }
  if (addr.ss_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &addr, sizeof(v6));
    if (IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr))
      return true;
    return IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)
           && v6.sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

/// The value of header `token` on `wsi`, "" if absent or over 1 KiB.
std::string header_of(lws* wsi, lws_token_indexes token) {
  std::array<char, 1024> value{};
  int n = lws_hdr_copy(wsi, value.data(), static_cast<int>(value.size()),
                       token);
  return n > 0 ? std::string{value.data(), static_cast<std::size_t>(n)}
               : std::string{};
}

/// The query of `wsi`'s request, encoded again: lws has percent-decoded the
/// arguments and split them at '&'; the api actor parses it like a raw one.
std::string encoded_query(lws* wsi) {
  std::string query;
  std::array<char, arg_bytes_max> arg{};
  for (int i = 0;; ++i) {
    int n = lws_hdr_copy_fragment(wsi, arg.data(), static_cast<int>(arg.size()),
                                  WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n < 0)
      break;
    if (!query.empty())
      query.push_back('&');
    std::string_view text{arg.data(), static_cast<std::size_t>(n)};
    auto eq = text.find('=');
    if (eq == std::string_view::npos) {
      append_query_encoded(query, text, true);
    } else {
      append_query_encoded(query, text.substr(0, eq), true);
      query.push_back('=');
      append_query_encoded(query, text.substr(eq + 1), true);
    }
  }
  return query;
}

/// An answer the server gives itself, without the api actor.
struct refusal {
  int status = 0;
  std::string body; ///< JSON
};

/// Why the request target of `wsi` (`uri`, `len` bytes, as lws decoded it) is not
/// served: 414 if it is longer than target_bytes_max, 400 if it holds a NUL byte
/// (a %00, which nothing here can name); nullopt if it is fine.
std::optional<refusal> refused_target(lws* wsi, lws_token_indexes method,
                                      const char* uri, std::size_t len) {
  auto args = static_cast<std::size_t>(
    std::max(0, lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS)));
  if (len + args > target_bytes_max)
    return refusal{414, R"({"error":"uri too long","limit":)"
                          + std::to_string(target_bytes_max) + "}"};
  auto total
    = static_cast<std::size_t>(std::max(0, lws_hdr_total_length(wsi, method)));
  if ((uri != nullptr && std::memchr(uri, '\0', len) != nullptr)
      || total != len)
    return refusal{
      400,
      R"js({"error":"bad request","detail":"the path holds a NUL byte (%00)"})js"};
  return std::nullopt;
}

// Feed frames written per SERVER_WRITEABLE at most, while the socket takes them:
// enough to keep up with a burst, few enough that other clients are served.
constexpr int feed_frames_per_writeable = 64;

// A client closed for its queue or by the feed actor whose close frame cannot go
// out (its socket is full) is dropped this long after.
constexpr lws_usec_t feed_close_grace_us = 2'000'000;

/// The whole value of header `token` on `wsi` ("" if absent).
std::string whole_header(lws* wsi, lws_token_indexes token) {
  int len = lws_hdr_total_length(wsi, token);
  if (len <= 0)
    return {};
  std::string value(static_cast<std::size_t>(len) + 1, '\0');
  int n = lws_hdr_copy(wsi, value.data(), len + 1, token);
  value.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return value;
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// Queues `reason` as the close frame's reason on `wsi` (lws copies it).
void set_close_reason(lws* wsi, std::uint16_t code, std::string& reason) {
  // lws takes the reason as bytes.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  auto* bytes = reinterpret_cast<unsigned char*>(reason.data());
  lws_close_reason(wsi, static_cast<lws_close_status>(code), bytes,
                   reason.size());
}

/// Per-connection data lws allocates; only present so lws delivers CLOSED_HTTP.
struct session_marker {
  int unused;
};

} // namespace

struct lws_http_server::impl {
  /// One HTTP connection's current exchange. lws service thread only.
  struct exchange {
    std::uint64_t req_id = 0;  ///< request awaiting the api actor, 0 if none
    bool responding = false;   ///< an answer is being written
    bool headers_sent = false; ///< status line and headers are out
    bool close_after = false;  ///< close instead of keep-alive (405)
    bool head_only = false;    ///< HEAD: headers without body
    /// A PUT or DELETE whose body is being read: sent to the api actor at
    /// LWS_CALLBACK_HTTP_BODY_COMPLETION.
    std::optional<http_request> awaiting_body;
    int status = 0;                     ///< status of the answer
    std::string body;                   ///< the answer's body
    media_type type = media_type::json; ///< the body's Content-Type
    std::size_t sent = 0;               ///< body bytes written so far
  };

  /// One respond() call on its way to the service thread.
  struct response {
    std::uint64_t req_id = 0;           ///< request being answered
    int status = 0;                     ///< HTTP status
    std::string body;                   ///< JSON body, or /metrics's text
    media_type type = media_type::json; ///< the body's Content-Type
  };

  /// An upgrade accepted for the feed, until it is established.
  struct feed_target {
    std::string path;
    std::string query;
  };

  /// One WebSocket feed client. lws service thread only.
  struct feed_session {
    std::uint64_t id = 0;
    /// Frames not yet written, with the steady time they were queued.
    std::deque<std::pair<feed_frame, std::int64_t>> queue;
    std::size_t queued_bytes = 0;
    std::string incoming;           ///< a message arriving in fragments
    bool closing = false;           ///< close once `queue` is written
    std::uint16_t code = 0;         ///< our close code; 0: the peer's or 1006
    std::string reason;             ///< with code
    std::uint16_t peer_code = 1006; ///< the code of the peer's close frame
    std::string peer_reason;
  };

  /// One send() or close() on its way to the service thread.
  struct feed_command {
    std::uint64_t client = 0;
    std::vector<feed_frame> frames;
    bool close = false;
    std::uint16_t code = 0;
    std::string reason;
  };

  explicit impl(lws_http_server_options opts) : options(std::move(opts)) {
  }

  // Immutable after start().
  lws_http_server_options options;
  lws_protocols protocols[2]{};
  caf::weak_actor_ptr api;
  caf::weak_actor_ptr feed;       // null: no WebSocket upgrade is served
  lws_retry_bo_t feed_retry{};    // ping and hangup of feed clients
  lws_context* context = nullptr; // destroyed on the service thread
  std::thread service_thread;
  std::atomic<std::uint16_t> bound_port{0};

  // any thread; guarded by queue_mutex
  std::mutex queue_mutex;
  std::vector<response> queue;
  std::vector<feed_command> feed_inbox;
  /// Bytes sent to each feed client and not yet written (backlog_bytes): an
  /// entry from establishment to forget_session.
  std::unordered_map<std::uint64_t, std::size_t> backlog;
  bool accepting = false; // started and not stopped: respond() may wake lws

  std::atomic<bool> stop_requested{false}; // read by the service loop

  // Counters for stats(); written by the lws service thread, read by any.
  std::atomic<std::uint64_t> n_clients{0};
  std::atomic<std::uint64_t> n_accepted{0};
  std::atomic<std::uint64_t> n_refused{0};
  std::atomic<std::uint64_t> n_header_timeouts{0};
  std::atomic<std::uint64_t> n_accept_failures{0};

  // lws service thread only (set by start() before the thread runs)
  lws_vhost* vhost = nullptr;
  lws* listen_wsi = nullptr; // our listen socket, watched by lws as a raw file
  int listen_fd = -1;        // lws closes it with listen_wsi
  std::unordered_set<lws*> clients;            // accepted, not yet destroyed
  std::unordered_set<lws*> awaiting_header;    // accepted, no request yet
  log_limiter limiter{log_limiter::options{}}; // for the lines a client causes

  // lws service thread only
  std::unordered_map<lws*, exchange> exchanges;
  std::unordered_map<std::uint64_t, lws*> pending; // req_id -> connection
  std::uint64_t next_req_id = 1;
  std::vector<response> drained;
  std::vector<unsigned char> scratch; // LWS_PRE + one body chunk or frame

  // lws service thread only: feed clients
  std::unordered_map<lws*, feed_target> upgrading;
  std::unordered_map<lws*, feed_session> sessions;
  std::unordered_map<std::uint64_t, lws*> session_by_id;
  std::uint64_t next_client_id = 1;
  std::vector<feed_command> feed_drained;

  static int callback(lws* wsi, lws_callback_reasons reason, void* user,
                      void* in, size_t len);

  void run();
  void drain_responses();
  void on_request(lws* wsi, const char* uri, std::size_t len);
  int on_body(lws* wsi, const char* data, std::size_t len);
  void dispatch(lws* wsi, exchange& x, http_request req);
  void answer(lws* wsi, exchange& x, int status, std::string body,
              media_type type = media_type::json);
  int on_writeable(lws* wsi, exchange& x);
  void forget(lws* wsi);
  /// `wsi`'s request header is complete: its header deadline is over.
  void header_complete(lws* wsi);
  int refuse_upgrade(lws* wsi, const char* protocol);
  int confirm_upgrade(lws* wsi, const char* protocol);
  int on_feed_established(lws* wsi);
  int on_feed_receive(lws* wsi, const char* data, std::size_t len);
  int on_feed_writeable(lws* wsi, feed_session& s);
  void on_feed_peer_close(lws* wsi, const unsigned char* in, std::size_t len);
  void forget_session(lws* wsi);
  void drain_feed();
  void close_session(lws* wsi, feed_session& s, std::uint16_t code,
                     std::string reason) const;
  void check_slow(lws* wsi, feed_session& s, std::int64_t now_ns);
  void on_acceptable();
  void refuse(int fd);
  void pause_accepting(int err);
  int on_timer(lws* wsi);
  void forget_client(lws* wsi);
  void limited_warn(const char* event, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
};

// printf-style: the event name, then the format of its key=value tail.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
void lws_http_server::impl::limited_warn(const char* event, const char* fmt,
                                         ...) {
  // What one client can make us log is rate-limited: the first line of a kind
  // per window, then a count (so a flood of clients cannot fill the disk).
  std::array<char, 512> tail{};
  // va_list is an array type on x86-64; the va_* macros decay it.
  // NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay)
  va_list args;
  va_start(args, fmt);
  // va_start just above initialized args; clang-analyzer 14 reports it anyway
  // once the query encoding left this file (a false positive).
  // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
  std::vsnprintf(tail.data(), tail.size(), fmt, args);
  va_end(args);
  // NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay)
  std::string line = std::string(event) + " " + tail.data();
  auto verdict = limiter.admit(line, steady_ms());
  log_suppressed("http", verdict.summaries);
  if (verdict.write)
    SV_WARN("http", "-", event, "%s", tail.data());
}

void lws_http_server::impl::header_complete(lws* wsi) {
  awaiting_header.erase(wsi);
  lws_set_timer_usecs(wsi, LWS_SET_TIMER_USEC_CANCEL);
}

int lws_http_server::impl::refuse_upgrade(lws* wsi, const char* protocol) {
  header_complete(wsi);
  static constexpr std::string_view body
    = R"({"error":"not found","detail":"no WebSocket or other upgrade is )"
      R"(served here; this port answers HTTP GET requests of the API"})";
  limited_warn("upgrade_refused", "protocol=\"%s\" status=404",
               protocol != nullptr ? protocol : "");
  if (lws_write_json_status(wsi, HTTP_STATUS_NOT_FOUND, body) != 0)
    return -1; // hang up: the answer did not go out
  return 1;    // answered: lws completes the transaction (keep-alive goes on)
}

int lws_http_server::impl::confirm_upgrade(lws* wsi, const char* protocol) {
  if (!feed || protocol == nullptr || std::strcmp(protocol, "websocket") != 0)
    return refuse_upgrade(wsi, protocol);
  auto path = whole_header(wsi, WSI_TOKEN_GET_URI);
  if (feed_path_of(path) == feed_path_kind::none)
    return refuse_upgrade(wsi, protocol);
  header_complete(wsi);
  upgrading[wsi] = feed_target{std::move(path), encoded_query(wsi)};
  return 0; // lws completes the upgrade; ESTABLISHED follows
}

int lws_http_server::impl::on_feed_established(lws* wsi) {
  auto target = upgrading.find(wsi);
  if (target == upgrading.end())
    return -1; // not upgraded through confirm_upgrade: nothing serves it
  auto opened = feed_opened{next_client_id++,
                            std::move(target->second.path),
                            std::move(target->second.query),
                            {}};
  upgrading.erase(target);
  std::array<char, 64> peer{};
  lws_get_peer_simple(wsi, peer.data(), peer.size());
  opened.peer = peer.data();
  auto feed_actor = caf::actor_cast<caf::actor>(feed);
  if (!feed_actor)
    return -1;
  auto& s = sessions[wsi];
  s.id = opened.client;
  session_by_id[s.id] = wsi;
  {
    std::lock_guard<std::mutex> guard{queue_mutex};
    backlog[s.id] = 0;
  }
  caf::anon_send(feed_actor, std::move(opened));
  return 0;
}

int lws_http_server::impl::on_feed_receive(lws* wsi, const char* data,
                                           std::size_t len) {
  auto it = sessions.find(wsi);
  if (it == sessions.end() || it->second.closing)
    return 0;
  auto& s = it->second;
  if (s.incoming.size() + len > options.feed_message_bytes_max) {
    limited_warn("feed_message_too_big", "client=%llu limit=%zu", ull(s.id),
                 options.feed_message_bytes_max);
    s.code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
    s.reason = "message too big";
    set_close_reason(wsi, s.code, s.reason);
    return -1;
  }
  s.incoming.append(data, len);
  // lws 4.1 hands a server what it has read of a frame so far, each piece
  // flagged final: the message is whole only when the frame's payload is in.
  if (lws_is_final_fragment(wsi) == 0 || lws_remaining_packet_payload(wsi) != 0)
    return 0;
  auto feed_actor = caf::actor_cast<caf::actor>(feed);
  if (feed_actor)
    caf::anon_send(feed_actor, feed_text{s.id, std::move(s.incoming)});
  s.incoming.clear();
  return 0;
}

int lws_http_server::impl::on_feed_writeable(lws* wsi, feed_session& s) {
  // lws raises WRITEABLE for its own pings too: write only what is queued.
  std::size_t written = 0;
  for (int n = 0; !s.queue.empty() && n < feed_frames_per_writeable; ++n) {
    const auto& frame = *s.queue.front().first;
    if (scratch.size() < LWS_PRE + frame.size())
      scratch.resize(LWS_PRE + frame.size());
    // lws_write needs LWS_PRE writable bytes before the payload; it keeps what
    // the socket did not take and reports the pipe choked.
    auto* payload = &scratch.at(LWS_PRE);
    // A WebSocket payload, not a C string: its length goes to lws_write.
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
    std::memcpy(payload, frame.data(), frame.size());
    if (lws_write(wsi, payload, frame.size(), LWS_WRITE_TEXT)
        < static_cast<int>(frame.size()))
      return -1;
    s.queued_bytes -= frame.size();
    written += frame.size();
    s.queue.pop_front();
    if (lws_send_pipe_choked(wsi) != 0)
      break;
  }
  if (written > 0) {
    std::lock_guard<std::mutex> guard{queue_mutex};
    auto it = backlog.find(s.id);
    if (it != backlog.end())
      it->second -= std::min(it->second, written);
  }
  if (!s.queue.empty()) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  if (!s.closing)
    return 0;
  set_close_reason(wsi, s.code, s.reason);
  return -1;
}

void lws_http_server::impl::on_feed_peer_close(lws* wsi,
                                               const unsigned char* in,
                                               std::size_t len) {
  auto it = sessions.find(wsi);
  if (it == sessions.end() || in == nullptr || len < 2)
    return;
  // A close frame's payload: the code (big endian), then the reason.
  std::string payload(len, '\0');
  std::memcpy(payload.data(), in, len);
  it->second.peer_code = static_cast<std::uint16_t>(
    (static_cast<unsigned>(static_cast<unsigned char>(payload[0])) << 8U)
    | static_cast<unsigned char>(payload[1]));
  it->second.peer_reason = payload.substr(2);
}

void lws_http_server::impl::forget_session(lws* wsi) {
  upgrading.erase(wsi);
  auto it = sessions.find(wsi);
  if (it == sessions.end())
    return;
  auto& s = it->second;
  feed_closed closed;
  closed.client = s.id;
  closed.code = s.code != 0 ? s.code : s.peer_code;
  closed.reason = s.code != 0 ? s.reason : s.peer_reason;
  session_by_id.erase(s.id);
  {
    std::lock_guard<std::mutex> guard{queue_mutex};
    backlog.erase(s.id);
  }
  sessions.erase(it);
  if (auto feed_actor = caf::actor_cast<caf::actor>(feed))
    caf::anon_send(feed_actor, std::move(closed));
}

void lws_http_server::impl::close_session(lws* wsi, feed_session& s,
                                          std::uint16_t code,
                                          std::string reason) const {
  s.closing = true;
  s.code = code;
  s.reason = std::move(reason);
  if (s.reason.size() > 123) // a close frame's reason fits in 123 bytes
    s.reason.resize(123);
  lws_callback_on_writable(wsi);
  // A socket that takes nothing never becomes writeable: drop it then. A close
  // the feed actor asked for goes after the frames queued before it, which a
  // client reading at its pace has up to feed_queue_age_ms to take.
  auto grace_us
    = s.queue.empty()
        ? feed_close_grace_us
        : std::max(feed_close_grace_us,
                   static_cast<lws_usec_t>(options.feed_queue_age_ms) * 1000);
  lws_set_timer_usecs(wsi, grace_us);
}

void lws_http_server::impl::check_slow(lws* wsi, feed_session& s,
                                       std::int64_t now_ns) {
  std::string why;
  if (s.queued_bytes > options.feed_queue_bytes_max) {
    why = "slow consumer: " + std::to_string(s.queued_bytes)
          + " bytes queued, limit "
          + std::to_string(options.feed_queue_bytes_max);
  } else if (!s.queue.empty()) {
    auto age_ms = (now_ns - s.queue.front().second) / 1'000'000;
    if (age_ms > options.feed_queue_age_ms)
      why = "slow consumer: a frame queued " + std::to_string(age_ms)
            + " ms, limit " + std::to_string(options.feed_queue_age_ms);
  }
  if (why.empty())
    return;
  limited_warn("feed_slow_consumer",
               "client=%llu queued_bytes=%zu queued_frames=%zu reason=\"%s\" "
               "hint=\"the client reads slower than the feed: it is closed "
               "with 1008 (trades are never dropped silently); raise "
               "feed_queue_bytes_max or feed_queue_age_ms for bursty "
               "readers\"",
               ull(s.id), s.queued_bytes, s.queue.size(), why.c_str());
  // Its frames are dropped with it: memory is freed now, not after the grace.
  s.queue.clear();
  s.queued_bytes = 0;
  close_session(wsi, s, LWS_CLOSE_STATUS_POLICY_VIOLATION, std::move(why));
}

void lws_http_server::impl::drain_feed() {
  {
    std::lock_guard<std::mutex> guard{queue_mutex};
    feed_drained.swap(feed_inbox);
  }
  auto now = steady_ns();
  for (auto& c : feed_drained) {
    auto it = session_by_id.find(c.client);
    if (it == session_by_id.end())
      continue; // gone: its feed_closed is on its way to the feed actor
    auto* wsi = it->second;
    auto& s = sessions[wsi];
    if (s.closing)
      continue;
    if (c.close) {
      close_session(wsi, s, c.code, std::move(c.reason));
      continue;
    }
    for (auto& frame : c.frames) {
      s.queued_bytes += frame->size();
      s.queue.emplace_back(std::move(frame), now);
    }
    check_slow(wsi, s, now);
    if (!s.closing)
      lws_callback_on_writable(wsi);
  }
  feed_drained.clear();
}

void lws_http_server::impl::on_acceptable() {
  log_suppressed("http", limiter.flush(steady_ms()));
  for (int i = 0; i < accepts_per_wake; ++i) {
    int fd = ::accept4(listen_fd, nullptr, nullptr,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK)
        return;
      // The client gave up while queued, or a signal: try the next one.
      if (err == EINTR || err == ECONNABORTED || err == EPROTO)
        continue;
      // EMFILE, ENFILE, ENOBUFS, ENOMEM: retrying at once would fail again
      // (lws's own listener does exactly that, in a busy loop).
      pause_accepting(err);
      return;
    }
    if (clients.size() >= options.clients_max) {
      refuse(fd);
      continue;
    }
    // Frames leave as they are written. lws sets TCP_NODELAY only on sockets it
    // accepts itself, not on adopted ones; without it, once a client has sent
    // anything (a SUBSCRIBE), Nagle holds our small frames behind the client's
    // delayed ACKs: 5-10 ms at 20,000 frames/s (docs/performance.md, "Feed").
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    lws_sock_file_fd_type desc{};
    desc.sockfd = fd;
    // lws closes fd itself if it cannot adopt it.
    auto* wsi = lws_adopt_descriptor_vhost(
      vhost, static_cast<lws_adoption_type>(LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP),
      desc, nullptr, nullptr);
    if (wsi == nullptr) {
      limited_warn("adopt_failed", "clients=%zu", clients.size());
      continue;
    }
    clients.insert(wsi);
    awaiting_header.insert(wsi);
    n_clients.store(clients.size(), std::memory_order_relaxed);
    n_accepted.fetch_add(1, std::memory_order_relaxed);
    lws_set_timer_usecs(wsi, static_cast<lws_usec_t>(options.header_timeout_ms)
                               * 1000);
  }
}

void lws_http_server::impl::refuse(int fd) {
  // Counted before the client can see the answer (stats() readers may be it).
  auto refused = n_refused.fetch_add(1, std::memory_order_relaxed) + 1;
  std::string answer = "HTTP/1.1 503 Service Unavailable\r\n"
                       "Content-Type: application/json\r\n"
                       "Connection: close\r\n"
                       "Content-Length: "
                       + std::to_string(refusal_body.size()) + "\r\n\r\n"
                       + std::string(refusal_body);
  // Closing with unread input makes the kernel send RST, which can destroy the
  // answer before the client reads it: read what the client has sent so far
  // (its request, usually) first. Bounded, so a client cannot keep us here.
  std::array<char, 4096> sink{};
  for (int i = 0; i < 4; ++i)
    if (::recv(fd, sink.data(), sink.size(), MSG_DONTWAIT) <= 0)
      break;
  // Best effort: a fresh socket's send buffer takes this at once; if not, the
  // client only sees the close.
  auto sent = ::send(fd, answer.data(), answer.size(),
                     MSG_NOSIGNAL | MSG_DONTWAIT);
  static_cast<void>(sent);
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
  limited_warn("client_refused",
               "clients=%zu clients_max=%zu refused_total=%llu hint=\"too "
               "many API clients: raise api_clients_max (and the descriptor "
               "limit), or find the client that holds connections\"",
               clients.size(), options.clients_max, ull(refused));
}

void lws_http_server::impl::pause_accepting(int err) {
  auto failures = n_accept_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  limited_warn("accept_paused",
               "errno=%d error=\"%s\" pause_ms=%u clients=%zu failures=%llu "
               "hint=\"out of descriptors: raise the limit (ulimit -n, "
               "LimitNOFILE) or lower api_clients_max\"",
               err, std::generic_category().message(err).c_str(),
               options.accept_pause_ms, clients.size(), ull(failures));
  // Applied by lws when this callback returns: the listen socket is not polled
  // until the timer ends the pause.
  lws_rx_flow_control(listen_wsi, 0);
  lws_set_timer_usecs(listen_wsi,
                      static_cast<lws_usec_t>(options.accept_pause_ms) * 1000);
}

void lws_http_server::impl::forget_client(lws* wsi) {
  awaiting_header.erase(wsi);
  if (clients.erase(wsi) > 0)
    n_clients.store(clients.size(), std::memory_order_relaxed);
}

int lws_http_server::impl::on_timer(lws* wsi) {
  if (wsi == listen_wsi) {
    lws_rx_flow_control(listen_wsi, 1); // the pause is over
    return 0;
  }
  if (auto session = sessions.find(wsi); session != sessions.end())
    return session->second.closing ? -1 : 0; // its close grace is over
  if (awaiting_header.erase(wsi) > 0) {
    auto total = n_header_timeouts.fetch_add(1, std::memory_order_relaxed) + 1;
    limited_warn("header_timeout",
                 "after_ms=%u clients=%zu total=%llu hint=\"a client connected "
                 "and sent no complete request; raise api_header_timeout_ms "
                 "for slow clients\"",
                 options.header_timeout_ms, clients.size(), ull(total));
    return -1; // closes the connection
  }
  auto it = exchanges.find(wsi);
  if (it != exchanges.end() && it->second.awaiting_body) {
    it->second.awaiting_body.reset();
    it->second.close_after = true;
    limited_warn("body_timeout",
                 "after_ms=%u hint=\"a client sent a request header and not "
                 "its whole body\"",
                 options.request_timeout_ms);
    answer(wsi, it->second, 408, R"({"error":"body timeout"})");
    return 0;
  }
  if (it == exchanges.end() || it->second.req_id == 0)
    return 0;
  auto& x = it->second;
  SV_WARN("http", "-", "request_timeout",
          "req=%llu after_ms=%u hint=\"the api actor did not answer; "
          "check its log\"",
          ull(x.req_id), options.request_timeout_ms);
  pending.erase(x.req_id);
  x.req_id = 0;
  answer(wsi, x, 504, R"({"error":"timeout"})");
  return 0;
}

void lws_http_server::impl::run() {
  while (!stop_requested.load(std::memory_order_acquire))
    lws_service(context, 0);
  lws_context_destroy(context);
  exchanges.clear();
  pending.clear();
  upgrading.clear();
  sessions.clear();
  session_by_id.clear();
  clients.clear();
  awaiting_header.clear();
  n_clients.store(0, std::memory_order_relaxed);
  log_suppressed("http", limiter.flush(steady_ms(), true));
}

void lws_http_server::impl::drain_responses() {
  {
    std::lock_guard<std::mutex> guard{queue_mutex};
    drained.swap(queue);
  }
  for (auto& r : drained) {
    auto it = pending.find(r.req_id);
    if (it == pending.end())
      continue; // timed out, client gone, or answered twice
    auto* wsi = it->second;
    pending.erase(it);
    auto& x = exchanges[wsi];
    x.req_id = 0;
    lws_set_timer_usecs(wsi, LWS_SET_TIMER_USEC_CANCEL);
    answer(wsi, x, r.status, std::move(r.body), r.type);
  }
  drained.clear();
}

void lws_http_server::impl::answer(lws* wsi, exchange& x, int status,
                                   std::string body, media_type type) {
  x.responding = true;
  x.type = type;
  x.headers_sent = false;
  x.status = status;
  x.body = std::move(body);
  x.sent = 0;
  lws_callback_on_writable(wsi);
}

void lws_http_server::impl::on_request(lws* wsi, const char* uri,
                                       std::size_t len) {
  header_complete(wsi);
  auto& x = exchanges[wsi];
  x = exchange{};
  auto method = method_of(wsi);
  bool get = std::strcmp(method.name, "GET") == 0;
  bool put = std::strcmp(method.name, "PUT") == 0;
  bool del = std::strcmp(method.name, "DELETE") == 0;
  if (!get && !put && !del) {
    x.close_after = true;
    x.head_only = std::strcmp(method.name, "HEAD") == 0;
    answer(wsi, x, 405,
           R"({"error":"method not allowed","allow":"GET, PUT, DELETE"})");
    return;
  }
  if (auto refused = refused_target(wsi, method.token, uri, len)) {
    x.close_after = true;
    answer(wsi, x, refused->status, std::move(refused->body));
    return;
  }
  http_request req;
  req.method = method.name;
  req.path.assign(uri != nullptr ? uri : "/", uri != nullptr ? len : 1);
  req.query = encoded_query(wsi);
  if (get) {
    dispatch(wsi, x, std::move(req));
    return;
  }
  req.peer_loopback = peer_is_loopback(wsi);
  req.authorization = header_of(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  auto length_text = header_of(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  if (length_text.empty()) {
    // lws 4.1 expects up to 100 MiB after a PUT without Content-Length: answer
    // with what came (no body) and close rather than wait for it.
    x.close_after = put;
    dispatch(wsi, x, std::move(req));
    return;
  }
  auto length = std::strtoull(length_text.c_str(), nullptr, 10);
  if (length > request_body_bytes_max) {
    x.close_after = true;
    answer(wsi, x, 413,
           R"({"error":"body too large","limit":)"
             + std::to_string(request_body_bytes_max) + "}");
    return;
  }
  if (length == 0) {
    dispatch(wsi, x, std::move(req));
    return;
  }
  // The body follows (LWS_CALLBACK_HTTP_BODY); the request deadline covers it.
  x.awaiting_body = std::move(req);
  lws_set_timer_usecs(wsi, static_cast<lws_usec_t>(options.request_timeout_ms)
                             * 1000);
}

int lws_http_server::impl::on_body(lws* wsi, const char* data,
                                   std::size_t len) {
  auto it = exchanges.find(wsi);
  if (it == exchanges.end() || !it->second.awaiting_body)
    return 0;
  auto& x = it->second;
  if (data != nullptr) {
    // Content-Length was checked against the bound; lws delivers no more.
    x.awaiting_body->body.append(data, len);
    return 0;
  }
  auto req = std::move(*x.awaiting_body);
  x.awaiting_body.reset();
  dispatch(wsi, x, std::move(req));
  return 0;
}

void lws_http_server::impl::dispatch(lws* wsi, exchange& x, http_request req) {
  if (pending.size() >= options.pending_requests_max) {
    SV_WARN("http", "-", "busy",
            "pending=%zu hint=\"the api actor is slow; raise "
            "pending_requests_max or check its mailbox\"",
            pending.size());
    answer(wsi, x, 503, R"({"error":"busy"})");
    return;
  }
  auto api_actor = caf::actor_cast<caf::actor>(api);
  if (!api_actor) {
    answer(wsi, x, 503, R"({"error":"unavailable"})");
    return;
  }
  req.req_id = next_req_id++;
  x.req_id = req.req_id;
  pending.emplace(req.req_id, wsi);
  lws_set_timer_usecs(wsi, static_cast<lws_usec_t>(options.request_timeout_ms)
                             * 1000);
  SV_DEBUG("http", "-", "request", "req=%llu method=%s path=%s query=%s",
           ull(req.req_id), req.method.c_str(), req.path.c_str(),
           req.query.c_str());
  caf::anon_send(api_actor, std::move(req));
}

int lws_http_server::impl::on_writeable(lws* wsi, exchange& x) {
  // lws may raise WRITEABLE on its own; only write an answer we have.
  if (!x.responding)
    return 0;
  if (!x.headers_sent) {
    unsigned char buf[LWS_PRE + 512];
    unsigned char* start = buf + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buf + sizeof(buf) - 1;
    if (lws_add_http_common_headers(
          wsi, static_cast<unsigned>(x.status), content_type_of(x.type),
          static_cast<lws_filepos_t>(x.head_only ? 0 : x.body.size()), &p, end))
      return -1;
    if (x.close_after) {
      static const char close_value[] = "close";
      if (lws_add_http_header_by_token(
            wsi, WSI_TOKEN_CONNECTION,
            reinterpret_cast<const unsigned char*>(close_value),
            static_cast<int>(sizeof(close_value) - 1), &p, end))
        return -1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end))
      return -1;
    x.headers_sent = true;
    if (!x.head_only && !x.body.empty()) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  } else {
    auto chunk = std::min(body_chunk_bytes, x.body.size() - x.sent);
    bool last = x.sent + chunk == x.body.size();
    // lws_write needs LWS_PRE writable bytes before the payload.
    std::memcpy(scratch.data() + LWS_PRE, x.body.data() + x.sent, chunk);
    if (lws_write(wsi, scratch.data() + LWS_PRE, chunk,
                  last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
        < 0)
      return -1;
    x.sent += chunk;
    if (!last) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  }
  bool close_after = x.close_after;
  x = exchange{};
  if (close_after)
    return -1;
  // Non-zero means lws wants the connection closed (no keep-alive).
  return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

void lws_http_server::impl::forget(lws* wsi) {
  auto it = exchanges.find(wsi);
  if (it == exchanges.end())
    return;
  if (it->second.req_id != 0) {
    SV_DEBUG("http", "-", "client_gone", "req=%llu", ull(it->second.req_id));
    pending.erase(it->second.req_id);
  }
  exchanges.erase(it);
}

int lws_http_server::impl::callback(lws* wsi, lws_callback_reasons reason,
                                    void* /*user*/, void* in, size_t len) {
  auto* self = static_cast<impl*>(lws_context_user(lws_get_context(wsi)));
  if (self == nullptr)
    return 0;
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      self->drain_responses();
      self->drain_feed();
      return 0;
    case LWS_CALLBACK_HTTP:
      self->on_request(wsi, static_cast<const char*>(in), len);
      return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      // WebSocket on the feed's paths; any other upgrade is answered as plain
      // HTTP instead of switching protocols and holding a connection nobody
      // serves.
      return self->confirm_upgrade(wsi, static_cast<const char*>(in));
    case LWS_CALLBACK_ESTABLISHED:
      return self->on_feed_established(wsi);
    case LWS_CALLBACK_RECEIVE:
      return self->on_feed_receive(wsi, static_cast<const char*>(in), len);
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      auto it = self->sessions.find(wsi);
      return it == self->sessions.end()
               ? 0
               : self->on_feed_writeable(wsi, it->second);
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      self->on_feed_peer_close(wsi, static_cast<const unsigned char*>(in), len);
      return 0;
    case LWS_CALLBACK_CLOSED:
      self->forget_session(wsi);
      return 0;
    case LWS_CALLBACK_HTTP_BODY:
      return self->on_body(wsi, static_cast<const char*>(in), len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      return self->on_body(wsi, nullptr, 0);
    case LWS_CALLBACK_RAW_RX_FILE:
      if (wsi == self->listen_wsi)
        self->on_acceptable();
      return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
      if (wsi == self->listen_wsi)
        self->listen_wsi = nullptr;
      return 0;
    case LWS_CALLBACK_TIMER:
      return self->on_timer(wsi);
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      auto it = self->exchanges.find(wsi);
      if (it == self->exchanges.end())
        return 0;
      return self->on_writeable(wsi, it->second);
    }
    case LWS_CALLBACK_CLOSED_HTTP:
      // The client may leave before the answer: a late respond() is ignored.
      self->forget(wsi);
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      self->forget(wsi);
      self->forget_session(wsi);
      self->forget_client(wsi);
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
  }
}

lws_http_server::lws_http_server(lws_http_server_options options)
  : impl_(std::make_unique<impl>(std::move(options))) {
  impl_->scratch.resize(LWS_PRE + body_chunk_bytes);
}

lws_http_server::~lws_http_server() {
  stop();
}

bool lws_http_server::start(const caf::actor& api) {
  return start(api, caf::actor{});
}

bool lws_http_server::start(const caf::actor& api, const caf::actor& feed) {
  auto& d = *impl_;
  if (d.context != nullptr)
    return false;
  d.api = caf::actor_cast<caf::weak_actor_ptr>(api);
  if (feed)
    d.feed = caf::actor_cast<caf::weak_actor_ptr>(feed);
  d.protocols[0].name = protocol_name;
  d.protocols[0].callback = &impl::callback;
  d.protocols[0].per_session_data_size = sizeof(session_marker);

  const auto& host = d.options.host;
  std::string error;
  d.listen_fd = open_listener(host, d.options.port, error);
  if (d.listen_fd < 0) {
    SV_ERROR("http", "-", "listen_failed",
             "host=%s port=%u error=\"%s\" hint=\"is the port in use or the "
             "address not local? pick another --http\"",
             host.c_str(), static_cast<unsigned>(d.options.port),
             error.c_str());
    return false;
  }
  int port = bound_port_of(d.listen_fd);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  // A vhost that serves but does not listen: connections come from our own
  // listen socket (see on_acceptable).
  info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
  info.protocols = d.protocols;
  info.user = impl_.get();
  info.vhost_name = "default";
  // Every client can hold a header table (while its request is read or waits
  // for the api actor), so the pool cannot run dry while clients_max holds.
  info.max_http_header_data = header_bytes_max;
  info.max_http_header_pool2 = static_cast<unsigned>(
    std::max(d.options.clients_max, d.options.pending_requests_max)
    + header_pool_margin);
  // lws sizes its descriptor tables for this many instead of the whole
  // RLIMIT_NOFILE (which main raised, maybe to a million).
  info.fd_limit_per_thread
    = static_cast<unsigned>(d.options.clients_max + fd_table_margin);
  // A request header must be complete within this after lws attaches a header
  // table (whole seconds; the first request has our own ms timer as well).
  info.timeout_secs_ah_idle = (d.options.header_timeout_ms + 999) / 1000;
  info.keepalive_timeout = static_cast<int>(d.options.idle_timeout_s);
  // Feed clients are pinged and dropped without a pong, as Binance does; plain
  // HTTP connections never use the validity timer (only ws confirms validity).
  d.feed_retry.secs_since_valid_ping = d.options.feed_ping_interval_s;
  d.feed_retry.secs_since_valid_hangup = static_cast<std::uint16_t>(
    d.options.feed_ping_interval_s + d.options.feed_pong_timeout_s);
  info.retry_and_idle_policy = &d.feed_retry;
  d.context = lws_create_context(&info);
  d.vhost = d.context != nullptr ? lws_get_vhost_by_name(d.context, "default")
                                 : nullptr;
  if (d.vhost != nullptr) {
    lws_sock_file_fd_type desc{};
    desc.filefd = d.listen_fd;
    d.listen_wsi = lws_adopt_descriptor_vhost(d.vhost, LWS_ADOPT_RAW_FILE_DESC,
                                              desc, protocol_name, nullptr);
  }
  if (d.listen_wsi == nullptr || port <= 0) {
    SV_ERROR("http", "-", "listen_failed",
             "host=%s port=%u error=\"lws could not serve the socket\"",
             host.c_str(), static_cast<unsigned>(d.options.port));
    if (d.context != nullptr)
      lws_context_destroy(d.context);
    if (d.listen_wsi == nullptr)
      ::close(d.listen_fd);
    d.context = nullptr;
    d.vhost = nullptr;
    d.listen_wsi = nullptr;
    d.listen_fd = -1;
    return false;
  }
  d.bound_port.store(static_cast<std::uint16_t>(port));
  {
    std::lock_guard<std::mutex> guard{d.queue_mutex};
    d.accepting = true;
  }
  d.service_thread = std::thread([this] { impl_->run(); });
  SV_INFO("http", "-", "listening",
          "host=%s port=%d clients_max=%zu header_timeout_ms=%u "
          "idle_timeout_s=%u",
          host.c_str(), port, d.options.clients_max,
          d.options.header_timeout_ms, d.options.idle_timeout_s);
  return true;
}

void lws_http_server::stop() {
  auto& d = *impl_;
  {
    std::lock_guard<std::mutex> guard{d.queue_mutex};
    if (d.accepting) {
      d.accepting = false;
      d.stop_requested.store(true, std::memory_order_release);
      lws_cancel_service(d.context);
    }
  }
  if (d.service_thread.joinable())
    d.service_thread.join();
  d.context = nullptr;
  d.queue.clear();
  d.feed_inbox.clear();
}

std::uint16_t lws_http_server::port() const {
  return impl_->bound_port.load();
}

void lws_http_server::send(std::uint64_t client,
                           std::vector<feed_frame> frames) {
  auto& d = *impl_;
  std::lock_guard<std::mutex> guard{d.queue_mutex};
  if (!d.accepting)
    return;
  auto pending = d.backlog.find(client);
  if (pending != d.backlog.end())
    for (const auto& frame : frames)
      pending->second += frame->size();
  impl::feed_command command;
  command.client = client;
  command.frames = std::move(frames);
  d.feed_inbox.push_back(std::move(command));
  lws_cancel_service(d.context);
}

// The seam's order: who, then how.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
void lws_http_server::close(std::uint64_t client, std::uint16_t code,
                            std::string reason) {
  auto& d = *impl_;
  std::lock_guard<std::mutex> guard{d.queue_mutex};
  if (!d.accepting)
    return;
  impl::feed_command command;
  command.client = client;
  command.close = true;
  command.code = code;
  command.reason = std::move(reason);
  d.feed_inbox.push_back(std::move(command));
  lws_cancel_service(d.context);
}

std::size_t lws_http_server::backlog_bytes(std::uint64_t client) const {
  auto& d = *impl_;
  std::lock_guard<std::mutex> guard{d.queue_mutex};
  auto it = d.backlog.find(client);
  return it == d.backlog.end() ? 0 : it->second;
}

lws_http_server_stats lws_http_server::stats() const {
  const auto& d = *impl_;
  lws_http_server_stats result;
  result.clients = d.n_clients.load(std::memory_order_relaxed);
  result.accepted = d.n_accepted.load(std::memory_order_relaxed);
  result.refused = d.n_refused.load(std::memory_order_relaxed);
  result.header_timeouts = d.n_header_timeouts.load(std::memory_order_relaxed);
  result.accept_failures = d.n_accept_failures.load(std::memory_order_relaxed);
  return result;
}

void lws_http_server::respond(std::uint64_t req_id, int status,
                              std::string body, media_type type) {
  auto& d = *impl_;
  std::lock_guard<std::mutex> guard{d.queue_mutex};
  if (!d.accepting)
    return;
  // Bound: at most one answer per pending request can matter; extras are late
  // or duplicate answers and would be ignored anyway.
  if (d.queue.size() >= d.options.pending_requests_max * 2 + 16) {
    SV_WARN("http", "-", "respond_dropped", "req=%llu reason=\"queue full\"",
            ull(req_id));
    return;
  }
  d.queue.push_back(impl::response{req_id, status, std::move(body), type});
  lws_cancel_service(d.context);
}

} // namespace sv
