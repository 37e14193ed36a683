// symbol_case: ASCII case folding, the one place that folds case: Binance symbols
// (upper in REST and payloads, lower in stream names, so stream ids are built here
// too), URL schemes, HTTP header names.
#pragma once

#include <string>
#include <string_view>

#include "messages/stream_kind.hpp"

namespace sv {

/// `c` in upper case if it is an ASCII lower-case letter; any other byte as is
/// (locale-independent on purpose: symbols are ASCII).
inline char ascii_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

/// `c` in lower case if it is an ASCII upper-case letter; any other byte as is.
inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `text` with its ASCII letters in upper case ("btcusdt" -> "BTCUSDT").
inline std::string upper_symbol(std::string_view text) {
  std::string result{text};
  for (auto& c : result)
    c = ascii_upper(c);
  return result;
}

/// `text` with its ASCII letters in lower case: a symbol as Binance writes it in
/// stream names ("BTCUSDT" -> "btcusdt"), a URL scheme, an HTTP header.
inline std::string lower_ascii(std::string_view text) {
  std::string result{text};
  for (auto& c : result)
    c = ascii_lower(c);
  return result;
}

/// The name Binance gives `symbol`'s `stream` in paths, SUBSCRIBEs and combined
/// frames: "btcusdt@aggTrade", "btcusdt@depth@100ms".
inline std::string binance_stream_id(std::string_view symbol,
                                     stream_kind stream) {
  return lower_ascii(symbol) + "@" + binance_stream_name(stream);
}

/// True if `text`, in any case, is the upper-case symbol `upper`.
inline bool same_symbol(std::string_view text, std::string_view upper) {
  if (text.size() != upper.size())
    return false;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (ascii_upper(text[i]) != upper[i])
      return false;
  return true;
}

} // namespace sv
