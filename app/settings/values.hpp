// values: parsing and showing the values of settings (endpoints, host:port, symbols,
// windows, quote amounts) for the command line, the config file and usage(); internal to
// app/settings/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/settings/settings.hpp"

namespace sv::config_detail {

/// Why a value was refused, without the "config error: <where>: " prefix;
/// nullopt = accepted.
using problem = std::optional<std::string>;

/// Whether `c` is an ASCII letter or digit (whatever the locale says of other bytes).
bool is_alnum(char c);

/// `s` in double quotes, with quotes, backslashes and control characters
/// escaped, so that an error message stays on one line whatever the operator
/// typed. (Not named quoted(): for a std::string argument ADL would pick
/// std::quoted from <iomanip>, which <filesystem> pulls in.)
std::string in_quotes(std::string_view s);

/// The text for the current errno ("No such file or directory"); thread-safe,
/// unlike strerror.
std::string errno_text();

/// `s` without leading and trailing spaces and tabs.
std::string trim(std::string_view s);

/// Parses all of `text` as a decimal integer; nullopt if it is not one (or
/// overflows).
std::optional<std::int64_t> to_integer(std::string_view text);

/// "an integer in lo..hi", for error messages.
std::string range_text(std::int64_t lo, std::int64_t hi);

/// Splits `authority` ("host", "host:port", "[v6]", "[v6]:port") into host
/// (brackets removed) and the port text (nullopt when there is no ':' after the
/// host).
problem split_host_port(std::string_view authority, std::string& host,
                        std::optional<std::string_view>& port_text);

/// Parses `text` as a port in lo..65535.
problem parse_port(std::string_view text, std::int64_t lo, std::uint16_t& out);

/// Parses `scheme://host[:port][/path]` into `out` (left alone on failure); the rules are
/// parse_endpoint()'s in config.hpp.
problem parse_endpoint_into(std::string_view url, endpoint& out);

/// `scheme://host:port/path` for an endpoint (usage() shows the defaults this
/// way); the scheme is ws/wss for a stream endpoint (`web_socket`), http/https
/// for a REST one.
std::string show_endpoint(const endpoint& e, bool web_socket);

/// The API listen address as --http takes it: `host:port`, an IPv6 host in brackets.
std::string show_http(const settings& s);

/// The items separated by commas, as the command line writes a list.
std::string join(const std::vector<std::string>& items);

/// Formats a fraction as the operator would write it ("0.5", "1").
std::string show_fraction(double value);

/// Validates one symbol as written and stores it upper-cased in `out`.
problem parse_symbol(std::string_view item, std::string& out);

/// Reads a list of symbols into `out`: each validated and upper-cased, duplicates
/// (compared case-insensitively) kept once, in the order given.
problem parse_symbol_list(const std::vector<std::string>& items,
                          std::vector<std::string>& out);

/// What a window duration must look like, for error messages.
inline constexpr std::string_view duration_expected
  = R"(expected a duration string like "5m" (<N>s, <N>m or <N>h, N a positive integer))";

/// Parses one window as written ("90s", "5m", "1h") into seconds in 1..window_s_max.
problem parse_window(std::string_view text, std::uint32_t& out);

/// Validates the windows as written into seconds, in the order written (the API lists them in
/// that order). On failure `bad` is the index of the offending item, or items.size() when the
/// count is wrong.
problem parse_windows(const std::vector<std::string>& items,
                      std::vector<std::uint32_t>& out, std::size_t& bad);

/// Windows as the command line writes them: "1m,5m,15m,1h".
std::string show_windows(const std::vector<std::uint32_t>& windows);

/// What a quote amount must look like, for error messages.
inline constexpr std::string_view quote_expected
  = R"(expected a non-negative decimal with at most 8 fractional digits, e.g. "250000.5")";

/// The largest quote amount: INT64_MAX units of 1e-8.
inline constexpr std::string_view quote_max_text = "92233720368.54775807";

/// Parses a quote amount written as a decimal string ("250000.5") into units of 1e-8, exactly.
problem parse_quote(std::string_view text, std::int64_t& out);

/// A quote amount as the operator would write it: 10000000000000 -> "100000", 50 -> "0.0000005".
std::string show_quote(std::int64_t e8);

} // namespace sv::config_detail
