// nofile_limit: raises the process's soft descriptor limit (RLIMIT_NOFILE) to its hard limit.
#include "app/nofile_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace sv {

nofile_limits raise_nofile_limit(std::uint64_t ceiling) {
  nofile_limits result;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return result;
  result.soft_before = lim.rlim_cur;
  result.soft = lim.rlim_cur;
  result.hard = lim.rlim_max;
  auto target = std::min<std::uint64_t>(lim.rlim_max, ceiling);
  if (target <= lim.rlim_cur)
    return result;
  rlimit raised = lim;
  raised.rlim_cur = static_cast<rlim_t>(target);
  if (::setrlimit(RLIMIT_NOFILE, &raised) != 0)
    return result;
  result.soft = target;
  result.raised = true;
  return result;
}

} // namespace sv
