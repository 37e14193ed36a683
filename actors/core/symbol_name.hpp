// symbol_name: what a Binance spot symbol may look like (pure).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace sv {

/// Longest symbol accepted (Binance's longest spot symbols are about 12).
constexpr std::size_t symbol_chars_max = 20;

/// True for 1..symbol_chars_max ASCII letters and digits, the shape of every
/// Binance spot symbol ("BTCUSDT", "1INCHUSDT"); nothing else can name a stream.
inline bool is_symbol_name(std::string_view text) {
  auto letter_or_digit = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9');
  };
  return !text.empty() && text.size() <= symbol_chars_max
         && std::all_of(text.begin(), text.end(), letter_or_digit);
}

} // namespace sv
