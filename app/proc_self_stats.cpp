// proc_self_stats: reads the process's CPU, memory and fds from /proc/self for /metrics.
#include "app/proc_self_stats.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

namespace sv {

namespace {

/// The whole of a small /proc file, "" if it cannot be read.
std::string slurp(const char* path) {
  std::string result;
  int fd = ::open(
    path,
    O_RDONLY | O_CLOEXEC); // NOLINT(cppcoreguidelines-pro-type-vararg): open(2)
  if (fd < 0)
    return result;
  std::array<char, 4096> buf{};
  ssize_t n = 0;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0)
    result.append(buf.data(), static_cast<std::size_t>(n));
  ::close(fd);
  return result;
}

/// Seconds since the epoch at which the machine booted (/proc/stat's btime), -1.
double boot_time_s() {
  std::istringstream in{slurp("/proc/stat")};
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double value = -1;
      in >> value;
      return value;
    }
    in.ignore(1 << 16, '\n');
  }
  return -1;
}

/// Entries of /proc/self/fd, less the one opendir itself holds.
std::uint64_t open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr)
    return 0;
  std::uint64_t n = 0;
  while (const dirent* entry
         = readdir(dir)) // NOLINT(concurrency-mt-unsafe): own DIR*
    if (entry->d_name[0] != '.')
      ++n;
  closedir(dir);
  return n > 0 ? n - 1 : 0;
}

} // namespace

process_stats proc_self_stats::read() const {
  process_stats result;
  // Fields after the command name, which is in parentheses and may hold spaces
  // (proc(5)): state is field 3, utime 14, stime 15, starttime 22, vsize 23, rss 24.
  auto stat = slurp("/proc/self/stat");
  auto close = stat.rfind(')');
  auto boot = boot_time_s();
  if (close == std::string::npos || boot < 0)
    return result;
  std::istringstream fields{stat.substr(close + 1)};
  std::string field;
  double utime = 0;
  double stime = 0;
  double start = 0;
  double vsize = 0;
  double rss_pages = 0;
  for (int i = 3; i <= 24 && fields >> field; ++i) {
    switch (i) {
      case 14:
        utime = std::strtod(field.c_str(), nullptr);
        break;
      case 15:
        stime = std::strtod(field.c_str(), nullptr);
        break;
      case 22:
        start = std::strtod(field.c_str(), nullptr);
        break;
      case 23:
        vsize = std::strtod(field.c_str(), nullptr);
        break;
      case 24:
        rss_pages = std::strtod(field.c_str(), nullptr);
        break;
      default:
        break;
    }
  }
  const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const auto page = static_cast<double>(sysconf(_SC_PAGESIZE));
  if (ticks <= 0 || page <= 0)
    return result;
  result.known = true;
  result.cpu_seconds = (utime + stime) / ticks;
  result.start_time_seconds = boot + start / ticks;
  result.virtual_bytes = static_cast<std::uint64_t>(vsize);
  result.resident_bytes = static_cast<std::uint64_t>(rss_pages * page);
  result.open_fds = open_fds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
    result.max_fds = limit.rlim_cur;
  return result;
}

} // namespace sv
