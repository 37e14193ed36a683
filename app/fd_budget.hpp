// fd_budget: how the process's file descriptors are shared between the API clients and the rest.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sv {

/// Descriptors the process holds whatever its clients do: stdin/out/err, the lock
/// file, each lws context's event pipe (2 x 2), the API listen socket, CAF and
/// OpenSSL files, a resolver socket during a connect; 64 leaves room for what a
/// library opens behind our back (measured: 11 with 1 symbol and no client).
inline constexpr std::uint64_t fd_reserve_process = 64;

/// REST sockets at once: backfill keeps one request in flight, and a timed-out one
/// may still be closing beside the next; 4 leaves room for both and a DNS lookup.
inline constexpr std::uint64_t fd_reserve_rest = 4;

/// Stream sockets per (symbol, stream): the live one, plus its successor while a
/// connection is rotated or restarted (the old one may still be closing).
inline constexpr std::uint64_t fd_per_stream = 2;

/// The default cap on API clients when the descriptor budget allows more.
inline constexpr std::uint32_t api_clients_default_max = 1024;

/// The share of the descriptor limit given to each part of the process.
struct fd_budget {
  std::uint64_t limit = 0;           ///< soft RLIMIT_NOFILE the plan is for
  std::uint64_t reserved = 0;        ///< process + stream + REST descriptors
  std::uint32_t api_clients_max = 0; ///< API clients at once (may be 0)
  bool lowered = false; ///< the configured cap did not fit and was lowered
};

/// Plans the descriptors: `reserved` = fd_reserve_process + fd_reserve_rest +
/// fd_per_stream x `stream_connections`; API clients get what is left, at most
/// `api_clients_configured` (0 = api_clients_default_max). With nothing left the
/// cap is 0: every API client is refused, the streams keep their descriptors. Pure.
fd_budget plan_fd_budget(std::uint64_t nofile_limit,
                         std::size_t stream_connections,
                         std::uint32_t api_clients_configured);

} // namespace sv
