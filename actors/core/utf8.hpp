// utf8: well-formed UTF-8 (RFC 3629), for text frames and log lines.
#pragma once

#include <cstddef>
#include <string_view>

namespace sv {

/// The length (1 to 4) of the well-formed UTF-8 sequence `text` starts with, or
/// 0 if it starts with a byte that cannot begin one there: a continuation byte,
/// a truncated sequence, an overlong form, a UTF-16 surrogate, a code point above
/// U+10FFFF, or 0xC0, 0xC1, 0xF5..0xFF. `text` must not be empty. Pure.
std::size_t utf8_sequence_length(std::string_view text);

/// True if all of `text` is well-formed UTF-8 (pure ASCII is checked 8 bytes at
/// a time, so Binance's all-ASCII frames cost a few ns each). Pure.
bool is_valid_utf8(std::string_view text);

} // namespace sv
