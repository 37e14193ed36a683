// http_query: the HTTP API's request-target parsing.
#include "actors/core/http_query.hpp"

namespace sv {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto part = path.substr(0, slash);
    if (!part.empty())
      parts.push_back(part);
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): the query, then the name it may hold
bool parse_count_query(std::string_view query, std::string_view name,
                       std::uint32_t limit_max, std::uint32_t& limit,
                       std::string& why) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{}
                                          : query.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{}
                                              : pair.substr(eq + 1);
    if (key != name) {
      why = "unknown parameter '" + std::string{key}
            + "' (allowed: " + std::string{name} + ")";
      return false;
    }
    std::uint64_t n = 0;
    bool ok = !value.empty() && value.size() <= 10;
    for (char c : value) {
      if (c < '0' || c > '9') {
        ok = false;
        break;
      }
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (!ok || n < 1 || n > limit_max) {
      why = std::string{name} + " must be an integer in 1.."
            + std::to_string(limit_max) + ", got '" + std::string{value} + "'";
      return false;
    }
    limit = static_cast<std::uint32_t>(n);
  }
  return true;
}

void append_query_encoded(std::string& out, std::string_view s,
                          bool encode_equals) {
  constexpr std::string_view hex = "0123456789ABCDEF";
  for (char c : s) {
    auto ch = static_cast<unsigned char>(c);
    bool plain = ch > 0x20 && ch < 0x7f && ch != '&' && ch != '%' && ch != '+'
                 && ch != '#' && (ch != '=' || !encode_equals);
    if (plain) {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(hex[ch >> 4]);
      out.push_back(hex[ch & 0x0f]);
    }
  }
}

} // namespace sv
