// harness: the real binaries over loopback for integration tests (processes, TLS material, polling).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

#include "tests/app/sim/sim_test_client.hpp"

namespace sv::test {

/// A directory under the build tree, unique to this test process and `name`.
std::string scratch_dir(const std::string& name);

/// A self-signed certificate for localhost and 127.0.0.1 (cert.pem, key.pem in
/// `dir`), made with the openssl CLI.
void make_certificate(const std::string& dir);

/// A loopback port that was free a moment ago (bind to 0, read it, release it).
int free_port();

/// The simulator over TLS (the certificate in `dir`) with `args`; see running_sim.
struct sim_process : running_sim {
  sim_process(const std::string& dir, std::vector<std::string> args);
};

/// streamvisor pointed at the simulator, trusting its certificate through
/// --ca-file, with its own API port and lock file. With a non-empty `shell` it
/// runs as `/bin/sh -c <shell> <binary> <args...>`, e.g. `exec prlimit
/// --nofile=256:256 -- "$0" "$@" 2>log` (exec keeps the child's pid).
struct streamvisor_process {
  std::unique_ptr<child_process> child;
  int api_port = 0;

  streamvisor_process(const std::string& dir, int sim_port,
                      std::vector<std::string> args,
                      const std::string& shell = {});

  http_result get(const std::string& target);
};

/// Parses a JSON body; fails the test if it is not JSON.
rapidjson::Document parse(const std::string& body);

/// A JSON string value as std::string.
std::string str(const rapidjson::Value& v);

/// Polls `done` every `step` until it holds or `timeout` passes.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step
                = std::chrono::milliseconds(50)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done())
      return true;
    std::this_thread::sleep_for(step);
  }
  return done();
}

} // namespace sv::test
