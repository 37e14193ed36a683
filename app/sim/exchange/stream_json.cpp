// stream_json: text shared by every simulated stream.
#include "app/sim/exchange/stream_json.hpp"

#include <charconv>

namespace sv {

void append_int(std::string& out, std::int64_t v) {
  char buf[24]; // 20 digits + sign fit any int64
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

std::string stream_name(std::string_view symbol, std::string_view suffix) {
  std::string out;
  out.reserve(symbol.size() + suffix.size());
  for (char c : symbol)
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  out += suffix;
  return out;
}

} // namespace sv
