// lock_file_test: the single-instance lock file.
#include "app/lock_file.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/temp_dir.hpp"

namespace {

using sv::test::temp_dir;

/// The lock of an acquire() that must succeed.
sv::lock_file must_acquire(const std::string& path) {
  auto r = sv::lock_file::acquire(path);
  if (const auto* e = std::get_if<std::string>(&r))
    FAIL("unexpected error: " << *e);
  return std::move(std::get<sv::lock_file>(r));
}

/// The message of an acquire() that must fail.
std::string must_fail(const std::string& path) {
  auto r = sv::lock_file::acquire(path);
  if (std::holds_alternative<sv::lock_file>(r))
    FAIL("expected acquire(" << path << ") to fail");
  return std::get<std::string>(r);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  // Not istreambuf_iterator: GCC 12 reports a false -Wnull-dereference inside it.
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void overwrite(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string held_by(long pid, const std::string& path) {
  return "another streamvisor (pid " + std::to_string(pid)
         + ") holds the lock file " + path + "; stop it or set --lock-file";
}

} // namespace

TEST_CASE("lock_file: acquiring creates the file and writes the holder's pid "
          "and a newline",
          "[lock_file]") {
  temp_dir dir{"sv_lock_file_test_"};
  auto path = dir.file("sv.lock");
  auto lock = must_acquire(path);
  CHECK(lock.held());
  CHECK(lock.path() == path);
  CHECK(read_all(path) == std::to_string(getpid()) + "\n");
}

TEST_CASE("lock_file: a longer old content is replaced entirely by the pid",
          "[lock_file]") {
  temp_dir dir{"sv_lock_file_test_"};
  auto path = dir.file("sv.lock");
  overwrite(path, "999999999999\nleftover\n");
  auto lock = must_acquire(path);
  CHECK(read_all(path) == std::to_string(getpid()) + "\n");
}

TEST_CASE("lock_file: a second acquire of a held path fails in the same "
          "process and names the "
          "holder's pid",
          "[lock_file]") {
  // flock() locks belong to the open file description, so a second open() + flock() conflicts
  // even inside the process that holds the lock.
  temp_dir dir{"sv_lock_file_test_"};
  auto path = dir.file("sv.lock");
  auto lock = must_acquire(path);
  CHECK(must_fail(path) == held_by(getpid(), path));
  // The failed attempt neither released nor rewrote the lock.
  CHECK(lock.held());
  CHECK(must_fail(path) == held_by(getpid(), path));
  CHECK(read_all(path) == std::to_string(getpid()) + "\n");
}

TEST_CASE("lock_file: another process is refused while this one holds the "
          "lock, naming this pid",
          "[lock_file]") {
  temp_dir dir{"sv_lock_file_test_"};
  auto path = dir.file("sv.lock");
  auto lock = must_acquire(path);
  auto expected = held_by(getpid(), path);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No Catch2 in the child: report through the exit status only.
    auto r = sv::lock_file::acquire(path);
    const auto* message = std::get_if<std::string>(&r);
    _exit(message != nullptr && *message == expected ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE(
  "lock_file: a holder whose pid cannot be read is reported as another process",
  "[lock_file]") {
  temp_dir dir{"sv_lock_file_test_"};
  auto path = dir.file("sv.lock");
  auto lock = must_acquire(path);
  auto other = "another process holds the lock file " + path
               + "; stop it or set --lock-file";
  for (const char* content : {"", "garbage\n", "12ab\n", "0\n", "-5\n",
                              "99999999999999999999999\n"}) {
    INFO("content: " << content);
    overwrite(path, content);
    CHECK(must_fail(path) == other);
  }
  // A pid without the newline (a writer cut short) is still a pid.
  overwrite(path, "4242");
  CHECK(must_fail(path) == held_by(4242, path));
}

TEST_CASE("lock_file: destroying the holder releases the lock and leaves the "
          "file in place",
          "[lock_file]") {
  temp_dir dir{"sv_lock_file_test_"};
  auto path = dir.file("sv.lock");
  { auto lock = must_acquire(path); }
  CHECK(std::filesystem::exists(path));
  auto again = must_acquire(path);
  CHECK(again.held());
}

TEST_CASE("lock_file: moving transfers the lock and a moved-from holder "
          "releases nothing",
          "[lock_file]") {
  temp_dir dir{"sv_lock_file_test_"};
  auto path = dir.file("sv.lock");
  std::optional<sv::lock_file> first{must_acquire(path)};
  sv::lock_file second = std::move(*first);
  first.reset();
  CHECK(second.held());
  CHECK(second.path() == path);
  CHECK(must_fail(path) == held_by(getpid(), path));
  // Move assignment releases the target's own lock first.
  auto other_path = dir.file("other.lock");
  auto third = must_acquire(other_path);
  third = std::move(second);
  CHECK(third.path() == path);
  CHECK(must_fail(path) == held_by(getpid(), path));
  CHECK(must_acquire(other_path).held());
}

TEST_CASE("lock_file: a lock file in a missing directory is an error naming "
          "the path and the "
          "reason",
          "[lock_file]") {
  temp_dir dir{"sv_lock_file_test_"};
  auto path = dir.file("missing/sv.lock");
  CHECK(must_fail(path)
        == "cannot open lock file " + path
             + ": No such file or directory; set --lock-file");
}

TEST_CASE("lock_file: a directory as lock file is an error naming the path",
          "[lock_file]") {
  temp_dir dir{"sv_lock_file_test_"};
  auto path = dir.path.string();
  CHECK(must_fail(path)
        == "cannot open lock file " + path
             + ": Is a directory; set --lock-file");
}

TEST_CASE("lock_file: a symbolic link at the lock path is refused and what it "
          "points to is left untouched",
          "[lock_file]") {
  temp_dir dir{"sv_lock_file_test_"};
  auto victim = dir.file("victim.txt");
  std::ofstream{victim} << "precious\n";
  auto path = dir.file("sv.lock");
  std::filesystem::create_symlink(victim, path);
  CHECK(must_fail(path)
        == "lock file " + path
             + " is a symbolic link; refusing to follow it; remove it or set "
               "--lock-file");
  CHECK(read_all(victim) == "precious\n");
  // A dangling link must not create its target either.
  auto dangling = dir.file("dangling.lock");
  std::filesystem::create_symlink(dir.file("created.txt"), dangling);
  CHECK_THAT(must_fail(dangling), Catch::Contains("is a symbolic link"));
  CHECK_FALSE(std::filesystem::exists(dir.file("created.txt")));
}

TEST_CASE("lock_file: a FIFO at the lock path is refused at once, without "
          "waiting for a writer",
          "[lock_file]") {
  temp_dir dir{"sv_lock_file_test_"};
  auto path = dir.file("sv.lock");
  REQUIRE(mkfifo(path.c_str(), 0600) == 0);
  CHECK(must_fail(path)
        == "lock file " + path
             + " is not a regular file; remove it or set --lock-file");
}
