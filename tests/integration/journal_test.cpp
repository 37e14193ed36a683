// journal_test: under systemd's journal every log line carries its priority; elsewhere
// the lines are as before.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"

using namespace sv::test;
using namespace std::chrono_literals;

namespace {

/// The lines of `path`.
std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in{path};
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

/// Runs streamvisor with stderr appended to `log` and JOURNAL_STREAM naming the
/// device and inode of `journal` (systemd's variable), at log level info, until
/// it streams; then a SIGUSR1 (logged as a warning) and SIGTERM.
void run_logged(const std::string& dir, int sim_port, const std::string& log,
                const std::string& journal) {
  streamvisor_process sv{
    dir,
    sim_port,
    {"--symbols", "BTCUSDT"},
    ": >>'" + log + "'; : >>'" + journal
      + "'; export JOURNAL_STREAM=$(stat -c %d:%i '" + journal
      + R"('); exec "$0" "$@" --log-level info 2>>')" + log + "'"};
  REQUIRE(eventually([&] { return sv.get("/health").status == 200; }, 20s));
  REQUIRE(::kill(sv.child->pid(), SIGUSR1) == 0);
  CHECK(sv.child->stop(SIGTERM, 7s) == 0);
}

} // namespace

TEST_CASE("with stderr on the journal every log line starts with its "
          "priority, and with stderr elsewhere none does",
          "[integration][journal]") {
  auto dir = scratch_dir("journal");
  make_certificate(dir);
  sim_process sim{dir, {"--rate", "10"}};
  auto journal = dir + "/journal.log";
  run_logged(dir, sim.port, journal, journal);
  auto lines = lines_of(journal);
  REQUIRE(lines.size() >= 3);
  int info = 0;
  int warn = 0;
  for (const auto& line : lines) {
    INFO(line);
    if (line.find(" INFO ") != std::string::npos) {
      CHECK(line.rfind("<6>20", 0) == 0);
      ++info;
    } else if (line.find(" WARN ") != std::string::npos) {
      CHECK(line.rfind("<4>20", 0) == 0);
      ++warn;
    } else {
      CHECK(line.rfind('<', 0) == 0);
    }
  }
  CHECK(info > 0);
  CHECK(warn > 0); // the SIGUSR1
  // JOURNAL_STREAM set, but stderr is another file: no prefix.
  auto plain = dir + "/plain.log";
  run_logged(dir, sim.port, plain, dir + "/elsewhere.log");
  auto plain_lines = lines_of(plain);
  REQUIRE(plain_lines.size() >= 3);
  for (const auto& line : plain_lines) {
    INFO(line);
    CHECK(line.rfind("20", 0) == 0);
  }
}
