// decimal: exact conversion between Binance decimal strings and fixed-point integers.
#include "actors/core/decimal.hpp"

#include <cassert>
#include <limits>

namespace sv {

bool parse_e8(std::string_view text, std::int64_t& out) noexcept {
  constexpr int frac_digits_max = 8;
  constexpr auto limit
    = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (text.empty())
    return false;
  std::uint64_t acc = 0;
  bool seen_dot = false;
  bool seen_digit = false;
  int frac_digits = 0;
  for (char c : text) {
    if (c == '.') {
      if (seen_dot)
        return false;
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9')
      return false;
    if (seen_dot && ++frac_digits > frac_digits_max)
      return false;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (acc > (limit - digit) / 10)
      return false;
    acc = acc * 10 + digit;
    seen_digit = true;
  }
  if (!seen_digit)
    return false;
  for (; frac_digits < frac_digits_max; ++frac_digits) {
    if (acc > limit / 10)
      return false;
    acc *= 10;
  }
  out = static_cast<std::int64_t>(acc);
  return true;
}

void append_e8(std::string& out, int128 v) {
  // Digits are produced in reverse into a stack buffer: 40 digits hold any int128.
  char buf[48];
  int n = 0;
  bool negative = v < 0;
  auto u = negative ? static_cast<uint128>(-(v + 1)) + 1
                    : static_cast<uint128>(v);
  int produced = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
    if (++produced == 8)
      buf[n++] = '.';
  } while (u != 0 || produced < 9);
  if (negative)
    out.push_back('-');
  while (n > 0)
    out.push_back(buf[--n]);
}

std::string format_e8(int128 v) {
  std::string result;
  append_e8(result, v);
  return result;
}

int128 div_round_half_even(int128 num, int128 den) {
  assert(den != 0);
  // INT128_MIN / -1 is the one quotient that does not fit.
  [[maybe_unused]] constexpr int128 int128_min
    = -static_cast<int128>(~uint128{0} >> 1) - 1;
  assert(!(den == -1 && num == int128_min));
  // Magnitudes as uint128, so neither |INT128_MIN| nor 2*|r| can overflow.
  auto magnitude = [](int128 x) {
    return x < 0 ? static_cast<uint128>(-(x + 1)) + 1 : static_cast<uint128>(x);
  };
  int128 q = num / den; // truncates toward zero
  int128 r = num % den; // same sign as num
  uint128 rest = magnitude(r);
  uint128 gap = magnitude(den)
                - rest; // distance to the next multiple away from zero
  if (rest > gap || (rest == gap && q % 2 != 0))
    q += ((num < 0) != (den < 0)) ? -1 : 1;
  return q;
}

std::string format_e16_as_e8(int128 v) {
  return format_e8(div_round_half_even(v, int128{100000000}));
}

} // namespace sv
