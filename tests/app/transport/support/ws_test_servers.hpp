// ws_test_servers: loopback WebSocket/HTTP peers and a CAF event recorder for the [transport] tests.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "messages/http.hpp"
#include "messages/rest.hpp"
#include "messages/ws_events.hpp"

namespace sv::test {

/// What a temp_cert is made for: its names and its validity, relative to now.
struct cert_spec {
  std::string common_name = "localhost";
  std::string subject_alt_names
    = "DNS:localhost,IP:127.0.0.1"; ///< as openssl writes them
  long valid_from_s = -60;          ///< notBefore, seconds from now
  long valid_until_s
    = 2L * 86400; ///< notAfter, seconds from now (negative: expired)
};

/// A self-signed certificate for CN=localhost, SAN DNS:localhost and IP:127.0.0.1
/// (or what `spec` says), made with OpenSSL in a fresh directory under /tmp
/// (removed by the destructor). `ok` is false if that failed.
struct temp_cert {
  temp_cert() : temp_cert(cert_spec{}) {
  }
  explicit temp_cert(const cert_spec& spec);
  ~temp_cert();
  temp_cert(const temp_cert&) = delete;
  temp_cert& operator=(const temp_cert&) = delete;
  std::string dir;  ///< the temporary directory
  std::string cert; ///< PEM certificate (also usable as a CA file)
  std::string key;  ///< PEM private key
  bool ok = false;  ///< openssl succeeded
};

/// What an lws_test_server does on every connection once the upgrade is done.
struct ws_script {
  std::vector<std::string> messages; ///< text messages sent in order
  std::size_t fragment_bytes
    = 0; ///< messages longer than this go out in fragments of this size (0: never)
  std::uint16_t close_code
    = 0; ///< after the messages: close with this code (0: stay open)
  std::string close_reason; ///< reason text of that close
  std::uint32_t tick_every_ms
    = 0; ///< after the messages, if not closing: a "tick" text message this often until the connection ends (0: never)
};

/// A libwebsockets WebSocket server on 127.0.0.1 (kernel-picked port), plain or TLS,
/// serviced by its own thread. Test thread: constructor, port(), destructor.
class lws_test_server {
public:
  /// Starts listening; TLS if `cert` and `key` are given.
  explicit lws_test_server(ws_script script, const std::string& cert = "",
                           const std::string& key = "");
  ~lws_test_server();
  lws_test_server(const lws_test_server&) = delete;
  lws_test_server& operator=(const lws_test_server&) = delete;

  /// The listening port (0 if the server failed to start).
  std::uint16_t port() const {
    return port_;
  }

  /// Connections whose upgrade completed (any thread).
  int established() const;

  /// Connections that were established and have closed since (any thread).
  int closed() const;

  /// Close codes the clients sent, in arrival order (any thread).
  [[nodiscard]] std::vector<std::uint16_t> client_close_codes() const;

  struct state;

private:
  std::unique_ptr<state> state_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

/// How a raw_test_server treats each accepted connection.
enum class raw_mode {
  hang,   ///< accept, read, never answer
  reject, ///< answer the upgrade with 429 and `Retry-After: 7`
  flood, ///< complete the upgrade, send `flood_frames` text frames in one burst, close 1000
  big, ///< complete the upgrade, send "before", then one text frame of `big_bytes`; stop at the client's close frame and record its code
};

/// A POSIX-socket peer on 127.0.0.1 (kernel-picked port), one thread, one
/// connection at a time. Flood frame i is `flood_payload(i)`. Unlike an lws
/// server, which drops a connection without reporting the close frame when it
/// arrives during a partial send, big mode reads the client's close frame while
/// it is still writing.
class raw_test_server {
public:
  // NOLINTNEXTLINE(bugprone-easily-swappable-parameters): each mode reads one.
  explicit raw_test_server(raw_mode mode, std::size_t flood_frames = 0,
                           std::size_t big_bytes = 0);
  ~raw_test_server();
  raw_test_server(const raw_test_server&) = delete;
  raw_test_server& operator=(const raw_test_server&) = delete;

  std::uint16_t port() const {
    return port_;
  }

  /// Connections accepted so far (any thread).
  int accepted() const {
    return accepted_.load();
  }

  /// The payload of flood frame `i`: ~100 bytes, like a Binance trade.
  static std::string flood_payload(std::size_t i);

  /// big mode: close codes of the client close frames seen, one per
  /// connection that sent one (any thread).
  [[nodiscard]] std::vector<std::uint16_t> client_close_codes() const;

  /// big mode: payload bytes of the big frame written before the client's close
  /// arrived or the connection ended, per connection (any thread).
  [[nodiscard]] std::vector<std::size_t> big_bytes_sent() const;

private:
  void run();
  void serve(int fd);

  void serve_big(int fd);

  raw_mode mode_;
  std::size_t flood_frames_;
  std::size_t big_bytes_;
  mutable std::mutex mutex_;
  std::vector<std::uint16_t> close_codes_; // guarded by mutex_
  std::vector<std::size_t> big_sent_;      // guarded by mutex_
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> held_; // hang mode: sockets kept open until destruction
  std::thread thread_;
};

/// One scripted answer of an http_test_server.
struct http_canned {
  int status = 200;          ///< status code
  std::string reason = "OK"; ///< reason phrase
  std::vector<std::pair<std::string, std::string>>
    headers;        ///< extra headers, in order
  std::string body; ///< the body
  std::size_t chunk_bytes
    = 0;             ///< > 0: Transfer-Encoding: chunked, chunks of this size
  bool hang = false; ///< read the request, then never answer (socket held open)
};

/// A POSIX-socket HTTP/1.1 server on 127.0.0.1 (kernel-picked port), plain or TLS
/// (OpenSSL), one thread, one connection at a time. Answers each request by its
/// exact request target (path and query) from `routes`, else 404 "no route";
/// then closes the connection. Test thread: constructor, port(), targets(),
/// destructor.
class http_test_server {
public:
  explicit http_test_server(std::map<std::string, http_canned> routes,
                            const std::string& cert = "",
                            const std::string& key = "");
  ~http_test_server();
  http_test_server(const http_test_server&) = delete;
  http_test_server& operator=(const http_test_server&) = delete;

  std::uint16_t port() const {
    return port_;
  }

  /// Request targets read so far, in order (any thread).
  std::vector<std::string> targets() const;

  /// Raw request heads read so far, in order (any thread).
  std::vector<std::string> heads() const;

private:
  void run();
  void serve(int fd);

  std::map<std::string, http_canned> routes_;
  void* ssl_ctx_ = nullptr; // SSL_CTX*, null for plain HTTP
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> targets_; // guarded by mutex_
  std::vector<std::string> heads_;   // guarded by mutex_
  std::vector<int> held_;       // hang: sockets kept open until destruction
  std::vector<void*> held_ssl_; // hang: SSL* kept until destruction
  std::thread thread_;
};

/// A loopback TCP port nobody listens on (bound once, then closed).
std::uint16_t unused_port();

/// Everything one connection id reported, in arrival order.
struct ws_log {
  int opened = 0;                  ///< ws_opened count
  bool frames_before_open = false; ///< a ws_frames came before ws_opened
  bool event_after_close = false;  ///< anything came after the first ws_closed
  std::size_t batches = 0;         ///< ws_frames messages
  std::vector<std::string> frames; ///< every frame, split by `ends`
  std::vector<sv::ws_closed> closed; ///< every ws_closed
};

/// A scoped_actor standing in for the connection actor: records ws_* events and
/// rest_response messages. Test thread only.
class ws_recorder {
public:
  explicit ws_recorder(caf::actor_system& sys) : self_(sys) {
  }

  /// The listener handle to pass to ws_client::open.
  caf::actor handle() {
    return caf::actor_cast<caf::actor>(self_);
  }

  /// Receives events until `done()` holds or `timeout` passes; returns done().
  template <class Predicate>
  bool wait_until(Predicate done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline)
        return false;
      // Bounded slices: `done` may also depend on state outside this mailbox.
      auto left
        = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)
          + std::chrono::milliseconds(1);
      receive_one(std::min(left, std::chrono::milliseconds(20)));
    }
    return true;
  }

  /// Waits until `id` has a ws_closed.
  bool wait_closed(std::uint64_t id, std::chrono::milliseconds timeout) {
    return wait_until([&] { return !log[id].closed.empty(); }, timeout);
  }

  /// Waits until request `id` has a rest_response.
  bool wait_rest(std::uint64_t id, std::chrono::milliseconds timeout) {
    return wait_until([&] { return !rest[id].empty(); }, timeout);
  }

  /// Receives for `quiet`; true if nothing arrived (used to prove "exactly one").
  bool quiet_for(std::chrono::milliseconds quiet);

  std::map<std::uint64_t, ws_log> log; ///< by connection id
  std::map<std::uint64_t, std::vector<sv::rest_response>>
    rest; ///< by request id

private:
  void receive_one(std::chrono::milliseconds timeout);
  caf::scoped_actor self_;
};

/// The answer a plain-socket HTTP client got.
struct http_reply {
  bool ok = false;     ///< a complete response was read
  int status = 0;      ///< status code
  std::string headers; ///< raw header block (lower-cased)
  std::string body;    ///< body per Content-Length
};

/// Sends `request` (complete, with CRLFs) to host:port and reads one response;
/// gives up after `timeout`. `family` is AF_INET or AF_INET6.
http_reply http_exchange(int family, const std::string& host,
                         std::uint16_t port, const std::string& request,
                         std::chrono::milliseconds timeout);

} // namespace sv::test
