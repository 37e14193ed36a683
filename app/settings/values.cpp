// values: parsing and showing the values of settings (endpoints, host:port, symbols,
// windows, quote amounts).
#include "app/settings/values.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <sstream>
#include <system_error>
#include <utility>

#include "actors/core/decimal.hpp"
#include "actors/core/rolling_windows.hpp"
#include "actors/core/symbol_case.hpp"

namespace sv::config_detail {

namespace {

/// Binance symbols are short (longest today ~15 characters); 20 leaves room.
constexpr std::size_t symbol_length_max = 20;

/// Rolling windows per symbol: each one keeps its own buckets, and the API lists them all.
constexpr std::size_t windows_max = 8;

/// The longest rolling window: 1 day = 24 * 3600 s.
constexpr std::uint32_t window_s_max = 24 * 3600;

} // namespace

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      constexpr std::string_view hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string errno_text() {
  return std::generic_category().message(errno);
}

std::string trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return {};
  auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

std::optional<std::int64_t> to_integer(std::string_view text) {
  std::int64_t value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (text.empty() || ec != std::errc{} || ptr != last)
    return std::nullopt;
  return value;
}

std::string range_text(std::int64_t lo, std::int64_t hi) {
  return "an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
}

problem split_host_port(std::string_view authority, std::string& host,
                        std::optional<std::string_view>& port_text) {
  port_text.reset();
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return "unterminated IPv6 literal in " + in_quotes(authority);
    host = std::string(authority.substr(1, close - 1));
    if (host.empty() || host.find(':') == std::string::npos
        || !std::all_of(host.begin(), host.end(), [](char c) {
             return std::isxdigit(static_cast<unsigned char>(c)) != 0
                    || c == ':' || c == '.';
           }))
      return "invalid IPv6 literal "
             + in_quotes(authority.substr(0, close + 1));
    rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return "unexpected " + in_quotes(rest) + " after the IPv6 literal";
  } else {
    auto colon = authority.find(':');
    host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos)
      rest = authority.substr(colon);
    if (rest.find(':', 1) != std::string_view::npos)
      return "an IPv6 literal needs brackets, e.g. [::1]:9443; got "
             + in_quotes(authority);
    if (host.empty())
      return "missing host in " + in_quotes(authority);
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return is_alnum(c) || c == '.' || c == '-' || c == '_';
        }))
      return "invalid host " + in_quotes(host);
  }
  if (!rest.empty())
    port_text = rest.substr(1);
  return std::nullopt;
}

problem parse_port(std::string_view text, std::int64_t lo, std::uint16_t& out) {
  auto value = to_integer(text);
  if (!value || *value < lo || *value > 65535)
    return "port must be " + range_text(lo, 65535) + ", got " + in_quotes(text);
  out = static_cast<std::uint16_t>(*value);
  return std::nullopt;
}

problem parse_endpoint_into(std::string_view url, endpoint& out) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return "expected scheme://host[:port][/path], got " + in_quotes(url);
  auto scheme = lower_ascii(url.substr(0, sep));
  endpoint result;
  if (scheme == "wss" || scheme == "https") {
    result.tls = true;
    result.port = 443;
  } else if (scheme == "ws" || scheme == "http") {
    result.tls = false;
    result.port = 80;
  } else {
    return "unsupported scheme " + in_quotes(url.substr(0, sep))
           + " (expected ws, wss, http or https)";
  }
  auto rest = url.substr(sep + 3);
  for (char c : rest) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f)
      return "whitespace or control character in " + in_quotes(url);
    if (c == '?' || c == '#')
      return "query and fragment are not supported, got " + in_quotes(url);
    if (c == '@')
      return "user info is not supported, got " + in_quotes(url);
  }
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (authority.empty())
    return "missing host in " + in_quotes(url);
  std::optional<std::string_view> port_text;
  if (auto err = split_host_port(authority, result.host, port_text))
    return err;
  if (port_text)
    if (auto err = parse_port(*port_text, 1, result.port))
      return err;
  if (slash != std::string_view::npos) {
    auto path = rest.substr(slash);
    while (!path.empty() && path.back() == '/')
      path.remove_suffix(1);
    result.base_path = std::string(path);
  }
  out = std::move(result);
  return std::nullopt;
}

std::string show_endpoint(const endpoint& e, bool web_socket) {
  std::string out = web_socket ? (e.tls ? "wss://" : "ws://")
                               : (e.tls ? "https://" : "http://");
  out += e.host.find(':') == std::string::npos ? e.host : "[" + e.host + "]";
  return out + ":" + std::to_string(e.port) + e.base_path;
}

std::string show_http(const settings& s) {
  auto host = s.http_host.find(':') == std::string::npos
                ? s.http_host
                : "[" + s.http_host + "]";
  return host + ":" + std::to_string(s.http_port);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string show_fraction(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

problem parse_symbol(std::string_view item, std::string& out) {
  if (item.empty() || item.size() > symbol_length_max
      || !std::all_of(item.begin(), item.end(), is_alnum))
    return "invalid symbol " + in_quotes(item) + " (expected 1 to "
           + std::to_string(symbol_length_max) + " letters or digits)";
  out = upper_symbol(item);
  return std::nullopt;
}

problem parse_symbol_list(const std::vector<std::string>& items,
                          std::vector<std::string>& out) {
  for (const auto& item : items) {
    std::string sym;
    if (auto err = parse_symbol(item, sym))
      return err;
    // Case-insensitive de-duplication: upper-casing first makes it an exact
    // compare.
    if (std::find(out.begin(), out.end(), sym) == out.end())
      out.push_back(std::move(sym));
  }
  return std::nullopt;
}

problem parse_window(std::string_view text, std::uint32_t& out) {
  std::uint32_t unit = 0;
  if (!text.empty()) {
    switch (text.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      default:
        break;
    }
  }
  auto digits = text.substr(0, text.empty() ? 0 : text.size() - 1);
  if (unit == 0 || digits.empty()
      || !std::all_of(digits.begin(), digits.end(),
                      [](char c) { return c >= '0' && c <= '9'; })) {
    auto out_text = std::string(duration_expected) + ", got " + in_quotes(text);
    if (!text.empty() && text.back() == 'd')
      out_text += "; days are not supported, the longest window is 24h";
    return out_text;
  }
  // Compared before multiplying, so that N * unit cannot overflow; to_integer() refuses
  // numbers beyond int64.
  auto n = to_integer(digits);
  if (!n || *n < 1 || *n > window_s_max / unit)
    return "window " + in_quotes(text)
           + " is out of range: expected 1s to 24h ("
           + std::to_string(window_s_max) + " s)";
  out = static_cast<std::uint32_t>(*n) * unit;
  return std::nullopt;
}

problem parse_windows(const std::vector<std::string>& items,
                      std::vector<std::uint32_t>& out, std::size_t& bad) {
  bad = items.size();
  if (items.empty() || items.size() > windows_max)
    return "expected 1 to " + std::to_string(windows_max) + " windows, got "
           + std::to_string(items.size());
  std::vector<std::uint32_t> result;
  for (std::size_t i = 0; i < items.size(); ++i) {
    bad = i;
    std::uint32_t seconds = 0;
    if (auto err = parse_window(items[i], seconds))
      return err;
    auto same = std::find(result.begin(), result.end(), seconds);
    if (same != result.end())
      return "duplicate window " + in_quotes(items[i]) + ": "
             + std::to_string(seconds) + " s, the same as "
             + in_quotes(
               items[static_cast<std::size_t>(same - result.begin())]);
    result.push_back(seconds);
  }
  bad = items.size();
  out = std::move(result);
  return std::nullopt;
}

std::string show_windows(const std::vector<std::uint32_t>& windows) {
  std::vector<std::string> items;
  items.reserve(windows.size());
  for (auto w : windows)
    items.push_back(window_name(w));
  return join(items);
}

problem parse_quote(std::string_view text, std::int64_t& out) {
  if (parse_e8(text, out))
    return std::nullopt;
  // parse_e8() only says no; find out why, for the message.
  auto dot = text.find('.');
  auto digits_only = [](std::string_view part) {
    return std::all_of(part.begin(), part.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  };
  auto int_part = text.substr(0, dot);
  auto frac_part = dot == std::string_view::npos ? std::string_view{}
                                                 : text.substr(dot + 1);
  bool well_formed = digits_only(int_part) && digits_only(frac_part)
                     && (!int_part.empty() || !frac_part.empty());
  if (well_formed && frac_part.size() > 8)
    return "more than 8 fractional digits in " + in_quotes(text)
           + " (the resolution is 0.00000001)";
  if (well_formed)
    return in_quotes(text) + " is too large (at most "
           + std::string(quote_max_text) + ")";
  return std::string(quote_expected) + ", got " + in_quotes(text);
}

std::string show_quote(std::int64_t e8) {
  auto text = format_e8(e8);
  while (text.back() == '0')
    text.pop_back();
  if (text.back() == '.')
    text.pop_back();
  return text;
}

} // namespace sv::config_detail
