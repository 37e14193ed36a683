// lock_file: the single-instance lock (an flock()ed file holding the daemon's pid).
#pragma once

#include <string>
#include <variant>

namespace sv {

/// An exclusive flock(2) on a file, held for as long as this object lives. Two
/// streamvisor processes with the same lock file cannot run at once, so they do
/// not share one IP's Binance connection budget without knowing it.
///
/// The lock belongs to the open file description, not to the process: a second
/// acquire() of the same path conflicts even within one process, and a child
/// forked while the lock is held keeps it alive until the child closes it too
/// (the fd is O_CLOEXEC, so exec() drops it). The kernel releases the lock when
/// the process dies, however it dies, so a stale file never blocks a restart.
///
/// Movable, not copyable; a moved-from object holds nothing. Not thread-safe:
/// one thread owns an object at a time (in practice main()).
class lock_file {
public:
  /// Opens (creating with mode 0644 if needed) and locks `path` without
  /// waiting, then replaces the file's content with "<pid>\n". On failure
  /// returns one line for the operator and holds nothing:
  ///   `another streamvisor (pid 1234) holds the lock file /path; stop it or set --lock-file`
  ///   (`another process` when the holder's pid cannot be read), or
  ///   `cannot open lock file /path: <reason>; set --lock-file` (likewise
  ///   `cannot lock lock file` and `cannot write the pid to lock file` when
  ///   flock() or the write fails for another reason than a holder).
  /// A symbolic link or anything but a regular file at `path` is refused
  /// (`lock file /path is a symbolic link; ...`, `... is not a regular file; ...`)
  /// and left untouched. Note: a regular file that is not a lock file is
  /// truncated once locked.
  static std::variant<lock_file, std::string> acquire(const std::string& path);

  /// Releases the lock by closing the file. Leaves the file in place (see lock_file.cpp).
  ~lock_file();

  lock_file(lock_file&& other) noexcept;
  lock_file& operator=(lock_file&& other) noexcept;
  lock_file(const lock_file&) = delete;
  lock_file& operator=(const lock_file&) = delete;

  /// The path given to acquire(); empty after a move.
  [[nodiscard]] const std::string& path() const noexcept {
    return path_;
  }

  /// True while this object holds the lock (false after a move).
  [[nodiscard]] bool held() const noexcept {
    return fd_ >= 0;
  }

private:
  lock_file(int fd, std::string path) noexcept;

  /// Closes the fd, which releases the lock.
  void release() noexcept;

  int fd_ = -1;      ///< the locked file; -1 when nothing is held
  std::string path_; ///< for messages and path()
};

} // namespace sv
