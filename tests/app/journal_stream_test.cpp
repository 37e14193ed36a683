// journal_stream_test: JOURNAL_STREAM names stderr only when device and inode match.
#include "app/journal_stream.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

namespace {

/// A temporary file, open, removed at the end.
struct temp_stream {
  std::string path = "/tmp/sv_journal_test_XXXXXX";
  int fd = ::mkstemp(path.data());
  temp_stream() = default;
  temp_stream(const temp_stream&) = delete;
  temp_stream& operator=(const temp_stream&) = delete;
  temp_stream(temp_stream&&) = delete;
  temp_stream& operator=(temp_stream&&) = delete;
  ~temp_stream() {
    ::close(fd);
    std::remove(path.c_str());
  }
  /// "<device>:<inode>", as systemd writes JOURNAL_STREAM.
  [[nodiscard]] std::string id() const {
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  }
};

} // namespace

TEST_CASE("a descriptor is the journal stream only when JOURNAL_STREAM names "
          "its device and inode exactly",
          "[journal]") {
  temp_stream journal;
  temp_stream other;
  REQUIRE(journal.fd >= 0);
  REQUIRE(other.fd >= 0);
  auto id = journal.id();
  CHECK(sv::is_journal_stream(id.c_str(), journal.fd));
  CHECK_FALSE(sv::is_journal_stream(id.c_str(), other.fd));
  CHECK_FALSE(sv::is_journal_stream(nullptr, journal.fd));
  auto colon = id.find(':');
  auto spaced = id.substr(0, colon) + ": " + id.substr(colon + 1);
  for (const auto& bad :
       {std::string{}, std::string{"abc"}, id + "x", id + ":1", " " + id,
        "+" + id, "-" + id, spaced, id.substr(0, colon),
        std::string{"99999999999999999999999:1"}}) {
    INFO("JOURNAL_STREAM=" << bad);
    CHECK_FALSE(sv::is_journal_stream(bad.c_str(), journal.fd));
  }
  CHECK_FALSE(sv::is_journal_stream(id.c_str(), -1));
}
