// lock_file: the single-instance lock (an flock()ed file holding the daemon's pid).
#include "app/lock_file.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <string_view>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sv {
namespace {

/// The text for `err` ("No such file or directory"); thread-safe, unlike strerror.
std::string error_text(int err) {
  return std::generic_category().message(err);
}

/// A pid as written by acquire(): decimal digits, then a newline or the end of
/// the file ("1234\n"); 0 when the file holds anything else.
long read_pid(int fd) {
  // 20 digits hold any 64-bit value; one more byte for the newline.
  std::array<char, 21> buf{};
  auto n = pread(fd, buf.data(), buf.size(), 0);
  if (n <= 0)
    return 0;
  std::string_view text(buf.data(), static_cast<std::size_t>(n));
  if (auto newline = text.find('\n'); newline != std::string_view::npos)
    text = text.substr(0, newline);
  long pid = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()
      || pid <= 0)
    return 0;
  return pid;
}

/// Writes all of `text` at offset 0; false with errno set on failure.
bool write_all(int fd, std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = pwrite(fd, text.data() + done, text.size() - done,
                    static_cast<off_t>(done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

} // namespace

std::variant<lock_file, std::string>
lock_file::acquire(const std::string& path) {
  // what: "cannot open lock file", ...; err: the errno of the failed call.
  auto failed = [&path](std::string_view what, int err) {
    return std::string(what) + " " + path + ": " + error_text(err)
           + "; set --lock-file";
  };
  // O_CLOEXEC: a program we exec must not inherit, and so keep holding, the lock.
  // O_NOFOLLOW: the default path is in a shared directory (/tmp); a symlink
  // planted there must not make us truncate and overwrite what it points to.
  // O_NONBLOCK: opening a FIFO planted there must not wait for a writer.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open() is variadic by POSIX.
  int fd = open(path.c_str(),
                O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (fd < 0) {
    if (errno == ELOOP)
      return std::string{"lock file " + path
                         + " is a symbolic link; refusing to follow it"
                           "; remove it or set --lock-file"};
    return failed("cannot open lock file", errno);
  }
  lock_file held(fd, path);
  struct stat st {};
  if (fstat(fd, &st) != 0)
    return failed("cannot inspect lock file", errno);
  if (!S_ISREG(st.st_mode))
    return std::string{
      "lock file " + path
      + " is not a regular file; remove it or set --lock-file"};
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK)
      return failed("cannot lock lock file", err);
    // The holder writes its pid right after locking; between the two the file
    // may still be empty or hold an older pid's text, hence the fallback.
    auto pid = read_pid(fd);
    auto who = pid > 0 ? "another streamvisor (pid " + std::to_string(pid) + ")"
                       : std::string{"another process"};
    return who + " holds the lock file " + path
           + "; stop it or set --lock-file";
  }
  // Truncate first so that a shorter pid leaves no digits of the previous one behind.
  auto text = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || !write_all(fd, text))
    return failed("cannot write the pid to lock file", errno);
  return held;
}

lock_file::lock_file(int fd, std::string path) noexcept
  : fd_(fd), path_(std::move(path)) {
}

// The file is deliberately not unlinked. Removing it would race with a second
// instance that is starting: B opens the file, A unlinks it and exits, B locks
// the now nameless inode, and C creates a fresh file at the path and locks
// that one too, so B and C run at once. A file that stays in place is harmless:
// its lock ends with the process, and the next acquire() truncates it.
lock_file::~lock_file() {
  release();
}

lock_file::lock_file(lock_file&& other) noexcept
  : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {
  other.path_.clear();
}

lock_file& lock_file::operator=(lock_file&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

void lock_file::release() noexcept {
  if (fd_ >= 0) {
    // Closing the last fd of the open file description drops the flock.
    close(fd_);
    fd_ = -1;
  }
}

} // namespace sv
