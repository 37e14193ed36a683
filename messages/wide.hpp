// int128 and wide: exact 128-bit accumulators and their message-safe form.
#pragma once

#include <cstdint>

#include <caf/meta/type_name.hpp>

namespace sv {

/// Signed 128-bit integer for exact sums of products (price_e8 * qty_e8 has scale 1e16).
/// `__extension__` keeps -Wpedantic quiet about the GNU type.
__extension__ typedef __int128 int128;
/// Unsigned twin of int128, for bit manipulation.
__extension__ typedef unsigned __int128 uint128;

/// An int128 split into two 64-bit halves so it can travel in a CAF message.
struct wide {
  std::int64_t hi = 0;  ///< upper 64 bits (two's complement)
  std::uint64_t lo = 0; ///< lower 64 bits
};

inline wide to_wide(int128 x) {
  auto u = static_cast<uint128>(x);
  return wide{static_cast<std::int64_t>(u >> 64),
              static_cast<std::uint64_t>(u)};
}

inline int128 from_wide(wide x) {
  auto u = (static_cast<uint128>(static_cast<std::uint64_t>(x.hi)) << 64)
           | x.lo;
  return static_cast<int128>(u);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wide& x) {
  return f(caf::meta::type_name("wide"), x.hi, x.lo);
}

} // namespace sv
