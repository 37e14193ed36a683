// options: the option table (one row per setting: command-line name, TOML key, how the
// value is read, its usage() line) and the command-line parser over it; internal to
// app/settings/.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/settings/config.hpp"
#include "app/settings/values.hpp"

namespace sv::config_detail {

/// An inclusive range of integers, e.g. {100, 600000}.
struct int_range {
  std::int64_t lo = 0; ///< smallest accepted value
  std::int64_t hi = 0; ///< largest accepted value
};

/// How an option's value is read and stored.
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

/// Validates a value and stores it in settings; the problem otherwise.
using text_setter = problem (*)(settings&, std::string_view);
using list_setter = problem (*)(settings&, const std::vector<std::string>&);
/// A setting's value as usage() shows its default.
using shower = std::string (*)(const settings&);

/// One setting: its command-line name, TOML key, how its value is read and its usage()
/// line. The table of them is in options.cpp.
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

/// The option whose command-line name is `name` (e.g. "--http"); null if none.
const option_spec* find_cli(std::string_view name);

/// The option whose TOML key is `key` (e.g. "http"); null if none.
const option_spec* find_key(std::string_view key);

/// The TOML keys whose values differ between `a` and `b`, in table order
/// (what a reload changed).
std::vector<std::string_view> changed_keys(const settings& a,
                                           const settings& b);

/// A command-line error: `config error: <option>: <detail>`.
config_error cli_error(std::string_view option, const std::string& detail);

/// Stores an integer for a kind::number option if it is in the option's range; `shown`
/// is the value as written, for the message.
problem apply_number(const option_spec& o, settings& s, std::int64_t value,
                     const std::string& shown);

/// What a kind::fraction value must look like, for error messages.
inline constexpr std::string_view fraction_expected
  = "expected a number in 0..1 (e.g. 0.5), got ";

/// Stores a kind::fraction value if it is in 0..1 (NaN is refused); `shown` is the
/// value as written, for the message.
problem apply_fraction(const option_spec& o, settings& s, double value,
                       const std::string& shown);

/// Applies one command-line value (`has_value` false only for a bare flag).
problem apply_cli(const option_spec& o, settings& s, std::string_view value,
                  bool has_value);

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
                                      std::vector<cli_value>& values);

} // namespace sv::config_detail
