// config: settings from defaults, the TOML config file (toml++) and the command
// line.
#include "app/settings/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include <unistd.h>

// toml++ stays in this file: it is slow to compile and must not leak into our
// headers.
#include <toml++/toml.h>

#include "actors/core/decimal.hpp"
#include "actors/core/log.hpp"
#include "actors/core/rolling_windows.hpp"

#ifndef SV_VERSION
#  define SV_VERSION "unknown"
#endif

namespace sv {
namespace {

// -- limits
// ------------------------------------------------------------------------------------

/// Binance accepts at most 1024 streams on one connection; more symbols than
/// that is a typo.
constexpr std::size_t symbols_max = 1024;
/// Binance symbols are short (longest today ~15 characters); 20 leaves room.
constexpr std::size_t symbol_length_max = 20;
/// A config file is a few dozen lines; 1 MiB = 1024 * 1024 bytes refuses
/// anything else.
constexpr std::size_t config_file_bytes_max = std::size_t{1024} * 1024;
/// Rolling windows per symbol: each one keeps its own buckets, and the API lists them all.
constexpr std::size_t windows_max = 8;
/// The longest rolling window: 1 day = 24 * 3600 s.
constexpr std::uint32_t window_s_max = 24 * 3600;
/// Quote amounts are fixed-point with 8 fractional digits (sv::parse_e8).
constexpr std::int64_t e8_scale = 100000000;

// -- small text helpers
// ------------------------------------------------------------------------

/// Why a value was refused, without the "config error: <where>: " prefix;
/// nullopt = accepted.
using problem = std::optional<std::string>;

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

char upper(char c) {
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

/// `s` in double quotes, with quotes, backslashes and control characters
/// escaped, so that an error message stays on one line whatever the operator
/// typed. (Not named quoted(): for a std::string argument ADL would pick
/// std::quoted from <iomanip>, which <filesystem> pulls in.)
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

/// The text for the current errno ("No such file or directory"); thread-safe,
/// unlike strerror.
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

/// Parses all of `text` as a decimal integer; nullopt if it is not one (or
/// overflows).
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

// -- value parsers shared by the file and the command line
// ------------------------------------

/// Splits `authority` ("host", "host:port", "[v6]", "[v6]:port") into host
/// (brackets removed) and the port text (nullopt when there is no ':' after the
/// host).
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

/// Parses `text` as a port in lo..65535.
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
  auto scheme = to_lower(url.substr(0, sep));
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

/// `scheme://host:port/path` for an endpoint (usage() shows the defaults this
/// way); the scheme is ws/wss for a stream endpoint (`web_socket`), http/https
/// for a REST one.
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

// -- setters: each validates one setting and stores it
// ------------------------------------------

problem set_endpoint(settings& s, std::string_view v) {
  return parse_endpoint_into(v, s.stream_endpoint);
}

problem set_rest_endpoint(settings& s, std::string_view v) {
  return parse_endpoint_into(v, s.rest_endpoint);
}

problem set_ca_file(settings& s, std::string_view v) {
  // Fail at startup rather than at the first TLS handshake; empty means "system
  // store only".
  if (!v.empty()) {
    std::ifstream probe{std::string(v)};
    if (!probe)
      return "cannot open " + in_quotes(v) + ": " + errno_text();
  }
  s.ca_file = std::string(v);
  return std::nullopt;
}

problem set_http(settings& s, std::string_view v) {
  std::string host;
  std::optional<std::string_view> port_text;
  if (auto err = split_host_port(v, host, port_text))
    return err;
  if (!port_text)
    return "expected HOST:PORT (e.g. 127.0.0.1:8089 or [::1]:8089), got "
           + in_quotes(v);
  std::uint16_t port = 0;
  // Port 0 asks the kernel for a free port (the listener logs the one it got).
  if (auto err = parse_port(*port_text, 0, port))
    return err;
  s.http_host = std::move(host);
  s.http_port = port;
  return std::nullopt;
}

problem set_log_level(settings& s, std::string_view v) {
  auto level = to_lower(v);
  if (!parse_log_level(level))
    return "expected error, warn, info or debug, got " + in_quotes(v);
  s.log_level = std::move(level);
  return std::nullopt;
}

problem set_lock_file(settings& s, std::string_view v) {
  // open() would silently cut the path at a NUL, which TOML can spell as \u0000.
  if (v.find('\0') != std::string_view::npos)
    return "NUL character in " + in_quotes(v);
  // Empty selects the default location after loading (see default_lock_file()).
  s.lock_file = std::string(v);
  return std::nullopt;
}

std::string show_lock_file(const settings& s) {
  if (!s.lock_file.empty())
    return s.lock_file;
  // usage() explains the fallback below the options; the full text would pass 80 columns.
  return "$XDG_RUNTIME_DIR/streamvisor.lock";
}

/// Formats a fraction as the operator would write it ("0.5", "1").
std::string show_fraction(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

/// Validates one symbol as written and stores it upper-cased in `out`.
problem parse_symbol(std::string_view item, std::string& out) {
  if (item.empty() || item.size() > symbol_length_max
      || !std::all_of(item.begin(), item.end(), is_alnum))
    return "invalid symbol " + in_quotes(item) + " (expected 1 to "
           + std::to_string(symbol_length_max) + " letters or digits)";
  out = std::string(item);
  std::transform(out.begin(), out.end(), out.begin(), upper);
  return std::nullopt;
}

/// Reads a list of symbols into `out`: each validated and upper-cased, duplicates
/// (compared case-insensitively) kept once, in the order given.
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

problem set_symbols(settings& s, const std::vector<std::string>& items) {
  std::vector<std::string> out;
  if (auto err = parse_symbol_list(items, out))
    return err;
  if (out.empty())
    return std::string{"expected at least one symbol"};
  if (out.size() > symbols_max)
    return "at most " + std::to_string(symbols_max) + " symbols, got "
           + std::to_string(out.size());
  s.symbols = std::move(out);
  return std::nullopt;
}

problem set_book_symbols(settings& s, const std::vector<std::string>& items) {
  std::vector<std::string> out;
  if (auto err = parse_symbol_list(items, out))
    return err;
  s.book_symbols = std::move(out);
  return std::nullopt;
}

problem set_streams(settings& s, const std::vector<std::string>& items) {
  std::vector<stream_kind> out;
  for (const auto& item : items) {
    auto kind = parse_stream_kind(item);
    if (!kind)
      return "unknown stream " + in_quotes(item)
             + R"( (expected "aggTrade" or "depth"))";
    if (std::find(out.begin(), out.end(), *kind) == out.end())
      out.push_back(*kind);
  }
  if (out.empty())
    return std::string{"expected at least one stream"};
  s.streams = std::move(out);
  return std::nullopt;
}

// -- order-flow values: window durations and quote amounts
// ---------------------------------------------

constexpr std::string_view duration_expected
  = R"(expected a duration string like "5m" (<N>s, <N>m or <N>h, N a positive integer))";

/// Parses one window as written ("90s", "5m", "1h") into seconds in 1..window_s_max.
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

/// Validates the windows as written into seconds, in the order written (the API lists them in
/// that order). On failure `bad` is the index of the offending item, or items.size() when the
/// count is wrong.
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

constexpr std::string_view quote_expected
  = R"(expected a non-negative decimal with at most 8 fractional digits, e.g. "250000.5")";

/// The largest quote amount: INT64_MAX units of 1e-8.
constexpr std::string_view quote_max_text = "92233720368.54775807";

/// Parses a quote amount written as a decimal string ("250000.5") into units of 1e-8, exactly.
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

/// A quote amount as the operator would write it: 10000000000000 -> "100000", 50 -> "0.0000005".
std::string show_quote(std::int64_t e8) {
  auto text = format_e8(e8);
  while (text.back() == '0')
    text.pop_back();
  if (text.back() == '.')
    text.pop_back();
  return text;
}

// -- the option table: one row per setting
// -------------------------------------------------------

/// An inclusive range of integers, e.g. {100, 600000}.
struct int_range {
  std::int64_t lo = 0; ///< smallest accepted value
  std::int64_t hi = 0; ///< largest accepted value
};

enum class kind : std::uint8_t {
  number,   ///< an unsigned integer field with a range
  fraction, ///< a double field in 0..1 (TOML float, or integer 0 or 1)
  flag,     ///< a bool field; on the command line a flag without value
  text,     ///< a string validated by `text`
  list, ///< a list of strings validated by `list` (TOML array, comma-separated
        ///< on the CLI)
  symbol_map, ///< TOML only: a table symbol -> unsigned integer in `range`
  windows, ///< durations "5m" in seconds, order kept, no duplicates (TOML array of
           ///< strings, comma-separated on the CLI)
  quote, ///< a quote amount in units of 1e-8 (decimal string or TOML integer)
  quote_map, ///< TOML only: a table symbol -> quote amount
};

/// A per-symbol table of unsigned integers, e.g. silence_timeout_s_by_symbol.
using symbol_numbers = std::map<std::string, std::uint32_t>;
/// A per-symbol table of quote amounts in units of 1e-8, e.g. large_trade_quote_by_symbol.
using symbol_quotes = std::map<std::string, std::int64_t>;

using text_setter = problem (*)(settings&, std::string_view);
using list_setter = problem (*)(settings&, const std::vector<std::string>&);
using shower = std::string (*)(const settings&);

struct option_spec {
  std::string_view cli;   ///< "--connect-timeout-ms"; empty: file only
  std::string_view key;   ///< TOML key "connect_timeout_ms"
  kind type = kind::text; ///< how values are read
  std::uint32_t settings::*number = nullptr; ///< kind::number
  int_range range; ///< kind::number/symbol_map: accepted values
  double settings::*real = nullptr;        ///< kind::fraction
  symbol_numbers settings::*map = nullptr; ///< kind::symbol_map
  std::vector<std::uint32_t> settings::*durations = nullptr; ///< kind::windows
  std::int64_t settings::*e8 = nullptr;                      ///< kind::quote
  symbol_quotes settings::*quotes = nullptr; ///< kind::quote_map
  bool settings::*flag = nullptr;            ///< kind::flag
  text_setter text = nullptr;                ///< kind::text
  list_setter list = nullptr;                ///< kind::list
  shower show = nullptr;    ///< kind::text/list: the default for usage()
  std::string_view arg;     ///< usage(): the value's name ("N")
  std::string_view help;    ///< usage(): one line
  std::string_view heading; ///< usage(): a group title printed before it
};

constexpr option_spec number_opt(std::string_view cli, std::string_view key,
                                 std::uint32_t settings::*field,
                                 int_range range, std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::number;
  o.number = field;
  o.range = range;
  o.arg = "N";
  o.help = help;
  return o;
}

constexpr option_spec fraction_opt(std::string_view cli, std::string_view key,
                                   double settings::*field,
                                   std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::fraction;
  o.real = field;
  o.arg = "F";
  o.help = help;
  return o;
}

constexpr option_spec symbol_map_opt(std::string_view key,
                                     symbol_numbers settings::*field,
                                     int_range range) {
  option_spec o;
  o.key = key;
  o.type = kind::symbol_map;
  o.map = field;
  o.range = range;
  return o;
}

constexpr option_spec windows_opt(std::string_view cli, std::string_view key,
                                  std::vector<std::uint32_t> settings::*field,
                                  std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::windows;
  o.durations = field;
  o.arg = "LIST";
  o.help = help;
  return o;
}

constexpr option_spec quote_opt(std::string_view cli, std::string_view key,
                                std::int64_t settings::*field,
                                std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::quote;
  o.e8 = field;
  o.arg = "AMOUNT";
  o.help = help;
  return o;
}

constexpr option_spec quote_map_opt(std::string_view key,
                                    symbol_quotes settings::*field) {
  option_spec o;
  o.key = key;
  o.type = kind::quote_map;
  o.quotes = field;
  return o;
}

/// `o` with a usage() group title printed before it.
constexpr option_spec titled(std::string_view heading, option_spec o) {
  o.heading = heading;
  return o;
}

constexpr option_spec flag_opt(std::string_view cli, std::string_view key,
                               bool settings::*field, std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::flag;
  o.flag = field;
  o.help = help;
  return o;
}

constexpr option_spec text_opt(std::string_view cli, std::string_view key,
                               text_setter set, shower show,
                               std::string_view arg, std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::text;
  o.text = set;
  o.show = show;
  o.arg = arg;
  o.help = help;
  return o;
}

constexpr option_spec list_opt(std::string_view cli, std::string_view key,
                               list_setter set, shower show,
                               std::string_view arg, std::string_view help) {
  option_spec o;
  o.cli = cli;
  o.key = key;
  o.type = kind::list;
  o.list = set;
  o.show = show;
  o.arg = arg;
  o.help = help;
  return o;
}

// Bounds: a connect deadline under 100 ms fails on any real network and over 10
// min hides a dead peer; 10 000 000 trades of ~64 bytes is ~640 MB per symbol;
// 604800 s = 7 days, 86400 s = 1 day, 3600000 ms = 1 hour. A connection age
// under 60 s would rotate connections faster than they stream.
const std::array option_table = {
  list_opt(
    "--symbols", "symbols", set_symbols,
    [](const settings& s) { return join(s.symbols); }, "LIST",
    "comma-separated symbols to stream, e.g. BTCUSDT,ETHUSDT"),
  list_opt(
    "--streams", "streams", set_streams,
    [](const settings& s) { return join_streams(s.streams); }, "LIST",
    "streams per symbol: aggTrade, depth (local order book)"),
  text_opt(
    "--endpoint", "endpoint", set_endpoint,
    [](const settings& s) { return show_endpoint(s.stream_endpoint, true); },
    "URL", "stream base URL, ws:// or wss://host[:port][/path]"),
  text_opt(
    "--rest-endpoint", "rest_endpoint", set_rest_endpoint,
    [](const settings& s) { return show_endpoint(s.rest_endpoint, false); },
    "URL", "REST base URL, http:// or https://host[:port][/path]"),
  flag_opt("--combined", "combined", &settings::combined,
           "use the combined-stream wrapper /stream?streams=..."),
  text_opt(
    "--ca-file", "ca_file", set_ca_file,
    [](const settings& s) {
      return s.ca_file.empty() ? std::string{"none"} : s.ca_file;
    },
    "PATH", "extra PEM CA bundle trusted besides the system store"),
  flag_opt("--table", "table", &settings::table,
           "print a per-symbol table to stdout every second"),
  flag_opt("--insecure", "insecure", &settings::insecure,
           "disable certificate and host-name checks (testing only)"),
  text_opt("--http", "http", set_http, show_http, "HOST:PORT",
           "HTTP API listen address; port 0 picks a free port"),
  number_opt("--connect-timeout-ms", "connect_timeout_ms",
             &settings::connect_timeout_ms, {100, 600000},
             "deadline for the upgrade and the first frame"),
  number_opt("--history-trades", "history_trades_max",
             &settings::history_trades_max, {1, 10000000},
             "trades kept per symbol"),
  number_opt("--history-age-s", "history_age_s", &settings::history_age_s,
             {1, 604800},
             "age (trade time) after which trades leave the history"),
  number_opt("--shutdown-timeout-ms", "shutdown_timeout_ms",
             &settings::shutdown_timeout_ms, {0, 600000},
             "grace period for connections to close on SIGINT/SIGTERM"),
  text_opt(
    "--log-level", "log_level", set_log_level,
    [](const settings& s) { return s.log_level; }, "LEVEL",
    "error, warn, info or debug"),
  text_opt("--lock-file", "lock_file", set_lock_file, show_lock_file, "PATH",
           "single-instance lock file (see below)"),
  titled("Supervision (restarts, connect rate limits, liveness; see "
         "docs/supervision.md):",
         number_opt("--backoff-initial-ms", "backoff_initial_ms",
                    &settings::backoff_initial_ms, {10, 600000},
                    "bound of the first restart delay (full jitter)")),
  number_opt("--backoff-max-ms", "backoff_max_ms", &settings::backoff_max_ms,
             {10, 3600000},
             "cap of the bound, doubling per restart; >= initial"),
  number_opt("--stable-after-s", "stable_after_s", &settings::stable_after_s,
             {1, 86400}, "streaming this long resets the backoff bound"),
  number_opt("--max-restarts", "max_restarts", &settings::max_restarts,
             {1, 100000}, "more restarts per restart window park the symbol"),
  number_opt("--restart-window-s", "restart_window_s",
             &settings::restart_window_s, {1, 86400},
             "window in which --max-restarts counts"),
  number_opt("--park-s", "park_s", &settings::park_s, {1, 86400},
             "how long a symbol over the restart limit is parked"),
  fraction_opt("--escalate-fraction", "escalate_fraction",
               &settings::escalate_fraction,
               "exit 3 if more than this share is parked"),
  number_opt("--connect-budget", "connect_budget", &settings::connect_budget,
             {1, 100000}, "connect attempts of all symbols per window"),
  number_opt("--connect-budget-window-s", "connect_budget_window_s",
             &settings::connect_budget_window_s, {1, 86400},
             "window of --connect-budget"),
  number_opt("--connect-burst", "connect_burst", &settings::connect_burst,
             {1, 10000}, "connect attempts of all symbols per second"),
  number_opt("--ping-interval-s", "ping_interval_s", &settings::ping_interval_s,
             {1, 3600}, "interval of the client's pings"),
  number_opt("--pong-timeout-s", "pong_timeout_s", &settings::pong_timeout_s,
             {1, 3600}, "no pong within this long drops the connection"),
  number_opt("--silence-timeout-s", "silence_timeout_s",
             &settings::silence_timeout_s, {1, 86400},
             "no frame for this long restarts the connection"),
  symbol_map_opt("silence_timeout_s_by_symbol",
                 &settings::silence_timeout_s_by_symbol, {1, 86400}),
  number_opt("--max-connection-age-s", "max_connection_age_s",
             &settings::max_connection_age_s, {60, 604800},
             "connections are rotated before this age"),
  titled("Order flow:",
         windows_opt("--windows", "windows", &settings::windows_s,
                     "rolling windows by trade time, e.g. 1m,5m,15m,1h")),
  quote_opt("--large-trade-quote", "large_trade_quote",
            &settings::large_trade_quote_e8,
            "notional (price x qty) of a large trade; 0: none"),
  quote_map_opt("large_trade_quote_by_symbol",
                &settings::large_trade_quote_e8_by_symbol),
  number_opt("--large-trades", "large_trades_max", &settings::large_trades_max,
             {1, 100000}, "most recent large trades kept per symbol"),
  number_opt("--warmup-s", "warmup_s", &settings::warmup_s, {0, 3600},
             "seconds of trades loaded from REST at start; 0: off"),
  titled("Order book (streams = [\"aggTrade\", \"depth\"]; see "
         "docs/data-integrity.md):",
         list_opt(
           "--book-symbols", "book_symbols", set_book_symbols,
           [](const settings& s) {
             return s.book_symbols.empty() ? std::string{"all"}
                                           : join(s.book_symbols);
           },
           "LIST", "symbols with a depth stream and a local book; empty: all")),
  number_opt("--book-snapshot-limit", "book_snapshot_limit",
             &settings::book_snapshot_limit, {1, 5000},
             "levels per side of each REST snapshot"),
  number_opt("--book-buffer-events", "book_buffer_events",
             &settings::book_buffer_events, {1, 100000},
             "depth events buffered while a snapshot is fetched"),
  number_opt("--book-top-levels", "book_top_levels", &settings::book_top_levels,
             {1, 5000}, "levels per side in the top-N imbalance"),
  number_opt("--book-band-bps", "book_band_bps", &settings::book_band_bps,
             {1, 10000}, "basis points around the mid in the band imbalance"),
};

const option_spec* find_cli(std::string_view name) {
  for (const auto& o : option_table)
    if (!o.cli.empty() && o.cli == name)
      return &o;
  return nullptr;
}

const option_spec* find_key(std::string_view key) {
  for (const auto& o : option_table)
    if (o.key == key)
      return &o;
  return nullptr;
}

// -- command line
// ------------------------------------------------------------------------------

config_error cli_error(std::string_view option, const std::string& detail) {
  return config_error{"config error: " + std::string(option) + ": " + detail};
}

problem apply_number(const option_spec& o, settings& s, std::int64_t value,
                     const std::string& shown) {
  if (value < o.range.lo || value > o.range.hi)
    return "expected " + range_text(o.range.lo, o.range.hi) + ", got " + shown;
  s.*o.number = static_cast<std::uint32_t>(value);
  return std::nullopt;
}

constexpr std::string_view fraction_expected
  = "expected a number in 0..1 (e.g. 0.5), got ";

problem apply_fraction(const option_spec& o, settings& s, double value,
                       const std::string& shown) {
  // Written so that NaN fails too.
  if (!(value >= 0.0 && value <= 1.0))
    return std::string(fraction_expected) + shown;
  s.*o.real = value;
  return std::nullopt;
}

/// Splits a comma-separated command-line list and trims each item.
std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> items;
  std::string_view rest = value;
  for (;;) {
    auto comma = rest.find(',');
    items.push_back(trim(rest.substr(0, comma)));
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  // "--symbols ''" is an empty list, not one empty symbol.
  if (items.size() == 1 && items.front().empty())
    items.clear();
  return items;
}

/// Applies one command-line value (`has_value` false only for a bare flag).
problem apply_cli(const option_spec& o, settings& s, std::string_view value,
                  bool has_value) {
  switch (o.type) {
    case kind::number: {
      auto n = to_integer(value);
      if (!n)
        return "expected " + range_text(o.range.lo, o.range.hi) + ", got "
               + in_quotes(value);
      return apply_number(o, s, *n, std::to_string(*n));
    }
    case kind::fraction: {
      double n = 0;
      // from_chars ignores the locale, so "0.5" means the same everywhere.
      auto [ptr, ec] = std::from_chars(value.data(),
                                       value.data() + value.size(), n);
      if (value.empty() || ec != std::errc{}
          || ptr != value.data() + value.size())
        return std::string(fraction_expected) + in_quotes(value);
      return apply_fraction(o, s, n, std::string(value));
    }
    case kind::symbol_map:
    case kind::quote_map:
      // File only: find_cli() never returns such an option.
      return std::string{"only valid in the config file"};
    case kind::flag:
      if (!has_value || value == "true") {
        s.*o.flag = true;
      } else if (value == "false") {
        s.*o.flag = false;
      } else {
        return "expected no value, true or false, got " + in_quotes(value);
      }
      return std::nullopt;
    case kind::text:
      return o.text(s, value);
    case kind::list:
      return o.list(s, split_list(value));
    case kind::windows: {
      std::size_t bad = 0;
      return parse_windows(split_list(value), s.*o.durations, bad);
    }
    case kind::quote:
      return parse_quote(value, s.*o.e8);
  }
  return std::string{"unhandled option kind"};
}

/// One option from the command line, applied after the config file.
struct cli_value {
  const option_spec* spec = nullptr; ///< the option (never null once parsed)
  std::string value;                 ///< its value; empty for a bare flag
  bool has_value = false;            ///< false for a bare flag
};

/// Splits the command line into `--config`'s value and the other options, which
/// are applied after the config file; reports unknown options and missing
/// values.
std::optional<config_error> parse_cli(const std::vector<std::string_view>& args,
                                      std::string& config_path,
                                      std::vector<cli_value>& values) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto arg = args[i];
    if (arg.size() < 3 || arg.substr(0, 2) != "--")
      return config_error{"config error: unexpected argument " + in_quotes(arg)
                          + " (options start with --; see --help)"};
    auto eq = arg.find('=');
    auto name = arg.substr(0, eq);
    bool inline_value = eq != std::string_view::npos;
    std::string_view value = inline_value ? arg.substr(eq + 1)
                                          : std::string_view{};
    const auto* spec = find_cli(name);
    bool is_config = name == "--config";
    if (spec == nullptr && !is_config)
      return config_error{"config error: unknown option " + in_quotes(name)
                          + " (see --help)"};
    bool takes_value = is_config || spec->type != kind::flag;
    if (takes_value && !inline_value) {
      // A following option is never taken as a value: "--symbols --insecure"
      // lacks one.
      if (i + 1 >= args.size() || args[i + 1].substr(0, 2) == "--")
        return cli_error(name, "missing value");
      value = args[++i];
    }
    if (is_config) {
      if (value.empty())
        return cli_error(name, "missing value");
      config_path = std::string(value);
    } else {
      values.push_back({spec, std::string(value), takes_value || inline_value});
    }
  }
  return std::nullopt;
}

// -- config file
// -------------------------------------------------------------------------------

/// A TOML value as the operator wrote it, for "got ..." in error messages.
std::string describe(const toml::node& n) {
  if (const auto* v = n.as_string())
    return in_quotes(v->get());
  if (const auto* v = n.as_integer())
    return std::to_string(v->get());
  if (const auto* v = n.as_floating_point()) {
    // The shortest text that reads back as the same double, so 250000.5 is not shown as
    // 250000 (ostream's default precision is 6 digits).
    std::array<char, 64> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(),
                                   v->get());
    return ec == std::errc{} ? std::string(buf.data(), end)
                             : std::string{"a float"};
  }
  if (const auto* v = n.as_boolean())
    return v->get() ? "true" : "false";
  if (n.is_array())
    return "an array";
  if (n.is_table())
    return "a table";
  return "a date or time";
}

/// A TOML key as an error message shows it: bare when TOML allows it bare, else in quotes
/// (which also keeps the message on one line).
std::string show_key(std::string_view key) {
  bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return is_alnum(c) || c == '_' || c == '-';
  });
  return bare ? std::string(key) : in_quotes(key);
}

/// One key of a TOML table with its line, for processing in file order.
struct toml_entry {
  toml::source_index line = 0; ///< the key's line
  toml::source_index column
    = 0; ///< the key's column (several keys share an inline table's line)
  std::string key;                  ///< the key as written
  const toml::node* node = nullptr; ///< its value; owned by the table
};

/// The entries of `table` in file order, so the first error reported is the first one in the
/// file (toml++ iterates in key order).
std::vector<toml_entry> in_file_order(const toml::table& table) {
  std::vector<toml_entry> entries;
  for (auto&& [key, node] : table) {
    const auto& at = key.source().begin;
    entries.push_back({at.line, at.column, std::string(key.str()), &node});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const toml_entry& a, const toml_entry& b) {
                     return a.line != b.line ? a.line < b.line
                                             : a.column < b.column;
                   });
  return entries;
}

/// Reads a table SYMBOL = value into `out`, which it replaces only on success; `parse` reads one
/// value (`problem parse(const toml::node&, Value&)`). On error `line` and `name` point at the
/// offending entry (`silence_timeout_s_by_symbol.nknusdt`). `expected` describes the whole
/// table for a value that is not one.
template <class Value, class Parse>
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): the key and the text describing it.
problem apply_symbol_table(std::string_view key, std::string_view expected,
                           const toml::node& n, toml::source_index& line,
                           std::string& name, std::map<std::string, Value>& out,
                           Parse parse) {
  const auto* table = n.as_table();
  if (table == nullptr)
    return "expected a table of " + std::string(expected) + ", got "
           + describe(n);
  std::map<std::string, Value> result;
  for (const auto& e : in_file_order(*table)) {
    if (e.line != 0)
      line = e.line;
    name = std::string(key) + "." + show_key(e.key);
    std::string sym;
    if (auto err = parse_symbol(e.key, sym))
      return err;
    Value value{};
    if (auto err = parse(*e.node, value))
      return err;
    // Keys are symbols, so "nknusdt" and "NKNUSDT" are the same one.
    if (!result.emplace(sym, value).second)
      return "symbol " + sym + " appears twice (symbols are case-insensitive)";
  }
  out = std::move(result);
  return std::nullopt;
}

/// Applies a table symbol -> integer (kind::symbol_map); it replaces the whole map.
problem apply_symbol_map(const option_spec& o, settings& s, const toml::node& n,
                         toml::source_index& line, std::string& name) {
  auto range = o.range;
  return apply_symbol_table(
    o.key, "SYMBOL = " + range_text(range.lo, range.hi), n, line, name,
    s.*o.map, [range](const toml::node& v, std::uint32_t& out) -> problem {
      const auto* i = v.as_integer();
      if (i == nullptr || i->get() < range.lo || i->get() > range.hi)
        return "expected " + range_text(range.lo, range.hi) + ", got "
               + describe(v);
      out = static_cast<std::uint32_t>(i->get());
      return std::nullopt;
    });
}

/// Reads a quote amount from TOML: a decimal string (exact) or a non-negative integer. A float
/// is refused: 0.1 has no exact binary value, and the threshold must be exact.
problem toml_quote(const toml::node& n, std::int64_t& out) {
  if (const auto* v = n.as_string())
    return parse_quote(v->get(), out);
  if (const auto* v = n.as_integer()) {
    if (v->get() < 0)
      return std::string(quote_expected) + ", got " + describe(n);
    if (v->get() > std::numeric_limits<std::int64_t>::max() / e8_scale)
      return describe(n) + " is too large (at most "
             + std::string(quote_max_text) + ")";
    out = v->get() * e8_scale;
    return std::nullopt;
  }
  constexpr std::string_view expected
    = R"(expected a decimal string like "250000.5" or an integer, got )";
  if (n.is_floating_point())
    return std::string(expected) + "the float " + describe(n) + "; quote it (\""
           + describe(n) + "\") so that it is read exactly";
  return std::string(expected) + describe(n);
}

/// Applies an array of window durations (kind::windows). On error `line` points at the
/// offending element.
problem apply_windows(const option_spec& o, settings& s, const toml::node& n,
                      toml::source_index& line) {
  const auto* arr = n.as_array();
  if (arr == nullptr)
    return R"(expected an array of duration strings like ["1m", "5m"], got )"
           + describe(n);
  std::vector<std::string> items;
  std::vector<toml::source_index> lines;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto& elem = *arr->get(i);
    lines.push_back(elem.source().begin.line);
    const auto* v = elem.as_string();
    if (v == nullptr) {
      if (lines.back() != 0)
        line = lines.back();
      return "element " + std::to_string(i) + ": "
             + std::string(duration_expected) + ", got " + describe(elem);
    }
    items.push_back(v->get());
  }
  std::size_t bad = 0;
  auto err = parse_windows(items, s.*o.durations, bad);
  if (err && bad < lines.size() && lines[bad] != 0)
    line = lines[bad];
  return err;
}

/// Applies one top-level TOML value. `line` holds the key's line and `name` the key; for a bad
/// array element or table entry they are moved to that element or entry.
problem apply_toml(const option_spec& o, settings& s, const toml::node& n,
                   toml::source_index& line, std::string& name) {
  switch (o.type) {
    case kind::number:
      if (const auto* v = n.as_integer())
        return apply_number(o, s, v->get(), std::to_string(v->get()));
      return "expected " + range_text(o.range.lo, o.range.hi) + ", got "
             + describe(n);
    case kind::fraction:
      if (const auto* v = n.as_floating_point())
        return apply_fraction(o, s, v->get(), describe(n));
      // An integer is fine as long as it is 0 or 1; apply_fraction() refuses the rest.
      if (const auto* v = n.as_integer())
        return apply_fraction(o, s, static_cast<double>(v->get()), describe(n));
      return std::string(fraction_expected) + describe(n);
    case kind::symbol_map:
      return apply_symbol_map(o, s, n, line, name);
    case kind::quote_map:
      return apply_symbol_table(
        o.key, R"(SYMBOL = "<decimal>", e.g. { BTCUSDT = "1000000" })", n, line,
        name, s.*o.quotes, toml_quote);
    case kind::windows:
      return apply_windows(o, s, n, line);
    case kind::quote:
      return toml_quote(n, s.*o.e8);
    case kind::flag:
      if (const auto* v = n.as_boolean()) {
        s.*o.flag = v->get();
        return std::nullopt;
      }
      return "expected true or false, got " + describe(n);
    case kind::text:
      if (const auto* v = n.as_string())
        return o.text(s, v->get());
      return "expected a string, got " + describe(n);
    case kind::list: {
      const auto* arr = n.as_array();
      if (arr == nullptr)
        return "expected an array of strings, got " + describe(n);
      std::vector<std::string> items;
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const auto& elem = *arr->get(i);
        const auto* v = elem.as_string();
        if (v == nullptr) {
          if (elem.source().begin.line != 0)
            line = elem.source().begin.line;
          return "element " + std::to_string(i) + ": expected a string, got "
                 + describe(elem);
        }
        items.push_back(v->get());
      }
      return o.list(s, items);
    }
  }
  return std::string{"unhandled option kind"};
}

/// Where each setting's value came from, by TOML key: "--opt" or "file:line"; absent: the
/// default. Errors that involve two settings name both origins.
using origins = std::map<std::string_view, std::string>;

/// Reads `path` and applies its keys to `s`, in file order so the first error
/// is the first one the operator sees in the file; records each key's line in `origin`.
std::optional<config_error> apply_file(const std::string& path, settings& s,
                                       origins& origin) {
  auto prefix = "config error: " + path;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return config_error{"config error: cannot open config file "
                        + in_quotes(path) + ": " + errno_text()};
  std::string text;
  std::vector<char> chunk(4096);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()))
         || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > config_file_bytes_max)
      return config_error{prefix + ": larger than "
                          + std::to_string(config_file_bytes_max)
                          + " bytes; is this the right file?"};
  }
  if (in.bad())
    return config_error{"config error: cannot read config file "
                        + in_quotes(path)};
  toml::table table;
  try {
    table = toml::parse(text, std::string_view{path});
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    return config_error{prefix + ":" + std::to_string(at.line) + ":"
                        + std::to_string(at.column) + ": "
                        + std::string(e.description())};
  }
  for (const auto& e : in_file_order(table)) {
    auto where = [&](toml::source_index line, const std::string& name) {
      auto out = prefix;
      out.append(":")
        .append(std::to_string(line))
        .append(": ")
        .append(name)
        .append(": ");
      return out;
    };
    const auto* spec = find_key(e.key);
    if (spec == nullptr)
      return config_error{where(e.line, show_key(e.key))
                          + "unknown key (valid keys are listed in "
                            "config/streamvisor.toml)"};
    auto line = e.line;
    auto name = e.key;
    if (auto err = apply_toml(*spec, s, *e.node, line, name))
      return config_error{where(line, name) + *err};
    origin[spec->key] = path + ":" + std::to_string(e.line);
  }
  return std::nullopt;
}

/// Checks the rules that involve more than one setting, after the file and the command line.
/// The message names both settings and where each value came from.
std::optional<config_error> check_together(const settings& s,
                                           const origins& origin) {
  auto from = [&origin](std::string_view key) {
    auto i = origin.find(key);
    return i == origin.end() ? std::string{"default"} : i->second;
  };
  if (s.backoff_max_ms < s.backoff_initial_ms)
    return config_error{
      "config error: backoff_max_ms " + std::to_string(s.backoff_max_ms) + " ("
      + from("backoff_max_ms") + ") is less than backoff_initial_ms "
      + std::to_string(s.backoff_initial_ms) + " (" + from("backoff_initial_ms")
      + "); backoff_max_ms must be >= backoff_initial_ms"};
  for (const auto& sym : s.book_symbols)
    if (std::find(s.symbols.begin(), s.symbols.end(), sym) == s.symbols.end())
      return config_error{"config error: book_symbols (" + from("book_symbols")
                          + ") has " + sym + ", which is not in symbols ("
                          + from("symbols")
                          + "); every book symbol must be streamed"};
  if (!s.book_symbols.empty()
      && std::find(s.streams.begin(), s.streams.end(), stream_kind::depth)
           == s.streams.end())
    return config_error{"config error: book_symbols (" + from("book_symbols")
                        + ") is set but streams (" + from("streams")
                        + R"() has no "depth"; add "depth" to streams)"};
  return std::nullopt;
}

} // namespace

// The documented API: a URL and the name of the setting it came from.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters)
std::variant<endpoint, config_error> parse_endpoint(std::string_view url,
                                                    std::string_view setting) {
  endpoint result;
  if (auto err = parse_endpoint_into(url, result))
    return cli_error(setting, *err);
  return result;
}

std::variant<load_result, config_error> load_settings(int argc,
                                                      const char* const* argv) {
  load_result result;
  std::vector<std::string_view> args;
  for (int i = 1; i < argc; ++i)
    // argv is the C array main() received.
    args.emplace_back(
      argv[i]); // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
  // --help and --version win over everything else, even a broken command line.
  for (auto arg : args) {
    if (arg == "--help") {
      result.show_help = true;
      return result;
    }
  }
  for (auto arg : args) {
    if (arg == "--version") {
      result.show_version = true;
      return result;
    }
  }
  std::vector<cli_value> values;
  if (auto err = parse_cli(args, result.config_path, values))
    return *err;
  origins origin;
  if (!result.config_path.empty())
    if (auto err = apply_file(result.config_path, result.values, origin))
      return *err;
  for (const auto& v : values) {
    if (auto err = apply_cli(*v.spec, result.values, v.value, v.has_value))
      return cli_error(v.spec->cli, *err);
    origin[v.spec->key] = std::string(v.spec->cli);
  }
  if (auto err = check_together(result.values, origin))
    return *err;
  if (result.values.lock_file.empty())
    result.values.lock_file = default_lock_file();
  return result;
}

std::string default_lock_file() {
  // The XDG base directory spec: ignore the variable unless it is an absolute path. It is also
  // ignored when it names no directory (a stale value after logout), since the lock would
  // then fail to open.
  // NOLINTNEXTLINE(concurrency-mt-unsafe): main thread, before any other thread starts.
  const char* env = std::getenv("XDG_RUNTIME_DIR");
  std::string_view runtime_dir = env != nullptr ? env : "";
  if (!runtime_dir.empty() && runtime_dir.front() == '/') {
    std::error_code ec;
    std::filesystem::path dir(runtime_dir);
    if (std::filesystem::is_directory(dir, ec))
      return (dir / "streamvisor.lock").string();
  }
  // Per user, so that two users on one host do not lock each other out.
  return "/tmp/streamvisor-" + std::to_string(getuid()) + ".lock";
}

std::string usage() {
  const settings defaults;
  std::ostringstream out;
  out
    << "Usage: streamvisor [--config FILE] [OPTIONS]\n"
       "\n"
       "Streams Binance trades for the configured symbols, keeps a bounded "
       "history\n"
       "per symbol and serves it over HTTP. Settings come from the built-in "
       "defaults,\n"
       "then the TOML file named by --config, then the options below, which "
       "win over\n"
       "the file. Write an option as `--opt VALUE` or `--opt=VALUE`; flags "
       "also take\n"
       "=true or =false. Each option has a config-file key of the same name "
       "in\n"
       "snake_case (--history-trades is history_trades_max); see\n"
       "config/streamvisor.toml for all keys. Per-symbol silence timeouts and\n"
       "large-trade thresholds exist only in the file (tables\n"
       "silence_timeout_s_by_symbol and large_trade_quote_by_symbol).\n"
       "\n"
       "Options:\n";
  // "  --option ARG" padded to 30 columns, the help, and the default in
  // parentheses, which moves to its own line when the whole would pass 80
  // columns.
  static constexpr std::size_t indent = 30;
  static constexpr std::size_t width = 80;
  // NOLINTNEXTLINE(bugprone-easily-swappable-parameters): local, three distinct roles.
  auto line = [&out](std::string_view left, std::string_view help,
                     const std::string& dflt) {
    std::string text = "  " + std::string(left);
    text.resize(std::max(text.size() + 1, indent), ' ');
    text += help;
    if (!dflt.empty()) {
      if (text.size() + 2 + dflt.size() + 1 <= width)
        text += " (" + dflt + ")";
      else
        text += "\n" + std::string(indent, ' ') + "(" + dflt + ")";
    }
    out << text << '\n';
  };
  line("--config FILE", "TOML config file", "default: none");
  line("--help", "print this help and exit", "");
  line("--version", "print the version and exit", "");
  for (const auto& o : option_table) {
    if (o.cli.empty())
      continue;
    if (!o.heading.empty())
      out << '\n' << o.heading << '\n';
    std::string left(o.cli);
    if (!o.arg.empty())
      left += " " + std::string(o.arg);
    std::string dflt;
    switch (o.type) {
      case kind::number:
        dflt = std::to_string(o.range.lo) + ".." + std::to_string(o.range.hi)
               + "; default " + std::to_string(defaults.*o.number);
        break;
      case kind::fraction:
        dflt = "0..1; default " + show_fraction(defaults.*o.real);
        break;
      case kind::symbol_map:
      case kind::quote_map:
        break;
      case kind::windows:
        dflt = "default " + show_windows(defaults.*o.durations);
        break;
      case kind::quote:
        dflt = "default " + show_quote(defaults.*o.e8);
        break;
      case kind::flag:
        dflt = std::string("default ") + (defaults.*o.flag ? "on" : "off");
        break;
      case kind::text:
      case kind::list:
        dflt = "default " + o.show(defaults);
        break;
    }
    line(left, o.help, dflt);
  }
  out << "\n"
         "Lock file: a second streamvisor with the same lock file refuses to "
         "start.\n"
         "Without --lock-file it is $XDG_RUNTIME_DIR/streamvisor.lock when\n"
         "XDG_RUNTIME_DIR names a directory, else "
         "/tmp/streamvisor-<uid>.lock.\n\n"
         "Signals: SIGINT or SIGTERM shut down gracefully (sockets closed with "
         "a\n"
         "close frame); a second one exits at once.\n\n"
         "Exit status: 0 after a graceful shutdown, --help or --version; 1 "
         "when the\n"
         "API address cannot be bound or the transport cannot start; 2 when a "
         "setting\n"
         "is invalid (the message names the option, or the config file, line "
         "and\n"
         "key); 3 when more than --escalate-fraction of the symbols are parked "
         "at\n"
         "once; 130 when a second signal arrives during shutdown.\n";
  return out.str();
}

std::string version_text() {
  return std::string("streamvisor ") + SV_VERSION;
}

} // namespace sv
