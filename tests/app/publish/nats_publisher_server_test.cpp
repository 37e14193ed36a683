// nats_publisher_server_test: the publisher against a real nats-server (Debian's), for what
// needs time the process tests cannot spend: ids older than the duplicate window.
//
// The test starts nats-server with JetStream on a kernel-picked port of 127.0.0.1 and a
// scratch store, and gives the publisher a duplicate window of 1 s (the setting's floor
// of 120 s would make this a two-minute test; the rule is relative to the window). The
// stream is read back with streamvisor-nats-tail.
#include "app/publish/nats_publisher.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "actors/wire/market_subjects.hpp"

namespace {

using namespace std::chrono_literals;

/// nats-server -js as a child process, killed when this goes.
class nats_server {
public:
  explicit nats_server(const std::string& dir)
    : log_(dir + "/nats.log"), pid_(::fork()) {
    if (pid_ == 0) {
      // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open(2)'s mode
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, STDERR_FILENO);
      std::string store = dir + "/store";
      ::execl(SV_NATS_SERVER, SV_NATS_SERVER, "-js", "-a", "127.0.0.1", "-p",
              "-1", "-sd", store.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~nats_server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  nats_server(const nats_server&) = delete;
  nats_server& operator=(const nats_server&) = delete;
  nats_server(nats_server&&) = delete;
  nats_server& operator=(nats_server&&) = delete;

  /// The port it listens on, once its log says so; 0 if it does not within 10 s.
  [[nodiscard]] int port() const {
    static const std::regex listening{
      R"(Listening for client connections on 127\.0\.0\.1:(\d+))"};
    for (int i = 0; i < 200; ++i) {
      std::ifstream in{log_};
      std::stringstream text;
      text << in.rdbuf();
      std::smatch m;
      auto s = text.str();
      if (std::regex_search(s, m, listening))
        return std::stoi(m[1]);
      std::this_thread::sleep_for(50ms);
    }
    return 0;
  }

private:
  std::string log_;
  pid_t pid_ = -1;
};

std::string scratch() {
  std::string tmpl = "/tmp/sv-nats-publisher-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// A trade message of TEST with aggregate id `id` and trade time `time_ms`.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): an id, then a time
sv::market_message trade(std::uint64_t id, std::int64_t time_ms) {
  sv::market_message m;
  m.subject = sv::trade_subject("TEST");
  m.msg_id = sv::trade_msg_id("TEST", id);
  m.payload = R"({"a":)" + std::to_string(id) + "}";
  m.ordinal = id;
  m.time_ms = time_ms;
  return m;
}

std::vector<sv::market_message> trades(std::uint64_t first, std::uint64_t last,
                                       std::int64_t time_ms) {
  std::vector<sv::market_message> out;
  for (auto id = first; id <= last; ++id)
    out.push_back(trade(id, time_ms));
  return out;
}

/// Waits up to 10 s for `done(status)`; the last status either way.
template <class Done>
sv::publisher_status wait_for(const sv::nats_publisher& p, Done done) {
  auto s = p.status();
  for (int i = 0; i < 200 && !done(s); ++i) {
    std::this_thread::sleep_for(50ms);
    s = p.status();
  }
  return s;
}

/// The TEST trade ids in the stream, in stream order (streamvisor-nats-tail).
std::vector<std::uint64_t> stored_ids(int port) {
  std::string cmd = std::string{SV_NATS_TAIL}
                    + " --url nats://127.0.0.1:" + std::to_string(port)
                    + " --durable check --stream T --subject "
                    + sv::trade_subject("TEST") + " --idle-ms 1000";
  std::vector<std::uint64_t> out;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 512> line{};
  while (std::fgets(line.data(), static_cast<int>(line.size()), pipe)
         != nullptr) {
    std::istringstream in{line.data()};
    std::string seq;
    std::string id;
    in >> seq >> id;
    out.push_back(sv::ordinal_of_msg_id(id));
  }
  REQUIRE(::pclose(pipe) == 0);
  return out;
}

} // namespace

TEST_CASE(
  "ids older than the duplicate window are sent only when the stream's "
  "last id of their subject is lower, so a late instance stores nothing "
  "twice and loses nothing new",
  "[nats_publisher][nats]") {
  auto dir = scratch();
  nats_server server{dir};
  int port = server.port();
  REQUIRE(port > 0);
  sv::nats_publisher_config cfg;
  cfg.url = "nats://127.0.0.1:" + std::to_string(port);
  cfg.stream = "T";
  cfg.duplicate_window_s = 1;
  cfg.age_s_max = 0;
  sv::nats_publisher publisher{cfg};
  publisher.start();
  // One instance publishes 1..100 as they happen.
  publisher.publish(trades(1, 100, now_ms()));
  auto s = wait_for(publisher, [](const auto& x) { return x.acked == 100; });
  REQUIRE(s.acked == 100);
  REQUIRE(s.duplicates == 0);
  // The window passes: the stream would now store 50..100 again.
  std::this_thread::sleep_for(1500ms);
  // A late instance (say after its own upstream outage, backfilled from REST)
  // publishes 50..150, all with trade times older than the window.
  publisher.publish(trades(50, 150, now_ms() - 5000));
  s = wait_for(publisher,
               [](const auto& x) { return x.acked + x.expired == 100 + 101; });
  CHECK(s.expired == 51); // 50..100: the stream holds them
  CHECK(s.acked == 150);  // 101..150 were new: sent although old
  CHECK(s.duplicates == 0);
  publisher.stop(2000ms);
  std::vector<std::uint64_t> want;
  for (std::uint64_t id = 1; id <= 150; ++id)
    want.push_back(id);
  CHECK(stored_ids(port) == want);
}
