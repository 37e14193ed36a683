// harness: the real binaries over loopback for integration tests.
#include "tests/integration/harness.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;

namespace sv::test {

/// A directory under the build tree, unique to this test process.
std::string scratch_dir(const std::string& name) {
  auto dir = std::string{SV_BINARY_DIR} + "/it-" + name + "-"
             + std::to_string(::getpid());
  std::string cmd = "rm -rf '" + dir + "' && mkdir -p '" + dir + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return dir;
}

/// A self-signed certificate for localhost and 127.0.0.1, made with the openssl CLI.
void make_certificate(const std::string& dir) {
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout '" + dir
                    + "/key.pem' -out '" + dir
                    + "/cert.pem' -days 2 -subj /CN=localhost -addext "
                      "subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

/// A loopback port that was free a moment ago (bind to 0, read it, release it).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

namespace {

std::vector<std::string> with_certificate(const std::string& dir,
                                          std::vector<std::string> args) {
  args.insert(args.end(),
              {"--cert", dir + "/cert.pem", "--key", dir + "/key.pem"});
  return args;
}

} // namespace

sim_process::sim_process(const std::string& dir, std::vector<std::string> args)
  : running_sim(with_certificate(dir, std::move(args))) {
  REQUIRE(tls);
}

streamvisor_process::streamvisor_process(const std::string& dir, int sim_port,
                                         std::vector<std::string> args,
                                         const std::string& shell) {
  api_port = free_port();
  args.insert(
    args.end(),
    // The simulator serves REST on the same port: gap backfill and warm
    // start stay on loopback too (the default is the real exchange).
    {"--endpoint", "wss://localhost:" + std::to_string(sim_port),
     "--rest-endpoint", "https://localhost:" + std::to_string(sim_port),
     "--ca-file", dir + "/cert.pem", "--http",
     "127.0.0.1:" + std::to_string(api_port), "--lock-file",
     dir + "/streamvisor.lock", "--log-level", "warn"});
  if (shell.empty()) {
    child = std::make_unique<child_process>(SV_STREAMVISOR_BINARY, args);
    return;
  }
  args.insert(args.begin(), {"-c", shell, SV_STREAMVISOR_BINARY});
  child = std::make_unique<child_process>("/bin/sh", args);
}

http_result streamvisor_process::get(const std::string& target) {
  return http_get(api_port, target, false, 5s);
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string str(const rapidjson::Value& v) {
  return std::string{v.GetString(), v.GetStringLength()};
}

} // namespace sv::test
