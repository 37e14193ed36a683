// Tests of proc_self_stats: the process's own figures, read from /proc/self.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "app/proc_self_stats.hpp"

using namespace sv;

TEST_CASE("the process's fds, memory, CPU time and start time are read from "
          "/proc and follow what the process does",
          "[proc_self_stats]") {
  proc_self_stats source;
  auto before = source.read();
  REQUIRE(before.known);
  // Three more fds are three more in the count.
  std::vector<int> fds;
  fds.reserve(3);
  for (int i = 0; i < 3; ++i)
    fds.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
  auto opened = source.read();
  for (int fd : fds)
    close(fd);
  CHECK(opened.open_fds == before.open_fds + 3);
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  CHECK(opened.max_fds == limit.rlim_cur);
  // 64 MiB touched is at least 60 MiB more resident.
  std::vector<char> block(64U << 20U, 1);
  auto grown = source.read();
  CHECK(grown.resident_bytes >= before.resident_bytes + (60U << 20U));
  CHECK(grown.virtual_bytes >= grown.resident_bytes);
  CHECK(block[block.size() - 1] == 1);
  // The start is before now and after the machine booted; CPU time grows.
  auto now_s = std::chrono::duration<double>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  CHECK(before.start_time_seconds <= now_s + 1);
  CHECK(before.start_time_seconds > now_s - 3600); // this test just started
  auto spin_until = std::chrono::steady_clock::now()
                    + std::chrono::milliseconds(200);
  volatile std::uint64_t sink = 0;
  while (std::chrono::steady_clock::now() < spin_until)
    sink = sink + 1;
  CHECK(source.read().cpu_seconds >= before.cpu_seconds + 0.1);
}
