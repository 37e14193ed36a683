// json_text: the pieces of JSON text the hand-written writers share (numbers and exact
// decimals appended to a string, no allocation beyond the string's own).
#pragma once

#include <array>
#include <charconv>
#include <string>

#include "actors/core/decimal.hpp"

namespace sv {

/// Appends the integer `v` in decimal.
template <class Int>
void append_number(std::string& out, Int v) {
  std::array<char, 24> buf{};
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), res.ptr);
}

/// Appends `v` (units of 1e-8) as a JSON string with 8 fractional digits.
inline void append_quoted_e8(std::string& out, int128 v) {
  out.push_back('"');
  append_e8(out, v);
  out.push_back('"');
}

} // namespace sv
