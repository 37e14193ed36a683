// lws_http_server: the HTTP/1.1 API server (own lws context, own service thread) behind http_responder.
#include "app/transport/lws_http_server.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include <libwebsockets.h>

#include "actors/core/log.hpp"
#include "messages/http.hpp"

namespace sv {

namespace {

constexpr const char* protocol_name = "sv-http";

// Body bytes written per HTTP_WRITEABLE: large enough that a 5 MB answer takes
// ~80 passes, small enough that other clients are served in between.
constexpr std::size_t body_chunk_bytes = 64 * 1024;

// Longest decoded query argument we accept (lws's own header buffer bounds the
// whole request line to a few KiB anyway).
constexpr int arg_bytes_max = 2048;

unsigned long long ull(std::uint64_t x) {
  return static_cast<unsigned long long>(x);
}

/// Percent-encodes the bytes that would change the meaning of a query string.
void append_query_encoded(std::string& out, const char* s, std::size_t n,
                          bool encode_equals) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < n; ++i) {
    auto ch = static_cast<unsigned char>(s[i]);
    bool plain = ch > 0x20 && ch < 0x7f && ch != '&' && ch != '%' && ch != '+'
                 && ch != '#' && (ch != '=' || !encode_equals);
    if (plain) {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(hex[ch >> 4]);
      out.push_back(hex[ch & 0x0f]);
    }
  }
}

/// The method of the request on `wsi`, from the token lws filled in.
const char* method_of(lws* wsi) {
  struct entry {
    lws_token_indexes token;
    const char* name;
  };
  static const entry methods[] = {
    {WSI_TOKEN_GET_URI, "GET"},     {WSI_TOKEN_POST_URI, "POST"},
    {WSI_TOKEN_PUT_URI, "PUT"},     {WSI_TOKEN_DELETE_URI, "DELETE"},
    {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
    {WSI_TOKEN_HEAD_URI, "HEAD"},   {WSI_TOKEN_CONNECT, "CONNECT"},
  };
  for (const auto& m : methods)
    if (lws_hdr_total_length(wsi, m.token) > 0)
      return m.name;
  return "?";
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
    int status = 0;            ///< status of the answer
    std::string body;          ///< the answer's JSON
    std::size_t sent = 0;      ///< body bytes written so far
  };

  /// One respond() call on its way to the service thread.
  struct response {
    std::uint64_t req_id = 0; ///< request being answered
    int status = 0;           ///< HTTP status
    std::string body;         ///< JSON body
  };

  explicit impl(lws_http_server_options opts) : options(std::move(opts)) {
  }

  // Immutable after start().
  lws_http_server_options options;
  lws_protocols protocols[2]{};
  caf::weak_actor_ptr api;
  lws_context* context = nullptr; // destroyed on the service thread
  std::thread service_thread;
  std::atomic<std::uint16_t> bound_port{0};

  // any thread; guarded by queue_mutex
  std::mutex queue_mutex;
  std::vector<response> queue;
  bool accepting = false; // started and not stopped: respond() may wake lws

  std::atomic<bool> stop_requested{false}; // read by the service loop

  // lws service thread only
  std::unordered_map<lws*, exchange> exchanges;
  std::unordered_map<std::uint64_t, lws*> pending; // req_id -> connection
  std::uint64_t next_req_id = 1;
  std::vector<response> drained;
  std::vector<unsigned char> scratch; // LWS_PRE + one body chunk

  static int callback(lws* wsi, lws_callback_reasons reason, void* user,
                      void* in, size_t len);

  void run();
  void drain_responses();
  void on_request(lws* wsi, const char* uri, std::size_t len);
  void answer(lws* wsi, exchange& x, int status, std::string body);
  int on_writeable(lws* wsi, exchange& x);
  void forget(lws* wsi);
};

void lws_http_server::impl::run() {
  while (!stop_requested.load(std::memory_order_acquire))
    lws_service(context, 0);
  lws_context_destroy(context);
  exchanges.clear();
  pending.clear();
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
    answer(wsi, x, r.status, std::move(r.body));
  }
  drained.clear();
}

void lws_http_server::impl::answer(lws* wsi, exchange& x, int status,
                                   std::string body) {
  x.responding = true;
  x.headers_sent = false;
  x.status = status;
  x.body = std::move(body);
  x.sent = 0;
  lws_callback_on_writable(wsi);
}

void lws_http_server::impl::on_request(lws* wsi, const char* uri,
                                       std::size_t len) {
  auto& x = exchanges[wsi];
  x = exchange{};
  const char* method = method_of(wsi);
  if (std::strcmp(method, "GET") != 0) {
    x.close_after = true;
    x.head_only = std::strcmp(method, "HEAD") == 0;
    answer(wsi, x, 405, R"({"error":"method not allowed","allow":"GET"})");
    return;
  }
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
  http_request req;
  req.req_id = next_req_id++;
  req.method = "GET";
  req.path.assign(uri != nullptr ? uri : "/", uri != nullptr ? len : 1);
  // lws has percent-decoded the arguments and split them at '&'; rebuild an
  // encoded query the api actor can parse like a raw one.
  char arg[arg_bytes_max];
  for (int i = 0;; ++i) {
    int n = lws_hdr_copy_fragment(wsi, arg, sizeof(arg),
                                  WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n < 0)
      break;
    if (!req.query.empty())
      req.query.push_back('&');
    auto* eq = static_cast<const char*>(
      std::memchr(arg, '=', static_cast<std::size_t>(n)));
    if (eq == nullptr) {
      append_query_encoded(req.query, arg, static_cast<std::size_t>(n), true);
    } else {
      auto name_len = static_cast<std::size_t>(eq - arg);
      append_query_encoded(req.query, arg, name_len, true);
      req.query.push_back('=');
      append_query_encoded(req.query, eq + 1,
                           static_cast<std::size_t>(n) - name_len - 1, true);
    }
  }
  x.req_id = req.req_id;
  pending.emplace(req.req_id, wsi);
  lws_set_timer_usecs(wsi, static_cast<lws_usec_t>(options.request_timeout_ms)
                             * 1000);
  SV_DEBUG("http", "-", "request", "req=%llu path=%s query=%s", ull(req.req_id),
           req.path.c_str(), req.query.c_str());
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
          wsi, static_cast<unsigned>(x.status), "application/json",
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
      return 0;
    case LWS_CALLBACK_HTTP:
      self->on_request(wsi, static_cast<const char*>(in), len);
      return 0;
    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      return 0; // bodies are not used: only GET is served
    case LWS_CALLBACK_TIMER: {
      auto it = self->exchanges.find(wsi);
      if (it == self->exchanges.end() || it->second.req_id == 0)
        return 0;
      auto& x = it->second;
      SV_WARN("http", "-", "request_timeout",
              "req=%llu after_ms=%u hint=\"the api actor did not answer; "
              "check its log\"",
              ull(x.req_id), self->options.request_timeout_ms);
      self->pending.erase(x.req_id);
      x.req_id = 0;
      self->answer(wsi, x, 504, R"({"error":"timeout"})");
      return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      auto it = self->exchanges.find(wsi);
      if (it == self->exchanges.end())
        return 0;
      return self->on_writeable(wsi, it->second);
    }
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_WSI_DESTROY:
      // The client may leave before the answer: a late respond() is ignored.
      self->forget(wsi);
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
  auto& d = *impl_;
  if (d.context != nullptr)
    return false;
  d.api = caf::actor_cast<caf::weak_actor_ptr>(api);
  d.protocols[0].name = protocol_name;
  d.protocols[0].callback = &impl::callback;
  d.protocols[0].per_session_data_size = sizeof(session_marker);

  const auto& host = d.options.host;
  bool ipv6 = host.find(':') != std::string::npos;
  bool any = host.empty() || host == "0.0.0.0";
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = d.options.port;
  // NULL binds every address; lws takes an IP literal here as well as a name.
  info.iface = any ? nullptr : host.c_str();
  info.protocols = d.protocols;
  info.user = impl_.get();
  info.vhost_name = "default";
  // An IPv4 host must get an AF_INET socket; lws would otherwise open AF_INET6.
  info.options = ipv6 ? 0 : LWS_SERVER_OPTION_DISABLE_IPV6;
  // Every pending request holds a header table until answered.
  info.max_http_header_pool = static_cast<unsigned short>(
    std::min<std::size_t>(d.options.pending_requests_max + 16, 4096));
  info.keepalive_timeout = 30;
  d.context = lws_create_context(&info);
  if (d.context == nullptr) {
    SV_ERROR("http", "-", "listen_failed",
             "host=%s port=%u hint=\"is the port in use or the address not "
             "local? pick another --api-port\"",
             host.c_str(), static_cast<unsigned>(d.options.port));
    return false;
  }
  auto* vhost = lws_get_vhost_by_name(d.context, "default");
  int port = vhost != nullptr ? lws_get_vhost_listen_port(vhost) : -1;
  if (port <= 0) {
    SV_ERROR("http", "-", "listen_failed",
             "host=%s port=%u hint=\"is the port in use? pick another "
             "--api-port\"",
             host.c_str(), static_cast<unsigned>(d.options.port));
    lws_context_destroy(d.context);
    d.context = nullptr;
    return false;
  }
  d.bound_port.store(static_cast<std::uint16_t>(port));
  {
    std::lock_guard<std::mutex> guard{d.queue_mutex};
    d.accepting = true;
  }
  d.service_thread = std::thread([this] { impl_->run(); });
  SV_INFO("http", "-", "listening", "host=%s port=%d", host.c_str(), port);
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
}

std::uint16_t lws_http_server::port() const {
  return impl_->bound_port.load();
}

void lws_http_server::respond(std::uint64_t req_id, int status,
                              std::string body) {
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
  d.queue.push_back(impl::response{req_id, status, std::move(body)});
  lws_cancel_service(d.context);
}

} // namespace sv
