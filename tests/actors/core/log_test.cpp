// log_test: one event per line, whatever bytes a peer put into it.
#include "actors/core/log.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>

using namespace sv;

namespace {

/// What log_line writes to stderr while `write` runs.
template <class Write>
std::string captured_stderr(Write write) {
  std::fflush(stderr);
  std::string path = "/tmp/sv_log_test_XXXXXX";
  int fd = ::mkstemp(path.data());
  REQUIRE(fd >= 0);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  write();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fd);
  std::ifstream in{path, std::ios::binary};
  std::ostringstream all;
  all << in.rdbuf();
  auto text = all.str();
  std::remove(path.c_str());
  return text;
}

} // namespace

TEST_CASE("control bytes and broken UTF-8 are written as \\xNN, well-formed "
          "UTF-8 as is",
          "[log]") {
  CHECK(escape_for_log("plain text, 42 = \"x\"") == "plain text, 42 = \"x\"");
  CHECK(escape_for_log("a\nb\rc\td\x1b[31m\x7f")
        == "a\\x0ab\\x0dc\\x09d\\x1b[31m\\x7f");
  CHECK(escape_for_log(std::string_view{"nul\0byte", 8}) == "nul\\x00byte");
  // Two-, three- and four-byte characters stay: é, €, 𝄞.
  CHECK(escape_for_log("\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e")
        == "\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e");
  // A lone continuation byte, a truncated sequence, an overlong '/', a UTF-16
  // surrogate, a code point above U+10FFFF and bytes never used in UTF-8.
  CHECK(escape_for_log("\x80") == "\\x80");
  CHECK(escape_for_log("\xe2\x82") == "\\xe2\\x82");
  CHECK(escape_for_log("\xc0\xaf") == "\\xc0\\xaf");
  CHECK(escape_for_log("\xed\xa0\x80") == "\\xed\\xa0\\x80");
  CHECK(escape_for_log("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");
  CHECK(escape_for_log("\xfe\xff") == "\\xfe\\xff");
}

TEST_CASE("a frame that carries a newline and a fake log line stays one line",
          "[log]") {
  std::string frame = "{\"e\":\"aggTrade\"}\n2026-12-04T00:00:00.000Z ERROR "
                      "streamvisor - INJECTED\xff";
  auto text = captured_stderr([&] {
    log_line(log_level::error, "connection", "BTCUSDT", "decode_error",
             "frame=%.*s", static_cast<int>(frame.size()), frame.data());
  });
  REQUIRE(!text.empty());
  CHECK(text.find('\n') == text.size() - 1); // only the line's own end
  CHECK_THAT(text, Catch::Contains("\\x0a2026-12-04T00:00:00.000Z ERROR "
                                   "streamvisor - INJECTED\\xff\n"));
}

TEST_CASE("with the priority prefix every line starts with its sd-daemon "
          "priority, and without it with the time",
          "[log]") {
  set_log_level(log_level::debug);
  set_log_priority_prefix(true);
  auto with = captured_stderr([] {
    log_line(log_level::error, "test", "-", "e", "%s", "");
    log_line(log_level::warn, "test", "-", "w", "%s", "");
    log_line(log_level::info, "test", "-", "i", "%s", "");
    log_line(log_level::debug, "test", "-", "d", "%s", "");
  });
  set_log_priority_prefix(false);
  auto without = captured_stderr(
    [] { log_line(log_level::warn, "test", "-", "w", "%s", ""); });
  set_log_level(log_level::info);
  std::istringstream lines{with};
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);)
    got.push_back(line);
  REQUIRE(got.size() == 4);
  CHECK(got[0].rfind("<3>20", 0) == 0);
  CHECK(got[0].find(" ERROR test - e") != std::string::npos);
  CHECK(got[1].rfind("<4>20", 0) == 0);
  CHECK(got[2].rfind("<6>20", 0) == 0);
  CHECK(got[3].rfind("<7>20", 0) == 0);
  CHECK(without.rfind("20", 0) == 0);
  CHECK(without.find(" WARN test - w") != std::string::npos);
}
