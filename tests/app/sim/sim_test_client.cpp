// sim_test_client: a blocking loopback HTTP/WebSocket client and child-process guard for the simulator tests.
#include "tests/app/sim/sim_test_client.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "actors/core/symbol_case.hpp"

namespace sv::test {

namespace {

int ms_until(test_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - test_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

} // namespace

loopback_conn::~loopback_conn() {
  close();
}

bool loopback_conn::open(int port, bool tls,
                         std::chrono::milliseconds handshake_timeout) {
  close();
  peer_reset_ = false;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return false;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!tls)
    return true;
  ssl_ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ssl_ctx_)
    return false;
  SSL_CTX_set_verify(ssl_ctx_, SSL_VERIFY_NONE, nullptr);
  // Without this a blocking SSL_read that consumed a non-application record (a TLS
  // 1.3 session ticket) goes on reading and blocks past the caller's deadline.
  SSL_CTX_clear_mode(ssl_ctx_, SSL_MODE_AUTO_RETRY);
  ssl_ = SSL_new(ssl_ctx_);
  if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1)
    return false;
  // A blocking SSL_connect against a server that never answers would never return.
  auto set_timeout = [&](std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  };
  set_timeout(handshake_timeout);
  bool ok = SSL_connect(ssl_) == 1;
  set_timeout(std::chrono::milliseconds(0));
  return ok;
}

bool loopback_conn::write_all(const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n;
    if (ssl_) {
      int r = SSL_write(ssl_, data.data() + sent,
                        static_cast<int>(data.size() - sent));
      n = r;
    } else {
      n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    }
    if (n <= 0)
      return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

int loopback_conn::read_some(std::string& out,
                             test_clock::time_point deadline) {
  if (fd_ < 0)
    return -1;
  char buf[65536];
  for (;;) {
    if (!(ssl_ && SSL_pending(ssl_) > 0)) {
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, ms_until(deadline));
      if (r == 0)
        return 0;
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
    }
    ssize_t n;
    if (ssl_) {
      errno = 0;
      int r = SSL_read(ssl_, buf, sizeof(buf));
      if (r <= 0) {
        int e = SSL_get_error(ssl_, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
          if (test_clock::now() >= deadline)
            return 0;
          continue; // a TLS record without application data (e.g. a session ticket)
        }
        peer_reset_ = errno == ECONNRESET;
        return -1;
      }
      n = r;
    } else {
      n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        peer_reset_ = n < 0 && errno == ECONNRESET;
        return -1;
      }
    }
    out.append(buf, static_cast<std::size_t>(n));
    return static_cast<int>(n);
  }
}

void loopback_conn::close() {
  if (ssl_) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (ssl_ctx_) {
    SSL_CTX_free(ssl_ctx_);
    ssl_ctx_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

int ws_test_client::open(int port, const std::string& path, bool tls,
                         std::chrono::milliseconds timeout) {
  auto deadline = test_clock::now() + timeout;
  rx_.clear();
  rx_pos_ = 0;
  connected_ = false;
  lost_ = false;
  pongs_ = 0;
  head_.clear();
  if (!conn_.open(port, tls, timeout))
    return 0;
  connected_ = true;
  // The RFC 6455 example key; its accept value is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
  std::string req = "GET " + path
                    + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port)
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
  if (!conn_.write_all(req))
    return 0;
  std::size_t end;
  while ((end = rx_.find("\r\n\r\n")) == std::string::npos)
    if (read_some(rx_, deadline) <= 0)
      return 0;
  auto head = rx_.substr(0, end);
  head_ = head;
  rx_.erase(0, end + 4);
  // lws answers a refused upgrade as HTTP/1.0.
  if (head.compare(0, 7, "HTTP/1.") != 0 || head.size() < 12)
    return 0;
  int status = std::stoi(head.substr(9, 3));
  if (status == 101
      && head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == std::string::npos)
    return 0;
  return status;
}

std::optional<ws_message>
ws_test_client::next(std::chrono::milliseconds timeout) {
  auto deadline = test_clock::now() + timeout;
  ws_message msg;
  bool have_start = false;
  for (;;) {
    // Consumed bytes are dropped in bulk: erasing each frame from the front of a
    // 64 KiB buffer would make the client, not the server, the bottleneck.
    if (rx_pos_ > 0 && rx_pos_ * 2 >= rx_.size()) {
      rx_.erase(0, rx_pos_);
      rx_pos_ = 0;
    }
    auto avail = [&] { return rx_.size() - rx_pos_; };
    // Header: 2 bytes, then 0/2/8 length bytes; server frames are never masked.
    auto need = [&](std::size_t n) {
      while (avail() < n)
        if (read_some(rx_, deadline) <= 0)
          return false;
      return true;
    };
    auto byte = [&](std::size_t i) {
      return static_cast<unsigned char>(rx_[rx_pos_ + i]);
    };
    if (!need(2))
      return std::nullopt;
    auto b0 = byte(0);
    auto b1 = byte(1);
    std::size_t header = 2;
    std::uint64_t len = b1 & 0x7fU;
    if (len == 126) {
      if (!need(4))
        return std::nullopt;
      len = (std::uint64_t{byte(2)} << 8) | byte(3);
      header = 4;
    } else if (len == 127) {
      if (!need(10))
        return std::nullopt;
      len = 0;
      for (std::size_t i = 0; i < 8; ++i)
        len = (len << 8) | byte(2 + i);
      header = 10;
    }
    if (!need(header + len))
      return std::nullopt;
    int opcode = b0 & 0x0f;
    auto payload_at = rx_pos_ + header;
    rx_pos_ += header + len;
    if (opcode == 10)
      ++pongs_;
    if (opcode == 9 || opcode == 10)
      continue; // ping/pong: counted, not returned
    if (opcode != 0 || !have_start) {
      msg.opcode = opcode;
      have_start = true;
    }
    msg.payload.append(rx_, payload_at, len);
    if (b0 & 0x80U)
      return msg;
  }
}

int ws_test_client::read_some(std::string& out,
                              test_clock::time_point deadline) {
  int n = conn_.read_some(out, deadline);
  if (n < 0)
    lost_ = true;
  return n;
}

bool ws_test_client::send_ping(const std::string& payload) {
  if (payload.size() > 125)
    return false;
  std::string frame;
  frame.push_back(static_cast<char>(0x89));
  frame.push_back(static_cast<char>(0x80 | payload.size()));
  const unsigned char mask[4] = {5, 6, 7, 8};
  for (auto m : mask)
    frame.push_back(static_cast<char>(m));
  for (std::size_t i = 0; i < payload.size(); ++i)
    frame.push_back(
      static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i % 4]));
  return conn_.write_all(frame);
}

bool ws_test_client::send_close(int code) {
  std::string frame;
  frame.push_back(static_cast<char>(0x88));
  frame.push_back(static_cast<char>(0x80 | 2));
  const unsigned char mask[4] = {1, 2, 3, 4};
  for (auto m : mask)
    frame.push_back(static_cast<char>(m));
  frame.push_back(static_cast<char>(((code >> 8) & 0xff) ^ mask[0]));
  frame.push_back(static_cast<char>((code & 0xff) ^ mask[1]));
  return conn_.write_all(frame);
}

http_result http_get(int port, const std::string& target, bool tls,
                     std::chrono::milliseconds timeout) {
  auto deadline = test_clock::now() + timeout;
  loopback_conn conn;
  http_result res;
  if (!conn.open(port, tls))
    return res;
  if (!conn.write_all("GET " + target
                      + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Connection: close\r\n\r\n"))
    return res;
  std::string rx;
  std::size_t end;
  while ((end = rx.find("\r\n\r\n")) == std::string::npos)
    if (conn.read_some(rx, deadline) <= 0)
      return res;
  auto head = rx.substr(0, end);
  auto lower = lower_ascii(head);
  auto cl = lower.find("content-length:");
  if (cl == std::string::npos)
    return res;
  auto len = static_cast<std::size_t>(std::stoul(head.substr(cl + 15)));
  while (rx.size() < end + 4 + len)
    if (conn.read_some(rx, deadline) <= 0)
      return res;
  res.status = std::stoi(head.substr(9, 3));
  res.body = rx.substr(end + 4, len);
  res.head = head;
  return res;
}

std::optional<std::string> http_result::header(const std::string& name) const {
  auto h = lower_ascii(head);
  auto key = "\r\n" + lower_ascii(name) + ":";
  auto at = h.find(key);
  if (at == std::string::npos)
    return std::nullopt;
  auto begin = at + key.size();
  auto eol = head.find("\r\n", begin);
  auto value = head.substr(begin, eol == std::string::npos ? std::string::npos
                                                           : eol - begin);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.erase(0, 1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.pop_back();
  return value;
}

child_process::child_process(const std::string& binary,
                             const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return;
  std::vector<std::string> all{binary};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  out_fd_ = fds[0];
  if (pid_ < 0) {
    ::close(out_fd_);
    out_fd_ = -1;
  }
}

child_process::~child_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0)
    ::close(out_fd_);
}

std::optional<std::string>
child_process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = test_clock::now() + timeout;
  std::size_t nl;
  while ((nl = out_.find('\n')) == std::string::npos) {
    pollfd p{out_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, ms_until(deadline));
    if (r <= 0)
      return std::nullopt;
    char buf[4096];
    auto n = ::read(out_fd_, buf, sizeof(buf));
    if (n <= 0)
      return std::nullopt;
    out_.append(buf, static_cast<std::size_t>(n));
  }
  auto line = out_.substr(0, nl);
  out_.erase(0, nl + 1);
  return line;
}

int child_process::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, sig);
  auto deadline = test_clock::now() + timeout;
  for (;;) {
    int status = 0;
    auto r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (test_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

running_sim::running_sim(std::vector<std::string> args) {
  static int counter = 0;
  port_file = std::string(SV_BINARY_DIR) + "/sim-port-"
              + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  std::remove(port_file.c_str());
  args.insert(args.end(),
              {"--port", "0", "--port-file", port_file, "--log-level", "warn"});
  child = std::make_unique<child_process>(SV_SIM_BINARY, args);
  auto line = child->read_line(std::chrono::seconds(10));
  REQUIRE(line);
  int tls_flag = -1;
  REQUIRE(
    std::sscanf(line->c_str(), "listening port=%d tls=%d", &port, &tls_flag)
    == 2);
  REQUIRE(*line
          == "listening port=" + std::to_string(port)
               + " tls=" + std::to_string(tls_flag));
  tls = tls_flag == 1;
  std::ifstream pf(port_file);
  int from_file = 0;
  REQUIRE(pf >> from_file);
  REQUIRE(from_file == port);
}

running_sim::~running_sim() {
  std::remove(port_file.c_str());
}

} // namespace sv::test
