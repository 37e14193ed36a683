// decimal: exact conversion between Binance decimal strings and fixed-point integers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "messages/wide.hpp"

namespace sv {

/// Parses a non-negative decimal with at most 8 fractional digits ("91436.75",
/// "0.00024000", "12") into units of 1e-8. Returns false, leaving `out` unchanged,
/// on an empty string, a sign, any non-digit other than one '.', more than 8
/// fractional digits, or a value above INT64_MAX units. Never allocates.
bool parse_e8(std::string_view text, std::int64_t& out) noexcept;

/// Appends `v` (units of 1e-8) with exactly 8 fractional digits: 9143675000000
/// -> "91436.75000000", -5 -> "-0.00000005".
void append_e8(std::string& out, int128 v);

/// `append_e8` into a new string.
std::string format_e8(int128 v);

/// num / den rounded to the nearest integer, ties to even. Requires den != 0.
int128 div_round_half_even(int128 num, int128 den);

/// Formats a value in units of 1e-16 (a sum of price_e8 * qty_e8) rounded
/// half-to-even to 8 fractional digits.
std::string format_e16_as_e8(int128 v);

} // namespace sv
