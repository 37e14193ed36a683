// ws_test_servers: loopback WebSocket/HTTP peers and a CAF event recorder for the [transport] tests.
#include "tests/app/transport/support/ws_test_servers.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include <libwebsockets.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "actors/core/symbol_case.hpp"

namespace sv::test {

// -- temp_cert ----------------------------------------------------------------

namespace {

/// Writes a self-signed certificate for `spec` and its key as PEM files; the
/// OpenSSL API rather than the CLI, because `openssl req` cannot date a
/// certificate in the past (an expired one is what some tests need).
bool write_self_signed(const cert_spec& spec, const std::string& cert_path,
                       const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  bool ok = key != nullptr && x != nullptr;
  if (ok) {
    X509_set_version(x, 2); // v3: extensions
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), spec.valid_from_s);
    X509_gmtime_adj(X509_getm_notAfter(x), spec.valid_until_s);
    X509_set_pubkey(x, key);
    auto* name = X509_get_subject_name(x);
    const auto* cn = static_cast<const unsigned char*>(
      static_cast<const void*>(spec.common_name.c_str()));
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    auto* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name,
                                    spec.subject_alt_names.c_str());
    ok = san != nullptr && X509_add_ext(x, san, -1) == 1
         && X509_sign(x, key, EVP_sha256()) > 0;
    X509_EXTENSION_free(san);
  }
  if (ok) {
    BIO* cf = BIO_new_file(cert_path.c_str(), "w");
    BIO* kf = BIO_new_file(key_path.c_str(), "w");
    ok = cf != nullptr && kf != nullptr && PEM_write_bio_X509(cf, x) == 1
         && PEM_write_bio_PrivateKey(kf, key, nullptr, nullptr, 0, nullptr,
                                     nullptr)
              == 1;
    BIO_free(cf);
    BIO_free(kf);
  }
  X509_free(x);
  EVP_PKEY_free(key);
  return ok;
}

} // namespace

temp_cert::temp_cert(const cert_spec& spec) {
  char tmpl[] = "/tmp/sv-transport-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    return;
  dir = tmpl;
  cert = dir + "/cert.pem";
  key = dir + "/key.pem";
  ok = write_self_signed(spec, cert, key);
}

temp_cert::~temp_cert() {
  if (dir.empty())
    return;
  std::remove(cert.c_str());
  std::remove(key.c_str());
  rmdir(dir.c_str());
}

// -- lws_test_server ----------------------------------------------------------

/// Shared by the server's callback (service thread only after construction).
struct lws_test_server::state {
  ws_script script;
  std::atomic<int> established{0};
  std::atomic<int> closed{0};
  mutable std::mutex close_codes_mutex;
  std::vector<std::uint16_t> close_codes; // guarded by close_codes_mutex
  lws_context* context = nullptr;
  std::atomic<bool> stop{false};
  lws_protocols protocols[2]{};
  std::vector<unsigned char> buf;
};

namespace {

/// Per-connection progress through the script (lws zero-initializes it).
struct session {
  std::size_t message;
  std::size_t offset;
  bool tick_armed; // the tick timer is scheduled
  bool tick_due;   // the tick timer fired; send a tick at the next WRITEABLE
};

// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): lws's callback type.
int test_server_callback(lws* wsi, lws_callback_reasons reason, void* user,
                         void* in, size_t len) {
  auto* st = static_cast<lws_test_server::state*>(
    lws_context_user(lws_get_context(wsi)));
  auto* s = static_cast<session*>(user);
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      s->message = 0;
      s->offset = 0;
      s->tick_armed = false;
      s->tick_due = false;
      ++st->established;
      lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_CLOSED:
      ++st->closed;
      return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      // `in`: the close frame's payload, a 2-byte big-endian code first.
      if (in != nullptr && len >= 2) {
        std::array<unsigned char, 2> code{};
        std::memcpy(code.data(), in, code.size());
        std::lock_guard<std::mutex> guard{st->close_codes_mutex};
        st->close_codes.push_back(
          static_cast<std::uint16_t>((code[0] << 8) | code[1]));
      }
      return 0; // lws echoes the close
    }
    case LWS_CALLBACK_TIMER:
      s->tick_armed = false;
      s->tick_due = true;
      lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      const auto& sc = st->script;
      if (s->message < sc.messages.size()) {
        const auto& m = sc.messages[s->message];
        auto rest = m.size() - s->offset;
        auto chunk = sc.fragment_bytes != 0 ? std::min(rest, sc.fragment_bytes)
                                            : rest;
        bool first = s->offset == 0;
        bool last = chunk == rest;
        int flags = first ? LWS_WRITE_TEXT : LWS_WRITE_CONTINUATION;
        if (!last)
          flags |= LWS_WRITE_NO_FIN;
        if (st->buf.size() < LWS_PRE + chunk)
          st->buf.resize(LWS_PRE + chunk);
        std::memcpy(st->buf.data() + LWS_PRE, m.data() + s->offset, chunk);
        if (lws_write(wsi, st->buf.data() + LWS_PRE, chunk,
                      static_cast<lws_write_protocol>(flags))
            < 0)
          return -1;
        s->offset += chunk;
        if (last) {
          ++s->message;
          s->offset = 0;
        }
        lws_callback_on_writable(wsi);
        return 0;
      }
      if (sc.close_code != 0 && s->message == sc.messages.size()) {
        ++s->message; // close once, even if lws raises WRITEABLE again
        lws_close_reason(wsi, static_cast<lws_close_status>(sc.close_code),
                         reinterpret_cast<unsigned char*>(
                           const_cast<char*>(sc.close_reason.data())),
                         sc.close_reason.size());
        return -1;
      }
      if (sc.tick_every_ms != 0) {
        // lws raises WRITEABLE for its own PING/PONG too: only the timer sends.
        if (s->tick_due) {
          s->tick_due = false;
          static const char tick[] = "tick";
          constexpr std::size_t n = sizeof(tick) - 1;
          if (st->buf.size() < LWS_PRE + n)
            st->buf.resize(LWS_PRE + n);
          std::memcpy(st->buf.data() + LWS_PRE, tick, n);
          if (lws_write(wsi, st->buf.data() + LWS_PRE, n, LWS_WRITE_TEXT) < 0)
            return -1;
        }
        if (!s->tick_armed) {
          s->tick_armed = true;
          lws_set_timer_usecs(wsi,
                              static_cast<lws_usec_t>(sc.tick_every_ms) * 1000);
        }
      }
      return 0;
    }
    default:
      return 0;
  }
}

} // namespace

lws_test_server::lws_test_server(ws_script script, const std::string& cert,
                                 const std::string& key)
  : state_(std::make_unique<state>()) {
  auto& st = *state_;
  st.script = std::move(script);
  st.protocols[0].name = "test";
  st.protocols[0].callback = test_server_callback;
  st.protocols[0].per_session_data_size = sizeof(session);
  st.protocols[0].rx_buffer_size = 0;
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = 0;
  info.iface = "127.0.0.1";
  info.protocols = st.protocols;
  info.user = &st;
  info.vhost_name = "default";
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  if (!cert.empty()) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = cert.c_str();
    info.ssl_private_key_filepath = key.c_str();
  }
  st.context = lws_create_context(&info);
  if (st.context == nullptr)
    return;
  port_ = static_cast<std::uint16_t>(
    lws_get_vhost_listen_port(lws_get_vhost_by_name(st.context, "default")));
  thread_ = std::thread([&st] {
    while (!st.stop.load())
      lws_service(st.context, 0);
    lws_context_destroy(st.context);
  });
}

int lws_test_server::established() const {
  return state_->established.load();
}

int lws_test_server::closed() const {
  return state_->closed.load();
}

std::vector<std::uint16_t> lws_test_server::client_close_codes() const {
  std::lock_guard<std::mutex> guard{state_->close_codes_mutex};
  return state_->close_codes;
}

lws_test_server::~lws_test_server() {
  if (state_->context == nullptr)
    return;
  state_->stop.store(true);
  lws_cancel_service(state_->context);
  thread_.join();
}

// -- raw_test_server ----------------------------------------------------------

namespace {

/// Reads until the end of an HTTP header block; empty on EOF/timeout.
std::string read_header_block(int fd, int timeout_ms) {
  std::string got;
  char buf[4096];
  while (got.find("\r\n\r\n") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
      return {};
    auto n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return {};
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

bool send_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    auto n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

std::string websocket_accept(const std::string& key) {
  auto in = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(in.data(), in.size(), md, &md_len, EVP_sha1(), nullptr);
  unsigned char out[64];
  auto n = EVP_EncodeBlock(out, md, static_cast<int>(md_len));
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

void append_text_frame(std::string& out, const std::string& payload) {
  out.push_back(static_cast<char>(0x81));
  auto n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>((n >> 8) & 0xff));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  out += payload;
}

} // namespace

std::string raw_test_server::flood_payload(std::size_t i) {
  char buf[160];
  auto n
    = std::snprintf(buf, sizeof(buf),
                    R"({"e":"aggTrade","E":1700000000000,"s":"BTCUSDT",)"
                    R"("a":%zu,"p":"37000.10","q":"0.0123","T":%zu,"m":true})",
                    i, i);
  return std::string(buf, static_cast<std::size_t>(n));
}

// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): each mode reads one.
raw_test_server::raw_test_server(raw_mode mode, std::size_t flood_frames,
                                 std::size_t big_bytes)
  : mode_(mode), flood_frames_(flood_frames), big_bytes_(big_bytes) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || listen(listen_fd_, 16) != 0)
    return;
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

raw_test_server::~raw_test_server() {
  stop_.store(true);
  if (thread_.joinable())
    thread_.join();
  for (int fd : held_)
    ::close(fd);
  ::close(listen_fd_);
}

void raw_test_server::run() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    // Short poll so the destructor never waits long for the stop flag.
    if (poll(&p, 1, 20) <= 0)
      continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0)
      continue;
    ++accepted_;
    serve(fd);
  }
}

void raw_test_server::serve(int fd) {
  if (mode_ == raw_mode::hang) {
    held_.push_back(fd);
    return;
  }
  auto request = read_header_block(fd, 5000);
  if (mode_ == raw_mode::reject) {
    send_all(fd, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
                 "Content-Type: application/json\r\nContent-Length: 2\r\n"
                 "Connection: close\r\n\r\n{}");
    ::close(fd);
    return;
  }
  // flood: find Sec-WebSocket-Key case-insensitively.
  auto lower = lower_ascii(request);
  auto pos = lower.find("sec-websocket-key:");
  if (pos == std::string::npos) {
    ::close(fd);
    return;
  }
  pos += 18;
  auto eol = request.find("\r\n", pos);
  auto key = request.substr(pos, eol - pos);
  key.erase(0, key.find_first_not_of(' '));
  key.erase(key.find_last_not_of(' ') + 1);
  std::string out = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                    + websocket_accept(key) + "\r\n\r\n";
  if (mode_ == raw_mode::big) {
    if (!send_all(fd, out)) {
      ::close(fd);
      return;
    }
    serve_big(fd);
    return;
  }
  for (std::size_t i = 0; i < flood_frames_; ++i)
    append_text_frame(out, flood_payload(i));
  // Close 1000, no reason.
  out.push_back(static_cast<char>(0x88));
  out.push_back(static_cast<char>(2));
  out.push_back(static_cast<char>(0x03));
  out.push_back(static_cast<char>(0xe8));
  send_all(fd, out);
  // Wait for the client's close echo / EOF so the close is clean.
  char buf[1024];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0 || recv(fd, buf, sizeof(buf), 0) <= 0)
      break;
  }
  ::close(fd);
}

std::vector<std::uint16_t> raw_test_server::client_close_codes() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return close_codes_;
}

std::vector<std::size_t> raw_test_server::big_bytes_sent() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return big_sent_;
}

namespace {

/// The header of one unmasked, final text frame of `n` payload bytes.
std::string text_frame_head(std::size_t n) {
  std::string head(1, static_cast<char>(0x81));
  if (n < 126) {
    head.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    head.push_back(static_cast<char>(126));
    head.push_back(static_cast<char>((n >> 8) & 0xff));
    head.push_back(static_cast<char>(n & 0xff));
  } else {
    head.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8)
      head.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  return head;
}

/// Walks the client's frames in `in` from `parsed` on (masked; control frames
/// have lengths under 126) and returns the code of the first close frame.
std::optional<std::uint16_t> find_close_code(const std::string& in,
                                             std::size_t& parsed) {
  while (in.size() >= parsed + 6) {
    auto op = static_cast<unsigned char>(in[parsed]) & 0x0fU;
    auto len = static_cast<std::size_t>(
      static_cast<unsigned char>(in[parsed + 1]) & 0x7fU);
    if (len >= 126 || in.size() < parsed + 6 + len)
      return std::nullopt;
    if (op == 0x8 && len >= 2) {
      // Payload byte i is masked with mask byte i % 4; the mask is at +2.
      auto b0 = static_cast<unsigned char>(in[parsed + 6] ^ in[parsed + 2]);
      auto b1 = static_cast<unsigned char>(in[parsed + 7] ^ in[parsed + 3]);
      return static_cast<std::uint16_t>((b0 << 8) | b1);
    }
    parsed += 6 + len;
  }
  return std::nullopt;
}

/// Reads what `fd` has without blocking and appends it to `in`; recv's result.
ssize_t read_available(int fd, std::string& in) {
  std::array<char, 4096> buf{};
  auto n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
  if (n > 0)
    in.append(buf.data(), static_cast<std::size_t>(n));
  return n;
}

bool would_block(ssize_t n) {
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/// After the peer went away: what it sent before is still readable.
std::optional<std::uint16_t> drain_close_code(int fd, std::string& in,
                                              std::size_t& parsed) {
  for (int i = 0; i < 50; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10) > 0 && read_available(fd, in) <= 0)
      break;
    if (auto code = find_close_code(in, parsed))
      return code;
  }
  return std::nullopt;
}

/// The bytes big mode writes: `head`, then `total` payload bytes of 'x'.
struct big_writer {
  std::string head;         ///< "before" and the big frame's header
  std::size_t total = 0;    ///< payload bytes of the big frame
  std::size_t head_off = 0; ///< bytes of `head` written
  std::size_t sent = 0;     ///< payload bytes written
  std::string block = std::string(std::size_t{64} * 1024, 'x');

  [[nodiscard]] bool done() const {
    return head_off == head.size() && sent == total;
  }

  /// One non-blocking send; send's result.
  ssize_t write(int fd) {
    if (head_off < head.size()) {
      auto n = send(fd, &head[head_off], head.size() - head_off,
                    MSG_NOSIGNAL | MSG_DONTWAIT);
      head_off += n > 0 ? static_cast<std::size_t>(n) : 0;
      return n;
    }
    auto n = send(fd, block.data(), std::min(block.size(), total - sent),
                  MSG_NOSIGNAL | MSG_DONTWAIT);
    sent += n > 0 ? static_cast<std::size_t>(n) : 0;
    return n;
  }
};

} // namespace

void raw_test_server::serve_big(int fd) {
  // "before", then one text frame of big_bytes_, written while the client's
  // bytes are read in between.
  big_writer out;
  append_text_frame(out.head, "before");
  out.head += text_frame_head(big_bytes_);
  out.total = big_bytes_;
  std::string in; // the client's bytes
  std::size_t parsed = 0;
  std::optional<std::uint16_t> code;
  bool peer_gone = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!code && !peer_gone && !stop_.load()
         && std::chrono::steady_clock::now() < deadline) {
    short events = out.done() ? POLLIN : (POLLIN | POLLOUT);
    pollfd p{fd, events, 0};
    if (poll(&p, 1, 20) < 0)
      break;
    if ((p.revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
      auto n = read_available(fd, in);
      peer_gone = n == 0 || (n < 0 && !would_block(n));
      code = find_close_code(in, parsed);
    }
    if (!peer_gone && (p.revents & POLLOUT) != 0) {
      auto n = out.write(fd);
      peer_gone = n < 0 && !would_block(n);
    }
  }
  if (!code)
    code = drain_close_code(fd, in, parsed);
  std::lock_guard<std::mutex> guard{mutex_};
  if (code)
    close_codes_.push_back(*code);
  big_sent_.push_back(out.sent);
  ::close(fd);
}

// -- http_test_server ---------------------------------------------------------

http_test_server::http_test_server(std::map<std::string, http_canned> routes,
                                   const std::string& cert,
                                   const std::string& key)
  : routes_(std::move(routes)) {
  // A client that gives up mid-body must not kill the test with SIGPIPE
  // (SSL_write has no MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  if (!cert.empty()) {
    auto* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr
        || SSL_CTX_use_certificate_file(ctx, cert.c_str(), SSL_FILETYPE_PEM)
             != 1
        || SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM)
             != 1) {
      SSL_CTX_free(ctx);
      return;
    }
    ssl_ctx_ = ctx;
  }
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || listen(listen_fd_, 16) != 0)
    return;
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

http_test_server::~http_test_server() {
  stop_.store(true);
  if (thread_.joinable())
    thread_.join();
  for (auto* ssl : held_ssl_)
    SSL_free(static_cast<SSL*>(ssl));
  for (int fd : held_)
    ::close(fd);
  if (listen_fd_ >= 0)
    ::close(listen_fd_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

std::vector<std::string> http_test_server::targets() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return targets_;
}

std::vector<std::string> http_test_server::heads() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return heads_;
}

void http_test_server::run() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0)
      continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0)
      continue;
    serve(fd);
  }
}

void http_test_server::serve(int fd) {
  // Blocking I/O bounded by socket timeouts, so a silent client cannot wedge us.
  timeval tv{};
  tv.tv_sec = 5;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  SSL* ssl = nullptr;
  if (ssl_ctx_ != nullptr) {
    ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      SSL_free(ssl);
      ::close(fd);
      return;
    }
  }
  auto read_some = [&](char* buf, int n) -> int {
    if (ssl != nullptr)
      return SSL_read(ssl, buf, n);
    return static_cast<int>(recv(fd, buf, static_cast<std::size_t>(n), 0));
  };
  auto write_all = [&](const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      auto chunk
        = static_cast<int>(std::min<std::size_t>(data.size() - off, 1 << 16));
      int n = ssl != nullptr
                ? SSL_write(ssl, data.data() + off, chunk)
                : static_cast<int>(send(fd, data.data() + off,
                                        static_cast<std::size_t>(chunk),
                                        MSG_NOSIGNAL));
      if (n <= 0)
        return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  };
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    int n = read_some(buf, sizeof(buf));
    if (n <= 0)
      break;
    head.append(buf, static_cast<std::size_t>(n));
  }
  // "GET <target> HTTP/1.1"
  std::string target;
  auto sp1 = head.find(' ');
  auto sp2 = sp1 == std::string::npos ? sp1 : head.find(' ', sp1 + 1);
  if (sp2 != std::string::npos)
    target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  {
    std::lock_guard<std::mutex> guard{mutex_};
    targets_.push_back(target);
    heads_.push_back(head);
  }
  http_canned not_found;
  not_found.status = 404;
  not_found.reason = "Not Found";
  not_found.body = "no route";
  auto it = routes_.find(target);
  const auto& r = it != routes_.end() ? it->second : not_found;
  if (r.hang) {
    held_.push_back(fd);
    held_ssl_.push_back(ssl);
    return;
  }
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + r.reason
                    + "\r\nContent-Type: application/json;charset=UTF-8\r\n";
  for (const auto& h : r.headers)
    out += h.first + ": " + h.second + "\r\n";
  if (r.chunk_bytes > 0) {
    out += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    char size_line[32];
    for (std::size_t off = 0; off < r.body.size(); off += r.chunk_bytes) {
      auto n = std::min(r.chunk_bytes, r.body.size() - off);
      std::snprintf(size_line, sizeof(size_line), "%zx\r\n", n);
      out += size_line;
      out.append(r.body, off, n);
      out += "\r\n";
    }
    out += "0\r\n\r\n";
  } else {
    out += "Content-Length: " + std::to_string(r.body.size())
           + "\r\nConnection: close\r\n\r\n" + r.body;
  }
  write_all(out);
  if (ssl != nullptr) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  ::close(fd);
}

std::uint16_t unused_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// -- ws_recorder --------------------------------------------------------------

void ws_recorder::receive_one(std::chrono::milliseconds timeout) {
  self_->receive(
    [&](sv::ws_opened& m) {
      auto& l = log[m.conn_id];
      if (!l.closed.empty())
        l.event_after_close = true;
      ++l.opened;
    },
    [&](sv::ws_frames& m) {
      auto& l = log[m.conn_id];
      if (!l.closed.empty())
        l.event_after_close = true;
      if (l.opened == 0)
        l.frames_before_open = true;
      ++l.batches;
      std::uint32_t begin = 0;
      for (auto end : m.ends) {
        l.frames.emplace_back(m.data, begin, end - begin);
        begin = end;
      }
    },
    [&](sv::ws_closed& m) {
      auto& l = log[m.conn_id];
      if (!l.closed.empty())
        l.event_after_close = true;
      l.closed.push_back(std::move(m));
    },
    [&](sv::rest_response& m) { rest[m.req_id].push_back(std::move(m)); },
    caf::after(timeout) >> [] {});
}

bool ws_recorder::quiet_for(std::chrono::milliseconds quiet) {
  bool got = false;
  self_->receive([&](sv::ws_opened&) { got = true; },
                 [&](sv::ws_frames&) { got = true; },
                 [&](sv::ws_closed&) { got = true; },
                 [&](sv::rest_response& m) {
                   rest[m.req_id].push_back(std::move(m));
                   got = true;
                 },
                 caf::after(quiet) >> [] {});
  return !got;
}

// -- http_exchange ------------------------------------------------------------

http_reply http_exchange(int family, const std::string& host,
                         std::uint16_t port, const std::string& request,
                         std::chrono::milliseconds timeout) {
  http_reply reply;
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0)
    return reply;
  int rc = -1;
  if (family == AF_INET6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    inet_pton(AF_INET6, host.c_str(), &a.sin6_addr);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  }
  if (rc != 0 || !send_all(fd, request)) {
    ::close(fd);
    return reply;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string got;
  std::size_t header_end = std::string::npos;
  std::size_t content_length = 0;
  char buf[65536];
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = got.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        reply.headers = lower_ascii(got.substr(0, header_end));
        reply.status = std::atoi(got.c_str() + 9); // "HTTP/1.1 200"
        auto cl = reply.headers.find("content-length:");
        if (cl != std::string::npos)
          content_length = std::strtoull(reply.headers.c_str() + cl + 15,
                                         nullptr, 10);
      }
    }
    if (header_end != std::string::npos
        && got.size() >= header_end + 4 + content_length) {
      reply.body = got.substr(header_end + 4, content_length);
      reply.ok = true;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
    if (left <= 0)
      break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0)
      break;
    auto n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

} // namespace sv::test
