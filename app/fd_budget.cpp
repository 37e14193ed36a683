// fd_budget: how the process's file descriptors are shared between the API clients and the rest.
#include "app/fd_budget.hpp"

#include <algorithm>

namespace sv {

// The documented API: a limit, a count of connections and a configured cap.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
fd_budget plan_fd_budget(std::uint64_t nofile_limit,
                         std::size_t stream_connections,
                         std::uint32_t api_clients_configured) {
  fd_budget result;
  result.limit = nofile_limit;
  result.reserved = fd_reserve_process + fd_reserve_rest
                    + fd_per_stream * std::uint64_t{stream_connections};
  std::uint64_t room
    = nofile_limit > result.reserved ? nofile_limit - result.reserved : 0;
  std::uint64_t wanted = api_clients_configured == 0 ? api_clients_default_max
                                                     : api_clients_configured;
  result.api_clients_max = static_cast<std::uint32_t>(std::min(wanted, room));
  result.lowered = api_clients_configured != 0 && room < wanted;
  return result;
}

} // namespace sv
