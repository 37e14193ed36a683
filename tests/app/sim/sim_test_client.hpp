// sim_test_client: a blocking loopback HTTP/WebSocket client and child-process guard for the simulator tests.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace sv::test {

using test_clock = std::chrono::steady_clock;

/// One TCP connection to 127.0.0.1 (plain or TLS without verification: the test
/// owns the certificate). Every read is bounded by a deadline.
class loopback_conn {
public:
  loopback_conn() = default;
  ~loopback_conn();
  loopback_conn(const loopback_conn&) = delete;
  loopback_conn& operator=(const loopback_conn&) = delete;

  /// Connects (and handshakes TLS within `handshake_timeout`); false on failure.
  bool
  open(int port, bool tls,
       std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10));
  /// True if the last read failed with ECONNRESET (the peer sent RST).
  bool peer_reset() const {
    return peer_reset_;
  }
  bool write_all(const std::string& data);
  /// Reads at least one byte into `out` before `deadline`; 0 = timeout, -1 = closed/error.
  int read_some(std::string& out, test_clock::time_point deadline);
  void close();

private:
  int fd_ = -1;
  SSL_CTX* ssl_ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool peer_reset_ = false;
};

/// A received WebSocket message.
struct ws_message {
  int opcode = 0;      ///< 1 text, 2 binary, 8 close
  std::string payload; ///< reassembled payload
};

/// Minimal RFC 6455 client: upgrade, read frames, answer nothing but close.
class ws_test_client {
public:
  /// Sends the upgrade for `path`; returns the HTTP status (101 on success), 0 on
  /// a transport failure or timeout.
  int open(int port, const std::string& path, bool tls,
           std::chrono::milliseconds timeout);
  /// The next text/binary/close message, or nullopt on timeout or connection loss.
  std::optional<ws_message> next(std::chrono::milliseconds timeout);
  /// Sends a masked close frame with `code`.
  bool send_close(int code);
  /// Sends a masked ping with `payload` (<= 125 bytes).
  bool send_ping(const std::string& payload);
  void close() {
    conn_.close();
  }
  /// True once TCP (and TLS) were established by `open`.
  bool connected() const {
    return connected_;
  }
  /// The HTTP response head `open` received (status line and headers).
  const std::string& head() const {
    return head_;
  }
  /// Pongs received so far (next() skips them but counts them here).
  int pongs() const {
    return pongs_;
  }
  /// True once a read saw the connection end (EOF, reset or error), not a timeout.
  bool lost() const {
    return lost_;
  }
  /// True if the connection ended with a TCP reset.
  bool peer_reset() const {
    return conn_.peer_reset();
  }

private:
  /// read_some, remembering a lost connection.
  int read_some(std::string& out, test_clock::time_point deadline);

  loopback_conn conn_;
  bool connected_ = false;
  bool lost_ = false;
  int pongs_ = 0;
  std::string head_;
  std::string rx_; ///< received bytes; those before rx_pos_ are consumed
  std::size_t rx_pos_ = 0; ///< first unconsumed byte of rx_
};

/// An HTTP answer.
struct http_result {
  int status = 0;   ///< 0 if the request failed
  std::string body; ///< body as sent (Content-Length)
  std::string head; ///< status line and headers, without the final blank line

  /// The value of header `name` (case-insensitive), trimmed; nullopt if absent.
  std::optional<std::string> header(const std::string& name) const;
};

/// GET `target` with Connection: close, bounded by `timeout`.
http_result http_get(int port, const std::string& target, bool tls,
                     std::chrono::milliseconds timeout);

/// A child process started with argv, stdout on a pipe; the destructor kills it
/// (SIGKILL) if it is still running, so a failing test never leaks it.
class child_process {
public:
  child_process(const std::string& binary,
                const std::vector<std::string>& args);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  bool running() const {
    return pid_ > 0;
  }
  /// The child's process id; -1 if it could not be started or has been reaped.
  [[nodiscard]] pid_t pid() const {
    return pid_;
  }
  /// The first stdout line (without "\n") or nullopt on timeout / EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  /// Sends `sig` and waits up to `timeout`; returns the exit status (WEXITSTATUS),
  /// or -1 on a signal death or timeout (then the child is killed).
  int stop(int sig, std::chrono::milliseconds timeout);

private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string out_;
};

/// A running streamvisor-sim (SV_SIM_BINARY of the test target that compiles
/// sim_test_client.cpp) started with `args` plus --port 0, a --port-file under the
/// build tree and --log-level warn. The constructor REQUIREs the first stdout line
/// ("listening port=P tls=T") and the port file to agree; the destructor removes the
/// file and the child_process kills the simulator if it still runs.
struct running_sim {
  std::string port_file;                ///< written by the simulator
  std::unique_ptr<child_process> child; ///< the simulator
  int port = 0;                         ///< where it listens (127.0.0.1)
  bool tls = false;                     ///< started with --cert/--key

  explicit running_sim(std::vector<std::string> args);
  ~running_sim();
  running_sim(const running_sim&) = delete;
  running_sim& operator=(const running_sim&) = delete;
};

} // namespace sv::test
