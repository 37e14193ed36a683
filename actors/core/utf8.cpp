// utf8: well-formed UTF-8 (RFC 3629), for text frames and log lines.
#include "actors/core/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace sv {

std::size_t utf8_sequence_length(std::string_view text) {
  auto byte = [&](std::size_t i) {
    return static_cast<unsigned char>(text[i]);
  };
  auto cont = [&](std::size_t i, unsigned lo = 0x80, unsigned hi = 0xbf) {
    return i < text.size() && byte(i) >= lo && byte(i) <= hi;
  };
  auto b0 = byte(0);
  if (b0 < 0x80)
    return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf)
    return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    auto lo = b0 == 0xe0 ? 0xa0U : 0x80U; // no overlong forms
    auto hi = b0 == 0xed ? 0x9fU : 0xbfU; // no surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    auto lo = b0 == 0xf0 ? 0x90U : 0x80U; // no overlong forms
    auto hi = b0 == 0xf4 ? 0x8fU : 0xbfU; // nothing above U+10FFFF
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

bool is_valid_utf8(std::string_view text) {
  constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.size() - i >= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, text.data() + i, sizeof(word));
      if ((word & high_bits) == 0) {
        i += 8;
        continue;
      }
    }
    auto n = utf8_sequence_length(text.substr(i));
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

} // namespace sv
